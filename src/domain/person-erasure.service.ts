import { Conflict, NotFound, PolicyViolation, type ErrorDetail } from '../errors.js';
import type { DirectoryPort } from './ports/directory.port.js';
import { ref, type DomainStore, type Stored } from './ports/domain-store.port.js';
import { updateRequest } from './update-request.js';
import { PERSONAL_FIELDS, type AccessRequest, type Person, type RequestStatus } from './types.js';

const DAY_MS = 86_400_000;

/** Statuses in which a request is over for good: no account to come, none left to revoke. */
export const ENDED_STATUSES: readonly RequestStatus[] = ['expired', 'revoked', 'closed', 'rejected', 'cancelled', 'failed'];

/** What the erasure rule says about one person at one moment. */
export interface ErasureVerdict {
  /** Requests not yet ended (pending, approved, provisioning, active). */
  live: string[];
  /** When the last request ended, or the registration when there was none. */
  since: string;
  /** since + personDays: the first moment erasure is allowed (once nothing is live). */
  possibleAt: string;
}

/**
 * When a request ended: the last time it moved from a live status into an
 * ended one (a closed request ended when it expired or was revoked, not when
 * its sessions were signed off). Falls back on its last change.
 */
export function requestEndedAt(r: AccessRequest): string {
  let ended: string | undefined;
  for (const h of r.history) if (h.to && ENDED_STATUSES.includes(h.to) && !(h.from && ENDED_STATUSES.includes(h.from))) ended = h.at;
  return ended ?? r.updatedAt;
}

/** The rule of clause 1.1.2 (policy.retention.personDays) for a person and their requests. */
export function erasureVerdict(person: Person, requests: AccessRequest[], personDays: number): ErasureVerdict {
  const live = requests.filter((r) => !ENDED_STATUSES.includes(r.status)).map((r) => r.id);
  const since = requests.map(requestEndedAt).reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a), person.createdAt);
  return { live, since, possibleAt: new Date(Date.parse(since) + personDays * DAY_MS).toISOString() };
}

/**
 * Replaces each of `values` wherever it appears in a string of `record`
 * (free text staff typed: a reason, a note, a work description).
 */
export function scrubValues<T>(record: T, values: string[]): T {
  const needles = values.filter((v) => [...v.trim()].length >= 2).map((v) => JSON.stringify(v).slice(1, -1));
  if (needles.length === 0) return record;
  let json = JSON.stringify(record);
  for (const n of needles) json = json.split(n).join('[erased]');
  return JSON.parse(json) as T;
}

/** The person's own name, e-mail and phone, as free text may quote them. */
export function personalValues(person: Person): string[] {
  return PERSONAL_FIELDS.map((f) => person[f]).filter((v): v is string => typeof v === 'string' && v.trim() !== '');
}

/**
 * Erasure of a person's personal data (clause 1.1.2, POST /v1/people/:id/erase).
 * Allowed once every request of theirs has ended and policy.retention.personDays
 * have passed since the last one ended (or since registration). Removes
 * fullName, latinName, email and phone from the record and the person's own
 * values from the free text of their requests, deletes any of their accounts
 * still in the directory (the entries carry the name and e-mail), and keeps
 * what an auditor needs: ids, vendor, status, NDA reference and dates, the
 * requests, the accounts' usernames and the audit trail (which never held
 * the data). A second call answers with the same erased record and writes nothing.
 */
export class PersonErasureService {
  constructor(
    private readonly deps: {
      store: DomainStore;
      directory: Pick<DirectoryPort, 'findAccount' | 'deleteAccount'>;
      personDays: number;
      now: () => Date;
    },
  ) {}

