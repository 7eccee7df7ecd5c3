// The pictures in the README, taken from the real pages by this test, so they show the
// product as it is. They are written to docs/screenshots/ on the SQLite run (each run of
// scripts/test.sh refreshes them; commit them with the change that altered a page), and
// scanned by axe-core like every other screenshot.

import { after, before, describe, test } from 'node:test';

import { expectText, launchBrowser, readmePicture, signInAsDev } from '../lib/browser.mjs';
import { createKey, newKeyDialog, newPageWith, tokenField } from '../lib/keys.mjs';
import { approveRequest, askToJoin, createOrg, uniqueSuffix } from '../lib/orgs.mjs';
import { startServer } from '../lib/server.mjs';

describe('README pictures', () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  let server;

  before(async () => {
    browser = await launchBrowser();
    server = await startServer({ name: 'readme-pictures' });
  });

  after(async () => {
    await server?.stop();
    await browser?.close();
  });

  test('the organization page and the keys page with its one-time dialog', async () => {
    const base = server.baseUrl;
    // A shared database (the PostgreSQL run) may hold these names already.
    const shared = Boolean(process.env.E2E_DATABASE_URL);
    const suffix = shared ? ` ${uniqueSuffix()}` : '';
    const ada = await newPageWith(browser);
    await signInAsDev(ada.page, base, `Ada Lovelace${suffix}`);
    const orgName = `Acme Rockets${suffix}`;
    const slug = await createOrg(ada.page, base, orgName);
    const grace = await newPageWith(browser);
    await signInAsDev(grace.page, base, `Grace Hopper${suffix}`);
    await askToJoin(grace.page, base, orgName);
    await approveRequest(ada.page, base, slug, `Grace Hopper${suffix}`);
    await grace.context.close();

    const list = `/o/${slug}/settings/api-keys`;
    await ada.page.goto(`${base}${list}`);
    await createKey(ada.page, list, { description: 'Nightly release' });
    await newKeyDialog(ada.page).getByRole('button', { name: 'Done', exact: true }).click();
    await ada.page.goto(`${base}${list}`);
    await createKey(ada.page, list, { description: 'Deploy to production' });
    await readmePicture(ada.page, 'api-keys-dialog', { hide: [tokenField(ada.page)] });

    await ada.page.goto(`${base}/o/${slug}`);
    await expectText(ada.page.locator('main h1'), orgName);
    await readmePicture(ada.page, 'organization-page');
    await ada.context.close();
  });
});
