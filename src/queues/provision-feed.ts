import type { Redis } from 'ioredis';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';

/** The feed's keys (RedisKeys.provisionFeed). */
export interface ProvisionFeedKeys {
  /** `requestId attempt` → when it is due (validFrom, ms). */
  due: string;
  /** `requestId attempt` → when its lease runs out (ms): claimed by a worker that is provisioning it. */
  claimed: string;
  /** A one-element list a producer pushes to and an idle worker blocks on. */
  wake: string;
}

/** One entry of the feed: a request's provisioning attempt. */
export interface FeedEntry {
  requestId: string;
  attempt: number;
}

const memberOf = (e: FeedEntry): string => `${e.requestId} ${e.attempt}`;

function entryOf(member: string): FeedEntry | undefined {
  const space = member.lastIndexOf(' ');
  const attempt = Number(member.slice(space + 1));
  return space > 0 && Number.isInteger(attempt) ? { requestId: member.slice(0, space), attempt } : undefined;
}

// Claims up to ARGV[3] entries, leased until ARGV[1] + ARGV[2]: first those whose lease ran out (their worker died
// or stalled), then those due; and clears the wake tokens, as this claim has looked. One round trip, atomic,
// whatever the number of workers.
const CLAIM = `
redis.call('DEL', KEYS[3])
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[3])
local out = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, max)
if #out < max then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, max - #out)
  if #due > 0 then
    redis.call('ZREM', KEYS[1], unpack(due))
    for _, m in ipairs(due) do out[#out + 1] = m end
  end
end
if #out > 0 then
  local args = {}
  local deadline = now + tonumber(ARGV[2])
  for _, m in ipairs(out) do
    args[#args + 1] = deadline
    args[#args + 1] = m
  end
  redis.call('ZADD', KEYS[2], unpack(args))
end
return out`;

/**
 * The producer side: one pipelined round trip puts a request's attempt in the
 * due set (NX: a second add, from catch-up, keeps the first) and leaves a wake
 * token for an idle worker. Not a transaction: an entry whose token is lost is
 * claimed within a second anyway, and a token without an entry wakes a worker
 * for nothing. Tokens pile up only while no worker claims (each claim clears them).
 */
export async function addToFeed(redis: Redis, keys: ProvisionFeedKeys, entry: FeedEntry, due: Date): Promise<void> {
  const results = await redis.pipeline().zadd(keys.due, 'NX', due.getTime(), memberOf(entry)).lpush(keys.wake, '1').exec();
  const failed = results?.find(([err]) => err)?.[0];
  if (failed) throw failed;
}

export interface ProvisionFeedOptions {
  redis: Redis;
  keys: ProvisionFeedKeys;
  /** Attempts provisioned at once by this process. */
  concurrency: number;
  /** How long a claim stands without renewal: a dead worker's entries are taken over after about this long. */
  leaseMs: number;
  /** Provisions one attempt (ProvisionService.provision): idempotent. */
  run: (entry: FeedEntry) => Promise<void>;
  /** An attempt that threw: retried elsewhere (a BullMQ job with backoff) or given up; once this resolves the entry leaves the feed. */
  failed: (entry: FeedEntry, err: unknown) => Promise<void>;
  logger: Logger;
  clock?: () => number;
}

/**
 * Provisioning's queue, kept in the store itself (issue 15): approving a
 * request adds one sorted-set entry, a worker claims a batch of due entries
 * with one script and removes each when it has run. No job record, no lock
 * key, no event stream per account: a BullMQ job cost about 25 Redis
 * commands per account, this about 5. The guarantees stay:
 *
 * - at least once: an entry leaves the claimed set only after its run
 *   returned or its failure was handed on; a worker that dies leaves its
 *   claims to expire (leaseMs) and another takes them over, and each
 *   provisioning step is idempotent;
 * - a live worker renews its claims every leaseMs/3, so a slow directory
 *   does not hand a running attempt to a second worker;
 * - a failed run goes to `failed`, which queues the attempt as a BullMQ job
 *   with backoff and the job's attempts (or gives up on a permanent error):
 *   the rare path keeps the mature machinery, the common one is cheap.
 */
