import { ResultCodeError } from 'ldapts';
import { DirectoryError } from '../../errors.js';

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

/** ldapts reports a lost or timed-out connection with plain Errors; these are their messages. */
const RETRYABLE_MESSAGES = /Socket error|timed out|Connection timeout|Socket connection not established|connection closed/i;

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
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = e instanceof Error ? e.message : String(err);
  // TLS verification failures are configuration problems: retrying cannot fix a wrong CA.
  const tlsProblem = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_SSL_)/.test(code);
  const retryable = !tlsProblem && (RETRYABLE_SOCKET_CODES.has(code) || RETRYABLE_MESSAGES.test(message));
  return new DirectoryError(`${what}: ${code ? `${code} ` : ''}${message}`, retryable, undefined, { cause: err });
}
