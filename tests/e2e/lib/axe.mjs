// Accessibility checks with axe-core (the npm package), run inside the page under test.
//
// Every screenshot the browser tests take is also an axe scan (see `screenshot` in
// browser.mjs), so each page and state a test shows — dialogs open, errors shown, phone
// widths — must have zero violations of any impact. `specs/accessibility.test.mjs` visits
// the pages no other test photographs.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** axe-core's browser bundle, injected into each page before a scan. */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's violations on the page as it is now, as readable lines (rule, impact, what to
 * fix, and the first few elements). Empty when there are none.
 *
 * The script is evaluated through the DevTools protocol, which the page's Content Security
 * Policy does not govern, so the page's own policy stays exactly as the server sent it. A
 * page whose scripts are off gets no timers, which axe needs: its DOM is scanned in a copy.
 */
export async function accessibilityViolations(page) {
  if (await scriptsRun(page)) return scan(page);
  const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
  const origin = new URL(page.url()).origin;
  const copy = await page.context().browser().newContext({ viewport: page.viewportSize() });
  try {
    const copyPage = await copy.newPage();
    await copyPage.setContent(html.replace(/<head>/i, `<head><base href="${origin}/">`), { waitUntil: 'load' });
    return await scan(copyPage);
  } finally {
    await copy.close();
  }
}

/** Whether the page runs timers (false in a context made with `javaScriptEnabled: false`). */
async function scriptsRun(page) {
  const tick = page.evaluate(() => new Promise((resolve) => setTimeout(() => resolve(true), 0)));
  const wait = new Promise((resolve) => setTimeout(() => resolve(false), 1000));
  return Promise.race([tick, wait]);
}

async function scan(page) {
  // A dialog fading in has, for 150 ms, colours it will not keep: judge the settled page.
  // Only what is shown counts (a closed <details> holds its menu's animation, never run),
  // and no longer than two seconds.
  await page.evaluate(() => {
    const shown = document.getAnimations().filter((a) => a.effect?.target?.checkVisibility?.() ?? true);
    const settled = Promise.all(shown.map((a) => a.finished.catch(() => {})));
    return Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 2000))]);
  });
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(AXE_SOURCE);
  }
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  return violations.map((v) => {
    const shown = v.nodes
      .slice(0, 5)
      .map((n) => `    ${n.target}: ${n.summary.replace(/\s+/g, ' ')}`)
      .join('\n');
    const more = v.nodes.length > 5 ? `\n    … and ${v.nodes.length - 5} more` : '';
    return `${v.id} (${v.impact}, ${v.nodes.length} element(s)): ${v.help}\n${shown}${more}`;
  });
}

/** Fails, naming each violation, unless axe-core finds none on the page as it is now. */
export async function expectAccessible(page, state) {
  const found = await accessibilityViolations(page);
  if (found.length > 0) {
    throw new Error(`axe-core found ${found.length} violation(s) on ${state} (${page.url()}):\n${found.join('\n')}`);
  }
}
