import { Client, InvalidCredentialsError } from 'ldapts';
import type { DirectoryTarget } from './service-harness.js';

function client(target: DirectoryTarget): Client {
  const secure = target.url.startsWith('ldaps://');
  return new Client({
    url: target.url,
    timeout: 10_000,
    connectTimeout: 10_000,
    ...(secure ? { tlsOptions: { ca: target.caPem, minVersion: 'TLSv1.2' } } : {}),
  });
}

async function open(target: DirectoryTarget): Promise<Client> {
  const c = client(target);
  if (target.startTls) await c.startTLS({ ca: target.caPem });
  return c;
}

/**
 * Looks at the directory the way an outsider would, with raw ldapts and no
 * Leasehold code: can this DN bind with this password? who is in this group?
 */
export const probe = {
  /**
   * True when the directory accepts a simple bind as `dn` with `password`,
   * false when it answers invalid credentials (49); anything else throws.
   */
  async canBind(target: DirectoryTarget, dn: string, password: string): Promise<boolean> {
    // An empty password is an unauthenticated bind, which "succeeds" as nobody (RFC 4513 §5.1.2): not the account binding.
    if (password === '') return false;
    const c = await open(target);
    try {
      await c.bind(dn, password);
      return true;
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return false;
      throw err;
    } finally {
      await c.unbind().catch(() => undefined);
    }
  },

  async groupMembers(target: DirectoryTarget, groupDn: string): Promise<string[]> {
    const c = await open(target);
    try {
      await c.bind(target.bindDn, target.bindPassword);
      const { searchEntries } = await c.search(groupDn, { scope: 'base', attributes: ['member', 'uniqueMember', 'memberUid'] });
      const e = searchEntries[0];
      if (!e) return [];
      const values = [e.member, e.uniqueMember, e.memberUid].flat().filter((v): v is string => typeof v === 'string');
      return values.map((v) => v.toLowerCase());
    } finally {
      await c.unbind().catch(() => undefined);
    }
  },

  async entriesUnder(target: DirectoryTarget, baseDn: string): Promise<string[]> {
    const c = await open(target);
    try {
      await c.bind(target.bindDn, target.bindPassword);
      const { searchEntries } = await c.search(baseDn, { scope: 'one', filter: '(objectClass=*)', attributes: ['1.1'] });
      return searchEntries.map((e) => e.dn);
    } finally {
      await c.unbind().catch(() => undefined);
    }
  },
};
