import type { AuditInput } from '../audit/audit-event.js';
import { newId } from '../domain/ids.js';
import type { NormalizedEvent } from './session-event.schema.js';
import { FlagRules } from './session-flags.js';
import { SessionGrouper, type GroupingPlan } from './session-grouper.js';
import type { SessionMetrics } from './session-metrics.js';
import type { EventOrigin } from './session-record.js';
import type { BatchReader, SessionStore } from './session-store.port.js';

/** What a caller learns about a stored batch. */
export interface IngestResult {
  /** Events of the batch now durably stored (new ones and ones a previous try stored). */
  accepted: number;
  duplicates: number;
  sessions: string[];
  /** Ids of the events this call stored (the others were stored before, or repeat one of the batch). */
  stored: ReadonlySet<string>;
}

/**
 * When a batch gets its `sessions.ingested` audit event: `always` (an API
 * call is audited even when it only repeated events), `when-stored` (a
 * machine import: nothing stored, nothing audited), or `never` (the caller
 * audits a summary instead, as the syslog listener does). Flags are audited
 * with the batch that raised them in every case.
 */
export type BatchAudit = 'always' | 'when-stored' | 'never';

/** Who sent a batch, and how it is audited (default `always`). */
export interface IngestMeta {
  origin: EventOrigin;
  actor: string;
  audit?: BatchAudit;
}

export interface SessionPolicy {
  privilegedCommands: readonly string[];
  idleTimeoutMinutes: number;
  failedLoginBurst: number;
  reviewDueDays: number;
}

const DAY_MS = 24 * 3_600_000;
const MAX_AUDITED_SESSIONS = 200;

/**
 * Stores batches of session events and groups them into sessions, per batch
 * rather than per event: two reads of the store (BatchReader; two pipelined
 * round trips in Redis), routing and grouping in memory, and one commit of
 * the events, the sessions, their indexes and the batch's audit event (as
 * `BatchAudit` says; plus one naming newly flagged sessions). A batch commits
 * only on the state it read (the store re-runs it otherwise), so the grouping
 * always sees the state the previous batch left.
 */
export class SessionIngestService {
  private readonly grouper: SessionGrouper;

  constructor(
    private readonly deps: {
      store: SessionStore;
      policy: SessionPolicy;
      metrics?: SessionMetrics;
      now: () => Date;
    },
  ) {
    this.grouper = new SessionGrouper({
      rules: new FlagRules(deps.policy.privilegedCommands),
      idleMs: deps.policy.idleTimeoutMinutes * 60_000,
      failedLoginBurst: deps.policy.failedLoginBurst,
      mintId: (atMs) => newId('ses', atMs),
      now: deps.now,
    });
  }

  /** Stores `events` (already validated and normalised); resolves once they are durable. */
  async ingest(events: NormalizedEvent[], meta: IngestMeta): Promise<IngestResult> {
    if (events.length === 0) return { accepted: 0, duplicates: 0, sessions: [], stored: new Set() };
    const started = performance.now();
    const unique = [...new Map(events.map((e) => [e.id, e])).values()];
    const reviewDueMs = this.deps.policy.reviewDueDays * DAY_MS;
    const result = await this.deps.store.appendEvents(async (read) => {
      const first = await read.routingState(unique);
      const routing = this.grouper.router.route(first.fresh, first.live);
      const second = await read.groupingState(first.owners, [...routing.needed], routing.created.size);
      const plan = this.grouper.finish(routing, { records: second.records, requests: second.requests, priorFailures: first.priorFailures });
      await this.assignPositions(read, plan, second.positions);
      const duplicates = events.length - first.fresh.length;
      return {
        batch: { fresh: first.fresh, plan, accounts: [...first.owners.keys()], reviewDueMs },
        events: this.auditEvents(meta, events.length, duplicates, plan),
        result: { accepted: events.length, duplicates, sessions: [...plan.touched.keys()], plan, stored: new Set(first.fresh.map((e) => e.id)) },
      };
    });
    const m = this.deps.metrics;
    if (m) {
      m.events.inc({ origin: meta.origin, outcome: 'stored' }, result.accepted - result.duplicates);
      if (result.duplicates) m.events.inc({ origin: meta.origin, outcome: 'duplicate' }, result.duplicates);
      for (const codes of result.plan.newFlags.values()) for (const code of codes) m.flags.inc({ code });
      m.ingestSeconds.observe({ origin: meta.origin }, (performance.now() - started) / 1000);
    }
    return { accepted: result.accepted, duplicates: result.duplicates, sessions: result.sessions, stored: result.stored };
  }

  /** New sessions get list positions in the order they were opened (reserved with the second read; rare extras here). */
  private async assignPositions(read: BatchReader, plan: GroupingPlan, reserved: number[]): Promise<void> {
    const extra = plan.created.size - reserved.length;
    const numbers = extra > 0 ? [...reserved, ...(await read.reservePositions(extra))] : reserved;
    let i = 0;
    for (const id of plan.created) plan.touched.get(id)!.n = numbers[i++]!;
  }

  private auditEvents(meta: IngestMeta, received: number, duplicates: number, plan: GroupingPlan): AuditInput[] {
    const subject = `session-source:${meta.origin}`;
    const unknown = [...plan.touched.values()].filter((s) => !s.accountKnown).length;
    const stored = received - duplicates;
    const audit = meta.audit ?? 'always';
    const events: AuditInput[] = [];
    if (audit === 'always' || (audit === 'when-stored' && stored > 0))
      events.push({
        actor: meta.actor,
        action: 'sessions.ingested',
        subject,
        outcome: 'success',
        details: {
          origin: meta.origin,
          received,
          stored,
          duplicates,
          sessionsOpened: plan.created.size,
          sessionsTouched: plan.touched.size,
          unknownAccountSessions: unknown,
        },
      });
    if (plan.newFlags.size) {
      const flagged = [...plan.newFlags].map(([id, codes]) => {
        const s = plan.touched.get(id)!;
        return { session: id, account: s.account, ...(s.requestId ? { requestId: s.requestId } : {}), flags: [...codes] };
      });
      events.push({
        actor: meta.actor,
        action: 'sessions.flagged',
        subject,
        outcome: 'warning',
        details: {
          sessions: flagged.slice(0, MAX_AUDITED_SESSIONS),
          ...(flagged.length > MAX_AUDITED_SESSIONS ? { more: flagged.length - MAX_AUDITED_SESSIONS } : {}),
        },
      });
    }
    return events;
  }
}
