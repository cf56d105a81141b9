import { scaleLinear, scaleUtc } from 'd3-scale';
import { area, line, stack, type SeriesPoint } from 'd3-shape';
import { html, type Markup } from './html-escape.js';
import { DEFAULT_TREND_NIGHTS, TREND_SEVERITIES, type TrendOptions, type TrendPoint } from './trend-points.js';

export { DEFAULT_TREND_NIGHTS, TREND_SEVERITIES, type TrendOptions, type TrendPoint } from './trend-points.js';

/** The chart's frame in SVG units: the plot area lies inside the margins, the legend above it. */
export const TREND_LAYOUT = { width: 720, height: 280, margin: { top: 40, right: 24, bottom: 36, left: 48 } } as const;

/** A run placed in time. */
export interface TrendDatum {
  readonly point: TrendPoint;
  readonly date: Date;
}

/**
 * The runs the chart shows: those with a readable start time, oldest first, the last `nights` of
 * them. A start time that is not a date cannot be placed on the time axis, so it is left out of
 * both the chart and its table.
 */
export const trendData = (points: readonly TrendPoint[], nights = DEFAULT_TREND_NIGHTS): TrendDatum[] =>
  points
    .map((point) => ({ point, date: new Date(point.startedAt) }))
    .filter(({ date }) => !Number.isNaN(date.getTime()))
    .sort((a, b) => a.date.getTime() - b.date.getTime() || (a.point.runId < b.point.runId ? -1 : a.point.runId > b.point.runId ? 1 : 0))
    .slice(-Math.max(1, Math.floor(nights)));

const total = (point: TrendPoint): number => TREND_SEVERITIES.reduce((sum, severity) => sum + point.failingBySeverity[severity], 0);

/** The chart's scales and generators: d3 does the geometry, the renderer only writes markup. */
export const trendGeometry = (data: readonly TrendDatum[]) => {
  const { width, height, margin } = TREND_LAYOUT;
  const first = data[0]?.date ?? new Date(0);
  const last = data[data.length - 1]?.date ?? first;
  const x = scaleUtc()
    .domain([first, last])
    .range([margin.left, width - margin.right]);
  const y = scaleLinear()
    .domain([0, Math.max(1, ...data.map(({ point }) => total(point)))])
    .nice()
    .range([height - margin.bottom, margin.top]);
  const series = stack<TrendDatum, (typeof TREND_SEVERITIES)[number]>()
    .keys(TREND_SEVERITIES)
    .value((datum, severity) => datum.point.failingBySeverity[severity])([...data]);
  const layer = area<SeriesPoint<TrendDatum>>()
    .x((item) => x(item.data.date))
    .y0((item) => y(item[0]))
    .y1((item) => y(item[1]));
  const edge = line<SeriesPoint<TrendDatum>>()
    .x((item) => x(item.data.date))
    .y((item) => y(item[1]));
  return { x, y, series, layer, edge };
};

const dateText = (date: Date): string => date.toISOString().slice(0, 10);
const timeText = (date: Date): string => date.toISOString().slice(0, 16).replace('T', ' ');

const countsText = (point: TrendPoint): string => TREND_SEVERITIES.map((severity) => `${point.failingBySeverity[severity]} ${severity}`).join(', ');

const legend = (): Markup => {
  const { margin } = TREND_LAYOUT;
  return html`<g class="legend">${TREND_SEVERITIES.map(
    (severity, index) =>
      html`<rect class="fill-${severity} stroke-${severity}" x="${margin.left + index * 96}" y="10" width="12" height="12"/><text x="${margin.left + index * 96 + 18}" y="20">${severity}</text>`,
  )}</g>`;
};

