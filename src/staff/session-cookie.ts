import { timingSafeEqual } from 'node:crypto';
import type { CookieOptions, Request } from 'express';
import type { StaffSession } from './staff-session.js';

/** The staff session cookie (issue 11): the session id, opaque; the server keeps only its hash. */
export const SESSION_COOKIE = 'leasehold_session';

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Path=/, Secure unless COOKIE_SECURE=false. */
export function sessionCookieOptions(secure: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure };
}

/** The session id from a Cookie header, if it carries a well-formed one. */
export function readSessionCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{20,128}$/.test(value) ? value : undefined;
  }
  return undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Why a cookie-authenticated write is refused as cross-site request
 * forgery, or undefined when it carries the session's X-CSRF-Token and,
 * with PUBLIC_URL set, comes from that origin. SameSite=Strict already keeps
 * other sites' requests from carrying the cookie; the token and the Origin
 * hold where SameSite does not (older browsers, sibling subdomains).
 */
export function csrfProblem(req: Request, session: StaffSession, publicOrigin: string | undefined): string | undefined {
  const token = req.get('x-csrf-token');
  if (!token) return 'the X-CSRF-Token header is missing';
  if (!same(token, session.csrfToken)) return 'the X-CSRF-Token header does not match the session';
  if (publicOrigin !== undefined && req.get('origin') !== publicOrigin) return `the request does not come from ${publicOrigin} (Origin)`;
  return undefined;
}
