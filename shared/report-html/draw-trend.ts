import type { TrendPoint } from './trend-points.js';

/**
 * The trend drawn as markup. The drawing (d3) is loaded when a page is drawn, at the end of a run,
 * not at cold start: a function pays for it only when it writes a page.
 */
export const drawTrend = async (points: readonly TrendPoint[]): Promise<string> => (await import('./trend-chart.js')).renderTrend(points);

/**
 * Starts loading the drawing now, for a run that will draw a page: loaded while the run waits on its
 * first calls rather than after its last (about 17 ms here). A failure to load shows in `drawTrend`.
 */
export const prepareTrendDrawing = (): void => {
  import('./trend-chart.js').catch(() => undefined);
};