const chart = (data: readonly TrendDatum[]): Markup => {
  const { width, height, margin } = TREND_LAYOUT;
  const { x, y, series, layer, edge } = trendGeometry(data);
  const single = data.length === 1;
  const xTicks = x.ticks(single ? 1 : 8);
  // A single run has no span of time: its tick is its date, not an hour of it.
  const xLabel = single ? x.tickFormat(1, '%Y-%m-%d') : x.tickFormat();
  const yTicks = y.ticks(Math.min(5, y.domain()[1] ?? 1)).filter(Number.isInteger);
  const bottom = height - margin.bottom;
  const first = data[0] as TrendDatum;
  const last = data[data.length - 1] as TrendDatum;
  const title = `Failing findings by severity, ${data.length === 1 ? 'one run' : `last ${data.length} runs`}`;
  const description = `From ${dateText(first.date)} to ${dateText(last.date)}. Latest run: ${countsText(last.point)}.`;
  return html`<svg class="trend-chart" role="img" aria-labelledby="trend-title trend-desc" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
<title id="trend-title">${title}</title>
<desc id="trend-desc">${description}</desc>
${legend()}
<g class="y-axis">${yTicks.map(
    (tick) =>
      html`<line class="grid" x1="${margin.left}" x2="${width - margin.right}" y1="${y(tick)}" y2="${y(tick)}"/><text class="tick-label" x="${margin.left - 8}" y="${y(tick)}" dy="0.32em" text-anchor="end">${tick}</text>`,
  )}</g>
<g class="x-axis"><line class="axis" x1="${margin.left}" x2="${width - margin.right}" y1="${bottom}" y2="${bottom}"/>${xTicks.map(
    (tick) =>
      html`<line class="axis" x1="${x(tick)}" x2="${x(tick)}" y1="${bottom}" y2="${bottom + 5}"/><text class="tick-label" x="${x(tick)}" y="${bottom + 18}" text-anchor="middle">${xLabel(tick)}</text>`,
  )}</g>
<g class="layers">${series.map(
    (layerSeries) =>
      html`<path class="area fill-${layerSeries.key}" data-severity="${layerSeries.key}" d="${layer(layerSeries) ?? ''}"/><path class="edge stroke-${layerSeries.key}" data-severity="${layerSeries.key}" d="${edge(layerSeries) ?? ''}"/>`,
  )}</g>
<g class="points">${data.map(
    ({ point, date }) =>
      html`<circle class="trend-point" cx="${x(date)}" cy="${y(total(point))}" r="${single ? 5 : 3}"><title>${timeText(date)} (${point.runId}): ${countsText(point)}</title></circle>`,
  )}</g>
</svg>`;
};

const dataTable = (data: readonly TrendDatum[]): Markup =>
  html`<details class="trend-data"><summary>The figures (${data.length} ${data.length === 1 ? 'run' : 'runs'}, newest first)</summary>
<table><thead><tr><th scope="col">date</th>${TREND_SEVERITIES.map((severity) => html`<th scope="col" class="number">${severity}</th>`)}</tr></thead>
<tbody>
${[...data].reverse().map(
  ({ point, date }) =>
    html`<tr><th scope="row"><time datetime="${point.startedAt}">${timeText(date)}</time></th>${TREND_SEVERITIES.map(
      (severity) => html`<td class="number">${point.failingBySeverity[severity]}</td>`,
    )}</tr>\n`,
)}</tbody></table>
</details>`;

/**
 * Failing findings by severity over the last `nights` runs: a stacked area chart with a dot per run
 * (a single run is a dot), and the same figures as a table. No runs: a sentence saying so.
 */
export const renderTrend = (points: readonly TrendPoint[], options: TrendOptions = {}): string => {
  const data = trendData(points, options.nights ?? DEFAULT_TREND_NIGHTS);
  if (data.length === 0) return html`<p class="trend-empty">No history yet: the trend starts with the first audited night.</p>\n`.text;
  return html`<figure class="trend">
${chart(data)}
<figcaption>Failing findings (failed or could not be checked) by severity, stacked; one dot per run.</figcaption>
${dataTable(data)}
</figure>
`.text;
};
