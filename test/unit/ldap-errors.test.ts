import { AlreadyExistsError, BerReader, BusyError, ConstraintViolationError, InsufficientAccessError, InvalidCredentialsError, UnavailableError, UnwillingToPerformError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { DirectoryError } from '../../src/errors.js';
import { ldapResultCode, toDirectoryError } from '../../src/provisioner/ldap/ldap-errors.js';
import { encodePasswordModifyRequest } from '../../src/provisioner/ldap/password-modify.js';

const errno = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('classifying directory failures', () => {
  it('retries a busy or unavailable server', () => {
    for (const err of [new BusyError(), new UnavailableError()]) expect(toDirectoryError(err, 'op').retryable).toBe(true);
  });

  it('does not retry answers that would come back the same', () => {
    for (const err of [new InvalidCredentialsError(), new InsufficientAccessError(), new ConstraintViolationError(), new UnwillingToPerformError(), new AlreadyExistsError()]) {
      const mapped = toDirectoryError(err, 'op');
      expect(mapped.retryable).toBe(false);
      expect(mapped.ldapCode).toBe(err.code);
    }
  });

  it('retries lost, refused and timed-out connections', () => {
    for (const err of [errno('ECONNREFUSED'), errno('ECONNRESET'), new Error('AddRequest: Operation timed out'), new Error('Connection timeout'), new Error('Socket error. Message type: SearchRequest')])
      expect(toDirectoryError(err, 'op').retryable).toBe(true);
  });

  it('does not retry a certificate that fails verification', () => {
    for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT'])
      expect(toDirectoryError(errno(code, 'certificate problem'), 'op').retryable).toBe(false);
  });

  it('keeps a DirectoryError as it is and reads the result code of either kind', () => {
    const original = new DirectoryError('x', true, 52);
    expect(toDirectoryError(original, 'op')).toBe(original);
    expect(ldapResultCode(original)).toBe(52);
    expect(ldapResultCode(new AlreadyExistsError())).toBe(68);
    expect(ldapResultCode(new Error('x'))).toBeUndefined();
  });
});

describe('the RFC 3062 Password Modify request', () => {
  it('is a SEQUENCE of userIdentity [0] and newPasswd [2], UTF-8', () => {
    const value = encodePasswordModifyRequest('uid=a,dc=t', 'pässword');
    expect(value[0]).toBe(0x30);
    const reader = new BerReader(value);
    reader.readSequence();
    expect(reader.readString(0x80)).toBe('uid=a,dc=t');
    expect(reader.readString(0x82)).toBe('pässword');
    expect(reader.remain).toBe(0);
  });
});
