import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STAFF } from '../../tools/dev/slapd-seed.js';
import { probe } from '../support/directory-probe.js';
import { VIEWPORT, person, scanSummary, settledScreen, signIn, zh, zhLabel } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

const staff = (login: (typeof DEMO_STAFF)[number]['login']) => DEMO_STAFF.find((s) => s.login === login)!;

/** An instant as the `YYYY-MM-DDTHH:mm` a datetime-local field takes, in the service's time zone (TZ, Asia/Taipei). */
function taipeiWall(ms: number): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Taipei', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .format(ms)
    .replace(' ', 'T');
}

/** Reloads the request's page until its status badge reads `status` (the worker moves it on its own time). */
async function untilStatus(page: Page, status: 'active' | 'revoked' | 'closed', timeoutMs = 20_000): Promise<void> {
  const want = zh(`status.${status}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const badge = page.getByRole('heading', { level: 1 }).locator('.badge');
    await badge.waitFor();
    if ((await badge.textContent()) === want) return;
    if (Date.now() > deadline) throw new Error(`request status is still "${await badge.textContent()}", not "${want}"`);
    await page.reload();
  }
}

/**
 * One lifecycle as four people in Chromium against the real stack (service,
 * Redis, slapd), in Traditional Chinese: file with the group picker, approve,
 * reveal the password once, the vendor binds, a log shipper's session, early
 * revocation, review, closure. Every screen on the way is scanned with axe.
 */
describe('one request through the console, as requester, approver and auditor', () => {
  let world: ConsoleWorld;
  let requester: Page;
  let requestId = '';
  let account = { username: '', dn: '', password: '' };
  /** The log shipper's bearer token, made by the admin in the console. */
  let logSourceToken = '';
  const vendorName = `臺北資訊服務有限公司 ${Date.now().toString(36)}`;

  beforeAll(async () => {
    // The vendor's own LDAP binds (the OpenLDAP accesslog import) would make a second session of the account once
    // the import runs, whenever a slow run reaches it: this walk-through reviews the log shipper's session alone.
    world = await startConsoleWorld('e2e', { policy: { sessions: { accesslogImportSeconds: 86_400 } } });
    requester = (await person(world.browser, world.url)).page;
  });
  afterAll(async () => {
    console.info(scanSummary());
    await world?.close();
  });

  it('lets a requester sign in with a directory password, register a vendor and its person, and file a request with the group picker', async () => {
    const page = requester;
    await page.goto('/');
    expect.soft(await settledScreen(page, 'sign-in', 'login')).toEqual([]);
    const me = staff('requester');
    await signIn(page, me.login, me.password);
    expect.soft(await settledScreen(page, 'home (requester)')).toEqual([]);

    await page
      .getByRole('navigation', { name: zh('nav.label') })
      .getByRole('link', { name: zh('nav.vendors') })
      .click();
    expect.soft(await settledScreen(page, 'vendors and people')).toEqual([]);
    const register = page.getByRole('form', { name: zh('vendors.register') });
    await register.getByLabel(zhLabel('vendors.name')).fill(vendorName);
    await register.getByLabel(zhLabel('vendors.contractRef')).fill('北市教資字第 115001 號');
    await register.getByLabel(zhLabel('vendors.contractEndsAt')).fill('2099-12-31');
    await register.getByRole('button', { name: zh('vendors.register') }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(vendorName);

    const add = page.getByRole('form', { name: zh('vendors.addPerson') });
    await add.getByLabel(zhLabel('people.fullName')).fill('林志明');
    await add.getByLabel(zhLabel('people.latinName')).fill('Lin Chih-Ming');
    await add.getByLabel(zhLabel('people.email')).fill('lin.zhiming@vendor.example');
    await add.getByLabel(zhLabel('people.phone')).fill('02-2345-6789');
    await add.getByLabel(zhLabel('people.ndaSignedAt')).fill('2026-01-15');
    await add.getByLabel(zhLabel('people.ndaRef')).fill('NDA-2026-001');
    await add.getByRole('button', { name: zh('vendors.addPerson') }).click();
    await page.getByRole('heading', { level: 3, name: '林志明' }).waitFor();
    await page.getByRole('link', { name: `← ${zh('vendors.title')}` }).click();
    const peopleFound = page.waitForResponse((r) => r.url().includes('/v1/people?'));
    await page.getByLabel(zhLabel('vendors.searchPeople')).fill('林志明');
    await peopleFound;
    await page.getByRole('heading', { level: 2, name: zh('vendors.people') }).waitFor();
    expect.soft(await settledScreen(page, 'vendors and people (found)', 'vendors')).toEqual([]);
    await page.getByRole('link', { name: vendorName }).click();
    await page.getByRole('heading', { level: 3, name: '林志明' }).waitFor();
    expect.soft(await settledScreen(page, 'vendor detail', 'vendor-detail')).toEqual([]);

    await page.getByRole('link', { name: zh('people.newRequest') }).click();
    const personField = page.getByLabel(zhLabel('form.person'));
    await expect.poll(() => personField.locator('option:checked').textContent()).toContain('林志明');
    await page.getByLabel(zhLabel('form.workDescription')).fill('ERP 系統年度維護：更新報表模組並檢查排程工作。');
    await page.getByLabel(zhLabel('form.targetSystems')).fill('erp01.school.test\nerp-db.school.test');

    // The picker finds both of this file's groups: the privileged one is shown with the reason and cannot be added.
    const groupsFound = page.waitForResponse((r) => r.url().includes('/v1/groups?'));
    await page.getByLabel(zhLabel('form.groupSearch')).fill(world.prefix);
    await groupsFound;
    const results = page.getByRole('list', { name: zh('form.groupSearch') });
    const refused = results.getByRole('listitem').filter({ hasText: world.groups.privilegedName });
    await refused.waitFor();
    expect(await refused.textContent()).toContain(zh('form.groupPrivileged'));
    expect(await refused.locator('.group-reason').textContent()).toMatch(new RegExp(`^${zh('form.groupRefused', { reason: '' })}.+`));
    expect(await refused.getByRole('button').count()).toBe(0);
    await results.getByRole('button', { name: zh('form.groupAdd', { name: world.groups.grantableName }) }).click();
    expect(await page.locator('.chips').textContent()).toContain(world.groups.grantableName);

    // From a minute ago (the account is made at once) for a day.
    await page.getByLabel(zhLabel('form.validFrom')).fill(taipeiWall(Date.now() - 60_000));
    await page.getByLabel(zhLabel('form.validTo')).fill(taipeiWall(Date.now() + 86_400_000));
    const submit = page.getByRole('button', { name: zh('form.submit') });
    await expect.poll(() => submit.isEnabled()).toBe(true);
    expect(await page.locator('.rule-broken').count()).toBe(0);
    expect.soft(await settledScreen(page, 'request form', { name: 'form', fullPage: true })).toEqual([]);
    // On a tablet (portrait) the form still fits its width: nothing to scroll sideways.
    await page.setViewportSize({ width: 768, height: 1024 });
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect.soft(await settledScreen(page, 'request form (tablet)', { name: 'tablet-form', fullPage: true })).toEqual([]);
    await page.setViewportSize(VIEWPORT);

    const filed = page.waitForResponse((r) => r.url().endsWith('/v1/requests') && r.request().method() === 'POST');
    await submit.click();
    const reply = await filed;
    expect(reply.status(), await reply.text()).toBe(201);
    requestId = ((await reply.json()) as { id: string }).id;
    // The console moves on to the request it filed.
    await page
      .getByRole('status')
      .filter({ hasText: zh('form.created') })
      .waitFor();
    expect(new URL(page.url()).pathname).toBe(`/requests/${encodeURIComponent(requestId)}`);
    expect(await page.getByRole('heading', { level: 1 }).locator('.badge').textContent()).toBe(zh('status.pending'));
    expect.soft(await settledScreen(page, 'request detail (pending, requester)')).toEqual([]);
  });

  it('lets an approver sign in, find the request and approve it; the worker creates the account', async () => {
    const { context, page } = await person(world.browser, world.url);
    await page.goto('/');
    const me = staff('approver');
    await signIn(page, me.login, me.password);
    expect.soft(await settledScreen(page, 'home (approver)', 'home-approver')).toEqual([]);
    await page
      .getByRole('navigation', { name: zh('nav.label') })
      .getByRole('link', { name: zh('nav.requests') })
      .click();
    expect.soft(await settledScreen(page, 'request list', 'requests')).toEqual([]);
    await page.getByRole('link', { name: requestId, exact: true }).click();
    await page.getByRole('button', { name: zh('detail.approve') }).click();
    await page.getByLabel(zhLabel('detail.comment')).fill('同意，限上班時間作業。');
    expect.soft(await settledScreen(page, 'request detail (approving)', 'detail-approver')).toEqual([]);
    await page.getByRole('button', { name: zh('detail.confirm', { action: zh('detail.approve') }) }).click();
    await page
      .getByRole('status')
      .filter({ hasText: zh('detail.done', { action: zh('detail.approve') }) })
      .waitFor();
    await untilStatus(page, 'active');
    await context.close();
  });

  it('shows the requester the one-time password once (a second reveal is refused); the vendor binds to slapd with it and cannot sign in to the console', async () => {
    const page = requester;
    await page.reload();
    await untilStatus(page, 'active');
    expect.soft(await settledScreen(page, 'request detail (active, requester)')).toEqual([]);
    const revealed = page.waitForResponse((r) => r.url().endsWith(`/v1/requests/${requestId}/credentials`));
    await page.getByRole('button', { name: zh('detail.revealCredential') }).click();
    expect((await revealed).status()).toBe(200);
    account.password = (await page.locator('code.secret').textContent()) ?? '';
    expect(account.password.length).toBeGreaterThanOrEqual(20);
    expect(await page.getByText(zh('detail.credentialOnce')).isVisible()).toBe(true);
    expect.soft(await settledScreen(page, 'request detail (password shown)', 'detail-credential')).toEqual([]);

    // Gone after leaving the page: the requester sees that it was fetched, and the API refuses another reveal.
    await page.reload();
    await page.getByText(zh('detail.credentialRetrieved')).waitFor();
    expect(await page.getByRole('button', { name: zh('detail.revealCredential') }).count()).toBe(0);
    const again = await page.evaluate<{ status: number; code: string }>(
      `fetch('/v1/auth/me').then((r) => r.json()).then((me) => fetch('/v1/requests/${requestId}/credentials', {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: '{}' }))
        .then(async (r) => ({ status: r.status, code: (await r.json()).error?.code ?? '' }))`,
    );
    expect(again.status).toBe(410);

    const request = await page.evaluate<{ account: { username: string; dn: string; state: string } }>(
      `fetch('/v1/requests/${requestId}').then((r) => r.json())`,
    );
    expect(request.account.state).toBe('active');
    account = { ...account, username: request.account.username, dn: request.account.dn };
    expect(await page.locator('.facts').textContent()).toContain(account.username);
    expect(await probe.canBind(world.target, account.dn, account.password)).toBe(true);

    const vendor = await person(world.browser, world.url);
    await vendor.page.goto('/');
    await signIn(vendor.page, account.username, account.password, 'refused');
    expect(await vendor.page.getByRole('alert').textContent()).toBe(zh('login.vendorAccount'));
    expect((await vendor.context.cookies()).filter((c) => c.name === 'leasehold_session')).toEqual([]);
    await vendor.context.close();

    // The requester's home now counts the request and lists it.
    await page
      .getByRole('navigation', { name: zh('nav.label') })
      .getByRole('link', { name: zh('nav.home') })
      .click();
    await page.getByRole('link', { name: requestId }).first().waitFor();
    expect.soft(await settledScreen(page, 'home (requester, one request)', 'home-requester')).toEqual([]);
    await page.getByRole('link', { name: requestId }).first().click();
    await untilStatus(page, 'active');
  });

  it("lets an admin create the log shipper's machine token in the console (shown once) and look up a person's staff sessions", async () => {
    const { context, page } = await person(world.browser, world.url);
    await page.goto('/');
    const me = staff('admin');
    await signIn(page, me.login, me.password);
    await page
      .getByRole('navigation', { name: zh('nav.label') })
      .getByRole('link', { name: zh('nav.admin') })
      .click();
    await page.getByRole('heading', { level: 1, name: zh('admin.title') }).waitFor();
    await page.getByRole('heading', { level: 2, name: zh('admin.policy') }).waitFor();
    expect.soft(await settledScreen(page, 'admin')).toEqual([]);

    const create = page.getByRole('form', { name: zh('admin.tokenCreate') });
    await create.getByLabel(zhLabel('admin.tokenName')).fill('ssh-gw01.log-shipper');
    await create.getByRole('checkbox', { name: zh('role.log-source') }).check();
    const made = page.waitForResponse((r) => r.url().endsWith('/v1/tokens') && r.request().method() === 'POST');
    await create.getByRole('button', { name: zh('admin.tokenCreate') }).click();
    const madeReply = await made;
    expect(madeReply.status(), await madeReply.text()).toBe(201);
    const shown = page.getByRole('region', { name: zh('admin.tokenCreated') });
    logSourceToken = (await shown.locator('code.secret').textContent()) ?? '';
    expect(logSourceToken.length).toBeGreaterThanOrEqual(20);
    await page.getByRole('cell', { name: 'ssh-gw01.log-shipper' }).waitFor();

    await page.getByLabel(zhLabel('admin.staffName')).fill('requester');
    await page.getByRole('button', { name: zh('admin.staffLookup') }).click();
    await page.getByRole('button', { name: zh('admin.staffRevokeAll') }).waitFor();
    expect.soft(await settledScreen(page, 'admin (token shown, staff sessions)', 'admin')).toEqual([]);
    await context.close();
  });

  it("takes the sessions from a log shipper (with the admin's token), lets the requester revoke early; the auditor's review closes the request, and an unknown account's session is escalated to an incident", async () => {
    const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    const event = { source: 'ssh-gw01', account: account.username, target: 'erp01.school.test', sourceIp: '10.20.30.40', sourceSessionId: 'sshd-4711' };
    const shipped = await fetch(`${world.url}/v1/session-events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${logSourceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [
          { ...event, type: 'login', at: at(0) },
          { ...event, type: 'command', at: at(5), detail: 'systemctl status erp-report' },
          { ...event, type: 'command', at: at(12), detail: 'sudo systemctl restart erp-report' },
          { ...event, type: 'logout', at: at(20) },
          // Someone guessing at an account nobody was given: a session of its own, for the auditor to escalate.
          { source: 'ssh-gw01', account: 'administrator', type: 'failed_login', at: at(30), sourceIp: '203.0.113.9', target: 'erp01.school.test' },
        ],
      }),
    });
    expect(shipped.status).toBe(202);

    const page = requester;
    await page.getByRole('button', { name: zh('detail.revoke') }).click();
    await page.getByLabel(zhLabel('detail.reason')).fill('維護提前完成');
    await page.getByRole('button', { name: zh('detail.confirm', { action: zh('detail.revoke') }) }).click();
    await page
      .getByRole('status')
      .filter({ hasText: zh('detail.done', { action: zh('detail.revoke') }) })
      .waitFor();
    await untilStatus(page, 'revoked');
    expect(await probe.canBind(world.target, account.dn, account.password)).toBe(false);

    const { context, page: auditor } = await person(world.browser, world.url);
    await auditor.goto('/');
    const me = staff('auditor');
    await signIn(auditor, me.login, me.password);
    expect.soft(await settledScreen(auditor, 'home (auditor)')).toEqual([]);
    await auditor.getByLabel(zhLabel('lang.label')).selectOption('en');
    await auditor.getByRole('heading', { level: 1, name: `Hello, ${me.displayName}` }).waitFor();
    expect(await auditor.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Session review' }).isVisible()).toBe(true);
    expect.soft(await settledScreen(auditor, 'home (auditor, English)', 'home-auditor-en')).toEqual([]);
    await auditor.getByLabel('Language').selectOption('zh-TW');
    await auditor
      .getByRole('navigation', { name: zh('nav.label') })
      .getByRole('link', { name: zh('nav.sessions') })
      .click();
    const sessionLink = auditor.getByRole('link', { name: account.username, exact: true });
    await sessionLink.waitFor();
    expect.soft(await settledScreen(auditor, 'sessions (queue)')).toEqual([]);
    await sessionLink.click();
    await auditor.getByRole('heading', { level: 2, name: account.username }).waitFor();
    await auditor.getByText('systemctl status erp-report').waitFor();
    expect.soft(await settledScreen(auditor, 'sessions (one session)', 'sessions')).toEqual([]);
    await auditor.getByLabel(zhLabel('sessions.note')).fill('指令與申請內容相符。');
    await auditor.getByRole('button', { name: zh('sessions.submitReview') }).click();
    const outcome = auditor.getByRole('status').filter({ hasText: zh('sessions.reviewed') });
    await outcome.waitFor();
    expect(await outcome.textContent()).toContain(zh('sessions.requestClosed'));

    await auditor.getByRole('link', { name: requestId, exact: true }).click();
    await untilStatus(auditor, 'closed');
    expect(await auditor.getByRole('heading', { level: 2, name: zh('detail.audit') }).isVisible()).toBe(true);
    expect.soft(await settledScreen(auditor, 'request detail (closed, auditor)')).toEqual([]);

    await auditor
      .getByRole('navigation', { name: zh('nav.label') })
      .getByRole('link', { name: zh('nav.sessions') })
      .click();
    await auditor.getByRole('link', { name: 'administrator', exact: true }).click();
    await auditor.getByRole('heading', { level: 2, name: 'administrator' }).waitFor();
    await auditor.getByRole('radio', { name: zh('sessions.verdict.escalate') }).check();
    await auditor.getByLabel(zhLabel('sessions.note')).fill('不明來源嘗試登入 administrator，請資訊組確認。');
    await auditor.getByRole('button', { name: zh('sessions.submitReview') }).click();
    const escalated = auditor.getByRole('status').filter({ hasText: zh('sessions.reviewed') });
    await escalated.waitFor();
    const incidentId = new RegExp(zh('sessions.incidentOpened', { id: '(\\S+?)' }).replace('。', '')).exec((await escalated.textContent()) ?? '')?.[1];
    expect(incidentId).toBeTruthy();

    for (const [tab, label, shot] of [
      ['incidents.title', 'incidents (one escalated)', undefined],
      ['signoff.title', 'sign-off', undefined],
    ] as const) {
      await auditor
        .getByRole('navigation', { name: zh('nav.label') })
        .getByRole('link', { name: zh('nav.sessions') })
        .click();
      await auditor
        .getByRole('navigation', { name: zh('sessions.tabs') })
        .getByRole('link', { name: zh(tab) })
        .click();
      await auditor.getByRole('heading', { level: 1, name: zh(tab) }).waitFor();
      if (tab === 'incidents.title') await auditor.getByRole('heading', { level: 2, name: incidentId }).waitFor();
      expect.soft(await settledScreen(auditor, label, shot)).toEqual([]);
    }
    await auditor
      .getByRole('navigation', { name: zh('nav.label') })
      .getByRole('link', { name: zh('nav.audit') })
      .click();
    await auditor.getByRole('heading', { level: 1, name: zh('audit.title') }).waitFor();
    expect.soft(await settledScreen(auditor, 'audit', 'audit')).toEqual([]);
    await context.close();
  });
});