  async erase(actor: string, personId: string): Promise<Stored<Person>> {
    const { store, personDays, now } = this.deps;
    const person = await store.getPerson(personId);
    if (!person) throw new NotFound(`person ${personId} not found`);
    if (person.erasedAt) return person;
    const requestIds = await store.requestIdsOfPerson(personId);
    const requests = await store.getRequests(requestIds);
    const verdict = erasureVerdict(person, requests, personDays);
    if (verdict.live.length > 0) {
      const detail = liveDetail(verdict, requests, personDays);
      await this.refuse(actor, personId, detail);
      throw new Conflict(detail.message, [detail]);
    }
    if (now().getTime() < Date.parse(verdict.possibleAt)) {
      const detail: ErrorDetail = {
        rule: 'retention_person_days',
        message: `personal data may be erased from ${verdict.possibleAt}: policy.retention.personDays (${personDays}) after ${requests.length ? 'the last request ended' : 'registration'} (${verdict.since})`,
        possibleAt: verdict.possibleAt,
        since: verdict.since,
        personDays,
      };
      await this.refuse(actor, personId, detail);
      throw new PolicyViolation(detail.message, [detail]);
    }

    // The directory entries carry the name and e-mail; erasure overrides the retention of disabled accounts.
    const deleted: string[] = [];
    for (const r of requests) if (await this.deleteAccount(actor, r)) deleted.push(r.id);

    const values = personalValues(person);
    return store.run([ref.person(personId)], async (read) => {
      const p = await read.person(personId);
      if (!p) throw new NotFound(`person ${personId} not found`);
      if (p.erasedAt) return { events: [], result: p };
      const current = await read.requests(requestIds);
      const live = current.filter((r) => !ENDED_STATUSES.includes(r.status)).map((r) => r.id);
      if (live.length) throw new Conflict('a request of the person is live again', [liveDetail({ ...verdict, live }, current, personDays)]);
      const removed = PERSONAL_FIELDS.filter((f) => p[f] !== undefined);
      const kept = Object.fromEntries(Object.entries(p).filter(([k]) => !(PERSONAL_FIELDS as readonly string[]).includes(k))) as Stored<Person>;
      const next: Stored<Person> = { ...scrubValues(kept, values), erasedAt: now().toISOString(), erasedBy: actor };
      const scrubbed = current.map((r) => [scrubValues(r, values), r] as const).filter(([s, r]) => JSON.stringify(s) !== JSON.stringify(r));
      return {
        writes: (w) => {
          w.putPerson(next, false);
          for (const [s, r] of scrubbed) w.putRequest(s, r);
        },
        // Which fields went, under which rule; never their values.
        events: [
          {
            actor,
            action: 'person.erased',
            subject: `person:${personId}`,
            outcome: 'success' as const,
            details: { fields: removed, personDays, since: verdict.since, requests: requestIds.length, accountsDeleted: deleted },
          },
        ],
        result: next,
      };
    });
  }

  /** Deletes the account a request left in the directory, if any, and records it; true when one was deleted. */
  private async deleteAccount(actor: string, r: Stored<AccessRequest>): Promise<boolean> {
    const { store, directory, now } = this.deps;
    if (r.account?.state === 'deleted') return false;
    const dn = r.account?.dn ?? (await directory.findAccount(r.id))?.dn;
    if (!dn) return false;
    await directory.deleteAccount(dn);
    await updateRequest(store, r.id, (cur) =>
      cur.account?.state === 'deleted'
        ? null
        : {
            next: {
              ...cur,
              updatedAt: now().toISOString(),
              account: { ...(cur.account ?? { username: '' }), dn, state: 'deleted', deletedAt: now().toISOString() },
            },
            // The admin's erasure, not the retention job, removed the entry: the trail says who.
            events: [{ actor, action: 'account.deleted', subject: `request:${r.id}`, outcome: 'success', details: { dn, reason: 'person-erased' } }],
          },
    );
    return true;
  }

  private refuse(actor: string, personId: string, detail: ErrorDetail): Promise<void> {
    return this.deps.store.append({
      actor,
      action: 'policy.refused',
      subject: `person:${personId}`,
      outcome: 'refused',
      details: { operation: 'person.erase', rules: [detail.rule], broken: [detail] },
    });
  }
}

function liveDetail(verdict: ErasureVerdict, requests: AccessRequest[], personDays: number): ErrorDetail {
  const lastValidTo = requests
    .filter((r) => verdict.live.includes(r.id))
    .map((r) => Date.parse(r.validTo))
    .reduce((a, b) => Math.max(a, b), 0);
  const earliest = new Date(lastValidTo + personDays * DAY_MS).toISOString();
  return {
    rule: 'requests_ended',
    message: `requests still live (${verdict.live.join(', ')}): erasure waits until every request has ended, then policy.retention.personDays (${personDays}); at the earliest ${earliest} if they end on time`,
    requests: verdict.live,
    possibleAt: earliest,
    personDays,
  };
}
