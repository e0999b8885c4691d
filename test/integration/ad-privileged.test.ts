import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DirectoryAccount } from '../../src/domain/ports/directory.port.js';
import { AdDirectory } from '../../src/provisioner/ad/ad.directory.js';
import { decodeSid } from '../../src/provisioner/ad/ad-sid.js';
import { childDn, sameDn } from '../../src/provisioner/ldap/escape.js';
import { attrValue, attrValues } from '../../src/provisioner/ldap/ldap-entry.js';
import { createAdSubtree, sambaAdmin, type AdSubtree } from '../rig/samba.js';
import { groupDnBySid } from '../support/ad-groups.js';
import { probe } from '../support/directory-probe.js';
import { sambaTarget } from '../support/service-harness.js';
import { silentLogger } from '../support/log-capture.js';
import { ReconcileService } from '../../src/provisioner/reconcile.service.js';
import { MemoryDomainStore } from '../../src/store/memory/memory-domain.store.js';

const samba = inject('samba');
const rand = (): string => randomBytes(3).toString('hex');
const PASSWORD = 'Vendor-Pa55word!x';

describe.skipIf(!samba)('AD privileged groups (clause 1.6.1) on a real Samba AD DC', () => {
  let tree: AdSubtree;
  let ad: AdDirectory;
  let vendorOu: string;
  const sid = (rid: number | string): string => (typeof rid === 'number' ? `${samba!.domainSid}-${rid}` : rid);
  const bySid = (rid: number | string): Promise<string> => groupDnBySid(tree.admin, samba!.baseDn, sid(rid));
  const seeded = (name: string): string => childDn('CN', name, samba!.groupsOu);

  beforeAll(async () => {
    tree = await createAdSubtree('ad-priv');
    vendorOu = await tree.addOu('accounts');
    ad = new AdDirectory({ connection: sambaAdmin(samba!), baseDn: samba!.baseDn, vendorOu, privilegedGroups: ['dba-team', '/^CN=oracle-sysdba-/'] });
  });
  afterAll(async () => {
    await ad?.close();
    await tree?.cleanup();
  });

  const vendor = async (label: string): Promise<string> => {
    const account = await ad.createAccount({
      requestId: `req-${label}-${rand()}`,
      username: `v-${label.slice(0, 8)}-${rand()}`,
      givenName: 'Vera',
      surname: 'Vendor',
      displayName: 'Vera Vendor',
      email: 'vera@vendor.example',
      description: `privilege test ${label}`,
      validTo: new Date(Date.now() + 86_400_000),
    });
    return account.dn;
  };

  describe('requests for built-in privileged groups, found by SID', () => {
    const builtins: [string, number | string][] = [
      ['Domain Admins', 512],
      ['Domain Controllers', 516],
      ['Schema Admins', 518],
      ['Enterprise Admins', 519],
      ['Group Policy Creator Owners', 520],
      ['Read-only Domain Controllers', 521],
      ['Administrators', 'S-1-5-32-544'],
      ['Account Operators', 'S-1-5-32-548'],
      ['Server Operators', 'S-1-5-32-549'],
      ['Print Operators', 'S-1-5-32-550'],
      ['Backup Operators', 'S-1-5-32-551'],
      ['Replicator', 'S-1-5-32-552'],
    ];
    it.each(builtins)('finds %s privileged in itself', async (_name, rid) => {
      const group = await bySid(rid);
      const result = await ad.privilegedGroupsOf([group]);
      expect(sameDn(result.get(group)!, group)).toBe(true);
    });

    it('finds DnsAdmins privileged by its sAMAccountName, as it has no fixed RID', async () => {
      const [entry] = await tree.admin.search(samba!.baseDn, { scope: 'sub', filter: '(sAMAccountName=DnsAdmins)', attributes: ['1.1'] });
      expect((await ad.privilegedGroupsOf([entry!.dn])).get(entry!.dn)).toBe(entry!.dn);
    });

    it('does not take a group for Domain Admins because of its name', async () => {
      const impostor = await tree.addGroup('Domain Admins');
      expect((await ad.privilegedGroupsOf([impostor])).size).toBe(0);
    });
  });

  describe('requests for groups privileged by policy or by nesting', () => {
    it('finds the policy DBA group privileged by name, and a group matching a policy pattern', async () => {
      const sysdba = await tree.addGroup(`oracle-sysdba-${rand()}`);
      const result = await ad.privilegedGroupsOf([seeded('dba-team'), sysdba]);
      expect(sameDn(result.get(seeded('dba-team'))!, seeded('dba-team'))).toBe(true);
      expect(sameDn(result.get(sysdba)!, sysdba)).toBe(true);
    });

    it('finds a group nested two levels inside Domain Admins privileged, naming Domain Admins', async () => {
      const tier2 = seeded('helpdesk-tier2');
      const result = await ad.privilegedGroupsOf([tier2, seeded('server-admins')]);
      expect(sameDn(result.get(tier2)!, await bySid(512))).toBe(true);
      expect(sameDn(result.get(seeded('server-admins'))!, await bySid(512))).toBe(true);
    });

    it('finds a group privileged through a cycle that leads into Backup Operators, and ends', async () => {
      const [a, b, c] = [await tree.addGroup(`cyc-a-${rand()}`), await tree.addGroup(`cyc-b-${rand()}`), await tree.addGroup(`cyc-c-${rand()}`)];
      await tree.addMember(b, a);
      await tree.addMember(c, b);
      await tree.addMember(a, c);
      expect((await ad.privilegedGroupsOf([a, b, c])).size).toBe(0);
      await tree.addMember(await bySid('S-1-5-32-551'), c);
      const result = await ad.privilegedGroupsOf([a, b, c]);
      for (const g of [a, b, c]) expect(sameDn(result.get(g)!, await bySid('S-1-5-32-551'))).toBe(true);
    });

    it('resolves groups whose names hold DN and filter specials, by nesting and by a policy DN', async () => {
      const nasty = (tag: string): string => ` #${tag}, a+b "q" \\ <x>; y=z *(w) ${rand()} `;
      const outer = await tree.addGroup(nasty('outer'));
      const inner = await tree.addGroup(nasty('inner'));
      const byPolicy = await tree.addGroup(nasty('policy'));
      await tree.addMember(await bySid('S-1-5-32-551'), outer);
      await tree.addMember(outer, inner);
      const strict = new AdDirectory({ connection: sambaAdmin(samba!), baseDn: samba!.baseDn, vendorOu, privilegedGroups: [byPolicy] });
      try {
        const result = await strict.privilegedGroupsOf([inner, byPolicy, seeded('erp-support')]);
        expect(sameDn(result.get(inner)!, await bySid('S-1-5-32-551'))).toBe(true);
        expect(sameDn(result.get(byPolicy)!, byPolicy)).toBe(true);
        expect(result.has(seeded('erp-support'))).toBe(false);
      } finally {
        await strict.close();
      }
    });

    it('leaves ordinary groups, and groups nested only in ordinary ones, out', async () => {
      const inner = await tree.addGroup(`inner-${rand()}`);
      await tree.addMember(seeded('erp-support'), inner);
      expect((await ad.privilegedGroupsOf([seeded('erp-support'), seeded('lab-helpdesk'), inner])).size).toBe(0);
    });
  });

  describe('groups whose RDN and sAMAccountName differ', () => {
    /** A group CN=<cn> in the subtree with its own sAMAccountName (by hand, as an administrator might). */
    const named = async (cn: string, sam: string): Promise<string> => {
      const dn = childDn('CN', cn, tree.dn);
      await tree.admin.add(dn, { objectClass: ['group'], sAMAccountName: sam });
      return dn;
    };

    it('matches a policy name, a policy pattern and DnsAdmins against the RDN and the sAMAccountName alike', async () => {
      const tag = rand();
      const policy = new AdDirectory({
        connection: sambaAdmin(samba!),
        baseDn: samba!.baseDn,
        vendorOu,
        privilegedGroups: [`legacy-dba-${tag}`, `/^sqlsys-${tag}$/`],
      });
      try {
        const bySam = await named(`tools-a-${tag}`, `legacy-dba-${tag}`);
        const byRdn = await named(`legacy-dba-${tag}`, `g-a-${tag}`);
        const patternBySam = await named(`tools-b-${tag}`, `sqlsys-${tag}`);
        const patternByRdn = await named(`sqlsys-${tag}`, `g-b-${tag}`);
        // DnsAdmins has no fixed RID: a group that answers to the name, by its RDN, is refused too.
        const dnsAdmins = await named('DnsAdmins', `g-c-${tag}`);
        const plain = await named(`tools-c-${tag}`, `g-d-${tag}`);
        const inner = await named(`tools-d-${tag}`, `g-e-${tag}`);
        await tree.addMember(dnsAdmins, inner);
        const result = await policy.privilegedGroupsOf([bySam, byRdn, patternBySam, patternByRdn, dnsAdmins, plain, inner]);
        for (const g of [bySam, byRdn, patternBySam, patternByRdn, dnsAdmins]) expect(sameDn(result.get(g) ?? '', g), g).toBe(true);
        expect(sameDn(result.get(inner) ?? '', dnsAdmins)).toBe(true);
        expect(result.has(plain)).toBe(false);
      } finally {
        await policy.close();
      }
    });
  });

  describe('vendor accounts put into privileged groups by hand (drift)', () => {
    it('reports a vendor added to Domain Admins directly, and removing it takes it out', async () => {
      const dn = await vendor('drift');
      const domainAdmins = await bySid(512);
      await tree.addMember(domainAdmins, dn);
      const found = await ad.privilegedMembershipsOf(dn);
      expect(found.map((m) => [m.group, m.privileged])).toEqual([[domainAdmins, domainAdmins]]);
      await ad.removeFromGroups(
        dn,
        found.map((m) => m.group),
      );
      expect((await tree.membersOf(domainAdmins)).some((m) => sameDn(m, dn))).toBe(false);
      expect(await ad.privilegedMembershipsOf(dn)).toEqual([]);
    });

    it('reports the ordinary-looking group through which a vendor is nested into Domain Admins', async () => {
      const dn = await vendor('nested');
      await ad.addToGroups(dn, [seeded('helpdesk-tier2')]);
      const found = await ad.privilegedMembershipsOf(dn);
      expect(found).toHaveLength(1);
      expect(sameDn(found[0]!.group, seeded('helpdesk-tier2')) && sameDn(found[0]!.privileged, await bySid(512))).toBe(true);
      await ad.removeFromGroups(dn, [seeded('helpdesk-tier2')]);
      expect(await ad.privilegedMembershipsOf(dn)).toEqual([]);
    });

    it('sees Domain Admins made the primary group, which member and memberOf do not show, and undoes it', async () => {
      const dn = await vendor('primary');
      const domainAdmins = await bySid(512);
      await tree.addMember(domainAdmins, dn);
      const primary = (v: string): Change => new Change({ operation: 'replace', modification: new Attribute({ type: 'primaryGroupID', values: [v] }) });
      await tree.admin.modify(dn, primary('512'));
      expect((await tree.membersOf(domainAdmins)).some((m) => sameDn(m, dn))).toBe(false);
      const found = await ad.privilegedMembershipsOf(dn);
      expect(found.some((m) => sameDn(m.group, domainAdmins))).toBe(true);

      await ad.removeFromGroups(
        dn,
        found.map((m) => m.group),
      );
      // tokenGroups is what a logon gets: every group SID, primary group included.
      const [entry] = await tree.admin.search(dn, { scope: 'base', attributes: ['tokenGroups', 'primaryGroupID'], explicitBufferAttributes: ['tokenGroups'] });
      const tokens = ([entry!.tokenGroups].flat() as Buffer[]).map(decodeSid);
      expect(tokens).not.toContain(sid(512));
      expect(attrValue(entry!, 'primaryGroupID')).toBe('513');
      expect(await ad.privilegedMembershipsOf(dn)).toEqual([]);
    });

    it('lists a primary group other than Domain Users with the account, and a reconcile pass takes the account out of it', async () => {
      // A container of its own, so that the pass sees only these two accounts.
      const ou = await tree.addOu(`primary-listing-${rand()}`);
      const own = new AdDirectory({ connection: sambaAdmin(samba!), baseDn: samba!.baseDn, vendorOu: ou, privilegedGroups: [] });
      try {
        const make = async (label: string): Promise<string> =>
          (
            await own.createAccount({
              requestId: `req-${label}-${rand()}`,
              username: `v-${label}-${rand()}`,
              givenName: 'Vera',
              surname: 'Vendor',
              displayName: 'Vera Vendor',
              email: 'vera@vendor.example',
              description: `primary group listing ${label}`,
              validTo: new Date(Date.now() + 86_400_000),
            })
          ).dn;
        const dn = await make('lprim');
        const plain = await make('lplain');
        const domainAdmins = await bySid(512);
        await tree.addMember(domainAdmins, dn);
        await tree.admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'primaryGroupID', values: ['512'] }) }));

        const listed: DirectoryAccount[] = [];
        for await (const a of own.listVendorAccounts()) listed.push(a);
        const mine = listed.find((a) => sameDn(a.dn, dn));
        expect(sameDn(mine?.primaryGroup ?? '', domainAdmins)).toBe(true);
        expect(listed.find((a) => sameDn(a.dn, plain))?.primaryGroup).toBeUndefined();

        const store = new MemoryDomainStore({ now: () => new Date() });
        const report = await new ReconcileService({ store, directory: own, logger: silentLogger(), now: () => new Date() }).reconcile();
        expect(report.driftRemoved.map((d) => [sameDn(d.dn, dn), sameDn(d.group, domainAdmins), sameDn(d.privileged, domainAdmins)])).toEqual([
          [true, true, true],
        ]);
        const [entry] = await tree.admin.search(dn, {
          scope: 'base',
          attributes: ['tokenGroups', 'primaryGroupID'],
          explicitBufferAttributes: ['tokenGroups'],
        });
        expect(([entry!.tokenGroups].flat() as Buffer[]).map(decodeSid)).not.toContain(sid(512));
        expect(attrValue(entry!, 'primaryGroupID')).toBe('513');
      } finally {
        await own.close();
      }
    });

    it('can still bind as a vendor while nested in an ordinary group only', async () => {
      const dn = await vendor('bind');
      await ad.addToGroups(dn, [seeded('erp-support')]);
      await ad.setPassword(dn, PASSWORD);
      await ad.enableAccount(dn, new Date(Date.now() + 3_600_000));
      expect(await probe.canBind(sambaTarget(samba!, vendorOu), dn, PASSWORD)).toBe(true);
      expect(await ad.privilegedMembershipsOf(dn)).toEqual([]);
      const [entry] = await tree.admin.search(dn, { scope: 'base', attributes: ['memberOf'] });
      expect(attrValues(entry!, 'memberOf').some((g) => sameDn(g, seeded('erp-support')))).toBe(true);
      await ad.removeFromGroups(dn, [seeded('erp-support')]);
    });
  });
});
