import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError, DirectoryError, DirectoryUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import { capDetails } from './input-checks.js';

interface Rendered {
  status: number;
  code: string;
  message: string;
  details: unknown[];
}

/** Node's codes for a socket that could not connect or broke. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/**
 * A dependency is down, not a bug: a retryable directory failure, a broken
 * socket, or any failure while Redis is not connected. ioredis reports a lost
 * connection with plain Errors ("Connection is closed.", a used-up
 * maxRetriesPerRequest, or a wrapped one such as the transactor's), so the
 * connection's state decides rather than their text.
 */
function isUnavailable(err: unknown, redisDown: () => boolean): boolean {
  if (err instanceof DirectoryError) return err.retryable;
  const code = (err as { code?: unknown } | undefined)?.code;
  return (typeof code === 'string' && SOCKET_CODES.has(code)) || redisDown();
}

function render(err: unknown, deps: ErrorHandlerDeps, requestId: string, path: string): Rendered {
  const { logger, redisDown = () => false } = deps;
  if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message, details: err.details };
  if (err instanceof DirectoryUnavailable)
    // The connection logs what to fix once (ERROR); per request it is only a refusal.
    return {
      status: err.status,
      code: err.code,
      message: `the directory is unavailable: ${err.reason}`,
      details: [{ rule: 'directory_unavailable', message: err.fix }],
    };
  const bodyError = err as { type?: string; status?: number; message?: string };
  if (bodyError.type === 'entity.parse.failed') return { status: 400, code: 'malformed_json', message: 'the body is not valid JSON', details: [] };
  if (bodyError.type === 'entity.too.large') return { status: 413, code: 'payload_too_large', message: 'the body is too large', details: [] };
  if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500)
    return { status: bodyError.status, code: 'bad_request', message: bodyError.message ?? 'bad request', details: [] };
  if (isUnavailable(err, redisDown)) {
    logger.warn('dependency unavailable', { requestId, path, error: String((err as Error).message) });
    return { status: 503, code: 'unavailable', message: 'a dependency is unavailable; try again', details: [] };
  }
  logger.error('unhandled error', { requestId, path, error: (err as Error)?.stack ?? String(err) });
  return { status: 500, code: 'internal', message: 'internal error', details: [] };
}

/** A pickup path carries its secret (/v1/pickup/<token>): the log gets the path without it. */
export function loggablePath(path: string): string {
  return path.replace(/^(\/v1\/pickup\/)[^/]+/i, '$1…');
}

export interface ErrorHandlerDeps {
  logger: Logger;
  /** True while a Redis connection the API uses is not ready; absent, Redis counts as up. */
  redisDown?: () => boolean;
}

/**
 * The one error middleware (Express 5 forwards rejected promises here).
 * The error's class decides (errors.ts): an AppError gets its status and
 * code, DirectoryUnavailable 503 with the fix, an outage 503; anything else
 * is a 500 whose message stays in the log, not in the body.
 * Error bodies list at most MAX_ERROR_DETAILS details.
 */
export function errorHandler(deps: ErrorHandlerDeps) {
  const { logger } = deps;
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = (res.locals.requestId as string | undefined) ?? randomUUID();
    const path = loggablePath(req.path);
    const { status, code, message, details } = render(err, deps, requestId, path);
    if (status >= 400 && status < 500) logger.info('request refused', { requestId, status, code, path });
    if (!res.headersSent) res.status(status).json({ error: { code, message, ...capDetails(details) }, requestId });
  };
}
