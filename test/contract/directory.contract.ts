import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryError } from '../../src/errors.js';
import type { AccountSpec, DirectoryAccount, DirectoryPort } from '../../src/domain/ports/directory.port.js';
import { escapeDnValue, normalizeDn, parseDn, sameDn } from '../../src/provisioner/ldap/escape.js';

/** What differs between dialects; the suite skips or adapts what a dialect cannot do. */
export interface DirectoryCapabilities {
  /** Usernames may hold DN/filter specials (false on AD: sAMAccountName forbids them). */
  specialCharactersInUsername: boolean;
  /** NUL is storable in attribute values. */
  nulInValues: boolean;
}

/** Everything the suite needs from one adapter and the directory behind it. */
export interface DirectoryContractContext {
  directory: DirectoryPort;
  capabilities: DirectoryCapabilities;
  /** A username unique to this run, within the dialect's limits (≤ 20 characters on AD). */
  username(label: string): string;
  /** Creates an ordinary group; returns its DN. */
  createGroup(name: string): Promise<string>;
  /** Makes group `childDn` a direct member of group `parentDn`, in the directory itself. */
  nestGroup(childDn: string, parentDn: string): Promise<void>;
  /** A group the dialect treats as privileged by itself, which this test may nest groups into. */
  privilegedGroup(): Promise<string>;
  /** A group that is privileged only because the adapter's policy `privilegedGroups` names it. */
  policyPrivilegedGroup(): Promise<string>;
  /**
   * Whether the directory itself accepts a bind as `dn` with `password`. A real
   * directory is asked with a bind of the harness's own, without the adapter
   * (test/support/directory-probe.ts); the fake answers for itself. Not on the
   * port: the service never binds as an account.
   */
  canBind(dn: string, password: string): Promise<boolean>;
  /** Who a group lists directly, read from the directory without the adapter. */
  membersOf(groupDn: string): Promise<string[]>;
  /** A group-like DN under which nothing exists. */
  absentGroupDn: string;
  /** The directory's clock. */
  now(): Date;
  /** Returns once the directory's clock is past `instant` (sleeps on real servers, advances a fake clock). */
  waitPast(instant: Date): Promise<void>;
  cleanup(): Promise<void>;
}

const rand = (): string => randomBytes(3).toString('hex');
const PASSWORD = 'Vendor-Pa55word!x';

/** The same DN spelled differently: upper-case types, spaces after separators, values escaped our way. */
function respell(dn: string): string {
  return parseDn(dn)
    .map((rdn) => rdn.map((p) => `${p.type.toUpperCase()}=${escapeDnValue(p.value)}`).join('+'))
    .join(', ');
}

/**
 * The one DirectoryPort contract (STYLE.md §3): registers a describe block
 * proving an adapter behaves as the port promises, against whatever directory
 * `makeContext` sets up. Dialect differences sit behind `capabilities`.
 */
