import type { Redis } from 'ioredis';
import type { RedisKeys } from '../store/redis-keys.js';
import type { StaffSession } from './staff-session.js';

/**
 * Staff sessions in Redis. A session lives under the SHA-256 of its id, so
 * that a copy of the store signs nobody in; its key expires when the
 * session would (idle or absolute end), and a per-person set lists the
 * hashes so that an administrator can list or end all of someone's sessions.
 */
export class StaffSessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  private key(idHash: string): string {
    return this.keys.staff('session', idHash);
  }
  private userKey(name: string): string {
    return this.keys.staff('user', name.toLowerCase());
  }

  /** Stores a new session for `ttlMs`. */
  async create(session: StaffSession, ttlMs: number): Promise<void> {
    await this.redis
      .multi()
      .set(this.key(session.idHash), JSON.stringify(session), 'PX', Math.max(1, ttlMs))
      .sadd(this.userKey(session.name), session.idHash)
      .exec();
  }

  async get(idHash: string): Promise<StaffSession | null> {
    const raw = await this.redis.get(this.key(idHash));
    return raw === null ? null : (JSON.parse(raw) as StaffSession);
  }

  /**
   * Writes back a session still stored (XX): a session revoked or expired
   * meanwhile stays gone. False when it was gone.
   */
  async update(session: StaffSession, ttlMs: number): Promise<boolean> {
    const ok = await this.redis.set(this.key(session.idHash), JSON.stringify(session), 'PX', Math.max(1, ttlMs), 'XX');
    return ok === 'OK';
  }

  async delete(session: Pick<StaffSession, 'idHash' | 'name'>): Promise<boolean> {
    const [[, removed] = []] = (await this.redis.multi().del(this.key(session.idHash)).srem(this.userKey(session.name), session.idHash).exec()) ?? [];
    return removed === 1;
  }

  /** The live sessions of `name`; hashes of expired ones are dropped from the list on the way. */
  async listFor(name: string): Promise<StaffSession[]> {
    const hashes = await this.redis.smembers(this.userKey(name));
    if (hashes.length === 0) return [];
    const raws = await this.redis.mget(hashes.map((h) => this.key(h)));
    const dead = hashes.filter((_, i) => raws[i] === null);
    if (dead.length > 0) await this.redis.srem(this.userKey(name), ...dead);
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as StaffSession);
  }

  /** Ends every session of `name`; returns how many were live. */
  async deleteAllFor(name: string): Promise<number> {
    const hashes = await this.redis.smembers(this.userKey(name));
    if (hashes.length === 0) return 0;
    const replies = await this.redis
      .multi()
      .del(...hashes.map((h) => this.key(h)))
      .srem(this.userKey(name), ...hashes)
      .exec();
    return Number(replies?.[0]?.[1] ?? 0);
  }
}
