import { describe, expect, it } from 'vitest';
import { loadConfig, parsePolicy } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { configEnv } from '../support/config-env.js';

const { env: base } = configEnv({ label: 'config', dialect: 'ad', tokenName: 'ops-alice', policyYaml: 'maxValidityDays: 14\n' });

describe('configuration', () => {
  it('parses a valid environment with defaults', () => {
    const config = loadConfig(base);
    expect(config.env.PORT).toBe(8080);
    expect(config.policy.maxValidityDays).toBe(14);
    expect(config.policy.retentionDays).toBe(30);
    expect(config.tokens[0]!.name).toBe('ops-alice');
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ ...base, LDAP_DIALECT: 'novell', PORT: 'eighty', LDAP_URL: 'http://x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).problems.join('\n');
      expect(text).toContain('[LDAP_DIALECT]');
      expect(text).toContain('[PORT]');
      expect(text).toContain('[LDAP_URL]');
    }
  });

  it('takes mail only with a sender and the console address, and an smtp:// or smtps:// URL', () => {
    expect(loadConfig(base).env.SMTP_URL).toBeUndefined();
    const mail = loadConfig({
      ...base,
      SMTP_URL: 'smtps://u:p@mail.school.test:465',
      MAIL_FROM: 'Leasehold <leasehold@school.test>',
      PUBLIC_URL: 'https://lh.school.test',
    });
    expect(mail.env.SMTP_URL).toBe('smtps://u:p@mail.school.test:465');
    expect(mail.policy.notifications).toEqual({ digestHour: 8, watchSeconds: 300 });
    try {
      loadConfig({ ...base, SMTP_URL: 'smtp://mail.school.test' });
      expect.unreachable();
    } catch (err) {
      const text = (err as ConfigError).problems.join('\n');
      expect(text).toContain('[MAIL_FROM] required with SMTP_URL');
      expect(text).toContain('[PUBLIC_URL] required with SMTP_URL');
    }
    expect(() => loadConfig({ ...base, SMTP_URL: 'http://mail.school.test', MAIL_FROM: 'a@b.test', PUBLIC_URL: 'https://lh.school.test' })).toThrow(
      ConfigError,
    );
  });

  it('refuses plaintext LDAP unless explicitly allowed, and always in production', () => {
    expect(() => loadConfig({ ...base, LDAP_URL: 'ldap://dc' })).toThrow(/LDAP_STARTTLS/);
    expect(loadConfig({ ...base, LDAP_URL: 'ldap://dc', LDAP_ALLOW_INSECURE: 'true' }).env.LDAP_ALLOW_INSECURE).toBe(true);
    expect(() => loadConfig({ ...base, LDAP_URL: 'ldap://dc', LDAP_ALLOW_INSECURE: 'true', NODE_ENV: 'production' })).toThrow(/production/);
  });

  it('reads TRUST_PROXY as off, a hop count or proxy addresses, and refuses trusting every proxy', () => {
    expect(loadConfig(base).env.TRUST_PROXY).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: 'false' }).env.TRUST_PROXY).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).env.TRUST_PROXY).toBe(2);
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8,2001:db8::1' }).env.TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', '2001:db8::1']);
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'true' })).toThrow(/\[TRUST_PROXY\] true would let any client forge its address/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/33' })).toThrow(/\[TRUST_PROXY\] "10.0.0.0\/33" has a bad prefix length/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'proxy.school.test' })).toThrow(/\[TRUST_PROXY\] "proxy.school.test" is not an address/);
  });

  it('has HTTP timeouts and a connection cap by default, and refuses a headers timeout longer than the request timeout', () => {
    const { env } = loadConfig(base);
    expect([env.HTTP_HEADERS_TIMEOUT_MS, env.HTTP_REQUEST_TIMEOUT_MS, env.HTTP_KEEP_ALIVE_TIMEOUT_MS, env.HTTP_MAX_CONNECTIONS]).toEqual([
      20_000, 60_000, 5_000, 1000,
    ]);
    expect(() => loadConfig({ ...base, HTTP_HEADERS_TIMEOUT_MS: '90000', HTTP_REQUEST_TIMEOUT_MS: '60000' })).toThrow(
      /\[HTTP_HEADERS_TIMEOUT_MS\] must not exceed/,
    );
  });

  it('rejects unknown policy keys and bad values, naming them', () => {
    expect(() => parsePolicy('maxValidityDays: 10\nmaxValidtyDays: 5\n')).toThrow(/maxValidtyDays/);
    expect(() => parsePolicy('retentionDays: -1\n')).toThrow(/retentionDays/);
    expect(() => parsePolicy('sessions:\n  privilegedCommands: ["(unclosed"]\n')).toThrow(/regular expression/);
  });

  it('parses the documented default policy file', async () => {
    const { readFileSync } = await import('node:fs');
    const p = parsePolicy(readFileSync('config/policy.yaml', 'utf8'));
    expect(p.usernameTemplate).toBe('v-{vendor}-{person}');
  });
});
