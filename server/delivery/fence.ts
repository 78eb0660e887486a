import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { fenceKey } from "./keys";
import type { WriteGate } from "./provider";

// A per-message fence in Redis that tells a restarted bulk-proc which claimed (SUBMITTING) messages a dead worker
// never put on the wire, so they can be submitted after all instead of ending UNCONFIRMED:
//   absent        → nobody holds it (never claimed, outcome recorded, or Redis lost it)
//   <token>       → claimed by the worker with that token, not written to any carrier yet
//   w:<token>     → that worker is writing or has written it to a carrier
// The provider's send path turns <token> into w:<token> (one atomic check) just before the message's first PDU or
// POST goes out, and only if the fence is still its own; a worker that finds a SUBMITTING message takes over a plain
// token (the old owner's later write is refused) and leaves w:… and absent fences to UNCONFIRMED, since the carrier
// may have those. A carrier that answers "throttled" certainly did not take the message: its fence goes back to
// <token> until the retry is written.

/** Claim: set our token unless someone (anyone) may have written the message. 1 = claimed. */
const CLAIM = `local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 2) == 'w:' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

/** About to write: 1 if the fence is ours (now marked written), 0 if another worker holds it or it is gone. */
const MARK_WRITTEN = `local v = redis.call('GET', KEYS[1])
local w = 'w:' .. ARGV[1]
if v == ARGV[1] then redis.call('SET', KEYS[1], w, 'KEEPTTL') return 1 end
if v == w then return 1 end
return 0`;

/** The carrier refused it (throttled): back to claimed-not-written, if still ours. */
const UNMARK_WRITTEN = `if redis.call('GET', KEYS[1]) == 'w:' .. ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
return 0`;

/** Found SUBMITTING: 'taken' (now ours, never written), 'written' or 'missing'. */
const TAKE_OVER = `local v = redis.call('GET', KEYS[1])
if not v then return 'missing' end
if string.sub(v, 1, 2) == 'w:' then return 'written' end
redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
return 'taken'`;

/** Outcome recorded: drop the fence, only if it is still ours. */
const FORGET = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or v == 'w:' .. ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

type FenceRedis = Redis & {
  fenceClaim(key: string, token: string, ttl: number): unknown;
  fenceMarkWritten(key: string, token: string): unknown;
  fenceUnmarkWritten(key: string, token: string): unknown;
  fenceTakeOver(key: string, token: string): unknown;
  fenceForget(key: string, token: string): unknown;
};

type Pipeline = FenceRedis & { exec(): Promise<[Error | null, unknown][] | null> };

export type TakeOver = "taken" | "written" | "missing";

/** One bulk-proc process's side of the fences: its token, and the Redis calls, pipelined per batch or per tick. */
export class WriteFence {
  private readonly redis: FenceRedis;
  private marking: { messageId: string; resolve: (ok: boolean) => void; reject: (err: unknown) => void }[] = [];

  constructor(
    redis: Redis,
    private readonly prefix: string,
    /** How long a fence outlives a worker that never records an outcome (past that the message is expired anyway). */
    private readonly ttlSeconds: number,
    readonly token: string = randomUUID(),
  ) {
    this.redis = redis as FenceRedis;
    if (!this.redis.fenceClaim) {
      redis.defineCommand("fenceClaim", { numberOfKeys: 1, lua: CLAIM });
      redis.defineCommand("fenceMarkWritten", { numberOfKeys: 1, lua: MARK_WRITTEN });
      redis.defineCommand("fenceUnmarkWritten", { numberOfKeys: 1, lua: UNMARK_WRITTEN });
      redis.defineCommand("fenceTakeOver", { numberOfKeys: 1, lua: TAKE_OVER });
      redis.defineCommand("fenceForget", { numberOfKeys: 1, lua: FORGET });
    }
  }

  /** After the submissions rows were claimed: the ids whose fence is now ours (the others may be on a carrier). */
  async claim(ids: string[]): Promise<Set<string>> {
    const replies = await this.each(ids, (p, key) => p.fenceClaim(key, this.token, this.ttlSeconds));
    return new Set(ids.filter((_, i) => replies[i] === 1));
  }

  async takeOver(ids: string[]): Promise<Map<string, TakeOver>> {
    const replies = await this.each(ids, (p, key) => p.fenceTakeOver(key, this.token));
    return new Map(ids.map((id, i) => [id, replies[i] as TakeOver]));
  }

  async forget(ids: string[]): Promise<void> {
    await this.each(ids, (p, key) => p.fenceForget(key, this.token));
  }

  gate(messageId: string): WriteGate {
    return {
      acquire: () => this.markWritten(messageId),
      release: () => {
        // Fire and forget: if it never lands, a crash leaves the message UNCONFIRMED rather than resubmitted.
        const unmark = this.redis.fenceUnmarkWritten(fenceKey(this.prefix, messageId), this.token);
        void (unmark as Promise<unknown>).catch(() => undefined);
      },
    };
  }

  /** Every acquire of the same tick goes in one pipeline: the provider's pump asks for a window's worth at once. */
  private markWritten(messageId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.marking.push({ messageId, resolve, reject });
      if (this.marking.length === 1) process.nextTick(() => void this.flushMarks());
    });
  }

  private async flushMarks(): Promise<void> {
    const batch = this.marking;
    this.marking = [];
    try {
      const replies = await this.each(
        batch.map((m) => m.messageId),
        (p, key) => p.fenceMarkWritten(key, this.token),
      );
      batch.forEach((m, i) => m.resolve(replies[i] === 1));
    } catch (err) {
      for (const m of batch) m.reject(err);
    }
  }

  private async each(ids: string[], call: (p: Pipeline, key: string) => unknown): Promise<unknown[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline() as unknown as Pipeline;
    for (const id of ids) call(pipeline, fenceKey(this.prefix, id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
  }
}
