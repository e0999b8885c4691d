/** The domain records (DESIGN.md, Domain). Times are ISO 8601 strings. */

export type VendorStatus = 'active' | 'terminated';
export interface Vendor {
  id: string;
  name: string;
  contractRef: string;
  contractEndsAt: string;
  status: VendorStatus;
  createdAt: string;
  createdBy: string;
  terminatedAt?: string;
  terminationReason?: string;
}

export type PersonStatus = 'active' | 'departed';
export interface Person {
  id: string;
  vendorId: string;
  /** Absent only once erased (erasedAt): the personal data of clause 1.1.2. */
  fullName?: string;
  /** The name in Latin letters as the person writes it (passport spelling); the username's `{person}` comes from it. */
  latinName?: string;
  /** Absent only once erased. */
  email?: string;
  phone?: string;
  ndaSignedAt: string;
  ndaRef: string;
  status: PersonStatus;
  createdAt: string;
  createdBy: string;
  departedAt?: string;
  departureReason?: string;
  /** A departure announced for the future (effectiveAt). */
  departureScheduledAt?: string;
  /** When and by whom fullName, latinName, email and phone were erased (POST /v1/people/:id/erase). */
  erasedAt?: string;
  erasedBy?: string;
}

/** The personal data an erasure removes from a person record (clause 1.1.2). */
export const PERSONAL_FIELDS = ['fullName', 'latinName', 'email', 'phone'] as const;

export const REQUEST_STATUSES = ['pending', 'approved', 'provisioning', 'active', 'expired', 'revoked', 'closed', 'rejected', 'cancelled', 'failed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Why access ended (or is to end). */
export type RevocationTrigger = 'expiry' | 'manual' | 'departure' | 'vendor-terminated' | 'contract-ended';

export type AccountState = 'creating' | 'active' | 'disabled' | 'deleted';
export interface Account {
  username: string;
  dn?: string;
  state: AccountState;
  createdAt?: string;
  enabledAt?: string;
  disabledAt?: string;
  deletedAt?: string;
}

export interface HistoryEntry {
  at: string;
  actor: string;
  action: string;
  from?: RequestStatus;
  to?: RequestStatus;
  note?: string;
}

/** One approval of a request's exception (clause 1.9), by a holder of role `exception-approver`. */
export interface ExceptionApproval {
  by: string;
  at: string;
  role: 'exception-approver';
  comment?: string;
}

/**
 * Clause 1.9: the request breaks relaxable rules (policy.exceptions.relaxable)
 * and is filed as an exception with the signed memo it rests on. It becomes
 * approved only once it has the usual approval and an exception approval, by
 * three different people (requester, approver, exception approver).
 */
export interface RequestException {
  justification: string;
  memoRef: string;
  /** The rules the exception relaxes, as judged when filed. */
  rules: string[];
  approvals: ExceptionApproval[];
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
  /** The usual approval; on an exception request it may be given while the request still waits (pending) for the exception approval. */
  approval?: { by: string; at: string; comment?: string };
  rejection?: { by: string; at: string; reason: string };
  exception?: RequestException;
  cancellation?: { by: string; at: string };
  /** Set when revocation is asked for; `at` of the completed revocation is account.disabledAt. */
  revocation?: { trigger: RevocationTrigger; by: string; requestedAt: string; reason?: string };
  failure?: { at: string; reason: string };
  account?: Account;
  /** `available` while an encrypted initial password waits to be fetched once. */
  credential: 'none' | 'available' | 'retrieved';
  /** The vendor's one-time pickup of the initial password (clauses 1.6.4, 1.1.9); hashes only, never the token or code. */
  handover?: CredentialHandover;
  /** Incremented by an admin retry of a failed request, so the provision job id is fresh. */
  attempt: number;
  history: HistoryEntry[];
  /** Findings attached by reconciliation (drift) and session review. */
  flags?: { at: string; kind: string; detail: string }[];
}

/**
 * A pickup link for the vendor person: the token's and the code's keyed
 * digests (CredentialVault.digest), never their values. Replaced by a new
 * handover; `usedAt` or `burnedAt` ends it.
 */
export interface CredentialHandover {
  tokenDigest: string;
  codeDigest: string;
  issuedAt: string;
  issuedBy: string;
  expiresAt: string;
  failedAttempts: number;
  usedAt?: string;
  burnedAt?: string;
}

/** Statuses in which the account may exist and must be revoked when access ends. */
export const LIVE_STATUSES: readonly RequestStatus[] = ['approved', 'provisioning', 'active'];