export class ProvisionFeed {
  private readonly inFlight = new Set<string>();
  private readonly finished: string[] = [];
  private slotWaiters: (() => void)[] = [];
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private blocking: Redis | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private readonly clock: () => number;

  constructor(private readonly o: ProvisionFeedOptions) {
    this.clock = o.clock ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.blocking = this.o.redis.duplicate();
    this.blocking.on('error', () => undefined); // the loop logs what its calls fail with
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.o.leaseMs / 3)));
    this.renewTimer.unref();
    this.loopDone = this.loop();
  }

  /** Stops claiming, waits for the attempts in flight, and removes what they finished. */
  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.blocking?.disconnect();
    for (const wake of this.slotWaiters.splice(0)) wake();
    await this.loopDone;
    while (this.inFlight.size) await this.slotFreed();
    clearInterval(this.renewTimer);
    await this.flush();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const free = this.o.concurrency - this.inFlight.size;
        if (free <= 0) {
          await this.slotFreed();
          continue;
        }
        const claimed = (await this.o.redis.eval(
          CLAIM,
          3,
          this.o.keys.due,
          this.o.keys.claimed,
          this.o.keys.wake,
          String(this.clock()),
          String(this.o.leaseMs),
          String(free),
        )) as string[];
        for (const member of claimed) this.begin(member);
        if (claimed.length === free || !this.running) continue;
        // Idle: wait for a producer's token, or a second to pass (an entry due later, a lease that runs out).
        await this.blocking!.blpop(this.o.keys.wake, 1);
      } catch (err) {
        if (!this.running) break;
        this.o.logger.warn('provisioning feed: Redis did not answer; trying again', { error: errorMessage(err) });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Resolves when an attempt finishes (or close() stops the loop). */
  private slotFreed(): Promise<void> {
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private begin(member: string): void {
    const entry = entryOf(member);
    if (!entry) {
      this.o.logger.error('provisioning feed: dropped a malformed entry', { member });
      this.finish(member, true);
      return;
    }
    this.inFlight.add(member);
    void this.o
      .run(entry)
      .then(
        () => true,
        (err: unknown) => this.o.failed(entry, err).then(() => true),
      )
      .catch((err: unknown) => {
        // Not handed on (Redis down?): the claim is left to run out, and a worker takes the attempt over then.
        this.o.logger.error('provisioning feed: a failed attempt could not be queued for retry; it is retried when its claim runs out', {
          requestId: entry.requestId,
          error: errorMessage(err),
        });
        return false;
      })
      .then((done) => this.finish(member, done));
  }

  private finish(member: string, remove: boolean): void {
    this.inFlight.delete(member);
    if (remove) this.finished.push(member);
    for (const wake of this.slotWaiters.splice(0)) wake();
    if (remove && !this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Removes the finished entries' claims, many in one command. */
  private async flush(): Promise<void> {
    this.flushing = false;
    const members = this.finished.splice(0);
    if (!members.length) return;
    try {
      await this.o.redis.zrem(this.o.keys.claimed, ...members);
    } catch (err) {
      // Their claims run out and the attempts run again, finding their requests done.
      this.o.logger.warn('provisioning feed: could not remove finished claims', {
        count: members.length,
        error: errorMessage(err),
      });
    }
  }

  /** Extends the claims of the attempts still running (XX: never re-adds one that was removed). */
  private async renew(): Promise<void> {
    if (!this.inFlight.size) return;
    const until = this.clock() + this.o.leaseMs;
    const args = [...this.inFlight].flatMap((m) => [until, m]);
    try {
      await this.o.redis.zadd(this.o.keys.claimed, 'XX', ...args);
    } catch (err) {
      this.o.logger.warn('provisioning feed: could not renew claims', { error: errorMessage(err) });
    }
  }
}
