import { expect } from 'vitest';
import { eventually, type apiClient, type TestService } from './service-harness.js';

type Api = ReturnType<typeof apiClient>;
const DAY = 86_400_000;

/** Registers a vendor (contract ending in 90 days unless given) and one person with an NDA on file. */
export async function vendorWithPerson(api: Api, svc: TestService, name = 'Acme Systems', contractEndsAt = new Date(Date.now() + 90 * DAY)) {
  const vendor = await api('POST', '/v1/vendors', svc.tokens.requester, { name, contractRef: `CT-${name}`, contractEndsAt: contractEndsAt.toISOString() });
  expect(vendor.status, JSON.stringify(vendor.body)).toBe(201);
  const person = await api('POST', `/v1/vendors/${vendor.body.id}/people`, svc.tokens.requester, {
    fullName: 'Chen Wei',
    email: 'chen@acme.test',
    ndaSignedAt: new Date(Date.now() - DAY).toISOString(),
    ndaRef: 'NDA-1',
  });
  expect(person.status, JSON.stringify(person.body)).toBe(201);
  return { vendorId: vendor.body.id as string, personId: person.body.id as string };
}

/** Files a request (valid from a minute ago for `minutes`) and, unless told not to, approves it. */
export async function fileRequest(
  api: Api,
  svc: TestService,
  personId: string,
  groupDn: string,
  /** `validTo` exact, or `validForMs` from now (default an hour). */
  options: { validForMs?: number; validFrom?: Date; validTo?: Date; approve?: boolean } = {},
) {
  const validFrom = options.validFrom ?? new Date(Date.now() - 60_000);
  const validTo = options.validTo ?? new Date(Math.max(Date.now(), validFrom.getTime()) + (options.validForMs ?? 3_600_000));
  const filed = await api('POST', '/v1/requests', svc.tokens.requester, {
    personId,
    workDescription: 'maintenance',
    targetSystems: ['erp-app01'],
    groups: [groupDn],
    validFrom: validFrom.toISOString(),
    validTo: validTo.toISOString(),
  });
  expect(filed.status, JSON.stringify(filed.body)).toBe(201);
  if (options.approve !== false) expect((await api('POST', `/v1/requests/${filed.body.id}/approve`, svc.tokens.approver, {})).status).toBe(200);
  return filed.body.id as string;
}

/** Waits until the request reaches `status`, returning it. */
export async function untilStatus(api: Api, svc: TestService, id: string, status: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const r = await api('GET', `/v1/requests/${id}`, svc.tokens.auditor);
    last = r.body;
    if (r.body?.status === status) return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`request ${id} did not become ${status}; last: ${JSON.stringify(last)}`);
}

/** An audit event as stored in the trail. */
export interface TrailEvent {
  seq: number;
  action: string;
  subject: string;
  outcome: string;
  details?: Record<string, unknown>;
}

/** The service's audit trail, oldest first. */
export async function auditTrail(svc: Pick<TestService, 'redis' | 'prefix'>): Promise<TrailEvent[]> {
  return (await svc.redis.lrange(`${svc.prefix}:audit:events`, 0, -1)).map((e) => JSON.parse(e) as TrailEvent);
}

/**
 * Waits until the trail holds an event with this action whose text contains
 * `mentions` (a username, a DN, an id), and returns it: poll for the record of
 * an action, not for one of its side effects, so the assertion cannot race the commit.
 */
export async function auditedEvent(svc: Pick<TestService, 'redis' | 'prefix'>, action: string, mentions: string, timeoutMs = 15_000): Promise<TrailEvent> {
  return eventually(async () => (await auditTrail(svc)).find((e) => e.action === action && JSON.stringify(e).includes(mentions)), timeoutMs);
}
