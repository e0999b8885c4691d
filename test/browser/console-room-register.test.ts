import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/service-harness.js';
import { scanSummary, screenshot, settledScreen, signedIn as staffAt, zh, zhLabel } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

/** Clause 1.8 in the console: a requester records an escorted entry and the exit, the register shows what stayed behind, an approver signs the period off. */
describe('machine-room register in the console', () => {
  let world: ConsoleWorld;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    world = await startConsoleWorld('rooms');
    api = apiClient(world.url);
    const vendor = await api('POST', '/v1/vendors', world.svc.tokens.requester, {
      name: '台北機電維護',
      contractRef: 'TPE-115-03',
      contractEndsAt: '2099-12-31T23:59:00+08:00',
    });
    expect(vendor.status).toBe(201);
    const added = await api('POST', `/v1/vendors/${vendor.body.id}/people`, world.svc.tokens.requester, {
      fullName: '林志明',
      email: 'lin@tpe-mech.example',
      ndaSignedAt: '2026-02-01T00:00:00+08:00',
      ndaRef: 'NDA-2026-031',
    });
    expect(added.status).toBe(201);
  });
  afterAll(async () => {
    console.info(scanSummary());
    await world?.close();
  });

  async function signedIn(login: string): Promise<Page> {
    const { page } = await staffAt(world.browser, world.url, login);
    await page
      .getByRole('navigation')
      .getByRole('link', { name: zh('nav.rooms') })
      .click();
    await page.getByRole('heading', { level: 1, name: zh('rooms.title') }).waitFor();
    return page;
  }

  it('refuses an entry without an escort beside its field, records it with one, and flags the USB stick left behind at exit', async () => {
    const page = await signedIn('requester');
    const form = page.getByRole('form', { name: zh('rooms.enter') });
    await form.getByRole('combobox', { name: new RegExp(`^${zh('form.vendor')}\\s*${zh('common.required').trim()}`) }).selectOption({ label: '台北機電維護' });
    await expect.poll(() => form.getByLabel(zhLabel('form.person')).locator('option').count()).toBe(2);
    await form.getByLabel(zhLabel('form.person')).selectOption({ label: '林志明' });
    await form.getByLabel(zhLabel('rooms.room')).fill('行政大樓 B1 主機房');
    await form.getByLabel(zhLabel('rooms.purpose')).fill('更換 erp-db01 故障硬碟');
    await form.getByRole('button', { name: zh('rooms.addMedia') }).click();
    await form.getByRole('button', { name: zh('rooms.addMedia') }).click();
    const first = form.getByRole('group', { name: zh('rooms.mediaRow', { n: '1' }) });
    await first.getByLabel(zh('rooms.description')).fill('ThinkPad T14');
    await first.getByLabel(zh('rooms.serial')).fill('PF-123');
    const second = form.getByRole('group', { name: zh('rooms.mediaRow', { n: '2' }) });
    await second.getByLabel(zh('rooms.kind')).selectOption('usb');
    await second.getByLabel(zh('rooms.description')).fill('SanDisk 64 GB');

    await form.getByRole('button', { name: zh('rooms.enterSubmit') }).click();
    const escort = form.getByLabel(zhLabel('rooms.escortedBy'));
    await expect.poll(() => escort.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByText(zh('rule.escort_required')).count()).toBeGreaterThan(0);
    expect((await api('GET', '/v1/room-visits', world.svc.tokens.auditor)).body.items).toEqual([]);

    await escort.fill('王小明');
    await form.getByRole('button', { name: zh('rooms.enterSubmit') }).click();
    await page.getByText(zh('rooms.entered', { name: '林志明', room: '行政大樓 B1 主機房' })).waitFor();
    expect.soft(await settledScreen(page, 'machine room (one inside)', { name: 'machine-room', fullPage: true })).toEqual([]);

    // A second entry of the same person before the exit is refused, saying why (already_inside), and records nothing.
    await form.getByRole('combobox', { name: new RegExp(`^${zh('form.vendor')}\\s*${zh('common.required').trim()}`) }).selectOption({ label: '台北機電維護' });
    await expect.poll(() => form.getByLabel(zhLabel('form.person')).locator('option').count()).toBe(2);
    await form.getByLabel(zhLabel('form.person')).selectOption({ label: '林志明' });
    await form.getByLabel(zhLabel('rooms.room')).fill('行政大樓 3F 網路機房');
    await form.getByLabel(zhLabel('rooms.purpose')).fill('檢查交換器');
    await form.getByLabel(zhLabel('rooms.escortedBy')).fill('王小明');
    await form.getByRole('button', { name: zh('rooms.enterSubmit') }).click();
    await page.getByText(zh('rule.already_inside')).first().waitFor();
    // The refusal points at the marked field, and the notice of the entry before is gone.
    expect(await page.getByRole('alert').first().textContent()).toBe(zh('error.policyAtFields'));
    expect(await page.getByText(zh('rooms.entered', { name: '林志明', room: '行政大樓 B1 主機房' })).count()).toBe(0);
    await screenshot(page, 'machine-room-already-inside', true);
    expect((await api('GET', '/v1/room-visits', world.svc.tokens.auditor)).body.items).toHaveLength(1);

    const exit = page.getByRole('form', { name: zh('rooms.exitFor', { name: '林志明' }) });
    await exit.getByRole('checkbox', { name: /SanDisk/ }).uncheck();
    await exit.getByRole('button', { name: zh('rooms.exit') }).click();
    await page.getByText(zh('rooms.exitedFlagged', { name: '林志明', count: '1' })).waitFor();
    await page.getByText(zh('rooms.openEmpty')).waitFor();
    const register = page.getByRole('region', { name: zh('rooms.list') });
    await register.getByText(zh('rooms.flag.not_taken_out')).waitFor();
    const visits = (await api('GET', '/v1/room-visits', world.svc.tokens.auditor)).body.items;
    expect(visits).toHaveLength(1);
    expect(visits[0]).toMatchObject({ escortedBy: '王小明', flags: [{ code: 'not_taken_out', kind: 'usb', description: 'SanDisk 64 GB' }] });
  });

  it('lets an approver sign the period off, and shows the review', async () => {
    const page = await signedIn('approver');
    const pending = page.getByText(zh('rooms.reviewPending').split('（')[0]!);
    await pending.waitFor();
    expect(await page.getByRole('form', { name: zh('rooms.enter') }).count()).toBe(0);
    const form = page.getByRole('form', { name: zh('rooms.review') });
    await form.getByLabel(zhLabel('rooms.reviewNote')).fill('攜入物品已核對；USB 隨身碟已追回');
    await form.getByRole('button', { name: zh('rooms.reviewSign') }).click();
    await page.getByText(zh('rooms.reviews', { count: '1' })).waitFor();
    expect(await pending.count()).toBe(0);
    const reviews = (await api('GET', '/v1/room-visits/reviews', world.svc.tokens.auditor)).body;
    expect(reviews.items).toHaveLength(1);
    expect(reviews.items[0]).toMatchObject({ signedBy: 'approver', visits: 1, flaggedVisits: 1 });
    expect(reviews.status.state).toBe('clear');
    expect.soft(await settledScreen(page, 'machine room (approver)')).toEqual([]);
  });
});
