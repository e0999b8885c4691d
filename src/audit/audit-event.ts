import { createHash } from 'node:crypto';

/** What a caller records; seq, at, prevHash and hash are added by the chain. */
export interface AuditInput {
  /** Who acted: a token name, `worker`, `system`, or `anonymous`. */
  actor: string;
  /** Dotted verb, e.g. `request.approved`, `account.created`, `auth.failed`. */
  action: string;
  /** What it concerns, e.g. `request:req_…`, `vendor:ven_…`. */
  subject: string;
  outcome: 'success' | 'failure' | 'refused' | 'warning';
  /** Never secrets; ids rather than personal data. */
  details?: Record<string, unknown>;
}

export interface AuditEvent extends Required<AuditInput> {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level and no whitespace; undefined members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 over the canonical JSON of the event without its own hash (prevHash included). */
export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  const { seq, at, actor, action, subject, outcome, details, prevHash } = event;
  return createHash('sha256')
    .update(canonicalJson({ seq, at, actor, action, subject, outcome, details, prevHash }))
    .digest('hex');
}

/** Links inputs onto the chain after `head`. */
export function chainEvents(
  head: { seq: number; hash: string },
  inputs: AuditInput[],
  at: Date,
): AuditEvent[] {
  let { seq, hash } = head;
  return inputs.map((input) => {
    const base = {
      seq: ++seq,
      at: at.toISOString(),
      actor: input.actor,
      action: input.action,
      subject: input.subject,
      outcome: input.outcome,
      details: input.details ?? {},
      prevHash: hash,
    };
    hash = hashEvent(base);
    return { ...base, hash };
  });
}
