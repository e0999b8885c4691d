/**
 * The one error hierarchy. Every error the service raises on purpose is a
 * LeaseholdError; boundaries tell them apart with `instanceof`, never by name
 * or message text.
 *
 *   LeaseholdError
 *   ├─ AppError                 HTTP status + code; api/error-handler.ts renders it
 *   │    ValidationError 400, Unauthenticated 401, Forbidden 403, NotFound 404,
 *   │    Conflict 409, Gone 410, PayloadTooLarge 413, PolicyViolation 422
 *   ├─ DirectoryError           retryable or not, with the LDAP result code
 *   │    └─ DirectoryUnavailable  503 directory_unavailable, with the reason and the fix
 *   ├─ JobError                 permanent or transient; queues/worker-host.ts turns a
 *   │    PermanentJobError       permanent one into BullMQ's UnrecoverableError
 *   │    TransientJobError       (e.g. ProvisioningInProgress)
 *   └─ OperatorError            someone running the program must act: the message is
 *        ConfigError 78          printed without a stack and the process exits with
 *        UsageError 64           `exitCode` (main.ts, cli.ts; e.g. ReanchorRefused 1)
 *
 * Classes that belong to one feature (ProvisioningInProgress, ReanchorRefused,
 * AuditValueError) live beside their code and extend one of these. This
 * module imports nothing, so that any layer may use it.
 */

/** The root: its `name` is the class's own, for logs. */
export class LeaseholdError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ErrorDetail {
  /** The field (path) or policy rule concerned. */
  field?: string;
  rule?: string;
  message: string;
  [key: string]: unknown;
}

/** An answer to an API client: its HTTP status and error code are on the class. */
export abstract class AppError extends LeaseholdError {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
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
export class DirectoryError extends LeaseholdError {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly ldapCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
  }
}

/**
 * A job's failure, classified: a permanent one stops the job at once (its
 * attempts are not used up on a failure that would come back the same), a
 * transient one is retried with backoff like any unknown error.
 */
export abstract class JobError extends LeaseholdError {
  abstract readonly permanent: boolean;
}

/** A job failure that retrying cannot cure: the job gives up at once. */
export class PermanentJobError extends JobError {
  readonly permanent = true;
}

/** A job that cannot run yet but will be able to: retried with backoff. */
export class TransientJobError extends JobError {
  readonly permanent = false;
}

/** What to log or show of a thrown value: its message, or the value itself as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether retrying cannot cure a failure: a permanent JobError, or a DirectoryError that is not retryable. */
export function isPermanentFailure(err: unknown): err is JobError | DirectoryError {
  return (err instanceof JobError && err.permanent) || (err instanceof DirectoryError && !err.retryable);
}

/** Exit statuses of main.ts and the operator CLI: sysexits(3) where one fits. */
export const EXIT = { ok: 0, broken: 1, usage: 64, noInput: 66, unavailable: 69, software: 70, config: 78 } as const;

/**
 * A failure that whoever runs the program must act on: reported as its
 * message alone (no stack trace) and ending the process with `exitCode`.
 */
export class OperatorError extends LeaseholdError {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The configuration is invalid: every problem listed as `[PATH] message` (STYLE.md §5). Exit 78. */
export class ConfigError extends OperatorError {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`, EXIT.config);
  }
}

/** A command line that makes no sense; the CLI prints its usage after the message. Exit 64. */
export class UsageError extends OperatorError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}
