import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { z } from 'zod';
import { AppError, Forbidden, Unauthenticated, ValidationError } from '../errors.js';
import type { AuditInput } from '../audit/audit-event.js';
import type { Logger } from '../logger.js';
import type { TokenAuthenticator } from './auth.js';
import type { Actor, RouteSpec } from './route.js';

export interface AppDeps {
  routes: RouteSpec[];
  auth: TokenAuthenticator;
  logger: Logger;
  /** Records security events (auth failures, refusals) in the audit trail. */
  audit: (event: AuditInput) => Promise<void>;
  /** Requests per minute per client address; 0 = off. */
  rateLimitPerMinute?: number;
  bodyLimit?: string;
}

function zodDetails(error: z.ZodError, root: string) {
  return error.issues.map((i) => ({ field: [root, ...i.path.map(String)].join('.'), rule: i.code, message: i.message }));
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, root: string): T {
  if (!schema) return value as T;
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new ValidationError(`invalid ${root}`, zodDetails(result.error, root));
  return result.data;
}

function allowed(actor: Actor, roles: RouteSpec['roles']): boolean {
  return roles === 'public' || actor.roles.includes('admin') || actor.roles.some((r) => roles.includes(r));
}

/** Builds the express app from the route table. */
export function createApp(deps: AppDeps): express.Express {
  const { logger, auth } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(helmet());
  app.use((req, res, next) => {
    const id = randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  });
  if (deps.rateLimitPerMinute)
    app.use(rateLimit({ windowMs: 60_000, limit: deps.rateLimitPerMinute, standardHeaders: 'draft-7', legacyHeaders: false,
      handler: (_req, res) => { res.status(429).json({ error: { code: 'rate_limited', message: 'too many requests', details: [] }, requestId: res.locals.requestId as string }); } }));
  app.use(express.json({ limit: deps.bodyLimit ?? '2mb', strict: true, type: ['application/json', 'application/*+json'] }));

  for (const spec of deps.routes) {
    app[spec.method](spec.path, async (req: Request, res: Response) => {
      let actor: Actor = { name: 'anonymous', roles: [] };
      if (spec.roles !== 'public') {
        const found = auth.authenticate(req.get('authorization'));
        if (!found) {
          await deps.audit({ actor: 'anonymous', action: 'auth.failed', subject: `http:${spec.method.toUpperCase()} ${spec.path}`, outcome: 'refused', details: { ip: req.ip, requestId: res.locals.requestId } });
          throw new Unauthenticated('a valid bearer token is required');
        }
        actor = found;
        if (!allowed(actor, spec.roles)) {
          await deps.audit({ actor: actor.name, action: 'auth.forbidden', subject: `http:${spec.method.toUpperCase()} ${spec.path}`, outcome: 'refused', details: { roles: actor.roles, needs: spec.roles, requestId: res.locals.requestId } });
          throw new Forbidden(`role ${actor.roles.join(',')} may not ${spec.summary.toLowerCase()}`, [{ rule: 'role', message: `needs one of: ${spec.roles.join(', ')}, admin` }]);
        }
      }
      const body = spec.method === 'get' ? undefined : parse(spec.body, req.body, 'body');
      const query = parse(spec.query, spec.query ? { ...req.query } : undefined, 'query');
      const reply = await spec.handle({ actor, body, query, params: req.params as Record<string, string>, req, res });
      if (!reply) return;
      res.status(reply.status);
      if (reply.body === undefined) res.end();
      else res.json(reply.body);
    });
  }

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such endpoint', details: [] }, requestId: res.locals.requestId as string });
  });

  // Express 5 forwards rejected promises here. Client mistakes get their status; anything else is a 500 and logged.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = (res.locals.requestId as string | undefined) ?? randomUUID();
    const bodyError = err as { type?: string; status?: number; message?: string };
    let status = 500;
    let payload: { code: string; message: string; details: unknown[] };
    if (err instanceof AppError) {
      status = err.status;
      payload = { code: err.code, message: err.message, details: err.details };
    } else if (bodyError.type === 'entity.parse.failed') {
      status = 400;
      payload = { code: 'malformed_json', message: 'the body is not valid JSON', details: [] };
    } else if (bodyError.type === 'entity.too.large') {
      status = 413;
      payload = { code: 'payload_too_large', message: 'the body is too large', details: [] };
    } else if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
      status = bodyError.status;
      payload = { code: 'bad_request', message: bodyError.message ?? 'bad request', details: [] };
    } else if (isUnavailable(err)) {
      status = 503;
      payload = { code: 'unavailable', message: 'a dependency is unavailable; try again', details: [] };
      logger.warn('dependency unavailable', { requestId, path: req.path, error: String((err as Error).message) });
    } else {
      payload = { code: 'internal', message: 'internal error', details: [] };
      logger.error('unhandled error', { requestId, path: req.path, error: (err as Error)?.stack ?? String(err) });
    }
    if (status >= 400 && status < 500) logger.info('request refused', { requestId, status, code: payload.code, path: req.path });
    if (!res.headersSent) res.status(status).json({ error: payload, requestId });
  });
  return app;
}

function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; retryable?: boolean; message?: string };
  return (
    (e?.name === 'DirectoryError' && e.retryable === true) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e?.code ?? '') ||
    /Connection is closed|MaxRetriesPerRequest|Stream isn't writeable/i.test(e?.message ?? '')
  );
}
