import { idDigest, sortedIndexOf, type PreviousFinding } from './diff-findings.js';

/**
 * Every finding the previous run reported, passing or not, with when each was first seen: what a
 * run needs to carry a finding's first sighting forward (Security Hub's CreatedAt) and to tell
 * which findings disappeared (sent once more as archived). Typed arrays sorted by id digest, 17
 * bytes a finding, so an account of any size holds its sightings without holding its findings.
 */
export class PreviousSightings {
  private readonly seen: Uint8Array;

  private constructor(
    private readonly ids: Float64Array,
    /** ms since the epoch. */
    private readonly firstSeenAt: Float64Array,
    readonly size: number,
  ) {
    this.seen = new Uint8Array(size);
  }

  static readonly NONE = new PreviousSightings(new Float64Array(0), new Float64Array(0), 0);

  /**
   * Collects sightings as the previous report is read. A finding reported before findings carried
   * their first sighting was first seen, as far as anyone can tell, when that report's run started.
   */
  static collect(): { add(finding: PreviousFinding, digest?: number): void; build(reportStartedAt: string | undefined): PreviousSightings } {
    const ids: number[] = [];
    const times: number[] = [];
    return {
      /** `digest`: the id's, when the caller has it already. */
      add(finding, digest) {
        ids.push(digest ?? idDigest(finding.id));
        times.push(finding.firstSeen ? Date.parse(finding.firstSeen) : Number.NaN);
      },
      build(reportStartedAt) {
        const fallback = reportStartedAt ? Date.parse(reportStartedAt) : Number.NaN;
        const order = Uint32Array.from(ids.keys()).sort((a, b) => (ids[a] as number) - (ids[b] as number));
        const sortedIds = new Float64Array(order.length);
        const sortedTimes = new Float64Array(order.length);
        let size = 0;
        for (const index of order) {
          const id = ids[index] as number;
          // One entry per id: a report lists each finding once, but a hand-edited one might not.
          if (size > 0 && sortedIds[size - 1] === id) continue;
          sortedIds[size] = id;
          const time = times[index] as number;
          sortedTimes[size] = Number.isNaN(time) ? fallback : time;
          size += 1;
        }
        return new PreviousSightings(sortedIds, sortedTimes, size);
      },
    };
  }

  private indexOf(digest: number): number {
    return sortedIndexOf(this.ids, this.size, digest);
  }

  /** Marks the finding as reported again and returns when it was first seen, or undefined for a new one. */
  sight(id: string): string | undefined {
    return this.sightDigest(idDigest(id));
  }

  /** `sight`, by the digest of the finding's id (`idDigest`), when the caller has it already. */
  sightDigest(digest: number): string | undefined {
    const index = this.indexOf(digest);
    if (index < 0) return undefined;
    this.seen[index] = 1;
    const time = this.firstSeenAt[index] as number;
    return Number.isNaN(time) ? undefined : new Date(time).toISOString();
  }

  /** Digests of the ids reported last run and not sighted this run: their resource or check is gone. */
  unsighted(): Set<number> {
    const digests = new Set<number>();
    for (let index = 0; index < this.size; index += 1) if (this.seen[index] === 0) digests.add(this.ids[index] as number);
    return digests;
  }

  /** When a finding not sighted this run was first seen (by its id's digest). */
  firstSeenOf(digest: number): string | undefined {
    const index = this.indexOf(digest);
    const time = index < 0 ? Number.NaN : (this.firstSeenAt[index] as number);
    return Number.isNaN(time) ? undefined : new Date(time).toISOString();
  }
}
