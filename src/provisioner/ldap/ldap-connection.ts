import net from 'node:net';
import tls from 'node:tls';
import { Client, type Change, type Entry, type Filter, type SearchOptions } from 'ldapts';
import type { Logger } from '../../logger.js';
import { DirectoryError, DirectoryUnavailable } from '../../errors.js';
import { markIfLost, toDirectoryError } from './ldap-errors.js';
import { encodePasswordModifyRequest, PASSWORD_MODIFY_OID } from './password-modify.js';
import { SocketWatch } from './socket-watch.js';

/** How to reach and authenticate to the directory. */
export interface LdapConnectionOptions {
  /** `ldaps://host[:port]` or `ldap://host[:port]`. */
  url: string;
  /** The service account. */
  bindDn: string;
  bindPassword: string;
  /** PEM CA bundle to verify the server with; the system store when absent. Verification is always on. */
  ca?: string;
  /** Upgrade an `ldap://` connection with StartTLS before binding. */
  startTls: boolean;
  /** Per-operation and connect timeout. */
  timeoutMs: number;
  /** Connections opened at most (lazily, as concurrency demands). Default 8. */
  poolSize?: number;
  /** Permit plaintext `ldap://` without StartTLS (test rigs only). */
  allowInsecure?: boolean;
  logger?: Logger;
}

/** A search as the adapters use it: ldapts options minus paging, which `searchPaged` owns. */
export type LdapSearch = Omit<SearchOptions, 'paged'> & { filter?: string | Filter };

/** A client with the sockets it was allowed to open. */
interface Pooled {
  client: Client;
  sockets: SocketWatch;
}

interface Slot {
  pooled?: Pooled;
  connecting?: Promise<Pooled>;
  inFlight: number;
}

/**
 * Owns the service account's connections to one directory (DIRECTORY.md,
 * ldapts): a lazily grown pool of bound clients, each over TLS (ldaps:// or
 * StartTLS) with the CA verified, each replaced — reconnect, StartTLS, rebind —
 * once its socket has closed. LDAP multiplexes operations on one connection,
 * so callers share slots by load instead of waiting for exclusive use.
 *
 * Every failure leaves as a DirectoryError with `retryable` set.
 */
export class LdapConnection {
  readonly url: string;
  private readonly secure: boolean;
  private readonly host: string;
  private readonly slots: Slot[] = [];
  private readonly poolSize: number;
  private closed = false;
  private readonly logger: Logger | undefined;
  /** The TLS problem last logged, so that it is logged once rather than per operation. */
  private unusable: string | undefined;

  constructor(private readonly options: LdapConnectionOptions) {
    const parsed = new URL(options.url);
    if (parsed.protocol !== 'ldap:' && parsed.protocol !== 'ldaps:') throw new DirectoryError(`not an LDAP URL: ${options.url}`, false);
    this.secure = parsed.protocol === 'ldaps:';
    if (this.secure && options.startTls) throw new DirectoryError('StartTLS applies to ldap:// URLs only', false);
    if (!this.secure && !options.startTls && !options.allowInsecure)
      throw new DirectoryError('plaintext ldap:// refused: use ldaps://, StartTLS, or allow insecure explicitly', false);
    this.url = options.url;
    this.host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    this.poolSize = Math.max(1, options.poolSize ?? 8);
    this.logger = options.logger?.child({ component: 'ldap-connection' });
  }

  /** The name the service account binds with (LDAP_BIND_DN: a DN, or on AD also a UPN or DOMAIN\name). */
  get bindName(): string {
    return this.options.bindDn;
  }

  /** Whether the transport is encrypted (ldaps:// or StartTLS). */
  get encrypted(): boolean {
    return this.secure || this.options.startTls;
  }

  /**
   * Runs `op` on a bound pooled client and maps its failure. `what` names the
   * operation for the error message. Ops must not unbind or re-bind the client.
   */
  async run<T>(what: string, op: (client: Client) => Promise<T>): Promise<T> {
    const slot = this.pick();
    slot.inFlight++;
    let pooled: Pooled | undefined;
    try {
      pooled = await this.ready(slot);
      return await op(pooled.client);
    } catch (err) {
      throw this.failure(markIfLost(err, pooled?.sockets.lost ?? false), what);
    } finally {
      slot.inFlight--;
    }
  }

  /** Base, one-level or subtree search; entries as ldapts returns them (normalise with ldap-entry.ts). */
  async search(base: string, search: LdapSearch, what = `search ${base}`): Promise<Entry[]> {
    return this.run(what, async (c) => (await c.search(base, search)).searchEntries);
  }

  /**
   * Paged search (RFC 2696), one page at a time. All pages come from one
   * connection because the paging cookie belongs to it; the slot counts as
   * busy until the iteration ends.
   */
  async *searchPaged(base: string, search: LdapSearch, pageSize = 500, what = `paged search ${base}`): AsyncGenerator<Entry[]> {
    const slot = this.pick();
    slot.inFlight++;
    try {
      let pooled: Pooled;
      try {
        pooled = await this.ready(slot);
      } catch (err) {
        throw this.failure(err, what);
      }
      const pages = pooled.client.searchPaginated(base, { ...search, paged: { pageSize } });
      for (;;) {
        let next: IteratorResult<{ searchEntries: Entry[] }>;
        try {
          next = await pages.next();
        } catch (err) {
          throw this.failure(markIfLost(err, pooled.sockets.lost), what);
        }
        if (next.done) return;
        yield next.value.searchEntries;
      }
    } finally {
      slot.inFlight--;
    }
  }

