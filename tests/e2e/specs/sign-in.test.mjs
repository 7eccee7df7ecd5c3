// Development sign-in, sign-out and the profile page, through the real pages in headless Chromium.
// Each test gets its own server (fresh database) and its own browser context.

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import {
  expectPath,
  expectText,
  headerUserName,
  launchBrowser,
  newPage,
  screenshot,
  signInAsDev,
} from '../lib/browser.mjs';
import { slug, startServer } from '../lib/server.mjs';

describe('development sign-in', () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  let server;
  let context;
  /** @type {import('playwright-core').Page} */
  let page;

  before(async () => {
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  beforeEach(async (t) => {
    server = await startServer({ name: t.name });
    ({ context, page } = await newPage(browser));
  });

  afterEach(async (t) => {
    try {
      if (page && t.passed === false) {
        await screenshot(page, `${slug(t.name)}-failure.png`).catch(() => {});
      }
      await context?.close();
    } finally {
      context = page = undefined;
      const s = server;
      server = undefined;
      await s?.stop();
    }
  });

  test('a person signs in and sees their name in the header and the welcome', async () => {
    const name = 'Ada Lovelace';
    await page.goto(`${server.baseUrl}/login`);
    await expectText(page.getByRole('heading', { level: 1 }), 'Sign in to MonkeyCI');
    await page.getByLabel('Your name').fill(name);
    await screenshot(page, 'sign-in-page.png');

    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await expectPath(page, '/');
    await expectText(headerUserName(page), name);
    await expectText(page.getByRole('heading', { level: 1 }), `Welcome, ${name}`);
    assert.equal(await page.locator('header').getByRole('link', { name: 'Sign in' }).count(), 0);
    await screenshot(page, 'signed-in-home.png');
  });

  test('an empty name is refused next to the field', async () => {
    await page.goto(`${server.baseUrl}/login`);
    const response = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/auth/dev/login',
    );
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    assert.equal((await response).status(), 422);

    // The error sits in the field's own block and is tied to the input.
    const field = page.locator('.field').filter({ has: page.locator('#name') });
    await expectText(field.locator('.field-error'), 'Enter a name.');
    const input = page.getByLabel('Your name');
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.equal(await input.getAttribute('aria-describedby'), 'name-error');
    await expectText(page.locator('#name-error'), 'Enter a name.');

    // Still the sign-in form, still anonymous.
    await expectText(page.getByRole('heading', { level: 1 }), 'Sign in to MonkeyCI');
    assert.equal(await input.inputValue(), '');
    assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).count(), 1);
    assert.equal(await headerUserName(page).count(), 0);
    await screenshot(page, 'sign-in-empty-name.png');
  });

  test('signing out through the user menu leaves the person anonymous', async () => {
    await signInAsDev(page, server.baseUrl, 'Alan Turing');

    const menu = page.locator('header details.user-menu');
    await menu.locator('summary').click();
    assert.equal(await menu.getAttribute('open'), '');
    await menu.getByRole('button', { name: 'Sign out' }).click();

    await expectPath(page, '/');
    const signInLink = page.locator('header').getByRole('link', { name: 'Sign in', exact: true });
    await signInLink.waitFor({ state: 'visible' });
    assert.equal(await headerUserName(page).count(), 0);

    await page.reload();
    await signInLink.waitFor({ state: 'visible' });
    assert.equal(await headerUserName(page).count(), 0);

    await page.goto(`${server.baseUrl}/settings/profile`);
    await expectPath(page, /^\/login(\?|$)/);
    await page.getByLabel('Your name').waitFor({ state: 'visible' });
    assert.equal(await headerUserName(page).count(), 0);
  });

  test('renaming on the profile page saves and shows the new name', async () => {
    await signInAsDev(page, server.baseUrl, 'Grace Hopper');
    await page.goto(`${server.baseUrl}/settings/profile`);
    const input = page.getByLabel('Display name');
    assert.equal(await input.inputValue(), 'Grace Hopper');

    await input.fill('Rear Admiral Grace Hopper');
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    await expectText(page.locator('main > .flash[role=status]'), 'Your profile has been saved.');
    await expectPath(page, '/settings/profile');
    await expectText(headerUserName(page), 'Rear Admiral Grace Hopper');
    assert.equal(await page.getByLabel('Display name').inputValue(), 'Rear Admiral Grace Hopper');
    await screenshot(page, 'profile.png');

    // The new name sticks: the home page greets it too.
    await page.goto(`${server.baseUrl}/`);
    await expectText(page.getByRole('heading', { level: 1 }), 'Welcome, Rear Admiral Grace Hopper');
  });
});
