// The dashboard in real headless Chromium, served by a reconciler running as a service against a
// real Git server: it asks for the token, loads with no console error, shows the seed's
// placements, and a pushed commit updates the open page without a reload. It also walks to a
// workload page and the history, and takes the docs' screenshots (FLOTILLA_SCREENSHOTS=1).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsScreenshot, hasChromium, launchBrowser, matrixCell, openPage } from '../helpers/browser.js';
import { cleanupRepos } from '../helpers/git.js';
import { nginxFiftyFifty, startServedDashboard, TOKEN, type ServedDashboard } from './dashboard-harness.js';

const NGINX = 'Deployment/default/nginx';

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  let served: ServedDashboard;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  beforeAll(async () => {
    [served, browser] = await Promise.all([startServedDashboard(), launchBrowser()]);
    await served.pass();
    ({ page, errors } = await openPage(browser));
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await cleanupRepos();
  });

  it('asks for the bearer token, then shows the seed: nginx 6 on cluster-hangzhou, 4 on cluster-shanghai', async () => {
    await page.goto(served.url);
    // The shell says a token is required, so the page asks before calling the API (no 401 on the way).
    await page.getByLabel('Bearer token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => matrixCell(page, NGINX, 'cluster-hangzhou').textContent()).toBe('6');
    expect(await matrixCell(page, NGINX, 'cluster-shanghai').textContent()).toBe('4');
    expect(await page.locator('dd[data-phase]').getAttribute('data-phase')).toBe('Synced');
    expect(errors).toEqual([]);
    await docsScreenshot(page, 'dashboard-fleet');
  });

  it('a pushed commit updates the open page without a reload: nginx 5 and 5', async () => {
    // A mark on the window: a reload would lose it.
    await page.evaluate('window.notReloaded = true');
    const pushed = await served.fleet.push(await nginxFiftyFifty(), 'nginx 50/50');
    await served.pass();
    await expect.poll(() => page.locator('dd[data-revision]').getAttribute('data-revision'), { timeout: 10_000 }).toBe(pushed);
    await expect.poll(() => matrixCell(page, NGINX, 'cluster-hangzhou').textContent()).toBe('5');
    expect(await matrixCell(page, NGINX, 'cluster-shanghai').textContent()).toBe('5');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(await page.locator('#live').textContent()).toContain('Reconcile pass finished: Synced');
    expect(errors).toEqual([]);
  });

  it("the workload page shows the policy, explain's steps and each cluster's verdict; the history lists both passes", async () => {
    await page.getByRole('link', { name: NGINX }).click();
    await expect.poll(() => page.locator('h2').first().textContent()).toBe(NGINX);
    expect(await page.getByText('PropagationPolicy/default/nginx-propagation').count()).toBeGreaterThan(0);
    expect(await page.locator('table caption', { hasText: 'Clusters' }).count()).toBe(1);
    expect(await page.locator('td', { hasText: 'selected' }).count()).toBeGreaterThanOrEqual(2);
    await docsScreenshot(page, 'dashboard-workload');
    await page.getByRole('link', { name: 'History' }).click();
    await expect.poll(() => page.locator('.timeline > li').count()).toBe(2);
    expect(await page.locator('.timeline > li').first().textContent()).toContain('Deployment/default/nginx');
    await docsScreenshot(page, 'dashboard-history', ['.timeline .commit']);
    expect(errors).toEqual([]);
  });
});
