import { describe, expect, it } from 'vitest';
import { escapeDnValue, firstRdnValue, normalizeDn, parentDn, parseDn, sameDn } from '../../src/provisioner/ldap/escape.js';

describe('DN parsing and comparison', () => {
  it('reads back every value escapeDnValue wrote, whatever it holds', () => {
    for (const value of ['a,b+c"d\\e<f>g;h=i', '#lead', ' lead', 'trail ', 'nul\0x', 'ü-é', '*()']) {
      expect(parseDn(`uid=${escapeDnValue(value)},ou=v,dc=t`)[0]).toEqual([{ type: 'uid', value }]);
    }
  });

  it('treats the server hex escapes and ours as the same DN', () => {
    // slapd answers uid=a\2Cb for uid=a\,b, and may hex-escape UTF-8 bytes.
    expect(sameDn('uid=a\\2Cb\\2Bc,OU=Vendors, dc=T', 'uid=a\\,b\\+c,ou=vendors,dc=t')).toBe(true);
    expect(sameDn('cn=\\C3\\BC', 'cn=ü')).toBe(true);
    expect(sameDn('cn=a\\,b,dc=t', 'cn=a,cn=b,dc=t')).toBe(false);
  });

  it('orders the parts of multi-valued RDNs and drops unescaped spaces around values', () => {
    expect(normalizeDn('cn=x + uid=y , dc=t')).toBe(normalizeDn('UID=y+CN=x,dc=t'));
    expect(normalizeDn('cn=x\\ ,dc=t')).not.toBe(normalizeDn('cn=x,dc=t'));
  });

  it('gives the first value and the parent', () => {
    expect(firstRdnValue('cn=Domain Admins\\, old,ou=g,dc=t')).toBe('Domain Admins, old');
    // Plain DNs take a path without parsing, with the same answers.
    for (const dn of ['uid=v.wang-01,ou=vendors,dc=t', 'cn=erp@x.test,dc=t', 'uid=solo']) expect(firstRdnValue(dn)).toBe(parseDn(dn)[0]![0]!.value);
    expect(parentDn('cn=a,ou=G\\2C1,dc=t')).toBe('ou=G\\,1,dc=t');
  });

  it('rejects a malformed DN', () => {
    expect(() => parseDn('cn=a,,dc=t')).toThrow(/malformed/);
    expect(() => parseDn('no-equals')).toThrow(/malformed/);
  });
});
