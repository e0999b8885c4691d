#!/usr/bin/env node
import { realpathSync, type WriteStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { hostname, userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { AuditQueryStore, recordedFilter, type AuditFilter, type ExportFormat } from './audit/audit-query.store.js';
import { reanchorEvent, ReanchorRefused } from './audit/reanchor-event.js';
import { ArchiveRefused, AuditArchiver } from './audit/archive/audit-archiver.js';
import { verifyWithArchive } from './audit/archive/archive-verifier.js';
import { AuditTrail } from './audit/archive/audit-trail.js';
import { SegmentFiles } from './audit/archive/segment-files.js';
import { parsePolicy } from './config/load-config.js';
import { createLogger } from './logger.js';
import { AuditVerifier, verifyJsonlFile, type ArchivedPart, type FileVerifyResult, type VerifyResult } from './audit/audit-verifier.js';
import { loadReanchorKey } from './audit/reanchor.js';
import { parseCliEnv, type CliEnv } from './config/cli-env.schema.js';
import { redisOptions } from './store/redis-connection.js';
import { ConfigError, EXIT, OperatorError, UsageError, ValidationError, errorMessage } from './errors.js';
import { RedisKeys } from './store/redis-keys.js';
import { Transactor } from './store/transactor.js';

const USAGE = `usage:
  leasehold audit verify [--from-checkpoint | --from-seq N] [--allow-empty]    verify the trail in Redis (seals + live tail)
  leasehold audit verify --archive DIR [--allow-empty]           verify every sealed segment in DIR and the live tail as one chain
  leasehold audit verify --file PATH [--against-redis] [--allow-empty]         verify a mirror or exported JSONL file
  leasehold audit export [--format jsonl|csv] [--out PATH]
                         [--since ISO] [--until ISO] [--actor A] [--action A] [--subject S] [--outcome O]
  leasehold audit reanchor --seq N --reason TEXT                  sign a re-anchor of an event hashed by the Date defect
  leasehold archive                                               seal every full audit segment into ARCHIVE_DIR now
environment: REDIS_URL, REDIS_PREFIX; AUDIT_REANCHOR_KEY or AUDIT_REANCHOR_KEY_FILE to re-anchor
             and to verify a re-anchored trail (docs/audit.md); ARCHIVE_DIR and POLICY_FILE
             (audit.segmentEvents) to archive
exit status: 0 intact, 1 broken (the first bad seq is printed) or empty (unless --allow-empty),
             64 usage, 66 file not found, 69 Redis unreachable, 78 configuration`;

function fail(code: number, message: string): number {
  process.stderr.write(`${message}\n`);
  return code;
}

function env(): CliEnv {
  const parsed = parseCliEnv(process.env);
  if ('problems' in parsed) throw new ConfigError(parsed.problems);
  return parsed;
}

/** The Redis URL as it may be shown: any password replaced by `***`. */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/** AUDIT_REANCHOR_KEY(_FILE), when set. */
function reanchorKey(): Buffer | undefined {
  const problems: string[] = [];
  const key = loadReanchorKey(env(), problems);
  if (problems.length) throw new ConfigError(problems);
  return key;
}

/** Which store a command reads: printed with every verdict, so an empty or wrong prefix shows. */
function storeLabel(): string {
  const { REDIS_URL, REDIS_PREFIX } = env();
  return `Redis ${maskRedisUrl(REDIS_URL)} prefix ${REDIS_PREFIX}`;
}

async function withRedis<T>(work: (redis: Redis, keys: RedisKeys) => Promise<T>): Promise<T> {
  const { REDIS_URL, REDIS_PREFIX } = env();
  const redis = new Redis({ ...redisOptions(env()), lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5000, retryStrategy: () => null });
  redis.on('error', () => undefined); // reported through the failed command below
  try {
    await redis.connect();
  } catch (err) {
    throw new OperatorError(`cannot reach Redis at ${maskRedisUrl(REDIS_URL)}: ${(err as Error).message}`, EXIT.unavailable, { cause: err });
  }
  try {
    return await work(redis, new RedisKeys(REDIS_PREFIX));
  } finally {
    redis.disconnect();
  }
}

function report(
  what: string,
  r: VerifyResult | FileVerifyResult | (VerifyResult & { archived?: ArchivedPart; archivedSessions?: number }),
  allowEmpty = false,
): number {
  if (!r.ok) return fail(EXIT.broken, `${what}: BROKEN at seq ${r.firstBadSeq}: ${r.reason} (${r.count} events verified before it)`);
  // A trail verified from its start that holds nothing is almost always the wrong store or prefix, not a new deployment.
  if (r.fromSeq === 1 && r.count === 0 && !allowEmpty)
    return fail(
      EXIT.broken,
      `${what}: EMPTY: no audit events at all; check REDIS_URL and REDIS_PREFIX (or the file), or pass --allow-empty if an empty trail is expected`,
    );
  const head = r.head ? `head seq ${r.head.seq} hash ${r.head.hash}` : 'empty';
  const sealed = 'archived' in r && r.archived ? `; seq 1–${r.archived.throughSeq} sealed in ${r.archived.segments} segments` : '';
  const sessions = 'archivedSessions' in r && r.archivedSessions ? `; ${r.archivedSessions} archived session files match the trail` : '';
  const behind = 'behindBy' in r && r.behindBy ? `; ${r.behindBy} events behind Redis` : '';
  const state = r.reanchored ? `intact with re-anchors at seq ${r.reanchored.join(', ')}` : 'intact';
  process.stdout.write(`${what}: ${state}, ${r.count} events from seq ${r.fromSeq}, ${head}${behind}${sealed}${sessions}\n`);
  return EXIT.ok;
}

async function verify(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: 'string' },
      'from-checkpoint': { type: 'boolean' },
      'from-seq': { type: 'string' },
      'against-redis': { type: 'boolean' },
      archive: { type: 'string' },
      'allow-empty': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const allowEmpty = values['allow-empty'];
  if (values.archive !== undefined) {
    if (values.file || values['from-checkpoint'] || values['from-seq']) throw new UsageError('--archive verifies the whole chain: give it alone');
    const dir = values.archive;
    return withRedis(async (redis, keys) =>
      report(`audit trail in ${dir} and ${storeLabel()}`, await verifyWithArchive(redis, keys, dir, reanchorKey()), allowEmpty),
    );
  }
  if (values.file) {
    if (values['from-checkpoint'] || values['from-seq']) throw new UsageError('--from-checkpoint and --from-seq apply to Redis, not to --file');
    const file = values.file;
    if (!values['against-redis']) return report(file, await verifyJsonlFile(file, reanchorKey()), allowEmpty);
    return withRedis(async (redis, keys) =>
      report(`${file} against ${storeLabel()}`, await new AuditVerifier(redis, keys, reanchorKey()).verifyFile(file), allowEmpty),
    );
  }
  const fromSeq = values['from-seq'] === undefined ? undefined : Number(values['from-seq']);
  if (fromSeq !== undefined && !(Number.isSafeInteger(fromSeq) && fromSeq >= 1)) throw new UsageError('--from-seq needs a positive integer');
  if (fromSeq !== undefined && values['from-checkpoint']) throw new UsageError('give --from-seq or --from-checkpoint, not both');
  return withRedis(async (redis, keys) => {
    const result = await new AuditVerifier(redis, keys, reanchorKey()).verifyRedis({ fromSeq, fromCheckpoint: values['from-checkpoint'] });
    return report(`audit trail in ${storeLabel()}`, result, allowEmpty);
  });
}

function date(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--${name} must be an ISO 8601 date-time`);
  return d;
}

async function write(out: NodeJS.WritableStream | WriteStream, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

async function exportTrail(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      format: { type: 'string', default: 'jsonl' },
      out: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      subject: { type: 'string' },
      outcome: { type: 'string' },
    },
    strict: true,
  });
  if (values.format !== 'jsonl' && values.format !== 'csv') throw new UsageError('--format must be jsonl or csv');
  const outcomes = ['success', 'failure', 'refused', 'warning'];
  if (values.outcome !== undefined && !outcomes.includes(values.outcome)) throw new UsageError(`--outcome must be one of ${outcomes.join(', ')}`);
  const filter: AuditFilter = {
    since: date('since', values.since),
    until: date('until', values.until),
    actor: values.actor,
    action: values.action,
    subject: values.subject,
    outcome: values.outcome as AuditFilter['outcome'],
  };
  const format: ExportFormat = values.format;
  return withRedis(async (redis, keys) => {
    // Opened up front (exclusive create) so that an existing file is refused before anything is written.
    const out = values.out ? (await open(values.out, 'wx', 0o640)).createWriteStream() : process.stdout;
    // Taking a copy of the trail is itself recorded, as over the API; no record, no export.
    await new Transactor(redis, keys, () => new Date()).append({
      actor: cliActor(),
      action: 'audit.exported',
      subject: 'audit:trail',
      outcome: 'success',
      details: { format, filter: recordedFilter(filter), via: 'cli' },
    });
    for await (const chunk of new AuditQueryStore(redis, keys).export(filter, format)) await write(out, chunk);
    if (out !== process.stdout) {
      (out as WriteStream).end();
      await once(out, 'close');
      process.stderr.write(`exported to ${values.out}\n`);
    }
    return EXIT.ok;
  });
}

function cliActor(): string {
  return `cli:${userInfo().username}@${hostname()}`;
}

async function reanchor(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { seq: { type: 'string' }, reason: { type: 'string' } }, strict: true });
  const seq = Number(values.seq);
  if (values.seq === undefined || !(Number.isSafeInteger(seq) && seq >= 1)) throw new UsageError('--seq needs the positive seq that verify reports as edited');
  const reason = values.reason?.trim() ?? '';
  if (reason.length === 0 || reason.length > 1000) throw new UsageError('--reason needs a text of 1 to 1000 characters (why this event is re-anchored)');
  const key = reanchorKey();
  if (!key) throw new OperatorError('AUDIT_REANCHOR_KEY or AUDIT_REANCHOR_KEY_FILE is required to sign a re-anchor', EXIT.config);
  return withRedis(async (redis, keys) => {
    try {
      const { record, after } = await reanchorEvent(redis, keys, new Transactor(redis, keys, () => new Date()), key, { seq, reason, actor: cliActor() });
      process.stdout.write(`re-anchored seq ${seq}: stored hash ${record.storedHash}, recomputed hash ${record.recomputedHash} (key id ${record.keyId})\n`);
      return report(`audit trail in ${storeLabel()}`, after, true);
    } catch (err) {
      if (err instanceof ReanchorRefused) return fail(err.exitCode, `re-anchor refused: ${err.message}`);
      throw err;
    }
  });
}

/** `leasehold archive`: seals every full segment now, as the worker does every policy audit.archiveMinutes. */
async function archive(args: string[]): Promise<number> {
  parseArgs({ args, options: {}, strict: true });
  const { ARCHIVE_DIR, POLICY_FILE } = env();
  if (!ARCHIVE_DIR) throw new OperatorError('ARCHIVE_DIR is required: the directory the sealed segments are written to', EXIT.config);
  let policyText: string;
  try {
    policyText = await readFile(POLICY_FILE, 'utf8');
  } catch (err) {
    throw new OperatorError(`cannot read POLICY_FILE ${POLICY_FILE}: ${(err as Error).message}`, EXIT.config, { cause: err });
  }
  const { segmentEvents } = parsePolicy(policyText).audit;
  return withRedis(async (redis, keys) => {
    const archiver = new AuditArchiver({
      redis,
      keys,
      tx: new Transactor(redis, keys, () => new Date()),
      files: new SegmentFiles(ARCHIVE_DIR),
      segmentEvents,
      reanchorKey: reanchorKey(),
      intervalMs: 0,
      logger: createLogger('warn', false),
    });
    try {
      const sealed = await archiver.archive();
      if (!sealed) {
        process.stdout.write('another process is sealing segments now (it holds the archive lease): nothing done here\n');
        return EXIT.ok;
      }
      for (const s of sealed) process.stdout.write(`sealed segment ${s.segment}: seq ${s.fromSeq}–${s.toSeq} → ${s.file} (sha256 ${s.sha256})\n`);
      const { base, length } = await new AuditTrail(redis, keys).snapshot();
      const where = base > 0 ? `seq 1–${base} archived in ${ARCHIVE_DIR}` : `nothing archived yet in ${ARCHIVE_DIR}`;
      process.stdout.write(`${sealed.length} segment(s) sealed; ${where}, ${length} events live in Redis (segments of ${segmentEvents} events)\n`);
      return EXIT.ok;
    } catch (err) {
      if (err instanceof ArchiveRefused) return fail(EXIT.broken, `archive refused: ${err.message}`);
      throw err;
    }
  });
}

/** `leasehold <group> <command> …`; returns the exit status. */
export async function runCli(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  try {
    if (group === 'audit' && command === 'verify') return await verify(rest);
    if (group === 'audit' && command === 'export') return await exportTrail(rest);
    if (group === 'audit' && command === 'reanchor') return await reanchor(rest);
    if (group === 'archive') return await archive([command, ...rest].filter((a): a is string => a !== undefined));
    if (group === undefined || group === 'help' || group === '--help' || group === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return group === undefined ? EXIT.usage : EXIT.ok;
    }
    throw new UsageError(`unknown command: ${[group, command].filter(Boolean).join(' ')}`);
  } catch (err) {
    return failed(err);
  }
}

/**
 * Reports a failed command on stderr and returns its exit status: the
 * error's class decides (errors.ts), Node's own errors by their `code`.
 */
export function failed(err: unknown): number {
  const message = errorMessage(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) return fail(EXIT.usage, `${message}\n${USAGE}`);
  if (err instanceof OperatorError) return fail(err.exitCode, message);
  // An argument the store contradicts, e.g. --from-seq beyond the head of the trail.
  if (err instanceof ValidationError) return fail(EXIT.usage, message);
  if (code === 'EEXIST') return fail(EXIT.usage, `${message}: --out never overwrites a file`);
  if (code === 'ENOENT') return fail(EXIT.noInput, message);
  return fail(EXIT.unavailable, `failed: ${message}`);
}

// Run only as the entry point, so tests can import runCli.
// npx runs it through a symlink in node_modules/.bin, hence realpath.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  runCli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = EXIT.software;
    },
  );
}
