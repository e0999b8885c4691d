import { request } from 'node:http';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { FakeDirectory } from '../../src/provisioner/fake/fake.directory.js';
import { startTestService, type DirectoryTarget, type TestService } from './service-harness.js';

/** A directory target nobody listens on; the service uses a FakeDirectory instead (tests of the HTTP layer only). */
const NOWHERE: DirectoryTarget = {
  url: 'ldaps://127.0.0.1:1',
  dialect: 'openldap',
  bindDn: 'cn=admin,dc=fake,dc=test',
  bindPassword: 'unused',
  baseDn: 'dc=fake,dc=test',
  vendorOu: 'ou=vendors,dc=fake,dc=test',
};

/** An API-only service on a fake directory, with `env` on top of the harness defaults. */
export function startApiOnly(redisUrl: string, env: Record<string, string> = {}, more: { prefix?: string; now?: () => Date } = {}): Promise<TestService> {
  return startTestService({ redisUrl, directory: NOWHERE, fakeDirectory: new FakeDirectory(), mode: 'api', env, ...more });
}

/** A clock that runs at real speed but reads `secondOfMinute` seconds into a minute now, as if the test started then. */
export function clockAt(secondOfMinute: number): () => Date {
  const started = Date.now();
  const base = Math.floor(started / 60_000) * 60_000 + secondOfMinute * 1000;
  return () => new Date(base + (Date.now() - started));
}

/** The audit events of a service's prefix, oldest first, straight from Redis (the API may be rate limited or closed). */
export async function auditEventsOf(svc: TestService, action?: string): Promise<AuditEvent[]> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(svc.config.env.REDIS_URL);
  try {
    const raw = await redis.lrange(new RedisKeys(svc.prefix).auditEvents(), 0, -1);
    const events = raw.map((line) => JSON.parse(line) as AuditEvent);
    return action ? events.filter((e) => e.action === action) : events;
  } finally {
    redis.disconnect();
  }
}

/** The sum of the counts of `auth.failed` events. */
export const failureCount = (events: AuditEvent[]): number => events.reduce((sum, e) => sum + Number(e.details.count), 0);

/** A raw HTTP request; resolves with the status as soon as the response head arrives (the body may still be unsent). */
export function rawRequest(
  url: string,
  options: { method: string; path: string; headers: Record<string, string | number>; body?: Buffer; end?: boolean },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url + options.path, { method: options.method, headers: options.headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
    if (options.body) req.write(options.body);
    if (options.end !== false) req.end();
  });
}
