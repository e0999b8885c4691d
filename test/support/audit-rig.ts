import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { GENESIS_HASH, hashEvent, type AuditEvent, type AuditInput } from '../../src/audit/audit-event.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Transactor } from '../../src/store/transactor.js';

/** A Redis prefix, a temp dir and a Transactor of a test's own. */
export interface AuditRig {
  redis: Redis;
  keys: RedisKeys;
  prefix: string;
  dir: string;
  file: string;
  tx: Transactor;
  /** A second Transactor on its own connection: another process, as far as Redis can tell. */
  newTransactor(): Transactor;
  close(): Promise<void>;
}

export async function auditRig(redisUrl: string): Promise<AuditRig> {
  const prefix = `audit-${randomBytes(5).toString('hex')}`;
  const keys = new RedisKeys(prefix);
  const dir = await mkdtemp(join(tmpdir(), 'leasehold-audit-'));
  const connections: Redis[] = [];
  const connect = () => {
    const c = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    connections.push(c);
    return c;
  };
  const redis = connect();
  const newTransactor = () => new Transactor(connect(), keys, () => new Date());
  return {
    redis,
    keys,
    prefix,
    dir,
    file: join(dir, 'audit.jsonl'),
    tx: newTransactor(),
    newTransactor,
    async close() {
      const stale = await redis.keys(`${prefix}:*`);
      if (stale.length) await redis.del(...stale);
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A varied event (so the tests see different actors, actions and outcomes). */
export function sampleEvent(i: number, overrides: Partial<AuditInput> = {}): AuditInput {
  const actions = ['request.filed', 'request.approved', 'account.created', 'auth.failed', 'policy.refused'];
  return {
    actor: i % 3 === 0 ? 'ops-alice' : 'sup-bob',
    action: actions[i % actions.length]!,
    subject: `request:req_${i}`,
    outcome: i % 5 === 3 ? 'refused' : 'success',
    details: { i, note: `event ${i}` },
    ...overrides,
  };
}

/** Commits `n` events, one transaction each, through `tx`. */
export async function commit(tx: Transactor, n: number, from = 1, overrides: Partial<AuditInput> = {}): Promise<void> {
  for (let i = from; i < from + n; i++) await tx.run([], () => Promise.resolve({ events: [sampleEvent(i, overrides)], result: undefined }));
}

function mapDates(value: unknown, to: (d: Date) => unknown): unknown {
  if (value instanceof Date) return to(value);
  if (Array.isArray(value)) return value.map((v) => mapDates(v, to));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapDates(v, to)]));
  return value;
}

/**
 * Appends an event exactly as the code before issue 10 item 1 did when its
 * details held Dates: hashed with each Date as `{}`, stored with its ISO
 * string. Verification then reports that event as edited.
 */
export async function appendDateDefectEvent(rig: Pick<AuditRig, 'redis' | 'keys'>, input: AuditInput): Promise<AuditEvent> {
  const rawHead = await rig.redis.get(rig.keys.auditHead());
  const head = rawHead ? (JSON.parse(rawHead) as { seq: number; hash: string }) : { seq: 0, hash: GENESIS_HASH };
  const base = {
    seq: head.seq + 1,
    at: new Date().toISOString(),
    actor: input.actor,
    action: input.action,
    subject: input.subject,
    outcome: input.outcome,
    prevHash: head.hash,
  };
  const hash = hashEvent({ ...base, details: mapDates(input.details ?? {}, () => ({})) as Record<string, unknown> });
  const event: AuditEvent = { ...base, details: mapDates(input.details ?? {}, (d) => d.toISOString()) as Record<string, unknown>, hash };
  await rig.redis
    .multi()
    .rpush(rig.keys.auditEvents(), JSON.stringify(event))
    .set(rig.keys.auditHead(), JSON.stringify({ seq: event.seq, hash }))
    .exec();
  return event;
}
