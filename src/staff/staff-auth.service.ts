import { randomBytes } from 'node:crypto';
import type { AuditInput } from '../audit/audit-event.js';
import { Unauthenticated } from '../errors.js';
import type { AuthFailure } from '../api/auth-failure-audit.js';
import { normalizeDn } from '../provisioner/ldap/escape.js';
import type { StaffAccount, StaffDirectory } from './staff-directory.js';
import { StaffRefused, TooManyAttempts } from './staff-errors.js';
import { rolesFor, type StaffRole, type StaffRoleMapping } from './staff-roles.js';
import { sessionExpiresAt, sessionVerdict, type SessionLimits, type StaffSession } from './staff-session.js';
import type { StaffSessionStore } from './staff-session.store.js';
import type { LoginThrottle } from './login-throttle.js';
import { sha256Hex } from '../tokens/machine-token.js';

/** One message for every wrong password and unknown login: the answer must not tell which it was. */
export const LOGIN_FAILED = 'unknown login name or wrong password';

export interface StaffAuthDeps {
  directory: Pick<StaffDirectory, 'find' | 'current' | 'verifyPassword' | 'failLikeABind' | 'groupsOf'>;
  sessions: StaffSessionStore;
  throttle: LoginThrottle;
  roles: StaffRoleMapping;
  limits: SessionLimits;
  /** LDAP_VENDOR_OU: accounts below it never sign in. */
  vendorOu: string;
  audit: (event: AuditInput) => Promise<void>;
  /** The aggregated auth.failed audit the token path uses (api/auth-failure-audit.ts). */
  authFailures: { failed(failure: AuthFailure): Promise<void> };
  now: () => Date;
}

/** Where a request came from, for the throttle and the audit trail. */
export interface RequestOrigin {
  ip: string;
  requestId: string;
}

/** A session as handed out once at sign-in: the id goes into the cookie and is not kept. */
export interface NewSession {
  id: string;
  session: StaffSession;
}

/** The key a session is stored under: the same SHA-256 as a machine token's, so a copy of the store signs nobody in. */
export const hashSessionId = sha256Hex;

/** Whether `dn` lies below (or is) `ou`, compared parsed. */
function under(dn: string, ou: string): boolean {
  const d = normalizeDn(dn);
  const o = normalizeDn(ou);
  return d === o || d.endsWith(`,${o}`);
}

/**
 * Staff sign-in (issue 11 item 1): look the login up with the service
 * account, refuse vendor accounts before their password is tried, bind as
 * the account, map its (nested) groups to roles, and keep a server-side
 * session whose roles are read again from the directory every
 * `roleRefreshMs`. Wrong passwords and unknown logins take the same path
 * (a bind each) and get the same answer.
 */
export class StaffAuthService {
  constructor(private readonly deps: StaffAuthDeps) {}

  async login(login: string, password: string, origin: RequestOrigin): Promise<NewSession> {
    const { directory, throttle, audit } = this.deps;
    if (await throttle.blocked(login, origin.ip)) throw new TooManyAttempts('too many failed sign-ins; try again later');
    const account = await directory.find(login);
    if (!account) {
      await directory.failLikeABind(password);
      return this.failed(login, origin);
    }
    if (under(account.dn, this.deps.vendorOu)) {
      await throttle.failed(login, origin.ip);
      // Nobody proved who they are: the attempt is anonymous, the account its subject.
      await audit({ ...this.event(account.name, 'staff.login', 'refused', origin, { reason: 'vendor_account' }), actor: 'anonymous' });
      throw new StaffRefused('vendor_account', 'vendor accounts cannot sign in to Leasehold');
    }
    if (!(await directory.verifyPassword(account.dn, password))) return this.failed(login, origin);
    const roles = await this.rolesOf(account);
    if (roles.length === 0) {
      await audit(this.event(account.name, 'staff.login', 'refused', origin, { reason: 'no_role' }));
      throw new StaffRefused('no_role', 'your directory account holds no Leasehold role; ask an administrator');
    }
    await throttle.succeeded(login, origin.ip);
    const now = this.deps.now().getTime();
    const id = randomBytes(32).toString('base64url');
    const session: StaffSession = {
      idHash: hashSessionId(id),
      name: account.name,
      dn: account.dn,
      displayName: account.displayName,
      roles,
      csrfToken: randomBytes(32).toString('base64url'),
      ip: origin.ip,
      createdAt: now,
      lastSeenAt: now,
      rolesCheckedAt: now,
    };
    await this.deps.sessions.create(session, sessionExpiresAt(session, this.deps.limits) - now);
    await audit(this.event(account.name, 'staff.login', 'success', origin, { roles, session: session.idHash.slice(0, 16) }));
    return { id, session };
  }

