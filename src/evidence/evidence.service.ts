import type { AuditEvent } from '../audit/audit-event.js';
import type { DomainStore, Stored } from '../domain/ports/domain-store.port.js';
import type { AccessRequest, Person, Vendor } from '../domain/types.js';
import { NotFound, ValidationError } from '../errors.js';
import type { Incident, SessionRecord } from '../sessions/session-record.js';
import { decodeCursor, type SessionQueries } from '../sessions/session-store.port.js';
import type { EvidenceRequest, EvidenceRoomVisits, RequestEvidencePack, VendorEvidencePack } from './evidence-pack.schema.js';
import { collectProof, type EvidenceTrail } from './evidence-proof.js';
import * as sections from './evidence-sections.js';

/** Which machine-room visits to list (clause 1.8); every member given must match. */
export interface RoomVisitQuery {
  personId?: string;
  requestId?: string;
  vendorId?: string;
  from?: string;
  to?: string;
}

/** The machine-room register as evidence packs read it (rooms/, wired in start-service.ts when present). */
export interface EvidenceRooms {
  visits(query: RoomVisitQuery): Promise<EvidenceRoomVisits>;
}

/** How a pack was asked for: recorded in its evidence.exported audit event. */
export interface ExportMeta {
  format: 'html' | 'json';
  lang: string;
}

/** Sessions listed per request at most (flagged first); the pack says when there were more. */
export const SESSION_LIMIT = 500;
const SESSION_PAGE = 200;
/** Audit events are searched from a little before the oldest record of the pack: commit stamps follow record times closely. */
const SINCE_SLACK_MS = 5 * 60_000;

/** One request's section, and the audit subjects it rests on. */
interface Built {
  section: EvidenceRequest;
  subjects: string[];
}

/**
 * Evidence packs (clause 1.1.4): everything an inspector asks about one
 * request, or about one vendor over a term, in one document, with the audit
 * events it rests on and a verification of the chain from the oldest of
 * them to the head. Every pack handed out is audited (evidence.exported,
 * ids and counts only, no personal data).
 */
export class EvidenceService {
  constructor(
    private readonly deps: {
      store: DomainStore;
      sessions: Pick<SessionQueries, 'listSessions' | 'getIncident'>;
      trail: EvidenceTrail;
      /** The machine-room register, when this deployment has one. */
      rooms?: EvidenceRooms;
      now: () => Date;
    },
  ) {}

  async forRequest(actor: string, requestId: string, meta: ExportMeta): Promise<RequestEvidencePack> {
    const { store, now } = this.deps;
    const request = await store.getRequest(requestId);
    if (!request) throw new NotFound(`request ${requestId} not found`);
    const vendor = await this.vendor(request.vendorId);
    const person = await this.person(request.personId);
    const built = await this.build(request, vendor, person);
    const { events, proof } = await collectProof(
      this.deps.trail,
      [`vendor:${vendor.id}`, ...built.subjects],
      new Date(Date.parse(vendor.createdAt) - SINCE_SLACK_MS),
      now,
    );
    const section = withConfirmations(built.section, events);
    await store.append({
      actor,
      action: 'evidence.exported',
      subject: `request:${requestId}`,
      outcome: 'success',
      details: { kind: 'request', ...meta, events: proof.eventCount, proofOk: proof.verification.ok },
    });
    return { kind: 'request', generatedAt: now().toISOString(), generatedBy: actor, request: section, proof };
  }

  /**
   * The vendor's requests whose validity overlaps [from, to], newest first,
   * `limit` from the offset in `cursor`; the page says how many there are
   * and whether more follow.
   */
  async forVendor(
    actor: string,
    vendorId: string,
    period: { from: Date; to: Date; cursor?: string; limit: number },
    meta: ExportMeta,
  ): Promise<VendorEvidencePack> {
    const { store, now } = this.deps;
    if (period.from > period.to) throw new ValidationError('from is after to', [{ field: 'query.from', message: 'must not be after to' }]);
    const offset = period.cursor === undefined ? 0 : decodeOffset(period.cursor);
    const vendor = await store.getVendor(vendorId);
    if (!vendor) throw new NotFound(`vendor ${vendorId} not found`);
    const all = await store.getRequests(await store.requestIdsOfVendor(vendorId));
    const overlapping = all.filter((r) => Date.parse(r.validFrom) <= period.to.getTime() && Date.parse(r.validTo) >= period.from.getTime());
    const page = overlapping.slice(offset, offset + period.limit);
    const people = new Map<string, Stored<Person>>();
    const built: Built[] = [];
    for (const r of page) {
      const person = people.get(r.personId) ?? (await this.person(r.personId));
      people.set(person.id, person);
      built.push(await this.build(r, vendor, person));
    }
    const { events, proof } = await collectProof(
      this.deps.trail,
      [`vendor:${vendorId}`, ...built.flatMap((b) => b.subjects)],
      new Date(Date.parse(vendor.createdAt) - SINCE_SLACK_MS),
      now,
    );
    const from = period.from.toISOString();
    const to = period.to.toISOString();
    const roomVisits = await this.rooms({ vendorId, from, to });
    const next = offset + page.length;
    await store.append({
      actor,
      action: 'evidence.exported',
      subject: `vendor:${vendorId}`,
      outcome: 'success',
      details: { kind: 'vendor', ...meta, from, to, offset, requests: page.length, events: proof.eventCount, proofOk: proof.verification.ok },
    });
    return {
      kind: 'vendor',
      generatedAt: now().toISOString(),
      generatedBy: actor,
      vendor: sections.vendorOf(vendor),
      period: { from, to },
      requests: built.map((b) => withConfirmations(b.section, events)),
      page: {
        total: overlapping.length,
        offset,
        returned: page.length,
        truncated: next < overlapping.length,
        nextCursor: next < overlapping.length ? encodeOffset(next) : null,
      },
      roomVisits,
      proof,
    };
  }

