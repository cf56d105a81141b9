import type { Severity } from '../audit/finding.js';

/*
 * What a trend is drawn from, apart from the drawing (trend-chart.ts, with d3): pages import this,
 * and load the drawing only when they draw.
 */

/** One night's failing findings, as its report's summary gives them. */
export interface TrendPoint {
  readonly runId: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly failingBySeverity: Readonly<Record<Severity, number>>;
}

export interface TrendOptions {
  /** How many of the most recent runs to draw; 90 by default. */
  readonly nights?: number | undefined;
}

/** The severities the chart draws, stacked from the bottom: the most severe nearest the axis. */
export const TREND_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const satisfies readonly Severity[];

export const DEFAULT_TREND_NIGHTS = 90;