  /**
   * The session a cookie names, touched (idle timer restarted) and with
   * roles re-read when due; null when there is none or it ended — by
   * idleness, its absolute lifetime, revocation, or because the account was
   * disabled, deleted or lost its last role in the directory.
   */
  async resume(id: string, origin: RequestOrigin): Promise<StaffSession | null> {
    const { sessions, limits } = this.deps;
    const session = await sessions.get(hashSessionId(id));
    if (!session) return null;
    const now = this.deps.now().getTime();
    const verdict = sessionVerdict(session, now, limits);
    if (verdict === 'idle' || verdict === 'absolute') {
      await sessions.delete(session);
      await this.deps.audit(this.event(session.name, 'staff.session_ended', 'success', origin, { reason: verdict, session: session.idHash.slice(0, 16) }));
      return null;
    }
    if (verdict === 'refresh') {
      const account = await this.deps.directory.current(session.dn);
      const roles = account ? await this.rolesOf(account) : [];
      if (roles.length === 0) {
        await sessions.delete(session);
        const reason = account ? 'no_role' : 'account_disabled_or_deleted';
        await this.deps.audit(this.event(session.name, 'staff.session_ended', 'success', origin, { reason, session: session.idHash.slice(0, 16) }));
        return null;
      }
      if (roles.join() !== session.roles.join())
        await this.deps.audit(this.event(session.name, 'staff.roles_changed', 'success', origin, { from: session.roles, to: roles }));
      session.roles = roles;
      session.rolesCheckedAt = now;
    }
    session.lastSeenAt = now;
    return (await sessions.update(session, sessionExpiresAt(session, limits) - now)) ? session : null;
  }

  async logout(session: StaffSession, origin: RequestOrigin): Promise<void> {
    await this.deps.sessions.delete(session);
    await this.deps.audit(this.event(session.name, 'staff.logout', 'success', origin, { session: session.idHash.slice(0, 16) }));
  }

  /** The live sessions of `name` (an administrator's view). */
  async sessionsOf(name: string): Promise<StaffSession[]> {
    return this.deps.sessions.listFor(name);
  }

  /** Ends every session of `name`; audited with the administrator as actor. */
  async revokeAll(actor: string, name: string, origin: RequestOrigin): Promise<number> {
    const revoked = await this.deps.sessions.deleteAllFor(name);
    await this.deps.audit({
      actor,
      action: 'staff.sessions_revoked',
      subject: `staff:${name}`,
      outcome: 'success',
      details: { revoked, ip: origin.ip, requestId: origin.requestId },
    });
    return revoked;
  }

  private async rolesOf(account: StaffAccount): Promise<StaffRole[]> {
    return rolesFor(await this.deps.directory.groupsOf(account), this.deps.roles);
  }

  /** A wrong password or an unknown login: counted, audited as the token path does (aggregated per address), one answer. */
  private async failed(login: string, origin: RequestOrigin): Promise<never> {
    await this.deps.throttle.failed(login, origin.ip);
    await this.deps.authFailures.failed({ ip: origin.ip, method: 'POST', path: '/v1/auth/login', requestId: origin.requestId });
    throw new Unauthenticated(LOGIN_FAILED);
  }

  private event(name: string, action: string, outcome: AuditInput['outcome'], origin: RequestOrigin, details: Record<string, unknown>): AuditInput {
    return { actor: name, action, subject: `staff:${name}`, outcome, details: { ...details, ip: origin.ip, requestId: origin.requestId } };
  }
}
