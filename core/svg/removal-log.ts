/**
 * What the sanitiser dropped, in words, for logs. An editor export can repeat the same
 * metadata hundreds of times, so repeats are counted rather than listed.
 */
export class RemovalLog {
  private readonly counts = new Map<string, number>();

  add(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  /** Entries in first-seen order, e.g. `inkscape:label attribute on <g> (×12)`. */
  entries(): string[] {
    return [...this.counts].map(([what, count]) => (count > 1 ? `${what} (×${count})` : what));
  }
}
