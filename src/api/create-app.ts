import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { z } from 'zod';
import { Forbidden, Unauthenticated, ValidationError } from '../errors.js';
import type { AuditInput } from '../audit/audit-event.js';
import type { Logger } from '../logger.js';
import type { AuthFailure } from './auth-failure-audit.js';
import type { TokenAuthenticator } from './token-authenticator.js';
import { CONSOLE_CSP, consoleStatic } from './console-static.js';
import { csrfProblem, readSessionCookie } from '../staff/session-cookie.js';
import type { StaffAuthService } from '../staff/staff-auth.service.js';
import type { StaffSession } from '../staff/staff-session.js';
import { errorHandler } from './error-handler.js';
import { StaffRefused } from '../staff/staff-errors.js';
import { badTextDetails, zodDetails } from './input-checks.js';
import { requestOrigin, type Actor, type RouteSpec } from './route.js';

export interface AppDeps {
  routes: RouteSpec[];
  auth: TokenAuthenticator;
  logger: Logger;
  /** Records security events (refusals) in the audit trail. */
  audit: (event: AuditInput) => Promise<void>;
  /**
   * Records a failed authentication; aggregated per address and minute
   * (api/auth-failure-audit.ts). Without it each failure is audited on its own,
   * which only suits an app built alone in a test.
   */
  authFailures?: { failed(failure: AuthFailure): Promise<void> };
  /** Requests per minute per client address; 0 = off. */
  rateLimitPerMinute?: number;
  bodyLimit?: string;
  /** express's `trust proxy` (TRUST_PROXY): false, a hop count, or proxy addresses/CIDR ranges. */
  trustProxy?: false | number | string[];
  /** True while a Redis connection the API uses is not ready: a request failing then is answered 503, not 500. */
  redisDown?: () => boolean;
  /** Staff sessions (cookie `leasehold_session`); without it only bearer tokens authenticate. */
  staff?: Pick<StaffAuthService, 'resume'>;
  /** PUBLIC_URL's origin: cookie-authenticated writes must carry it as Origin. */
  publicOrigin?: string;
  /** The built web console (api/console-static.ts); default dist/web. */
  consoleDir?: string;
}

/** Methods that change something: with a session cookie they need the CSRF token (and Origin). */
const WRITES = new Set(['post', 'patch', 'delete', 'put']);

/** Query strings of routes that declare none: strict, so that any parameter is refused by name. */
const NO_QUERY = z.strictObject({});

/** A route's query schema must refuse unknown parameters; checked once, when the app is built. */
function strictQuery(spec: RouteSpec): z.ZodType {
  const schema = spec.query ?? NO_QUERY;
  const catchall = schema instanceof z.ZodObject ? (schema._zod.def.catchall as z.ZodType | undefined) : undefined;
  if (!(catchall instanceof z.ZodNever)) throw new Error(`${spec.method.toUpperCase()} ${spec.path}: the query schema must be a z.strictObject`);
  return schema;
}

/**
 * Validates one part of the request: text sanity for every string first
 * (api/input-checks.ts), then the route's schema.
 */
