import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { auditTrail, fileRequest, vendorWithPerson } from '../support/fixtures.js';
import { apiClient, slapdTarget, startTestService, type TestService } from '../support/service-harness.js';

const DAY = 86_400_000;
type Api = ReturnType<typeof apiClient>;

interface Detail {
  field?: string;
  rule?: string;
}

/** Clause 1.8 over HTTP: the machine-room register on real Redis, its people and requests on the run's slapd. */
describe('machine-room register', () => {
  let subtree: LdapSubtree;
  let svc: TestService;
  let api: Api;
  /** The service's clock runs this far ahead of the wall clock: a month passes in a line. */
  let ahead = 0;
  const now = () => new Date(Date.now() + ahead);

  beforeAll(async () => {
    subtree = await createLdapSubtree('rooms');
    svc = await startTestService({
      redisUrl: inject('redisUrl'),
      directory: slapdTarget(inject('slapd'), subtree.dn),
      policy: { roomRegister: { reviewDueDays: 31 } },
      now,
    });
    api = apiClient(svc.url);
  });
  afterAll(async () => {
    await svc?.close();
    await subtree?.cleanup();
  });

  const laptop = { kind: 'laptop', description: 'ThinkPad T14', serial: 'PF-123' };
  const usb = { kind: 'usb', description: 'SanDisk 64 GB' };
  const entry = (personId: string, over: Record<string, unknown> = {}) => ({
    personId,
    room: 'B1 machine room',
    purpose: 'replace a failed disk',
    escortedBy: 'ops-carol',
    media: [laptop, usb],
    ...over,
  });
  const fields = (body: { error: { details: Detail[] } }) => body.error.details.map((d) => `${d.field}:${d.rule}`);

  it('refuses a visit without an escort (422 naming escortedBy), bad input (400 naming the field), and anyone but a requester recording it', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Escort Co');
    for (const escortedBy of [undefined, '', '   ']) {
      const reply = await api('POST', '/v1/room-visits', svc.tokens.requester, entry(personId, { escortedBy }));
      expect(reply.status, JSON.stringify(reply.body)).toBe(422);
      expect(fields(reply.body)).toEqual(['escortedBy:escort_required']);
    }
    const bad = await api('POST', '/v1/room-visits', svc.tokens.requester, entry(personId, { media: [{ kind: 'floppy', description: '' }], extra: 1 }));
    expect(bad.status).toBe(400);
    expect(fields(bad.body)).toEqual(
      expect.arrayContaining(['body.media.0.kind:invalid_value', 'body.media.0.description:too_small', 'body.extra:unknown_member']),
    );
    const unknown = await api('POST', '/v1/room-visits', svc.tokens.requester, entry('per_nope'));
    expect([unknown.status, fields(unknown.body)]).toEqual([422, ['personId:person_exists']]);
    for (const token of [svc.tokens.auditor, svc.tokens.approver]) expect((await api('POST', '/v1/room-visits', token, entry(personId))).status).toBe(403);
    expect((await api('GET', `/v1/room-visits?personId=${personId}`, svc.tokens.auditor)).body.items).toEqual([]);
    expect((await api('POST', '/v1/room-visits', svc.tokens.admin, entry(personId))).status).toBe(201);
  });

  it("records an entry tied to the person's request, flags the media not taken out at exit, and refuses a second exit", async () => {
    const { vendorId, personId } = await vendorWithPerson(api, svc, 'Media Co');
    const other = await vendorWithPerson(api, svc, 'Other Co');
    const group = childDn('cn', 'erp-support', inject('slapd').groupsOu);
    const requestId = await fileRequest(api, svc, personId, group, { approve: false });
    const foreign = await api('POST', '/v1/room-visits', svc.tokens.requester, entry(other.personId, { requestId }));
    expect([foreign.status, fields(foreign.body)]).toEqual([422, ['requestId:request_of_person']]);

    const entered = await api('POST', '/v1/room-visits', svc.tokens.requester, entry(personId, { requestId }));
    expect(entered.status, JSON.stringify(entered.body)).toBe(201);
    expect(entered.body).toMatchObject({ personId, vendorId, requestId, escortedBy: 'ops-carol', media: [laptop, usb], recordedBy: 'requester', flags: [] });
    const id = entered.body.id as string;
    expect((await api('POST', `/v1/room-visits/${id}/exit`, svc.tokens.auditor, { mediaOut: [] })).status).toBe(403);
    expect((await api('POST', `/v1/room-visits/${id}/exit`, svc.tokens.requester, {})).status).toBe(400);

    const exited = await api('POST', `/v1/room-visits/${id}/exit`, svc.tokens.requester, { mediaOut: [{ ...laptop, description: 'laptop' }] });
    expect(exited.status, JSON.stringify(exited.body)).toBe(200);
    expect(exited.body.exitedAt).toEqual(expect.any(String));
    expect(exited.body.flags).toEqual([{ code: 'not_taken_out', ...usb }]);
    const again = await api('POST', `/v1/room-visits/${id}/exit`, svc.tokens.requester, { mediaOut: [usb] });
    expect(again.status).toBe(409);
    expect((await api('GET', `/v1/room-visits/${id}`, svc.tokens.auditor)).body.flags).toEqual([{ code: 'not_taken_out', ...usb }]);
    expect((await api('POST', '/v1/room-visits/vis_nope/exit', svc.tokens.requester, { mediaOut: [] })).status).toBe(404);
  });

  it('lists the register to auditors, approvers and requesters, newest first, by open, person, request and period, page by page, flags shown', async () => {
    const a = await vendorWithPerson(api, svc, 'List Co A');
    const b = await vendorWithPerson(api, svc, 'List Co B');
    const ids: string[] = [];
    const enter = async (personId: string) => ids.push((await api('POST', '/v1/room-visits', svc.tokens.requester, entry(personId))).body.id);
    await enter(a.personId);
    await enter(b.personId);
    // A second entry while the first is open is refused (422 already_inside) until the exit is recorded.
    const twice = await api('POST', '/v1/room-visits', svc.tokens.requester, entry(a.personId));
    expect([twice.status, fields(twice.body)]).toEqual([422, ['personId:already_inside']]);
    await api('POST', `/v1/room-visits/${ids[0]}/exit`, svc.tokens.requester, { mediaOut: [] });
    await enter(a.personId);
    const list = async (query: string, token = svc.tokens.auditor) => {
      const reply = await api('GET', `/v1/room-visits?${query}`, token);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body as { items: { id: string; flags: unknown[] }[]; nextCursor: string | null };
    };
    expect((await list(`personId=${a.personId}`)).items.map((v) => v.id)).toEqual([ids[2], ids[0]]);
    expect((await list(`personId=${a.personId}&open=true`, svc.tokens.approver)).items.map((v) => v.id)).toEqual([ids[2]]);
    const closed = (await list(`personId=${a.personId}&open=false`, svc.tokens.requester)).items;
    expect(closed.map((v) => [v.id, v.flags.length])).toEqual([[ids[0], 2]]);
    expect((await list(`vendorId=${b.vendorId}`)).items.map((v) => v.id)).toEqual([ids[1]]);

    const first = await list(`personId=${a.personId}&limit=1`);
    expect(first.items.map((v) => v.id)).toEqual([ids[2]]);
    const second = await list(`personId=${a.personId}&limit=1&cursor=${first.nextCursor}`);
    expect([second.items.map((v) => v.id), second.nextCursor]).toEqual([[ids[0]], null]);

    const future = encodeURIComponent(new Date(now().getTime() + DAY).toISOString());
    expect((await list(`personId=${a.personId}&from=${future}`)).items).toEqual([]);
    const past = encodeURIComponent(new Date(now().getTime() - DAY).toISOString());
    expect((await list(`personId=${a.personId}&from=${past}&to=${future}`)).items).toHaveLength(2);
    const reversed = await api('GET', `/v1/room-visits?from=${future}&to=${past}`, svc.tokens.auditor);
    expect([reversed.status, fields(reversed.body)]).toEqual([400, ['query.to:custom']]);
    expect((await api('GET', '/v1/room-visits?cursor=bogus', svc.tokens.auditor)).status).toBe(400);
    expect((await api('GET', '/v1/room-visits?open=maybe', svc.tokens.auditor)).status).toBe(400);
  });

  it('is signed off by approvers only, shows as overdue once the oldest unreviewed visit is older than reviewDueDays, and clears with a review', async () => {
    const review = (token: string, body: Record<string, unknown>) => api('POST', '/v1/room-visits/reviews', token, body);
    const status = async () => {
      const reply = await api('GET', '/v1/room-visits/reviews', svc.tokens.auditor);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body as { items: { id: string }[]; status: { state: string; oldestUnreviewedAt: string | null; dueAt: string | null } };
    };
    const before = await status();
    expect(before.status.state).toBe('pending'); // the visits of the tests above, less than a month old
    const oldest = Date.parse(before.status.oldestUnreviewedAt!);
    expect(Date.parse(before.status.dueAt!)).toBe(oldest + 31 * DAY);

    ahead = 31 * DAY + 60_000;
    expect((await status()).status).toMatchObject({ state: 'overdue', oldestUnreviewedAt: before.status.oldestUnreviewedAt });

    const period = { from: new Date(oldest - DAY).toISOString(), to: new Date(now().getTime() - 60_000).toISOString(), note: 'all media accounted for' };
    expect((await review(svc.tokens.requester, period)).status).toBe(403);
    expect((await review(svc.tokens.auditor, period)).status).toBe(403);
    const futureTo = await review(svc.tokens.approver, { ...period, to: new Date(now().getTime() + DAY).toISOString() });
    expect([futureTo.status, fields(futureTo.body)]).toEqual([422, ['to:period_not_future']]);
    const reversed = await review(svc.tokens.approver, { ...period, to: period.from, from: period.to });
    expect([reversed.status, fields(reversed.body)]).toEqual([422, ['to:period_order']]);
    expect((await review(svc.tokens.approver, { ...period, note: '' })).status).toBe(400);

    const signed = await review(svc.tokens.approver, period);
    expect(signed.status, JSON.stringify(signed.body)).toBe(201);
    expect(signed.body).toMatchObject({ signedBy: 'approver', note: period.note, from: period.from, to: period.to });
    // The visits the tests above recorded: five, two of them exited with media flagged.
    expect(signed.body).toMatchObject({ visits: 5, openVisits: 3, flaggedVisits: 2 });
    const after = await status();
    expect(after.status).toEqual({ state: 'clear', oldestUnreviewedAt: null, dueAt: null, reviewDueDays: 31 });
    expect(after.items.map((r) => r.id)).toEqual([signed.body.id]);
  });

  it('keeps every step in the audit trail, by id and never by name, and the trail verifies', async () => {
    const trail = await auditTrail(svc);
    const actions = new Set(trail.map((e) => e.action));
    for (const action of [
      'room.visit.entered',
      'room.visit.exited',
      'room.media.unreturned',
      'room.review.signed',
      'room.visit.refused',
      'room.review.refused',
    ])
      expect(actions, action).toContain(action);
    const unreturned = trail.find((e) => e.action === 'room.media.unreturned')!;
    expect(unreturned).toMatchObject({ outcome: 'warning', details: { media: [usb] } });
    for (const e of trail.filter((x) => x.action.startsWith('room.'))) expect(JSON.stringify(e)).not.toContain('Chen Wei');
    const verify = await api('GET', '/v1/audit/verify', svc.tokens.auditor);
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
  });

  // Last: it adds a visit the counts above do not expect.
  it('records one of two entries of one person sent at once and refuses the others (already_inside), audited', async () => {
    const { personId } = await vendorWithPerson(api, svc, 'Race Co');
    const replies = await Promise.all([0, 1, 2, 3].map(() => api('POST', '/v1/room-visits', svc.tokens.requester, entry(personId))));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 422, 422, 422]);
    for (const r of replies.filter((x) => x.status === 422)) expect(fields(r.body)).toEqual(['personId:already_inside']);
    const open = await api('GET', `/v1/room-visits?personId=${personId}&open=true`, svc.tokens.auditor);
    expect(open.body.items.map((v: { id: string }) => v.id)).toEqual([replies.find((r) => r.status === 201)!.body.id]);
    const trail = await auditTrail(svc);
    expect(trail.filter((e) => e.action === 'room.visit.entered' && e.details?.personId === personId)).toHaveLength(1);
    expect(trail.filter((e) => e.action === 'room.visit.refused' && e.subject === `person:${personId}`)).toHaveLength(3);
  });
});
