import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../store/redis-keys.js';
import { canonicalJson, hashEvent, type AuditEvent, type JsonValue } from './audit-event.js';

/**
 * Signed re-anchors: the documented repair for events whose stored hash was
 * computed by the Date hashing defect (issue 10 item 1: a Date in `details`
 * was hashed as `{}` while its ISO string was stored, so verify reports the
 * event "edited" for ever). A re-anchor names one seq, the hash stored with
 * it and the hash its content recomputes to, a reason, and an HMAC-SHA256
 * over those made with a key the operator holds (AUDIT_REANCHOR_KEY). It is
 * appended to the trail as an `audit.reanchored` event and indexed by seq so
 * that verification knows of it before it reaches that seq.
 *
 * Verification accepts a mismatching event only when all of these hold, and
 * stays strict for everything else: a re-anchor for exactly that seq whose
 * signature verifies with the configured key; the event's stored and
 * recomputed hashes equal the signed ones (any later change to the event
 * fails again); and the stored hash is exactly what the defect produces from
 * the event's content (some ISO date strings hashed as `{}`), so that no
 * re-anchor, signed or not, can excuse any other edit.
 */

export const REANCHOR_ACTION = 'audit.reanchored';

/** What an `audit.reanchored` event records in its details, and the index holds. */
export interface ReanchorRecord {
  reanchoredSeq: number;
  storedHash: string;
  recomputedHash: string;
  reason: string;
  /** Names the key without revealing it, so a re-anchor checked with another key says so. */
  keyId: string;
  /** HMAC-SHA256 (hex) over the canonical JSON of purpose, seq, both hashes and the reason. */
  signature: string;
}

/** A re-anchor as verification sees it: accepted, or refused with why. */
export type ReanchorVerdict = { ok: true; storedHash: string; recomputedHash: string } | { ok: false; reason: string };

const PURPOSE = 'leasehold.audit.reanchor.v1';
const HEX64 = /^[0-9a-f]{64}$/;
const MAX_REASON = 1000;

/** A 32-byte key, base64 or 64 hex digits (as CREDENTIALS_KEY); undefined when it is not one. */
export function parseReanchorKey(text: string): Buffer | undefined {
  const t = text.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  return buf.length === 32 ? buf : undefined;
}

/**
 * The re-anchor key from AUDIT_REANCHOR_KEY or the file AUDIT_REANCHOR_KEY_FILE
 * names; undefined when neither is set. Problems are pushed as `[NAME] message`.
 */
