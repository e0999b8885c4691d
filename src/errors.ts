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
