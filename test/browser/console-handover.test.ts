import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STAFF } from '../../tools/dev/slapd-seed.js';
import { probe } from '../support/directory-probe.js';
import { fileRequest, untilStatus, vendorWithPerson } from '../support/fixtures.js';
import { apiClient } from '../support/service-harness.js';
import { person, scanSummary, settledScreen, signIn, zh, zhLabel } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

const requesterStaff = DEMO_STAFF.find((s) => s.login === 'requester')!;

/**
 * Clauses 1.6.4, 1.1.9 in Chromium: the requester hands the initial password
 * over (link + code, never the password), the vendor person opens the public
 * pickup page in a browser of their own with no staff session, enters the
 * code and sees the password once.
 */
describe('handing the initial password to the vendor person through the console', () => {
  let world: ConsoleWorld;

  beforeAll(async () => {
    world = await startConsoleWorld('handover', { policy: { credentials: { handover: 'vendor', pickupHours: 24, mustChangeAtFirstLogon: true } } });
  });
  afterAll(async () => {
    console.info(scanSummary());
    await world?.close();
  });

  it('shows the requester a link and a code, and the vendor the password once on the public pickup page', async () => {
    const api = apiClient(world.url);
    // Filed with the `requester` token, whose name is the demo requester's login: the request is theirs in the console.
    const { personId } = await vendorWithPerson(api, world.svc, `交付測試 ${world.prefix}`);
    const id = await fileRequest(api, world.svc, personId, world.groups.grantable);
    const active = await untilStatus(api, world.svc, id, 'active');

    const { page: staff } = await person(world.browser, world.url);
    await signIn(staff, requesterStaff.login, requesterStaff.password);
    await staff.goto(`/requests/${id}`);
    const panel = staff.getByRole('region', { name: zh('handover.title') });
    await panel.waitFor();
    expect.soft(await settledScreen(staff, 'request detail with handover')).toEqual([]);
    await expect.poll(() => staff.getByText(zh('handover.vendorOnly')).count()).toBe(1);
    expect(await staff.getByRole('button', { name: zh('detail.revealCredential') }).count()).toBe(0);

    await panel.getByRole('button', { name: zh('handover.create') }).click();
    const link = (await panel.getByTestId('handover-link').textContent())!.trim();
    const code = (await panel.getByTestId('handover-code').textContent())!.trim();
    expect(link.startsWith(`${world.url}/pickup/`)).toBe(true);
    expect(code).toMatch(/^\d{8}$/);
    await panel.getByRole('button', { name: zh('handover.copyLink') }).waitFor();
    await panel.getByRole('button', { name: zh('handover.copyCode') }).waitFor();
    expect.soft(await settledScreen(staff, 'handover link and code', { name: 'handover', fullPage: true })).toEqual([]);
    // Nothing on the requester's screen is the password.
    expect(await staff.locator('body').textContent()).not.toMatch(/密碼：|password:/i);

    // The vendor person: another browser, no staff session, only the link.
    const { context: vendorContext, page: vendor } = await person(world.browser, world.url);
    const requests: string[] = [];
    vendor.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname} ${r.headers().cookie ?? ''}`));
    await vendor.goto(link);
    await vendor.getByRole('heading', { level: 1, name: zh('pickup.title') }).waitFor();
    expect.soft(await settledScreen(vendor, 'pickup page')).toEqual([]);
    expect(requests.some((r) => r.includes('/v1/auth/'))).toBe(false);

    const field = vendor.getByLabel(zhLabel('pickup.code'));
    const wrong = String((Number(code) + 1) % 100_000_000).padStart(8, '0');
    await field.fill(wrong);
    await vendor.getByRole('button', { name: zh('pickup.submit') }).click();
    await expect.poll(() => vendor.getByRole('alert').textContent()).toBe(zh('pickup.wrongCode', { left: '4' }));
    expect(await vendor.getByTestId('pickup-password').count()).toBe(0);

    await field.fill(code);
    await vendor.getByRole('button', { name: zh('pickup.submit') }).click();
    const shown = vendor.getByTestId('pickup-password');
    await shown.waitFor();
    const password = (await shown.textContent())!.trim();
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect((await vendor.getByTestId('pickup-username').textContent())!.trim()).toBe(active.account.username);
    await vendor.getByText(zh('pickup.once')).waitFor();
    await vendor.getByText(zh('pickup.mustChange')).waitFor();
    expect.soft(await settledScreen(vendor, 'password picked up', 'pickup')).toEqual([]);
    // The spent link is out of the address bar and the history.
    expect(new URL(vendor.url()).pathname).toBe('/pickup');
    expect(await probe.canBind(world.target, active.account.dn, password)).toBe(true);
    expect(requests.filter((r) => r.includes('/v1/pickup/')).every((r) => r.endsWith(' '))).toBe(true); // no cookie sent

    // Once: the same link again (reload of the link, another tab) shows no password.
    const { page: again } = await person(world.browser, world.url);
    await again.goto(link);
    await again.getByRole('alert').waitFor();
    expect(await again.getByRole('alert').textContent()).toBe(zh('pickup.invalid.used'));
    expect(await again.getByTestId('pickup-password').count()).toBe(0);
    expect(await again.locator('body').textContent()).not.toContain(password);
    // The vendor may read it in English (the choice is remembered in their browser).
    await again.getByLabel(zh('lang.label')).selectOption('en');
    // (written out: web/src/i18n/en.ts cannot be imported under the service's module settings)
    await expect
      .poll(() => again.getByRole('alert').textContent())
      .toBe('This link has been used and the password destroyed. If it was not you, tell the school staff at once.');
    expect(await again.getByRole('heading', { level: 1 }).textContent()).toBe('Pick up your initial password');
    await vendorContext.close();

    // The requester sees that it was picked up, never what it was.
    await staff.reload();
    await staff.getByText(new RegExp(`^${zh('handover.pickedUp', { at: '' }).slice(0, 6)}`)).waitFor();
    expect(await staff.locator('body').textContent()).not.toContain(password);
  }, 90_000);
});
