/**
 * Per-provider failover switch: after `threshold` transient failures in a row the provider is skipped for
 * `coolDownMs`, then tried again (one success closes it). Keeps a carrier that answers every submit with an error from
 * eating every message's retries while a healthy one sits idle.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;

  constructor(
    private readonly threshold = 5,
    private readonly coolDownMs = 10_000,
  ) {}

  isOpen(now = Date.now()): boolean {
    return now < this.openUntil;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openUntil = 0;
  }

  recordFailure(now = Date.now()): void {
    this.failures++;
    if (this.failures >= this.threshold) {
      this.openUntil = now + this.coolDownMs;
      this.failures = 0;
    }
  }
}
