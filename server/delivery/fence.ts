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

// Each script takes many fences at once (KEYS) and answers per key, in order: one script call per batch (or per tick)
// instead of one per message, which was most of the fences' cost on both sides at thousands of messages a second.
// ARGV[1] is always the worker's token.

/** Claim: set our token unless someone (anyone) may have written the message. 1 = claimed. ARGV[2]: TTL. */
const CLAIM = `local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v and string.sub(v, 1, 2) == 'w:' then out[i] = 0
  else redis.call('SET', key, ARGV[1], 'EX', ARGV[2]) out[i] = 1 end
end
return out`;

/** About to write: 1 if the fence is ours (now marked written), 0 if another worker holds it or it is gone. */
const MARK_WRITTEN = `local out = {}
local w = 'w:' .. ARGV[1]
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v == ARGV[1] then redis.call('SET', key, w, 'KEEPTTL') out[i] = 1
  elseif v == w then out[i] = 1
  else out[i] = 0 end
end
return out`;

/** The carrier refused it (throttled): back to claimed-not-written, if still ours. */
const UNMARK_WRITTEN = `for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == 'w:' .. ARGV[1] then redis.call('SET', key, ARGV[1], 'KEEPTTL') end
end
return 0`;

/** Found SUBMITTING: 'taken' (now ours, never written), 'written' or 'missing'. */
const TAKE_OVER = `local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if not v then out[i] = 'missing'
  elseif string.sub(v, 1, 2) == 'w:' then out[i] = 'written'
  else redis.call('SET', key, ARGV[1], 'KEEPTTL') out[i] = 'taken' end
end
return out`;

/** Outcome recorded: drop the fence, only if it is still ours. */
const FORGET = `for _, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v == ARGV[1] or v == 'w:' .. ARGV[1] then redis.call('DEL', key) end
end
return 0`;

/** Fences per script call: one call holds Redis for its whole run, so a big batch goes in a few. */
const KEYS_PER_CALL = 500;

type Script = "fenceClaim" | "fenceMarkWritten" | "fenceUnmarkWritten" | "fenceTakeOver" | "fenceForget";
type FenceRedis = Redis & Record<Script, (numberOfKeys: number, ...args: (string | number)[]) => Promise<unknown>>;

export type TakeOver = "taken" | "written" | "missing";

/** One bulk-proc process's side of the fences: its token, and the Redis calls, one per batch or per tick. */
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
      // No numberOfKeys: each call says how many keys it passes.
      redis.defineCommand("fenceClaim", { lua: CLAIM });
      redis.defineCommand("fenceMarkWritten", { lua: MARK_WRITTEN });
      redis.defineCommand("fenceUnmarkWritten", { lua: UNMARK_WRITTEN });
      redis.defineCommand("fenceTakeOver", { lua: TAKE_OVER });
      redis.defineCommand("fenceForget", { lua: FORGET });
    }
  }

  /** After the submissions rows were claimed: the ids whose fence is now ours (the others may be on a carrier). */
  async claim(ids: string[]): Promise<Set<string>> {
    const replies = await this.each("fenceClaim", ids, this.ttlSeconds);
    return new Set(ids.filter((_, i) => replies[i] === 1));
  }

  async takeOver(ids: string[]): Promise<Map<string, TakeOver>> {
    const replies = await this.each("fenceTakeOver", ids);
    return new Map(ids.map((id, i) => [id, replies[i] as TakeOver]));
  }

  async forget(ids: string[]): Promise<void> {
    await this.each("fenceForget", ids);
  }

  gate(messageId: string): WriteGate {
    return new FenceGate(this, messageId);
  }

  /** FenceGate's acquire. Every acquire of the same tick goes in one call: the provider's pump asks for a window's worth at once. */
  markWritten(messageId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.marking.push({ messageId, resolve, reject });
      if (this.marking.length === 1) process.nextTick(() => void this.flushMarks());
    });
  }

  /** FenceGate's release. */
  unmarkWritten(messageId: string): void {
    // Fire and forget: if it never lands, a crash leaves the message UNCONFIRMED rather than resubmitted.
    void this.each("fenceUnmarkWritten", [messageId]).catch(() => undefined);
  }

  private async flushMarks(): Promise<void> {
    const batch = this.marking;
    this.marking = [];
    try {
      const replies = await this.each(
        "fenceMarkWritten",
        batch.map((m) => m.messageId),
      );
      batch.forEach((m, i) => m.resolve(replies[i] === 1));
    } catch (err) {
      for (const m of batch) m.reject(err);
    }
  }

  /** Runs a script over the fences of `ids`, a few hundred per call: its answers, one per id, in order. */
  private async each(script: Script, ids: string[], ...args: (string | number)[]): Promise<unknown[]> {
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < ids.length; i += KEYS_PER_CALL) {
      const keys = ids.slice(i, i + KEYS_PER_CALL).map((id) => fenceKey(this.prefix, id));
      calls.push(this.redis[script](keys.length, ...keys, this.token, ...args));
    }
    // The scripts that answer 0 for every key (unmark, forget) have no per-key answers.
    return (await Promise.all(calls)).flatMap((reply) => (Array.isArray(reply) ? reply : []));
  }
}

/** A message's write gate (see WriteGate): a class, not two closures per message, which tsx would name at a cost. */
class FenceGate implements WriteGate {
  constructor(
    private readonly fence: Pick<WriteFence, "markWritten" | "unmarkWritten">,
    private readonly messageId: string,
  ) {}

  acquire(): Promise<boolean> {
    return this.fence.markWritten(this.messageId);
  }

  release(): void {
    this.fence.unmarkWritten(this.messageId);
  }
}
