import type { TrendPoint } from './trend-points.js';

/**
 * The trend drawn as markup. The drawing (d3) is loaded when a page is drawn, at the end of a run,
 * not at cold start: a function pays for it only when it writes a page.
 */
export const drawTrend = async (points: readonly TrendPoint[]): Promise<string> => (await import('./trend-chart.js')).renderTrend(points);
