import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../support/log-capture.js';
import { createDirectory } from '../../src/provisioner/create-directory.js';
import type { AccountSpec, DirectoryPort } from '../../src/domain/ports/directory.port.js';
import { childDn, sameDn } from '../../src/provisioner/ldap/escape.js';
import { createAdSubtree, type AdSubtree } from '../rig/samba.js';
import { probe } from '../support/directory-probe.js';
import { sambaTarget } from '../support/service-harness.js';

const samba = inject('samba');
const rand = (): string => randomBytes(3).toString('hex');

/**
 * AD administrators hand over a service account as a UPN or as DOMAIN\name
 * rather than as a DN: LDAP_BIND_DN takes all three with LDAP_DIALECT=ad,
 * through the same configuration and adapter factory the service uses.
 */
describe.skipIf(!samba)('AD bind names on a real Samba AD DC', () => {
  let tree: AdSubtree;
  let svc: { dn: string; sam: string; upn: string; password: string };
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-bind-names-'));
  const netbios = samba ? samba.realm.split('.')[0]! : '';
  const dnsDomain = samba ? samba.realm.toLowerCase() : '';

  /** The directory as `service start` builds it from the environment, bound as `bindName`. */
  const directoryAs = async (bindName: string, password: string, vendorOu: string): Promise<DirectoryPort> => {
    const tokens = join(dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify({ tokens: [{ name: 'ops', roles: ['requester'], sha256: 'a'.repeat(64) }] }));
    const config = loadConfig({
      LDAP_URL: samba!.ldapsUrl,
      LDAP_DIALECT: 'ad',
      LDAP_BIND_DN: bindName,
      LDAP_BIND_PASSWORD: password,
      LDAP_CA_FILE: samba!.caFile,
      LDAP_BASE_DN: samba!.baseDn,
      LDAP_VENDOR_OU: vendorOu,
      API_TOKENS_FILE: tokens,
      POLICY_FILE: 'config/policy.yaml',
      CREDENTIALS_KEY: Buffer.alloc(32, 3).toString('base64'),
    });
    expect(config.env.LDAP_BIND_DN).toBe(bindName);
    return createDirectory(config, silentLogger());
  };
  const spec = (label: string): AccountSpec => ({
    requestId: `req_${label}_${rand()}`,
    username: `v-bn-${label}-${rand()}`,
    givenName: 'Bo',
    surname: 'Name',
    displayName: 'Bo Name',
    email: 'bo@vendor.example',
    description: `bind names ${label}`,
    validTo: new Date(Date.now() + 86_400_000),
  });
  /** Creates, passwords, enables and lists a vendor account: the adapter works with this bind. */
  const exercise = async (directory: DirectoryPort, vendorOu: string, label: string): Promise<string[]> => {
    const s = spec(label);
    const { dn } = await directory.createAccount(s);
    await directory.setPassword(dn, 'Vendor-Pa55word!x');
    await directory.enableAccount(dn, s.validTo);
    expect(await probe.canBind(sambaTarget(samba!, vendorOu), dn, 'Vendor-Pa55word!x')).toBe(true);
    const listed: string[] = [];
    for await (const a of directory.listVendorAccounts()) listed.push(a.dn);
    expect(listed.some((d) => sameDn(d, dn))).toBe(true);
    return listed;
  };

  beforeAll(async () => {
    tree = await createAdSubtree('ad-bind');
    // A delegated service account of our own, created the way an AD admin would, living (by mistake) in the vendor OU.
    const sam = `svc-lh-${rand()}`;
    const password = `Svc-${randomBytes(6).toString('hex')}-Aa1!`;
    const dn = childDn('CN', sam, tree.dn);
    await tree.admin.add(dn, {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      sAMAccountName: sam,
      userPrincipalName: `${sam}@${dnsDomain}`,
      userAccountControl: '514',
    });
    await tree.admin.modify(
      dn,
      new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }) }),
    );
    await tree.admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }));
    await tree.addMember(`CN=Domain Admins,CN=Users,${samba!.baseDn}`, dn);
    svc = { dn, sam, upn: `${sam}@${dnsDomain}`, password };
  });
  afterAll(async () => {
    await tree?.cleanup();
  });

  it('binds and provisions with the implicit UPN Administrator@<domain> and with <DOMAIN>\\Administrator', async () => {
    const vendorOu = await tree.addOu(`admin-${rand()}`);
    for (const name of [`Administrator@${dnsDomain}`, `${netbios}\\Administrator`]) {
      const directory = await directoryAs(name, samba!.bindPassword, vendorOu);
      try {
        await exercise(directory, vendorOu, name.includes('@') ? 'upn' : 'dl');
      } finally {
        await directory.close();
      }
    }
  });

  it('binds as a service account by its UPN and by DOMAIN\\name, and leaves that account out of the vendor-OU scan', async () => {
    for (const name of [svc.upn, `${netbios}\\${svc.sam}`]) {
      const directory = await directoryAs(name, svc.password, tree.dn);
      try {
        const listed = await exercise(directory, tree.dn, name.includes('@') ? 'svcupn' : 'svcdl');
        // Reconciliation disables what this scan lists without a live request: it must never list the service itself.
        expect(listed.some((d) => sameDn(d, svc.dn))).toBe(false);
      } finally {
        await directory.close();
      }
    }
  });

  it('refuses a wrong password for a UPN bind as a permanent directory error', async () => {
    const directory = await directoryAs(svc.upn, 'not-the-password', tree.dn);
    try {
      await expect(directory.createAccount(spec('bad'))).rejects.toMatchObject({ retryable: false });
    } finally {
      await directory.close();
    }
  });
});
