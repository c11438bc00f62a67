// `flotilla report` opened in real headless Chromium from a file, as a CI artifact is: it draws the
// seed's placements, highlights the cells a plan changes, loads nothing from the network, and
// draws a 1,000-cluster fleet's matrix in under 2 s (measured in the page).
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain JavaScript module shared with the benchmarks
import { syntheticFleet } from '../../bench/synthetic-fleet.mjs';
import { reportCommand } from '../../src/cli/commands/report.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { renderReportData } from '../../src/view/data.js';
import { reportHtml } from '../../src/view/page.js';
import { docsScreenshot, hasChromium, launchBrowser, matrixCell, openPage } from '../helpers/browser.js';
import { FIXTURES } from '../helpers/fleet.js';
import { cleanupRepos, makeTempDir } from '../helpers/git.js';
import { runCommand, scenarioRepo } from '../plan/scenarios.js';

let browser: Browser;
let dir: string;
beforeAll(async () => {
  if (hasChromium) browser = await launchBrowser();
  dir = await makeTempDir('flotilla-report-');
});
afterAll(async () => {
  await browser?.close();
  await cleanupRepos();
});

const NGINX = 'Deployment/default/nginx';

describe.skipIf(!hasChromium)('flotilla report in Chromium', () => {
  it("a render's report shows the seed's placements (nginx 6 on cluster-hangzhou, 4 on shanghai) with no console error", async () => {
    const out = path.join(dir, 'render.html');
    const run = await runCommand(reportCommand, ['--repo', path.join(FIXTURES, 'seed'), '--out', out]);
    expect(run.code).toBe(0);
    const { page, errors } = await openPage(browser);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(out).href);
    await expect.poll(() => matrixCell(page, NGINX, 'cluster-hangzhou').textContent()).toBe('6');
    expect(await matrixCell(page, NGINX, 'cluster-shanghai').textContent()).toBe('4');
    // The filters: rows by namespace and by policy, columns by cluster name.
    await page.getByLabel('Namespace').selectOption('kurator-system');
    expect(await page.locator('table.matrix tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-row')))).toEqual([
      'ConfigMap/kurator-system/network-config',
    ]);
    await page.getByLabel('Namespace').selectOption('');
    await page.getByLabel('Policy').selectOption('PropagationPolicy/default/nginx-propagation');
    expect(await page.locator('table.matrix tbody tr').count()).toBe(1);
    await page.getByLabel('Cluster or region').fill('shanghai');
    expect(await page.locator('table.matrix thead th[data-cluster]').count()).toBe(1);
    expect(errors).toEqual([]);
    // Self-contained: the only request is the file itself.
    expect(requests).toEqual([pathToFileURL(out).href]);
    await page.close();
  });

  it("a plan's report highlights exactly the cells that change (nginx 6 → 5, 4 → 5) and lists the risks", async () => {
    const repo = await scenarioRepo('weight-change');
    const out = path.join(dir, 'plan.html');
    const run = await runCommand(reportCommand, ['--repo', repo.dir, '--base', repo.base, '--head', repo.head, '--out', out]);
    expect(run.code).toBe(0);
    const { page, errors } = await openPage(browser);
    await page.goto(pathToFileURL(out).href);
    const hangzhou = matrixCell(page, NGINX, 'cluster-hangzhou');
    await expect.poll(() => hangzhou.textContent()).toBe('6 → 5');
    expect(await hangzhou.getAttribute('class')).toContain('changed');
    expect(await matrixCell(page, NGINX, 'cluster-shanghai').textContent()).toBe('4 → 5');
    // Only nginx's two cells changed: every other cell is drawn without the highlight.
    const changed = await page
      .locator('table.matrix td.changed')
      .evaluateAll((tds) => tds.map((td) => `${td.closest('tr')!.getAttribute('data-row')}@${td.getAttribute('data-cluster')}`));
    expect(changed.sort()).toEqual([`${NGINX}@cluster-hangzhou`, `${NGINX}@cluster-shanghai`]);
    expect(await page.locator('h2', { hasText: 'Risks' }).count()).toBe(1);
    expect(errors).toEqual([]);
    await docsScreenshot(page, 'report-plan');
    await page.close();
  });

  it("a 1,000-cluster fleet's matrix renders in under 2 s in the page, grouped by region, and a region opens in under 2 s", async () => {
    const files = (syntheticFleet(1000, 40) as Array<{ path: string; text: string }>).map((f) => ({ path: f.path, text: f.text }));
    const render = renderFleet({ files, revision: 'synthetic' });
    expect(render.clusters).toHaveLength(1000);
    const out = path.join(dir, 'large.html');
    await fsp.writeFile(out, reportHtml('large fleet', renderReportData(render)));
    const { page, errors } = await openPage(browser);
    await page.goto(pathToFileURL(out).href);
    await page.locator('table.matrix').waitFor();
    // data-matrix-at: performance.now() when the matrix was in the DOM, from the start of navigation (data parsed included).
    const at = Number(await page.locator('body').getAttribute('data-matrix-at'));
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(2000);
    expect(await page.locator('table.matrix thead th[data-group]').count()).toBe(5);
    // Opened with the keyboard: the region header is a focusable button.
    await page.locator('th[data-group="asia-east"] button').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('table.matrix thead th[data-cluster]').count()).toBe(200);
    expect(Number(await page.locator('body').getAttribute('data-matrix-ms'))).toBeLessThan(2000);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('flotilla report', () => {
  it('writes one file that names no network resource, and the same commit gives the same bytes', async () => {
    const repo = await scenarioRepo('weight-change');
    const a = path.join(dir, 'a.html');
    const b = path.join(dir, 'b.html');
    expect((await runCommand(reportCommand, ['--repo', repo.dir, '--base', repo.base, '--head', repo.head, '--out', a])).code).toBe(0);
    expect((await runCommand(reportCommand, ['--repo', repo.dir, '--base', repo.base, '--head', repo.head, '--out', b])).code).toBe(0);
    const html = await fsp.readFile(a, 'utf8');
    expect(await fsp.readFile(b, 'utf8')).toBe(html);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).toContain('connect-src &#39;none&#39;'); // the page's CSP forbids every request
  });

  it('refuses plan flags without --base, and reports an unwritable --out with REPORT_UNWRITABLE', async () => {
    const seed = path.join(FIXTURES, 'seed');
    await expect(runCommand(reportCommand, ['--repo', seed, '--head', 'HEAD'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(runCommand(reportCommand, ['--repo', seed, '--out', path.join(dir, 'missing', 'r.html')])).rejects.toMatchObject({
      code: 'REPORT_UNWRITABLE',
    });
    expect(await fsp.readdir(dir)).not.toContain('missing');
  });
});
