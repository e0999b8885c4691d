import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STAFF } from '../../tools/dev/slapd-seed.js';
import { apiClient } from '../support/service-harness.js';
import { scanSummary, settledScreen, signedIn, zh } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

const admin = DEMO_STAFF.find((s) => s.login === 'admin')!;
const requester = DEMO_STAFF.find((s) => s.login === 'requester')!;

/** Clause 1.1.2 in the console: an admin erases a person's personal data from the vendor page, or is told from when it will be possible. */
describe('erasing personal data in the console', () => {
  let world: ConsoleWorld;
  let api: ReturnType<typeof apiClient>;
  let vendorId = '';
  const people: Record<'live' | 'done', string> = { live: '', done: '' };

  beforeAll(async () => {
    // personDays 0: a person without a live request may be erased at once; one with a pending request may not.
    world = await startConsoleWorld('erase', { policy: { retention: { personDays: 0 } } });
    api = apiClient(world.url);
    const token = world.svc.tokens.requester;
    const vendor = await api('POST', '/v1/vendors', token, { name: '台中資訊顧問社', contractRef: 'TC-115-02', contractEndsAt: '2099-12-31T23:59:00+08:00' });
    vendorId = vendor.body.id;
    for (const [key, fullName, email] of [
      ['live', '黃淑芬', 'huang.shufen@vendor.example'],
      ['done', '吳志明', 'wu.zhiming@vendor.example'],
    ] as const) {
      const added = await api('POST', `/v1/vendors/${vendorId}/people`, token, {
        fullName,
        email,
        ndaSignedAt: '2026-01-05T00:00:00+08:00',
        ndaRef: `NDA-${key}`,
      });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      people[key] = added.body.id;
    }
    const filed = await api('POST', '/v1/requests', token, {
      personId: people.live,
      workDescription: '校務系統維護',
      targetSystems: ['sis-app01'],
      groups: [world.groups.grantable],
      validFrom: new Date().toISOString(),
      validTo: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
  });
  afterAll(async () => {
    console.info(scanSummary());
    await world?.close();
  });

  it('offers the erasure to an admin only, shows the refusal with its date, and erases after the confirmation', async () => {
    const { page: asRequester } = await signedIn(world.browser, world.url, requester.login);
    await asRequester.goto(`/vendors/${encodeURIComponent(vendorId)}`);
    await asRequester.locator(`[id="person-${people.done}"]`).waitFor();
    expect(await asRequester.getByRole('button', { name: zh('people.erase') }).count()).toBe(0);

    const { page } = await signedIn(world.browser, world.url, admin.login);
    await page.goto(`/vendors/${encodeURIComponent(vendorId)}`);

    const live = page.locator(`[id="person-${people.live}"]`);
    await live.getByRole('button', { name: zh('people.erase') }).click();
    const liveDialog = live.getByRole('group', { name: zh('people.erase') });
    await expect.poll(() => liveDialog.textContent()).toContain(zh('people.eraseWarning'));
    const answered = page.waitForResponse((r) => r.url().endsWith('/erase'));
    await liveDialog.getByRole('button', { name: zh('detail.confirm', { action: zh('people.erase') }) }).click();
    expect((await answered).status()).toBe(409);
    const refusal = liveDialog.getByRole('alert');
    const [before] = zh('people.eraseLive').split('{date}');
    await expect.poll(() => refusal.textContent()).toContain(before!);
    expect(await refusal.textContent()).toMatch(/\d{4}\/\d{2}\/\d{2}/);
    expect(await liveDialog.getByRole('button', { name: zh('detail.confirm', { action: zh('people.erase') }) }).isDisabled()).toBe(true);
    expect.soft(await settledScreen(page, 'vendor detail (erasure refused)', 'erase-refused')).toEqual([]);
    await liveDialog.getByRole('button', { name: zh('common.cancel') }).click();
    expect((await api('GET', `/v1/people/${people.live}`, world.svc.tokens.auditor)).body.fullName).toBe('黃淑芬');

    const done = page.locator(`[id="person-${people.done}"]`);
    await done.getByRole('button', { name: zh('people.erase') }).click();
    const erased = page.waitForResponse((r) => r.url().endsWith('/erase'));
    await done.getByRole('button', { name: zh('detail.confirm', { action: zh('people.erase') }) }).click();
    expect((await erased).status()).toBe(200);
    await page
      .getByRole('status')
      .filter({ hasText: zh('people.erasedDone') })
      .waitFor();
    await expect.poll(() => done.getByRole('heading').textContent()).toContain(zh('people.erased'));
    expect(await done.getByRole('button', { name: zh('people.erase') }).count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('吳志明');
    expect(await page.locator('main').textContent()).not.toContain('wu.zhiming@vendor.example');
    expect.soft(await settledScreen(page, 'vendor detail (a person erased)')).toEqual([]);
    const record = (await api('GET', `/v1/people/${people.done}`, world.svc.tokens.auditor)).body;
    expect(record).not.toHaveProperty('fullName');
    expect(record).toMatchObject({ erasedBy: admin.login });
  }, 60_000);
});
