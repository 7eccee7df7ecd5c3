// Helpers for the API keys screens (Organization settings > API keys and User settings >
// API keys): dates as the app writes them, the Add form, the one-time token dialog, the
// delete dialog, and a browser context with JavaScript turned off.

import assert from 'node:assert/strict';

import { expectPath, expectText, TIMEOUT_MS } from './browser.mjs';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A token: `mci_org_` or `mci_usr_`, 16 + 32 + 6 base62 characters. */
export const TOKEN_LENGTH = 62;

/** `iso` ("2027-03-01") plus `days` (may be negative), as an ISO date; calendar days in UTC. */
export function addDays(iso, days) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d) + days * 86_400_000).toISOString().slice(0, 10);
}

/** "1 Mar 2027" for "2027-03-01", as the app writes dates (no leading zero). */
export function humanDate(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

/** What a valid-until date D means: usable up to the end of the day before D (UTC). */
export function usableUntil(validUntilIso) {
  return `usable until the end of ${humanDate(addDays(validUntilIso, -1))} UTC`;
}

/** The sentence under "Valid until" for a chosen date. */
export function meaningSentence(validUntilIso) {
  return `This key will be ${usableUntil(validUntilIso)}.`;
}

/** The hint lists show for a token: prefix and the first 4 characters of its public id, then "…". */
export function hintOf(token) {
  return `${token.slice(0, 12)}…`;
}

/**
 * A fresh context and page like `newPage`, with extra context options, e.g.
 * `{ javaScriptEnabled: false }`. Close with `await context.close()`.
 */
export async function newPageWith(browser, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    ...options,
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  context.setDefaultNavigationTimeout(TIMEOUT_MS);
  const page = await context.newPage();
  return { context, page };
}

// ---- the parts of the page ---------------------------------------------------

/** The "Add API key" panel. */
export function addKeyPanel(page) {
  return page.locator('section#add-key');
}

export function descriptionInput(page) {
  return addKeyPanel(page).getByLabel('Description', { exact: true });
}

export function validUntilInput(page) {
  return addKeyPanel(page).getByLabel('Valid until', { exact: true });
}

/** The live "This key will be usable until the end of … UTC." sentence. */
export function validUntilMeaning(page) {
  return addKeyPanel(page).locator('[data-valid-until-meaning]');
}

/** The `.field` block holding the input with this id. */
export function fieldOf(page, inputId) {
  return page.locator('.field').filter({ has: page.locator(`#${inputId}`) });
}

/** The list of keys (absent when there are none). */
export function keysTable(page) {
  return page.getByTestId('keys');
}

/** The "No API keys yet" block. */
export function emptyState(page) {
  return page.getByTestId('keys-empty');
}

/** The one-time token dialog. */
export function newKeyDialog(page) {
  return page.getByTestId('new-key-dialog');
}

export function tokenField(page) {
  return page.locator('#new-key-token');
}

/** The "Revoke API key?" confirmation dialog (JavaScript only). */
export function deleteDialog(page) {
  return page.locator('dialog#revoke-key-dialog');
}

/** The "Roll API key?" dialog with its overlap choice (JavaScript only). */
export function rollDialog(page) {
  return page.locator('dialog#roll-key-dialog');
}

/** The "No keys match" block a list shows when its filter leaves nothing. */
export function noMatch(page) {
  return page.getByTestId('keys-no-match');
}

/** Whether a <dialog> is open, and whether it is modal (opened with showModal()). */
export async function dialogState(dialog) {
  return dialog.evaluate((d) => ({ open: d.open, modal: d.matches(':modal') }));
}

/** The server's "today" (UTC), as the date input's data-today carries it. */
export async function serverToday(page) {
  const today = await validUntilInput(page).getAttribute('data-today');
  assert.match(today ?? '', /^\d{4}-\d{2}-\d{2}$/, 'the Valid until input should carry data-today');
  return today;
}

// ---- steps -------------------------------------------------------------------

/**
 * Fills the Add form and presses "Create API key"; returns the POST's response.
 * `validUntil` undefined keeps the suggested date, '' clears it.
 */
export async function submitNewKey(page, { description, validUntil } = {}) {
  if (description !== undefined) await descriptionInput(page).fill(description);
  if (validUntil !== undefined) await validUntilInput(page).fill(validUntil);
  const response = page.waitForResponse(
    (r) => r.request().method() === 'POST' && /\/settings\/api-keys$/.test(new URL(r.url()).pathname),
  );
  await addKeyPanel(page).getByRole('button', { name: 'Create API key', exact: true }).click();
  return response;
}

/**
 * Creates a key and waits for the list page with the token dialog: returns the token.
 */
export async function createKey(page, listPath, { description, validUntil } = {}) {
  const response = await submitNewKey(page, { description, validUntil });
  assert.equal(response.status(), 303, 'creating a key should redirect to the list');
  await expectPath(page, listPath);
  await newKeyDialog(page).waitFor({ state: 'visible' });
  return tokenField(page).inputValue();
}

/** The table cells of the key described `description`, by column name (`id`: the key id itself). */
export async function keyRow(page, description) {
  const rows = keysTable(page).locator('tbody tr').filter({
    has: page.locator('td:first-child', { hasText: description }),
  });
  assert.equal(await rows.count(), 1, `one row should describe “${description}”`);
  const cells = (await rows.locator('td').allInnerTexts()).map((text) => text.trim());
  const [desc, idCell, created, lastUsed, validUntil, status, permissions] = cells;
  const id = (await rows.locator('code.key-id').innerText()).trim();
  return { row: rows, desc, idCell, id, created, lastUsed, validUntil, status, permissions };
}

/** The public id inside a token: the 16 characters after the prefix. */
export function idOf(token) {
  return token.slice(8, 24);
}

/** The descriptions of the listed keys, in order. */
export async function listedDescriptions(page) {
  return (await keysTable(page).locator('tbody tr td:first-child').allInnerTexts()).map((text) => text.trim());
}

/** The filter form above the list. */
export function filterForm(page) {
  return page.getByRole('search', { name: 'Filter API keys' });
}

/** The "Did you copy the key?" warning inside the token dialog. */
export function copyWarning(page) {
  return newKeyDialog(page).locator('[data-copy-warning]');
}

/** What has the focus: its id, tag and text. */
export async function focused(page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    return { id: element?.id ?? '', tag: element?.tagName.toLowerCase() ?? '', text: element?.textContent.trim() ?? '' };
  });
}

/**
 * What has the focus once it is on the element with this id: a script may move
 * it a task after the click that asked for it, so this waits (up to 2 s) first,
 * and then tells what has it, whatever that is.
 */
export async function focusedOn(page, id) {
  await page.waitForFunction((wanted) => document.activeElement?.id === wanted, id, { timeout: 2000 }).catch(() => {});
  return focused(page);
}

/** Waits for the flash message (at the top of main, outside the dialogs). */
export async function expectFlash(page, text) {
  await expectText(page.locator('main > .flash'), text);
}
