import type { OutputStream } from './cli-io.js';

export interface Progress {
  /** Objects finished. */
  readonly done: number;
  /** Objects listed so far. */
  readonly listed: number;
  /** The listing has reached its end: `listed` is the total. */
  readonly listingComplete: boolean;
  /** What to show after the counts, e.g. "12 non-compliant". */
  readonly detail: string;
}

const BAR_WIDTH = 24;
const REDRAW_EVERY_MS = 100;

/**
 * One line on stderr, redrawn in place, and only on a terminal: piped or redirected output gets no
 * control characters. Lines written to stdout go through `around`, so bar and output never mix.
 */
export class ProgressBar {
  private lastDrawn = 0;
  private line = '';

  constructor(
    private readonly stream: OutputStream,
    private readonly label: string,
    private readonly clock: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  static render(label: string, progress: Progress, columns: number): string {
    const total = Math.max(progress.listed, 1);
    const filled = Math.min(BAR_WIDTH, Math.round((progress.done / total) * BAR_WIDTH));
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
    const counts = `${progress.done.toLocaleString('en-US')}/${progress.listed.toLocaleString('en-US')}${progress.listingComplete ? '' : '+'}`;
    const text = `${label} ${bar} ${counts}${progress.detail ? ` · ${progress.detail}` : ''}`;
    return text.length < columns ? text : `${text.slice(0, Math.max(0, columns - 2))}…`;
  }

  update(progress: Progress, force = false): void {
    if (!this.enabled) return;
    const now = this.clock();
    if (!force && now - this.lastDrawn < REDRAW_EVERY_MS) return;
    this.lastDrawn = now;
    this.line = ProgressBar.render(this.label, progress, this.stream.columns ?? 80);
    this.stream.write(`\r\x1b[K${this.line}`);
  }

  /** Runs `write` with the bar cleared, then draws the bar again. */
  around(write: () => void): void {
    if (!this.enabled || this.line === '') return write();
    this.stream.write('\r\x1b[K');
    write();
    this.stream.write(this.line);
  }

  finish(): void {
    if (this.enabled && this.line !== '') this.stream.write('\r\x1b[K');
    this.line = '';
  }
}
