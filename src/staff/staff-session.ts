import type { StaffRole } from './staff-roles.js';

/** A signed-in staff member's server-side session (stored by StaffSessionStore, keyed by a hash of its id). */
export interface StaffSession {
  /** SHA-256 of the session id: the id itself is only ever in the cookie. */
  idHash: string;
  name: string;
  dn: string;
  displayName: string;
  roles: StaffRole[];
  csrfToken: string;
  /** Client address at sign-in. */
  ip: string;
  /** Epoch milliseconds. */
  createdAt: number;
  lastSeenAt: number;
  rolesCheckedAt: number;
}

/** policy.staff in milliseconds. */
export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
  roleRefreshMs: number;
}

export type SessionVerdict = 'idle' | 'absolute' | 'refresh' | 'ok';

/**
 * What a request finds its session in at `now`: ended by idleness or by
 * its absolute lifetime, due for a role re-read, or fine. Pure, on the
 * caller's clock, so that the rules are tested without waiting.
 */
export function sessionVerdict(session: StaffSession, now: number, limits: SessionLimits): SessionVerdict {
  if (now >= session.createdAt + limits.absoluteMs) return 'absolute';
  if (now >= session.lastSeenAt + limits.idleMs) return 'idle';
  if (now >= session.rolesCheckedAt + limits.roleRefreshMs) return 'refresh';
  return 'ok';
}

/** When the session ends unless used again: the earlier of its idle and absolute ends. */
export function sessionExpiresAt(session: StaffSession, limits: SessionLimits): number {
  return Math.min(session.lastSeenAt + limits.idleMs, session.createdAt + limits.absoluteMs);
}
