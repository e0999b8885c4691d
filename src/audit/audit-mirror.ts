import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import winston from 'winston';
import type TransportStream from 'winston-transport';
import type { Logger } from '../logger.js';
import type { RedisKeys } from '../store/redis-keys.js';
import { GENESIS_HASH, type AuditEvent } from './audit-event.js';
import { AuditTrail } from './archive/audit-trail.js';
import type { SegmentFiles } from './archive/segment-files.js';
import { AuditFileTransport } from './audit-file.transport.js';
import { CHUNK, readHead } from './audit-reader.js';
import { ChainChecker, parseEvent, type ChainHead } from './chain-checker.js';
import { readLastLine } from './jsonl-file.js';
import { loadReanchors, type ReanchorVerdict } from './reanchor.js';
import { RedisLease } from './redis-lease.js';
import { parseSyslogUrl, SyslogTransport } from './syslog.transport.js';

export interface AuditMirrorOptions {
  redis: Redis;
  keys: RedisKeys;
  /** AUDIT_LOG_FILE. */
  file: string;
  logger: Logger;
  /** AUDIT_SYSLOG_URL: also forward each mirrored event there. */
  syslogUrl?: string;
  /** How often the writer looks for events committed by other processes. */
  pollMs?: number;
  leaseMs?: number;
  /** fsync each batch (default true; tests may turn it off). */
  fsync?: boolean;
  /** AUDIT_REANCHOR_KEY: lets the mirror copy past an event re-anchored with it (reanchor.ts). */
  reanchorKey?: Buffer;
  /** ARCHIVE_DIR's segments: a mirror that fell behind a sealed segment catches up from it. */
  archive?: SegmentFiles;
}

/** Where the mirror stands, for readiness checks and tests. */
export interface MirrorStatus {
  leader: boolean;
  /** The file's last seq as of the last check; null when this process does not write. */
  lastSeq: number | null;
  /** Why the mirror stopped appending, until someone repairs the file or Redis. */
  halted: string | null;
}

/** Commits received ahead of writing; beyond this the writer reads Redis instead. */
const MAX_PENDING = 10_000;

type Batch = { lines: { raw: string; seq: number }[]; last: ChainHead };

/**
 * Keeps an append-only JSON-lines copy of the Redis trail at AUDIT_LOG_FILE.
 *
 * Every process that commits runs one, but only the holder of a Redis lease
 * (one per file path) writes: several processes appending to one file would
 * race between "read the last seq" and "append". The holder appends what its
 * own Transactor commits at once (`onCommit`) and, every `pollMs`, whatever
 * other processes committed, read from Redis. Before each batch it reads the
 * file's last line and continues exactly from there, so a file that fell
 * behind — writer down, lease moved, disk full — is caught up in order, and
 * nothing is written twice. Each batch must chain onto the file's last event
 * (seq, prevHash, hash); otherwise the mirror stops appending and says why,
 * so a tampered Redis never overwrites the good copy.
 */
export class AuditMirror {
  readonly path: string;
  private readonly lease: RedisLease;
  private readonly fileTransport: AuditFileTransport;
  private readonly writer: winston.Logger;
  private readonly pollMs: number;
  private readonly trail: AuditTrail;
  private pending: AuditEvent[] = [];
  private reanchors: ReadonlyMap<number, ReanchorVerdict> = new Map();
  private leader = false;
  private lastSeq: number | null = null;
  private halted: string | null = null;
  private running: Promise<void> | undefined;
  private rerun = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly leaseMs: number;
  /** When the lease was last renewed (performance.now() before asking). */
  private renewedAt = -Infinity;

