// Helpers for the organization pages: unique names, the header's organization
// switcher, tables as text, and the steps of the join story done through the real pages.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { expectPath, expectText } from './browser.mjs';

/**
 * A short lower-case suffix for names that must be unique in a run: with
 * E2E_DATABASE_URL all tests share one database, and development sign-in reuses
 * the user of an already-seen name.
 */
export function uniqueSuffix() {
  return randomBytes(4).toString('hex').slice(0, 6);
}

/** The flash message(s) at the top of the page (role=status, or role=alert for an error). */
export function flash(page) {
  return page.locator('main > .flash');
}

/** The header's "Organizations" dropdown (a <details>). */
export function orgSwitcher(page) {
  return page.locator('header').getByTestId('org-switcher');
}

/** Opens the header's organization switcher and returns it (waits until it is open). */
export async function openOrgSwitcher(page) {
  const switcher = orgSwitcher(page);
  if ((await switcher.getAttribute('open')) === null) {
    await switcher.locator('summary').click();
  }
  await switcher.getByRole('link', { name: 'New organization', exact: true }).waitFor({ state: 'visible' });
  assert.notEqual(await switcher.getAttribute('open'), null, 'the organization switcher should be open');
  return switcher;
}

/** The names of the organizations in the header's switcher (before the separator). */
export async function switcherOrgNames(page) {
  const links = orgSwitcher(page).locator('.menu a[data-org-link]');
  return (await links.allTextContents()).map((name) => name.trim());
}

/** The link of the header's switcher to the organization called `orgName` (open the switcher first). */
export function switcherOrgLink(page, orgName) {
  return orgSwitcher(page).locator('.menu a[data-org-link]', { hasText: new RegExp(`^\\s*${escapeRegExp(orgName)}\\s*$`) });
}

/** The header's account menu (a <details>), opened. */
export async function openAccountMenu(page) {
  const menu = page.locator('header').getByTestId('account-menu');
  if ((await menu.getAttribute('open')) === null) await menu.locator('summary').click();
  await menu.getByRole('button', { name: 'Sign out', exact: true }).waitFor({ state: 'visible' });
  return menu;
}

/** A table's body rows as arrays of trimmed cell texts. */
export async function tableRows(table) {
  const rows = [];
  for (const row of await table.locator('tbody tr').all()) {
    rows.push((await row.locator('td').allInnerTexts()).map((cell) => cell.trim()));
  }
  return rows;
}

/** The body row of `table` whose first cell is exactly `text`. */
export function rowNamed(table, text) {
  return table.locator('tbody tr').filter({
    has: table.page().locator('td:first-child', { hasText: new RegExp(`^\\s*${escapeRegExp(text)}(\\s|$)`) }),
  });
}

export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The "Organization settings" tabs. */
export function settingsTabs(page) {
  return page.getByRole('navigation', { name: 'Organization settings' });
}

/** Clicks a settings tab and checks the page marks it current. */
export async function openSettingsTab(page, slug, label, pathPart) {
  await settingsTabs(page).getByRole('link', { name: label, exact: true }).click();
  await expectPath(page, `/o/${slug}/settings/${pathPart}`);
  await expectText(page.getByRole('heading', { level: 1 }), 'Organization settings');
  const current = settingsTabs(page).locator('a[aria-current=page]');
  await expectText(current, label);
}

/**
 * Creates an organization through /orgs/new (address left empty unless given);
 * returns its slug, read from the address the app redirected to.
 */
export async function createOrg(page, baseUrl, name, { address = '' } = {}) {
  await page.goto(`${baseUrl}/orgs/new`);
  await page.getByLabel('Name', { exact: true }).fill(name);
  if (address) await page.getByLabel('Address', { exact: true }).fill(address);
  await page.getByRole('button', { name: 'Create organization', exact: true }).click();
  const path = await expectPath(page, /^\/o\/[a-z0-9-]+$/);
  await expectText(flash(page), `${name} was created. You are its admin.`);
  return path.slice('/o/'.length);
}

/** Searches /orgs for `orgName` and presses "Ask to join" on its row. */
export async function askToJoin(page, baseUrl, orgName) {
  await page.goto(`${baseUrl}/orgs`);
  await page.getByLabel('Name or address', { exact: true }).fill(orgName);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expectPath(page, /^\/orgs\?q=/);
  const row = rowNamed(page.getByTestId('search-results'), orgName);
  await row.getByRole('button', { name: `Ask to join ${orgName}`, exact: true }).click();
  await expectPath(page, '/orgs');
  await expectText(flash(page), `You asked to join ${orgName}. Its admins will answer your request.`);
}

/** As an admin: approves `personName`'s pending request on the Members settings page. */
export async function approveRequest(page, baseUrl, slug, personName) {
  await page.goto(`${baseUrl}/o/${slug}/settings/members`);
  const row = rowNamed(page.getByTestId('join-requests'), personName);
  await row.getByRole('button', { name: `Approve ${personName}`, exact: true }).click();
  await expectPath(page, `/o/${slug}/settings/members`);
  await expectText(flash(page), 'The request was approved: they are now a member.');
}

/**
 * What covers the middle of `locator`'s element, if something other than the element
 * (or its own content) is on top there, as "tag.class 'text'"; null when nothing does.
 * A person's click at that point would hit the covering element instead.
 */
export async function coveredBy(locator) {
  await locator.scrollIntoViewIfNeeded();
  return locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    if (!top || element === top || element.contains(top)) return null;
    const hit = top.closest('button, a, input, select') || top;
    const classes = [...hit.classList].map((c) => `.${c}`).join('');
    return `${hit.tagName.toLowerCase()}${classes} '${hit.textContent.trim().replace(/\s+/g, ' ')}'`;
  });
}

/**
 * Presses a button with the keyboard (focus, Enter): works even when the button is
 * partly covered, as a keyboard user would.
 */
export async function pressWithKeyboard(button) {
  await button.focus();
  await button.press('Enter');
}

/**
 * Panels whose content is wider than the panel (they then scroll sideways, hiding the
 * right-hand part): "heading: content px > panel px" for each.
 */
export async function overflowingPanels(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('main .panel')]
      .filter((panel) => panel.scrollWidth > panel.clientWidth + 1)
      .map((panel) => {
        const heading = panel.querySelector('h2')?.textContent.trim() || '(no heading)';
        return `${heading}: content ${panel.scrollWidth} px > panel ${panel.clientWidth} px`;
      }),
  );
}
