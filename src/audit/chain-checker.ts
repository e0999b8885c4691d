import { GENESIS_HASH, hashEvent, type AuditEvent } from './audit-event.js';
import { explainedByDateDefect, type ReanchorVerdict } from './reanchor.js';

/** The last link of a chain: what the next event's prevHash must name. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** The chain holds together from `fromSeq` to `head`. */
export interface VerifyOk {
  ok: true;
  /** Events checked. */
  count: number;
  /** The last event checked; null for an empty trail. */
  head: ChainHead | null;
  /** The first seq checked (1 for the whole chain). */
  fromSeq: number;
  /** Events accepted by a signed re-anchor (reanchor.ts) despite their hash; present only when there are any. */
  reanchored?: number[];
}

/** The chain is broken; everything from `firstBadSeq` on is untrustworthy. */
export interface VerifyFailure {
  ok: false;
  firstBadSeq: number;
  reason: string;
  /** Events that passed before the failure. */
  count: number;
}

export type VerifyResult = VerifyOk | VerifyFailure;

/** The reason given for an event whose content does not recompute to its hash. */
export const EDITED = 'content does not match its hash: the event was edited';

const FIELDS = ['action', 'actor', 'at', 'details', 'hash', 'outcome', 'prevHash', 'seq', 'subject'];
const OUTCOMES = new Set(['success', 'failure', 'refused', 'warning']);
const HEX64 = /^[0-9a-f]{64}$/;

/** Parses one stored line into an event, or says why it is not one. */
export function parseEvent(raw: string): AuditEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return 'not valid JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const e = value as Record<string, unknown>;
  // An extra member would not be covered by the hash, so an added field counts as tampering.
  const keys = Object.keys(e).sort();
  if (keys.join(',') !== FIELDS.join(',')) return `unexpected fields: ${keys.join(',')}`;
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return 'seq is not a positive integer';
  for (const f of ['at', 'actor', 'action', 'subject'] as const) if (typeof e[f] !== 'string') return `${f} is not a string`;
  if (!OUTCOMES.has(e.outcome as string)) return 'unknown outcome';
  if (e.details === null || typeof e.details !== 'object' || Array.isArray(e.details)) return 'details is not an object';
  if (typeof e.prevHash !== 'string' || !HEX64.test(e.prevHash)) return 'prevHash is not a SHA-256 hex digest';
  if (typeof e.hash !== 'string' || !HEX64.test(e.hash)) return 'hash is not a SHA-256 hex digest';
  return e as unknown as AuditEvent;
}

/**
 * Checks a chain one stored line at a time, in storage order.
 *
 * Position, not the seq written inside an event, decides what is expected:
 * the n-th line after the anchor must carry seq anchor+n, recompute to its
 * own hash, and name the previous line's hash. So an edited event fails its
 * hash, a deleted, inserted or swapped one fails the seq at its position, and
 * an edited-and-rehashed one breaks the link to the next. `firstBadSeq` is
 * always the seq expected at the first position that fails.
 */
export class ChainChecker {
  private expected: number;
  private prevHash: string;
  private last: ChainHead | null = null;
  private checked = 0;
  private readonly reanchored: number[] = [];
  private failure: VerifyFailure | undefined;
  private readonly fromSeq: number;

  /**
   * @param anchor the trusted event just before the first line (genesis by default)
   * @param checkpoints known seq → hash pairs that the chain must agree with
   * @param reanchors signed re-anchors by seq, already checked (reanchor.ts)
   */
  constructor(
    anchor: ChainHead = { seq: 0, hash: GENESIS_HASH },
    private readonly checkpoints: ReadonlyMap<number, string> = new Map(),
    private readonly reanchors: ReadonlyMap<number, ReanchorVerdict> = new Map(),
  ) {
    this.expected = anchor.seq + 1;
    this.fromSeq = anchor.seq + 1;
    this.prevHash = anchor.hash;
  }

  /** Feeds the next stored line; returns the failure once the chain has broken. */
  next(raw: string): VerifyFailure | undefined {
    if (this.failure) return this.failure;
    const seq = this.expected;
    const event = parseEvent(raw);
    if (typeof event === 'string') return this.fail(seq, `malformed event: ${event}`);
    if (event.seq !== seq) return this.fail(seq, `expected seq ${seq} but found seq ${event.seq}: an event was deleted, inserted or moved`);
    const recomputed = hashEvent(event);
    if (recomputed !== event.hash) {
      const refusal = this.reanchorRefusal(seq, event, recomputed);
      if (refusal !== undefined) return this.fail(seq, `${EDITED}${refusal}`);
      this.reanchored.push(seq);
    }
    if (event.prevHash !== this.prevHash) return this.fail(seq, `prevHash does not match the hash of seq ${seq - 1}: an event was edited and re-hashed`);
    const pinned = this.checkpoints.get(seq);
    if (pinned !== undefined && pinned !== event.hash) return this.fail(seq, `hash differs from the checkpoint taken at seq ${seq}: the chain was rewritten`);
    this.expected++;
    this.prevHash = event.hash;
    this.last = { seq, hash: event.hash };
    this.checked++;
    return undefined;
  }

  /**
   * The verdict after the last line. With `head` (the head Redis records),
   * a chain that stops short of it or runs past it is broken too.
   */
  finish(head?: ChainHead | null): VerifyResult {
    if (this.failure) return this.failure;
    const lastSeq = this.last?.seq ?? this.fromSeq - 1;
    if (head !== undefined) {
      const headSeq = head?.seq ?? 0;
      if (lastSeq < headSeq) return this.fail(lastSeq + 1, `the trail ends at seq ${lastSeq} but its head is seq ${headSeq}: events were deleted`);
      if (lastSeq > headSeq) return this.fail(headSeq + 1, `events after the recorded head (seq ${headSeq}) were added`);
      if (head && this.last && head.hash !== this.last.hash) return this.fail(headSeq, 'the last event does not match the recorded head hash');
    }
    const beyond = [...this.checkpoints.keys()].filter((s) => s > lastSeq);
    if (beyond.length)
      return this.fail(lastSeq + 1, `a checkpoint exists at seq ${Math.min(...beyond)} but the trail ends at seq ${lastSeq}: events were deleted`);
    return { ok: true, count: this.checked, head: this.last, fromSeq: this.fromSeq, ...(this.reanchored.length ? { reanchored: [...this.reanchored] } : {}) };
  }

  /** Why a re-anchor does not excuse this mismatch ('' when there is none); undefined when it does. */
  private reanchorRefusal(seq: number, event: AuditEvent, recomputed: string): string | undefined {
    const r = this.reanchors.get(seq);
    if (!r) return '';
    if (!r.ok) return `; its re-anchor was refused: ${r.reason}`;
    if (r.storedHash !== event.hash || r.recomputedHash !== recomputed) return '; it was re-anchored, but has changed since';
    if (!explainedByDateDefect(event)) return '; its re-anchor does not apply: the stored hash is not what the Date hashing defect produces from this content';
    return undefined;
  }

  private fail(firstBadSeq: number, reason: string): VerifyFailure {
    this.failure = { ok: false, firstBadSeq, reason, count: this.checked };
    return this.failure;
  }
}
