import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../config/load-config.js';
import type { RequestOrigin } from '../staff/staff-auth.service.js';

/** Who is calling: a token's name and roles, or a signed-in staff member's login name and directory roles. */
export interface Actor {
  name: string;
  roles: Role[];
  /** How the caller authenticated: a bearer token or a staff session cookie; absent for anonymous callers. */
  via?: 'token' | 'session';
}

/** Where a request came from (client address, request id): for the sign-in throttle and the audit trail. */
export function requestOrigin(req: Request, res: Response): RequestOrigin {
  return { ip: req.ip ?? 'unknown', requestId: res.locals.requestId as string };
}

export interface HandlerContext<B, Q> {
  actor: Actor;
  body: B;
  query: Q;
  params: Record<string, string>;
  req: Request;
  res: Response;
}

export interface Reply {
  status: number;
  body?: unknown;
}

/** One documented response: what it means and the zod schema of its body (api/response.schema.ts). */
export interface ResponseSpec {
  description: string;
  /** The body; omit only for a response without one (204). */
  schema?: z.ZodType;
  /** Media types of the body; default application/json. */
  contentTypes?: string[];
  /** A body schema per media type, when they differ (an HTML document or its content as JSON); overrides schema and contentTypes in the document. */
  media?: Record<string, z.ZodType>;
}

/**
 * One endpoint, declared once: the same zod schemas validate the request and
 * produce the OpenAPI document (api/build-openapi.ts).
 */
export interface RouteSpec<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express path, e.g. `/v1/requests/:id`. */
  path: string;
  /** Roles allowed (admin always is); `public` needs no token. */
  roles: Role[] | 'public';
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  /** False for probes and scrapes (/healthz, /readyz, /metrics): never rate limited. */
  rateLimited?: boolean;
  /** A tighter limit of its own, per client address and minute (e.g. the public pickup of a password). */
  limitPerMinute?: number;
  /**
   * Names the operation in the OpenAPI document, unique across the API
   * (test/unit/openapi.test.ts): the console's typed client calls it by this
   * name, so renaming one is a breaking change.
   */
  operationId: string;
  /** Documented responses besides errors; every one with a body has its schema (test/unit/openapi.test.ts). */
  responses: Record<number, ResponseSpec>;
  handle: (ctx: HandlerContext<z.output<B>, z.output<Q>>) => Promise<Reply | void>;
}

/** Keeps the generic types of a route while collecting heterogeneous routes in one array. */
export function route<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType>(spec: RouteSpec<B, Q>): RouteSpec {
  return spec;
}
