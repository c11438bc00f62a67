// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, which downloads no
// browser of its own. One browser per test file; pages collect console errors and uncaught
// exceptions so a test can assert a page loads cleanly. Screenshots for the docs are written only
// with FLOTILLA_SCREENSHOTS=1, so ordinary runs never churn the committed images.
import { existsSync } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.FLOTILLA_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
// CI installs Chromium (.ci/run): there a missing browser fails the run instead of skipping the tests that need it.
if (!hasChromium && process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}: the browser tests cannot run (apt-get install chromium)`);
if (!hasChromium) console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set FLOTILLA_CHROMIUM)`);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** A new page at a fixed size; `errors` fills with console errors, page errors and failed requests. */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('requestfailed', (r) => {
    // The event stream is cut when a test ends or the page navigates: not an error of the page.
    if (!r.url().includes('/api/events')) errors.push(`request: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  return { page, errors };
}

const DOCS_IMAGES = path.resolve(import.meta.dirname, '../../docs/images');

/**
 * Saves a screenshot as docs/images/<name>.png when FLOTILLA_SCREENSHOTS=1; otherwise does nothing.
 * `hide`: selectors of text that changes from run to run (a commit id that hashes the test server's
 * random port), hidden so a re-run does not rewrite the image.
 */
export async function docsScreenshot(page: Page, name: string, hide: string[] = []): Promise<void> {
  if (process.env.FLOTILLA_SCREENSHOTS !== '1') return;
  await fsp.mkdir(DOCS_IMAGES, { recursive: true });
  const style = hide.length ? `${hide.join(', ')} { visibility: hidden; }` : undefined;
  await page.screenshot({ path: path.join(DOCS_IMAGES, `${name}.png`), animations: 'disabled', caret: 'hide', style });
}

/** The text of the matrix cell of `row` (KIND/NAMESPACE/NAME) and `cluster`. */
export function matrixCell(page: Page, row: string, cluster: string) {
  return page.locator(`table.matrix tr[data-row="${row}"] td[data-cluster="${cluster}"]`);
}
