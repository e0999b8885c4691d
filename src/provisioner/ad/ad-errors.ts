import { ResultCodeError } from 'ldapts';
import { DirectoryError, errorMessage } from '../../errors.js';
import { toDirectoryError } from '../ldap/ldap-errors.js';

/**
 * Active Directory explains a result code in its message: an 8-digit hex
 * Win32/DS error first (`0000052D: …`) and, for a failed bind, `data 52e`
 * (DIRECTORY.md). These say what happened; the LDAP code alone often does
 * not (53 is both "password too weak" and "member already removed").
 */
export interface AdDiagnostic {
  /** The LDAP result code, if the server answered. */
  code?: number;
  /** The leading hex error, upper case (`0000052D`). */
  adCode?: string;
  /** The sub-code of a failed bind (`52e`, `533`, `701`, `775`), lower case. */
  bindData?: string;
  message: string;
}

/** Known AD errors: what they mean in our terms, and whether trying again later can succeed. */
const AD_CODES: Record<string, { meaning: string; retryable: boolean }> = {
  // A connection whose bind was lost: a fresh connection fixes it.
  '000004DC': { meaning: 'the connection is no longer bound', retryable: true },
  '00002028': { meaning: 'the DC requires an encrypted connection for simple binds (use ldaps:// or StartTLS)', retryable: false },
  '0000052D': { meaning: 'the password does not satisfy the domain password policy', retryable: false },
  '00002077': { meaning: 'passwords can only be set over an encrypted connection (LDAPS or StartTLS)', retryable: false },
  '00002071': { meaning: 'the sAMAccountName is already in use in the domain', retryable: false },
  '0000202F': { meaning: 'the userPrincipalName is already in use in the forest', retryable: false },
  '00002035': { meaning: 'the directory refuses this change (linked or system attribute)', retryable: false },
  '00000005': { meaning: 'the service account lacks the rights for this', retryable: false },
  '0000200B': { meaning: 'a value is not valid for its attribute (syntax or length)', retryable: false },
  '00000525': { meaning: 'a DN named in the change does not exist', retryable: false },
  '0000208D': { meaning: 'the object does not exist', retryable: false },
};

/** What a failed bind's `data` sub-code means; 775 (locked out) lifts by itself, so it is worth retrying. */
const BIND_DATA: Record<string, { meaning: string; retryable: boolean }> = {
  '525': { meaning: 'no such user', retryable: false },
  '52e': { meaning: 'wrong password', retryable: false },
  '530': { meaning: 'logon not permitted at this time', retryable: false },
  '531': { meaning: 'logon not permitted from this workstation', retryable: false },
  '532': { meaning: 'password expired', retryable: false },
  '533': { meaning: 'account disabled', retryable: false },
  '701': { meaning: 'account expired', retryable: false },
  '773': { meaning: 'password must be changed', retryable: false },
  '775': { meaning: 'account locked out', retryable: true },
};

/** Pulls AD's diagnostic out of an ldapts error, directly or as the cause of a DirectoryError. */
export function adDiagnostic(err: unknown): AdDiagnostic {
  const source = err instanceof DirectoryError && err.cause instanceof ResultCodeError ? err.cause : err;
  const message = errorMessage(source);
  const code = source instanceof ResultCodeError ? source.code : err instanceof DirectoryError ? err.ldapCode : undefined;
  const adCode = /^([0-9A-F]{8}):/i.exec(message)?.[1]?.toUpperCase();
  const bindData = /\bdata ([0-9a-f]{3,8})\b/i.exec(message)?.[1]?.toLowerCase();
  return { ...(code !== undefined ? { code } : {}), ...(adCode ? { adCode } : {}), ...(bindData ? { bindData } : {}), message };
}

/**
 * Classifies a failure from an AD operation. The shared mapping decides
 * socket and result-code cases; AD's own code then sharpens the message and,
 * where it knows better, the retry decision.
 */
export function toAdDirectoryError(err: unknown, what: string): DirectoryError {
  const base = toDirectoryError(err, what);
  const diag = adDiagnostic(err);
  const known = (diag.bindData ? BIND_DATA[diag.bindData] : undefined) ?? (diag.adCode ? AD_CODES[diag.adCode] : undefined);
  if (!known) return base;
  const ref = diag.bindData ? `data ${diag.bindData}` : diag.adCode;
  return new DirectoryError(`${what}: ${known.meaning} (LDAP ${diag.code ?? '?'}, ${ref})`, known.retryable, base.ldapCode, { cause: base.cause ?? err });
}

/** Runs `op`, rethrowing any failure as an AD-classified DirectoryError. */
export async function adOp<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw toAdDirectoryError(err, what);
  }
}
