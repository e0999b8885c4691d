import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSlapd, type SlapdRig } from '../../tools/dev/slapd.rig.js';
import { makeTlsMaterial } from '../../tools/dev/tls-material.js';
import { DirectoryError, DirectoryUnavailable } from '../../src/errors.js';
import { LdapConnection, type LdapConnectionOptions } from '../../src/provisioner/ldap/ldap-connection.js';
import { freePort, withFreePorts } from '../rig/ports.js';
import { capturingLogger } from '../support/log-capture.js';

const slapd = inject('slapd');
const manager = { bindDn: slapd.bindDn, bindPassword: slapd.bindPassword, timeoutMs: 5000 };

async function failure(p: Promise<unknown>): Promise<DirectoryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DirectoryError);
  return err as DirectoryError;
}

async function withConnection<T>(options: Partial<LdapConnectionOptions>, use: (c: LdapConnection) => Promise<T>): Promise<T> {
  const c = new LdapConnection({ url: slapd.ldapsUrl, startTls: false, ca: slapd.caPem, ...manager, ...options });
  try {
    return await use(c);
  } finally {
    await c.close();
  }
}

describe('LDAP connection security', () => {
  let tmp: string;
  let otherCa: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'leasehold-ca-'));
    otherCa = (await makeTlsMaterial(tmp)).caPem;
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('binds over ldaps:// and over ldap:// with StartTLS when the server certificate verifies against the CA', async () => {
    await withConnection({}, (c) => c.ping());
    await withConnection({ url: slapd.ldapUrl, startTls: true }, (c) => c.ping());
  });

  it('accepts the certificate under the name localhost as well as 127.0.0.1', async () => {
    await withConnection({ url: slapd.ldapsUrl.replace('127.0.0.1', 'localhost') }, (c) => c.ping());
  });

  it('refuses a server whose certificate another CA signed, on both transports, as unavailable until LDAP_CA_FILE is fixed', async () => {
    for (const options of [{}, { url: slapd.ldapUrl, startTls: true }]) {
      const err = await withConnection({ ...options, ca: otherCa }, (c) => failure(c.ping()));
      expect(err).toBeInstanceOf(DirectoryUnavailable);
      expect((err as DirectoryUnavailable).reason).toMatch(/not signed by a CA this service trusts/);
      expect((err as DirectoryUnavailable).fix).toMatch(/LDAP_CA_FILE/);
    }
  });

  it('refuses the rig certificate when no CA is configured (the system store does not know it)', async () => {
    const err = await withConnection({ ca: undefined }, (c) => failure(c.ping()));
    expect(err).toBeInstanceOf(DirectoryUnavailable);
  });

  it('logs what to fix once, not for every operation', async () => {
    const { logger, entries } = capturingLogger();
    const errors = () => entries.filter((e) => e.level === 'error');
    await withConnection({ ca: otherCa, logger }, async (c) => {
      for (let i = 0; i < 5; i++) await failure(c.ping());
      await Promise.all(Array.from({ length: 5 }, () => failure(c.search(slapd.baseDn, { scope: 'base' }))));
    });
    expect(errors()).toHaveLength(1);
    expect(errors()[0]!.message).toMatch(/^directory unusable: its TLS certificate is not signed by a CA this service trusts \(.+\); set LDAP_CA_FILE/);
  });

  it('refuses plaintext ldap:// unless insecure is explicitly allowed', async () => {
    expect(() => new LdapConnection({ url: slapd.ldapUrl, startTls: false, ...manager })).toThrow(/plaintext/);
    expect(() => new LdapConnection({ url: slapd.ldapsUrl, startTls: true, ...manager })).toThrow(/StartTLS/);
    await withConnection({ url: slapd.ldapUrl, allowInsecure: true }, (c) => c.ping());
  });

  it('reports wrong service credentials as a permanent failure', async () => {
    const err = await withConnection({ bindPassword: 'wrong' }, (c) => failure(c.ping()));
    expect(err.retryable).toBe(false);
    expect(err.ldapCode).toBe(49);
  });
});

describe('LDAP connection failures and recovery', () => {
  it('reports a refused connection as retryable', async () => {
    const port = await freePort();
    const err = await withConnection({ url: `ldaps://127.0.0.1:${port}` }, (c) => failure(c.ping()));
    expect(err.retryable).toBe(true);
  });

  it('gives up on a server that never answers after the timeout, as retryable', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      for (const url of [`ldaps://127.0.0.1:${port}`, `ldap://127.0.0.1:${port}`]) {
        const started = Date.now();
        const err = await withConnection({ url, allowInsecure: true, timeoutMs: 300 }, (c) => failure(c.ping()));
        expect(err.retryable).toBe(true);
        expect(Date.now() - started).toBeLessThan(3000);
      }
    } finally {
      silent.close();
    }
  });

  it('never lets a client reconnect anonymously after its socket closed, and replaces it on the next operation', async () => {
    await withConnection({ url: slapd.ldapUrl, startTls: true, poolSize: 1 }, async (c) => {
      const err = await failure(
        c.run('search after unbind', async (client) => {
          await client.unbind();
          return client.search(slapd.baseDn, { scope: 'base' });
        }),
      );
      expect(err.retryable).toBe(true);
      await c.ping();
    });
  });

  it('runs many operations at once over a small pool', async () => {
    await withConnection({ poolSize: 4 }, async (c) => {
      const results = await Promise.all(Array.from({ length: 100 }, () => c.search(slapd.groupsOu, { scope: 'one', attributes: ['cn'] })));
      expect(results.every((r) => r.length >= 5)).toBe(true);
    });
  });

  describe('when the directory restarts', () => {
    let dir: string;
    let rig: SlapdRig;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'leasehold-slapd-restart-'));
      rig = await withFreePorts(2, ([p, q]) => startSlapd({ dir, ldapPort: p!, ldapsPort: q! }));
    });
    afterAll(async () => {
      await rig?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('reconnects, re-runs StartTLS and rebinds, so writes work again', async () => {
      for (const transport of [
        { url: rig.ldapsUrl, startTls: false },
        { url: rig.ldapUrl, startTls: true },
      ]) {
        const c = new LdapConnection({ ...transport, ca: rig.caPem, bindDn: rig.bindDn, bindPassword: rig.bindPassword, timeoutMs: 5000, poolSize: 2 });
        try {
          await c.ping();
          await rig.restart();
          // A write needs the manager's bind: an anonymous session would get insufficientAccess.
          await c.add(`ou=after-restart-${transport.startTls ? 'starttls' : 'ldaps'},${rig.vendorsOu}`, {
            objectClass: ['organizationalUnit'],
            ou: [`after-restart-${transport.startTls ? 'starttls' : 'ldaps'}`],
          });
        } finally {
          await c.close();
        }
      }
    });
  });
});
