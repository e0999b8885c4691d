import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Attribute, Change, type Entry } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DirectoryError } from '../../src/errors.js';
import { AdDirectory } from '../../src/provisioner/ad/ad.directory.js';
import { toFileTime } from '../../src/provisioner/ad/ad-time.js';
import type { AccountSpec } from '../../src/domain/ports/directory.port.js';
import { sameDn } from '../../src/provisioner/ldap/escape.js';
import { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { attrValue } from '../../src/provisioner/ldap/ldap-entry.js';
import { createAdSubtree, sambaAdmin, type AdSubtree } from '../rig/samba.js';
import { probe } from '../support/directory-probe.js';
import { sambaTarget } from '../support/service-harness.js';

const samba = inject('samba');
const rand = (): string => randomBytes(3).toString('hex');
const PASSWORD = 'Vendor-Pa55word!x';

describe.skipIf(!samba)('AD vendor accounts on a real Samba AD DC', () => {
  let tree: AdSubtree;
  let ad: AdDirectory;
  let vendorOu: string;
  const spec = (label: string, extra: Partial<AccountSpec> = {}): AccountSpec => ({
    requestId: `req_${label}_${rand()}`,
    username: `v-${label.slice(0, 8)}-${rand()}`,
    givenName: 'Vera',
    surname: 'Vendor',
    displayName: 'Vera Vendor',
    email: 'vera@vendor.example',
    description: `Leasehold request ${label}`,
    validTo: new Date(Date.now() + 7 * 86_400_000),
    ...extra,
  });
  const raw = async (dn: string, attributes: string[]): Promise<Entry> => (await tree.admin.search(dn, { scope: 'base', attributes }))[0]!;
  /** Whether the DC itself lets `dn` bind with `password` (a bind of our own, not through the adapter). */
  const canBind = (dn: string, password: string): Promise<boolean> => probe.canBind(sambaTarget(samba!, vendorOu), dn, password);
  const live = async (s: AccountSpec): Promise<string> => {
    const { dn } = await ad.createAccount(s);
    await ad.setPassword(dn, PASSWORD);
    await ad.enableAccount(dn, s.validTo);
    return dn;
  };

  beforeAll(async () => {
    tree = await createAdSubtree('ad-acct');
    vendorOu = await tree.addOu('accounts');
    ad = new AdDirectory({ connection: sambaAdmin(samba!), baseDn: samba!.baseDn, vendorOu, privilegedGroups: [] });
  });
  afterAll(async () => {
    await ad?.close();
    await tree?.cleanup();
  });

  describe('creation', () => {
    it('creates the account disabled (514) with sAMAccountName, UPN, names, request and accountExpires = validTo', async () => {
      const s = spec('create');
      const { dn } = await ad.createAccount(s);
      const entry = await raw(dn, [
        'userAccountControl',
        'sAMAccountName',
        'userPrincipalName',
        'displayName',
        'givenName',
        'sn',
        'mail',
        'description',
        'employeeNumber',
        'accountExpires',
      ]);
      expect(attrValue(entry, 'userAccountControl')).toBe('514');
      expect(attrValue(entry, 'sAMAccountName')).toBe(s.username);
      expect(attrValue(entry, 'userPrincipalName')).toBe(`${s.username}@${samba!.realm.toLowerCase()}`);
      expect([attrValue(entry, 'displayName'), attrValue(entry, 'givenName'), attrValue(entry, 'sn'), attrValue(entry, 'mail')]).toEqual([
        'Vera Vendor',
        'Vera',
        'Vendor',
        'vera@vendor.example',
      ]);
      expect(attrValue(entry, 'description')).toBe(s.description);
      expect(attrValue(entry, 'employeeNumber')).toBe(s.requestId);
      expect(attrValue(entry, 'accountExpires')).toBe(toFileTime(s.validTo));
    });

    it('binds over LDAPS once the password is set and the account enabled, and not before', async () => {
      const s = spec('bind');
      const { dn } = await ad.createAccount(s);
      await ad.setPassword(dn, PASSWORD);
      expect(await canBind(dn, PASSWORD)).toBe(false);
      await ad.enableAccount(dn, s.validTo);
      expect(attrValue(await raw(dn, ['userAccountControl']), 'userAccountControl')).toBe('512');
      expect(await canBind(dn, PASSWORD)).toBe(true);
    });

    it('refuses usernames AD cannot hold before touching the directory', async () => {
      for (const username of [
        'v-twentyone-chars-xx1',
        'v-a/b',
        'v-a[b]',
        'v-a:b',
        'v-a|b',
        'v-a=b',
        'v-a,b',
        'v-a+b',
        'v-a*b',
        'v-a?b',
        'v-a<b>',
        'v-a"b',
        'v-a\\b',
        'v-a;b',
        'v-end.',
        '...',
        'v-tab\tx',
      ]) {
        const err = await ad.createAccount(spec('bad', { username })).catch((e: unknown) => e);
        expect(err, username).toBeInstanceOf(DirectoryError);
        expect((err as DirectoryError).retryable).toBe(false);
      }
      expect(await ad.findAccount('req_bad')).toBeNull();
    });

    it('counts a sAMAccountName as taken anywhere in the domain, whatever the case, groups included', async () => {
      expect((await ad.lookUpUsername('req_none', 'Administrator')).taken).toBe(true);
      expect((await ad.lookUpUsername('req_none', 'ERP-SUPPORT')).taken).toBe(true);
      expect((await ad.lookUpUsername('req_none', `v-free-${rand()}`)).taken).toBe(false);
    });

    it('refuses a weak password permanently, naming the password policy, and leaves the account disabled', async () => {
      const { dn } = await ad.createAccount(spec('weak'));
      const err = await ad.setPassword(dn, 'abc').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DirectoryError);
      expect((err as DirectoryError).retryable).toBe(false);
      expect((err as DirectoryError).message).toMatch(/password policy.*0000052D/);
      expect((await ad.getAccount(dn))?.enabled).toBe(false);
    });

    it('stores names and descriptions full of DN and filter specials exactly', async () => {
      const odd = ` #lead, plus+ "quote" back\\slash <lt> semi; eq= star* (paren) trail `;
      const s = spec('odd', {
        displayName: odd,
        givenName: '#Zoë, "Z" <z>',
        surname: `O'Brien; (*) ${rand()}`,
        description: odd,
        requestId: `req*)(employeeNumber=*)-${rand()}`,
      });
      const { dn } = await ad.createAccount(s);
      const entry = await raw(dn, ['displayName', 'givenName', 'sn', 'description']);
      expect([attrValue(entry, 'displayName'), attrValue(entry, 'givenName'), attrValue(entry, 'sn'), attrValue(entry, 'description')]).toEqual([
        odd,
        s.givenName,
        s.surname,
        odd,
      ]);
      expect(sameDn((await ad.findAccount(s.requestId))!.dn, dn)).toBe(true);
      expect(await ad.findAccount('req*')).toBeNull();
    });

    it('shortens names longer than AD allows instead of failing the creation for good', async () => {
      const long = 'Ā'.repeat(70);
      const { dn } = await ad.createAccount(spec('long', { givenName: long, surname: long, displayName: long.repeat(4) }));
      const entry = await raw(dn, ['givenName', 'sn', 'displayName']);
      expect([attrValue(entry, 'givenName'), attrValue(entry, 'sn'), attrValue(entry, 'displayName')]).toEqual([
        'Ā'.repeat(64),
        'Ā'.repeat(64),
        'Ā'.repeat(256),
      ]);
    });
  });

  describe('revocation', () => {
    it('refuses binds at once after disable, with accountExpires set to now', async () => {
      const dn = await live(spec('disable'));
      expect(await canBind(dn, PASSWORD)).toBe(true);
      const before = Date.now();
      await ad.disableAccount(dn);
      expect(await canBind(dn, PASSWORD)).toBe(false);
      const account = await ad.getAccount(dn);
      expect(account?.enabled).toBe(false);
      expect(account!.expiresAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(account!.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now());
      expect(Number(attrValue(await raw(dn, ['userAccountControl']), 'userAccountControl')) & 0x2).toBe(0x2);
    });

    it('lets AD itself refuse binds once accountExpires has passed, with nobody disabling the account', async () => {
      const validTo = new Date(Date.now() + 2000);
      const dn = await live(spec('expire', { validTo }));
      expect(await canBind(dn, PASSWORD)).toBe(true);
      await sleep(validTo.getTime() - Date.now() + 200);
      expect(await canBind(dn, PASSWORD)).toBe(false);
      expect((await ad.getAccount(dn))?.enabled).toBe(false);
    });

    it('enables again with a new accountExpires, keeping the other userAccountControl bits', async () => {
      const s = spec('reenable');
      const dn = await live(s);
      // Someone set "password never expires" by hand: enabling must not drop that bit.
      await tree.admin.modify(
        dn,
        new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(0x200 | 0x10000)] }) }),
      );
      await ad.disableAccount(dn);
      const later = new Date(Date.now() + 3_600_000);
      await ad.enableAccount(dn, later);
      const entry = await raw(dn, ['userAccountControl', 'accountExpires']);
      expect(attrValue(entry, 'userAccountControl')).toBe(String(0x200 | 0x10000));
      expect(attrValue(entry, 'accountExpires')).toBe(toFileTime(later));
      expect(await canBind(dn, PASSWORD)).toBe(true);
    });
  });

  describe('transport and service account', () => {
    it('works over StartTLS on ldap:// with the rig CA verified', async () => {
      const connection = new LdapConnection({
        url: 'ldap://127.0.0.1:389',
        startTls: true,
        ca: samba!.caPem,
        bindDn: samba!.bindDn,
        bindPassword: samba!.bindPassword,
        timeoutMs: 10_000,
      });
      const viaStartTls = new AdDirectory({ connection, baseDn: samba!.baseDn, vendorOu, privilegedGroups: [] });
      try {
        const s = spec('starttls');
        const { dn } = await viaStartTls.createAccount(s);
        await viaStartTls.setPassword(dn, PASSWORD);
        await viaStartTls.enableAccount(dn, s.validTo);
        expect(await probe.canBind({ ...sambaTarget(samba!, vendorOu), url: 'ldap://127.0.0.1:389', startTls: true }, dn, PASSWORD)).toBe(true);
      } finally {
        await viaStartTls.close();
      }
    });

    it('refuses to send a password over a plaintext connection', async () => {
      const connection = new LdapConnection({
        url: 'ldap://127.0.0.1:389',
        startTls: false,
        allowInsecure: true,
        bindDn: samba!.bindDn,
        bindPassword: samba!.bindPassword,
        timeoutMs: 10_000,
      });
      const plain = new AdDirectory({ connection, baseDn: samba!.baseDn, vendorOu, privilegedGroups: [] });
      try {
        const err = await plain.setPassword(`CN=nobody,${vendorOu}`, PASSWORD).catch((e: unknown) => e);
        expect((err as DirectoryError).retryable).toBe(false);
        // The DC refuses simple binds in clear too (8 "Transport encryption required").
        await expect(plain.ping()).rejects.toBeInstanceOf(DirectoryError);
      } finally {
        await plain.close();
      }
    });

    it('fails permanently, saying why, when the service account password is wrong', async () => {
      const connection = new LdapConnection({
        url: samba!.ldapsUrl,
        startTls: false,
        ca: samba!.caPem,
        bindDn: samba!.bindDn,
        bindPassword: 'not-the-password',
        timeoutMs: 10_000,
      });
      const wrong = new AdDirectory({ connection, baseDn: samba!.baseDn, vendorOu, privilegedGroups: [] });
      try {
        const err = (await wrong.ping().catch((e: unknown) => e)) as DirectoryError;
        expect(err).toBeInstanceOf(DirectoryError);
        expect(err.retryable).toBe(false);
        expect(err.message).toMatch(/wrong password.*52e/);
      } finally {
        await wrong.close();
      }
    });
  });

  describe('large groups', () => {
    it('reads every member in ranges, as Windows serves groups over 1500 members', async () => {
      const group = await tree.addGroup(`big-${rand()}`);
      const dns: string[] = [];
      for (let i = 0; i < 7; i++) {
        const { dn } = await ad.createAccount(spec(`m${i}`));
        await ad.addToGroups(dn, [group]);
        dns.push(dn);
      }
      for (const step of [2, 3, 100, undefined]) {
        const members = await tree.membersOf(group, step);
        expect(members, `step ${step}`).toHaveLength(7);
        expect(dns.every((dn) => members.some((m) => sameDn(m, dn)))).toBe(true);
      }
    });
  });
});
