import { ResultCodeError } from 'ldapts';
import { DirectoryError, DirectoryUnavailable, LeaseholdError, errorMessage } from '../../errors.js';

/**
 * LDAP result codes worth retrying: the server is alive but cannot serve the
 * request now (timeLimitExceeded 3, busy 51, unavailable 52). Everything else
 * the server answered is permanent: retrying an invalid-credentials (49),
 * insufficient-access (50), unwilling-to-perform (53), constraint (19),
 * naming (64) or object-class (65) violation gives the same answer again.
 */
const RETRYABLE_RESULT_CODES = new Set([3, 51, 52]);

/** Socket-level failures: the directory (or the path to it) is down or slow. */
const RETRYABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * An operation failed because its connection went away: a socket error, a
 * close, a connect or an operation timeout. ldapts reports these as plain
 * Errors with neither class nor code, so LdapConnection, which sees the
 * socket (SocketWatch.lost), wraps them in this to be classified by class
 * rather than by message text. It never leaves LdapConnection:
 * toDirectoryError turns it into a retryable DirectoryError.
 */
export class ConnectionLost extends LeaseholdError {
  constructor(original: unknown) {
    super(errorMessage(original), { cause: original });
  }
}

/**
 * `err` as a ConnectionLost when the client's socket is gone (`socketLost`)
 * and the error says nothing more precise: an LDAP result, a Node error code
 * or our own classification are kept as they are.
 */
export function markIfLost(err: unknown, socketLost: boolean): unknown {
  if (!socketLost || err instanceof DirectoryError || err instanceof ResultCodeError || err instanceof ConnectionLost) return err;
  return typeof (err as { code?: unknown } | undefined)?.code === 'string' ? err : new ConnectionLost(err);
}

/**
 * The LDAP result code of a failure, whether it is still the ldapts error or
 * already a DirectoryError (adapters see both: LdapConnection maps errors).
 */
export function ldapResultCode(err: unknown): number | undefined {
  if (err instanceof DirectoryError) return err.ldapCode;
  if (err instanceof ResultCodeError) return err.code;
  return undefined;
}

/**
 * Classifies any failure from an LDAP operation as a DirectoryError.
 * `what` names the operation in domain terms (never a password).
 * A DirectoryError passes through unchanged.
 */
export function toDirectoryError(err: unknown, what: string): DirectoryError {
  if (err instanceof DirectoryError) return err;
  if (err instanceof ResultCodeError) {
    return new DirectoryError(`${what}: ${err.message}`, RETRYABLE_RESULT_CODES.has(err.code), err.code, { cause: err });
  }
  if (err instanceof ConnectionLost) return new DirectoryError(`${what}: ${err.message}`, true, undefined, { cause: err.cause });
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = e instanceof Error ? e.message : String(err);
  const tls = tlsTrouble(err, code, message);
  if (tls) return new DirectoryUnavailable(`${what}: the directory is unavailable: ${tls.reason}`, tls.reason, tls.fix, { cause: err });
  return new DirectoryError(`${what}: ${code ? `${code} ` : ''}${message}`, RETRYABLE_SOCKET_CODES.has(code), undefined, { cause: err });
}

/** Certificates that do not chain to a CA we were given. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
]);

const HANDSHAKE_FIX =
  "check that LDAP_URL's port speaks LDAPS (for ldap:// on port 389 set LDAP_STARTTLS=true instead) and that the directory offers TLS 1.2 or later";

/**
 * What is wrong with the TLS connection to the directory, and what to do
 * about it, in the words of the configuration; undefined when the failure
 * is not about TLS. These need a person — a CA file, a renewed certificate,
 * another host name — so they are reported as unavailability with the fix.
 */
function tlsTrouble(err: unknown, code: string, message: string): { reason: string; fix: string } | undefined {
  if (UNTRUSTED.has(code))
    return {
      reason: `its TLS certificate is not signed by a CA this service trusts (${code})`,
      fix: "set LDAP_CA_FILE to the CA that signed the directory's certificate (PEM), or have the directory send its full chain",
    };
  if (code === 'CERT_HAS_EXPIRED')
    return {
      reason: 'its TLS certificate has expired (CERT_HAS_EXPIRED)',
      fix: "renew the directory's certificate (and check that this host's clock is right)",
    };
  if (code === 'CERT_NOT_YET_VALID')
    return { reason: 'its TLS certificate is not valid yet (CERT_NOT_YET_VALID)', fix: "check this host's clock and the certificate's start date" };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = (err as { cert?: { subjectaltname?: string } }).cert?.subjectaltname;
    return {
      reason: `its TLS certificate does not name the host in LDAP_URL (${code}${names ? `; the certificate names ${names}` : ''})`,
      fix: "set LDAP_URL to a host name the directory's certificate names, or reissue the certificate for the name in LDAP_URL",
    };
  }
  if (code === 'CERT_REVOKED') return { reason: 'its TLS certificate has been revoked (CERT_REVOKED)', fix: 'install a new certificate on the directory' };
  if (/^(CERT_|ERR_TLS_CERT)/.test(code))
    return { reason: `its TLS certificate does not verify (${code})`, fix: "check the directory's certificate and LDAP_CA_FILE" };
  // A reset during the handshake ("socket disconnected before secure TLS connection was established") is left
  // to the socket rules: a directory restarting causes it as well, and that needs nobody.
  if (/^ERR_(SSL|TLS)_/.test(code) || code === 'EPROTO')
    return { reason: `the TLS handshake failed (${code ? `${code}: ` : ''}${message})`, fix: HANDSHAKE_FIX };
  return undefined;
}
