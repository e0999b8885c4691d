import { describe, expect, it } from 'vitest';
import { DirectoryError } from '../../src/errors.js';
import { assertSamAccountName, realmOf, samAccountNameProblem } from '../../src/provisioner/ad/ad-account-entry.js';
import { adDiagnostic, toAdDirectoryError } from '../../src/provisioner/ad/ad-errors.js';
import { decodeSid, encodeSid } from '../../src/provisioner/ad/ad-sid.js';
import { fromFileTime, toFileTime } from '../../src/provisioner/ad/ad-time.js';
import { isBuiltinPrivilegedSid } from '../../src/provisioner/ad/ad-privilege.js';
import { InvalidCredentialsError, UnwillingToPerformError } from 'ldapts';

const DOMAIN = 'S-1-5-21-1925120753-3245196807-944351572';

describe('AD values', () => {
  describe('FILETIME (accountExpires)', () => {
    it('writes 100-ns intervals since 1601 and reads them back to the millisecond', () => {
      const date = new Date('2031-05-06T07:08:09.123Z');
      expect(toFileTime(new Date(0))).toBe('116444736000000000');
      expect(fromFileTime(toFileTime(date))?.toISOString()).toBe(date.toISOString());
    });

    it('reads both spellings of "never" and garbage as no expiry', () => {
      expect(fromFileTime('0')).toBeUndefined();
      expect(fromFileTime('9223372036854775807')).toBeUndefined();
      expect(fromFileTime('soon')).toBeUndefined();
    });
  });

  describe('SIDs', () => {
    it('decodes the binary objectSid the DC sends and encodes it back', () => {
      const bytes = Buffer.from('010500000000000515000000c311fbaeb2f4e377aab32a964e040000', 'hex');
      expect(decodeSid(bytes)).toBe('S-1-5-21-2935689667-2011428018-2519380906-1102');
      expect(encodeSid('S-1-5-21-2935689667-2011428018-2519380906-1102').equals(bytes)).toBe(true);
      expect(decodeSid(encodeSid('S-1-5-32-544'))).toBe('S-1-5-32-544');
    });

    it('rejects truncated SIDs instead of guessing', () => {
      expect(decodeSid(Buffer.from('0105000000000005', 'hex'))).toBeUndefined();
      expect(() => encodeSid('Domain Admins')).toThrow();
    });
  });

  describe('the built-in privileged set', () => {
    it("holds the builtin operators and this domain's admin RIDs, including Key Admins that Samba 4.17 lacks", () => {
      for (const rid of [544, 548, 549, 550, 551, 552]) expect(isBuiltinPrivilegedSid(`S-1-5-32-${rid}`, DOMAIN)).toBe(true);
      for (const rid of [512, 516, 518, 519, 520, 521, 526, 527]) expect(isBuiltinPrivilegedSid(`${DOMAIN}-${rid}`, DOMAIN)).toBe(true);
    });

    it('counts forest-wide admin groups of another domain (the forest root) but not its Domain Admins', () => {
      const root = 'S-1-5-21-1-2-3';
      expect(isBuiltinPrivilegedSid(`${root}-519`, DOMAIN)).toBe(true);
      expect(isBuiltinPrivilegedSid(`${root}-518`, DOMAIN)).toBe(true);
      expect(isBuiltinPrivilegedSid(`${root}-512`, DOMAIN)).toBe(false);
    });

    it('leaves Domain Users, Users, Remote Desktop Users and ordinary groups out', () => {
      for (const sid of [`${DOMAIN}-513`, 'S-1-5-32-545', 'S-1-5-32-555', `${DOMAIN}-1105`]) expect(isBuiltinPrivilegedSid(sid, DOMAIN)).toBe(false);
    });
  });

  describe('sAMAccountName', () => {
    it('accepts 20 characters and refuses 21, forbidden characters, a final period and blank names', () => {
      expect(samAccountNameProblem('v-abcdefgh-ijklm-123')).toBeUndefined();
      expect(samAccountNameProblem('v-abcdefgh-ijklm-1234')).toMatch(/longer than 20/);
      for (const ch of '"/\\[]:;|=,+*?<>') expect(samAccountNameProblem(`v-a${ch}b`), ch).toMatch(/forbidden/);
      expect(samAccountNameProblem('v-a\u0001')).toMatch(/forbidden/);
      expect(samAccountNameProblem('v-a.')).toMatch(/period/);
      expect(samAccountNameProblem(' . ')).toMatch(/only of periods/);
      expect(() => assertSamAccountName('')).toThrow(DirectoryError);
    });

    it('derives the UPN suffix from the base DN', () => {
      expect(realmOf('DC=vendor,DC=test')).toBe('vendor.test');
      expect(realmOf('OU=x, dc=School , DC=Example,DC=org')).toBe('school.example.org');
    });
  });

  describe('AD error codes', () => {
    it('reads the hex code and the bind sub-code out of the message', () => {
      const err = new InvalidCredentialsError('80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 701, v1db1');
      expect(adDiagnostic(err)).toMatchObject({ code: 49, adCode: '80090308', bindData: '701' });
    });

    it('calls a password-policy refusal permanent and a locked-out service account worth retrying', () => {
      const policy = toAdDirectoryError(new UnwillingToPerformError('0000052D: Constraint violation - password too short'), 'set password');
      expect(policy.retryable).toBe(false);
      expect(policy.message).toMatch(/password policy/);
      const locked = toAdDirectoryError(
        new InvalidCredentialsError('80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v3839'),
        'bind',
      );
      expect(locked.retryable).toBe(true);
      expect(
        toAdDirectoryError(
          new Error('000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must be completed'),
          'search',
        ).retryable,
      ).toBe(true);
    });
  });
});
