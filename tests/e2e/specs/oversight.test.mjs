// An organization's oversight of its members' user keys, through the real pages in
// headless Chromium: an admin blocks a member's key from the organization (a dialog
// with scripts, a confirmation page without), the member sees it on their own keys
// page, and the key policy asks before it stops keys that work.
// Each test gets its own server; each person is their own browser context.

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import { expectPath, expectText, launchBrowser, screenshot, signInAsDev } from '../lib/browser.mjs';
import { createKey, dialogState, expectFlash, hintOf, idOf, newPageWith } from '../lib/keys.mjs';
import {
  approveRequest,
  askToJoin,
  createOrg,
  escapeRegExp,
  flash,
  overflowingPanels,
  uniqueSuffix,
} from '../lib/orgs.mjs';
import { slug, startServer } from '../lib/server.mjs';

/** `text` with any white space (a line break in a cell) where it has a space. */
function spaced(text) {
  return new RegExp(`^${escapeRegExp(text).replace(/ /g, '\\s+')}$`);
}

describe('members’ user keys', () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  let server;
  let people = [];

  async function signedInPerson(name, options = {}) {
    const { context, page } = await newPageWith(browser, options);
    people.push({ who: name.split(' ')[0].toLowerCase(), context, page });
    await signInAsDev(page, server.baseUrl, name);
    return page;
  }

  async function snap(t, page, name) {
    for (const overflow of await overflowingPanels(page)) t.diagnostic(`layout: ${name}: ${overflow}`);
    await screenshot(page, name);
  }

  /** Ada's organization with Grace as a member, and a user key of Grace's: its token. */
  async function memberWithKey(ada, grace, { graceName, orgName }) {
    const base = server.baseUrl;
    const orgSlug = await createOrg(ada, base, orgName);
    await askToJoin(grace, base, orgName);
    await approveRequest(ada, base, orgSlug, graceName);
    await grace.goto(`${base}/settings/api-keys`);
    const token = await createKey(grace, '/settings/api-keys', { description: 'Grace’s laptop', validUntil: '' });
    return { orgSlug, token };
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
        if (t.passed === false) {
          await screenshot(page, `${slug(t.name)}-failure-${who}.png`).catch(() => {});
        }
        await context.close().catch(() => {});
      }
    } finally {
      people = [];
      const s = server;
      server = undefined;
      await s?.stop();
    }
  });

  test('an admin blocks a member’s key in a dialog and the member sees who blocked it', async (t) => {
    const run = uniqueSuffix();
    const names = { adaName: `Ada Lovelace ${run}`, graceName: `Grace Hopper ${run}`, orgName: `Acme Corp ${run}` };
    const { graceName, orgName } = names;
    const base = server.baseUrl;
    const ada = await signedInPerson(names.adaName);
    const grace = await signedInPerson(graceName);
    const { orgSlug, token } = await memberWithKey(ada, grace, names);
    const id = idOf(token);

    // From the organization's API keys, the second view lists the members' user keys.
    await ada.goto(`${base}/o/${orgSlug}/settings/api-keys`);
    const subnav = ada.getByRole('navigation', { name: 'API keys' });
    await subnav.getByRole('link', { name: "Members' user keys", exact: true }).click();
    await expectPath(ada, `/o/${orgSlug}/settings/api-keys/members`);
    await expectText(subnav.locator('a[aria-current=page]'), "Members' user keys");
    const row = ada.locator(`#member-key-${id}`);
    await expectText(row.locator('td').nth(0), spaced(`${graceName} dev: ${graceName}`));
    await expectText(row.locator('td[data-label=Status]'), 'Active');
    await snap(t, ada, 'member-keys.png');

    // Block opens a dialog naming the key and its owner; Cancel keeps it working.
    const block = row.getByRole('link', { name: `Block Grace’s laptop of ${graceName}`, exact: true });
    await block.click();
    const dialog = ada.getByTestId('block-key-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert.deepEqual(await dialogState(dialog), { open: true, modal: true }, 'the block dialog should be modal');
    await expectText(
      dialog.locator('p'),
      `Block Grace’s laptop (${hintOf(token)}) of ${graceName} (dev: ${graceName}) from ${orgName}? It stops working here at its next request and keeps working in the owner's other organizations. You can unblock it later.`,
    );
    await snap(t, ada, 'member-keys-block-dialog.png');
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expectText(row.locator('td[data-label=Status]'), 'Active');

    await block.click();
    await dialog.getByRole('button', { name: 'Block key', exact: true }).click();
    await expectPath(ada, `/o/${orgSlug}/settings/api-keys/members`);
    await expectText(
      flash(ada),
      `The user key ${hintOf(token)} “Grace’s laptop” of ${graceName} is blocked from ${orgName}. It keeps working in the owner's other organizations.`,
    );
    await expectText(row.locator('td[data-label=Status]'), 'Blocked');

    // The key gets 404 in the organization.
    const answer = await fetch(`${base}/api/v1/orgs/${orgSlug}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(answer.status, 404);

    // Grace sees it on her keys page.
    await grace.goto(`${base}/settings/api-keys`);
    await expectText(grace.locator(`#key-${id} [data-testid=blocked-by]`), `Blocked by ${orgName}`);
    await snap(t, grace, 'user-keys-blocked-by.png');

    // Unblocking lets it in again.
    await row.getByRole('button', { name: `Unblock Grace’s laptop of ${graceName}`, exact: true }).click();
    await expectFlash(ada, `The user key ${hintOf(token)} “Grace’s laptop” of ${graceName} may reach ${orgName} again.`);
    await expectText(row.locator('td[data-label=Status]'), 'Active');
    await grace.reload();
    assert.equal(await grace.locator('[data-testid=blocked-by]').count(), 0);
  });

  test('without JavaScript, Block goes through a confirmation page and the policy asks first', async (t) => {
    const run = uniqueSuffix();
    const names = { adaName: `Ada Lovelace ${run}`, graceName: `Grace Hopper ${run}`, orgName: `Acme Corp ${run}` };
    const { graceName, orgName } = names;
    const base = server.baseUrl;
    const ada = await signedInPerson(names.adaName, { javaScriptEnabled: false });
    const grace = await signedInPerson(graceName, { javaScriptEnabled: false });
    const { orgSlug, token } = await memberWithKey(ada, grace, names);
    const id = idOf(token);

    await ada.goto(`${base}/o/${orgSlug}/settings/api-keys/members`);
    const row = ada.locator(`#member-key-${id}`);
    await row.getByRole('link', { name: `Block Grace’s laptop of ${graceName}`, exact: true }).click();
    await expectPath(ada, `/o/${orgSlug}/settings/api-keys/members/${id}/block`);
    const confirm = ada.getByTestId('confirm-block');
    await expectText(confirm.getByRole('heading', { level: 2 }), 'Block this user key?');
    await snap(t, ada, 'member-keys-block-page.png');
    await confirm.getByRole('button', { name: 'Block key', exact: true }).click();
    await expectPath(ada, `/o/${orgSlug}/settings/api-keys/members`);
    await expectText(row.locator('td[data-label=Status]'), 'Blocked');
    await grace.goto(`${base}/settings/api-keys`);
    await expectText(grace.locator(`#key-${id} [data-testid=blocked-by]`), `Blocked by ${orgName}`);
    await row.getByRole('button', { name: `Unblock Grace’s laptop of ${graceName}`, exact: true }).click();
    await expectText(row.locator('td[data-label=Status]'), 'Active');

    // The key policy: letting no user keys in would stop Grace's key; the page says so first.
    await ada.goto(`${base}/o/${orgSlug}/settings/general`);
    await ada.getByLabel('No user keys (only this organization\'s keys)', { exact: true }).check();
    await ada.getByRole('button', { name: 'Save policy', exact: true }).click();
    await expectPath(ada, `/o/${orgSlug}/settings/key-policy`);
    await expectText(
      ada.getByTestId('policy-impact'),
      `This change stops 1 key from working in ${orgName} at their next request: 1 member's user key. Save anyway?`,
    );
    await snap(t, ada, 'key-policy-question.png');
    await ada.getByRole('button', { name: 'Save anyway', exact: true }).click();
    await expectPath(ada, `/o/${orgSlug}/settings/general`);
    await expectText(flash(ada), 'The API key policy was saved.');
    await ada.goto(`${base}/o/${orgSlug}/settings/api-keys/members`);
    await expectText(
      row.locator('td[data-label=Status]'),
      spaced('Not allowed by the key policy Not allowed: the organization lets no user keys in.'),
    );
  });
});
