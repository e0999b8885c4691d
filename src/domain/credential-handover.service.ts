import { randomBytes, randomInt } from 'node:crypto';
import type { AuditInput } from '../audit/audit-event.js';
import { Conflict, Forbidden, Gone, NotFound } from '../errors.js';
import type { CredentialVault } from '../store/credential-vault.js';
import { ref, type DomainStore, type Stored } from './ports/domain-store.port.js';
import type { AccessRequest, CredentialHandover } from './types.js';

/** What the requester passes on: the link by e-mail or chat, the code by another channel (phone). */
export interface HandoverTicket {
  pickupUrl: string;
  code: string;
  expiresAt: string;
}

/** What the pickup page may know before the code is entered: nothing secret. */
export interface PickupStatus {
  valid: boolean;
  expiresAt: string | null;
  attemptsLeft: number | null;
  /** Why the link no longer works (absent while it does). */
  reason?: 'unknown' | 'used' | 'expired' | 'burned' | 'unavailable';
}

/** The initial password, handed to whoever holds the link and the code, once. */
export interface PickedUp {
  username: string | null;
  dn: string | null;
  password: string;
  /** The first logon will ask for a new password (policy.credentials.mustChangeAtFirstLogon): the page says so. */
  mustChangeAtFirstLogon: boolean;
}

/** Where the pickup came from, for the audit trail (never the token or code). */
export interface PickupOrigin {
  ip: string;
  requestId: string;
}

/** Wrong codes a pickup survives; the next one burns it (a new handover is then needed). */
export const PICKUP_MAX_ATTEMPTS = 5;

/** The audit actor of a pickup: whoever holds the link and the code (presumably the vendor person). */
const PICKUP_ACTOR = 'pickup-link';

/** The token of a pickup URL: `<request id>.<secret>`; the id locates the request, only the secret authorises. */
const TOKEN = /^(req_[0-9a-z]{1,64})\.([A-Za-z0-9_-]{43})$/;

type Outcome =
  | { kind: 'ok'; picked: PickedUp }
  | { kind: 'unknown' }
  | { kind: 'gone'; reason: NonNullable<PickupStatus['reason']> }
  | { kind: 'wrong-code'; attemptsLeft: number }
  | { kind: 'burned' };

/**
 * The handover of an initial password to the vendor person rather than to
 * IT staff (clauses 1.6.4, 1.1.9): the request's requester asks for a
 * one-time pickup (a link with a 256-bit secret, plus an 8-digit code to be
 * given out of band), the vendor opens the link and enters the code, and sees
 * the password once; then it is destroyed. The request record keeps only
 * keyed digests of the secret and the code (CredentialVault.digest). A new
 * handover replaces the previous link; PICKUP_MAX_ATTEMPTS wrong codes burn
 * it; it expires after `pickupHours`.
 */
export class CredentialHandoverService {
  constructor(
    private readonly deps: {
      store: DomainStore;
      vault: CredentialVault;
      /** policy.credentials.pickupHours */
      pickupHours: number;
      /** policy.credentials.mustChangeAtFirstLogon, told to the vendor with the password. */
      mustChangeAtFirstLogon: boolean;
      /** The console's public base URL (PUBLIC_URL, else the service's own). */
      publicUrl: () => string;
      now: () => Date;
    },
  ) {}

