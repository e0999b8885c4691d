import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_STAFF } from '../../../tools/dev/slapd-seed.js';
import { zhTW, type MessageKey } from '../../../web/src/i18n/zh-TW.js';

/** Debian's chromium (scripts/ensure-packages.sh installs it): `npx playwright install` cannot download a browser here. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
/** The size the issue asks the console to be readable at (and the screenshots' size). */
export const VIEWPORT = { width: 1280, height: 800 };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A console word in Traditional Chinese (the default language), from the console's own catalogue. */
export function zh(key: MessageKey, params: Record<string, string> = {}): string {
  return zhTW[key].replace(/\{(\w+)\}/g, (m, name: string) => params[name] ?? m);
}

/**
 * A field's label in Traditional Chinese, matched from its start: a required field's name ends with 「（必填）」,
 * and another field's label may contain this one (姓名 in 英文姓名).
 */
export function zhLabel(key: MessageKey): RegExp {
  return new RegExp(`^${zh(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
}

/** One person at their own browser: a fresh context (own cookies and storage) at 1280×800. */
export async function person(browser: Browser, baseUrl: string): Promise<{ context: BrowserContext; page: Page }> {
  // A Taiwanese school's browser: its own date pickers speak zh-TW, its clock is Taipei's (the console's language and
  // time zone come from the console, not from these).
  const context = await browser.newContext({ baseURL: baseUrl, viewport: VIEWPORT, locale: 'zh-TW', timezoneId: 'Asia/Taipei' });
  // Every wait is for something the console shows within a second or two; a broken step fails fast.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page };
}

/** One of the demo staff (tools/dev/slapd-seed.ts) at their own browser, signed in through the sign-in screen. */
export async function signedIn(browser: Browser, baseUrl: string, login: string): Promise<{ context: BrowserContext; page: Page }> {
  const staff = DEMO_STAFF.find((s) => s.login === login);
  if (!staff) throw new Error(`no demo staff member ${login}`);
  const at = await person(browser, baseUrl);
  await at.page.goto('/');
  await signIn(at.page, staff.login, staff.password);
  return at;
}

/** Signs in through the sign-in screen and waits for the menu (or for the refusal the caller expects). */
export async function signIn(page: Page, login: string, password: string, expect: 'menu' | 'refused' = 'menu'): Promise<void> {
  if (!page.url().startsWith('http')) await page.goto('/');
  await page.getByLabel(zhLabel('login.username')).fill(login);
  await page.getByLabel(zhLabel('login.password')).fill(password);
  const answered = page.waitForResponse((r) => r.url().endsWith('/v1/auth/login'));
  await page.getByRole('button', { name: zh('login.submit') }).click();
  await answered;
  if (expect === 'menu') await page.getByRole('navigation', { name: zh('nav.label') }).waitFor();
  else await page.getByRole('alert').waitFor();
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** One axe-core finding of impact serious or critical. */
export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A/AA rules and best practices) on what the page
 * shows now and returns the serious and critical violations. axe is given to
 * the page through the DevTools protocol, so the console's CSP (no inline
 * script) stays in force.
 */
export async function axeScan(page: Page): Promise<AxeFinding[]> {
  if ((await page.evaluate('typeof axe')) === 'undefined') await page.evaluate(AXE_SOURCE);
  type Raw = { id: string; impact: string | null; help: string; nodes: { target: string[] }[] };
  const violations = await page.evaluate<Raw[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)`);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact!, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}

/**
 * Waits until the screen has its title and nothing is still loading, scans it
 * with axe-core and, when screenshots are asked for, saves it. Returns the
 * serious and critical findings (the caller asserts them, so one screen's
 * finding does not hide the next screen's).
 */
export async function settledScreen(page: Page, label: string, shot?: string | { name: string; fullPage: boolean }): Promise<AxeFinding[]> {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.locator('.loading').first().waitFor({ state: 'detached' });
  const findings = await axeScan(page);
  if (shot) await screenshot(page, typeof shot === 'string' ? shot : shot.name, typeof shot === 'string' ? false : shot.fullPage);
  scanned.set(label, findings);
  return findings;
}

/** Every screen scanned in this file and what axe found there (for the run's summary). */
export const scanned = new Map<string, AxeFinding[]>();

/** One line per screen scanned: its label and `ok`, or the rules it broke. */
export function scanSummary(): string {
  return [...scanned]
    .map(([label, f]) => `axe ${label}: ${f.length === 0 ? 'ok' : f.map((x) => `${x.impact} ${x.id} (${x.targets.join(', ')})`).join('; ')}`)
    .join('\n');
}

/**
 * Saves the page as `<name>.png` when LEASEHOLD_SCREENSHOTS names a folder
 * (`npm run screenshots` writes docs/console/); otherwise nothing, so an
 * ordinary test run leaves the tree as it was.
 */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  const dir = process.env.LEASEHOLD_SCREENSHOTS;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  // Fonts loaded, and no focus ring left where the test last typed: the shot is of the screen as a person opens it.
  await page.evaluate('document.fonts.ready.then(() => document.activeElement?.blur())');
  if (!fullPage) await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage, animations: 'disabled', caret: 'hide' });
}
