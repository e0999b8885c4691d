import { Counter, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the session logs, registered on the service's registry (exposed at /metrics). */
export function createSessionMetrics(registry: Registry) {
  return {
    events: new Counter({
      name: 'leasehold_session_events_total',
      help: 'session events received, by origin and outcome (stored, duplicate)',
      labelNames: ['origin', 'outcome'],
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: 'leasehold_session_ingest_seconds',
      help: 'time to store one batch of session events durably',
      labelNames: ['origin'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    flags: new Counter({ name: 'leasehold_session_flags_total', help: 'flags raised on sessions, by code', labelNames: ['code'], registers: [registry] }),
    syslog: new Counter({
      name: 'leasehold_syslog_messages_total',
      help: 'syslog messages received, by transport and outcome (event, ignored, garbage, dropped)',
      labelNames: ['transport', 'outcome'],
      registers: [registry],
    }),
  };
}
export type SessionMetrics = ReturnType<typeof createSessionMetrics>;
