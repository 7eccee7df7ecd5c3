// A key's own page, through the real pages in headless Chromium: requests made
// with the key are counted, written when the server stops gracefully (and
// otherwise once a minute), and shown on the next server's page as a bar chart
// drawn on the server, with a table for screen readers and the last use.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { expectPath, expectText, launchBrowser, readmePicture, screenshot, signInAsDev } from '../lib/browser.mjs';
import { createKey, idOf, newPageWith } from '../lib/keys.mjs';
import { createOrg, uniqueSuffix } from '../lib/orgs.mjs';
import { slug, startServer } from '../lib/server.mjs';

describe('usage per key', () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  let servers = [];
  let contexts = [];
  let tempDir;

  /** A server on the test's own database, which outlives the server. */
  async function serverOn(databaseUrl, name) {
    const server = await startServer({ name, env: { DATABASE_URL: databaseUrl } });
    servers.push(server);
    return server;
  }

  async function signedIn(server, name) {
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

  afterEach(async (t) => {
    for (const { context, page } of contexts) {
      if (t.passed === false) await screenshot(page, `${slug(t.name)}-failure.png`).catch(() => {});
      await context.close().catch(() => {});
    }
    contexts = [];
    for (const server of servers) await server.stop();
    servers = [];
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    tempDir = undefined;
  });

  test('requests made with a key show on its page as a chart and a table', async (t) => {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'monkeyci-e2e-usage-'));
    const databaseUrl = process.env.E2E_DATABASE_URL || `sqlite://${path.join(tempDir, 'monkeyci.db')}`;
    const run = uniqueSuffix();
    const adaName = `Ada Lovelace ${run}`;

    const first = await serverOn(databaseUrl, `${t.name} first`);
    const ada = await signedIn(first, adaName);
    const orgSlug = await createOrg(ada, first.baseUrl, `Acme Corp ${run}`);
    const list = `/o/${orgSlug}/settings/api-keys`;
    await ada.goto(`${first.baseUrl}${list}`);
    const token = await createKey(ada, list, { description: 'Nightly deploys', validUntil: '' });
    for (let i = 0; i < 12; i++) {
      const answer = await fetch(`${first.baseUrl}/api/v1/whoami`, {
        headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'deploy-script/2.1' },
      });
      assert.equal(answer.status, 200);
    }
    // A graceful stop writes what was counted since the last minute.
    await first.stop();

    const second = await serverOn(databaseUrl, `${t.name} second`);
    const page = await signedIn(second, adaName);
    await page.goto(`${second.baseUrl}${list}`);
    await page.locator(`#key-${idOf(token)}`).getByRole('link', { name: 'Nightly deploys', exact: true }).click();
    await expectPath(page, `${list}/${idOf(token)}`);
    await expectText(page.getByRole('heading', { name: 'Nightly deploys' }), 'Nightly deploys');

    const usage = page.getByTestId('key-usage');
    await expectText(
      usage.getByTestId('usage-summary'),
      /^12 requests in the last 30 days, the most on .* \(12\)\. The tallest bar is 12\.$/,
    );
    const chart = page.getByRole('img', { name: /^12 requests in the last 30 days/ });
    assert.equal(await chart.locator('rect').count(), 30, 'a bar per day');
    const heights = await chart.locator('rect').evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('height'))));
    assert.ok(heights[29] > 0 && heights.slice(0, 29).every((h) => h === 0), `only today has a bar: ${heights}`);
    const table = page.getByRole('table', { name: 'Requests per day, last 30 days' });
    assert.equal(await table.locator('tbody tr').count(), 30);
    await expectText(table.locator('tbody tr').last().locator('td'), '12');

    const lastUsed = page.getByTestId('key-last-used');
    await expectText(lastUsed.locator('span').nth(1), 'from 127.0.0.1');
    await expectText(lastUsed.locator('span').nth(2), 'deploy-script/2.1');
    await usage.evaluate((section) => section.scrollIntoView({ block: 'start' }));
    await readmePicture(page, 'key-usage');
  });
});
