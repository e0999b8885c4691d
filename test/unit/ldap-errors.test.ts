import {
  AlreadyExistsError,
  BerReader,
  BusyError,
  ConstraintViolationError,
  InsufficientAccessError,
  InvalidCredentialsError,
  UnavailableError,
  UnwillingToPerformError,
} from 'ldapts';
import { describe, expect, it } from 'vitest';
import { DirectoryError, DirectoryUnavailable } from '../../src/errors.js';
import { ConnectionLost, ldapResultCode, markIfLost, toDirectoryError } from '../../src/provisioner/ldap/ldap-errors.js';
import { SocketWatch } from '../../src/provisioner/ldap/socket-watch.js';
import { encodePasswordModifyRequest } from '../../src/provisioner/ldap/password-modify.js';

const errno = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('classifying directory failures', () => {
  it('retries a busy or unavailable server', () => {
    for (const err of [new BusyError(), new UnavailableError()]) expect(toDirectoryError(err, 'op').retryable).toBe(true);
  });

  it('does not retry answers that would come back the same', () => {
    for (const err of [
      new InvalidCredentialsError(),
      new InsufficientAccessError(),
      new ConstraintViolationError(),
      new UnwillingToPerformError(),
      new AlreadyExistsError(),
    ]) {
      const mapped = toDirectoryError(err, 'op');
      expect(mapped.retryable).toBe(false);
      expect(mapped.ldapCode).toBe(err.code);
    }
  });

  it('retries refused and reset connections by their code', () => {
    for (const err of [errno('ECONNREFUSED'), errno('ECONNRESET'), errno('ETIMEDOUT'), errno('EAI_AGAIN')])
      expect(toDirectoryError(err, 'op').retryable).toBe(true);
  });

  it('retries a plain ldapts failure when its socket is gone (timeout, socket error, close), whatever its text', () => {
    for (const text of ['AddRequest: Operation timed out', 'Connection timeout', 'Socket error. Message type: SearchRequest', 'something new in ldapts 9']) {
      const original = new Error(text);
      const marked = markIfLost(original, true);
      expect(marked, text).toBeInstanceOf(ConnectionLost);
      const mapped = toDirectoryError(marked, 'add uid=x');
      expect(mapped.retryable, text).toBe(true);
      expect(mapped.message).toBe(`add uid=x: ${text}`);
      expect(mapped.cause).toBe(original);
    }
  });

  it('does not retry a plain failure on a live socket, even one whose text sounds like a timeout', () => {
    for (const text of ['Filter cannot be empty', 'AddRequest: Operation timed out']) {
      const err = markIfLost(new Error(text), false);
      expect(err).not.toBeInstanceOf(ConnectionLost);
      expect(toDirectoryError(err, 'op').retryable, text).toBe(false);
    }
  });

  it('keeps what says more than a lost socket: a result code, a Node code, a classified error', () => {
    const answered = new InvalidCredentialsError();
    expect(markIfLost(answered, true)).toBe(answered);
    expect(toDirectoryError(markIfLost(answered, true), 'bind').retryable).toBe(false);
    const tlsFailure = errno('CERT_HAS_EXPIRED');
    expect(toDirectoryError(markIfLost(tlsFailure, true), 'ping')).toBeInstanceOf(DirectoryUnavailable);
    const classified = new DirectoryError('x', false);
    expect(markIfLost(classified, true)).toBe(classified);
  });

  it('reports a certificate that fails verification, or a failed handshake, as unavailability naming what to fix', () => {
    const cases: [string, RegExp, RegExp][] = [
      [
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        /not signed by a CA this service trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
        /set LDAP_CA_FILE to the CA that signed/,
      ],
      ['SELF_SIGNED_CERT_IN_CHAIN', /not signed by a CA/, /LDAP_CA_FILE/],
      ['DEPTH_ZERO_SELF_SIGNED_CERT', /not signed by a CA/, /LDAP_CA_FILE/],
      ['CERT_HAS_EXPIRED', /has expired/, /renew the directory's certificate/],
      ['ERR_TLS_CERT_ALTNAME_INVALID', /does not name the host in LDAP_URL/, /set LDAP_URL/],
      ['ERR_SSL_WRONG_VERSION_NUMBER', /TLS handshake failed/, /LDAP_STARTTLS/],
      ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', /TLS handshake failed/, /TLS 1\.2/],
    ];
    for (const [code, reason, fix] of cases) {
      const cause = errno(code, 'tls problem');
      const mapped = toDirectoryError(cause, 'ping');
      expect(mapped, code).toBeInstanceOf(DirectoryUnavailable);
      const unavailable = mapped as DirectoryUnavailable;
      expect(unavailable.reason, code).toMatch(reason);
      expect(unavailable.fix, code).toMatch(fix);
      expect(unavailable.status).toBe(503);
      expect(unavailable.cause).toBe(cause);
      // An outage like any other: jobs retry once someone has fixed it.
      expect(unavailable.retryable).toBe(true);
    }
  });

  it('names the host names a mismatched certificate carries', () => {
    const err = Object.assign(errno('ERR_TLS_CERT_ALTNAME_INVALID'), { cert: { subjectaltname: 'DNS:dc1.school.test' } });
    expect((toDirectoryError(err, 'ping') as DirectoryUnavailable).reason).toContain('the certificate names DNS:dc1.school.test');
  });

  it('leaves plain socket failures as they are', () => {
    expect(toDirectoryError(errno('ECONNREFUSED'), 'op')).not.toBeInstanceOf(DirectoryUnavailable);
  });

  it('keeps a DirectoryError as it is and reads the result code of either kind', () => {
    const original = new DirectoryError('x', true, 52);
    expect(toDirectoryError(original, 'op')).toBe(original);
    expect(ldapResultCode(original)).toBe(52);
    expect(ldapResultCode(new AlreadyExistsError())).toBe(68);
    expect(ldapResultCode(new Error('x'))).toBeUndefined();
  });
});

describe('the sockets of one LDAP client', () => {
  it('count as lost once ldapts destroys one, before any close event', () => {
    const watch = new SocketWatch();
    const socket = watch.plain({ port: 9, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    expect(watch.lost).toBe(false);
    socket.destroy();
    expect(watch.lost).toBe(true);
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
