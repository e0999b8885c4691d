import { createHash } from 'node:crypto';
import { LeaseholdError } from '../errors.js';

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

/** A value that JSON can hold exactly: what is stored is what is hashed. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A value that cannot enter the audit trail: a programming error in the caller, never bad user input. */
export class AuditValueError extends LeaseholdError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`audit event ${path}: ${problem}; only JSON values (strings, finite numbers, booleans, null, arrays, plain objects) and Dates may be recorded`);
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return `a ${(value.constructor as { name?: string } | undefined)?.name ?? 'non-plain object'}`;
  return `a ${typeof value}`;
}

/**
 * The JSON value an audit event records for `value`, checked all the way down.
 *
 * Normalises at the audit boundary what has one obvious JSON form: a valid
 * Date becomes its ISO string, an undefined object member is dropped, an
 * undefined or missing array element becomes null (as JSON.stringify does),
 * and -0 becomes 0. Anything else that JSON.stringify would silently change
 * or drop — NaN, ±Infinity, BigInt, functions, symbols, Map, Set, class
 * instances, symbol keys, cycles — is refused, because the stored line and
 * the hashed content would then differ and the chain would read as tampered.
 * @throws AuditValueError naming the path of the first offending value
 */
export function toAuditJson(value: unknown, path = 'value', ancestors: object[] = []): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new AuditValueError(path, `${value} is not a finite number`);
      return value === 0 ? 0 : value; // -0 is stored as 0
    case 'object':
      break;
    default:
      throw new AuditValueError(path, `${describe(value)} has no JSON form`);
  }
  if (value === null) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new AuditValueError(path, 'an invalid Date has no ISO form');
    return value.toISOString();
  }
  if (ancestors.includes(value)) throw new AuditValueError(path, 'the structure is cyclic');
  ancestors.push(value);
  let out: JsonValue;
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      items.push(v === undefined ? null : toAuditJson(v, `${path}[${i}]`, ancestors));
    }
    out = items;
  } else {
    if (!isPlainObject(value)) throw new AuditValueError(path, `${describe(value)} is not a plain object`);
    if (Object.getOwnPropertySymbols(value).length > 0) throw new AuditValueError(path, 'symbol keys have no JSON form');
    const members: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) members[k] = toAuditJson(v, `${path}.${k}`, ancestors);
    out = members;
  }
  ancestors.pop();
  return out;
}

/**
 * JSON with object keys sorted at every level and no whitespace: the text an
 * event's hash covers. Total over JSON values and strict about everything
 * else: a value whose JSON.stringify form would differ from what is hashed
 * here (a Date, NaN, a Map, a class instance, undefined …) throws instead of
 * hashing something other than what is stored. Inputs go through
 * {@link toAuditJson} first; lines parsed back from storage are JSON already.
 * @throws AuditValueError on a value that is not plain JSON
 */
export function canonicalJson(value: unknown, path = 'value'): string {
  return canonical(value, path, []);
}

function canonical(value: unknown, path: string, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new AuditValueError(path, `${value} is not a finite number`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new AuditValueError(path, `${describe(value)} has no JSON form`);
  }
  if (value === null) return 'null';
  if (ancestors.includes(value)) throw new AuditValueError(path, 'the structure is cyclic');
  ancestors.push(value);
  let text: string;
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) parts.push(canonical(value[i], `${path}[${i}]`, ancestors));
    text = `[${parts.join(',')}]`;
  } else {
    if (!isPlainObject(value)) throw new AuditValueError(path, `${describe(value)} is not a plain object`);
    if (Object.getOwnPropertySymbols(value).length > 0) throw new AuditValueError(path, 'symbol keys have no JSON form');
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, `${path}.${k}`, ancestors)}`).join(',')}}`;
  }
  ancestors.pop();
  return text;
}

/** SHA-256 over the canonical JSON of the event without its own hash (prevHash included). */
export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  const { seq, at, actor, action, subject, outcome, details, prevHash } = event;
  return createHash('sha256').update(canonicalJson({ seq, at, actor, action, subject, outcome, details, prevHash })).digest('hex');
}

/** Links inputs onto the chain after `head`. */
export function chainEvents(head: { seq: number; hash: string }, inputs: AuditInput[], at: Date): AuditEvent[] {
  let { seq, hash } = head;
  return inputs.map((input) => {
    const base = {
      seq: ++seq,
      at: at.toISOString(),
      ...normaliseInput(input),
      prevHash: hash,
    };
    hash = hashEvent(base);
    return { ...base, hash };
  });
}

const OUTCOMES: ReadonlySet<string> = new Set(['success', 'failure', 'refused', 'warning']);

/**
 * An input as it will be stored: the fields checked, `details` made plain
 * JSON by {@link toAuditJson}. The Transactor calls it before a transaction
 * commits, so a bad value fails that transaction alone and nothing is written.
 * @throws AuditValueError when a field is not what the trail can hold
 */
export function normaliseInput(input: AuditInput): Required<AuditInput> {
  for (const field of ['actor', 'action', 'subject'] as const)
    if (typeof input[field] !== 'string') throw new AuditValueError(field, `${describe(input[field])} is not a string`);
  if (!OUTCOMES.has(input.outcome)) throw new AuditValueError('outcome', `${JSON.stringify(input.outcome) ?? describe(input.outcome)} is not an outcome`);
  const details = input.details === undefined ? {} : toAuditJson(input.details, 'details');
  if (details === null || typeof details !== 'object' || Array.isArray(details)) throw new AuditValueError('details', 'must be a plain object');
  return { actor: input.actor, action: input.action, subject: input.subject, outcome: input.outcome, details };
}
