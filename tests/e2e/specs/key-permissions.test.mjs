// What a key may do, chosen on the Add form and said in the list and the one-time dialog
// (SPEC §2 "Permissions", "Reach of user keys", "Allowed networks"). The custom table is in the
// page without scripts and shows only while "Custom" is checked (CSS, no JavaScript).

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import { launchBrowser, screenshot, signInAsDev } from '../lib/browser.mjs';
import { addKeyPanel, createKey, keyRow, newKeyDialog, newPageWith } from '../lib/keys.mjs';
import { createOrg, uniqueSuffix } from '../lib/orgs.mjs';
import { slug, startServer } from '../lib/server.mjs';

/** The Permissions fieldset of the Add form. */
function permissionsGroup(page) {
  return addKeyPanel(page).getByRole('group', { name: 'Permissions' });
}

/** The custom table (in the page always; shown while Custom is checked). */
function customTable(page) {
  return permissionsGroup(page).getByRole('table', { name: /Custom permissions/ });
}

/** The custom table's radio for a resource's level ("Repositories", "Read"). */
function levelRadio(page, resource, level) {
  return customTable(page).getByRole('radio', { name: new RegExp(`^${resource}: ${level}\\b`) });
}

describe('API key permissions', () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  let server;
  let people = [];

  async function signedInPerson(name, options = {}) {
    const { context, page } = await newPageWith(browser, options);
    people.push({ who: name.split(' ')[0].toLowerCase(), context, page });
    await signInAsDev(page, server.baseUrl, name);
    return { context, page };
  }

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  beforeEach(async (t) => {
    server = await startServer({ name: t.name });
    people = [];
  });

  afterEach(async (t) => {
    try {
      for (const { who, context, page } of people) {
        if (t.passed === false) await screenshot(page, `${slug(t.name)}-failure-${who}.png`).catch(() => {});
        await context.close().catch(() => {});
      }
    } finally {
      people = [];
      const s = server;
      server = undefined;
      await s?.stop();
    }
  });

  test('without JavaScript a Custom key is chosen in the table and its permissions are said', async () => {
    const run = uniqueSuffix();
    const { page } = await signedInPerson(`Grace Hopper ${run}`, { javaScriptEnabled: false });
    const orgSlug = await createOrg(page, server.baseUrl, `Custom Org ${run}`);
    const listPath = `/o/${orgSlug}/settings/api-keys`;
    await page.goto(`${server.baseUrl}${listPath}`);

    // Run builds is the default, and the custom table stays out of sight until Custom is checked.
    const group = permissionsGroup(page);
    assert.equal(await group.getByRole('radio', { name: 'Run builds', exact: true }).isChecked(), true);
    assert.equal(await customTable(page).isVisible(), false, 'the table is hidden under a preset');
    await group.getByRole('radio', { name: 'Custom', exact: true }).check();
    await customTable(page).waitFor({ state: 'visible' });
    // It starts from Run builds' levels.
    assert.equal(await levelRadio(page, 'Repositories', 'Read').isChecked(), true);
    assert.equal(await levelRadio(page, 'Build parameters', 'Read').isChecked(), true);
    await levelRadio(page, 'Build parameters', 'None').check();
    await screenshot(page, 'key-permissions-custom-no-js.png');

    const description = `Builds only ${run}`;
    await createKey(page, listPath, { description });
    const dialog = newKeyDialog(page);
    assert.equal(
      (await dialog.locator('[data-testid=new-key-access]').innerText()).replace(/\s+/g, ' ').trim(),
      'Permissions Custom: read repositories, start builds',
    );
    const row = await keyRow(page, description);
    assert.equal(row.permissions.replace(/\s+/g, ' '), 'Custom read repositories, start builds');
    await screenshot(page, 'key-permissions-custom-created-no-js.png');
  });

  test('with JavaScript a Read only user key is listed with its words and reach', async () => {
    const run = uniqueSuffix();
    const { page } = await signedInPerson(`Ada Lovelace ${run}`);
    const orgName = `Reach Org ${run}`;
    const orgSlug = await createOrg(page, server.baseUrl, orgName);
    const listPath = '/settings/api-keys';
    await page.goto(`${server.baseUrl}${listPath}`);

    await permissionsGroup(page).getByRole('radio', { name: 'Read only', exact: true }).check();
    assert.equal(await customTable(page).isVisible(), false);
    // Only this organization: its checkbox shows once the choice is made.
    const reach = addKeyPanel(page).getByRole('group', { name: 'Organizations' });
    const box = reach.getByRole('checkbox', { name: orgName, exact: true });
    assert.equal(await box.isVisible(), false, 'no boxes under All my organizations');
    await reach.getByRole('radio', { name: 'Only these organizations', exact: true }).check();
    await box.check();
    await addKeyPanel(page).getByLabel('Allowed networks').fill('203.0.113.0/24');
    await screenshot(page, 'key-permissions-read-only.png');

    const description = `Dashboard ${run}`;
    await createKey(page, listPath, { description });
    const words = (await newKeyDialog(page).locator('[data-testid=new-key-access]').innerText()).replace(/\s+/g, ' ');
    assert.match(words, /^Permissions Read only: read the organization, read members/);
    assert.match(words, new RegExp(`Organizations ${orgName} Only from 203\\.0\\.113\\.0/24$`));
    const row = await keyRow(page, description);
    assert.match(row.permissions.replace(/\s+/g, ' '), /^Read only read the organization, .* read billing/);
    assert.ok(row.permissions.includes(`in ${orgName}`), row.permissions);
    assert.ok(row.permissions.includes('only from 203.0.113.0/24'), row.permissions);
    assert.ok(orgSlug);
  });
});
