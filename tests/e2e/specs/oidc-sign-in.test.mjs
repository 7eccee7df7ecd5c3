// Sign-in with a generic OpenID Connect provider (a mock one, lib/oidc.mjs), through
// the real pages in headless Chromium. Each test starts its own provider and its own
// server configured for it (so development sign-in is off), and stops both after.
// Every test uses its own `sub` (random suffix): with E2E_DATABASE_URL all tests of a
// run share one database.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import {
  expectPath,
  expectText,
  headerUserName,
  launchBrowser,
  newPage,
  screenshot,
} from '../lib/browser.mjs';
import { startOidcProvider } from '../lib/oidc.mjs';
import { slug, startServer } from '../lib/server.mjs';

const PROVIDER_NAME = 'Test ID';

/** Claims of a person unique to this run: `sub`, login and email carry a random suffix. */
function person(name, handle) {
  const suffix = randomUUID().slice(0, 8);
  return {
    sub: `${handle}-${suffix}`,
    name,
    preferred_username: `${handle}-${suffix}`,
    email: `${handle}-${suffix}@example.test`,
    // As real providers say it: only a verified address is used for mail.
    email_verified: true,
  };
}

/** The rows of the sign-in methods table as [platform, account, email] texts. */
async function identityRows(page) {
  const rows = page.getByTestId('identities').locator('tbody tr');
  const result = [];
  for (const row of await rows.all()) {
    const cells = await row.locator('td').allInnerTexts();
    result.push(cells.slice(0, 3).map((c) => c.trim()));
  }
  return result;
}

