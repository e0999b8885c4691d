/**
 * Session logs (DESIGN.md, Session logs): what a log source sends, how it is
 * kept, the sessions events are grouped into, their flags and reviews, and
 * the incident records escalations open (REQUIREMENTS.md 1.1.5, 1.6.4, 1.6.5).
 */

export const SESSION_EVENT_TYPES = ['login', 'logout', 'command', 'file', 'connect', 'failed_login'] as const;
export type SessionEventType = (typeof SESSION_EVENT_TYPES)[number];

/** Where an event came in: HTTP batch, syslog listener, OpenLDAP accesslog. */
export type EventOrigin = 'http' | 'syslog' | 'accesslog';

/** One event as a log source describes it (API.md, Session events). */
export interface SessionEventInput {
  source: string;
  account: string;
  type: SessionEventType;
  /** ISO 8601 with offset. */
  at: string;
  target?: string;
  sourceIp?: string;
  sourceSessionId?: string;
  detail?: string;
  /** The original log line (syslog), for the reviewer. */
  raw?: string;
}

export const FLAG_CODES = [
  'unknown_account',
  'outside_window',
  'after_revocation',
  'target_not_approved',
  'privileged_command',
  'concurrent_sessions',
  'failed_login_burst',
] as const;
export type FlagCode = (typeof FLAG_CODES)[number];

/** Why a session needs a closer look. `key` keeps one flag per distinct finding (a target, a command, the other session). */
export interface SessionFlag {
  code: FlagCode;
  /** Event time of the finding. */
  at: string;
  eventId?: string;
  key: string;
  detail: string;
}

/** An event as stored: normalised, with its id (the dedupe key) and the flags it raised. */
export interface StoredEvent {
  id: string;
  at: string;
  type: SessionEventType;
  account: string;
  source: string;
  origin: EventOrigin;
  target?: string;
  sourceIp?: string;
  sourceSessionId?: string;
  detail?: string;
  raw?: string;
  flags?: FlagCode[];
}

/**
 * An event as kept in Redis: account, source and origin are left out when
 * they equal the session's (nearly always), which saves a quarter of the
 * bytes every batch sends and stores. expandEvent restores them.
 */
export type CompactEvent = Omit<StoredEvent, 'account' | 'source' | 'origin'> & Partial<Pick<StoredEvent, 'account' | 'source' | 'origin'>>;

export function compactEvent(e: StoredEvent, s: Pick<SessionRecord, 'account' | 'source' | 'origin'>): CompactEvent {
  const { account, source, origin, ...rest } = e;
  const out: CompactEvent = rest;
  if (account !== s.account) out.account = account;
  if (source !== s.source) out.source = source;
  if (origin !== s.origin) out.origin = origin;
  return out;
}

export function expandEvent(e: CompactEvent, s: Pick<SessionRecord, 'account' | 'source' | 'origin'>): StoredEvent {
  return { account: s.account, source: s.source, origin: s.origin, ...e };
}

export type ReviewVerdict = 'ok' | 'escalate';

export interface SessionReview {
  verdict: ReviewVerdict;
  note?: string;
  by: string;
  at: string;
  incidentId?: string;
}

/** A group of events of one account on one source (DESIGN.md, Session logs). */
export interface SessionRecord {
  id: string;
  /** List position: creation order, newest highest. */
  n: number;
  account: string;
  /** Whether a request owns the account (unknown accounts are kept and flagged). */
  accountKnown: boolean;
  requestId?: string;
  personId?: string;
  vendorId?: string;
  source: string;
  sourceSessionId?: string;
  origin: EventOrigin;
  sourceIps: string[];
  targets: string[];
  firstAt: string;
  lastAt: string;
  /** Time of the last logout, if one came. */
  endedAt?: string;
  eventCount: number;
  flags: SessionFlag[];
  review?: SessionReview;
  /** Events that came after this session's predecessor was reviewed start a new one that names it. */
  continues?: string;
  createdAt: string;
  updatedAt: string;
  /** Set on a session read from the archive (retention archived it: nothing of it is left in Redis; session-archive.ts). */
  archive?: SessionArchiveRef;
}

/** Where an archived session's record and events are, and the SHA-256 of that file (in the manifests and the audit trail). */
export interface SessionArchiveRef {
  /** Relative to ARCHIVE_DIR. */
  file: string;
  sha256: string;
  events: number;
  at: string;
}

export type IncidentStatus = 'open' | 'handling' | 'resolved';
export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['open', 'handling', 'resolved'];

/** An anomaly found in the session logs, with its handling (clause 1.1.5). */
export interface Incident {
  id: string;
  n: number;
  sessionId: string;
  account: string;
  requestId?: string;
  personId?: string;
  vendorId?: string;
  flags: FlagCode[];
  escalationNote: string;
  openedBy: string;
  openedAt: string;
  status: IncidentStatus;
  handlingNote?: string;
  updatedAt: string;
  history: { at: string; by: string; status: IncidentStatus; handlingNote?: string }[];
}

/** Whether a session is flagged. */
export function isFlagged(s: Pick<SessionRecord, 'flags'>): boolean {
  return s.flags.length > 0;
}