  constructor(private readonly opts: AuditMirrorOptions) {
    this.path = resolve(opts.file);
    this.trail = new AuditTrail(opts.redis, opts.keys, opts.archive);
    this.pollMs = opts.pollMs ?? 1000;
    const scope = createHash('sha256').update(this.path).digest('hex').slice(0, 16);
    const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.lease = new RedisLease(opts.redis, opts.keys.auditMirrorLease(scope), owner, this.leaseMs);
    this.fileTransport = new AuditFileTransport(this.path, opts.fsync ?? true);
    const transports: TransportStream[] = [this.fileTransport];
    if (opts.syslogUrl) transports.push(new SyslogTransport(parseSyslogUrl(opts.syslogUrl), (m) => opts.logger.warn(m)));
    this.writer = winston.createLogger({ levels: { audit: 0 }, level: 'audit', format: winston.format.printf((i) => String(i.message)), transports });
    this.writer.on('error', (err: Error) => opts.logger.warn('audit mirror transport error', { error: err.message }));
  }

  /** The Transactor.onCommit listener: queue the events and write them now. */
  readonly onCommit = (events: AuditEvent[]): void => {
    if (!this.leader || this.closed) return;
    if (this.pending.length < MAX_PENDING) this.pending.push(...events);
    this.kick();
  };

  isLeader(): boolean {
    return this.leader;
  }

  status(): MirrorStatus {
    return { leader: this.leader, lastSeq: this.lastSeq, halted: this.halted };
  }

  /** Catches the file up (if this process gets the lease) and starts polling. */
  async start(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
  }

