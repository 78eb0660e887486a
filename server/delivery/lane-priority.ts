/**
 * Authentication traffic first: while the high lane has submits outstanding, the low lane hands nothing new to the
 * providers (whose queues are first in, first out), so a one-time code never queues behind a campaign.
 */
export class LanePriority {
  private highOutstanding = 0;
  private waiters: (() => void)[] = [];

  highStarted(count: number): void {
    this.highOutstanding += count;
  }

  highFinished(count: number): void {
    this.highOutstanding = Math.max(0, this.highOutstanding - count);
    if (this.highOutstanding === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once the high lane has nothing outstanding. */
  async lowTurn(): Promise<void> {
    while (this.highOutstanding > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
