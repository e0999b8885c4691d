import net from 'node:net';
import tls from 'node:tls';
import { DirectoryError } from '../../errors.js';

/**
 * Socket factories for one client that allow one plain and one TLS socket and
 * record when any of them closes. After a socket closes, ldapts would
 * silently reconnect — anonymously, and without StartTLS — on the next
 * operation; refusing the second socket turns that into a retryable error,
 * and the pool replaces the client instead.
 */
export class SocketWatch {
  closed = false;
  private readonly opened: net.Socket[] = [];
  private plainUsed = false;
  private secureUsed = false;

  readonly plain = ((...args: unknown[]) => {
    if (this.plainUsed) this.refuse();
    this.plainUsed = true;
    return this.watch((net.connect as (...a: unknown[]) => net.Socket)(...args));
  }) as typeof net.connect;

  readonly secure = ((...args: unknown[]) => {
    if (this.secureUsed) this.refuse();
    this.secureUsed = true;
    return this.watch((tls.connect as (...a: unknown[]) => tls.TLSSocket)(...args));
  }) as typeof tls.connect;

  /**
   * True once any socket handed out is gone. ldapts destroys the socket
   * before it fails the operations on it — on a socket error, a close, a
   * connect timeout and an operation timeout — so a failure seen while this
   * is true is a lost connection, whatever its message says.
   */
  get lost(): boolean {
    return this.closed || this.opened.some((s) => s.destroyed);
  }

  destroy(): void {
    this.closed = true;
    for (const socket of this.opened) socket.destroy();
  }

  private watch<S extends net.Socket>(socket: S): S {
    this.opened.push(socket);
    socket.once('close', () => (this.closed = true));
    coalesceWrites(socket);
    return socket;
  }

  private refuse(): never {
    throw new DirectoryError('LDAP connection closed; not reconnecting this client', true);
  }
}

/**
 * Operations sent on one connection in the same tick leave in one write: the
 * socket is corked at the first and uncorked once the tick's work is done.
 * Many concurrent jobs share each connection (LDAP multiplexes), and on TLS
 * every write is a record to encrypt and a system call; a burst of
 * revocations sent a few operations per connection per tick (bench: mass
 * expiry, where socket writes were the largest single cost).
 */
function coalesceWrites(socket: net.Socket): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  socket.write = (...args: unknown[]) => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return write(...args);
  };
}
