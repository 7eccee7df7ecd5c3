// Headless Debian Chromium driven by playwright-core, plus page helpers.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { expectAccessible } from './axe.mjs';
import { artifactsDir, repoRoot } from './server.mjs';

export { artifactsDir };

/** Debian's Chromium; CHROMIUM_PATH overrides it. playwright-core never downloads a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How long a locator or navigation may take before a test fails. */
export const TIMEOUT_MS = 10_000;

/** Launches the browser; close it with `await browser.close()`. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/** A fresh context (own cookies and storage) with one page. Close with `await context.close()`. */
export async function newPage(browser) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  context.setDefaultNavigationTimeout(TIMEOUT_MS);
  const page = await context.newPage();
  return { context, page };
}

/**
 * Saves a full-page PNG as artifacts/<name> (".png" added if missing); returns its path.
 * Every state worth a picture is also scanned by axe-core first: any violation fails the test.
 */
export async function screenshot(page, name) {
  await expectAccessible(page, `the state photographed as ${name}`);
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Where the README's pictures live. */
export const readmePicturesDir = path.join(repoRoot, 'docs', 'screenshots');

/**
 * A picture for the README: what the window shows (not the full page), scanned by axe-core,
 * written to docs/screenshots/<name>.png on the SQLite run and to the artifacts on every run.
 * `hide` covers elements with a grey box: a token, even a dead one from a throwaway server,
 * has no place in a committed file (secret scanners would rightly flag it).
 */
export async function readmePicture(page, name, { hide = [] } = {}) {
  const file = await screenshot(page, `readme-${name}`);
  if ((process.env.E2E_ARTIFACTS_SUFFIX || 'sqlite') !== 'sqlite') return file;
  mkdirSync(readmePicturesDir, { recursive: true });
  const picture = path.join(readmePicturesDir, `${name}.png`);
  await page.screenshot({ path: picture, mask: hide, maskColor: '#d0d7de' });
  return picture;
}

/** The header's signed-in name. */
export function headerUserName(page) {
  return page.locator('header').getByTestId('user-name');
}

/**
 * Waits until the locator's trimmed text is exactly `expected` (string) or matches it (RegExp),
 * failing with the last text seen.
 */
export async function expectText(locator, expected, { timeout = TIMEOUT_MS } = {}) {
  const matches = (text) =>
    expected instanceof RegExp ? expected.test(text) : text === expected;
  const deadline = Date.now() + timeout;
  let last = '(no element)';
  for (;;) {
    try {
      const count = await locator.count();
      if (count === 1) {
        last = (await locator.innerText({ timeout: 1000 })).trim();
        if (matches(last)) return last;
      } else if (count > 1) {
        last = `(${count} elements)`;
      } else {
        last = '(no element)';
      }
    } catch (error) {
      last = `(error: ${error.message.split('\n')[0]})`;
    }
    if (Date.now() > deadline) {
      throw new Error(`expected ${locator} to have text ${expected}, last seen: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the page's path (and query) is `expected` (string) or matches it (RegExp). */
export async function expectPath(page, expected, { timeout = TIMEOUT_MS } = {}) {
  const current = () => {
    const url = new URL(page.url());
    return url.pathname + url.search;
  };
  const matches = (p) => (expected instanceof RegExp ? expected.test(p) : p === expected);
  try {
    await page.waitForURL((url) => matches(url.pathname + url.search), { timeout });
  } catch {
    throw new Error(`expected the page to be at ${expected}, it is at ${current()}`);
  }
  return current();
}

/** Signs in with development sign-in through the real sign-in page, as a person would. */
export async function signInAsDev(page, baseUrl, name) {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectText(headerUserName(page), name);
}
