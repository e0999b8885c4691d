/**
 * The error hierarchy. Each class carries its HTTP status; the API's error
 * middleware renders them, jobs classify them (permanent vs transient).
 */
export interface ErrorDetail {
  /** The field (path) or policy rule concerned. */
  field?: string;
  rule?: string;
  message: string;
  [key: string]: unknown;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly code = 'validation_failed';
}
export class Unauthenticated extends AppError {
  readonly status = 401;
  readonly code = 'unauthenticated';
}
export class Forbidden extends AppError {
  readonly status = 403;
  readonly code = 'forbidden';
}
export class NotFound extends AppError {
  readonly status = 404;
  readonly code = 'not_found';
}
export class Conflict extends AppError {
  readonly status = 409;
  readonly code = 'conflict';
}
export class Gone extends AppError {
  readonly status = 410;
  readonly code = 'gone';
}
export class PayloadTooLarge extends AppError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}
export class PolicyViolation extends AppError {
  readonly status = 422;
  readonly code = 'policy_violation';
}

/**
 * Directory failures, classified so that jobs know whether to retry.
 * `retryable` errors (server busy or unreachable, socket closed) are retried
 * with backoff; the others stop the job.
 */
export class DirectoryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly ldapCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DirectoryError';
  }
}

/**
 * The directory cannot be used until someone acts on our side or on its
 * side — above all TLS: a certificate that does not verify against the
 * configured CA, has expired or names another host, or a failed handshake.
 * It is an outage, not a bad request: 503 on the API, not ready on /readyz,
 * and jobs retry with backoff (an expired certificate gets renewed, a wrong
 * CA file replaced). `reason` says what is wrong, `fix` what to do about it;
 * `cause` keeps the original socket error.
 */
export class DirectoryUnavailable extends DirectoryError {
  readonly status = 503;
  readonly code = 'directory_unavailable';
  constructor(
    message: string,
    /** What is wrong, e.g. "its TLS certificate is not signed by a trusted CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)". */
    readonly reason: string,
    /** What to do, e.g. "set LDAP_CA_FILE to the CA that signed the directory's certificate". */
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, true, undefined, options);
    this.name = 'DirectoryUnavailable';
  }
}
