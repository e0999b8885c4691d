import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/env.schema.js';
import { parseSentinels, redisOptions } from '../../src/store/redis-connection.js';

const base = {
  LDAP_URL: 'ldaps://dc.school.test',
  LDAP_DIALECT: 'openldap',
  LDAP_BIND_DN: 'cn=svc,dc=school,dc=test',
  LDAP_BIND_PASSWORD: 'x',
  LDAP_BASE_DN: 'dc=school,dc=test',
  LDAP_VENDOR_OU: 'ou=vendors,dc=school,dc=test',
  API_TOKENS_FILE: 'tokens.json',
  CREDENTIALS_KEY: 'k',
};

describe('the Redis connection settings', () => {
  it('dials REDIS_URL when no Sentinel is named, with its credentials, database and TLS', () => {
    expect(redisOptions({ REDIS_URL: 'rediss://ops:s%40cret@redis.school.test:6380/2' })).toEqual({
      username: 'ops',
      password: 's@cret',
      db: 2,
      tls: {},
      host: 'redis.school.test',
      port: 6380,
    });
  });

  it('asks the Sentinels for the primary, keeping only the credentials and database of REDIS_URL', () => {
    const options = redisOptions({
      REDIS_URL: 'redis://:pw@ignored:1/3',
      REDIS_SENTINELS: [{ host: '10.0.0.1', port: 26379 }],
      REDIS_SENTINEL_MASTER: 'leasehold',
    });
    expect(options).toMatchObject({ sentinels: [{ host: '10.0.0.1', port: 26379 }], name: 'leasehold', password: 'pw', sentinelPassword: 'pw', db: 3 });
    expect(options).not.toHaveProperty('host');
    expect(options.reconnectOnError?.(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(options.reconnectOnError?.(new Error('WRONGTYPE'))).toBe(false);
  });

  it('parses host:port lists, IPv6 in brackets, and refuses anything else', () => {
    expect(parseSentinels('a.example:26379, [::1]:26380')).toEqual([
      { host: 'a.example', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
    expect(parseSentinels('a.example')).toBe('"a.example" is not host:port');
    expect(parseSentinels('a:70000')).toBe('"a:70000" is not host:port');
    expect(parseSentinels(' , ')).toBe('names no Sentinel');
  });

  it('needs REDIS_SENTINEL_MASTER with REDIS_SENTINELS and the other way round, naming the field', () => {
    const problems = (extra: Record<string, string>) =>
      envSchema.safeParse({ ...base, ...extra }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(problems({ REDIS_SENTINELS: 'h:26379' })).toEqual(['REDIS_SENTINEL_MASTER: required with REDIS_SENTINELS']);
    expect(problems({ REDIS_SENTINEL_MASTER: 'leasehold' })).toEqual(['REDIS_SENTINELS: required with REDIS_SENTINEL_MASTER']);
    expect(problems({ REDIS_SENTINELS: 'h', REDIS_SENTINEL_MASTER: 'leasehold' })).toEqual(['REDIS_SENTINELS: "h" is not host:port']);
    expect(problems({ REDIS_SENTINELS: 'h:26379', REDIS_SENTINEL_MASTER: 'leasehold' })).toEqual([]);
  });
});
