import { scaleLinear, scaleUtc } from 'd3-scale';
import { area, line, stack, type SeriesPoint } from 'd3-shape';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../../shared/report-html/html-escape.js';
import { TREND_LAYOUT, TREND_SEVERITIES, renderTrend, type TrendPoint } from '../../../shared/report-html/trend-chart.js';
import { inertProblems, occurrences, trendPoints } from './fixtures.js';

const circles = (markup: string): number => occurrences(markup, '<circle class="trend-point"');
const tableRows = (markup: string): string[] => [...markup.matchAll(/<tr><th scope="row"><time datetime="([^"]*)">/g)].map(([, startedAt = '']) => startedAt);
const paths = (markup: string, kind: 'area' | 'edge'): Record<string, string> =>
  Object.fromEntries([...markup.matchAll(new RegExp(`<path class="${kind} [a-z-]+" data-severity="([a-z]+)" d="([^"]*)"`, 'g'))].map(([, severity, d]) => [severity, d]));

/** The chart as d3 draws it, independently of the renderer: the same layout, scales and generators. */
const d3Paths = (points: readonly TrendPoint[]): { area: Record<string, string>; edge: Record<string, string> } => {
  const { width, height, margin } = TREND_LAYOUT;
  const dates = points.map((point) => new Date(point.startedAt));
  const x = scaleUtc()
    .domain([dates[0] as Date, dates[dates.length - 1] as Date])
    .range([margin.left, width - margin.right]);
  const totals = points.map((point) => TREND_SEVERITIES.reduce((sum, severity) => sum + point.failingBySeverity[severity], 0));
  const y = scaleLinear()
    .domain([0, Math.max(1, ...totals)])
    .nice()
    .range([height - margin.bottom, margin.top]);
  const indexed = points.map((point, index) => ({ point, index }));
  const series = stack<(typeof indexed)[number], (typeof TREND_SEVERITIES)[number]>()
    .keys(TREND_SEVERITIES)
    .value(({ point }, severity) => point.failingBySeverity[severity])(indexed);
  const toArea = area<SeriesPoint<(typeof indexed)[number]>>()
    .x((item) => x(dates[item.data.index] as Date))
    .y0((item) => y(item[0]))
    .y1((item) => y(item[1]));
  const toEdge = line<SeriesPoint<(typeof indexed)[number]>>()
    .x((item) => x(dates[item.data.index] as Date))
    .y((item) => y(item[1]));
  return {
    area: Object.fromEntries(series.map((layer) => [layer.key, toArea(layer) ?? ''])),
    edge: Object.fromEntries(series.map((layer) => [layer.key, toEdge(layer) ?? ''])),
  };
};

describe('renderTrend', () => {
  it('says there is no history yet when there are no runs', () => {
    const markup = renderTrend([]);
    expect(markup).toContain('No history yet');
    expect(markup).not.toContain('<svg');
    expect(markup).not.toContain('<table');
  });

  it('draws a single run as a dot, dated, with a one-row table', () => {
    const markup = renderTrend(trendPoints(1));
    expect(circles(markup)).toBe(1);
    expect(markup).toContain(' r="5"');
    expect(markup).toContain('>2026-01-01</text>');
    expect(markup).not.toContain('NaN');
    expect(tableRows(markup)).toEqual(['2026-01-01T03:00:00.000Z']);
    expect(markup).toContain('<title id="trend-title">Failing findings by severity, one run</title>');
  });

  it('draws three runs: a dot each, a layer per severity, a legend, axes and a table newest first', () => {
    const points = trendPoints(3);
    const markup = renderTrend(points);
    expect(markup).toMatch(/^<figure class="trend">\n<svg class="trend-chart" role="img" aria-labelledby="trend-title trend-desc" viewBox="0 0 720 280" width="720" height="280">/);
    expect(circles(markup)).toBe(3);
    expect(Object.keys(paths(markup, 'area'))).toEqual(['critical', 'high', 'medium', 'low']);
    for (const severity of TREND_SEVERITIES) expect(markup).toContain(`>${severity}</text>`);
    expect(occurrences(markup, 'class="tick-label"')).toBeGreaterThan(4);
    expect(tableRows(markup)).toEqual(points.map((point) => point.startedAt).reverse());
    // The newest run's figures, in the table and in the description.
    expect(markup).toContain('<td class="number">2</td><td class="number">4</td><td class="number">6</td><td class="number">0</td>');
    expect(markup).toContain('Latest run: 2 critical, 4 high, 6 medium, 0 low.');
  });

  it('takes its paths from d3-shape, over d3-scale scales', () => {
    const points = trendPoints(3);
    const markup = renderTrend(points);
    const expected = d3Paths(points);
    expect(paths(markup, 'area')).toEqual(expected.area);
    expect(paths(markup, 'edge')).toEqual(expected.edge);
    expect(Object.values(expected.area).every((d) => /^M[\d.,LZ-]+$/.test(d))).toBe(true);
  });

  it('draws only the last 90 of 120 runs, in the chart and in the table', () => {
    const points = trendPoints(120);
    const markup = renderTrend(points);
    expect(circles(markup)).toBe(90);
    const rows = tableRows(markup);
    expect(rows).toHaveLength(90);
    expect(rows[0]).toBe(points[119]?.startedAt);
    expect(rows[89]).toBe(points[30]?.startedAt);
    expect(paths(markup, 'area')).toEqual(d3Paths(points.slice(30)).area);
    expect(markup).toContain('last 90 runs');
  });

  it('draws as many nights as asked', () => {
    expect(circles(renderTrend(trendPoints(20), { nights: 7 }))).toBe(7);
  });

  it('orders runs by time, whatever order they come in, and leaves out those without a date', () => {
    const points = trendPoints(4);
    const shuffled = [points[2], points[0], { ...points[1], startedAt: 'not a date' }, points[3]] as TrendPoint[];
    const rows = tableRows(renderTrend(shuffled));
    expect(rows).toEqual([points[3], points[2], points[0]].map((point) => point?.startedAt));
  });

  it('escapes what it is given and stays inert', () => {
    const point = { ...trendPoints(1)[0], runId: '<script>alert(1)</script>', startedAt: '2026-01-01T03:00:00Z' } as TrendPoint;
    const markup = renderTrend([point]);
    expect(markup).toContain(escapeHtml(point.runId));
    expect(inertProblems(markup)).toEqual([]);
  });
});
