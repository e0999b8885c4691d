import { NotFound } from '../errors.js';
import { decodeCursor, type SessionQueries } from '../sessions/session-store.port.js';
import type { DomainStore } from './ports/domain-store.port.js';
import type { AccessRequest, Person, RequestStatus } from './types.js';

/** Everything held on one person (clause 1.1.2): what a subject access request is answered with. */
export interface PersonExport {
  exportedAt: string;
  person: Person;
  vendor: { id: string; name: string };
  requests: { id: string; status: RequestStatus; validFrom: string; validTo: string; createdAt: string; username: string | null }[];
  accounts: { username: string; requestId: string; state: string }[];
  sessionIds: string[];
}

const SESSION_PAGE = 200;

/** Gathers a person's record, requests, accounts and sessions into one document, and audits that it was handed out. */
export class PersonExportService {
  constructor(
    private readonly deps: {
      store: DomainStore;
      sessions: Pick<SessionQueries, 'listSessions'>;
      now: () => Date;
    },
  ) {}

  async export(actor: string, personId: string): Promise<PersonExport> {
    const { store, now } = this.deps;
    const stored = await store.getPerson(personId);
    if (!stored) throw new NotFound(`person ${personId} not found`);
    const { n: _n, ...person } = stored;
    const vendor = await store.getVendor(person.vendorId);
    const requests = await store.getRequests(await store.requestIdsOfPerson(personId));
    const sessionIds = (await Promise.all(requests.map((r) => this.sessionIdsOf(r.id)))).flat();
    // The event says who took a copy of whose data; the data itself stays out of the trail.
    await store.append({ actor, action: 'person.exported', subject: `person:${personId}`, outcome: 'success', details: {} });
    return {
      exportedAt: now().toISOString(),
      person,
      vendor: { id: person.vendorId, name: vendor?.name ?? '' },
      requests: requests.map(summary),
      accounts: requests.flatMap((r) => (r.account ? [{ username: r.account.username, requestId: r.id, state: r.account.state }] : [])),
      sessionIds,
    };
  }

  private async sessionIdsOf(requestId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await this.deps.sessions.listSessions({ requestId }, cursor, SESSION_PAGE);
      ids.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor === null ? undefined : decodeCursor(page.nextCursor);
      if (cursor === undefined) return ids;
    }
  }
}

function summary(r: AccessRequest): PersonExport['requests'][number] {
  return { id: r.id, status: r.status, validFrom: r.validFrom, validTo: r.validTo, createdAt: r.createdAt, username: r.account?.username ?? null };
}
