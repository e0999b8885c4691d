import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { connect, type Socket } from 'node:net';
import TransportStream from 'winston-transport';
import type { AuditLine } from './audit-file.transport.js';

/** RFC 5424 facility 13, "log audit". */
const FACILITY = 13;
/** Messages held while a TCP receiver is unreachable; the oldest are dropped beyond this. */
const MAX_QUEUE = 10_000;

export interface SyslogTarget {
  protocol: 'udp' | 'tcp';
  host: string;
  port: number;
}

/** Parses `udp://host:514` or `tcp://host:601`. */
export function parseSyslogUrl(url: string): SyslogTarget {
  const u = new URL(url);
  const protocol = u.protocol.replace(':', '');
  if (protocol !== 'udp' && protocol !== 'tcp') throw new Error(`syslog URL must be udp:// or tcp://, not ${u.protocol}`);
  const port = Number(u.port || (protocol === 'udp' ? 514 : 601));
  return { protocol, host: u.hostname.replace(/^\[|\]$/g, ''), port };
}

/** One RFC 5424 line for a stored event: notice for refusals and failures, info otherwise. */
function formatSyslog(line: string, at: Date, host = hostname()): string {
  let action = 'audit';
  let severity = 6;
  try {
    const e = JSON.parse(line) as { action?: string; outcome?: string };
    action = (e.action ?? 'audit').replace(/[^\x21-\x7e]/g, '_').slice(0, 32) || 'audit';
    if (e.outcome === 'refused' || e.outcome === 'failure') severity = 5;
  } catch {
    // forward it anyway: the receiver is a copy, not a judge
  }
  return `<${FACILITY * 8 + severity}>1 ${at.toISOString()} ${host.slice(0, 255) || '-'} leasehold ${process.pid} ${action} - ${line}`;
}

/**
 * Forwards each mirrored event to a syslog receiver, best effort: UDP
 * datagrams, or TCP with octet-counting framing (RFC 6587) and reconnects.
 * It never holds up the file mirror — `log` returns at once and a TCP
 * backlog is bounded — because the Redis trail and its file are the record;
 * syslog is an extra copy off the machine.
 */
export class SyslogTransport extends TransportStream {
  private udp: UdpSocket | undefined;
  private tcp: Socket | undefined;
  private connected = false;
  private queue: string[] = [];
  private dropped = 0;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly target: SyslogTarget,
    private readonly onProblem: (message: string) => void = () => undefined,
  ) {
    super({ level: 'audit' });
  }

  override log(info: AuditLine, next: () => void): void {
    this.send(formatSyslog(info.message, new Date()));
    next();
  }

  override close(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.udp?.close();
    this.tcp?.end();
    this.udp = undefined;
    this.tcp = undefined;
  }

  private send(message: string): void {
    if (this.stopped) return;
    if (this.target.protocol === 'udp') {
      if (!this.udp) {
        this.udp = createSocket(this.target.host.includes(':') ? 'udp6' : 'udp4');
        this.udp.on('error', (err) => this.onProblem(`syslog UDP error: ${err.message}`));
        this.udp.unref();
      }
      this.udp.send(message, this.target.port, this.target.host, (err) => err && this.onProblem(`syslog UDP send failed: ${err.message}`));
      return;
    }
    this.queue.push(`${Buffer.byteLength(message)} ${message}`);
    if (this.queue.length > MAX_QUEUE) {
      this.queue.shift();
      if (this.dropped++ === 0) this.onProblem('syslog receiver unreachable: dropping the oldest queued audit messages');
    }
    if (this.connected) this.flush();
    else this.connectTcp();
  }

  private connectTcp(): void {
    if (this.tcp || this.retry || this.stopped) return;
    const socket = connect({ host: this.target.host, port: this.target.port });
    this.tcp = socket;
    socket.unref();
    socket.setKeepAlive(true);
    socket.on('connect', () => {
      this.connected = true;
      if (this.dropped) this.onProblem(`syslog receiver back; ${this.dropped} audit messages were not forwarded`);
      this.dropped = 0;
      this.flush();
    });
    socket.on('error', (err) => this.onProblem(`syslog TCP error: ${err.message}`));
    socket.on('close', () => {
      this.connected = false;
      this.tcp = undefined;
      if (this.stopped) return;
      this.retry = setTimeout(() => {
        this.retry = undefined;
        if (this.queue.length) this.connectTcp();
      }, 2000);
      this.retry.unref();
    });
  }

  private flush(): void {
    if (!this.tcp || !this.connected || !this.queue.length) return;
    const batch = this.queue.join('');
    this.queue = [];
    this.tcp.write(batch);
  }
}
