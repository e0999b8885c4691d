import { Attribute, BerWriter, Change, Client, InvalidCredentialsError } from 'ldapts';
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
   * True when the directory accepts `password` for `dn`: a simple bind
   * succeeds, or (AD) it is refused only because the password must be
   * changed at this first logon (49 with data 773, which AD and Samba answer
   * only for the right password of an enabled, unexpired account). False
   * when it answers invalid credentials otherwise; anything else throws.
   */
  async canBind(target: DirectoryTarget, dn: string, password: string): Promise<boolean> {
    return (await probe.bindOutcome(target, dn, password)) !== 'refused';
  },

  /** How a simple bind as `dn` with `password` ends: bound, refused until the password is changed (AD data 773), or refused (49). */
  async bindOutcome(target: DirectoryTarget, dn: string, password: string): Promise<'bound' | 'must-change' | 'refused'> {
    // An empty password is an unauthenticated bind, which "succeeds" as nobody (RFC 4513 §5.1.2): not the account binding.
    if (password === '') return 'refused';
    const c = await open(target);
    try {
      await c.bind(dn, password);
      return 'bound';
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return /\bdata 773\b/.test(err.message) ? 'must-change' : 'refused';
      throw err;
    } finally {
      await c.unbind().catch(() => undefined);
    }
  },

  /**
   * The first logon of an OpenLDAP account as its owner would make it: bind
   * with the initial password, try a search, change the password with the
   * Password Modify extended operation (RFC 3062) on the same session, and
   * search again after binding with the new one. A search's outcome is 'ok'
   * or the result code and message it was refused with.
   */
  async firstLogon(target: DirectoryTarget, dn: string, initial: string, next: string) {
    const outcome = (c: Client) =>
      c.search(dn, { scope: 'base', attributes: ['1.1'] }).then(
        () => 'ok' as const,
        (err: { code?: number; message: string }) => ({ code: err.code, message: err.message }),
      );
    const c = await open(target);
    try {
      await c.bind(dn, initial);
      const before = await outcome(c);
      const value = new BerWriter();
      value.startSequence();
      value.writeString(dn, 0x80); // userIdentity [0]
      value.writeString(initial, 0x81); // oldPasswd [1]
      value.writeString(next, 0x82); // newPasswd [2]
      value.endSequence();
      await c.exop('1.3.6.1.4.1.4203.1.11.1', value.buffer);
      await c.unbind();
      const again = await open(target);
      try {
        await again.bind(dn, next);
        return { before, after: await outcome(again) };
      } finally {
        await again.unbind().catch(() => undefined);
      }
    } finally {
      await c.unbind().catch(() => undefined);
    }
  },

  /**
   * An AD password change (not a reset): delete the old unicodePwd and add
   * the new one in one modify, which the DC checks against the old password.
   * Made on a connection bound as the target's service account — a user who must change their
   * password cannot bind themselves, so self-service tools change it this way
   * (or over Kerberos kpasswd / SAMR).
   */
  async adChangePassword(target: DirectoryTarget, dn: string, oldPassword: string, newPassword: string): Promise<void> {
    const quoted = (p: string) => Buffer.from(`"${p}"`, 'utf16le');
    const c = await open(target);
    try {
      await c.bind(target.bindDn, target.bindPassword);
      await c.modify(dn, [
        new Change({ operation: 'delete', modification: new Attribute({ type: 'unicodePwd', values: [quoted(oldPassword)] }) }),
        new Change({ operation: 'add', modification: new Attribute({ type: 'unicodePwd', values: [quoted(newPassword)] }) }),
      ]);
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
