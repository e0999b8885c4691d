import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/env.schema.js';

const env = (dialect: 'ad' | 'openldap', bindName: string) => ({
  LDAP_URL: 'ldaps://dc.school.test',
  LDAP_DIALECT: dialect,
  LDAP_BIND_DN: bindName,
  LDAP_BIND_PASSWORD: 'secret',
  LDAP_BASE_DN: 'dc=school,dc=test',
  LDAP_VENDOR_OU: 'ou=vendors,dc=school,dc=test',
  API_TOKENS_FILE: 'tokens.json',
  CREDENTIALS_KEY: 'k',
});

/** The problems zod reports for LDAP_BIND_DN, as `[LDAP_BIND_DN] message` lines. */
const bindProblems = (dialect: 'ad' | 'openldap', bindName: string): string[] => {
  const parsed = envSchema.safeParse(env(dialect, bindName));
  return parsed.success ? [] : parsed.error.issues.filter((i) => i.path[0] === 'LDAP_BIND_DN').map((i) => `[LDAP_BIND_DN] ${i.message}`);
};

describe('LDAP_BIND_DN', () => {
  const dn = 'CN=svc-leasehold,OU=Service Accounts,DC=school,DC=local';
  const upn = 'svc-leasehold@school.local';
  const downLevel = 'SCHOOL\\svc-leasehold';

  it('accepts a DN, a user principal name and a DOMAIN\\name logon name with LDAP_DIALECT=ad', () => {
    for (const name of [dn, upn, downLevel, 'VENDOR\\Administrator', 'cn=svc,dc=school,dc=test', 'SCHOOL\\gmsa-leasehold$'])
      expect(bindProblems('ad', name), name).toEqual([]);
    expect(envSchema.parse(env('ad', downLevel)).LDAP_BIND_DN).toBe(downLevel);
  });

  it('accepts only a DN with LDAP_DIALECT=openldap, and says why the other forms are refused', () => {
    expect(bindProblems('openldap', 'cn=admin,dc=school,dc=test')).toEqual([]);
    expect(bindProblems('openldap', upn)).toEqual([
      expect.stringMatching(/^\[LDAP_BIND_DN\] must be a distinguished name .*user principal name works only with LDAP_DIALECT=ad/),
    ]);
    expect(bindProblems('openldap', downLevel)).toEqual([
      expect.stringMatching(/^\[LDAP_BIND_DN\] must be a distinguished name .*DOMAIN\\name logon name works only with LDAP_DIALECT=ad/),
    ]);
  });

  it('refuses what is none of the three forms, in either dialect, naming the field', () => {
    for (const name of [
      'svc-leasehold',
      'svc leasehold@school.local',
      '@school.local',
      'svc@',
      'SCHOOL\\',
      'SCHOOL\\a\\b',
      'SCHOOL\\svc:1',
      'cn=,=x',
      'x'.repeat(16) + '\\svc',
      'SCHOOL\\' + 'n'.repeat(21),
    ]) {
      expect(bindProblems('ad', name), name).toEqual([
        expect.stringMatching(
          /^\[LDAP_BIND_DN\] must be a distinguished name \(CN=…,DC=…\), a user principal name \(name@domain\) or a down-level logon name \(DOMAIN\\name\)$/,
        ),
      ]);
      expect(bindProblems('openldap', name), name).toEqual([expect.stringMatching(/^\[LDAP_BIND_DN\] must be a distinguished name/)]);
    }
  });
});
