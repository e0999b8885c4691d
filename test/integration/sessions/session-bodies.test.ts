import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_PRIVILEGED_COMMANDS } from '../../../src/config/policy.schema.js';
import { FileEventBodies } from '../../../src/sessions/file-event-bodies.js';
import { RedisSessionStore } from '../../../src/sessions/redis-session.store.js';
import { normalizeEvent } from '../../../src/sessions/session-event.schema.js';
import { SessionIngestService } from '../../../src/sessions/session-ingest.service.js';
import { SessionQueryStore } from '../../../src/sessions/session-query.store.js';
import { RedisKeys } from '../../../src/store/redis-keys.js';
import { RedisRecordStore } from '../../../src/store/redis-record.store.js';
import { Transactor } from '../../../src/store/transactor.js';
import { startTestRedis, type TestRedis } from '../../rig/redis.js';
import { apiClient, startTestService, type TestService } from '../../support/service-harness.js';
import { fakeDirectory, NO_DIRECTORY } from '../../support/session-fixtures.js';

const MIN = 60_000;
type Session = { id: string; sourceSessionId: string; eventCount: number };

/** `sessions` sessions of `per` events each (login, commands, logout), one second apart, on one account. */
function bastionEvents(t0: number, sessions: number, per: number, account = 'v-acme-lin-1') {
  const out = [];
  for (let s = 0; s < sessions; s++)
    for (let i = 0; i < per; i++)
      out.push({
        source: 'bastion-1',
        account,
        type: i === 0 ? 'login' : i === per - 1 ? 'logout' : 'command',
        at: new Date(t0 + s * 10 * MIN + i * 1000).toISOString(),
        target: 'erp-db01',
        sourceIp: '10.20.0.7',
        sourceSessionId: `s${s}`,
        ...(i > 0 && i < per - 1 ? { detail: `tail -n ${i} /var/log/erp.log` } : {}),
      });
  return out;
}

async function keysOf(redis: Redis, prefix: string, pattern: string): Promise<string[]> {
  return (await redis.keys(`${prefix}:${pattern}`)).sort();
}

/** Bytes the control-plane Redis holds for the session logs of `prefix` (MEMORY USAGE of every ses:* key). */
async function sessionBytes(redis: Redis, prefix: string): Promise<number> {
  let total = 0;
  for (const key of await keysOf(redis, prefix, 'ses:*')) total += (await redis.memory('USAGE', key, 'SAMPLES', '0')) ?? 0;
  return total;
}

/** Every session of the service with all its events, by source session id. */
async function readAll(svc: TestService): Promise<Map<string, unknown[]>> {
  const api = apiClient(svc.url);
  const list = (await api('GET', '/v1/sessions?limit=500', svc.tokens.auditor)).body.items as Session[];
  const out = new Map<string, unknown[]>();
  for (const s of list) out.set(s.sourceSessionId, (await api('GET', `/v1/sessions/${s.id}?limit=5000`, svc.tokens.auditor)).body.events as unknown[]);
  return out;
}

