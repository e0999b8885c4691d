import type { AuditEvent } from '../../src/audit/audit-event.js';
import { policySchema } from '../../src/config/policy.schema.js';
import type { Stored } from '../../src/domain/ports/domain-store.port.js';
import type { AccessRequest } from '../../src/domain/types.js';
import { IncidentService } from '../../src/sessions/incident.service.js';
import { MemorySessionStore } from '../../src/sessions/memory-session.store.js';
import { normalizeEvent, type NormalizedEvent } from '../../src/sessions/session-event.schema.js';
import { SessionIngestService, type IngestMeta, type IngestResult, type SessionPolicy } from '../../src/sessions/session-ingest.service.js';
import type { EventOrigin, SessionEventInput, SessionRecord } from '../../src/sessions/session-record.js';
import { SessionReviewService } from '../../src/sessions/session-review.service.js';
import { MemoryDomainStore } from '../../src/store/memory/memory-domain.store.js';
import { MemoryRecords } from '../../src/store/memory/memory-records.js';
import { FakeClock } from './fake-clock.js';
import { changeRequest, seedRequest } from './store-records.js';

export const MIN = 60_000;
export const DAY = 24 * 60 * MIN;
/** The vendor account of the session tests, and the auditor who reviews. */
export const ACCOUNT = 'v-acme-chen-1';
export const AUDITOR = 'aud-eve';

/**
 * The session services of one test wired as the composition root wires them,
 * on the in-memory stores and a fake clock. Events are stamped in minutes
 * from `t0` (the clock's start); a test moves the clock to make reviews due.
 */
export class SessionWorld {
  readonly clock = new FakeClock();
  readonly records = new MemoryRecords();
  readonly domain = new MemoryDomainStore({ now: this.clock.now }, this.records);
  readonly store = new MemorySessionStore({ now: this.clock.now }, this.records);
  readonly policy: SessionPolicy;
  readonly ingest: SessionIngestService;
  readonly reviews: SessionReviewService;
  readonly incidents: IncidentService;
  readonly t0 = this.clock.now().getTime();

  constructor(policy: Partial<SessionPolicy> = {}) {
    this.policy = { ...policySchema.parse({}).sessions, ...policy };
    const { store, clock } = this;
    this.ingest = new SessionIngestService({ store, policy: this.policy, now: clock.now });
    this.reviews = new SessionReviewService({ store, now: clock.now });
    this.incidents = new IncidentService({ store, now: clock.now });
  }

  /** The ISO time `minutes` after t0. */
  at(minutes: number): string {
    return new Date(this.t0 + minutes * MIN).toISOString();
  }

  /** An event of ACCOUNT on bastion-1 at `minutes` (a command unless told otherwise). */
  ev(minutes: number, e: Partial<SessionEventInput> = {}, origin: EventOrigin = 'http'): NormalizedEvent {
    return normalizeEvent({ source: 'bastion-1', account: ACCOUNT, type: 'command', at: this.at(minutes), sourceIp: '10.20.0.7', ...e }, origin);
  }

  /** Sends a batch as a log source over HTTP would. */
  send(events: NormalizedEvent[], meta: Partial<IngestMeta> = {}): Promise<IngestResult> {
    return this.ingest.ingest(events, { origin: 'http', actor: 'bastion', ...meta });
  }

  /** An active request owning `username` (reserved), valid from an hour before t0 for a day, on erp-db01. */
  async request(username = ACCOUNT, over: Partial<AccessRequest> = {}): Promise<Stored<AccessRequest>> {
    const request = await seedRequest(this.domain, new Date(this.t0 - 60 * MIN), {
      status: 'active',
      targetSystems: ['erp-db01'],
      account: { username, state: 'active' },
      ...over,
    });
    await this.domain.reserveUsername(username, request.id);
    return request;
  }

  /** Ends a request as the sweep or a revocation would. */
  end(requestId: string, status: 'expired' | 'revoked' = 'expired'): Promise<Stored<AccessRequest>> {
    return changeRequest(this.domain, requestId, { status });
  }

  async session(id: string): Promise<SessionRecord> {
    return (await this.store.getSession(id))!;
  }

  /** Every session of ACCOUNT (or `account`), flagged first, newest first. */
  async sessionsOf(account = ACCOUNT): Promise<SessionRecord[]> {
    return (await this.store.listSessions({ account }, undefined, 500)).items;
  }

  /** The trail's length now, to look at what a step appended with `eventsSince`. */
  mark(): number {
    return this.domain.events().length;
  }

  eventsSince(mark: number): AuditEvent[] {
    return this.domain.events().slice(mark);
  }
}
