import { z } from 'zod';
import { ROLES } from '../../config/load-config.js';
import { SESSION_COOKIE, sessionCookieOptions } from '../../staff/session-cookie.js';
import type { StaffAuthService } from '../../staff/staff-auth.service.js';
import { StaffRefused } from '../../staff/staff-errors.js';
import { sessionExpiresAt, type SessionLimits, type StaffSession } from '../../staff/staff-session.js';
import { requestOrigin, route, type Actor, type RouteSpec } from '../route.js';

const loginSchema = z.strictObject({
  username: z.string().trim().min(1).max(256),
  // Never empty: an empty password is an unauthenticated bind, which the directory "accepts" as nobody.
  password: z.string().min(1).max(1024),
});

const meSchema = z.object({
  name: z.string(),
  displayName: z.string(),
  roles: z.array(z.enum(ROLES)),
  /** The X-CSRF-Token every cookie-authenticated write must carry; null for a bearer token. */
  csrfToken: z.string().nullable(),
});
const staffSessionSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
  ip: z.string(),
  roles: z.array(z.enum(ROLES)),
});

/** What a signed-in person (or the console) learns about the session: never its id. */
function meView(session: StaffSession) {
  return { name: session.name, displayName: session.displayName, roles: session.roles, csrfToken: session.csrfToken };
}

/** Staff sign-in (issue 11): login, who am I, logout, and an administrator's view of someone's sessions. */
export function authRoutes(deps: { staff: StaffAuthService; cookieSecure: boolean; limits: SessionLimits; publicOrigin?: string }): RouteSpec[] {
  const { staff } = deps;
  const everyone = [...ROLES];
  return [
    route({
      method: 'post',
      path: '/v1/auth/login',
      roles: 'public',
      tag: 'auth',
      summary: 'Sign in with a directory account',
      body: loginSchema,
      operationId: 'login',
      responses: { 200: { description: 'signed in; sets the leasehold_session cookie', schema: meSchema } },
      handle: async ({ body, req, res }) => {
        // Login forgery (another site signing the browser in as someone else): a browser's Origin must be ours.
        const from = req.get('origin');
        if (deps.publicOrigin !== undefined && from !== undefined && from !== deps.publicOrigin)
          throw new StaffRefused('csrf', `the request does not come from ${deps.publicOrigin} (Origin)`);
        const { id, session } = await staff.login(body.username, body.password, requestOrigin(req, res));
        res.cookie(SESSION_COOKIE, id, sessionCookieOptions(deps.cookieSecure));
        // The body carries the CSRF token: no cache keeps it.
        res.setHeader('Cache-Control', 'no-store');
        return { status: 200, body: meView(session) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/auth/me',
      roles: everyone,
      tag: 'auth',
      summary: 'The signed-in person (or token) and its roles',
      operationId: 'getMe',
      responses: { 200: { description: 'the caller', schema: meSchema } },
      handle: ({ actor, res }) => {
        const session = res.locals.staffSession as StaffSession | undefined;
        res.setHeader('Cache-Control', 'no-store');
        return Promise.resolve({ status: 200, body: session ? meView(session) : tokenView(actor) });
      },
    }),
    route({
      method: 'post',
      path: '/v1/auth/logout',
      roles: everyone,
      tag: 'auth',
      summary: 'End the staff session',
      operationId: 'logout',
      responses: { 204: { description: 'signed out (a bearer token has no session: nothing changes)' } },
      handle: async ({ req, res }) => {
        const session = res.locals.staffSession as StaffSession | undefined;
        if (session) await staff.logout(session, requestOrigin(req, res));
        res.clearCookie(SESSION_COOKIE, sessionCookieOptions(deps.cookieSecure));
        return { status: 204 };
      },
    }),
    route({
      method: 'get',
      path: '/v1/auth/staff/:name/sessions',
      roles: ['admin'],
      tag: 'auth',
      summary: "List a staff member's live sessions",
      operationId: 'listStaffSessions',
      responses: { 200: { description: 'the live sessions', schema: z.object({ items: z.array(staffSessionSchema) }) } },
      handle: async ({ params }) => {
        const sessions = await staff.sessionsOf(params.name!);
        const at = (ms: number) => new Date(ms).toISOString();
        return {
          status: 200,
          body: {
            items: sessions.map((s) => ({
              // A prefix of the id's hash: tells sessions apart, signs nobody in.
              id: s.idHash.slice(0, 16),
              createdAt: at(s.createdAt),
              lastSeenAt: at(s.lastSeenAt),
              expiresAt: at(sessionExpiresAt(s, deps.limits)),
              ip: s.ip,
              roles: s.roles,
            })),
          },
        };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/auth/staff/:name/sessions',
      roles: ['admin'],
      tag: 'auth',
      summary: "End all of a staff member's sessions",
      operationId: 'revokeStaffSessions',
      responses: { 200: { description: 'how many sessions ended', schema: z.object({ revoked: z.number().int() }) } },
      handle: async ({ actor, params, req, res }) => ({
        status: 200,
        body: { revoked: await staff.revokeAll(actor.name, params.name!, requestOrigin(req, res)) },
      }),
    }),
  ];
}

/** A bearer token's view of itself: no display name of its own, no CSRF token (tokens need none). */
function tokenView(actor: Actor) {
  return { name: actor.name, displayName: actor.name, roles: actor.roles, csrfToken: null };
}
