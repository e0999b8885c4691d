import type { ResultOf } from './client';
import type { components, paths } from './schema';

/**
 * The shapes the console reads, named: all from the OpenAPI document
 * (schema.d.ts), so a change of the API's responses fails the console's build.
 */
type Schemas = components['schemas'];
type Get<P extends keyof paths> = paths[P] extends { get: infer O } ? ResultOf<O> : never;

export type Me = Get<'/v1/auth/me'>;
export type Role = Me['roles'][number];
export type ConsoleConfig = Get<'/v1/console/config'>;
export type Vendor = Schemas['Vendor'];
export type VendorWithPeople = Get<'/v1/vendors/{id}'>;
export type Person = Schemas['Person'];
export type PersonWithRequests = Get<'/v1/people/{id}'>;
export type AccessRequest = Schemas['Request'];
export type RequestStatus = AccessRequest['status'];
export type GroupChoice = Schemas['Group'];
export type Session = Schemas['Session'];
export type SessionDetail = Get<'/v1/sessions/{id}'>;
export type SessionEvent = SessionDetail['events'][number];
export type Incident = Schemas['Incident'];
export type AuditEvent = Schemas['AuditEvent'];
export type VerifyResult = Get<'/v1/audit/verify'>;
export type TokenInfo = Schemas['Token'];
export type RoomVisit = Schemas['RoomVisit'];
export type RoomReview = Schemas['RoomReview'];

/** Every status, in the order a request passes through them. */
export const REQUEST_STATUSES = [
  'pending',
  'approved',
  'provisioning',
  'active',
  'expired',
  'revoked',
  'closed',
  'rejected',
  'cancelled',
  'failed',
] as const satisfies readonly RequestStatus[];