describe('OpenID Connect sign-in', () => {
  /** @type {import('playwright-core').Browser} */
  let browser;
  let provider;
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
    provider = await startOidcProvider();
    server = await startServer({ name: t.name, env: provider.serverEnv({ name: PROVIDER_NAME }) });
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
      const [s, p] = [server, provider];
      server = provider = undefined;
      try {
        await s?.stop();
      } finally {
        await p?.stop();
      }
    }
  });

  /** Presses "Sign in with Test ID" on the sign-in page and waits to be back home, signed in. */
  async function signInWithProvider(expectedName) {
    await page.goto(`${server.baseUrl}/login`);
    await page.getByRole('link', { name: `Sign in with ${PROVIDER_NAME}`, exact: true }).click();
    await expectPath(page, '/');
    await expectText(headerUserName(page), expectedName);
  }

  async function signOut() {
    const menu = page.locator('header details.user-menu');
    await menu.locator('summary').click();
    await menu.getByRole('button', { name: 'Sign out' }).click();
    await expectPath(page, '/');
    await page.locator('header').getByRole('link', { name: 'Sign in', exact: true }).waitFor({ state: 'visible' });
    assert.equal(await headerUserName(page).count(), 0);
  }

  test('a person signs in with the provider and sees their name and linked identity', async () => {
    const margaret = person('Margaret Hamilton', 'mhamilton');
    provider.setUser(margaret);

    await page.goto(`${server.baseUrl}/login`);
    await expectText(page.getByRole('heading', { level: 1 }), 'Sign in to MonkeyCI');
    const button = page.getByRole('link', { name: `Sign in with ${PROVIDER_NAME}`, exact: true });
    await button.waitFor({ state: 'visible' });
    assert.equal(await button.getAttribute('href'), '/auth/oidc/login');
    // A platform is configured, so development sign-in is off.
    assert.equal(await page.getByLabel('Your name').count(), 0);
    assert.equal(await page.locator('.dev-banner').count(), 0);
    await screenshot(page, 'oidc-sign-in-page.png');

    await button.click();

    await expectPath(page, '/');
    await expectText(headerUserName(page), 'Margaret Hamilton');
    await expectText(page.getByRole('heading', { level: 1 }), 'Welcome, Margaret Hamilton');
    assert.equal(await page.locator('header').getByRole('link', { name: 'Sign in' }).count(), 0);
    await screenshot(page, 'oidc-signed-in.png');

    // What the app asked of the provider, and what it got.
    assert.equal(provider.authorizeRequests.length, 1);
    const { query } = provider.authorizeRequests[0];
    assert.equal(query.response_type, 'code');
    assert.equal(query.client_id, provider.clientId);
    assert.equal(query.redirect_uri, `${server.baseUrl}/auth/oidc/callback`);
    assert.deepEqual(query.scope.split(' ').sort(), ['email', 'openid', 'profile']);
    assert.equal(query.code_challenge_method, 'S256');
    assert.match(query.code_challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(query.state, 'the authorize request has a state');
    assert.ok(query.nonce, 'the authorize request has a nonce');

    assert.equal(provider.tokenRequests.length, 1);
    const tokenRequest = provider.tokenRequests[0];
    assert.equal(tokenRequest.grantType, 'authorization_code');
    assert.equal(tokenRequest.statusCode, 200);
    assert.equal(tokenRequest.clientId, provider.clientId);
    assert.equal(tokenRequest.clientSecret, provider.clientSecret);
    assert.equal(tokenRequest.redirectUri, `${server.baseUrl}/auth/oidc/callback`);
    assert.ok(tokenRequest.codeVerifier, 'the code exchange sends the PKCE verifier');

    assert.equal(provider.idTokens.length, 1);
    const idToken = provider.idTokens[0];
    assert.equal(idToken.iss, provider.issuerUrl);
    assert.equal(idToken.aud, provider.clientId);
    assert.equal(idToken.nonce, query.nonce);
    assert.equal(idToken.sub, margaret.sub);

    await page.goto(`${server.baseUrl}/settings/sign-in-methods`);
    await page.getByTestId('identities').waitFor({ state: 'visible' });
    assert.deepEqual(await identityRows(page), [
      [PROVIDER_NAME, margaret.preferred_username, margaret.email],
    ]);
    await screenshot(page, 'sign-in-methods.png');
  });

  test('signing in again with the same subject reuses the account', async () => {
    const first = person('Margaret Hamilton', 'mh-again');
    provider.setUser(first);
    await signInWithProvider('Margaret Hamilton');
    await signOut();

    // Same person at the provider (same sub), who changed their name there.
    provider.setUser({ ...first, name: 'Margaret H. Hamilton' });
    await signInWithProvider('Margaret Hamilton');
    // The account keeps the display name it got at the first sign-in.
    await expectText(page.getByRole('heading', { level: 1 }), 'Welcome, Margaret Hamilton');
    assert.equal(provider.tokenRequests.length, 2);
    assert.ok(provider.tokenRequests.every((r) => r.statusCode === 200));

    await page.goto(`${server.baseUrl}/settings/sign-in-methods`);
    await page.getByTestId('identities').waitFor({ state: 'visible' });
    assert.deepEqual(await identityRows(page), [[PROVIDER_NAME, first.preferred_username, first.email]]);
  });

  test('cancelling at the provider shows a friendly page whose "Try again" signs in', async () => {
    const katherine = person('Katherine Johnson', 'kjohnson');
    provider.setUser(katherine);
    provider.cancelNextAuthorization();

    await page.goto(`${server.baseUrl}/login`);
    await page.getByRole('link', { name: `Sign in with ${PROVIDER_NAME}`, exact: true }).click();

    await expectPath(page, /^\/auth\/oidc\/callback\?/);
    const callback = new URL(page.url()).searchParams;
    assert.equal(callback.get('error'), 'access_denied');
    assert.equal(callback.get('code'), null);
    assert.equal(provider.authorizeRequests.length, 1);
    assert.equal(callback.get('state'), provider.authorizeRequests[0].query.state);

    const failed = page.getByTestId('sign-in-failed');
    await failed.waitFor({ state: 'visible' });
    await expectText(failed.getByRole('heading', { level: 1 }), 'Sign-in cancelled');
    await expectText(failed.locator('p.lead'), `You cancelled signing in with ${PROVIDER_NAME}. Nothing was changed.`);
    assert.equal(await headerUserName(page).count(), 0);
    assert.equal(provider.tokenRequests.length, 0, 'no code was exchanged');
    await screenshot(page, 'oidc-cancelled.png');

    // The cancel was for one trip only: trying again signs the person in.
    await failed.getByRole('link', { name: 'Try again', exact: true }).click();
    await expectPath(page, '/');
    await expectText(headerUserName(page), 'Katherine Johnson');
    await expectText(page.getByRole('heading', { level: 1 }), 'Welcome, Katherine Johnson');
    assert.equal(provider.authorizeRequests.length, 2);
    assert.equal(provider.authorizeRequests[1].cancelled, false);
  });
});
