import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STAFF } from '../../tools/dev/slapd-seed.js';
import { apiClient } from '../support/service-harness.js';
import { scanSummary, settledScreen, signedIn, zh } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

const auditor = DEMO_STAFF.find((s) => s.login === 'auditor')!;
const requester = DEMO_STAFF.find((s) => s.login === 'requester')!;

/** Clause 1.1.4 in the console: an auditor opens the evidence pack of a request, and of a vendor over a period, as printable documents. */
describe('evidence packs in the console', () => {
  let world: ConsoleWorld;
  let vendorId = '';
  let requestId = '';

  beforeAll(async () => {
    world = await startConsoleWorld('evid');
    const api = apiClient(world.url);
    const token = world.svc.tokens.requester;
    const vendor = await api('POST', '/v1/vendors', token, { name: '新竹系統整合', contractRef: 'HC-115-07', contractEndsAt: '2099-12-31T23:59:00+08:00' });
    vendorId = vendor.body.id;
    const added = await api('POST', `/v1/vendors/${vendorId}/people`, token, {
      fullName: '林<i>美</i>玲',
      email: 'lin@vendor.example',
      ndaSignedAt: '2026-01-05T00:00:00+08:00',
      ndaRef: 'NDA-HC-3',
    });
    const filed = await api('POST', '/v1/requests', token, {
      personId: added.body.id,
      workDescription: '校務系統維護',
      targetSystems: ['sis-app01'],
      groups: [world.groups.grantable],
      validFrom: new Date().toISOString(),
      validTo: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    requestId = filed.body.id;
  });
  afterAll(async () => {
    console.info(scanSummary());
    await world?.close();
  });

  it('offers the pack to auditors only, and opens it as a document in a new tab', async () => {
    const { page: asRequester } = await signedIn(world.browser, world.url, requester.login);
    await asRequester.goto(`/requests/${encodeURIComponent(requestId)}`);
    await asRequester.getByRole('heading', { level: 1 }).waitFor();
    expect(await asRequester.getByRole('link', { name: zh('evidence.open') }).count()).toBe(0);

    const { page } = await signedIn(world.browser, world.url, auditor.login);
    await page.goto(`/requests/${encodeURIComponent(requestId)}`);
    const link = page.getByRole('link', { name: zh('evidence.open') });
    expect(await link.getAttribute('href')).toBe(`/v1/requests/${requestId}/evidence?lang=zh-TW`);
    expect.soft(await settledScreen(page, 'request detail with the evidence pack link')).toEqual([]);
    const [doc] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    await doc.waitForLoadState();
    expect(await doc.title()).toContain('證據包');
    expect(await doc.getByRole('heading', { level: 1 }).textContent()).toBe('證據包（Evidence pack）');
    // The name is shown as written, markup and all, never interpreted.
    expect(await doc.locator('body').textContent()).toContain('林<i>美</i>玲');
    expect(await doc.locator('i').count()).toBe(0);
  });

  it('opens a vendor’s pack for the period the auditor chooses', async () => {
    const { page } = await signedIn(world.browser, world.url, auditor.login);
    await page.goto(`/vendors/${encodeURIComponent(vendorId)}`);
    const panel = page.getByRole('region', { name: zh('evidence.title') });
    await panel.getByLabel(zh('evidence.from')).fill('2026-01-01');
    const link = panel.getByRole('link', { name: zh('evidence.open') });
    const href = new URL((await link.getAttribute('href'))!, world.url);
    expect(href.pathname).toBe(`/v1/vendors/${vendorId}/evidence`);
    expect(href.searchParams.get('from')).toBe('2026-01-01T00:00:00+08:00');
    expect(Date.parse(href.searchParams.get('to')!)).toBeGreaterThan(Date.now() - 86_400_000);
    expect.soft(await settledScreen(page, 'vendor detail with the evidence pack period')).toEqual([]);
    const [doc] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    await doc.waitForLoadState();
    expect(await doc.locator('body').textContent()).toContain(requestId);
    await panel.getByLabel(zh('evidence.to')).fill('2025-12-31');
    await expect.poll(() => panel.getByRole('status').textContent()).toBe(zh('evidence.badPeriod'));
    expect(await panel.getByRole('link', { name: zh('evidence.open') }).count()).toBe(0);
  });
});
