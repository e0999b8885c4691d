import { describe, expect, it } from 'vitest';
import { childDn, escapeDnValue, normalizeDn } from '../../src/provisioner/ldap/escape.js';

describe('DN escaping (RFC 4514)', () => {
  it('escapes the special characters, a leading # or space, a trailing space and NUL', () => {
    expect(escapeDnValue('a,b+c"d\\e<f>g;h')).toBe('a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h');
    expect(escapeDnValue('#lead')).toBe('\\#lead');
    expect(escapeDnValue(' both ')).toBe('\\ both\\ ');
    expect(escapeDnValue('nul\0x')).toBe('nul\\00x');
  });

  it('builds a child DN whose value cannot add RDNs', () => {
    expect(childDn('cn', 'evil,ou=admins', 'ou=groups,dc=t')).toBe('cn=evil\\,ou\\=admins,ou=groups,dc=t');
    expect(() => childDn('cn)(x', 'v', 'dc=t')).toThrow();
  });
});

describe('DN comparison', () => {
  it('ignores case and spaces around separators', () => {
    expect(normalizeDn('CN=Erp Support, OU=Groups,DC=X')).toBe(normalizeDn('cn=erp support,ou=groups,dc=x'));
  });
});