describe('session event bodies outside the control-plane Redis (issue 13)', () => {
  let redis: Redis;
  let archiveDir: string;
  let second: TestRedis;
  let inline: TestService;
  let files: TestService;
  let sessionRedis: TestService;
  const t0 = Date.now() - 3 * 60 * MIN;
  const events = bastionEvents(t0, 6, 100);

  beforeAll(async () => {
    const redisUrl = inject('redisUrl');
    redis = new Redis(redisUrl);
    archiveDir = await mkdtemp(join(tmpdir(), 'leasehold-archive-'));
    second = await startTestRedis();
    const start = (env: Record<string, string>) => startTestService({ redisUrl, directory: NO_DIRECTORY, fakeDirectory: fakeDirectory(), mode: 'api', env });
    [inline, files, sessionRedis] = await Promise.all([start({}), start({ ARCHIVE_DIR: archiveDir }), start({ SESSION_REDIS_URL: second.url })]);
    for (const svc of [inline, files, sessionRedis]) {
      const sent = await apiClient(svc.url)('POST', '/v1/session-events', svc.tokens.logSource, { events });
      expect(sent.body).toEqual({ accepted: 600, duplicates: 0 });
    }
  });
  afterAll(async () => {
    await Promise.all([inline, files, sessionRedis].map((svc) => svc?.close()));
    await second?.stop();
    await redis?.quit();
    if (archiveDir) await rm(archiveDir, { recursive: true, force: true });
  });

  it('with ARCHIVE_DIR writes the bodies to day files and keeps only references in Redis, no ses:ev and no ses:seen keys', async () => {
    expect(await keysOf(redis, files.prefix, 'ses:ev:*')).toEqual([]);
    expect(await keysOf(redis, files.prefix, 'ses:seen:*')).toEqual([]);
    expect(await keysOf(redis, files.prefix, 'ses:ref:*')).toHaveLength(6);
    const days = await readdir(join(archiveDir, 'sessions'));
    expect(days).toEqual([new Date().toISOString().slice(0, 10)]);
    const [file] = await readdir(join(archiveDir, 'sessions', days[0]!));
    const text = await readFile(join(archiveDir, 'sessions', days[0]!, file!), 'utf8');
    expect(text).toContain('tail -n 98 /var/log/erp.log');
    // The inline service (no ARCHIVE_DIR) keeps its bodies in the control plane as before.
    expect(await keysOf(redis, inline.prefix, 'ses:ev:*')).toHaveLength(6);
    const [withFiles, withoutFiles] = [await sessionBytes(redis, files.prefix), await sessionBytes(redis, inline.prefix)];
    expect(withFiles).toBeLessThan(withoutFiles / 3);
  });

  it('returns exactly the events the control-plane layout returns, from files and from SESSION_REDIS_URL', async () => {
    const expected = await readAll(inline);
    expect(expected.size).toBe(6);
    expect([...expected.values()].map((e) => e.length)).toEqual([100, 100, 100, 100, 100, 100]);
    expect(await readAll(files)).toEqual(expected);
    expect(await readAll(sessionRedis)).toEqual(expected);
    // A page from the middle, too.
    const api = apiClient(files.url);
    const [s] = (await api('GET', '/v1/sessions?limit=1', files.tokens.auditor)).body.items as Session[];
    const page = await api('GET', `/v1/sessions/${s!.id}?offset=40&limit=7`, files.tokens.auditor);
    expect(page.body.events).toEqual(expected.get(s!.sourceSessionId)!.slice(40, 47));
  });

  it('with SESSION_REDIS_URL keeps the bodies in that Redis, only references in the control plane', async () => {
    expect(await keysOf(redis, sessionRedis.prefix, 'ses:ev:*')).toEqual([]);
    expect(await keysOf(redis, sessionRedis.prefix, 'ses:ref:*')).toHaveLength(6);
    const other = new Redis(second.url);
    try {
      const bodies = await keysOf(other, sessionRedis.prefix, 'ses:evb:*');
      expect(bodies).toHaveLength(6);
      expect(await other.hlen(bodies[0]!)).toBe(1);
    } finally {
      await other.quit();
    }
  });

  it('stores a retried batch once, and an overlapping retry only its new events, without a set of event ids', async () => {
    const api = apiClient(files.url);
    const retry = await api('POST', '/v1/session-events', files.tokens.logSource, { events });
    expect(retry.body).toEqual({ accepted: 600, duplicates: 600 });
    // The last 50 events of the last session again, with 20 new ones after them (a shipper re-batching after a timeout).
    const more = bastionEvents(t0 + 6 * 10 * MIN, 1, 20, 'v-acme-lin-1').map((e) => ({ ...e, sourceSessionId: 's5' }));
    const overlapping = await api('POST', '/v1/session-events', files.tokens.logSource, { events: [...events.slice(550), ...more] });
    expect(overlapping.body).toEqual({ accepted: 70, duplicates: 50 });
    const total = ((await api('GET', '/v1/sessions?limit=500', files.tokens.auditor)).body.items as Session[]).reduce((n, s) => n + s.eventCount, 0);
    expect(total).toBe(620);
    // What dedupe keeps: one key per batch and one mark per account, not one entry per event.
    expect(await keysOf(redis, files.prefix, 'ses:seen:*')).toEqual([]);
    expect(await keysOf(redis, files.prefix, 'ses:batch:*')).toHaveLength(2);
    expect(await keysOf(redis, files.prefix, 'ses:mark:*')).toEqual([`${files.prefix}:ses:mark:v-acme-lin-1`]);
    expect(await redis.hlen(`${files.prefix}:ses:mark:v-acme-lin-1`)).toBe(1);
  });
});

