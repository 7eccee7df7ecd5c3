// E-mail about API keys through the real pages in headless Chromium: the profile's
// switch that turns mail off and on, and the banners for keys that stop working this
// week (shown without any SMTP server configured, as here).
// Every name carries a random suffix: with E2E_DATABASE_URL all tests share one database.

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import { expectPath, expectText, launchBrowser, screenshot, signInAsDev } from '../lib/browser.mjs';
import { addDays, createKey, newPageWith, serverToday } from '../lib/keys.mjs';
import { createOrg, flash, uniqueSuffix } from '../lib/orgs.mjs';
import { slug, startServer } from '../lib/server.mjs';

describe('e-mail about API keys', () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  let server;
  let contexts = [];

  async function signedInPerson(name) {
    const { context, page } = await newPageWith(browser);
    contexts.push({ context, page });
    await signInAsDev(page, server.baseUrl, name);
    return page;
  }

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  beforeEach(async (t) => {
    server = await startServer({ name: t.name });
    contexts = [];
  });

  afterEach(async (t) => {
    try {
      for (const [i, { context, page }] of contexts.entries()) {
        if (t.passed === false) await screenshot(page, `${slug(t.name)}-failure-${i}.png`).catch(() => {});
        await context.close().catch(() => {});
      }
    } finally {
      contexts = [];
      const s = server;
      server = undefined;
      await s?.stop();
    }
  });

  test('a person turns mail about their keys off and on again on the profile page', async () => {
    const ada = await signedInPerson(`Ada Lovelace ${uniqueSuffix()}`);
    await ada.goto(`${server.baseUrl}/settings/profile`);
    const mail = ada.getByRole('checkbox', { name: 'Send me e-mail about my API keys' });
    await expectText(
      ada.locator('[data-mail-address]'),
      /^None of your sign-in platforms gave a verified e-mail address/,
    );
    assert.equal(await mail.isChecked(), true, 'mail is on until turned off');
    await screenshot(ada, 'mail-profile.png');

    await mail.uncheck();
    await ada.getByRole('button', { name: 'Save e-mail setting', exact: true }).click();
    await expectPath(ada, '/settings/profile');
    await expectText(flash(ada), 'You will no longer get e-mail about your API keys.');
    assert.equal(await mail.isChecked(), false);

    await mail.check();
    await ada.getByRole('button', { name: 'Save e-mail setting', exact: true }).click();
    await expectText(flash(ada), 'You will get e-mail about your API keys.');
    assert.equal(await mail.isChecked(), true);
  });

  test('admins and key owners see the keys that stop working this week, and the link lists them', async () => {
    const run = uniqueSuffix();
    const ada = await signedInPerson(`Ada Lovelace ${run}`);
    const orgSlug = await createOrg(ada, server.baseUrl, `Acme Corp ${run}`);
    const orgKeys = `/o/${orgSlug}/settings/api-keys`;
    await ada.goto(`${server.baseUrl}${orgKeys}`);
    const today = await serverToday(ada);
    await createKey(ada, orgKeys, { description: 'Deploys', validUntil: addDays(today, 3) });
    // The list again, without the one-time dialog (the token is shown once).
    await ada.goto(`${server.baseUrl}${orgKeys}`);
    await createKey(ada, orgKeys, { description: 'Backups', validUntil: addDays(today, 30) });

    await ada.goto(`${server.baseUrl}/o/${orgSlug}`);
    const banner = ada.getByTestId('keys-stopping');
    await expectText(banner, /^1 API key stops working this week\./);
    await screenshot(ada, 'mail-banner-organization.png');
    await banner.getByRole('link').click();
    // The list, active keys only, the soonest to stop first.
    await expectPath(ada, `${orgKeys}?status=active&sort=valid_until`);

    const userKeys = '/settings/api-keys';
    await ada.goto(`${server.baseUrl}${userKeys}`);
    assert.equal(await ada.getByTestId('keys-stopping').count(), 0, 'no user key stops yet');
    await createKey(ada, userKeys, { description: 'Laptop', validUntil: addDays(today, 2) });
    await ada.goto(`${server.baseUrl}${userKeys}`);
    await expectText(ada.getByTestId('keys-stopping'), /^1 API key stops working this week\./);
  });
});
