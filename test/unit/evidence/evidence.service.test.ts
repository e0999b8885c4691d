import { describe, expect, it } from 'vitest';
import { ChainChecker } from '../../../src/audit/chain-checker.js';
import type { AccessRequest } from '../../../src/domain/types.js';
import type { EvidenceTrail } from '../../../src/evidence/evidence-proof.js';
import { EvidenceService, type EvidenceRooms } from '../../../src/evidence/evidence.service.js';
import { revocationOf } from '../../../src/evidence/evidence-sections.js';
import type { MemoryRecords } from '../../../src/store/memory/memory-records.js';
import { ACCOUNT, AUDITOR, MIN, SessionWorld } from '../../support/session-world.js';
import { changeRequest, seedRequest } from '../../support/store-records.js';

/** The in-memory trail as the Redis one is read: events as stored, the chain checked from a seq to the head. */
function memoryTrail(records: MemoryRecords): EvidenceTrail {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await
    async *events() {
      yield* records.events;
    },
    verifyCovering(seqs) {
      const fromSeq = Math.min(...seqs);
      const events = records.events;
      const before = events[fromSeq - 2];
      const checker = new ChainChecker(before ? { seq: before.seq, hash: before.hash } : undefined);
      for (const e of events.slice(fromSeq - 1)) if (checker.next(JSON.stringify(e))) break;
      const last = events.at(-1)!;
      return Promise.resolve(checker.finish({ seq: last.seq, hash: last.hash }));
    },
  };
}

function evidenceOf(w: SessionWorld, rooms?: EvidenceRooms) {
  return new EvidenceService({ store: w.domain, sessions: w.store, trail: memoryTrail(w.records), now: w.clock.now, ...(rooms ? { rooms } : {}) });
}

const META = { format: 'json' as const, lang: 'zh-TW' };

/** An active request of ACCOUNT approved, with an exception, and a flagged session escalated to an incident. */
async function lifecycle(w: SessionWorld) {
  const request = await w.request(ACCOUNT, {
    approval: { by: 'sup-amy', at: w.at(-50), comment: 'ok for the patch' },
    account: { username: ACCOUNT, dn: `uid=${ACCOUNT},ou=vendors,dc=test`, state: 'active', createdAt: w.at(-40), enabledAt: w.at(-40) },
    ...({
      exception: {
        justification: 'year-end closing',
        memoRef: 'MEMO-115',
        rules: ['max_validity_days'],
        approvals: [{ by: 'cio-bo', at: w.at(-45), role: 'exception-approver' }],
      },
    } as Partial<AccessRequest>),
  });
  await w.send([
    w.ev(1, { type: 'login', target: 'erp-db01', sourceSessionId: 's1' }),
    w.ev(2, { detail: 'sudo -i', target: 'erp-db01', sourceSessionId: 's1' }),
  ]);
  const [session] = await w.sessionsOf();
  const outcome = await w.reviews.review(AUDITOR, session!.id, 'escalate', 'root shell without a change ticket');
  await w.incidents.update(AUDITOR, outcome.incident!.id, { status: 'resolved', handlingNote: 'vendor warned; ticket filed late' });
  return { request, sessionId: session!.id, incidentId: outcome.incident!.id };
}