describe('a crash between the file append and the Redis commit', () => {
  it('leaves orphan bytes nothing references, and the retried batch is stored once', async () => {
    const url = inject('redisUrl');
    const keys = new RedisKeys(`crash-${randomBytes(4).toString('hex')}`);
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-archive-'));
    const redis = new Redis(url);
    const txRedis = new Redis(url);
    // The commit fails once, before EXEC reaches Redis: as if the process died right after the append.
    const multi = txRedis.multi.bind(txRedis);
    let failures = 1;
    txRedis.multi = ((...args: Parameters<typeof multi>) => {
      const m = multi(...args);
      if (failures-- > 0) m.exec = () => Promise.reject(new Error('connection lost before EXEC'));
      return m;
    }) as typeof txRedis.multi;
    const bodies = new FileEventBodies(dir, () => new Date());
    const store = new RedisSessionStore({ redis, records: new RedisRecordStore(redis, keys), tx: new Transactor(txRedis, keys, () => new Date()), bodies });
    const ingest = new SessionIngestService({
      store,
      policy: { privilegedCommands: DEFAULT_PRIVILEGED_COMMANDS, idleTimeoutMinutes: 30, failedLoginBurst: 5, reviewDueDays: 7 },
      now: () => new Date(),
    });
    try {
      const batch = bastionEvents(Date.now() - 60 * MIN, 2, 10).map((e) => normalizeEvent(e as Parameters<typeof normalizeEvent>[0], 'http'));
      await expect(ingest.ingest(batch, { origin: 'http', actor: 'log-source' })).rejects.toThrow('connection lost before EXEC');
      const day = join(dir, 'sessions', new Date().toISOString().slice(0, 10));
      const [file] = await readdir(day);
      const orphan = (await stat(join(day, file!))).size;
      expect(orphan).toBeGreaterThan(0);
      // Nothing committed: no record, no reference, no dedupe state (only the list positions the read reserved).
      expect(await redis.keys(`${keys.prefix}:*`)).toEqual([`${keys.prefix}:ses:seq`]);

      expect(await ingest.ingest(batch, { origin: 'http', actor: 'log-source' })).toMatchObject({ accepted: 20, duplicates: 0 });
      expect((await stat(join(day, file!))).size).toBe(2 * orphan); // appended again; the first copy stays unreferenced
      expect(await ingest.ingest(batch, { origin: 'http', actor: 'log-source' })).toMatchObject({ accepted: 20, duplicates: 20 });
      const page = await store.listSessions({}, undefined, 10);
      expect(page.items.map((s) => s.eventCount)).toEqual([10, 10]);
      for (const s of page.items) {
        const stored = await store.getEvents(s, 0, 100);
        expect(stored.map((e) => e.id)).toEqual(batch.filter((e) => e.sourceSessionId === s.sourceSessionId).map((e) => e.id));
      }
    } finally {
      const stale = await redis.keys(`${keys.prefix}:*`);
      if (stale.length) await redis.del(...stale);
      await bodies.close();
      await Promise.all([redis.quit(), txRedis.quit()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a session whose events are partly in the control plane and partly in files (ARCHIVE_DIR set later)', () => {
  it('reads the control-plane chunks first, then the referenced ones, whole or by list range', async () => {
    const url = inject('redisUrl');
    const keys = new RedisKeys(`mixed-${randomBytes(4).toString('hex')}`);
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-archive-'));
    const redis = new Redis(url);
    const txRedis = new Redis(url);
    const bodies = new FileEventBodies(dir, () => new Date());
    const records = new RedisRecordStore(redis, keys);
    const tx = new Transactor(txRedis, keys, () => new Date());
    const policy = { privilegedCommands: DEFAULT_PRIVILEGED_COMMANDS, idleTimeoutMinutes: 30, failedLoginBurst: 5, reviewDueDays: 7 };
    const before = new SessionIngestService({ store: new RedisSessionStore({ redis, records, tx }), policy, now: () => new Date() });
    const after = new SessionIngestService({ store: new RedisSessionStore({ redis, records, tx, bodies }), policy, now: () => new Date() });
    try {
      const all = bastionEvents(Date.now() - 60 * MIN, 1, 40).map((e) => normalizeEvent(e as Parameters<typeof normalizeEvent>[0], 'http'));
      const batches = [all.slice(0, 10), all.slice(10, 20), all.slice(20, 30), all.slice(30)];
      await before.ingest(batches[0]!, { origin: 'http', actor: 'log-source' });
      await before.ingest(batches[1]!, { origin: 'http', actor: 'log-source' });
      await after.ingest(batches[2]!, { origin: 'http', actor: 'log-source' });
      const last = await after.ingest(batches[3]!, { origin: 'http', actor: 'log-source' });
      const id = last.sessions[0]!;
      expect(await redis.llen(`${keys.prefix}:ses:ev:${id}`)).toBe(2);
      expect(await redis.llen(`${keys.prefix}:ses:ref:${id}`)).toBe(2);

      const query = new SessionQueryStore(redis, keys, { bodies });
      const idsOf = (chunks: string[]) => chunks.map((c) => (JSON.parse(c) as { id: string }[]).map((e) => e.id));
      const expected = batches.map((b) => b.map((e) => e.id));
      expect(idsOf(await query.chunks(id, 0, -1))).toEqual(expected);
      expect(idsOf(await query.chunks(id, 1, 2))).toEqual(expected.slice(1, 3));
      expect(idsOf(await query.chunks(id, 0, 0))).toEqual(expected.slice(0, 1));
      expect(idsOf(await query.chunks(id, 3, 99))).toEqual(expected.slice(3));
      expect(idsOf(await query.chunks(id, 2, -1))).toEqual(expected.slice(2));
      expect(await query.chunks(id, 4, 10)).toEqual([]);
      const session = (await query.getSession(id))!;
      expect((await query.getEvents(session, 0, 100)).map((e) => e.id)).toEqual(all.map((e) => e.id));
    } finally {
      const stale = await redis.keys(`${keys.prefix}:*`);
      if (stale.length) await redis.del(...stale);
      await bodies.close();
      await Promise.all([redis.quit(), txRedis.quit()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
