// The HTML of the dashboard shell and of the single-file report: one document with its CSS and
// script inline, and for the report its data as JSON inside it, so the file opens from disk or a
// CI artifact with no network. The Content-Security-Policy allows only that inline script (by its
// hash) and, for the dashboard, requests to its own origin: nothing is loaded from elsewhere.
import { createHash } from 'node:crypto';
import { CLIENT_JS } from './client.js';

const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --head: #f6f8fa;
  --ok: #dafbe1; --okfg: #116329; --warn: #fff8c5; --bad: #ffebe9; --badfg: #a40e26; --changed: #ddf4ff; --changedline: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.5rem; align-items: baseline; padding: .6rem 1rem; background: #24292f; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
header a { color: #fff; }
main { padding: 1rem; }
main:focus { outline: none; }
h2 { font-size: 1.15rem; margin: 1.2rem 0 .5rem; }
h3 { font-size: 1rem; }
a { color: #0550ae; }
a:focus, button:focus, input:focus, select:focus, .scroll:focus { outline: 3px solid #0969da; outline-offset: 1px; }
.muted { color: var(--muted); }
.scroll { overflow: auto; max-width: 100%; max-height: 75vh; border: 1px solid var(--line); }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; padding: .3rem .5rem; color: var(--muted); }
th, td { border: 1px solid var(--line); padding: .2rem .45rem; text-align: left; vertical-align: top; white-space: nowrap; }
thead th { background: var(--head); position: sticky; top: 0; z-index: 1; }
tbody th { background: var(--bg); position: sticky; left: 0; font-weight: normal; }
.matrix td { text-align: center; min-width: 2.5rem; }
td.placed { background: #f3f4f6; }
td.ok { background: var(--ok); color: var(--okfg); }
td.progressing { background: var(--warn); }
td.bad { background: var(--bad); color: var(--badfg); }
td.changed { background: var(--changed); outline: 2px solid var(--changedline); outline-offset: -2px; font-weight: 600; }
th.notready { color: var(--badfg); }
th button { font: inherit; }
th .collapse { margin-left: .3rem; padding: 0 .3rem; }
.badge { display: inline-block; margin-left: .4rem; padding: 0 .35rem; border-radius: .6rem; font-size: .8em;
  border: 1px solid var(--line); }
.badge.added { background: var(--ok); }
.badge.removed, .badge.error { background: var(--bad); color: var(--badfg); }
.badge.changed { background: var(--changed); }
.filters { display: flex; flex-wrap: wrap; gap: 1rem; margin: .5rem 0; }
.filters label { margin-right: .3rem; }
dl.status { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.status dt { color: var(--muted); }
dl.status dd { margin: 0; }
.phase.Synced { color: var(--okfg); font-weight: 600; }
.phase.Failed, .phase.Invalid, .phase.Degraded { color: var(--badfg); font-weight: 600; }
.sev.error { color: var(--badfg); font-weight: 600; }
.timeline { padding-left: 1.2rem; }
.timeline li { margin-bottom: .8rem; }
.timeline p { margin: .1rem 0; }
.risks li { margin-bottom: .3rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

/** The sha-256 source of the inline script, as a Content-Security-Policy names it (the script is a constant: hashed once). */
const SCRIPT_HASH = `'sha256-${createHash('sha256').update(CLIENT_JS).digest('base64')}'`;

/** The Content-Security-Policy of a page: its own inline script and style only; the dashboard may also call its own origin. */
export function contentSecurityPolicy(mode: 'dashboard' | 'report'): string {
  const connect = mode === 'dashboard' ? "'self'" : "'none'";
  return [
    "default-src 'none'",
    `script-src ${SCRIPT_HASH}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that can sit inside a <script> element: no "<" (so no "</script>"), and no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function page(opts: { title: string; mode: 'dashboard' | 'report'; config: unknown; data?: unknown; nav: string }): string {
  const data = opts.data === undefined ? '' : `<script type="application/json" id="flotilla-data">${scriptJson(opts.data)}</script>\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(opts.mode))}">
<title>${escapeHtml(opts.title)}</title>
<style>${CSS}</style>
</head>
<body>
<a class="sr-only" href="#main">Skip to content</a>
<header><h1>${escapeHtml(opts.title)}</h1>${opts.nav}</header>
<main id="main" tabindex="-1"><p>Loading…</p><noscript>This page needs JavaScript to draw the fleet.</noscript></main>
<div id="live" class="sr-only" aria-live="polite"></div>
<script type="application/json" id="flotilla-config">${scriptJson(opts.config)}</script>
${data}<script>${CLIENT_JS}</script>
</body>
</html>
`;
}

/**
 * The dashboard's HTML shell: no fleet data in it (that comes from the API, behind the token), only
 * where the API is and whether it wants a token, so the page asks for one before calling it.
 */
export function dashboardHtml(basePath: string, tokenRequired: boolean): string {
  const nav = `<nav aria-label="Views"><a href="#/">Fleet</a> · <a href="#/history">History</a></nav>`;
  return page({ title: 'flotilla', mode: 'dashboard', config: { mode: 'dashboard', base: basePath, tokenRequired }, nav });
}

/** The single-file report: the page with its data inside; the same data gives the same bytes. */
export function reportHtml(title: string, data: unknown): string {
  return page({ title, mode: 'report', config: { mode: 'report' }, data, nav: '' });
}