export function loadReanchorKey(env: { AUDIT_REANCHOR_KEY?: string; AUDIT_REANCHOR_KEY_FILE?: string }, problems: string[]): Buffer | undefined {
  let text = env.AUDIT_REANCHOR_KEY;
  const name = text === undefined ? 'AUDIT_REANCHOR_KEY_FILE' : 'AUDIT_REANCHOR_KEY';
  if (text === undefined && env.AUDIT_REANCHOR_KEY_FILE !== undefined) {
    try {
      text = readFileSync(env.AUDIT_REANCHOR_KEY_FILE, 'utf8');
    } catch (err) {
      problems.push(`[AUDIT_REANCHOR_KEY_FILE] cannot read ${env.AUDIT_REANCHOR_KEY_FILE}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return undefined;
    }
  }
  if (text === undefined) return undefined;
  const key = parseReanchorKey(text);
  if (!key) problems.push(`[${name}] must be 32 bytes, base64 or 64 hex digits`);
  return key;
}

/** A short, non-secret name of the key. */
export function reanchorKeyId(key: Buffer): string {
  return createHmac('sha256', key).update(`${PURPOSE}:key-id`).digest('hex').slice(0, 16);
}

function mac(key: Buffer, r: Pick<ReanchorRecord, 'reanchoredSeq' | 'storedHash' | 'recomputedHash' | 'reason'>): Buffer {
  const text = canonicalJson({ purpose: PURPOSE, seq: r.reanchoredSeq, storedHash: r.storedHash, recomputedHash: r.recomputedHash, reason: r.reason });
  return createHmac('sha256', key).update(text).digest();
}

/** Signs a re-anchor of one event. */
export function signReanchor(key: Buffer, fields: Pick<ReanchorRecord, 'reanchoredSeq' | 'storedHash' | 'recomputedHash' | 'reason'>): ReanchorRecord {
  return { ...fields, keyId: reanchorKeyId(key), signature: mac(key, fields).toString('hex') };
}

/**
 * Checks a stored re-anchor's form and signature. The event it names is
 * compared with it when the chain reaches that seq.
 * @returns undefined when `raw` is not a re-anchor record at all
 */
export function checkReanchor(raw: unknown, key: Buffer | undefined): { seq: number; verdict: ReanchorVerdict } | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Partial<Record<keyof ReanchorRecord, unknown>>;
  if (!Number.isSafeInteger(r.reanchoredSeq) || (r.reanchoredSeq as number) < 1) return undefined;
  const seq = r.reanchoredSeq as number;
  const refused = (reason: string) => ({ seq, verdict: { ok: false as const, reason } });
  if (typeof r.storedHash !== 'string' || !HEX64.test(r.storedHash) || typeof r.recomputedHash !== 'string' || !HEX64.test(r.recomputedHash))
    return refused('it does not name two SHA-256 hashes');
  if (typeof r.reason !== 'string' || r.reason.length === 0 || r.reason.length > MAX_REASON) return refused('it has no reason');
  if (typeof r.signature !== 'string' || !HEX64.test(r.signature)) return refused('it is not signed');
  if (!key) return refused('no AUDIT_REANCHOR_KEY is configured here to check its signature');
  if (r.keyId !== reanchorKeyId(key)) return refused(`it was signed with another key (key id ${String(r.keyId)})`);
  const expected = mac(key, { reanchoredSeq: seq, storedHash: r.storedHash, recomputedHash: r.recomputedHash, reason: r.reason });
  if (!timingSafeEqual(expected, Buffer.from(r.signature, 'hex'))) return refused('its signature does not verify');
  return { seq, verdict: { ok: true, storedHash: r.storedHash, recomputedHash: r.recomputedHash } };
}

/** Date#toISOString output (also for years beyond 9999). */
const ISO_DATE = /^([+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** More candidate dates than this and the search is refused (2^12 hashes). */
const MAX_CANDIDATES = 12;

type Path = (string | number)[];

function isoDatePaths(value: unknown, path: Path, out: Path[]): void {
  if (typeof value === 'string') {
    if (ISO_DATE.test(value)) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => isoDatePaths(v, [...path, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) isoDatePaths(v, [...path, k], out);
  }
}

function withEmptyObjects(details: Record<string, unknown>, paths: Path[]): Record<string, unknown> {
  const copy = structuredClone(details);
  for (const path of paths) {
    let parent: Record<string | number, unknown> = copy;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
    parent[path[path.length - 1]!] = {};
  }
  return copy;
}

/**
 * Whether the event's stored hash is exactly what the Date defect produced:
 * its content with some of the ISO date strings in `details` (Dates, when it
 * was hashed) replaced by `{}`. Tries every such subset, at most 2^12.
 */
export function explainedByDateDefect(event: AuditEvent): boolean {
  const paths: Path[] = [];
  isoDatePaths(event.details, [], paths);
  if (paths.length === 0 || paths.length > MAX_CANDIDATES) return false;
  const { hash, ...content } = event;
  for (let mask = 1; mask < 2 ** paths.length; mask++) {
    const chosen = paths.filter((_, i) => mask & (2 ** i));
    if (hashEvent({ ...content, details: withEmptyObjects(event.details, chosen) }) === hash) return true;
  }
  return false;
}

/**
 * The re-anchors recorded in the index, each checked with `key`, by seq.
 * Usually empty: one HGETALL.
 */
export async function loadReanchors(redis: Redis, keys: RedisKeys, key: Buffer | undefined): Promise<Map<number, ReanchorVerdict>> {
  const stored = await redis.hgetall(keys.auditReanchors());
  const out = new Map<number, ReanchorVerdict>();
  for (const [field, raw] of Object.entries(stored)) {
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(raw) as JsonValue;
    } catch {
      continue;
    }
    const checked = checkReanchor(parsed, key);
    if (checked && String(checked.seq) === field) out.set(checked.seq, checked.verdict);
  }
  return out;
}
