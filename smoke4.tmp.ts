import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Change, Attribute } from 'ldapts';
import { startSlapd } from './src/dev/slapd-rig.ts';
import { LdapConnection } from './src/provisioner/ldap/ldap-connection.ts';
const dir = await mkdtemp(join(tmpdir(), 'lh-slapd-'));
const rig = await startSlapd({ dir, ldapPort: 38931, ldapsPort: 38932 });
const rep = (type: string, ...values: string[]) => new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
try {
  const c = new LdapConnection({ url: rig.ldapsUrl, startTls: false, bindDn: rig.bindDn, bindPassword: rig.bindPassword, ca: rig.caPem, timeoutMs: 5000 });
  const read = async (dn: string) => JSON.stringify((await c.search(dn, { scope: 'base', attributes: ['pwdAccountLockedTime', 'pwdStartTime', 'pwdEndTime', 'pwdReset'] }))[0]);
  const mk = async (uid: string, extra: Record<string, string>) => { const dn = `uid=${uid},${rig.vendorsOu}`; await c.add(dn, { objectClass: ['inetOrgPerson'], uid, cn: uid, sn: uid, ...extra }); return dn; };
  const a = await mk('a', { pwdAccountLockedTime: '000001010000Z' });
  await c.passwordModify(a, 'pw'); console.log('locked then exop:', await c.checkBind(a, 'pw'), await read(a));
  const b = await mk('b', { pwdStartTime: '99991231235959Z' });
  await c.passwordModify(b, 'pw'); console.log('pwdStartTime future then exop:', await c.checkBind(b, 'pw'), await read(b));
  await c.modify(b, rep('pwdStartTime')); console.log('pwdStartTime removed:', await c.checkBind(b, 'pw'));
  const d = await mk('d', { pwdAccountLockedTime: '000001010000Z' });
  await c.modify(d, [rep('userPassword', 'pw'), rep('pwdAccountLockedTime', '000001010000Z')]); console.log('modify pw + lock same op:', await c.checkBind(d, 'pw'), await read(d));
  const e = await mk('e', { pwdEndTime: '19700101000000Z', pwdAccountLockedTime: '000001010000Z' });
  await c.passwordModify(e, 'pw'); console.log('endtime past then exop:', await c.checkBind(e, 'pw'), await read(e));
  await c.close();
} finally {
  await rig.stop();
  await rm(dir, { recursive: true, force: true });
}
