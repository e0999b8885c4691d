import { Attribute, Change } from 'ldapts';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STAFF } from '../../tools/dev/slapd-seed.js';
import { apiClient } from '../support/service-harness.js';
import { scanSummary, settledScreen, signedIn, zh, zhLabel } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

const requester = DEMO_STAFF.find((s) => s.login === 'requester')!;

/** The text a field's aria-describedby points at: its hint and its errors, as a screen reader reads them with it. */
async function describedBy(page: Page, field: Locator): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

/** What the API refuses shows beside the field it names, and a refused action changes nothing (issue 11, "Bad input"). */
describe('bad input in the console', () => {
  let world: ConsoleWorld;
  let api: ReturnType<typeof apiClient>;
  let vendorId = '';
  let page: Page;

  beforeAll(async () => {
    world = await startConsoleWorld('bad');
    api = apiClient(world.url);
    const vendor = await api('POST', '/v1/vendors', world.svc.tokens.requester, {
      name: '新北網路工程行',
      contractRef: 'NTPC-115-07',
      contractEndsAt: '2099-12-31T23:59:00+08:00',
    });
    expect(vendor.status).toBe(201);
    vendorId = vendor.body.id;
    page = (await signedIn(world.browser, world.url, requester.login)).page;
  });
  afterAll(async () => {
    console.info(scanSummary());
    await world?.close();
  });

  it('shows the refused NDA date (in the future) beside its field and registers nobody', async () => {
    await page.goto(`/vendors/${encodeURIComponent(vendorId)}`);
    const form = page.getByRole('form', { name: zh('vendors.addPerson') });
    await form.getByLabel(zhLabel('people.fullName')).fill('張雅婷');
    await form.getByLabel(zhLabel('people.email')).fill('chang.yating@vendor.example');
    const nda = form.getByLabel(zhLabel('people.ndaSignedAt'));
    await nda.fill('2099-01-01');
    await form.getByLabel(zhLabel('people.ndaRef')).fill('NDA-2099-001');
    const answered = page.waitForResponse((r) => r.url().endsWith('/people') && r.request().method() === 'POST');
    await form.getByRole('button', { name: zh('vendors.addPerson') }).click();
    const reply = await answered;
    expect(reply.status()).toBeGreaterThanOrEqual(400);
    expect(reply.status()).toBeLessThan(500);
    expect(JSON.stringify(await reply.json())).toContain('ndaSignedAt');

    await expect.poll(() => nda.getAttribute('aria-invalid')).toBe('true');
    expect((await describedBy(page, nda)).trim()).not.toBe('');
    expect(await form.getByLabel(zhLabel('people.fullName')).getAttribute('aria-invalid')).toBeNull();
    expect(await form.getByLabel(zhLabel('people.fullName')).inputValue()).toBe('張雅婷');
    expect.soft(await settledScreen(page, 'vendor detail (a field refused)')).toEqual([]);

    const vendor = await api('GET', `/v1/vendors/${vendorId}`, world.svc.tokens.requester);
    // The vendor read must succeed and list its people: a failed read has no `people` and would hide a registration.
    expect(vendor.status).toBe(200);
    expect(vendor.body.people).toEqual([]);
  });

  it('shows a group that became privileged in the directory after it was picked as the refusal beside the group picker, and files nothing', async () => {
    const added = await api('POST', `/v1/vendors/${vendorId}/people`, world.svc.tokens.requester, {
      fullName: '陳建宏',
      email: 'chen.jianhong@vendor.example',
      ndaSignedAt: '2026-02-01T00:00:00+08:00',
      ndaRef: 'NDA-2026-017',
    });
    expect(added.status).toBe(201);
    await page.goto(`/requests/new?personId=${encodeURIComponent(added.body.id)}`);
    await expect.poll(() => page.getByLabel(zhLabel('form.person')).locator('option:checked').textContent()).toContain('陳建宏');
    await page.getByLabel(zhLabel('form.workDescription')).fill('網路設備韌體更新');
    await page.getByLabel(zhLabel('form.targetSystems')).fill('core-sw01.school.test');
    const found = page.waitForResponse((r) => r.url().includes('/v1/groups?'));
    await page.getByLabel(zhLabel('form.groupSearch')).fill(world.prefix);
    await found;
    await page.getByRole('button', { name: zh('form.groupAdd', { name: world.groups.grantableName }) }).click();
    const submit = page.getByRole('button', { name: zh('form.submit') });
    await expect.poll(() => submit.isEnabled()).toBe(true);

    // Meanwhile a directory administrator nests the group in a privileged one: only the API can know.
    await world.subtree.admin.modify(
      world.groups.privileged,
      new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [world.groups.grantable] }) }),
    );
    const answered = page.waitForResponse((r) => r.url().endsWith('/v1/requests') && r.request().method() === 'POST');
    await submit.click();
    const reply = await answered;
    expect(reply.status()).toBe(422);
    const picker = page.locator('.field').filter({ has: page.getByLabel(zhLabel('form.groupSearch')) });
    await expect.poll(() => picker.locator('.field-error').textContent()).toContain(zh('rule.no_privileged_groups'));
    expect(await page.getByRole('alert').first().textContent()).toContain(zh('error.policy'));
    expect.soft(await settledScreen(page, 'request form (refused by the API)')).toEqual([]);

    const filed = await api('GET', '/v1/requests', world.svc.tokens.auditor);
    expect(filed.body.items).toEqual([]);
  });
});
