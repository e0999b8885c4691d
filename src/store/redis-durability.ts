import type { Redis } from 'ioredis';

/**
 * BullMQ needs `maxmemory-policy noeviction` and the records need persistence.
 * Returns the problems found (empty when safe). A Redis that refuses CONFIG
 * (managed services) yields one problem saying the check could not be made.
 */
export async function redisDurabilityProblems(redis: Redis): Promise<string[]> {
  try {
    const policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const aof = (await redis.config('GET', 'appendonly')) as string[];
    const save = (await redis.config('GET', 'save')) as string[];
    const problems: string[] = [];
    if (policy[1] !== 'noeviction') problems.push(`maxmemory-policy is ${policy[1]}; it must be noeviction (evicted keys would lose jobs and records)`);
    if (aof[1] !== 'yes' && !save[1]) problems.push('Redis persists nothing (appendonly no, save ""); enable AOF (appendonly yes, appendfsync everysec)');
    return problems;
  } catch (err) {
    return [`could not read the Redis configuration (${(err as Error).message}); make sure of noeviction and AOF yourself`];
  }
}
