import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, type AuditEvent } from '../../src/audit/audit-event.js';
import { ChainChecker } from '../../src/audit/chain-checker.js';
import { decodeCursor, ref, type DomainStore, type Page } from '../../src/domain/ports/domain-store.port.js';
import { updateRequest } from '../../src/domain/update-request.js';
import { Conflict, NotFound } from '../../src/errors.js';
import type { FakeClock } from '../support/fake-clock.js';
import { followPages } from '../support/follow-pages.js';
import { changeRequest, event, newVendor, saveNew, seedPerson, seedRequest, withNote } from '../support/store-records.js';

/** Everything the suite needs from one store implementation, fresh and empty for each test. */
export interface StoreContractContext {
  store: DomainStore;
  /** Another process on the same records (its own connection and queue): its commits interleave with `store`'s. */
  otherProcess(): DomainStore;
  /** The audit trail as stored, oldest first. */
  auditTrail(): Promise<AuditEvent[]>;
  /** The clock the store stamps events with. */
  clock: FakeClock;
  cleanup(): Promise<void>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every page of a list, following this store's cursors. */
const allPages = <T>(read: (cursor: number | undefined) => Promise<Page<T>>): Promise<T[][]> => followPages(read, decodeCursor);

/**
 * The one store contract (STYLE.md §3): proves a DomainStore keeps records,
 * indexes, units of work and the audit chain as the port promises.
 */
export function storeContract(name: string, makeContext: () => Promise<StoreContractContext>): void {
  describe(`store contract: ${name}`, () => {
    let ctx: StoreContractContext;
    let store: DomainStore;
    let t0: Date;
    const at = (offsetMs: number) => new Date(t0.getTime() + offsetMs);
    beforeEach(async () => {
      ctx = await makeContext();
      store = ctx.store;
      t0 = ctx.clock.now();
    });
    afterEach(() => ctx.cleanup());

    describe('units of work', () => {
      it('commits records with their audit events together, readable by queries and inside a unit of work', async () => {
        const { vendor, person } = await seedPerson(store, t0);
        const request = await seedRequest(store, t0, {}, person);
        expect(vendor.n).toBeLessThan(person.n);
        expect(person.n).toBeLessThan(request.n);
        expect(await store.getVendor(vendor.id)).toEqual(vendor);
        expect(await store.getPerson(person.id)).toEqual(person);
        expect(await store.getRequest(request.id)).toEqual(request);
        expect(await store.getRequests(['req_absent', request.id])).toEqual([request]);
        expect(await store.getRequest('req_absent')).toBeNull();
        const seen = await store.run([ref.vendor(vendor.id), ref.person(person.id), ref.request(request.id)], async (read) => ({
          events: [],
          result: {
            v: await read.vendor(vendor.id),
            p: await read.person(person.id),
            r: await read.request(request.id),
            rs: await read.requests([request.id, 'req_absent']),
            c: await read.sealedCredential(request.id),
          },
        }));
        expect(seen).toEqual({ v: vendor, p: person, r: request, rs: [request], c: null });
        expect((await ctx.auditTrail()).map((e) => [e.action, e.subject])).toEqual([
          ['vendor.created', `vendor:${vendor.id}`],
          ['person.registered', `person:${person.id}`],
          ['request.filed', `request:${request.id}`],
        ]);
      });

      it('writes nothing and appends nothing when the decision or its writes throw', async () => {
        const request = await seedRequest(store, t0);
        const trail = await ctx.auditTrail();
        await expect(store.run([ref.request(request.id)], () => Promise.reject(new Conflict('refused')))).rejects.toBeInstanceOf(Conflict);
        await expect(
          updateRequest(store, request.id, () => {
            throw new Conflict('refused');
          }),
        ).rejects.toBeInstanceOf(Conflict);
        const vendor = await newVendor(store, t0);
        const halfWay = store.run([], () =>
          Promise.resolve({
            writes: (w) => {
              w.putVendor(vendor, true);
              w.putRequest({ ...request, status: 'approved' }, request);
              throw new Error('failed half-way through planning');
            },
            events: [event('vendor.created', `vendor:${vendor.id}`)],
            result: undefined,
          }),
        );
        await expect(halfWay).rejects.toThrow();
        expect(await store.getVendor(vendor.id)).toBeNull();
        expect((await store.searchVendors('', undefined, 10)).items.map((v) => v.id)).not.toContain(vendor.id);
        expect(await store.getRequest(request.id)).toEqual(request);
        expect(await store.idsInStatus('approved')).toEqual([]);
        expect(await ctx.auditTrail()).toEqual(trail);
        await changeRequest(store, request.id, { status: 'approved' });
        expect(await store.idsInStatus('approved')).toEqual([request.id]);
      });

      it('changes a request under the same position with its event, and changes nothing on a null decision', async () => {
        const request = await seedRequest(store, t0);
        ctx.clock.advance(1000);
        const approved = await updateRequest(store, request.id, (r) => ({
          next: { ...r, status: 'approved', updatedAt: ctx.clock.now().toISOString() },
          events: [event('request.approved', `request:${r.id}`)],
        }));
        expect(approved).toEqual({ ...request, status: 'approved', updatedAt: at(1000).toISOString() });
        expect(await store.getRequest(request.id)).toEqual(approved);
        expect(await store.idsInStatus('pending')).toEqual([]);
        expect(await store.idsInStatus('approved')).toEqual([request.id]);
        const trail = await ctx.auditTrail();
        expect(trail.at(-1)).toMatchObject({ action: 'request.approved', subject: `request:${request.id}` });
        expect(await updateRequest(store, request.id, () => null)).toBeNull();
        expect(await ctx.auditTrail()).toEqual(trail);
        await expect(updateRequest(store, 'req_absent', () => null)).rejects.toBeInstanceOf(NotFound);
      });

      it('chains every event: seq from 1, each naming the hash of the one before, stamped by the clock', async () => {
        await store.append();
        expect(await ctx.auditTrail()).toEqual([]);
        await store.append(event('policy.refused', 'person:per_1', { rules: ['nda_signed'] }), event('auth.failed', 'token:x'));
        ctx.clock.advance(5000);
        await seedRequest(store, ctx.clock.now());
        const trail = await ctx.auditTrail();
        expect(trail.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(trail[0]).toMatchObject({ prevHash: GENESIS_HASH, at: t0.toISOString(), details: { rules: ['nda_signed'] } });
        expect(trail[1]!.details).toEqual({});
        trail.slice(1).forEach((e, i) => expect(e.prevHash).toBe(trail[i]!.hash));
        expect(trail.slice(2).map((e) => e.at)).toEqual(Array(3).fill(at(5000).toISOString()));
        const checker = new ChainChecker();
        for (const e of trail) checker.next(JSON.stringify(e));
        expect(checker.finish()).toMatchObject({ ok: true, count: 5 });
      });

      it('keeps a sealed credential until it is deleted with the change that takes it', async () => {
        const request = await seedRequest(store, t0, { status: 'active' });
        await updateRequest(store, request.id, (r) => ({
          next: { ...r, credential: 'available' },
          events: [],
          writes: (w) => w.putSealedCredential(r.id, 'v1.sealed'),
        }));
        const take = () =>
          updateRequest(
            store,
            request.id,
            async (r, read) => {
              const sealed = await read.sealedCredential(r.id);
              return sealed
                ? {
                    next: { ...r, credential: 'retrieved', flags: [{ at: t0.toISOString(), kind: 'took', detail: sealed }] },
                    events: [],
                    writes: (w) => w.deleteCredential(r.id),
                  }
                : null;
            },
            [ref.credential(request.id)],
          );
        expect((await take())?.flags?.[0]?.detail).toBe('v1.sealed');
        expect(await take()).toBeNull();
        expect(await store.run([], async (read) => ({ events: [], result: await read.sealedCredential(request.id) }))).toBeNull();
      });
    });

    describe('concurrency', () => {
      it('runs a decision again on fresh data when another process changed the request it locked', async () => {
        const request = await seedRequest(store, t0);
        const other = ctx.otherProcess();
        const seen: number[] = [];
        await updateRequest(store, request.id, async (r) => {
          seen.push(r.history.length);
          if (seen.length === 1)
            await updateRequest(other, r.id, (o) => ({
              next: withNote(o, 'theirs', t0),
              events: [event('request.noted', `request:${o.id}`, { note: 'theirs' })],
            }));
          return { next: withNote(r, 'mine', t0), events: [event('request.noted', `request:${r.id}`, { note: 'mine' })] };
        });
        expect(seen).toEqual([1, 2]);
        expect((await store.getRequest(request.id))!.history.map((h) => h.note ?? h.action)).toEqual(['filed', 'theirs', 'mine']);
        expect((await ctx.auditTrail()).slice(-2).map((e) => e.details.note)).toEqual(['theirs', 'mine']);
      });

      it('runs a decision again when another process deleted the credential it locked', async () => {
        const request = await seedRequest(store, t0, { status: 'active' });
        await store.run([], () => Promise.resolve({ writes: (w) => w.putSealedCredential(request.id, 'v1.sealed'), events: [], result: undefined }));
        const other = ctx.otherProcess();
        const seen: (string | null)[] = [];
        await store.run([ref.credential(request.id)], async (read) => {
          seen.push(await read.sealedCredential(request.id));
          if (seen.length === 1) await other.run([], () => Promise.resolve({ writes: (w) => w.deleteCredential(request.id), events: [], result: undefined }));
          return { events: [], result: undefined };
        });
        expect(seen).toEqual(['v1.sealed', null]);
      });

      it('loses no change among many made at once by two processes', async () => {
        const request = await seedRequest(store, t0);
        const other = ctx.otherProcess();
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            updateRequest(i % 2 ? store : other, request.id, (r) => ({
              next: withNote(r, `n${i}`, t0),
              events: [event('request.noted', `request:${r.id}`, { note: `n${i}` })],
            })),
          ),
        );
        const notes = (await store.getRequest(request.id))!.history.flatMap((h) => h.note ?? []);
        expect(notes.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `n${i}`).sort());
        const checker = new ChainChecker();
        for (const e of await ctx.auditTrail()) checker.next(JSON.stringify(e));
        expect(checker.finish()).toMatchObject({ ok: true, count: 3 + 12 });
      });
    });

    describe('lists', () => {
      it('lists every vendor newest first, a page at a time (an empty search)', async () => {
        const vendors = [];
        for (let i = 0; i < 5; i++) vendors.push((await seedPerson(store, t0, { name: `Vendor ${i}` })).vendor);
        const ids = vendors.map((v) => v.id).reverse();
        expect((await allPages((c) => store.searchVendors('', c, 2))).map((p) => p.map((v) => v.id))).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
        expect((await store.searchVendors('', undefined, 5)).nextCursor).toBeNull();
        expect((await store.searchVendors('', vendors[0]!.n, 5)).items).toEqual([]);
      });

      it('lists requests newest first by status, vendor and person, following cursors through filtered pages', async () => {
        const a = await seedPerson(store, t0);
        const a2 = await seedPerson(store, t0);
        const b = await seedPerson(store, t0);
        const p2 = { id: a2.person.id, vendorId: a.vendor.id };
        const plan = [
          [a.person, 'pending'],
          [p2, 'approved'],
          [b.person, 'pending'],
          [a.person, 'approved'],
          [a.person, 'pending'],
          [p2, 'pending'],
        ] as const;
        const r: string[] = [];
        for (const [person, status] of plan) r.push((await seedRequest(store, t0, { status }, person)).id);
        const [r1, r2, r3, r4, r5, r6] = r;
        const ids = async (filter: Parameters<DomainStore['listRequests']>[0], limit = 10) =>
          (await allPages((c) => store.listRequests(filter, c, limit))).map((p) => p.map((x) => x.id));
        expect(await ids({})).toEqual([[r6, r5, r4, r3, r2, r1]]);
        expect(await ids({ status: 'pending' }, 2)).toEqual([
          [r6, r5],
          [r3, r1],
        ]);
        expect(await ids({ vendorId: a.vendor.id }, 2)).toEqual([[r6, r5], [r4, r2], [r1]]);
        expect(await ids({ personId: a.person.id, status: 'pending' }, 1)).toEqual([[r5], [r1]]);
        expect(await ids({ vendorId: a.vendor.id, status: 'approved' })).toEqual([[r4, r2]]);
        expect(await ids({ vendorId: a.vendor.id, personId: b.person.id })).toEqual([[]]);
        expect(await store.requestIdsOfPerson(a.person.id)).toEqual([r5, r4, r1]);
        expect(await store.requestIdsOfVendor(a.vendor.id)).toEqual([r6, r5, r4, r2, r1]);
        expect(await store.idsInStatus('pending')).toEqual([r1, r3, r5, r6]);
        await changeRequest(store, r1!, { status: 'approved' });
        expect(await store.idsInStatus('approved')).toEqual([r1, r2, r4]);
        expect(await ids({ status: 'pending' })).toEqual([[r6, r5, r3]]);
      });

      it('finds vendors by any part of their name, ignoring case and width, in Chinese too, newest first a page at a time', async () => {
        const names = ['臺北資訊股份有限公司', 'Acme Maintenance', '新竹資訊服務社', 'ＡＣＭＥ Network', 'Zeta Systems'];
        const v: string[] = [];
        for (const name of names) v.push((await seedPerson(store, t0, { name })).vendor.id);
        const ids = async (q: string, limit = 10) => (await allPages((c) => store.searchVendors(q, c, limit))).map((p) => p.map((x) => x.id));
        expect(await ids('acme', 1)).toEqual([[v[3]], [v[1]]]);
        expect(await ids('資訊')).toEqual([[v[2], v[0]]]);
        expect(await ids('臺北')).toEqual([[v[0]]]);
        expect(await ids(' network ')).toEqual([[v[3]]]);
        expect(await ids('nobody')).toEqual([[]]);
        expect(await ids('', 2)).toEqual([[v[4], v[3]], [v[2], v[1]], [v[0]]]);
      });

      it('finds people of every vendor by any part of their full name, newest first a page at a time', async () => {
        const a = await seedPerson(store, t0);
        const b = await seedPerson(store, t0);
        const add = async (vendorId: string, fullName: string) => {
          const person = {
            ...a.person,
            id: `${a.person.id}-${fullName.length}-${Math.random().toString(36).slice(2, 8)}`,
            n: await store.nextPosition(),
            vendorId,
            fullName,
          };
          await saveNew(store, { person });
          return person.id;
        };
        const chen = await add(a.vendor.id, '陳小明');
        const lin = await add(b.vendor.id, '林美華');
        const chenB = await add(b.vendor.id, '陳大文');
        const ann = await add(b.vendor.id, 'ANN Smith');
        const ids = async (q: string, limit = 10) => (await allPages((c) => store.searchPeople(q, c, limit))).map((p) => p.map((x) => x.id));
        expect(await ids('陳', 1)).toEqual([[chenB], [chen]]);
        expect(await ids('美華')).toEqual([[lin]]);
        expect(await ids('ann')).toEqual([[ann, b.person.id, a.person.id]]);
        expect(await ids('nobody')).toEqual([[]]);
        expect((await ids('', 3)).flat()).toEqual([ann, chenB, lin, chen, b.person.id, a.person.id]);
        expect((await store.searchPeople('陳', undefined, 5)).items.map((p) => p.vendorId)).toEqual([b.vendor.id, a.vendor.id]);
      });

      it("lists a vendor's people oldest first", async () => {
        const { vendor, person } = await seedPerson(store, t0);
        const second = { ...person, id: `${person.id}x`, n: await store.nextPosition(), fullName: 'Bo Second' };
        await saveNew(store, { person: second });
        expect(await store.peopleOfVendor(vendor.id)).toEqual([person, second]);
        expect(await store.peopleOfVendor('ven_absent')).toEqual([]);
      });
    });

    describe('sweep indexes', () => {
      it('finds requests due for expiry only while they are live, earliest validTo first', async () => {
        const due = async (offset: number, limit = 10) => store.dueForExpiry(at(offset).getTime(), limit);
        const a = await seedRequest(store, t0, { status: 'approved', validTo: at(HOUR).toISOString() });
        const b = await seedRequest(store, t0, { status: 'active', validTo: at(2 * HOUR).toISOString() });
        await seedRequest(store, t0, { status: 'pending', validTo: at(HOUR).toISOString() });
        const d = await seedRequest(store, t0, { status: 'provisioning', validTo: at(3 * HOUR).toISOString() });
        await seedRequest(store, t0, { status: 'expired', validTo: at(0).toISOString() });
        expect(await due(2 * HOUR)).toEqual([a.id, b.id]);
        expect(await due(2 * HOUR, 1)).toEqual([a.id]);
        expect(await due(HOUR - 1)).toEqual([]);
        expect(await due(3 * HOUR)).toEqual([a.id, b.id, d.id]);
        await changeRequest(store, a.id, { status: 'expired' });
        expect(await due(3 * HOUR)).toEqual([b.id, d.id]);
      });

      it('finds requests due for expiry within a window (after one instant, up to another), as an expiry alarm reads its slot', async () => {
        const within = (after: number, until: number, limit = 10) => store.dueForExpiry(at(until).getTime(), limit, at(after).getTime());
        const edge = await seedRequest(store, t0, { status: 'active', validTo: at(HOUR).toISOString() });
        const inside = await seedRequest(store, t0, { status: 'active', validTo: at(HOUR + 50).toISOString() });
        const end = await seedRequest(store, t0, { status: 'approved', validTo: at(HOUR + 100).toISOString() });
        await seedRequest(store, t0, { status: 'active', validTo: at(HOUR + 101).toISOString() });
        await seedRequest(store, t0, { status: 'expired', validTo: at(HOUR + 60).toISOString() });
        expect(await within(HOUR, HOUR + 100)).toEqual([inside.id, end.id]);
        expect(await within(HOUR, HOUR + 100, 1)).toEqual([inside.id]);
        expect(await within(HOUR - 1, HOUR)).toEqual([edge.id]);
        expect(await within(HOUR + 101, HOUR + 200)).toEqual([]);
      });

      it('finds asked-for revocations until the request is no longer live', async () => {
        const revocation = { trigger: 'manual' as const, by: 'ops-test', requestedAt: at(HOUR).toISOString() };
        const x = await seedRequest(store, t0, { status: 'active', revocation });
        await seedRequest(store, t0, { status: 'active' });
        await seedRequest(store, t0, { status: 'failed', revocation });
        expect(await store.pendingRevocations(at(HOUR).getTime(), 10)).toEqual([x.id]);
        expect(await store.pendingRevocations(at(HOUR - 1).getTime(), 10)).toEqual([]);
        await changeRequest(store, x.id, { status: 'revoked' });
        expect(await store.pendingRevocations(at(DAY).getTime(), 10)).toEqual([]);
      });

      it('finds ended contracts of active vendors only', async () => {
        const ended = (await seedPerson(store, t0, { contractEndsAt: at(-DAY).toISOString() })).vendor;
        await seedPerson(store, t0, { contractEndsAt: at(DAY).toISOString() });
        await seedPerson(store, t0, { contractEndsAt: at(-2 * DAY).toISOString(), status: 'terminated' });
        expect(await store.contractsEnded(t0.getTime(), 10)).toEqual([ended.id]);
        await store.run([ref.vendor(ended.id)], async (read) => {
          const v = (await read.vendor(ended.id))!;
          return {
            writes: (w) => w.putVendor({ ...v, status: 'terminated' }, false),
            events: [event('vendor.terminated', `vendor:${v.id}`)],
            result: undefined,
          };
        });
        expect(await store.contractsEnded(t0.getTime(), 10)).toEqual([]);
        expect((await store.searchVendors('', undefined, 10)).items).toHaveLength(3);
      });

      it('finds due departures of people still active', async () => {
        const { person } = await seedPerson(store, t0);
        await seedPerson(store, t0);
        const put = (p: typeof person) => store.run([], () => Promise.resolve({ writes: (w) => w.putPerson(p, false), events: [], result: undefined }));
        await put({ ...person, departureScheduledAt: at(HOUR).toISOString() });
        expect(await store.departuresDue(at(HOUR).getTime(), 10)).toEqual([person.id]);
        expect(await store.departuresDue(t0.getTime(), 10)).toEqual([]);
        await put({ ...person, departureScheduledAt: at(HOUR).toISOString(), status: 'departed', departedAt: at(HOUR).toISOString() });
        expect(await store.departuresDue(at(DAY).getTime(), 10)).toEqual([]);
        expect((await store.peopleOfVendor(person.vendorId)).map((p) => p.status)).toEqual(['departed']);
      });

      it('finds disabled accounts past retention until they are deleted', async () => {
        const account = { username: 'v-acme-ann-1', dn: 'uid=v-acme-ann-1,ou=vendors', state: 'disabled' as const, disabledAt: at(-10 * DAY).toISOString() };
        const old = await seedRequest(store, t0, { status: 'expired', account });
        await seedRequest(store, t0, { status: 'revoked', account: { ...account, disabledAt: at(-DAY).toISOString() } });
        await seedRequest(store, t0, { status: 'active', account: { ...account, state: 'active' } });
        expect(await store.dueForDeletion(at(-5 * DAY).getTime(), 10)).toEqual([old.id]);
        await changeRequest(store, old.id, { account: { ...account, state: 'deleted', deletedAt: t0.toISOString() } });
        expect(await store.dueForDeletion(at(-5 * DAY).getTime(), 10)).toEqual([]);
      });

      it('reports a live request overdue once, and again only after it stopped being live', async () => {
        const r = await seedRequest(store, t0, { status: 'active' });
        expect(await store.markOverdueReported(r.id)).toBe(true);
        expect(await store.markOverdueReported(r.id)).toBe(false);
        await changeRequest(store, r.id, { status: 'expired' });
        expect(await store.markOverdueReported(r.id)).toBe(true);
      });

      it('reserves a username for the first request only, whatever its case', async () => {
        expect(await store.reserveUsername('v-acme-ann-1', 'req_first')).toBe('req_first');
        expect(await store.reserveUsername('V-Acme-ANN-1', 'req_second')).toBe('req_first');
        expect(await store.reserveUsername('v-acme-ann-1', 'req_first')).toBe('req_first');
        expect(await store.reserveUsername('v-acme-ann-2', 'req_second')).toBe('req_second');
      });
    });
  });
}
