import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parsePolicy } from '../../../src/config/load-config.js';
import { configEnv } from '../../support/config-env.js';

const { env: base, dir } = configEnv({ label: 'staff-config', dialect: 'openldap', tokenName: 'ops', policyYaml: '{}\n' });
const staffPassword = join(dir, 'staff-password');
writeFileSync(staffPassword, 'staff-secret\n');

describe('staff sign-in configuration', () => {
  it('defaults to the service directory, a Secure cookie, no Origin check and Taipei time', () => {
    const { env, policy: p, staffBindPassword } = loadConfig(base);
    expect(env).toMatchObject({ COOKIE_SECURE: true, TZ: 'Asia/Taipei' });
    expect(env.STAFF_LDAP_URL).toBeUndefined();
    expect(env.PUBLIC_URL).toBeUndefined();
    expect(staffBindPassword).toBeUndefined();
    expect(p.staff).toMatchObject({ idleMinutes: 30, absoluteHours: 10, roleRefreshMinutes: 5, roles: { requester: [], 'exception-approver': [] } });
  });

  it('needs a bind account, a password and a search base with STAFF_LDAP_URL, and reads the password file', () => {
    expect(() => loadConfig({ ...base, STAFF_LDAP_URL: 'ldaps://staff.school.test' })).toThrow(
      /STAFF_BIND_DN[\s\S]*STAFF_BIND_PASSWORD[\s\S]*STAFF_SEARCH_BASE/,
    );
    const config = loadConfig({
      ...base,
      STAFF_LDAP_URL: 'ldaps://staff.school.test',
      STAFF_BIND_DN: 'cn=reader,dc=staff,dc=test',
      STAFF_BIND_PASSWORD_FILE: staffPassword,
      STAFF_SEARCH_BASE: 'ou=people,dc=staff,dc=test',
    });
    expect(config.staffBindPassword).toBe('staff-secret');
  });

  it('refuses STAFF_* settings that would be ignored, a plaintext staff directory, and bad PUBLIC_URL, COOKIE_SECURE or TZ', () => {
    expect(() => loadConfig({ ...base, STAFF_BIND_DN: 'cn=reader,dc=x' })).toThrow(/\[STAFF_BIND_DN\] only used with STAFF_LDAP_URL/);
    expect(() =>
      loadConfig({ ...base, STAFF_LDAP_URL: 'ldap://staff', STAFF_BIND_DN: 'cn=r,dc=x', STAFF_BIND_PASSWORD: 'p', STAFF_SEARCH_BASE: 'dc=x' }),
    ).toThrow(/\[STAFF_LDAP_URL\] plaintext/);
    expect(() => loadConfig({ ...base, PUBLIC_URL: 'leasehold.school.test' })).toThrow(/\[PUBLIC_URL\]/);
    expect(() => loadConfig({ ...base, COOKIE_SECURE: 'maybe' })).toThrow(/\[COOKIE_SECURE\]/);
    expect(() => loadConfig({ ...base, TZ: 'Mars/Olympus' })).toThrow(/\[TZ\] must be an IANA time zone/);
    expect(loadConfig({ ...base, COOKIE_SECURE: 'false', TZ: 'UTC' }).env).toMatchObject({ COOKIE_SECURE: false, TZ: 'UTC' });
  });

  it('refuses unknown roles and bad lifetimes in policy.staff', () => {
    expect(() => parsePolicy('staff:\n  roles:\n    superuser: [x]\n')).toThrow(/superuser/);
    expect(() => parsePolicy('staff:\n  idleMinutes: 0\n')).toThrow(/idleMinutes/);
    expect(parsePolicy('staff:\n  roles:\n    approver: ["cn=sup,ou=groups,dc=x", supervisors]\n').staff.roles.approver).toEqual([
      'cn=sup,ou=groups,dc=x',
      'supervisors',
    ]);
  });
});
