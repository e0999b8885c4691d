import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STAFF_ROLES } from '../../tools/dev/slapd-seed.js';
import { apiClient } from '../support/service-harness.js';
import { scanSummary, settledScreen, signedIn as staffAt, zh, zhLabel } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

function taipeiWall(ms: number): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Taipei', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .format(ms)
    .replace(' ', 'T');
}

/** Clause 1.9 in the console: a 45-day request filed as an exception, approved by the supervisor and by an exception approver. */
describe('exceptions in the console', () => {
  let world: ConsoleWorld;
  let api: ReturnType<typeof apiClient>;
  let personId: string;

  beforeAll(async () => {
    // The demo auditor is also this file's exception approver.
    world = await startConsoleWorld('exc', { policy: { staff: { roles: { ...DEMO_STAFF_ROLES, 'exception-approver': ['leasehold-auditors'] } } } });
    api = apiClient(world.url);
    const vendor = await api('POST', '/v1/vendors', world.svc.tokens.requester, {
      name: '宏達系統整合',
      contractRef: 'CT-115-09',
      contractEndsAt: '2099-12-31T23:59:00+08:00',
    });
    const added = await api('POST', `/v1/vendors/${vendor.body.id}/people`, world.svc.tokens.requester, {
      fullName: '黃建國',
      email: 'huang@htc-si.example',
      ndaSignedAt: '2026-02-01T00:00:00+08:00',
      ndaRef: 'NDA-2026-077',
    });
    expect(added.status).toBe(201);
    personId = added.body.id as string;
  });
  afterAll(async () => {
    console.info(scanSummary());
    await world?.close();
  });

  async function signedIn(login: string, path: string): Promise<Page> {
    const { page } = await staffAt(world.browser, world.url, login);
    await page.goto(path);
    return page;
  }

  it('asks for the justification and memo when the period is too long, files the exception, and approves it only with both approvals', async () => {
    const page = await signedIn('requester', `/requests/new?personId=${encodeURIComponent(personId)}`);
    const personField = page.getByLabel(zhLabel('form.person'));
    await expect.poll(() => personField.locator('option:checked').textContent()).toContain('黃建國');
    await page.getByLabel(zhLabel('form.workDescription')).fill('校務系統資料庫移轉，跨整個學期。');
    await page.getByLabel(zhLabel('form.targetSystems')).fill('erp01.school.test');
    const groupsFound = page.waitForResponse((r) => r.url().includes('/v1/groups?'));
    await page.getByLabel(zhLabel('form.groupSearch')).fill(world.prefix);
    await groupsFound;
    await page
      .getByRole('list', { name: zh('form.groupSearch') })
      .getByRole('button', { name: zh('form.groupAdd', { name: world.groups.grantableName }) })
      .click();
    await page.getByLabel(zhLabel('form.validFrom')).fill(taipeiWall(Date.now() - 60_000));
    await page.getByLabel(zhLabel('form.validTo')).fill(taipeiWall(Date.now() + 45 * 86_400_000));

    // The maximum is broken but relaxable: the exception section appears, and filing waits for it.
    await page.getByRole('group', { name: zh('form.section.exception') }).waitFor();
    expect(await page.locator('.rule-broken').getByText(zh('form.rule.exceptionPossible')).count()).toBe(1);
    const submit = page.getByRole('button', { name: zh('form.submit') });
    expect(await submit.isEnabled()).toBe(false);
    await page.getByLabel(zhLabel('form.justification')).fill('資料庫移轉需跨整個學期進行。');
    await page.getByLabel(zhLabel('form.memoRef')).fill('簽呈 115-資-031');
    await expect.poll(() => submit.isEnabled()).toBe(true);
    expect.soft(await settledScreen(page, 'request form (exception)', { name: 'form-exception', fullPage: true })).toEqual([]);
    const filed = page.waitForResponse((r) => r.url().endsWith('/v1/requests') && r.request().method() === 'POST');
    await submit.click();
    const reply = await filed;
    expect(reply.status(), await reply.text()).toBe(201);
    const id = ((await reply.json()) as { id: string }).id;
    await page.getByText('簽呈 115-資-031', { exact: false }).waitFor();

    expect((await api('POST', `/v1/requests/${id}/approve`, world.svc.tokens.approver, {})).body.status).toBe('pending');

    const auditor = await signedIn('auditor', `/requests/${encodeURIComponent(id)}`);
    await auditor.getByText(zh('detail.awaitingExceptionApproval')).waitFor();
    await auditor.getByRole('button', { name: zh('detail.approveException') }).click();
    await auditor.getByLabel(zhLabel('detail.comment')).fill('簽呈已核，同意例外。');
    await auditor.getByRole('button', { name: zh('detail.confirm', { action: zh('detail.approveException') }) }).click();
    await auditor.getByText('簽呈已核，同意例外。', { exact: true }).waitFor();
    expect.soft(await settledScreen(auditor, 'request detail (exception approved)', { name: 'detail-exception', fullPage: true })).toEqual([]);
    const after = (await api('GET', `/v1/requests/${id}`, world.svc.tokens.auditor)).body;
    expect(after.exception.approvals).toEqual([expect.objectContaining({ by: 'auditor', role: 'exception-approver', comment: '簽呈已核，同意例外。' })]);
    expect(['approved', 'provisioning', 'active']).toContain(after.status);
  });
});