export function directoryContract(name: string, makeContext: () => Promise<DirectoryContractContext>): void {
  describe(`DirectoryPort contract: ${name}`, () => {
    let ctx: DirectoryContractContext;
    let dir: DirectoryPort;
    beforeAll(async () => {
      ctx = await makeContext();
      dir = ctx.directory;
    });
    afterAll(async () => {
      await ctx?.cleanup();
    });

    const spec = (label: string, extra: Partial<AccountSpec> = {}): AccountSpec => ({
      requestId: `req-${label}-${rand()}`,
      username: ctx.username(label),
      givenName: 'Vera',
      surname: 'Vendor',
      displayName: `Vera Vendor (${label})`,
      email: 'vera@vendor.example',
      description: `request for ${label}`,
      validTo: new Date(ctx.now().getTime() + 86_400_000),
      ...extra,
    });
    const live = async (label: string, extra: Partial<AccountSpec> = {}): Promise<DirectoryAccount> => {
      const s = spec(label, extra);
      const account = await dir.createAccount(s);
      await dir.setPassword(account.dn, PASSWORD);
      await dir.enableAccount(account.dn, s.validTo);
      return account;
    };
    const listed = async (dn: string): Promise<DirectoryAccount[]> => {
      const found: DirectoryAccount[] = [];
      for await (const a of dir.listVendorAccounts()) if (sameDn(a.dn, dn)) found.push(a);
      return found;
    };
    const lists = async (groupDn: string, dn: string): Promise<boolean> => (await ctx.membersOf(groupDn)).some((m) => sameDn(m, dn));

    describe('creating accounts', () => {
      it('answers ping with an authenticated operation', async () => {
        await expect(dir.ping()).resolves.toBeUndefined();
      });

      it('creates one entry however often creation is retried for the same request', async () => {
        const s = spec('idem');
        const first = await dir.createAccount(s);
        const second = await dir.createAccount(s);
        expect(sameDn(second.dn, first.dn)).toBe(true);
        expect(await listed(first.dn)).toHaveLength(1);
        expect((await dir.findAccount(s.requestId))?.username).toBe(s.username);
      });

      it('refuses, permanently, a username already used for another request', async () => {
        const s = spec('clash');
        await dir.createAccount(s);
        const err = await dir.createAccount({ ...s, requestId: `${s.requestId}-other` }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DirectoryError);
        expect((err as DirectoryError).retryable).toBe(false);
      });

      it('creates the account disabled, so even the right password does not bind before enabling', async () => {
        const account = await dir.createAccount(spec('disabled'));
        await dir.setPassword(account.dn, PASSWORD);
        expect(await ctx.canBind(account.dn, PASSWORD)).toBe(false);
        expect((await dir.getAccount(account.dn))?.enabled).toBe(false);
      });

      it('binds after enabling, with the right password only, and reports validTo as the expiry', async () => {
        const s = spec('enable');
        const account = await live('enable', { validTo: s.validTo });
        expect(await ctx.canBind(account.dn, PASSWORD)).toBe(true);
        expect(await ctx.canBind(account.dn, 'wrong-password')).toBe(false);
        expect(await ctx.canBind(account.dn, '')).toBe(false);
        const read = await dir.getAccount(account.dn);
        expect(read?.enabled).toBe(true);
        expect(Math.abs((read?.expiresAt?.getTime() ?? 0) - s.validTo.getTime())).toBeLessThan(1000);
      });

      it('finds an account by request id and by DN, and nothing for unknown ones', async () => {
        const s = spec('find');
        const account = await dir.createAccount(s);
        expect(sameDn((await dir.findAccount(s.requestId))!.dn, account.dn)).toBe(true);
        expect((await dir.getAccount(account.dn))?.requestId).toBe(s.requestId);
        expect(await dir.findAccount(`req-unknown-${rand()}`)).toBeNull();
        expect(await dir.getAccount(account.dn.replace(/^([^=]+=)/, `$1nobody-${rand()}`))).toBeNull();
      });

      it('tells in one look-up whether a username is taken, or finds the account the request already has, without treating either as a pattern', async () => {
        const s = spec('taken');
        await dir.createAccount(s);
        const other = `req-other-${rand()}`;
        expect(await dir.lookUpUsername(other, s.username)).toEqual({ taken: true });
        expect(await dir.lookUpUsername(other, ctx.username('free'))).toEqual({ taken: false });
        expect(await dir.lookUpUsername(other, '*')).toEqual({ taken: false });
        expect(await dir.lookUpUsername('req*', '*')).toEqual({ taken: false });
        // A retried job finds its own account, whichever candidate it asks about.
        expect(await dir.lookUpUsername(s.requestId, ctx.username('next'))).toEqual({ existing: s.username, taken: false });
        expect(await dir.lookUpUsername(s.requestId, s.username)).toEqual({ existing: s.username, taken: false });
      });

      it('fails permanently to set the password of an account that does not exist', async () => {
        const account = await dir.createAccount(spec('gone'));
        await dir.deleteAccount(account.dn);
        const err = await dir.setPassword(account.dn, PASSWORD).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DirectoryError);
        expect((err as DirectoryError).retryable).toBe(false);
      });
    });

    describe('groups', () => {
      it('adds many accounts to one group and removes them at once (concurrent jobs), one already in or already out counting as done', async () => {
        const group = await ctx.createGroup(`many-${rand()}`);
        const accounts = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => dir.createAccount(spec(`many${i}`))));
        await dir.addToGroups(accounts[0]!.dn, [group]);
        await Promise.all(accounts.map((a) => dir.addToGroups(a.dn, [group])));
        for (const a of accounts) expect(await lists(group, a.dn)).toBe(true);
        await dir.removeFromGroups(accounts[1]!.dn, [group]);
        await Promise.all(accounts.map((a) => dir.removeFromGroups(a.dn, [group])));
        for (const a of accounts) expect(await lists(group, a.dn)).toBe(false);
      });

      it('adds and removes memberships idempotently, visible in the directory and on the account', async () => {
        const group = await ctx.createGroup(`erp-${rand()}`);
        const account = await dir.createAccount(spec('grp'));
        await dir.addToGroups(account.dn, [group]);
        await dir.addToGroups(account.dn, [respell(group)]);
        expect(await lists(group, account.dn)).toBe(true);
        expect((await dir.getAccount(account.dn))?.groups.some((g) => sameDn(g, group))).toBe(true);
        expect((await listed(account.dn))[0]?.groups.some((g) => sameDn(g, group))).toBe(true);
        await dir.removeFromGroups(account.dn, [group]);
        await dir.removeFromGroups(account.dn, [respell(group)]);
        expect(await lists(group, account.dn)).toBe(false);
        expect((await dir.getAccount(account.dn))?.groups).toEqual([]);
      });

      it('fails permanently to add an account to a group that does not exist', async () => {
        const account = await dir.createAccount(spec('nogrp'));
        const err = await dir.addToGroups(account.dn, [ctx.absentGroupDn]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DirectoryError);
        expect((err as DirectoryError).retryable).toBe(false);
        await expect(dir.removeFromGroups(account.dn, [ctx.absentGroupDn])).resolves.toBeUndefined();
      });

      it('lists only the missing groups, comparing DNs regardless of case and spacing', async () => {
        const group = await ctx.createGroup(`present-${rand()}`);
        expect(await dir.missingGroups([respell(group), ctx.absentGroupDn])).toEqual([ctx.absentGroupDn]);
      });
    });

    describe('group search', () => {
      it('finds groups by any part of their name, ignoring case, in Chinese too, sorted by name, at most the limit', async () => {
        const p = `srch${rand()}`;
        const erp = await ctx.createGroup(`${p}-erp`);
        const mail = await ctx.createGroup(`${p.toUpperCase()}-Mail`);
        const office = await ctx.createGroup(`${p}-資訊組`);
        const team = await ctx.createGroup(`Team-${p}-net`);
        const dns = async (text: string, limit = 50) => (await dir.searchGroups(text, limit)).map((g) => normalizeDn(g.dn));
        const want = (...groups: string[]) => groups.map(normalizeDn);
        expect(await dns(p)).toEqual(want(erp, mail, office, team));
        expect(await dns(p, 2)).toEqual(want(erp, mail));
        expect(await dns(`${p.slice(2).toUpperCase()}-ERP`)).toEqual(want(erp));
        expect(await dns(`${p}-資訊`)).toEqual(want(office));
        expect((await dir.searchGroups(`${p}-資訊`, 5))[0]?.name).toBe(`${p}-資訊組`);
        expect(await dns(`${p}*`)).toEqual([]);
        expect(await dns(`${p}-nothing`)).toEqual([]);
      });

      it('never reads the text as a filter, whatever it holds', async () => {
        const odd = `q*(x)\\y, "z" ${rand()}`;
        const group = await ctx.createGroup(`#grp ${odd}`);
        expect((await dir.searchGroups(odd, 50)).map((g) => normalizeDn(g.dn))).toEqual([normalizeDn(group)]);
        expect(await dir.searchGroups(`)(cn=*${rand()}`, 50)).toEqual([]);
      });
    });

    describe('revocation', () => {
      it('disables so that binds fail at once and listing shows the account disabled', async () => {
        const account = await live('disable');
        expect(await ctx.canBind(account.dn, PASSWORD)).toBe(true);
        await dir.disableAccount(account.dn);
        expect(await ctx.canBind(account.dn, PASSWORD)).toBe(false);
        await dir.disableAccount(account.dn);
        const [entry] = await listed(account.dn);
        expect(entry?.enabled).toBe(false);
      });

      it('keeps a disabled account shut when its password is set again (revocation scrambles it)', async () => {
        const account = await live('scramble');
        await dir.disableAccount(account.dn);
        await dir.setPassword(account.dn, `${PASSWORD}-new`);
        expect(await ctx.canBind(account.dn, `${PASSWORD}-new`)).toBe(false);
        expect((await dir.getAccount(account.dn))?.enabled).toBe(false);
      });

      it('revokes in one call: scrambled, shut, out of every direct group, the groups named; again changes nothing; no account gives null', async () => {
        const [a, b] = [await ctx.createGroup(`rev-a-${rand()}`), await ctx.createGroup(`rev-b-${rand()}`)];
        const account = await live('revoke');
        await dir.addToGroups(account.dn, [a, b]);
        const removed = await dir.revokeAccount(account.dn, `${PASSWORD}-scrambled`);
        expect(removed?.map(normalizeDn).sort()).toEqual([a, b].map(normalizeDn).sort());
        expect(await ctx.canBind(account.dn, PASSWORD)).toBe(false);
        expect(await ctx.canBind(account.dn, `${PASSWORD}-scrambled`)).toBe(false);
        expect(await lists(a, account.dn)).toBe(false);
        expect(await lists(b, account.dn)).toBe(false);
        const read = await dir.getAccount(account.dn);
        expect(read?.enabled).toBe(false);
        expect(read?.groups).toEqual([]);
        expect(await dir.revokeAccount(account.dn, `${PASSWORD}-again`)).toEqual([]);
        await dir.deleteAccount(account.dn);
        expect(await dir.revokeAccount(account.dn, `${PASSWORD}-gone`)).toBeNull();
      });

      it('deletes idempotently and leaves no membership behind', async () => {
        const group = await ctx.createGroup(`del-${rand()}`);
        const s = spec('delete');
        const account = await dir.createAccount(s);
        await dir.addToGroups(account.dn, [group]);
        await dir.deleteAccount(account.dn);
        await dir.deleteAccount(account.dn);
        expect(await dir.getAccount(account.dn)).toBeNull();
        expect(await dir.findAccount(s.requestId)).toBeNull();
        expect(await lists(group, account.dn)).toBe(false);
        await expect(dir.disableAccount(account.dn)).resolves.toBeUndefined();
      });

      // Every adapter must: layer 1 of revocation (OpenLDAP pwdEndTime, AD accountExpires, the fake's clock).
      it('lets the directory itself refuse binds once validTo has passed, without any disable call', async () => {
        // A whole second at least 1.2 s ahead: time to create, enable and bind once before it passes.
        const validTo = new Date(Math.ceil((ctx.now().getTime() + 1200) / 1000) * 1000);
        const account = await live('expiry', { validTo });
        expect(await ctx.canBind(account.dn, PASSWORD)).toBe(true);
        await ctx.waitPast(validTo);
        expect(await ctx.canBind(account.dn, PASSWORD)).toBe(false);
        expect((await listed(account.dn))[0]?.enabled).toBe(false);
      });
    });

    describe('privileged groups', () => {
      it('maps a privileged group to itself and leaves ordinary groups out', async () => {
        const privileged = await ctx.privilegedGroup();
        const plain = await ctx.createGroup(`plain-${rand()}`);
        const result = await dir.privilegedGroupsOf([privileged, plain, ctx.absentGroupDn]);
        expect([...result.keys()]).toEqual([privileged]);
        expect(sameDn(result.get(privileged)!, privileged)).toBe(true);
      });

      it('finds a privileged group two levels of nesting up, for the group and the account in it', async () => {
        const privileged = await ctx.privilegedGroup();
        const middle = await ctx.createGroup(`mid-${rand()}`);
        const inner = await ctx.createGroup(`inner-${rand()}`);
        await ctx.nestGroup(middle, privileged);
        await ctx.nestGroup(inner, middle);
        const result = await dir.privilegedGroupsOf([inner, middle]);
        expect(sameDn(result.get(inner)!, privileged)).toBe(true);
        expect(sameDn(result.get(middle)!, privileged)).toBe(true);
        const account = await dir.createAccount(spec('nested'));
        await dir.addToGroups(account.dn, [inner]);
        const memberships = await dir.privilegedMembershipsOf(account.dn);
        expect(memberships).toHaveLength(1);
        expect(sameDn(memberships[0]!.group, inner) && sameDn(memberships[0]!.privileged, privileged)).toBe(true);
      });

      it('survives a nesting cycle, privileged or not', async () => {
        const a = await ctx.createGroup(`cyc-a-${rand()}`);
        const b = await ctx.createGroup(`cyc-b-${rand()}`);
        await ctx.nestGroup(a, b);
        await ctx.nestGroup(b, a);
        expect((await dir.privilegedGroupsOf([a, b])).size).toBe(0);
        const privileged = await ctx.privilegedGroup();
        await ctx.nestGroup(b, privileged);
        expect(sameDn((await dir.privilegedGroupsOf([a])).get(a)!, privileged)).toBe(true);
      });

      it('treats a group named by the policy as privileged', async () => {
        const group = await ctx.policyPrivilegedGroup();
        const inner = await ctx.createGroup(`pol-${rand()}`);
        await ctx.nestGroup(inner, group);
        const result = await dir.privilegedGroupsOf([group, inner]);
        expect(sameDn(result.get(group)!, group) && sameDn(result.get(inner)!, group)).toBe(true);
      });
    });

    describe('escaping', () => {
      const corpus = [',', '+', '"', '\\', '<', '>', ';', '=', '*', '(', ')', '#', ' '];
      const nasty = (): string => `x, "q" + <a>; b=c*(d)\\e/${rand()}`;

      it('stores names and descriptions with DN and filter specials intact, never interpreting them', async () => {
        const odd = `${corpus.join('')}${ctx.capabilities.nulInValues ? '\0' : ''}|${rand()}`;
        const s = spec('esc', { displayName: `#${odd} `, description: ` ${odd}`, requestId: `req*)(uid=*)-${rand()}` });
        const account = await dir.createAccount(s);
        const found = await dir.findAccount(s.requestId);
        expect(found && sameDn(found.dn, account.dn)).toBe(true);
        expect(await dir.findAccount('*')).toBeNull();
        expect(await dir.findAccount('req*')).toBeNull();
      });

      it('creates, finds and binds accounts whose usernames hold every special character, or refuses them for good where the dialect cannot hold them', async () => {
        if (!ctx.capabilities.specialCharactersInUsername) {
          for (const username of [`a,b${rand()}`.slice(0, 12), `x*y${rand()}`.slice(0, 12), `q"r${rand()}`.slice(0, 12)]) {
            const s = spec('odd', { username });
            await expect(dir.createAccount(s)).rejects.toMatchObject({ retryable: false });
            expect(await dir.findAccount(s.requestId)).toBeNull();
          }
          return;
        }
        const names = [`#lead-${rand()}`, ` space-${rand()}`, `trail-${rand()} `, nasty()];
        if (ctx.capabilities.nulInValues) names.push(`nul\0-${rand()}`);
        for (const username of names) {
          const s = spec('odd', { username });
          const account = await dir.createAccount(s);
          expect((await dir.findAccount(s.requestId))?.username).toBe(username);
          expect((await dir.lookUpUsername(`req-other-${rand()}`, username)).taken).toBe(true);
          await dir.setPassword(account.dn, PASSWORD);
          await dir.enableAccount(account.dn, s.validTo);
          expect(await ctx.canBind(account.dn, PASSWORD)).toBe(true);
        }
      });

      it('manages membership of groups whose names hold every special character', async () => {
        const group = await ctx.createGroup(`#grp ${nasty()} `);
        const account = await dir.createAccount(spec('escgrp'));
        expect(await dir.missingGroups([group])).toEqual([]);
        await dir.addToGroups(account.dn, [group]);
        expect(await lists(group, account.dn)).toBe(true);
        expect((await dir.getAccount(account.dn))?.groups.map(normalizeDn)).toEqual([normalizeDn(group)]);
        expect((await dir.privilegedGroupsOf([group])).size).toBe(0);
        await dir.removeFromGroups(account.dn, [group]);
        expect(await lists(group, account.dn)).toBe(false);
      });
    });
  });
}
