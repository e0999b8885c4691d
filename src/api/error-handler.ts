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

/** Redis (ioredis) and plain socket failures: a dependency is down, not a bug. */
function isUnavailable(err: unknown): boolean {
  if (err instanceof DirectoryError) return err.retryable;
  const e = err as { code?: string; message?: string } | undefined;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e?.code ?? '') || /Connection is closed|MaxRetriesPerRequest|Stream isn't writeable/i.test(e?.message ?? '');
}

function render(err: unknown, logger: Logger, requestId: string, path: string): Rendered {
  if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message, details: err.details };
  if (err instanceof DirectoryUnavailable)
    // The connection logs what to fix once (ERROR); per request it is only a refusal.
    return { status: err.status, code: err.code, message: `the directory is unavailable: ${err.reason}`, details: [{ rule: 'directory_unavailable', message: err.fix }] };
  const bodyError = err as { type?: string; status?: number; message?: string };
  if (bodyError.type === 'entity.parse.failed') return { status: 400, code: 'malformed_json', message: 'the body is not valid JSON', details: [] };
  if (bodyError.type === 'entity.too.large') return { status: 413, code: 'payload_too_large', message: 'the body is too large', details: [] };
  if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500)
    return { status: bodyError.status, code: 'bad_request', message: bodyError.message ?? 'bad request', details: [] };
  if (isUnavailable(err)) {
    logger.warn('dependency unavailable', { requestId, path, error: String((err as Error).message) });
    return { status: 503, code: 'unavailable', message: 'a dependency is unavailable; try again', details: [] };
  }
  logger.error('unhandled error', { requestId, path, error: (err as Error)?.stack ?? String(err) });
  return { status: 500, code: 'internal', message: 'internal error', details: [] };
}

/**
 * The one error middleware (Express 5 forwards rejected promises here).
 * Client mistakes get their status; anything else is a 500 and logged.
 * Error bodies list at most MAX_ERROR_DETAILS details.
 */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = (res.locals.requestId as string | undefined) ?? randomUUID();
    const { status, code, message, details } = render(err, logger, requestId, req.path);
    if (status >= 400 && status < 500) logger.info('request refused', { requestId, status, code, path: req.path });
    if (!res.headersSent) res.status(status).json({ error: { code, message, ...capDetails(details) }, requestId });
  };
}
