import type { AccessRequest, RequestStatus } from '../domain/types.js';
import type { NormalizedEvent } from './session-event.schema.js';
import type { SessionFlag } from './session-record.js';

/** "A few minutes" of clause 1.6.4's failed-login bursts: failures counted in this sliding window. */
export const FAILED_LOGIN_WINDOW_MS = 5 * 60_000;

const ENDED: readonly RequestStatus[] = ['expired', 'revoked', 'closed'];

/**
 * Whether `target` is one of the approved target systems. Case-insensitive;
 * a bare host name also matches its fully qualified form (`erp-db01` ~
 * `erp-db01.school.local`) because log sources name hosts either way. Two
 * different FQDNs never match.
 */
export function targetApproved(target: string, targetSystems: readonly string[]): boolean {
  const t = target.trim().toLowerCase();
  for (const raw of targetSystems) {
    const s = raw.trim().toLowerCase();
    if (s === t) return true;
    if (isAddress(t) || isAddress(s)) continue; // addresses match exactly only
    if (t.includes('.') !== s.includes('.') && t.split('.')[0] === s.split('.')[0]) return true;
  }
  return false;
}

function isAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** When the account stopped being allowed to act, for an ended request. */
function revokedAt(request: AccessRequest): number | undefined {
  if (!ENDED.includes(request.status)) return undefined;
  const at = request.account?.disabledAt ?? request.revocation?.requestedAt ?? request.validTo;
  return Date.parse(at);
}

/** The flag rules that look at one event and its request (window, revocation, target, privileged command, unknown account). */
export class FlagRules {
  private readonly privileged: RegExp[];

  constructor(privilegedCommands: readonly string[]) {
    // The config loader has already checked that every pattern compiles.
    this.privileged = privilegedCommands.map((p) => new RegExp(p, 'i'));
  }

  isPrivileged(command: string): boolean {
    return this.privileged.some((re) => re.test(command));
  }

  eventFlags(e: NormalizedEvent, request: AccessRequest | null): SessionFlag[] {
    const flags: SessionFlag[] = [];
    const flag = (code: SessionFlag['code'], key: string, detail: string) => flags.push({ code, at: e.at, eventId: e.id, key, detail });
    if (!request) {
      flag('unknown_account', '', `no access request owns the account ${e.account}`);
    } else {
      if (e.atMs < Date.parse(request.validFrom)) flag('outside_window', 'before', `${e.type} before the approved window (validFrom ${request.validFrom})`);
      if (e.atMs > Date.parse(request.validTo)) flag('outside_window', 'after', `${e.type} after the approved window (validTo ${request.validTo})`);
      const cutoff = revokedAt(request);
      if (cutoff !== undefined && e.atMs > cutoff)
        flag('after_revocation', '', `${e.type} after access ended (${request.status} at ${new Date(cutoff).toISOString()})`);
      if (e.target && !targetApproved(e.target, request.targetSystems))
        flag('target_not_approved', e.target.toLowerCase(), `${e.target} is not among the approved target systems (${request.targetSystems.join(', ')})`);
    }
    if (e.type === 'command' && e.detail && this.isPrivileged(e.detail))
      flag('privileged_command', e.detail.slice(0, 200), `privileged command: ${e.detail.slice(0, 200)}`);
    return flags;
  }
}

/**
 * Failed-login bursts of one account: the ids of the new failures at which
 * `threshold` or more failures (earlier ones from the store included) fall
 * within `windowMs` up to and including that failure.
 */
export function burstsAt(
  prior: readonly number[],
  fresh: readonly { id: string; atMs: number }[],
  threshold: number,
  windowMs = FAILED_LOGIN_WINDOW_MS,
): Map<string, number> {
  const all = [...prior.map((atMs) => ({ atMs, id: undefined as string | undefined })), ...fresh].sort((a, b) => a.atMs - b.atMs);
  const hits = new Map<string, number>();
  let start = 0;
  for (let end = 0; end < all.length; end++) {
    const cur = all[end]!;
    while (all[start]!.atMs < cur.atMs - windowMs) start++;
    const count = end - start + 1;
    if (cur.id !== undefined && count >= threshold) hits.set(cur.id, count);
  }
  return hits;
}

/** A session's time span for the concurrency rule: open sessions (no logout yet) are assumed alive for the idle timeout. */
export interface Span {
  firstMs: number;
  lastMs: number;
  endedMs?: number;
}

export function spansOverlap(a: Span, b: Span, idleMs: number): boolean {
  const endA = a.endedMs ?? a.lastMs + idleMs;
  const endB = b.endedMs ?? b.lastMs + idleMs;
  return a.firstMs <= endB && b.firstMs <= endA;
}