  /** A new pickup for the request's own requester; the previous link (if any) stops working. */
  async issue(actor: string, requestId: string): Promise<HandoverTicket> {
    const { store, vault, now } = this.deps;
    const current = await store.getRequest(requestId);
    if (!current) throw new NotFound(`request ${requestId} not found`);
    if (current.requester !== actor) {
      await store.append({ actor, action: 'credential.handover', subject: `request:${requestId}`, outcome: 'refused', details: { rule: 'requester_only' } });
      throw new Forbidden('only the requester of this request may hand its credentials over', [
        { rule: 'requester_only', message: 'only the requester of this request may hand over its initial password' },
      ]);
    }
    const issued = await store.run([ref.request(requestId), ref.credential(requestId)], async (read) => {
      const r = await read.request(requestId);
      if (!r) throw new NotFound(`request ${requestId} not found`);
      const sealed = await read.sealedCredential(requestId);
      if (r.status !== 'active' || r.credential !== 'available' || !sealed)
        throw new Conflict(`no initial password is waiting to be handed over (request is ${r.status}, credential ${r.credential})`, [
          { rule: 'credential_available', message: 'the account must be active with its initial password not yet taken' },
        ]);
      const secret = randomBytes(32).toString('base64url');
      const code = String(randomInt(0, 100_000_000)).padStart(8, '0');
      const at = now();
      const handover: CredentialHandover = {
        tokenDigest: vault.digest(requestId, 'pickup-token', secret),
        codeDigest: vault.digest(requestId, 'pickup-code', code),
        issuedAt: at.toISOString(),
        issuedBy: actor,
        expiresAt: new Date(at.getTime() + this.deps.pickupHours * 3_600_000).toISOString(),
        failedAttempts: 0,
      };
      const next: Stored<AccessRequest> = {
        ...r,
        handover,
        updatedAt: handover.issuedAt,
        history: [...r.history, { at: handover.issuedAt, actor, action: 'credential.handover.issued' }],
      };
      return {
        writes: (w) => w.putRequest(next, r),
        events: [
          {
            actor,
            action: 'credential.handover.issued',
            subject: `request:${requestId}`,
            outcome: 'success',
            details: { expiresAt: handover.expiresAt, replacesPrevious: Boolean(r.handover && !r.handover.usedAt && !r.handover.burnedAt) },
          },
        ],
        result: { token: `${requestId}.${secret}`, code, expiresAt: handover.expiresAt },
      };
    });
    const base = this.deps.publicUrl().replace(/\/+$/, '');
    return { pickupUrl: `${base}/pickup/${issued.token}`, code: issued.code, expiresAt: issued.expiresAt };
  }

  /** Whether a pickup link still works, without needing (or revealing) anything secret. */
  async status(token: string): Promise<PickupStatus> {
    const found = await this.find(token);
    if (!found) return { valid: false, expiresAt: null, attemptsLeft: null, reason: 'unknown' };
    const { handover: h } = found;
    const reason = this.endReason(found.request, h, true);
    if (reason) return { valid: false, expiresAt: h.expiresAt, attemptsLeft: null, reason };
    return { valid: true, expiresAt: h.expiresAt, attemptsLeft: PICKUP_MAX_ATTEMPTS - h.failedAttempts };
  }

