import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { LdapConnection } from '../../src/provisioner/ldap/ldap-connection.js';
import { checkReconcileIndexes, reportReconcileIndexes } from '../../src/provisioner/openldap/openldap-indexes.js';
import { slapdInfo, startSlapd, type SlapdInfo, type SlapdRig } from '../../tools/dev/slapd.rig.js';
import { adminConnection, createLdapSubtree, type LdapSubtree } from '../rig/ldap-subtree.js';
import { withFreePorts } from '../rig/ports.js';
import { capturingLogger } from '../support/log-capture.js';
import { eventually, slapdTarget, startTestService } from '../support/service-harness.js';

const INDEX_WARNING = /lacks equality indexes reconciliation needs/;

describe('the directory indexes reconciliation needs (OpenLDAP, checked at start-up)', () => {
  const slapd = () => inject('slapd');
  let bare: SlapdRig;
  let bareDir: string;
  let subtree: LdapSubtree;

  beforeAll(async () => {
    // A second slapd configured without the member, uniqueMember and memberUid indexes.
    bareDir = await mkdtemp(join(tmpdir(), 'leasehold-noindex-'));
    bare = await withFreePorts(2, ([ldapPort, ldapsPort]) => startSlapd({ dir: bareDir, ldapPort: ldapPort!, ldapsPort: ldapsPort!, memberIndexes: false }));
    subtree = await createLdapSubtree('idx');
  });
  afterAll(async () => {
    await subtree?.cleanup();
    await bare?.stop();
    await rm(bareDir, { recursive: true, force: true });
  });

  it('finds member, uniqueMember and memberUid indexed for equality in a directory configured as README Operations asks', async () => {
    const conn = adminConnection(slapd());
    try {
      expect(await checkReconcileIndexes(conn, slapd().baseDn)).toMatchObject({ checked: true, missing: [] });
    } finally {
      await conn.close();
    }
  });

  it('names the missing indexes, and the service warns about them at start-up but starts', async () => {
    const info: SlapdInfo = slapdInfo(bare);
    const conn = adminConnection(info);
    try {
      expect(await checkReconcileIndexes(conn, info.baseDn)).toMatchObject({ checked: true, missing: ['member', 'uniqueMember', 'memberUid'] });
    } finally {
      await conn.close();
    }
    const { logger, entries } = capturingLogger();
    const svc = await startTestService({ redisUrl: inject('redisUrl'), directory: slapdTarget(info, info.vendorsOu), logger });
    try {
      const warning = await eventually(() => Promise.resolve(entries.find((e) => INDEX_WARNING.test(e.message))), 10_000);
      expect(warning).toMatchObject({ level: 'warn', missing: ['member', 'uniqueMember', 'memberUid'] });
      expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    } finally {
      await svc.close();
    }
  });

  it('says it could not check when the service account may not read cn=config, and does not warn', async () => {
    const uid = `reader-${Date.now() % 1_000_000}`;
    const dn = childDn('uid', uid, subtree.dn);
    const password = 'Reader-Passw0rd-1';
    await subtree.admin.add(dn, { objectClass: ['inetOrgPerson'], uid: [uid], cn: ['Reader'], sn: ['Reader'], userPassword: [password] });
    const conn = new LdapConnection({ url: slapd().ldapsUrl, startTls: false, ca: slapd().caPem, bindDn: dn, bindPassword: password, timeoutMs: 10_000 });
    try {
      const check = await checkReconcileIndexes(conn, slapd().baseDn);
      expect(check.checked).toBe(false);
      const { logger, entries } = capturingLogger();
      reportReconcileIndexes(check, logger);
      expect(entries.map((e) => [e.level, e.message])).toEqual([['info', expect.stringMatching(/^could not check the directory's indexes/)]]);
    } finally {
      await conn.close();
    }
  });
});