  private async build(r: AccessRequest, vendor: Vendor, person: Person): Promise<Built> {
    const { items: sessions, truncated } = await this.sessionsOf(r.id);
    const incidents = await this.incidentsOf(sessions);
    const roomVisits = await this.roomsOfRequest(r);
    const section: EvidenceRequest = {
      form: sections.formOf(r),
      vendor: sections.vendorOf(vendor),
      person: sections.personOf(person),
      decisions: sections.decisionsOf(r),
      exception: sections.exceptionOf(r),
      account: sections.accountOf(r),
      history: sections.historyOf(r),
      directoryConfirmations: [],
      revocation: sections.revocationOf(r, this.deps.now()),
      sessions: { items: sessions.map(sections.sessionOf), truncated },
      incidents: incidents.map(sections.incidentOf),
      roomVisits,
    };
    const subjects = [
      `request:${r.id}`,
      `person:${person.id}`,
      ...sessions.map((s) => `session:${s.id}`),
      ...incidents.map((i) => `incident:${i.id}`),
      ...roomVisits.items.map((v) => `room-visit:${v.id}`),
    ];
    return { section, subjects };
  }

  private async vendor(id: string): Promise<Stored<Vendor>> {
    const vendor = await this.deps.store.getVendor(id);
    if (!vendor) throw new NotFound(`vendor ${id} not found`);
    return vendor;
  }

  private async person(id: string): Promise<Stored<Person>> {
    const person = await this.deps.store.getPerson(id);
    if (!person) throw new NotFound(`person ${id} not found`);
    return person;
  }

  private async sessionsOf(requestId: string): Promise<{ items: SessionRecord[]; truncated: boolean }> {
    const items: SessionRecord[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await this.deps.sessions.listSessions({ requestId }, cursor, SESSION_PAGE);
      items.push(...page.items);
      if (items.length >= SESSION_LIMIT) return { items: items.slice(0, SESSION_LIMIT), truncated: items.length > SESSION_LIMIT || page.nextCursor !== null };
      cursor = page.nextCursor === null ? undefined : decodeCursor(page.nextCursor);
      if (cursor === undefined) return { items, truncated: false };
    }
  }

  /** The incidents the request's escalated sessions opened, oldest first. */
  private async incidentsOf(sessions: SessionRecord[]): Promise<Incident[]> {
    const ids = [...new Set(sessions.flatMap((s) => (s.review?.incidentId ? [s.review.incidentId] : [])))];
    const found = await Promise.all(ids.map((id) => this.deps.sessions.getIncident(id)));
    return found.filter((i): i is Incident => i !== null).sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  }

  /** Visits recorded for the request, and the person's visits during its validity. */
  private async roomsOfRequest(r: AccessRequest): Promise<EvidenceRoomVisits> {
    if (!this.deps.rooms) return { available: false, items: [], truncated: false };
    const [ofRequest, ofPerson] = await Promise.all([this.rooms({ requestId: r.id }), this.rooms({ personId: r.personId, from: r.validFrom, to: r.validTo })]);
    const byId = new Map([...ofRequest.items, ...ofPerson.items].map((v) => [v.id, v]));
    return {
      available: true,
      items: [...byId.values()].sort((a, b) => a.enteredAt.localeCompare(b.enteredAt)),
      truncated: ofRequest.truncated || ofPerson.truncated,
    };
  }

  private async rooms(query: RoomVisitQuery): Promise<EvidenceRoomVisits> {
    return this.deps.rooms ? this.deps.rooms.visits(query) : { available: false, items: [], truncated: false };
  }
}

function withConfirmations(section: EvidenceRequest, events: AuditEvent[]): EvidenceRequest {
  return { ...section, directoryConfirmations: sections.confirmationsOf(section.form.id, events) };
}

function encodeOffset(offset: number): string {
  return Buffer.from(`e:${offset}`).toString('base64url');
}

function decodeOffset(cursor: string): number {
  const m = /^e:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new ValidationError('invalid cursor', [{ field: 'query.cursor', message: 'not a cursor returned by this API' }]);
  return Number(m[1]);
}
