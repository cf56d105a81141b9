import { createHash } from 'node:crypto';
import { html } from './html-escape.js';

/**
 * The report's one stylesheet. Every colour is a class here: the policy allows this text and nothing
 * else, so no `style=` attribute and no other stylesheet would apply. Line feeds only: the hash is of
 * these exact characters, as the browser reads them from the `<style>` element.
 */
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --rule: #d1d9e0; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 80rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; padding-bottom: .25rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
p { margin: .5rem 0; }
a { color: #0b5cad; }
code { font: .88em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .88rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--rule); overflow-wrap: break-word; }
thead th { background: var(--panel); overflow-wrap: normal; }
table.counts { width: auto; min-width: 50%; }
table.counts th, table.counts td { min-width: 7rem; }
caption { text-align: left; }
.number { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.lead { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
details { border: 1px solid var(--rule); border-radius: 6px; margin: .5rem 0; }
details > summary { cursor: pointer; padding: .45rem .75rem; background: var(--panel); }
details[open] > summary { border-bottom: 1px solid var(--rule); }
details > :not(summary) { margin-left: .75rem; margin-right: .75rem; }
details > table { width: calc(100% - 1.5rem); }
.sev { display: inline-block; min-width: 6.5em; padding: 0 .4em; border: 1px solid transparent; border-radius: 4px; font-size: .75rem; font-weight: 600; letter-spacing: .03em; text-align: center; text-transform: uppercase; }
.sev-critical { background: #7f1d1d; color: #fff; }
.sev-high { background: #c2410c; color: #fff; }
.sev-medium { background: #facc15; color: #1f2328; }
.sev-low { background: #bfdbfe; color: #1e3a8a; }
.sev-informational, .sev-none { background: #e5e7eb; color: #374151; }
.status-failed, .status-error, .status-not-audited { color: #991b1b; font-weight: 600; }
.status-fixed { color: #166534; font-weight: 600; }
.resource-type { color: var(--muted); font-size: .85rem; }
.count { color: var(--muted); white-space: nowrap; }
tr.failing td { background: #fff8f6; }
table.findings { table-layout: fixed; }
table.findings th:nth-child(1) { width: 7.5rem; }
table.findings th:nth-child(2) { width: 7rem; }
table.findings th:nth-child(3) { width: 18%; }
table.findings th:nth-child(4) { width: 18%; }
table.findings th:nth-child(5) { width: 13%; }
table.findings th:nth-child(7) { width: 11rem; }
table.findings tr:not(.failing) .sev { background: none; color: var(--muted); border-color: var(--rule); }
table.accounts td:first-child { white-space: nowrap; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .8rem; }
table.accounts td:nth-child(n+5):nth-child(-n+9) { text-align: right; font-variant-numeric: tabular-nums; }
ul.compact { display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; list-style: none; }
figure.trend { margin: 0 0 1rem; }
figcaption { color: var(--muted); font-size: .88rem; }
svg.trend-chart { display: block; max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg.trend-chart text { fill: var(--ink); }
svg.trend-chart .axis { stroke: var(--muted); }
svg.trend-chart .grid { stroke: var(--rule); stroke-dasharray: 2 3; }
.area { fill-opacity: .6; stroke: none; }
.edge { fill: none; stroke-width: 1.5; }
.fill-critical { fill: #dc2626; }
.fill-high { fill: #f97316; }
.fill-medium { fill: #facc15; }
.fill-low { fill: #60a5fa; }
.stroke-critical { stroke: #991b1b; }
.stroke-high { stroke: #c2410c; }
.stroke-medium { stroke: #a16207; }
.stroke-low { stroke: #1d4ed8; }
.trend-point { fill: var(--ink); stroke: #fff; stroke-width: 1.5; }
@media print {
  body { font-size: 10pt; color: #000; background: #fff; }
  main { max-width: none; padding: 0; }
  a { color: #000; }
  .muted, .lead, .count, .resource-type, figcaption, dl.facts dt { color: #000; }
  thead th, details > summary, tr.failing td { background: none; }
  .sev { background: none; color: #000; border-color: #000; }
  .status-failed, .status-error, .status-not-audited, .status-fixed { color: #000; }
  details { border: none; border-radius: 0; }
  details > summary { padding: .2rem 0; font-weight: 600; list-style: none; cursor: auto; }
  details > summary::-webkit-details-marker { display: none; }
  details[open] > summary { border-bottom: none; }
  details > :not(summary) { margin-left: 0; margin-right: 0; }
  details > table { width: 100%; }
  details:not(.trend-data)::details-content { content-visibility: visible; }
  h2, h3, summary { break-after: avoid; }
  tr, figure { break-inside: avoid; }
}
`;

/**
 * The page's policy: nothing may load or run, the one stylesheet above excepted (by its hash). A
 * report opened from a bucket, a mail or a disk cannot fetch, post or execute anything.
 */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLESHEET, 'utf8').digest('base64')}'; img-src 'none'; base-uri 'none'; form-action 'none'`;

/** Everything up to and including `<main>`: the policy comes before the stylesheet it allows. */
export const pageOpening = (title: string): string =>
  html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>`.text +
  STYLESHEET +
  `</style>
</head>
<body>
<main>
`;

export const PAGE_CLOSING = '</main>\n</body>\n</html>\n';
