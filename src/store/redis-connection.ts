import type { RedisOptions } from 'ioredis';

/** Where the control-plane Redis is: one URL, or a Sentinel-watched primary (REDIS_SENTINELS + REDIS_SENTINEL_MASTER). */
export interface RedisLocation {
  REDIS_URL: string;
  REDIS_SENTINELS?: { host: string; port: number }[];
  REDIS_SENTINEL_MASTER?: string;
}

/**
 * ioredis options for the store, the transactions and BullMQ alike. With
 * Sentinels, REDIS_URL still gives the password, user, database and TLS of
 * the primary; its host and port are ignored (the Sentinels name the primary,
 * and name the new one after a failover).
 */
export function redisOptions(location: RedisLocation): RedisOptions {
  const url = new URL(location.REDIS_URL);
  const auth: RedisOptions = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  if (!location.REDIS_SENTINELS?.length) return { ...auth, host: url.hostname, port: Number(url.port || 6379) };
  return {
    ...auth,
    sentinels: location.REDIS_SENTINELS,
    name: location.REDIS_SENTINEL_MASTER,
    // The same credentials for the Sentinels, if they ask (ioredis sends them only then).
    ...(auth.password ? { sentinelPassword: auth.password } : {}),
    // After a failover the old primary may come back as a replica: a write sent there answers READONLY; reconnect to the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  };
}

/** Parses `host:port,host:port` (IPv6 as [addr]:port); a list of problems when it cannot. */
export function parseSentinels(value: string): { host: string; port: number }[] | string {
  const out: { host: string; port: number }[] = [];
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) return `"${entry}" is not host:port`;
    out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return out.length ? out : 'names no Sentinel';
}
