import { hash } from 'node:crypto';
import { z } from 'zod';
import { PayloadTooLarge, ValidationError, type ErrorDetail } from '../errors.js';
import { SESSION_EVENT_TYPES, type EventOrigin, type SessionEventInput, type StoredEvent } from './session-record.js';

/** Most events one batch may carry (API.md); more is a 413. */
export const MAX_BATCH = 1000;

const text = (max: number) => z.string().trim().min(1).max(max);

/**
 * One session event. Unknown members are dropped rather than refused: a log
 * shipper that adds a field must not lose a whole batch over it.
 */
export const sessionEventSchema = z.object({
  source: text(200),
  account: text(256),
  type: z.enum(SESSION_EVENT_TYPES),
  at: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with offset, e.g. 2026-11-25T09:14:03+08:00' }),
  target: text(255).optional(),
  sourceIp: z.union([z.ipv4(), z.ipv6()], { message: 'must be an IPv4 or IPv6 address' }).optional(),
  sourceSessionId: text(128).optional(),
  detail: z.string().max(4096).optional(),
});

function itemSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(sessionEventSchema, { io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

type Props = Record<string, { pattern?: string; anyOf?: { pattern: string }[] }>;
const PROPS = itemSchema().properties as Props;
/** The schema's own patterns, for the fast path below. */
const AT_PATTERN = new RegExp(PROPS.at!.pattern!);
const IP_PATTERNS = PROPS.sourceIp!.anyOf!.map((p) => new RegExp(p.pattern));
const TYPES = new Set<string>(SESSION_EVENT_TYPES);

function trimmedText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return t.length >= 1 && t.length <= max ? t : undefined;
}

/**
 * The common case checked by hand with the schema's own limits and patterns:
 * a plain valid event, as zod would return it. Undefined for anything else,
 * which then goes through zod (for its verdict and error details). At 20,000
 * events/s zod's per-object work and copies are a noticeable share of the CPU.
 */
export function fastEvent(raw: unknown): SessionEventInput | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const source = trimmedText(r.source, 200);
  const account = trimmedText(r.account, 256);
  if (source === undefined || account === undefined) return undefined;
  if (typeof r.type !== 'string' || !TYPES.has(r.type) || typeof r.at !== 'string' || !AT_PATTERN.test(r.at)) return undefined;
  const out: SessionEventInput = { source, account, type: r.type as SessionEventInput['type'], at: r.at };
  if (r.target !== undefined && (out.target = trimmedText(r.target, 255)) === undefined) return undefined;
  if (r.sourceSessionId !== undefined && (out.sourceSessionId = trimmedText(r.sourceSessionId, 128)) === undefined) return undefined;
  if (r.sourceIp !== undefined) {
    if (typeof r.sourceIp !== 'string' || !IP_PATTERNS.some((re) => re.test(r.sourceIp as string))) return undefined;
    out.sourceIp = r.sourceIp;
  }
  if (r.detail !== undefined) {
    if (typeof r.detail !== 'string' || r.detail.length > 4096) return undefined;
    out.detail = r.detail;
  }
  return out;
}

/**
 * The request body. Events are checked one by one in validateBatch (so that
 * errors name `events[3].at` and an oversized batch is a 413); the metadata
 * puts the real item schema into the OpenAPI document.
 */
export const sessionBatchSchema = z.object({
  events: z.array(z.unknown()).meta({ items: itemSchema(), maxItems: MAX_BATCH }),
});

/** An event ready for grouping: validated, normalised, with its id. */
export interface NormalizedEvent extends StoredEvent {
  atMs: number;
  /** Lower-case account and source: grouping and lookups ignore case. */
  accountKey: string;
  sourceKey: string;
}

/**
 * The dedupe key: a retried batch yields the same ids. Built from source,
 * source session, instant (offset-independent), type, detail and account, as
 * the contract suggests; 128 bits of SHA-256 in base64url.
 */
export function eventId(e: { source: string; sourceSessionId?: string; atMs: number; type: string; detail?: string; account: string }): string {
  // One-shot crypto.hash: a fifth of createHash's cost, which matters at 20,000 events/s.
  return hash(
    'sha256',
    JSON.stringify([e.source.toLowerCase(), e.sourceSessionId ?? '', e.atMs, e.type, e.detail ?? '', e.account.toLowerCase()]),
    'base64url',
  ).slice(0, 22);
}

const CANONICAL_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Normalises an already valid event (from HTTP, syslog or the accesslog). */
export function normalizeEvent(input: SessionEventInput, origin: EventOrigin): NormalizedEvent {
  const atMs = Date.parse(input.at);
  const e: NormalizedEvent = {
    id: eventId({ ...input, atMs }),
    // Already canonical (UTC with milliseconds) in the common case: no need to format it again.
    at: CANONICAL_AT.test(input.at) ? input.at : new Date(atMs).toISOString(),
    atMs,
    type: input.type,
    account: input.account,
    accountKey: input.account.toLowerCase(),
    source: input.source,
    sourceKey: input.source.toLowerCase(),
    origin,
  };
  if (input.target) e.target = input.target;
  if (input.sourceIp) e.sourceIp = input.sourceIp;
  if (input.sourceSessionId) e.sourceSessionId = input.sourceSessionId;
  if (input.detail) e.detail = input.detail;
  if (input.raw) e.raw = input.raw;
  return e;
}

/** The stored form of an event: without the grouping helpers. */
export function storedEvent(e: NormalizedEvent): StoredEvent {
  const out: StoredEvent = { id: e.id, at: e.at, type: e.type, account: e.account, source: e.source, origin: e.origin };
  if (e.target) out.target = e.target;
  if (e.sourceIp) out.sourceIp = e.sourceIp;
  if (e.sourceSessionId) out.sourceSessionId = e.sourceSessionId;
  if (e.detail) out.detail = e.detail;
  if (e.raw) out.raw = e.raw;
  return out;
}

/**
 * Validates an HTTP batch: 413 over MAX_BATCH, 400 naming each bad event's
 * index and field (`events[3].at`), else the normalised events.
 */
export function validateBatch(events: unknown[]): NormalizedEvent[] {
  if (events.length > MAX_BATCH)
    throw new PayloadTooLarge(`a batch carries at most ${MAX_BATCH} events; this one has ${events.length}`, [
      { field: 'events', rule: 'max_batch', message: `at most ${MAX_BATCH} events per batch` },
    ]);
  const details: ErrorDetail[] = [];
  const out: NormalizedEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const fast = details.length === 0 ? fastEvent(events[i]) : undefined;
    if (fast) {
      out.push(normalizeEvent(fast, 'http'));
      continue;
    }
    const parsed = sessionEventSchema.safeParse(events[i]);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        details.push({ field: `events[${i}]${issue.path.map((p) => `.${String(p)}`).join('')}`, rule: issue.code, message: issue.message });
      // A flood of broken events must not produce a megabyte of error details.
      if (details.length >= 100) break;
      continue;
    }
    if (details.length === 0) out.push(normalizeEvent(parsed.data, 'http'));
  }
  if (details.length > 0) throw new ValidationError('some events are malformed; nothing was stored', details);
  return out;
}
