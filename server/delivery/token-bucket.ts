/**
 * Throughput cap in messages per second. Holds at most one second's worth of tokens, so an idle spell allows a burst
 * of `ratePerSecond` and no more. A rate of 0 means no cap.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    now: number = Date.now(),
  ) {
    this.tokens = ratePerSecond;
    this.last = now;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.ratePerSecond, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.last = now;
  }

  tryTake(now: number = Date.now()): boolean {
    if (this.ratePerSecond <= 0) return true;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long until one token is available (0 if now). */
  msUntilNext(now: number = Date.now()): number {
    if (this.ratePerSecond <= 0) return 0;
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }
}
