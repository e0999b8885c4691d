import { createHash } from 'node:crypto';
import { canonicalJson, GENESIS_HASH } from '../audit-event.js';
import { parseEvent } from '../chain-checker.js';

/** The audit action that records a seal in the chain itself. */
export const SEALED_ACTION = 'audit.segment_sealed';

/**
 * A sealed segment of the audit chain: which events it holds, the hash of
 * its last event (where the chain continues), the SHA-256 of its file, and
 * the seal before it. Seals form their own short chain (`prevSeal` → `seal`),
 * so verifying the archive's shape costs one record per segment, and each
 * seal is also recorded as an `audit.segment_sealed` event in the chain it
 * seals, which ties the two together.
 */
export interface Seal {
  /** 1, 2, … in order. */
  segment: number;
  fromSeq: number;
  toSeq: number;
  /** `at` of its first and last event: where a time-bounded search may skip it. */
  firstAt: string;
  lastAt: string;
  /** Hash of event toSeq: the anchor of everything after the segment. */
  lastHash: string;
  /** Path of the JSON-lines file, relative to ARCHIVE_DIR. */
  file: string;
  /** SHA-256 of the file's bytes. */
  sha256: string;
  /** `seal` of the previous segment; GENESIS_HASH for the first. */
  prevSeal: string;
  /** SHA-256 over the canonical JSON of every field above. */
  seal: string;
}

export type SealFields = Omit<Seal, 'seal'>;

export function sealHash(fields: SealFields): string {
  const { segment, fromSeq, toSeq, firstAt, lastAt, lastHash, file, sha256, prevSeal } = fields;
  return createHash('sha256').update(canonicalJson({ segment, fromSeq, toSeq, firstAt, lastAt, lastHash, file, sha256, prevSeal })).digest('hex');
}

export function makeSeal(fields: SealFields): Seal {
  return { ...fields, seal: sealHash(fields) };
}

/** A stored seal, or why it is not one. */
export function parseSeal(raw: string): Seal | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return 'not valid JSON';
  }
  if (value === null || typeof value !== 'object') return 'not an object';
  const s = value as Record<string, unknown>;
  for (const f of ['segment', 'fromSeq', 'toSeq'] as const) if (!Number.isSafeInteger(s[f]) || (s[f] as number) < 1) return `${f} is not a positive integer`;
  for (const f of ['firstAt', 'lastAt', 'lastHash', 'file', 'sha256', 'prevSeal', 'seal'] as const) if (typeof s[f] !== 'string') return `${f} is not a string`;
  return s as unknown as Seal;
}

/** Where the seal chain fails, or undefined when every seal follows the one before and recomputes. */
export interface SealProblem {
  segment: number;
  /** The first seq the problem makes untrustworthy. */
  seq: number;
  reason: string;
}

/**
 * Checks the seals in order: consecutive segments and seqs from 1, each seal
 * naming the one before, each recomputing to its own hash, the last ending
 * exactly at `base` (the events dropped from Redis).
 */
export function checkSeals(seals: readonly (Seal | string)[], base: number, from = 0): SealProblem | undefined {
  let prev = from > 0 ? (seals[from - 1] as Seal) : undefined;
  for (let i = from; i < seals.length; i++) {
    const s = seals[i]!;
    const segment = i + 1;
    const seq = prev ? prev.toSeq + 1 : 1;
    if (typeof s === 'string') return { segment, seq, reason: `seal ${segment} is malformed: ${s}` };
    if (s.segment !== segment || s.fromSeq !== seq || s.toSeq < s.fromSeq)
      return {
        segment,
        seq,
        reason: `seal ${segment} covers seq ${s.fromSeq}–${s.toSeq} as segment ${s.segment}, expected segment ${segment} from seq ${seq}`,
      };
    if (s.prevSeal !== (prev?.seal ?? GENESIS_HASH))
      return { segment, seq, reason: `seal ${segment} does not name the seal before it: the seals were rewritten` };
    if (sealHash(s) !== s.seal) return { segment, seq, reason: `seal ${segment} does not match its own hash: it was edited` };
    prev = s;
  }
  const sealedTo = prev?.toSeq ?? 0;
  if (sealedTo !== base)
    return {
      segment: seals.length,
      seq: Math.min(sealedTo, base) + 1,
      reason: `the seals end at seq ${sealedTo} but ${base} events were dropped from Redis`,
    };
  return undefined;
}

/**
 * checkSeals that remembers how far it got: the next call checks only the
 * seals added since, chained on the last one checked — as long as the trail
 * read them in the same generation (AuditTrail.sealList re-reads them all when
 * the last one it knew changed). So a verification costs the new seals, not
 * all of them; `leasehold audit verify --archive` still checks every one.
 */
export class SealChainCheck {
  private checked = { generation: -1, count: 0 };

  check(seals: readonly (Seal | string)[], base: number, generation: number): SealProblem | undefined {
    const { checked } = this;
    const from = checked.generation === generation && checked.count <= seals.length ? checked.count : 0;
    const problem = checkSeals(seals, base, from);
    this.checked = problem ? { generation: -1, count: 0 } : { generation, count: seals.length };
    return problem;
  }
}

/**
 * Why a stored line that is an `audit.segment_sealed` event does not record
 * the seal of its segment exactly; undefined for any other line, or a match.
 */
export function sealEventMismatch(line: string, seals: readonly Seal[]): string | undefined {
  if (!line.includes(SEALED_ACTION)) return undefined;
  const event = parseEvent(line);
  if (typeof event === 'string' || event.action !== SEALED_ACTION) return undefined;
  const seal = seals[Number(event.details.segment) - 1];
  if (seal && canonicalJson(event.details) === canonicalJson({ ...seal })) return undefined;
  return `the seal recorded at seq ${event.seq} differs from the seal of segment ${String(event.details.segment)} in Redis: the seals were rewritten`;
}
