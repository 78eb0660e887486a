/**
 * A provider's queue of submits waiting for its window: first in, first out, except that urgent ones (the high
 * lane: one-time codes) go ahead of every ordinary one, so an OTP never waits behind a campaign already queued on
 * the bind.
 */
export class SendQueue<T> {
  private urgent: T[] = [];
  private ordinary: T[] = [];

  constructor(private readonly isUrgent: (item: T) => boolean) {}

  get length(): number {
    return this.urgent.length + this.ordinary.length;
  }

  push(item: T): void {
    this.levelOf(item).push(item);
  }

  /** Back at the front of its level: taken but not sent after all. */
  unshift(item: T): void {
    this.levelOf(item).unshift(item);
  }

  /** What shift() would return, left in place. */
  peek(): T | undefined {
    return this.urgent.length > 0 ? this.urgent[0] : this.ordinary[0];
  }

  shift(): T | undefined {
    return this.urgent.length > 0 ? this.urgent.shift() : this.ordinary.shift();
  }

  /** Empties the queue, returning what it held. */
  drain(): T[] {
    return [...this.urgent.splice(0), ...this.ordinary.splice(0)];
  }

  retain(keep: (item: T) => boolean): void {
    this.urgent = this.urgent.filter(keep);
    this.ordinary = this.ordinary.filter(keep);
  }

  *[Symbol.iterator](): IterableIterator<T> {
    yield* this.urgent;
    yield* this.ordinary;
  }

  private levelOf(item: T): T[] {
    return this.isUrgent(item) ? this.urgent : this.ordinary;
  }
}