  /**
   * The password, to whoever holds the link and the right code, once: the
   * sealed password is destroyed in the same commit. A wrong code counts
   * against the link; the PICKUP_MAX_ATTEMPTS-th burns it.
   */
  async pickUp(token: string, code: string, origin: PickupOrigin): Promise<PickedUp> {
    const { store, vault, now } = this.deps;
    const parsed = TOKEN.exec(token);
    const requestId = parsed?.[1];
    const secret = parsed?.[2];
    const outcome = await store.run(requestId ? [ref.request(requestId), ref.credential(requestId)] : [], async (read) => {
      const r = requestId ? await read.request(requestId) : null;
      const h = r?.handover;
      const event = (action: string, outcome: AuditInput['outcome'], details: Record<string, unknown>): AuditInput => ({
        actor: PICKUP_ACTOR,
        action,
        subject: r ? `request:${r.id}` : 'pickup:unknown',
        outcome,
        details: { ...details, ...(r ? { personId: r.personId } : {}), ip: origin.ip, httpRequestId: origin.requestId },
      });
      if (!r || !h || !secret || !vault.matches(r.id, 'pickup-token', secret, h.tokenDigest))
        return { events: [event('credential.pickup.failed', 'refused', { reason: 'unknown_link' })], result: { kind: 'unknown' } as Outcome };
      const sealed = await read.sealedCredential(r.id);
      const ended = this.endReason(r, h, !!sealed);
      if (ended) return { events: [event('credential.pickup.failed', 'refused', { reason: ended })], result: { kind: 'gone', reason: ended } as Outcome };

      const at = now().toISOString();
      if (!vault.matches(r.id, 'pickup-code', code, h.codeDigest)) {
        const failedAttempts = h.failedAttempts + 1;
        const burned = failedAttempts >= PICKUP_MAX_ATTEMPTS;
        const next: Stored<AccessRequest> = { ...r, handover: { ...h, failedAttempts, ...(burned ? { burnedAt: at } : {}) } };
        const events = [event('credential.pickup.failed', 'refused', { reason: 'wrong_code', attempt: failedAttempts })];
        if (burned) events.push(event('credential.pickup.burned', 'refused', { attempts: failedAttempts }));
        return {
          writes: (w) => w.putRequest(next, r),
          events,
          result: (burned ? { kind: 'burned' } : { kind: 'wrong-code', attemptsLeft: PICKUP_MAX_ATTEMPTS - failedAttempts }) as Outcome,
        };
      }
      const next: Stored<AccessRequest> = {
        ...r,
        credential: 'retrieved',
        handover: { ...h, usedAt: at },
        updatedAt: at,
        history: [...r.history, { at, actor: PICKUP_ACTOR, action: 'credential.pickup.succeeded' }],
      };
      return {
        writes: (w) => {
          w.deleteCredential(r.id);
          w.putRequest(next, r);
        },
        events: [event('credential.pickup.succeeded', 'success', {})],
        result: {
          kind: 'ok',
          picked: {
            username: r.account?.username ?? null,
            dn: r.account?.dn ?? null,
            password: vault.open(r.id, sealed!),
            mustChangeAtFirstLogon: this.deps.mustChangeAtFirstLogon,
          },
        } as Outcome,
      };
    });
    switch (outcome.kind) {
      case 'ok':
        return outcome.picked;
      case 'unknown':
        throw new NotFound('this pickup link is not valid', [{ rule: 'pickup_link', message: 'unknown or replaced pickup link' }]);
      case 'gone':
        throw new Gone(`this pickup link no longer works (${outcome.reason})`, [
          { rule: `pickup_${outcome.reason}`, message: `the pickup is ${outcome.reason}` },
        ]);
      case 'burned':
        throw new Gone('too many wrong codes: this pickup link is burned; ask for a new handover', [
          { rule: 'pickup_burned', message: `${PICKUP_MAX_ATTEMPTS} wrong codes` },
        ]);
      case 'wrong-code':
        throw new Forbidden('wrong code', [{ rule: 'pickup_code', field: 'code', message: 'wrong code', attemptsLeft: outcome.attemptsLeft }]);
    }
  }

  /** The request and its current handover named by a token, when the token's secret matches. */
  private async find(token: string): Promise<{ request: Stored<AccessRequest>; handover: CredentialHandover } | null> {
    const parsed = TOKEN.exec(token);
    if (!parsed) return null;
    const request = await this.deps.store.getRequest(parsed[1]!);
    const handover = request?.handover;
    if (!request || !handover || !this.deps.vault.matches(request.id, 'pickup-token', parsed[2]!, handover.tokenDigest)) return null;
    return { request, handover };
  }

  /** Why a matching pickup no longer works, or undefined while it does. */
  private endReason(r: AccessRequest, h: CredentialHandover, hasSecret: boolean): PickupStatus['reason'] {
    if (h.usedAt) return 'used';
    if (h.burnedAt) return 'burned';
    if (this.deps.now().getTime() >= Date.parse(h.expiresAt)) return 'expired';
    if (r.status !== 'active' || r.credential !== 'available' || !hasSecret) return 'unavailable';
    return undefined;
  }
}