describe('an evidence pack of one request', () => {
  it('holds the form, person and NDA, approvals and the exception, sessions with flags and review, and the incident', async () => {
    const w = new SessionWorld();
    const { request, sessionId, incidentId } = await lifecycle(w);
    const pack = await evidenceOf(w).forRequest(AUDITOR, request.id, META);
    const r = pack.request;
    expect(r.form).toMatchObject({
      id: request.id,
      requester: 'ops-test',
      targetSystems: ['erp-db01'],
      validFrom: request.validFrom,
      validTo: request.validTo,
    });
    expect(r.person).toMatchObject({ fullName: 'Ann Example', email: 'ann@acme.example', ndaRef: 'NDA-1' });
    expect(r.decisions).toEqual([{ kind: 'approval', by: 'sup-amy', at: w.at(-50), role: 'approver', comment: 'ok for the patch' }]);
    expect(r.exception).toEqual({
      justification: 'year-end closing',
      memoRef: 'MEMO-115',
      rules: ['max_validity_days'],
      approvals: [{ kind: 'exception-approval', by: 'cio-bo', at: w.at(-45), role: 'exception-approver' }],
    });
    expect(r.account).toMatchObject({ username: ACCOUNT, state: 'active', createdAt: w.at(-40) });
    expect(r.sessions.items).toHaveLength(1);
    expect(r.sessions.items[0]).toMatchObject({ id: sessionId, eventCount: 2, review: { verdict: 'escalate', by: AUDITOR, incidentId } });
    expect(r.sessions.items[0]!.flags.map((f) => f.code)).toContain('privileged_command');
    expect(r.incidents).toEqual([expect.objectContaining({ id: incidentId, sessionId, status: 'resolved', handlingNote: 'vendor warned; ticket filed late' })]);
    expect(r.revocation).toMatchObject({ state: 'scheduled', trigger: 'expiry', dueAt: request.validTo, doneAt: null, lagMs: null });
    expect(r.roomVisits).toEqual({ available: false, items: [], truncated: false });
  });

  it('rests on the audit events of the request, person, vendor, session and incident, and verifies them to the head', async () => {
    const w = new SessionWorld();
    const { request, sessionId, incidentId } = await lifecycle(w);
    const pack = await evidenceOf(w).forRequest(AUDITOR, request.id, META);
    const subjects = new Set(pack.proof.events.map((e) => e.subject));
    for (const s of [`request:${request.id}`, `person:${request.personId}`, `vendor:${request.vendorId}`, `session:${sessionId}`, `incident:${incidentId}`])
      expect(subjects, s).toContain(s);
    const head = w.records.events.at(-2)!; // the last event before the pack's own evidence.exported
    expect(pack.proof.verification).toMatchObject({ ok: true, fromSeq: pack.proof.events[0]!.seq, head: { seq: head.seq, hash: head.hash } });
    expect(pack.proof.events.every((e) => /^[0-9a-f]{64}$/.test(e.hash))).toBe(true);
  });

  it('says the proof failed, and where, when an event it rests on was edited', async () => {
    const w = new SessionWorld();
    const { request } = await lifecycle(w);
    const filed = w.records.events.find((e) => e.subject === `request:${request.id}`)!;
    filed.details = { ...filed.details, tampered: true };
    const pack = await evidenceOf(w).forRequest(AUDITOR, request.id, META);
    expect(pack.proof.verification).toMatchObject({ ok: false, firstBadSeq: filed.seq, reason: expect.stringContaining('edited') });
  });

  it('computes the revocation lag from when it was due to when the directory confirmed', async () => {
    const w = new SessionWorld();
    const expired = await w.request('v-acme-lag-1');
    const ended = await changeRequest(w.domain, expired.id, {
      status: 'expired',
      account: { username: 'v-acme-lag-1', state: 'disabled', disabledAt: new Date(Date.parse(expired.validTo) + 4200).toISOString() },
    });
    expect(revocationOf(ended, w.clock.now())).toMatchObject({ state: 'done', trigger: 'expiry', dueAt: expired.validTo, lagMs: 4200 });
    const manual: AccessRequest = {
      ...ended,
      status: 'revoked',
      revocation: { trigger: 'manual', by: 'sup-amy', requestedAt: w.at(10), reason: 'work done' },
      account: { username: 'x', state: 'disabled', disabledAt: new Date(Date.parse(w.at(10)) + 850).toISOString() },
    };
    expect(revocationOf(manual, w.clock.now())).toMatchObject({ state: 'done', trigger: 'manual', by: 'sup-amy', dueAt: w.at(10), lagMs: 850 });
    const late: AccessRequest = { ...ended, status: 'active', validTo: w.at(-1), account: { username: 'x', state: 'active' } };
    expect(revocationOf(late, w.clock.now())).toMatchObject({ state: 'overdue', doneAt: null, lagMs: null });
    expect(revocationOf({ ...ended, status: 'pending', account: undefined }, w.clock.now())).toBeNull();
  });

  it('audits the export with ids and counts only, no personal data', async () => {
    const w = new SessionWorld();
    const { request } = await lifecycle(w);
    await evidenceOf(w).forRequest(AUDITOR, request.id, { format: 'html', lang: 'en' });
    const event = w.records.events.at(-1)!;
    expect(event).toMatchObject({ actor: AUDITOR, action: 'evidence.exported', subject: `request:${request.id}`, outcome: 'success' });
    expect(event.details).toMatchObject({ kind: 'request', format: 'html', lang: 'en', proofOk: true });
    for (const personal of ['Ann Example', 'ann@acme.example']) expect(JSON.stringify(event)).not.toContain(personal);
  });

  it('lists the room visits of the request and of the person during its validity, once each', async () => {
    const w = new SessionWorld();
    const { request } = await lifecycle(w);
    const visit = (id: string) => ({
      id,
      personId: request.personId,
      requestId: request.id,
      room: 'B1 machine room',
      purpose: 'swap disk',
      escortedBy: 'ops-kim',
      enteredAt: w.at(5),
      media: [{ kind: 'laptop', description: 'ThinkPad' }],
      flags: [],
    });
    const asked: unknown[] = [];
    const rooms: EvidenceRooms = {
      visits: (q) => {
        asked.push(q);
        return Promise.resolve({ available: true, items: [visit('rv_1'), ...(q.personId ? [visit('rv_2')] : [])], truncated: false });
      },
    };
    const pack = await evidenceOf(w, rooms).forRequest(AUDITOR, request.id, META);
    expect(pack.request.roomVisits.items.map((v) => v.id)).toEqual(['rv_1', 'rv_2']);
    expect(asked).toContainEqual({ personId: request.personId, from: request.validFrom, to: request.validTo });
    expect(asked).toContainEqual({ requestId: request.id });
  });

  it('answers 404 for a request that does not exist', async () => {
    const w = new SessionWorld();
    await expect(evidenceOf(w).forRequest(AUDITOR, 'req_nope', META)).rejects.toMatchObject({ status: 404 });
  });
});

