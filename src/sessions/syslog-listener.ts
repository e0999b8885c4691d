import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../logger.js';
import { parseAuthLog } from './parse-auth-log.js';
import type { AuditInput } from '../audit/audit-event.js';
import { EventBatcher } from './event-batcher.js';
import { normalizeEvent, type NormalizedEvent } from './session-event.schema.js';
import type { IngestResult } from './session-ingest.service.js';
import type { SessionMetrics } from './session-metrics.js';
import { SourceAuditSummary } from './source-audit-summary.js';
import { SyslogFrameDecoder } from './syslog-frame-decoder.js';
import { parseSyslog } from './syslog-message.js';

export interface SyslogListenerOptions {
  host: string;
  /** TCP and UDP port; 0 picks a free one (the same number for both). */
  port: number;
  /** Stores a batch (SessionIngestService.ingest with origin syslog, its own audit event left out). */
  ingest: (events: NormalizedEvent[]) => Promise<IngestResult>;
  /** Appends the per-source summaries to the audit trail. */
  audit: (events: AuditInput[]) => Promise<void>;
  /** One `sessions.ingested` per sending address per this period. Default 60 s. */
  auditIntervalMs?: number;
  logger: Logger;
  metrics?: SessionMetrics;
  now?: () => Date;
  /** Longest message accepted (bytes); longer ones are garbage. Default 8192, as rsyslog's default. */
  maxMessageBytes?: number;
  flushMs?: number;
  maxConnections?: number;
}

type Transport = 'tcp' | 'udp';
/** An event and the address it came from (what the audit summary counts by). */
interface Received {
  event: NormalizedEvent;
  peer: string;
}
const WARN_EVERY_MS = 10_000;

/**
 * The syslog ingest surface (DESIGN.md, Session logs): RFC 5424 and RFC 3164
 * over TCP (octet counting or newline framing) and UDP. sshd, sudo, su and
 * pam_unix lines become session events whose source is the sending host
 * (HOSTNAME, else the peer address) and whose target is that host too.
 * Other programs' lines are ignored; anything that is not syslog is counted
 * and logged at WARN (at most every 10 s), never thrown. Stored events are
 * audited per sending address and period (SourceAuditSummary), not per flush.
 */
export class SyslogListener {
  private tcp?: net.Server;
  private udp?: dgram.Socket;
  private readonly sockets = new Set<net.Socket>();
  private readonly batcher: EventBatcher<Received>;
  private readonly summary: SourceAuditSummary;
  private readonly maxBytes: number;
  private readonly now: () => Date;
  private garbage = { count: 0, lastWarnAt: 0 };

  constructor(private readonly options: SyslogListenerOptions) {
    this.maxBytes = options.maxMessageBytes ?? 8192;
    this.now = options.now ?? (() => new Date());
    this.summary = new SourceAuditSummary({
      write: options.audit,
      intervalMs: options.auditIntervalMs ?? 60_000,
      origin: 'syslog',
      logger: options.logger,
      now: this.now,
    });
    this.batcher = new EventBatcher<Received>({
      flush: (batch) => this.store(batch),
      logger: options.logger,
      ...(options.flushMs ? { flushMs: options.flushMs } : {}),
      onDropped: (n) => {
        options.metrics?.syslog.inc({ transport: 'any', outcome: 'dropped' }, n);
        options.logger.error('syslog events dropped: the store has been unreachable too long', { dropped: n });
      },
    });
  }

