import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's Prometheus metrics, one registry per process (exposed at /metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'leasehold_' });
  return {
    registry,
    revocationLag: new Histogram({
      name: 'leasehold_revocation_lag_seconds',
      help: 'validTo (or the revocation request) until the directory confirmed the account disabled',
      labelNames: ['trigger'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    }),
    overdueRevocations: new Gauge({
      name: 'leasehold_overdue_revocations',
      help: 'requests past validTo whose account the directory still accepts',
      registers: [registry],
    }),
    provisioned: new Counter({ name: 'leasehold_accounts_provisioned_total', help: 'accounts provisioned', registers: [registry] }),
    jobFailures: new Counter({ name: 'leasehold_job_failures_total', help: 'job attempts that failed', labelNames: ['job'], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