function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, root: string): T {
  const bad = badTextDetails(value, root);
  if (bad.length > 0) throw new ValidationError(`invalid ${root}`, bad);
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
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(helmet({ contentSecurityPolicy: CONSOLE_CSP }));
  app.use((_req, res, next) => {
    const id = randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  });
  if (deps.rateLimitPerMinute) {
    // Probes and scrapes must see the truth even while a client is being throttled.
    // Express routes ignore case and a trailing slash; so does this check.
    const routeKey = (path: string) => path.toLowerCase().replace(/(.)\/+$/, '$1');
    const unlimited = new Set(deps.routes.filter((r) => r.rateLimited === false).map((r) => routeKey(r.path)));
    let warned = false;
    app.use(
      rateLimit({
        windowMs: 60_000,
        limit: deps.rateLimitPerMinute,
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        skip: (req) => unlimited.has(routeKey(req.path)),
        // The library would print its own warning to the console; ours goes to the log, once.
        validate: { xForwardedForHeader: false },
        handler: (req, res) => {
          if (!warned && !deps.trustProxy && req.get('x-forwarded-for')) {
            warned = true;
            logger.warn('X-Forwarded-For received but TRUST_PROXY is off: the rate limit and the audit see the proxy, not the client');
          }
          res.status(429).json({ error: { code: 'rate_limited', message: 'too many requests', details: [] }, requestId: res.locals.requestId as string });
        },
      }),
    );
  }
  // Bodies are read only once the caller is known: an anonymous client gets its 401 before any byte of its body is parsed.
  const json = express.json({ limit: deps.bodyLimit ?? '2mb', strict: true, type: ['application/json', 'application/*+json'] });

  const failed = async (req: Request, res: Response, spec: RouteSpec) => {
    const { ip, requestId } = requestOrigin(req, res);
    const failure: AuthFailure = { ip, method: spec.method.toUpperCase(), path: spec.path, requestId };
    if (deps.authFailures) await deps.authFailures.failed(failure);
    else await deps.audit({ actor: 'anonymous', action: 'auth.failed', subject: `ip:${failure.ip}`, outcome: 'refused', details: { ...failure, count: 1 } });
  };

  /**
   * The caller: a bearer token when an Authorization header is sent (machines; the cookie is then ignored),
   * otherwise the staff session its cookie names. A cookie-authenticated write must pass the CSRF check.
   */
  const identify = async (req: Request, res: Response, spec: RouteSpec): Promise<Actor | null> => {
    const header = req.get('authorization');
    if (header !== undefined || !deps.staff) {
      const actor = await auth.authenticate(header);
      return actor && { ...actor, via: 'token' };
    }
    const id = readSessionCookie(req.get('cookie'));
    const origin = requestOrigin(req, res);
    const session = id === undefined ? null : await deps.staff.resume(id, origin);
    if (!session) return null;
    if (WRITES.has(spec.method)) {
      const problem = csrfProblem(req, session, deps.publicOrigin);
      if (problem) {
        await deps.audit({
          actor: session.name,
          action: 'auth.csrf_refused',
          subject: `http:${spec.method.toUpperCase()} ${spec.path}`,
          outcome: 'refused',
          details: { problem, ...origin },
        });
        throw new StaffRefused('csrf', problem);
      }
    }
    res.locals.staffSession = session satisfies StaffSession;
    return { name: session.name, roles: session.roles, via: 'session' };
  };

  for (const spec of deps.routes) {
    const querySchema = strictQuery(spec);
    const authenticate: RequestHandler = async (req, res, next) => {
      res.locals.actor = { name: 'anonymous', roles: [] } satisfies Actor;
      if (spec.roles === 'public') return next();
      const actor = await identify(req, res, spec);
      if (!actor) {
        await failed(req, res, spec);
        throw new Unauthenticated('a valid bearer token or staff session is required');
      }
      if (!allowed(actor, spec.roles)) {
        await deps.audit({
          actor: actor.name,
          action: 'auth.forbidden',
          subject: `http:${spec.method.toUpperCase()} ${spec.path}`,
          outcome: 'refused',
          details: { roles: actor.roles, needs: spec.roles, requestId: res.locals.requestId },
        });
        throw new Forbidden(`role ${actor.roles.join(',')} may not ${spec.summary.toLowerCase()}`, [
          { rule: 'role', message: `needs one of: ${spec.roles.join(', ')}, admin` },
        ]);
      }
      res.locals.actor = actor;
      next();
    };
    const handle = async (req: Request, res: Response) => {
      const params = parse<Record<string, string>>(undefined, req.params, 'params');
      const query = parse(querySchema, { ...req.query }, 'query');
      const body = spec.method === 'get' ? undefined : parse(spec.body, req.body, 'body');
      const reply = await spec.handle({ actor: res.locals.actor as Actor, body, query, params, req, res });
      if (!reply) return;
      res.status(reply.status);
      if (reply.body === undefined) res.end();
      else res.json(reply.body);
    };
    const ownLimit = spec.limitPerMinute
      ? [
          rateLimit({
            windowMs: 60_000,
            limit: spec.limitPerMinute,
            standardHeaders: 'draft-7',
            legacyHeaders: false,
            validate: { xForwardedForHeader: false },
            handler: (_req, res) => {
              res.status(429).json({ error: { code: 'rate_limited', message: 'too many requests', details: [] }, requestId: res.locals.requestId as string });
            },
          }),
        ]
      : [];
    app[spec.method](spec.path, ...ownLimit, authenticate, ...(spec.method === 'get' ? [] : [json]), handle);
  }

  app.use(consoleStatic({ dir: deps.consoleDir }));
  app.use((_req: Request, res: Response, _next: NextFunction) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such endpoint', details: [] }, requestId: res.locals.requestId as string });
  });
  app.use(errorHandler({ logger, redisDown: deps.redisDown }));
  return app;
}
