/**
 * Per-provider counters for the console: totals since start and a 5-second sliding window of submitted segments
 * (one bucket per second) for the measured throughput.
 */
export class SubmitStats {
  submittedTotal = 0;
  errorsTotal = 0;
  private readonly buckets = new Map<number, number>();

  recordSubmitted(segments: number, now = Date.now()): void {
    this.submittedTotal += segments;
    const second = Math.floor(now / 1000);
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + segments);
    for (const s of this.buckets.keys()) if (s < second - 10) this.buckets.delete(s);
  }

  recordError(): void {
    this.errorsTotal++;
  }

  /** Segments per second over the last 5 whole seconds. */
  measuredTps(now = Date.now()): number {
    const second = Math.floor(now / 1000);
    let sum = 0;
    for (let s = second - 5; s < second; s++) sum += this.buckets.get(s) ?? 0;
    return sum / 5;
  }
}
