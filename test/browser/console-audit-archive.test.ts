import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditArchiver } from '../../src/audit/archive/audit-archiver.js';
import { SegmentFiles } from '../../src/audit/archive/segment-files.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Transactor } from '../../src/store/transactor.js';
import { silentLogger } from '../support/log-capture.js';
import { apiClient } from '../support/service-harness.js';
import { scanSummary, settledScreen, signedIn, zh } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

/** The auditor's audit screen over a trail whose older part was sealed into ARCHIVE_DIR (issue 13). */
describe('the audit trail screen with sealed segments', () => {
  let world: ConsoleWorld;
  let archiveDir: string;
  let throughSeq: number;

  beforeAll(async () => {
    archiveDir = await mkdtemp(join(tmpdir(), 'leasehold-console-archive-'));
    world = await startConsoleWorld('auditarch', { env: { ARCHIVE_DIR: archiveDir } });
    const keys = new RedisKeys(world.svc.prefix);
    // Enough events for two segments of 10: each vendor registered is audited.
    const api = apiClient(world.url);
    for (let i = 0; i < 21; i++)
      await api('POST', '/v1/vendors', world.svc.tokens.requester, {
        name: `封存測試 ${i}`,
        contractRef: `CT-${i}`,
        contractEndsAt: new Date(Date.now() + 90 * 86_400_000).toISOString(),
      });
    const sealed = await new AuditArchiver({
      redis: world.svc.redis,
      keys,
      tx: new Transactor(world.svc.redis, keys, () => new Date()),
      files: new SegmentFiles(archiveDir),
      segmentEvents: 10,
      logger: silentLogger(),
      intervalMs: 0,
    }).archive();
    expect(sealed?.length).toBeGreaterThanOrEqual(1);
    throughSeq = sealed!.at(-1)!.toSeq;
  });
  afterAll(async () => {
    console.info(scanSummary());
    await world?.close();
    await rm(archiveDir, { recursive: true, force: true });
  });

  it('verifies and says which events are sealed, and lists sealed events as any other', async () => {
    const { context, page } = await signedIn(world.browser, world.url, 'auditor');
    await page.goto('/audit');
    await page.getByRole('button', { name: zh('audit.verify') }).click();
    const verdict = page.getByRole('status').filter({ hasText: `第 1–${throughSeq} 筆已封存` });
    await verdict.waitFor();
    expect(await verdict.textContent()).toContain(zh('audit.verifyOk', { count: '', head: '' }).slice(0, 5));
    expect.soft(await settledScreen(page, 'audit (sealed segments)', 'audit-archived')).toEqual([]);
    // The oldest event, seq 1 (service.started), is in a sealed segment and still listed.
    await page.goto('/audit?action=service.started');
    await page.getByRole('cell', { name: 'service.started' }).first().waitFor();
    expect(await page.getByRole('cell', { name: 'service.started' }).count()).toBeGreaterThanOrEqual(1);
    await context.close();
  });
});