  /** Adds an entry. */
  async add(dn: string, attributes: Parameters<Client['add']>[1], what = `add ${dn}`): Promise<void> {
    await this.run(what, (c) => c.add(dn, attributes));
  }

  /** Applies modifications to one entry atomically. */
  async modify(dn: string, changes: Change | Change[], what = `modify ${dn}`): Promise<void> {
    await this.run(what, (c) => c.modify(dn, changes));
  }

  /** Deletes an entry. */
  async del(dn: string, what = `delete ${dn}`): Promise<void> {
    await this.run(what, (c) => c.del(dn));
  }

  /** Sets `dn`'s password with the RFC 3062 Password Modify extended operation. */
  async passwordModify(dn: string, newPassword: string): Promise<void> {
    await this.run(`set password of ${dn}`, (c) => c.exop(PASSWORD_MODIFY_OID, encodePasswordModifyRequest(dn, newPassword)));
  }

  /** Resolves when the directory answers an authenticated read of the root DSE. */
  async ping(): Promise<void> {
    await this.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] }, 'ping');
  }

  /** Unbinds every pooled client. Further operations fail (not retryable). */
  async close(): Promise<void> {
    this.closed = true;
    const pooled = this.slots.map((s) => s.pooled).filter((p): p is Pooled => p !== undefined);
    this.slots.length = 0;
    await Promise.all(pooled.map((p) => release(p)));
  }

  /**
   * Maps a failure. A TLS problem (DirectoryUnavailable) needs a person, so it
   * is logged as an ERROR saying what to fix — once, not for every operation
   * that meets it, until a connection works again or the problem changes.
   */
  private failure(err: unknown, what: string): DirectoryError {
    const mapped = toDirectoryError(err, what);
    if (mapped instanceof DirectoryUnavailable && mapped.reason !== this.unusable) {
      this.unusable = mapped.reason;
      this.logger?.error(`directory unusable: ${mapped.reason}; ${mapped.fix}`, { url: this.url });
    }
    return mapped;
  }

  /** The least-loaded slot, growing the pool while every slot is busy. */
  private pick(): Slot {
    if (this.closed) throw new DirectoryError('LDAP connection is closed', false);
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.inFlight < best.inFlight) best = s;
    if (!best || (best.inFlight > 0 && this.slots.length < this.poolSize)) {
      best = { inFlight: 0 };
      this.slots.push(best);
    }
    return best;
  }

  /**
   * The slot's client, replaced by a freshly bound one once any of its sockets
   * closed. Sockets are watched here because ldapts does not notice when the
   * connection under a StartTLS session drops: it would keep writing into the
   * dead socket until each operation timed out.
   */
  private async ready(slot: Slot): Promise<Pooled> {
    const current = slot.pooled;
    if (current && current.client.isBound && !current.sockets.closed) return current;
    if (!slot.connecting) {
      slot.pooled = undefined;
      if (current) {
        this.logger?.warn('LDAP connection lost; reconnecting', { url: this.url });
        current.sockets.destroy();
      }
      const connecting = (async () => {
        const pooled = await this.connect();
        try {
          await pooled.client.bind(this.options.bindDn, this.options.bindPassword);
        } catch (err) {
          const lost = pooled.sockets.lost;
          await release(pooled);
          throw markIfLost(err, lost);
        }
        if (this.unusable !== undefined) {
          this.logger?.info('directory connection works again', { url: this.url });
          this.unusable = undefined;
        }
        return pooled;
      })();
      slot.connecting = connecting;
      connecting.then(
        (pooled) => {
          slot.pooled = pooled;
          slot.connecting = undefined;
          if (this.closed) void release(pooled);
        },
        () => {
          slot.connecting = undefined;
        },
      );
    }
    return await slot.connecting;
  }

  /** A connected (and, for StartTLS, upgraded) but unbound client. */
  private async connect(): Promise<Pooled> {
    const sockets = new SocketWatch();
    const client = new Client({
      url: this.options.url,
      timeout: this.options.timeoutMs,
      connectTimeout: this.options.timeoutMs,
      // DIRECTORY.md: tlsOptions make ldapts speak TLS from the first byte, so only for ldaps://.
      ...(this.secure ? { tlsOptions: this.tlsOptions() } : {}),
      createConnection: sockets.plain,
      createSecureConnection: sockets.secure,
    });
    if (this.options.startTls) {
      try {
        // ldapts writes `socket` into the object it is given: always a fresh one.
        await client.startTLS(this.tlsOptions());
      } catch (err) {
        const lost = sockets.lost;
        await release({ client, sockets });
        throw markIfLost(err, lost);
      }
    }
    return { client, sockets };
  }

  private tlsOptions(): tls.ConnectionOptions {
    return {
      host: this.host,
      ...(net.isIP(this.host) ? {} : { servername: this.host }),
      ...(this.options.ca ? { ca: this.options.ca } : {}),
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    };
  }
}

/** Unbinds politely when the connection is alive, then makes sure its sockets are gone. */
async function release(pooled: Pooled): Promise<void> {
  if (!pooled.sockets.closed) await pooled.client.unbind().catch(() => undefined);
  pooled.sockets.destroy();
}
