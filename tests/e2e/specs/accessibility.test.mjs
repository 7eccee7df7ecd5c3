// Every page, in each state a person meets it, scanned by axe-core: zero violations of any
// impact. The other specs scan each state they photograph (every `screenshot` is a scan);
// this one walks the whole product once more so that no page is left out — signed out and
// in, as an admin and as a member, with menus and dialogs open, with a form's errors
// showing, at desktop and phone widths.

import { after, before, describe, test } from 'node:test';

import { expectAccessible } from '../lib/axe.mjs';
import { expectPath, launchBrowser, signInAsDev } from '../lib/browser.mjs';
import { createKey, deleteDialog, newKeyDialog, newPageWith } from '../lib/keys.mjs';
import { approveRequest, askToJoin, createOrg, uniqueSuffix } from '../lib/orgs.mjs';
import { startServer } from '../lib/server.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

describe('accessibility', () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  let server;
  let base;
  const suffix = uniqueSuffix();
  const adminName = `Ada Axe ${suffix}`;
  const memberName = `Ben Axe ${suffix}`;
  let orgSlug;
  let keyDescription;

  before(async () => {
    browser = await launchBrowser();
    server = await startServer({ name: 'accessibility' });
    base = server.baseUrl;
    // An organization with a member, a pending request and a key: every list has rows.
    const admin = await newPageWith(browser);
    await signInAsDev(admin.page, base, adminName);
    orgSlug = await createOrg(admin.page, base, `Axe Rockets ${suffix}`);
    const member = await newPageWith(browser);
    await signInAsDev(member.page, base, memberName);
    await askToJoin(member.page, base, `Axe Rockets ${suffix}`);
    await approveRequest(admin.page, base, orgSlug, memberName);
    const asker = await newPageWith(browser);
    await signInAsDev(asker.page, base, `Cy Axe ${suffix}`);
    await askToJoin(asker.page, base, `Axe Rockets ${suffix}`);
    await admin.page.goto(`${base}/o/${orgSlug}/settings/api-keys`);
    keyDescription = `Deploy ${suffix}`;
    await createKey(admin.page, `/o/${orgSlug}/settings/api-keys`, { description: keyDescription });
    for (const { context } of [admin, member, asker]) await context.close();
  });

  after(async () => {
    await server?.stop();
    await browser?.close();
  });

  /** A signed-in person's page (or a visitor's, without a name), at the given size. */
  async function pageFor(name, options = {}) {
    const opened = await newPageWith(browser, options);
    if (name) await signInAsDev(opened.page, base, name);
    return opened;
  }

  /** Opens each path and scans it. */
  async function scanEach(page, paths) {
    for (const path of paths) {
      await page.goto(`${base}${path}`);
      await expectAccessible(page, path);
    }
  }

  function adminPaths() {
    return [
      '/',
      '/settings/profile',
      '/settings/sign-in-methods',
      '/settings/api-keys',
      '/orgs/new',
      '/orgs',
      `/orgs?q=${encodeURIComponent('Axe Rockets')}`,
      `/o/${orgSlug}`,
      `/o/${orgSlug}/settings/general`,
      `/o/${orgSlug}/settings/members`,
      `/o/${orgSlug}/settings/api-keys`,
      `/o/${orgSlug}/settings/audit-log`,
      '/no-such-page',
    ];
  }

  for (const [size, options] of [
    ['desktop', {}],
    ['phone', PHONE],
  ]) {
    test(`a visitor's pages have no violations (${size})`, async () => {
      const { context, page } = await pageFor(null, options);
      await scanEach(page, ['/login', '/no-such-page']);
      // The sign-in form with its error.
      await page.goto(`${base}/login`);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expectAccessible(page, 'the sign-in form with an empty name');
      await context.close();
    });

    test(`an admin's pages have no violations (${size})`, async () => {
      const { context, page } = await pageFor(adminName, options);
      await scanEach(page, adminPaths());
      await context.close();
    });

    test(`a member's pages have no violations, the refused admin page included (${size})`, async () => {
      const { context, page } = await pageFor(memberName, options);
      await scanEach(page, ['/', `/o/${orgSlug}`, `/o/${orgSlug}/settings/api-keys`]);
      await context.close();
    });
  }

  test('the header menus, open, have no violations', async () => {
    const { context, page } = await pageFor(adminName);
    await page.goto(`${base}/o/${orgSlug}`);
    for (const menu of ['org-switcher', 'account-menu']) {
      await page.getByTestId(menu).locator('summary').click();
      await expectAccessible(page, `the ${menu} open`);
      await page.getByTestId(menu).locator('summary').click();
    }
    await context.close();
  });

  test('forms showing their errors have no violations', async () => {
    const { context, page } = await pageFor(adminName);
    await page.goto(`${base}/orgs/new`);
    await page.getByRole('button', { name: 'Create organization', exact: true }).click();
    await expectAccessible(page, 'the new-organization form with errors');
    await page.goto(`${base}/o/${orgSlug}/settings/api-keys`);
    await page.locator('#description').fill('');
    await page.getByRole('button', { name: 'Create API key', exact: true }).click();
    await expectPath(page, `/o/${orgSlug}/settings/api-keys`);
    await expectAccessible(page, 'the Add API key form with errors');
    await context.close();
  });

  test('the key dialogs, open, and the pages without scripts have no violations', async () => {
    const { context, page } = await pageFor(adminName);
    const list = `/o/${orgSlug}/settings/api-keys`;
    await page.goto(`${base}${list}`);
    await createKey(page, list, { description: `Axe dialog ${suffix}` });
    await expectAccessible(page, 'the one-time token dialog');
    await newKeyDialog(page).getByRole('button', { name: 'Done', exact: true }).click();
    await page.goto(`${base}${list}`);
    const row = page.locator('tbody tr', { hasText: keyDescription });
    await row.getByRole('link', { name: /^Revoke/ }).click();
    await deleteDialog(page).waitFor({ state: 'visible' });
    await expectAccessible(page, 'the delete confirmation dialog');
    await context.close();

    const noScripts = await pageFor(adminName, { javaScriptEnabled: false });
    await noScripts.page.goto(`${base}${list}`);
    const link = noScripts.page.locator('tbody tr', { hasText: keyDescription }).getByRole('link', { name: /^Revoke/ });
    await link.click();
    await expectPath(noScripts.page, /\/revoke$/);
    await expectAccessible(noScripts.page, 'the delete confirmation page');
    await noScripts.context.close();
  });
});
