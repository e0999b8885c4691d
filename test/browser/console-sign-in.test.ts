import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_STAFF } from '../../tools/dev/slapd-seed.js';
import { slapdTarget, startTestService } from '../support/service-harness.js';
import { axeScan, person, signIn, zh, zhLabel } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

const staff = (login: (typeof DEMO_STAFF)[number]['login']) => DEMO_STAFF.find((s) => s.login === login)!;
const requester = staff('requester');

/** The sign-in screen and the session it opens, in Chromium (issue 11 items 1, 4, 5). */
describe('console sign-in in a real browser', () => {
  let world: ConsoleWorld;

  beforeAll(async () => {
    world = await startConsoleWorld('signin');
  });
  afterAll(async () => {
    await world?.close();
  });

  const lang = (page: Page) => page.evaluate<string>('document.documentElement.lang');

  it('speaks Traditional Chinese by default and English once chosen, and remembers the choice after a reload', async () => {
    const { context, page } = await person(world.browser, world.url);
    await page.goto('/');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(zh('login.title'));
    expect(await lang(page)).toBe('zh-Hant-TW');
    await expect.poll(() => page.getByRole('button', { name: zh('login.submit') }).isVisible()).toBe(true);
    expect(await axeScan(page), 'sign-in (zh-TW)').toEqual([]);

    await page.getByLabel(zhLabel('lang.label')).selectOption('en');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
    expect(await lang(page)).toBe('en');
    expect(await page.getByText('Sign in with your directory (AD/LDAP) account.').isVisible()).toBe(true);
    expect(await axeScan(page), 'sign-in (en)').toEqual([]);
    // The scan sees what is wrong when something is: an unlabelled field added to the page.
    await page.evaluate(`document.querySelector('form').append(Object.assign(document.createElement('input'), { type: 'text' }))`);
    expect((await axeScan(page)).map((f) => f.id)).toContain('label');

    await page.reload();
    await page.getByLabel('Username').fill(requester.login);
    await page.getByLabel('Password').fill(requester.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const menu = page.getByRole('navigation', { name: 'Main menu' });
    await menu.waitFor();
    expect(await menu.getByRole('link', { name: 'New request' }).isVisible()).toBe(true);
    expect(await page.getByText('Requester', { exact: true }).isVisible()).toBe(true);
    expect(await page.getByText(zh('nav.newRequest')).count()).toBe(0);

    await page.getByLabel('Language').selectOption('zh-TW');
    const zhMenu = page.getByRole('navigation', { name: zh('nav.label') });
    await expect.poll(() => zhMenu.getByRole('link', { name: zh('nav.newRequest') }).isVisible()).toBe(true);
    expect(await lang(page)).toBe('zh-Hant-TW');
    await context.close();
  });

  it('can be used with the keyboard alone: sign in, skip to the content, reach a screen through the menu', async () => {
    const { context, page } = await person(world.browser, world.url);
    await page.goto('/');
    const focused = () =>
      page.evaluate<string>(`(document.activeElement?.getAttribute('name') || document.activeElement?.id || document.activeElement?.textContent || '').trim()`);
    await expect.poll(focused).toBe('username');
    await page.keyboard.type(requester.login);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('password');
    await page.keyboard.type(requester.password);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: zh('nav.label') }).waitFor();

    await page.reload();
    await page.getByRole('navigation', { name: zh('nav.label') }).waitFor();
    await page.keyboard.press('Tab');
    expect(await focused()).toBe(zh('app.skip'));
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('main');
    // Backwards from the content into the menu, to the vendors screen.
    for (let i = 0; i < 12 && (await focused()) !== zh('nav.vendors'); i++) await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe(zh('nav.vendors'));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: zh('vendors.title') }).waitFor();
    await context.close();
  });

  it('keeps the session in an HttpOnly, SameSite=Strict cookie for path / that page scripts cannot read (Secure off only with COOKIE_SECURE=false)', async () => {
    const { context, page } = await person(world.browser, world.url);
    await page.goto('/');
    const login = page.waitForResponse((r) => r.url().endsWith('/v1/auth/login'));
    await signIn(page, requester.login, requester.password);
    const setCookie = (await (await login).headerValue('set-cookie')) ?? '';
    expect(setCookie).toMatch(/^leasehold_session=[^;]+;/);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    expect(setCookie).toMatch(/;\s*Path=\/(;|$)/);
    expect(setCookie).not.toMatch(/;\s*Secure/i);

    const cookies = (await context.cookies()).filter((c) => c.name === 'leasehold_session');
    expect(cookies).toEqual([expect.objectContaining({ httpOnly: true, sameSite: 'Strict', path: '/', secure: false })]);
    expect(await page.evaluate<string>('document.cookie')).not.toContain('leasehold_session');
    await context.close();
  });

  it('marks the cookie Secure when COOKIE_SECURE is left at its default', async () => {
    const subtreeDn = world.subtree.dn;
    const svc = await startTestService({ redisUrl: inject('redisUrl'), directory: slapdTarget(inject('slapd'), subtreeDn) });
    try {
      const { context, page } = await person(world.browser, svc.url);
      await page.goto('/');
      const login = page.waitForResponse((r) => r.url().endsWith('/v1/auth/login'));
      await page.getByLabel(zhLabel('login.username')).fill(requester.login);
      await page.getByLabel(zhLabel('login.password')).fill(requester.password);
      await page.getByRole('button', { name: zh('login.submit') }).click();
      const reply = await login;
      expect(reply.status()).toBe(200);
      const setCookie = (await reply.headerValue('set-cookie')) ?? '';
      expect(setCookie).toMatch(/;\s*Secure/i);
      expect(setCookie).toMatch(/;\s*HttpOnly/i);
      expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
      await context.close();
    } finally {
      await svc.close();
    }
  });

  it('refuses a cookie-authenticated write without the CSRF token, or from a foreign Origin, with 403 csrf, and nothing is registered', async () => {
    const { context, page } = await person(world.browser, world.url);
    await page.goto('/');
    await signIn(page, requester.login, requester.password);
    await page
      .getByRole('navigation', { name: zh('nav.label') })
      .getByRole('link', { name: zh('nav.vendors') })
      .click();
    const form = page.getByRole('form', { name: zh('vendors.register') });
    const name = `CSRF 測試廠商 ${randomBytes(3).toString('hex')}`;
    const fill = async () => {
      await form.getByLabel(zhLabel('vendors.name')).fill(name);
      await form.getByLabel(zhLabel('vendors.contractRef')).fill('C-CSRF-1');
      await form.getByLabel(zhLabel('vendors.contractEndsAt')).fill('2099-12-31');
    };
    // The console's POST leaves the browser without its X-CSRF-Token header (as a forged form post would).
    await page.route('**/v1/vendors', (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const { 'x-csrf-token': _dropped, ...headers } = route.request().headers();
      return route.continue({ headers });
    });
    await fill();
    const refused = page.waitForResponse((r) => r.url().endsWith('/v1/vendors') && r.request().method() === 'POST');
    await form.getByRole('button', { name: zh('vendors.register') }).click();
    const noToken = await refused;
    await page.unrouteAll({ behavior: 'wait' });
    expect(noToken.status()).toBe(403);
    expect(JSON.stringify(await noToken.json())).toContain('csrf');
    await expect.poll(() => form.getByRole('alert').textContent()).toContain(zh('error.csrf'));

    // A write with the right token but a foreign Origin, sent with this browser's cookie (Chromium sets
    // Origin itself, so the page cannot forge it; the context's request client sends what a forged page would).
    const me = await page.evaluate<{ csrfToken: string }>(`fetch('/v1/auth/me').then((r) => r.json())`);
    const foreign = await context.request.post('/v1/vendors', {
      headers: { origin: 'https://evil.example', 'x-csrf-token': me.csrfToken },
      data: { name, contractRef: 'C-CSRF-2', contractEndsAt: '2099-12-31T23:59:00+08:00' },
    });
    expect(foreign.status()).toBe(403);
    expect(await foreign.text()).toContain('csrf');

    // The console opened at another address than PUBLIC_URL (localhost for 127.0.0.1): its sign-in carries
    // that Origin and is refused as a login forgery.
    const elsewhere = await person(world.browser, world.url.replace('127.0.0.1', 'localhost'));
    await elsewhere.page.goto('/');
    await signIn(elsewhere.page, requester.login, requester.password, 'refused');
    expect(await elsewhere.page.getByRole('alert').textContent()).toContain(zh('error.csrf'));
    expect((await elsewhere.context.cookies()).filter((c) => c.name === 'leasehold_session')).toEqual([]);
    await elsewhere.context.close();

    // Nothing was registered: the vendor search finds no such name.
    const listed = page.waitForResponse((r) => r.url().includes('/v1/vendors?') && r.url().includes('q='));
    await page.getByLabel(zhLabel('vendors.search')).fill(name);
    const list = (await (await listed).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);

    // The same form with the browser's own headers goes through: the refusals were the CSRF check's.
    await fill();
    await form.getByRole('button', { name: zh('vendors.register') }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(name);
    await context.close();
  });

  it('gives the auditor role through a nested group (audit-office ∈ leasehold-auditors), and refuses staff with no role', async () => {
    const { context, page } = await person(world.browser, world.url);
    await page.goto('/');
    const auditor = staff('auditor');
    await signIn(page, auditor.login, auditor.password);
    const menu = page.getByRole('navigation', { name: zh('nav.label') });
    expect(await menu.getByRole('link', { name: zh('nav.sessions') }).isVisible()).toBe(true);
    expect(await menu.getByRole('link', { name: zh('nav.audit') }).isVisible()).toBe(true);
    expect(await menu.getByRole('link', { name: zh('nav.newRequest') }).count()).toBe(0);
    expect(await page.locator('.who-roles').textContent()).toBe(zh('role.auditor'));
    const me = await page.evaluate<{ roles: string[] }>(`fetch('/v1/auth/me').then((r) => r.json())`);
    expect(me.roles).toEqual(['auditor']);
    await context.close();

    const other = await person(world.browser, world.url);
    await other.page.goto('/');
    const nobody = staff('nobody');
    await signIn(other.page, nobody.login, nobody.password, 'refused');
    expect(await other.page.getByRole('alert').textContent()).toBe(zh('login.noRole'));
    expect(await other.page.getByRole('navigation', { name: zh('nav.label') }).count()).toBe(0);
    await other.context.close();
  });
});