  /** Listens on TCP and UDP; resolves with the port. */
  async start(): Promise<number> {
    const { host, logger } = this.options;
    for (let attempt = 0; ; attempt++) {
      const tcp = net.createServer((socket) => this.accept(socket));
      tcp.maxConnections = this.options.maxConnections ?? 1024;
      const port = await new Promise<number>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.options.port, host, () => resolve((tcp.address() as net.AddressInfo).port));
      });
      tcp.on('error', (err) => logger.warn('syslog TCP server error', { error: err.message }));
      const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, host, () => resolve());
        });
      } catch (err) {
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
        udp.close();
        // With port 0 the UDP twin of a free TCP port may be taken: try another.
        if (this.options.port === 0 && attempt < 5) continue;
        throw err;
      }
      udp.on('error', (err) => logger.warn('syslog UDP socket error', { error: err.message }));
      udp.on('message', (msg, rinfo) => {
        if (msg.length > this.maxBytes) this.reject('udp', `datagram of ${msg.length} bytes exceeds ${this.maxBytes}`, msg.subarray(0, 200), rinfo.address);
        else this.handle(msg, rinfo.address, 'udp');
      });
      this.tcp = tcp;
      this.udp = udp;
      this.summary.start();
      logger.info('syslog listener started', { host, port });
      return port;
    }
  }

  /** Stops listening, closes connections and stores what waits. */
  async close(): Promise<void> {
    const tcp = this.tcp;
    this.tcp = undefined;
    for (const s of this.sockets) s.destroy();
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (this.udp) await new Promise<void>((resolve) => this.udp!.close(() => resolve()));
    this.udp = undefined;
    await this.batcher.close();
    await this.summary.close();
  }

  /** Stores a batch and counts it, per sending address, for the period's audit summary. */
  private async store(batch: Received[]): Promise<void> {
    const result = await this.options.ingest(batch.map((r) => r.event));
    const stored = new Set(result.stored);
    const bySource = new Map<string, { received: number; stored: number }>();
    for (const { event, peer } of batch) {
      const c = bySource.get(peer) ?? { received: 0, stored: 0 };
      c.received++;
      if (stored.delete(event.id)) c.stored++;
      bySource.set(peer, c);
    }
    for (const [peer, c] of bySource) this.summary.count(peer, c);
  }

  private accept(socket: net.Socket): void {
    const peer = socket.remoteAddress ?? 'unknown';
    this.sockets.add(socket);
    socket.setKeepAlive(true, 60_000);
    const decoder = new SyslogFrameDecoder(
      this.maxBytes,
      (frame) => this.handle(frame, peer, 'tcp'),
      (reason, sample) => this.reject('tcp', reason, sample, peer),
    );
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('end', () => decoder.end());
    socket.on('error', (err) => this.options.logger.debug('syslog connection error', { peer, error: err.message }));
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** One message: an event, ignored (not about sessions), or garbage. Never throws. */
  handle(frame: Buffer, peer: string, transport: Transport): void {
    try {
      const text = frame.toString('utf8').replace(/[\r\n\0]+$/, '');
      const msg = parseSyslog(text, this.now());
      if (!msg) return this.reject(transport, 'not a syslog message', frame.subarray(0, 200), peer);
      const parsed = parseAuthLog(msg);
      if (!parsed) {
        this.options.metrics?.syslog.inc({ transport, outcome: 'ignored' });
        return;
      }
      // The same bounds as the HTTP schema: a syslog line is no more trusted than a batch.
      const host = (msg.host ?? peer.replace(/^::ffff:/, '')).slice(0, 200);
      const event = normalizeEvent(
        {
          source: host,
          target: host,
          at: msg.at.toISOString(),
          raw: msg.message.slice(0, 1024),
          ...parsed,
          account: parsed.account.slice(0, 256),
          ...(parsed.detail ? { detail: parsed.detail.slice(0, 4096) } : {}),
        },
        'syslog',
      );
      this.options.metrics?.syslog.inc({ transport, outcome: 'event' });
      this.batcher.add({ event, peer: peer.replace(/^::ffff:/, '') });
    } catch (err) {
      this.reject(transport, `unparseable: ${(err as Error).message}`, frame.subarray(0, 200), peer);
    }
  }

  private reject(transport: Transport, reason: string, sample: Buffer, peer: string): void {
    this.options.metrics?.syslog.inc({ transport, outcome: 'garbage' });
    this.garbage.count++;
    const now = Date.now();
    if (now - this.garbage.lastWarnAt < WARN_EVERY_MS) return;
    this.options.logger.warn('syslog garbage received', {
      transport,
      peer,
      reason,
      sample: sample.toString('utf8').slice(0, 200),
      garbageSinceLastWarning: this.garbage.count,
    });
    this.garbage = { count: 0, lastWarnAt: now };
  }
}
