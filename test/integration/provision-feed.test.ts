import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { addToFeed, ProvisionFeed, type FeedEntry, type ProvisionFeedKeys, type ProvisionFeedOptions } from '../../src/queues/provision-feed.js';
import { eventually } from '../support/eventually.js';
import { silentLogger } from '../support/log-capture.js';

/** Waits until the assertion holds (eventually polls for a truthy value). */
const settles = (assertion: () => unknown, timeoutMs?: number) =>
  eventually(async () => {
    await assertion();
    return true;
  }, timeoutMs);

describe('the provisioning feed (a queue kept in Redis)', () => {
  let redis: Redis;
  let keys: ProvisionFeedKeys;
  const feeds: ProvisionFeed[] = [];
  beforeAll(() => void (redis = new Redis(inject('redisUrl'))));
  afterAll(async () => void (await redis.quit()));
  afterEach(async () => {
    for (const f of feeds.splice(0)) await f.close();
  });

  const fresh = (): ProvisionFeedKeys => {
    const p = `feedtest:${randomBytes(4).toString('hex')}`;
    return (keys = { due: `${p}:due`, claimed: `${p}:claimed`, wake: `${p}:wake` });
  };
  const feed = (o: Partial<ProvisionFeedOptions> & Pick<ProvisionFeedOptions, 'run'>): ProvisionFeed => {
    const f = new ProvisionFeed({ redis, keys, concurrency: 4, leaseMs: 60_000, failed: () => Promise.resolve(), logger: silentLogger(), ...o });
    feeds.push(f);
    f.start();
    return f;
  };
  const add = (requestId: string, at = new Date(), attempt = 1) => addToFeed(redis, keys, { requestId, attempt }, at);

  it('runs every added attempt once, never more at a time than its concurrency, and leaves nothing behind', async () => {
    fresh();
    const ran: string[] = [];
    let running = 0;
    let most = 0;
    feed({
      concurrency: 3,
      run: async (e) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 5));
        ran.push(`${e.requestId}#${e.attempt}`);
        running--;
      },
    });
    for (let i = 0; i < 20; i++) await add(`req_${i}`);
    await add('req_0'); // a second add (catch-up) of a waiting or running attempt adds nothing while it waits
    await settles(() => expect(ran.length).toBeGreaterThanOrEqual(20));
    await settles(async () => expect(await redis.zcard(keys.claimed)).toBe(0));
    expect(new Set(ran).size).toBe(20);
    expect(most).toBeLessThanOrEqual(3);
    expect(await redis.zcard(keys.due)).toBe(0);
    // Wake tokens do not pile up while a worker claims: each claim clears them.
    await settles(async () => expect(await redis.llen(keys.wake)).toBe(0));
  });

  it('holds an attempt until it is due', async () => {
    fresh();
    const ran: { id: string; at: number }[] = [];
    feed({ run: (e) => Promise.resolve(void ran.push({ id: e.requestId, at: Date.now() })) });
    const due = Date.now() + 1500;
    await add('req_later', new Date(due));
    await add('req_now');
    await settles(() => expect(ran.map((r) => r.id)).toEqual(['req_now', 'req_later']), 5000);
    expect(ran[1]!.at).toBeGreaterThanOrEqual(due);
  });

  it("takes over a dead worker's claims once their lease runs out, and a live worker's claims never", async () => {
    fresh();
    // What a worker killed mid-attempt leaves: its claim, no longer renewed; and one whose owner still renews it.
    await redis.zadd(keys.claimed, Date.now() - 1, 'req_orphan 1', Date.now() + 60_000, 'req_owned 1');
    const ran: FeedEntry[] = [];
    feed({ leaseMs: 600, run: (e) => Promise.resolve(void ran.push(e)) });
    await settles(() => expect(ran).toEqual([{ requestId: 'req_orphan', attempt: 1 }]), 5000);
    await new Promise((r) => setTimeout(r, 1200));
    expect(ran).toHaveLength(1);
    expect(await redis.zrange(keys.claimed, 0, -1)).toEqual(['req_owned 1']);
    // A slow attempt of a live worker keeps its claim however long it runs.
    fresh();
    let release!: () => void;
    const slowRuns: string[] = [];
    feed({
      leaseMs: 300,
      run: (e) =>
        new Promise<void>((resolve) => {
          slowRuns.push(e.requestId);
          release = resolve;
        }),
    });
    await add('req_slow');
    await settles(() => expect(slowRuns).toEqual(['req_slow']));
    // Another worker, started once the first holds the claim, must not take it however long the attempt runs.
    const second: string[] = [];
    feed({ leaseMs: 300, run: (e) => Promise.resolve(void second.push(e.requestId)) });
    await new Promise((r) => setTimeout(r, 1200)); // four leases
    expect(second).toEqual([]);
    release();
    await settles(async () => expect(await redis.zcard(keys.claimed)).toBe(0));
    expect(second).toEqual([]);
  });

  it('hands a failed attempt on with its error, then forgets it; one that cannot be handed on stays claimed', async () => {
    fresh();
    const handed: { entry: FeedEntry; message: string }[] = [];
    let handOver = true;
    feed({
      run: (e) => Promise.reject(new Error(`directory down for ${e.requestId}`)),
      failed: (entry, err) => {
        if (!handOver) return Promise.reject(new Error('Redis down too'));
        handed.push({ entry, message: (err as Error).message });
        return Promise.resolve();
      },
    });
    await add('req_fail', new Date(), 2);
    await settles(() => expect(handed).toEqual([{ entry: { requestId: 'req_fail', attempt: 2 }, message: 'directory down for req_fail' }]));
    await settles(async () => expect(await redis.zcard(keys.claimed)).toBe(0));

    handOver = false;
    await add('req_stuck');
    await new Promise((r) => setTimeout(r, 300));
    expect(await redis.zrange(keys.claimed, 0, -1)).toEqual(['req_stuck 1']);
  });

  it('finishes the attempts in flight before close returns', async () => {
    fresh();
    const done: string[] = [];
    const f = feed({ run: async (e) => void (await new Promise((r) => setTimeout(r, 200)), done.push(e.requestId)) });
    await add('req_a');
    await add('req_b');
    await settles(async () => expect(await redis.zcard(keys.claimed)).toBe(2));
    await f.close();
    feeds.splice(feeds.indexOf(f), 1);
    expect(done.sort()).toEqual(['req_a', 'req_b']);
    expect(await redis.zcard(keys.claimed)).toBe(0);
  });
});
