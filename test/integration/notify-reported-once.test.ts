import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisReportedOnce } from '../../src/notify/reported-once.js';

describe('what the overdue watch reported, in Redis', () => {
  let redis: Redis;
  const key = `t-reported-${process.pid}-${Date.now()}`;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.del(key, `${key}-legacy`);
    await redis.quit();
  });

  it('reports each key once, forgets old reports, and drops the set that only grew', async () => {
    await redis.sadd(`${key}-legacy`, 'review.overdue:ses_old');
    const reported = new RedisReportedOnce(redis, key, `${key}-legacy`);
    expect(await reported.mark('review.overdue:ses_1', 1000)).toBe(true);
    expect(await reported.mark('review.overdue:ses_1', 5000)).toBe(false);
    expect(await reported.mark('review.overdue:ses_2', 3000)).toBe(true);
    await reported.forgetBefore(2000);
    expect(await redis.zrange(key, 0, -1)).toEqual(['review.overdue:ses_2']);
    expect(await redis.exists(`${key}-legacy`)).toBe(0);
    expect(await reported.mark('review.overdue:ses_1', 6000)).toBe(true);
  });
});
