import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import type { Policy } from '../../../src/config/policy.schema.js';
import { RedisKeys } from '../../../src/store/redis-keys.js';
import { apiClient, eventually, startTestService } from '../../support/service-harness.js';
import { fakeDirectory, NO_DIRECTORY } from '../../support/session-fixtures.js';

interface AuditLine {
  action: string;
  actor: string;
  details: { sourceAddress?: string; received: number; stored: number; duplicates: number; batches?: number };
}

/** One RFC 5424 sshd line sent over UDP from the loopback address `from` (Linux routes all of 127/8 to lo). */
async function sendFrom(port: number, from: string, account: string, seq: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind({ address: from, port: 0 }, () => resolve()));
  const at = new Date(Date.UTC(2026, 10, 30, 9, 0, 0, seq)).toISOString();
  const line = `<86>1 ${at} web-${from.replace(/\./g, '-')} sshd 7${seq} - - Accepted password for ${account} from 10.20.0.${seq} port 50022 ssh2`;
  await new Promise<void>((resolve, reject) => socket.send(line, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  socket.close();
}

describe('the syslog listener audit', () => {
  it('writes one sessions.ingested per sending address and period (sessions.syslogAuditSeconds), with the counts summed over its flushes, and none per flush', async () => {
    const redisUrl = inject('redisUrl');
    const account = `v-sum-${randomBytes(3).toString('hex')}`;
    const svc = await startTestService({
      redisUrl,
      directory: NO_DIRECTORY,
      fakeDirectory: fakeDirectory(),
      mode: 'api',
      env: { SYSLOG_PORT: '0' },
      policy: { sessions: { syslogAuditSeconds: 3600 } } as Partial<Policy>,
    });
    const api = apiClient(svc.url);
    const stored = async (): Promise<number> =>
      ((await api('GET', `/v1/sessions?account=${account}`, svc.tokens.auditor)).body.items as { eventCount: number }[]).reduce((n, s) => n + s.eventCount, 0);
    let closed = false;
    try {
      const port = svc.syslogPort!;
      // Three lines from 127.0.0.1 and two from 127.0.0.2, each stored before the next is sent: five flushes.
      const plan: [string, number][] = [
        ['127.0.0.1', 1],
        ['127.0.0.2', 2],
        ['127.0.0.1', 3],
        ['127.0.0.2', 4],
        ['127.0.0.1', 5],
      ];
      for (const [i, [from, seq]] of plan.entries()) {
        await sendFrom(port, from, account, seq);
        await eventually(async () => (await stored()) === i + 1);
      }
      // The same line again: received, not stored (seen once the metric counts it as a duplicate).
      await sendFrom(port, '127.0.0.1', account, 5);
      await eventually(async () =>
        /leasehold_session_events_total\{origin="syslog",outcome="duplicate"\} 1\b/.test((await api('GET', '/metrics')).body as string),
      );
      expect(await stored()).toBe(plan.length);
      const audit = await api('GET', '/v1/audit?action=sessions.ingested', svc.tokens.auditor);
      expect(audit.body.items).toEqual([]); // nothing per flush
      await svc.close(); // ends the period
      closed = true;
    } finally {
      if (!closed) await svc.close();
    }
    const redis = new Redis(redisUrl);
    try {
      const lines = (await redis.lrange(new RedisKeys(svc.prefix).auditEvents(), 0, -1)).map((l) => JSON.parse(l) as AuditLine);
      const summaries = lines.filter((e) => e.action === 'sessions.ingested');
      expect(summaries.map((e) => [e.actor, e.details])).toEqual([
        ['syslog', expect.objectContaining({ sourceAddress: '127.0.0.1', received: 4, stored: 3, duplicates: 1, batches: 4 })],
        ['syslog', expect.objectContaining({ sourceAddress: '127.0.0.2', received: 2, stored: 2, duplicates: 0, batches: 2 })],
      ]);
    } finally {
      await redis.quit();
    }
  });
});
