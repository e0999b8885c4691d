/**
 * The shapes the console reads from the API (src/domain/types.ts, the
 * route handlers). Responses the OpenAPI document does not type yet are
 * read as these.
 */

export type Role = 'requester' | 'approver' | 'auditor' | 'admin' | 'exception-approver' | 'automation' | 'log-source';

/** POST /v1/auth/login and GET /v1/auth/me. */
export interface Me {
  name: string;
  displayName?: string;
  roles: Role[];
  csrfToken: string;
  /** The service's TZ, when it says (default Asia/Taipei). */
  timeZone?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface Vendor {
  id: string;
  name: string;
  contractRef: string;
  contractEndsAt: string;
  status: 'active' | 'terminated';
  createdAt: string;
  createdBy: string;
  terminatedAt?: string;
  terminationReason?: string;
  people?: Person[];
}

export interface Person {
  id: string;
  vendorId: string;
  fullName: string;
  email: string;
  phone?: string;
  ndaSignedAt: string;
  ndaRef: string;
  status: 'active' | 'departed';
  createdAt: string;
  departedAt?: string;
  departureReason?: string;
  departureScheduledAt?: string;
  requests?: AccessRequest[];
}

export const REQUEST_STATUSES = ['pending', 'approved', 'provisioning', 'active', 'expired', 'revoked', 'closed', 'rejected', 'cancelled', 'failed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export interface HistoryEntry {
  at: string;
  actor: string;
  action: string;
  from?: RequestStatus;
  to?: RequestStatus;
  note?: string;
}

export interface AccessRequest {
  id: string;
  personId: string;
  vendorId: string;
  requester: string;
  workDescription: string;
  targetSystems: string[];
  groups: string[];
  validFrom: string;
  validTo: string;
  status: RequestStatus;
  createdAt: string;
  updatedAt: string;
  approval?: { by: string; at: string; comment?: string };
  rejection?: { by: string; at: string; reason: string };
  cancellation?: { by: string; at: string };
  revocation?: { trigger: string; by: string; requestedAt: string; reason?: string };
  failure?: { at: string; reason: string };
  account: { username: string; dn: string | null; state: string } | null;
  credential: 'none' | 'available' | 'retrieved';
  history: HistoryEntry[];
  flags?: { at: string; kind: string; detail: string }[];
}

/** GET /v1/groups?q= */
export interface GroupChoice {
  dn: string;
  name: string;
  description?: string;
  privileged: boolean;
  reason?: string;
}

export interface SessionEvent {
  at: string;
  type: string;
  target?: string;
  sourceIp?: string;
  detail?: string;
  flagged?: boolean;
  flags?: string[];
}

export interface Session {
  id: string;
  account: string;
  requestId?: string | null;
  startedAt?: string;
  endedAt?: string | null;
  lastEventAt?: string;
  source?: string;
  target?: string;
  flagged: boolean;
  flags?: string[];
  eventCount?: number;
  review?: { verdict: 'ok' | 'escalate'; note?: string; by: string; at: string } | null;
  events?: SessionEvent[];
}

export interface Incident {
  id: string;
  sessionId?: string;
  requestId?: string;
  status: string;
  summary?: string;
  createdAt: string;
  notes?: { at: string; by: string; note: string }[];
  [key: string]: unknown;
}

export interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  outcome?: string;
  details?: Record<string, unknown>;
}

export type VerifyResult = { ok: true; count: number; head?: string } | { ok: false; firstBadSeq: number; reason: string };

/** GET /v1/tokens */
export interface TokenInfo {
  id?: string;
  name: string;
  roles: Role[];
  createdAt?: string;
  createdBy?: string;
  lastUsedAt?: string;
  source?: string;
}

/** GET /v1/console/config */
export interface ConsoleConfig {
  timeZone: string;
  policy: {
    maxValidityDays: number;
    requireNda: boolean;
    privilegedGroups: string[];
    grantableGroups?: string[];
    [key: string]: unknown;
  };
}
