/**
 * A Redis sorted set in memory: members with scores, ordered by score and,
 * among equal scores, by member (byte order, as Redis orders them), so the
 * in-memory store lists in exactly the order the Redis one does.
 */
export class SortedIndex {
  private readonly scores = new Map<string, number>();

  add(member: string, score: number): void {
    this.scores.set(member, score);
  }

  remove(member: string): void {
    this.scores.delete(member);
  }

  /** The member's score, undefined when absent (ZSCORE). */
  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** How many members it holds (ZCARD). */
  get size(): number {
    return this.scores.size;
  }

  /** Every member, lowest score first. */
  ascending(): string[] {
    return [...this.scores.entries()].sort(([a, sa], [b, sb]) => sa - sb || (a < b ? -1 : a > b ? 1 : 0)).map(([m]) => m);
  }

  /** At most `limit` members scored at or below `max` (and above `above`, when given), lowest first (ZRANGEBYSCORE -inf|(above max LIMIT 0 limit). */
  upTo(max: number, limit: number, above?: number): string[] {
    return this.ascending()
      .filter((m) => this.scores.get(m)! <= max && (above === undefined || this.scores.get(m)! > above))
      .slice(0, limit);
  }

  /** At most `count` members scored below `below` (all when undefined), highest first (ZREVRANGEBYSCORE (below -inf). */
  descendingBelow(below: number | undefined, count: number): string[] {
    return this.ascending()
      .reverse()
      .filter((m) => below === undefined || this.scores.get(m)! < below)
      .slice(0, count);
  }
}

/** The index under `key` in a family of indexes (one per vendor, per person, per status), made on first use. */
export function indexIn(family: Map<string, SortedIndex>, key: string): SortedIndex {
  let index = family.get(key);
  if (!index) family.set(key, (index = new SortedIndex()));
  return index;
}
