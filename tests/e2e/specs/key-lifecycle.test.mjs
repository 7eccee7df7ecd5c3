// Rolling and revoking keys through the real pages in headless Chromium (SPEC §2 "Lifecycle"):
// Roll opens a dialog with the overlap choice, and the successor's token comes through the same
// one-time dialog as a new key's, with its Copy button; both rows then say how they are linked.
// Revoke goes through its dialog, and the revoked key stays listed under Inactive.

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import { expectPath, expectText, launchBrowser, screenshot, signInAsDev } from '../lib/browser.mjs';
import {
  createKey,
  deleteDialog,
  dialogState,
  expectFlash,
  filterForm,
  hintOf,
  idOf,
  keysTable,
  newKeyDialog,
  newPageWith,
  rollDialog,
  TOKEN_LENGTH,
  tokenField,
} from '../lib/keys.mjs';
import { createOrg, uniqueSuffix } from '../lib/orgs.mjs';
import { slug, startServer } from '../lib/server.mjs';

describe('Key lifecycle', () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  let server;
  let people = [];

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
      for (const { context, page } of people) {
        if (t.passed === false) await screenshot(page, `${slug(t.name)}-failure.png`).catch(() => {});
        await context.close().catch(() => {});
      }
    } finally {
      people = [];
      const s = server;
      server = undefined;
      await s?.stop();
    }
  });

  /** The row of the key with this public id, and the text of its Status cell. */
  async function rowOf(page, id) {
    const row = keysTable(page).locator(`tr#key-${id}`);
    await row.waitFor({ state: 'visible' });
    const status = (await row.locator('td[data-label=Status]').innerText()).replace(/\s+/g, ' ').trim();
    return { row, status };
  }

  test('an admin rolls a key from its row, copies the new key once, and revokes the old one', async (t) => {
    const run = uniqueSuffix();
    const description = `Deploys ${run}`;
    const { context, page } = await newPageWith(browser);
    people.push({ context, page });
    await signInAsDev(page, server.baseUrl, `Ada Lovelace ${run}`);
    const orgSlug = await createOrg(page, server.baseUrl, `Acme Corp ${run}`);
    const listPath = `/o/${orgSlug}/settings/api-keys`;
    await page.goto(`${server.baseUrl}${listPath}`);
    const oldToken = await createKey(page, listPath, { description });
    await newKeyDialog(page).getByRole('button', { name: 'Done', exact: true }).click();
    await newKeyDialog(page).getByRole('button', { name: 'Close anyway', exact: true }).click();

    // Roll: a modal dialog names the key and asks for the overlap, 24 hours unless changed.
    const { row: oldRow } = await rowOf(page, idOf(oldToken));
    await oldRow.getByRole('link', { name: `Roll ${description}`, exact: true }).click();
    const roll = rollDialog(page);
    await roll.waitFor({ state: 'visible' });
    assert.deepEqual(await dialogState(roll), { open: true, modal: true }, 'the roll dialog is open and modal');
    await expectText(roll.getByRole('heading', { level: 2 }), 'Roll API key?');
    await expectText(roll.locator('[data-roll-description]'), description);
    await expectText(roll.locator('[data-roll-hint]'), hintOf(oldToken));
    assert.equal(await roll.getByRole('radio', { name: '24 hours' }).isChecked(), true, '24 hours by default');
    await roll.getByRole('radio', { name: '1 hour' }).check();
    await screenshot(page, 'key-roll-dialog.png');
    await roll.getByRole('button', { name: 'Roll key', exact: true }).click();

    // The successor's token: shown once, in the one-time dialog, copied with its button.
    await expectPath(page, listPath);
    const dialog = newKeyDialog(page);
    await dialog.waitFor({ state: 'visible' });
    const newToken = await tokenField(page).inputValue();
    assert.equal(newToken.length, TOKEN_LENGTH);
    assert.ok(newToken.startsWith('mci_org_'), newToken);
    assert.notEqual(newToken, oldToken, 'a new secret');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
    await expectText(dialog.locator('[data-copy-status]'), 'Copied to the clipboard.');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), newToken, 'the clipboard holds the new key');
    await dialog.getByRole('button', { name: 'Done', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.reload();
    assert.equal(await newKeyDialog(page).count(), 0, 'shown once');

    // Both rows say how they are linked; the old one until when it works.
    const oldKey = await rowOf(page, idOf(oldToken));
    const newKey = await rowOf(page, idOf(newToken));
    assert.match(oldKey.status, new RegExp(`^Rolled — works until .* UTC rolled to ${hintOf(newToken)}$`));
    assert.equal(newKey.status, `Active rolled from ${hintOf(oldToken)}`);
    assert.equal(await oldKey.row.getByRole('link', { name: `Roll ${description}` }).count(), 0, 'rolled once only');
    await screenshot(page, 'keys-rolled.png');

    // Both work during the overlap.
    const whoami = (token) => fetch(`${server.baseUrl}/api/v1/whoami`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal((await whoami(oldToken)).status, 200, 'the old key works during the overlap');
    assert.equal((await whoami(newToken)).status, 200, 'the new key works');

    // Revoke the old key now, through its dialog.
    await oldKey.row.getByRole('link', { name: `Revoke ${description}`, exact: true }).click();
    const confirm = deleteDialog(page);
    await confirm.waitFor({ state: 'visible' });
    await expectText(confirm.locator('[data-revoke-hint]'), hintOf(oldToken));
    await confirm.getByRole('button', { name: 'Revoke key', exact: true }).click();
    await expectPath(page, listPath);
    await expectFlash(
      page,
      `The API key ${hintOf(oldToken)} “${description}” was revoked. It no longer works; it stays listed under Inactive for 90 days.`,
    );
    const response = await whoami(oldToken);
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error.code, 'revoked_key');
    assert.equal(await keysTable(page).locator(`tr#key-${idOf(oldToken)}`).count(), 0, 'not under Active');

    // Under Inactive: revoked, by whom and when.
    await filterForm(page).getByLabel('Status').selectOption('inactive');
    await filterForm(page).getByRole('button', { name: 'Show keys', exact: true }).click();
    await expectPath(page, new RegExp(`^${listPath}\\?.*status=inactive`));
    const revoked = await rowOf(page, idOf(oldToken));
    assert.match(revoked.status, new RegExp(`^Revoked — by Ada Lovelace ${run} on .* UTC rolled to `));
    assert.equal(await keysTable(page).locator(`tr#key-${idOf(newToken)}`).count(), 0, 'the new key is not inactive');
    await screenshot(page, 'keys-inactive.png');
  });
});