  /** Resolves once the file holds everything committed before the call (when this process writes it). */
  async sync(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  /** Mirrors what is left, gives the lease up and closes the file. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sync();
    this.closed = true;
    if (this.leader) await this.lease.release().catch(() => undefined);
    this.leader = false;
    await this.fileTransport.closeFile();
    this.writer.close();
  }

  private kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    do {
      this.rerun = false;
      try {
        await this.catchUp();
      } catch (err) {
        // Redis or the disk hiccuped: the next poll starts again from the file's tail.
        this.fileTransport.reset();
        this.opts.logger.warn('audit mirror could not catch up; will retry', { file: this.path, error: (err as Error).message });
        return;
      }
    } while (this.rerun && !this.closed);
  }

  private async catchUp(): Promise<void> {
    if (!(await this.holdLease())) return;
    let wrote: number | undefined;
    for (;;) {
      const tail = await readLastLine(this.path);
      if (!tail.complete)
        return this.halt(`${this.path} ends with an incomplete line (an interrupted write or an edit): repair it by hand; the trail in Redis is unaffected`);
      let file: ChainHead = { seq: 0, hash: GENESIS_HASH };
      if (tail.line !== null) {
        const last = parseEvent(tail.line);
        if (typeof last === 'string') return this.halt(`the last line of ${this.path} is not an audit event (${last})`);
        file = { seq: last.seq, hash: last.hash };
      }
      // Only this process writes while it holds the lease, so the file must end where the last batch did.
      if (wrote !== undefined && file.seq !== wrote)
        return this.halt(`${this.path} ends at seq ${file.seq} right after seq ${wrote} was appended: is another program writing or rotating it?`);
      this.lastSeq = file.seq;
      this.pending = this.pending.filter((e) => e.seq > file.seq);
      const { head } = await readHead(this.opts.redis, this.opts.keys.auditHead(), this.opts.keys.auditEvents());
      const headSeq = head?.seq ?? 0;
      if (file.seq > headSeq)
        return this.halt(`the mirror ends at seq ${file.seq} but Redis at seq ${headSeq}: Redis lost audit events; restore Redis, do not truncate the mirror`);
      if (file.seq === headSeq) {
        if (head && head.hash !== file.hash) return this.halt(`the mirror and Redis differ at seq ${headSeq}`);
        this.halted = null;
        return;
      }
      let batch = this.fromPending(file) ?? (await this.fromRedis(file, headSeq));
      // Only a refused batch needs the re-anchors: look them up then (one HGETALL) and try once more.
      if (typeof batch === 'string' && (await this.reloadReanchors())) batch = await this.fromRedis(file, headSeq);
      if (typeof batch === 'string') return this.halt(batch);
      this.halted = null;
      // Renew right before writing: a writer that stalled past its lease must not append behind the new holder.
      if (!(await this.holdLease())) return;
      for (const line of batch.lines) this.writer.log({ level: 'audit', message: line.raw, seq: line.seq });
      await this.fileTransport.whenWritten(batch.last.seq);
      this.lastSeq = wrote = batch.last.seq;
      // Caught up with the head read above and nothing newer in hand: the next round starts from the file's tail.
      if (wrote === headSeq && !this.pending.some((e) => e.seq > headSeq)) return;
    }
  }

  /**
   * Renews the lease, or knows without asking that it still holds it: within a third of the lease since the
   * last renewal (measured from before that request) it cannot have run out, so a burst of batches costs one
   * renewal every few seconds instead of two round trips each.
   */
  private async holdLease(): Promise<boolean> {
    if (this.leader && performance.now() - this.renewedAt < this.leaseMs / 3) return true;
    const was = this.leader;
    const asked = performance.now();
    this.leader = await this.lease.acquire();
    if (this.leader) this.renewedAt = asked;
    if (this.leader && !was) this.opts.logger.info('this process writes the audit mirror', { file: this.path });
    if (!this.leader) {
      if (was) this.opts.logger.warn('audit mirror lease lost to another process', { file: this.path });
      this.pending = [];
      this.lastSeq = null;
    }
    return this.leader;
  }

  /** The commits this process already holds, if they continue the file exactly. */
  private fromPending(file: ChainHead): Batch | undefined {
    const first = this.pending[0];
    if (!first || first.seq !== file.seq + 1 || first.prevHash !== file.hash) return undefined;
    const run: AuditEvent[] = [];
    for (const e of this.pending) {
      if (run.length && e.seq !== run[run.length - 1]!.seq + 1) break;
      run.push(e);
    }
    const batch = this.checked(
      file,
      run.map((e) => JSON.stringify(e)),
    );
    return typeof batch === 'string' ? undefined : batch;
  }

  /** The next chunk of the trail (Redis, or the archive for sealed events), starting with the file's last event as the anchor to compare. */
  private async fromRedis(file: ChainHead, headSeq: number): Promise<Batch | string> {
    const lines = await this.trail.range(Math.max(1, file.seq), Math.min(file.seq + CHUNK, headSeq));
    if (file.seq > 0) {
      const anchor = parseEvent(lines.shift() ?? 'missing');
      if (typeof anchor === 'string' || anchor.seq !== file.seq || anchor.hash !== file.hash)
        return `the mirror and Redis differ at seq ${file.seq}: one of them was altered; verify both`;
    }
    return this.checked(file, lines);
  }

  /** Reads the re-anchors again; true when they changed. */
  private async reloadReanchors(): Promise<boolean> {
    const fresh = await loadReanchors(this.opts.redis, this.opts.keys, this.opts.reanchorKey);
    const changed = fresh.size !== this.reanchors.size || [...fresh].some(([seq, v]) => JSON.stringify(v) !== JSON.stringify(this.reanchors.get(seq)));
    this.reanchors = fresh;
    return changed;
  }

  /** Only lines that chain onto the file's last event are appended. */
  private checked(file: ChainHead, lines: string[]): Batch | string {
    const checker = new ChainChecker(file, undefined, this.reanchors);
    const out: Batch['lines'] = [];
    for (const raw of lines) {
      const failure = checker.next(raw);
      if (failure) {
        if (out.length) break; // write the good part; the next round reports the break
        return `the Redis trail is broken at seq ${failure.firstBadSeq} (${failure.reason}); the mirror keeps the last good copy`;
      }
      out.push({ raw, seq: file.seq + out.length + 1 });
    }
    if (!out.length) return `no events to append after seq ${file.seq}`;
    return { lines: out, last: { seq: out[out.length - 1]!.seq, hash: (parseEvent(out[out.length - 1]!.raw) as AuditEvent).hash } };
  }

  private halt(reason: string): void {
    if (reason !== this.halted) this.opts.logger.error(`audit mirror stopped: ${reason}`, { file: this.path });
    this.halted = reason;
  }
}
