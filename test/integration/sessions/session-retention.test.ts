import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import type { Policy } from '../../../src/config/policy.schema.js';
import { FileEventBodies } from '../../../src/sessions/file-event-bodies.js';
import { RedisSessionStore } from '../../../src/sessions/redis-session.store.js';
import { SessionArchive } from '../../../src/sessions/session-archive.js';
import { SessionArchiverService } from '../../../src/sessions/session-archiver.service.js';
import { RedisKeys } from '../../../src/store/redis-keys.js';
import { RedisRecordStore } from '../../../src/store/redis-record.store.js';
import { Transactor } from '../../../src/store/transactor.js';
import { apiClient, eventually, startTestService, type TestService } from '../../support/service-harness.js';
import { runCli as cli } from '../../support/cli-run.js';
import { silentLogger } from '../../support/log-capture.js';
import { fakeDirectory, NO_DIRECTORY, seedRequest, type SeededRequest } from '../../support/session-fixtures.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
type Session = { id: string; sourceSessionId: string };
type Archived = { seq: number; subject: string; details: { file: string; sha256: string; events: number; retentionDays: number } };

describe('retention archival of reviewed sessions (issue 13)', () => {
  let svc: TestService;
  let api: ReturnType<typeof apiClient>;
  let redis: Redis;
  let archiveDir: string;
  const session = (sid: string, startMs: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      source: 'bastion-1',
      account: 'v-acme-lin-1',
      type: i === 0 ? 'login' : i === count - 1 ? 'logout' : 'command',
      at: new Date(startMs + i * 1000).toISOString(),
      sourceSessionId: sid,
      sourceIp: '10.20.0.7',
      ...(i > 0 && i < count - 1 ? { detail: `ls /srv/${sid}/${i}` } : {}),
    }));
  const ids = new Map<string, string>();
  let request: SeededRequest;
  /** Keys under the service's prefix that name the session, hold it in a sorted set or hash, or mention it in their value. */
  const namingInRedis = async (id: string): Promise<string[]> => {
    const out: string[] = [];
    for (const key of await redis.keys(`${svc.prefix}:ses:*`)) {
      if (key.includes(id)) out.push(key);
      const type = await redis.type(key);
      const text =
        type === 'string'
          ? await redis.get(key)
          : type === 'zset'
            ? (await redis.zrange(key, 0, -1)).join(' ')
            : type === 'hash'
              ? JSON.stringify(await redis.hgetall(key))
              : type === 'list'
                ? (await redis.lrange(key, 0, -1)).join(' ')
                : type === 'set'
                  ? (await redis.smembers(key)).join(' ')
                  : '';
      if (text?.includes(id)) out.push(`${key} (${type})`);
    }
    return out;
  };
  const archivedEvents = async () => (await api('GET', '/v1/audit?action=session.archived', svc.tokens.auditor)).body.items as Archived[];

  beforeAll(async () => {
    const redisUrl = inject('redisUrl');
    redis = new Redis(redisUrl);
    archiveDir = await mkdtemp(join(tmpdir(), 'leasehold-archive-'));
    svc = await startTestService({
      redisUrl,
      directory: NO_DIRECTORY,
      fakeDirectory: fakeDirectory(),
      mode: 'all',
      env: { ARCHIVE_DIR: archiveDir },
      policy: { reconcileIntervalSeconds: 1, sessions: { retentionDays: 2 } } as Partial<Policy>,
    });
    api = apiClient(svc.url);
    request = await seedRequest(redisUrl, svc.prefix, {
      username: 'v-acme-lin-1',
      targetSystems: [],
      validFrom: new Date(Date.now() - 5 * DAY),
      validTo: new Date(Date.now() + DAY),
    });
    const old = Date.now() - 3 * DAY;
    const events = [...session('old-reviewed', old, 30), ...session('old-open', old + 60 * MIN, 5), ...session('new-reviewed', Date.now() - DAY, 5)];
    expect((await api('POST', '/v1/session-events', svc.tokens.logSource, { events })).status).toBe(202);
    for (const s of (await api('GET', '/v1/sessions', svc.tokens.auditor)).body.items as Session[]) ids.set(s.sourceSessionId, s.id);
  });
  afterAll(async () => {
    await svc?.close();
    await redis?.quit();
    if (archiveDir) await rm(archiveDir, { recursive: true, force: true });
  });

  it('archives a reviewed session older than sessions.retentionDays to a file whose SHA-256 is in the trail, leaves nothing of it in Redis, and still answers for it', async () => {
    const id = ids.get('old-reviewed')!;
    const before = (await api('GET', `/v1/sessions/${id}`, svc.tokens.auditor)).body as { events: unknown[] };
    expect(before.events).toHaveLength(30);
    expect(await archivedEvents()).toEqual([]); // not before its review
    for (const sid of ['old-reviewed', 'new-reviewed'])
      expect((await api('POST', `/v1/sessions/${ids.get(sid)}/review`, svc.tokens.auditor, { verdict: 'ok' })).status).toBe(200);
    const reviewed = (await api('GET', `/v1/sessions/${id}`, svc.tokens.auditor)).body as Record<string, unknown>;
    expect(await namingInRedis(id)).not.toEqual([]); // the check below can see the session while Redis holds it

    // The worker's repeating session-archive job.
    await eventually(async () => (await archivedEvents()).length === 1);
    const [archived] = await archivedEvents();
    expect(archived).toMatchObject({ subject: `session:${id}`, details: { events: 30, retentionDays: 2 } });
    expect(archived!.details.file).toBe(SessionArchive.fileOf(id));
    expect(archived!.details.file).toMatch(new RegExp(`^sessions/archived/\\d{4}-\\d{2}-\\d{2}/${id.slice(-2)}/${id}\\.json$`));
    const bytes = await readFile(join(archiveDir, archived!.details.file));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(archived!.details.sha256);

    // Nothing of it is left in the control-plane Redis: no record, events, references, index or live entry.
    expect(await namingInRedis(id)).toEqual([]);
    expect(await redis.exists(`${svc.prefix}:ses:ref:${ids.get('old-open')}`, `${svc.prefix}:ses:ref:${ids.get('new-reviewed')}`)).toBe(2);
    // The manifests list it, with the hash the trail recorded.
    for (const manifest of [
      SessionArchive.manifestOfRequest(request.requestId),
      'sessions/archived/by-account/v-acme-lin-1.jsonl',
      SessionArchive.manifestOfShard(id),
    ]) {
      const lines = (await readFile(join(archiveDir, manifest), 'utf8')).trim().split('\n');
      expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
        expect.objectContaining({ id, account: 'v-acme-lin-1', requestId: request.requestId, eventCount: 30, sha256: archived!.details.sha256 }),
      ]);
    }

    // The API answers as before, from the file: by id, and in the lists by request and by account (after the live sessions).
    expect((await api('GET', `/v1/sessions/${id}`, svc.tokens.auditor)).body).toEqual(reviewed);
    expect((await api('GET', `/v1/sessions/${id}?offset=10&limit=3`, svc.tokens.auditor)).body.events).toEqual(before.events.slice(10, 13));
    const { events: _events, nextOffset: _next, ...view } = reviewed;
    const live = [ids.get('new-reviewed'), ids.get('old-open')];
    for (const query of [`requestId=${request.requestId}`, 'account=V-Acme-Lin-1', `requestId=${request.requestId}&reviewed=true`]) {
      const listed = (await api('GET', `/v1/sessions?${query}`, svc.tokens.auditor)).body.items as Record<string, unknown>[];
      expect(listed.map((s) => s.id).slice(-1)).toEqual([id]);
      expect(listed.find((s) => s.id === id)).toEqual(view);
    }
    const paged = (await api('GET', `/v1/sessions?requestId=${request.requestId}&limit=2`, svc.tokens.auditor)).body as {
      items: { id: string }[];
      nextCursor: string;
    };
    expect(paged.items.map((s) => s.id).sort()).toEqual([...live].sort());
    const rest = (await api('GET', `/v1/sessions?requestId=${request.requestId}&limit=2&cursor=${paged.nextCursor}`, svc.tokens.auditor)).body;
    expect([rest.items.map((s: { id: string }) => s.id), rest.nextCursor]).toEqual([[id], null]);
    // Lists without a request or account are what Redis holds.
    expect(((await api('GET', '/v1/sessions', svc.tokens.auditor)).body.items as { id: string }[]).map((s) => s.id)).not.toContain(id);

    // The request's evidence pack shows it, read from the archive.
    const packReply = await api('GET', `/v1/requests/${request.requestId}/evidence?format=json`, svc.tokens.auditor);
    expect([packReply.status, packReply.body.error]).toEqual([200, undefined]);
    const pack = (packReply.body as { request: { sessions: { items: { id: string; eventCount: number }[] } } }).request;
    expect(pack.sessions.items).toEqual(expect.arrayContaining([expect.objectContaining({ id, eventCount: 30 })]));
    expect(pack.sessions.items).toHaveLength(3);

    // A later event with its source session id opens a new session; the archived one is not brought back.
    const late = session('old-reviewed', Date.now() - 3 * DAY + 40_000, 2).map((e) => ({ ...e, type: 'command', detail: 'late' }));
    expect((await api('POST', '/v1/session-events', svc.tokens.logSource, { events: late })).body).toMatchObject({ accepted: 2 });
    expect((await api('GET', `/v1/sessions/${id}`, svc.tokens.auditor)).body).toEqual(reviewed);
    expect(await redis.exists(`${svc.prefix}:ses:rec:${id}`)).toBe(0);
    const byRequest = (await api('GET', `/v1/sessions?requestId=${request.requestId}`, svc.tokens.auditor)).body.items as Record<string, unknown>[];
    expect(byRequest.filter((s) => s.id === id)).toHaveLength(1);
    expect(byRequest.find((s) => s.sourceSessionId === 'old-reviewed' && s.id !== id)).toMatchObject({ eventCount: 2 });
  });

  it('is idempotent: a further run archives nothing again', async () => {
    const keys = new RedisKeys(svc.prefix);
    const txRedis = redis.duplicate();
    onTestFinished(() => void txRedis.quit());
    const store = new RedisSessionStore({
      redis,
      records: new RedisRecordStore(redis, keys),
      tx: new Transactor(txRedis, keys, () => new Date()),
      bodies: new FileEventBodies(archiveDir, () => new Date()),
      archive: new SessionArchive(archiveDir),
    });
    const archiver = new SessionArchiverService({
      store,
      archive: new SessionArchive(archiveDir),
      retentionDays: 2,
      logger: silentLogger(),
      now: () => new Date(),
    });
    expect(await archiver.run()).toEqual({ archived: 0 });
    expect(await archivedEvents()).toHaveLength(1);
  });

  it('refuses to show an archived session whose file was altered or is missing, saying so', async () => {
    const [archived] = await archivedEvents();
    const path = join(archiveDir, archived!.details.file);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('ls /srv/old-reviewed/7', 'ls /srv/old-reviewed/8'));
    const res = await api('GET', `/v1/sessions/${ids.get('old-reviewed')}`, svc.tokens.auditor);
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('archive_altered');
    expect(res.body.error.message).toMatch(/archive .* was altered/);
    const list = () => api('GET', `/v1/sessions?requestId=${request.requestId}`, svc.tokens.auditor);
    const pack = () => api('GET', `/v1/requests/${request.requestId}/evidence?format=json`, svc.tokens.auditor);
    for (const reply of [await list(), await pack()]) expect([reply.status, reply.body.error?.code]).toEqual([500, 'archive_altered']);
    // The auditor's whole-archive check finds it too, at the seq that recorded the file's hash.
    const verifyArchive = () => cli(['audit', 'verify', '--archive', archiveDir], { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: svc.prefix });
    expect(await verifyArchive()).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(new RegExp(`BROKEN at seq ${archived!.seq}: the archived session .* was altered`)),
    });
    // A file that is not there (removed, or the volume not mounted) is unavailable, as a sealed audit segment would be.
    await rm(path);
    const gone = await api('GET', `/v1/sessions/${ids.get('old-reviewed')}`, svc.tokens.auditor);
    expect([gone.status, gone.body.error.code]).toEqual([503, 'archive_unavailable']);
    expect(gone.body.error.message).toContain(archived!.details.file);
    for (const reply of [await list(), await pack()]) expect([reply.status, reply.body.error?.code]).toEqual([503, 'archive_unavailable']);
    expect(await verifyArchive()).toMatchObject({ code: 1, stderr: expect.stringMatching(/the archived session .* is missing/) });
    await writeFile(path, text);
    expect(await verifyArchive()).toMatchObject({ code: 0, stdout: expect.stringMatching(/archived session files match the trail/) });
    // The shard manifest (what a read by id goes through) must say what the trail recorded, and nothing it did not.
    const manifest = join(archiveDir, SessionArchive.manifestOfShard(ids.get('old-reviewed')!));
    const lines = await readFile(manifest, 'utf8');
    await writeFile(manifest, lines.replaceAll(archived!.details.sha256, '0'.repeat(64)));
    expect(await verifyArchive()).toMatchObject({ code: 1, stderr: expect.stringMatching(/the manifest line of archived session .* differs/) });
    const stranger = { ...(JSON.parse(lines.split('\n')[0]!) as Record<string, unknown>), id: 'ses_0000000000strangerxx' };
    await writeFile(manifest, `${lines}${JSON.stringify(stranger)}\n`);
    expect(await verifyArchive()).toMatchObject({ code: 1, stderr: expect.stringMatching(/list ses_0000000000strangerxx, but no session.archived event/) });
    await writeFile(manifest, lines);
    expect(await verifyArchive()).toMatchObject({ code: 0 });
    expect((await api('GET', `/v1/sessions/${ids.get('old-reviewed')}`, svc.tokens.auditor)).status).toBe(200);
    expect((await list()).status).toBe(200);
  });
});
