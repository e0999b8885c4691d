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
import { silentLogger } from '../../support/log-capture.js';
import { fakeDirectory, NO_DIRECTORY } from '../../support/session-fixtures.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
type Session = { id: string; sourceSessionId: string };
type Archived = { subject: string; details: { file: string; sha256: string; events: number; retentionDays: number } };

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

  it('archives a reviewed session older than sessions.retentionDays to a file whose SHA-256 is in the trail, and still answers for it', async () => {
    const id = ids.get('old-reviewed')!;
    const before = (await api('GET', `/v1/sessions/${id}`, svc.tokens.auditor)).body as { events: unknown[] };
    expect(before.events).toHaveLength(30);
    expect(await archivedEvents()).toEqual([]); // not before its review
    for (const sid of ['old-reviewed', 'new-reviewed'])
      expect((await api('POST', `/v1/sessions/${ids.get(sid)}/review`, svc.tokens.auditor, { verdict: 'ok' })).status).toBe(200);
    const reviewed = (await api('GET', `/v1/sessions/${id}`, svc.tokens.auditor)).body as Record<string, unknown>;

    // The worker's repeating session-archive job.
    await eventually(async () => (await archivedEvents()).length === 1);
    const [archived] = await archivedEvents();
    expect(archived).toMatchObject({ subject: `session:${id}`, details: { events: 30, retentionDays: 2 } });
    expect(archived!.details.file).toMatch(/^sessions\/archived\/\d{4}-\d{2}\/ses_[^/]+\.json$/);
    const bytes = await readFile(join(archiveDir, archived!.details.file));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(archived!.details.sha256);

    // Out of Redis: no events or references; the record stays, marked with the file and its hash.
    expect(await redis.exists(`${svc.prefix}:ses:ref:${id}`, `${svc.prefix}:ses:ev:${id}`)).toBe(0);
    // What stays of the record is a stub (the full record is in the file): what lists filter on, the review, the file and hash.
    const stub = JSON.parse((await redis.get(`${svc.prefix}:ses:rec:${id}`))!) as Record<string, unknown>;
    expect(stub).toMatchObject({
      stub: true,
      flagged: true,
      review: { verdict: 'ok' },
      archive: { file: archived!.details.file, sha256: archived!.details.sha256 },
    });
    expect(stub).not.toHaveProperty('flags');
    expect(await redis.exists(`${svc.prefix}:ses:ref:${ids.get('old-open')}`, `${svc.prefix}:ses:ref:${ids.get('new-reviewed')}`)).toBe(2);

    // The API answers as before, from the file.
    expect((await api('GET', `/v1/sessions/${id}`, svc.tokens.auditor)).body).toEqual(reviewed);
    expect((await api('GET', `/v1/sessions/${id}?offset=10&limit=3`, svc.tokens.auditor)).body.events).toEqual(before.events.slice(10, 13));
    const { events: _events, nextOffset: _next, ...view } = reviewed;
    const listed = (await api('GET', '/v1/sessions?reviewed=true&flagged=true', svc.tokens.auditor)).body.items as Record<string, unknown>[];
    expect(listed.find((s) => s.id === id)).toEqual(view);
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
    // A file that is not there (removed, or the volume not mounted) is unavailable, as a sealed audit segment would be.
    await rm(path);
    const gone = await api('GET', `/v1/sessions/${ids.get('old-reviewed')}`, svc.tokens.auditor);
    expect([gone.status, gone.body.error.code]).toEqual([503, 'archive_unavailable']);
    expect(gone.body.error.message).toContain(archived!.details.file);
    await writeFile(path, text);
    expect((await api('GET', `/v1/sessions/${ids.get('old-reviewed')}`, svc.tokens.auditor)).status).toBe(200);
  });
});
