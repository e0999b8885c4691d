import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STAFF } from '../../tools/dev/slapd-seed.js';
import { person, scanSummary, settledScreen } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

/**
 * Every screen an admin opens (an admin holds every role in the console), with the English heading it must show
 * (written out: web/src/i18n/en.ts cannot be imported under the service's module settings).
 */
const SCREENS = [
  ['/', 'Hello, '],
  ['/requests', 'Requests'],
  ['/requests/new', 'Information service request'],
  ['/vendors', 'Vendors and people'],
  ['/sessions', 'Session review'],
  ['/incidents', 'Incidents'],
  ['/sign-off', 'Sign-off without sessions'],
  ['/audit', 'Audit trail'],
  ['/room-visits', 'Machine room register'],
  ['/admin', 'Administration'],
] as const;

/** Han characters: in English, only data (names) and the other language's own name may have them. */
const HAN = /\p{Script=Han}/u;

/** The console in English: every screen's words come from the English catalogue, and each passes axe (issue 11 item 4). */
describe('the console in English', () => {
  let world: ConsoleWorld;

  beforeAll(async () => {
    world = await startConsoleWorld('english');
  });
  afterAll(async () => {
    console.info(scanSummary());
    await world?.close();
  });

  it('shows every screen in English, with no Chinese left outside the data, and no serious or critical axe violation', async () => {
    const { context, page } = await person(world.browser, world.url);
    await page.goto('/');
    await page.getByLabel('語言').selectOption('en');
    const admin = DEMO_STAFF.find((s) => s.login === 'admin')!;
    await page.getByLabel('Username').fill(admin.login);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main menu' }).waitFor();

    for (const [path, heading] of SCREENS) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      expect.soft(await settledScreen(page, `${path} (English)`), path).toEqual([]);
      const text = await page.evaluate<string>('document.body.innerText');
      const leftovers = text
        .split('\n')
        // Data may be Chinese: the admin's name, this file's group (in the policy shown), the other language's name.
        .map((line) => [admin.displayName, world.groups.grantableName, '繁體中文'].reduce((l, data) => l.replaceAll(data, ''), line))
        .filter((line) => HAN.test(line));
      expect.soft(leftovers, `${path}: Chinese in the English console`).toEqual([]);
    }
    await context.close();
  });
});