describe('an evidence pack of one vendor', () => {
  it('covers the requests whose validity overlaps the period, a page at a time, with one proof', async () => {
    const w = new SessionWorld();
    const first = await w.request(ACCOUNT);
    const person = { id: first.personId, vendorId: first.vendorId };
    const second = await seedRequest(w.domain, new Date(w.t0 + 10 * MIN), {}, person);
    const outside = await seedRequest(w.domain, new Date(w.t0 + 40 * 24 * 60 * MIN), {}, person);
    const svc = evidenceOf(w);
    const period = { from: new Date(w.t0), to: new Date(w.t0 + 2 * 24 * 60 * MIN) };
    const one = await svc.forVendor(AUDITOR, first.vendorId, { ...period, limit: 1 }, META);
    expect(one.page).toMatchObject({ total: 2, offset: 0, returned: 1, truncated: true });
    const two = await svc.forVendor(AUDITOR, first.vendorId, { ...period, limit: 1, cursor: one.page.nextCursor! }, META);
    expect(two.page).toMatchObject({ total: 2, offset: 1, returned: 1, truncated: false, nextCursor: null });
    const ids = [...one.requests, ...two.requests].map((r) => r.form.id);
    expect(ids.sort()).toEqual([first.id, second.id].sort());
    expect(ids).not.toContain(outside.id);
    expect(one.proof.verification.ok).toBe(true);
    expect(one.proof.subjects).toContain(`vendor:${first.vendorId}`);
    expect(w.records.events.at(-1)).toMatchObject({ action: 'evidence.exported', subject: `vendor:${first.vendorId}` });
  });

  it('refuses a period that ends before it starts, and a cursor it did not make', async () => {
    const w = new SessionWorld();
    const r = await w.request(ACCOUNT);
    const svc = evidenceOf(w);
    await expect(svc.forVendor(AUDITOR, r.vendorId, { from: new Date(w.t0), to: new Date(w.t0 - 1), limit: 5 }, META)).rejects.toMatchObject({ status: 400 });
    await expect(svc.forVendor(AUDITOR, r.vendorId, { from: new Date(w.t0), to: new Date(w.t0 + 1), limit: 5, cursor: 'bogus' }, META)).rejects.toMatchObject({
      status: 400,
    });
  });
});
