import type { Redis } from 'ioredis';
import type { RedisKeys } from '../store/redis-keys.js';

/** A head hash vouched for at a moment: the chain up to `seq` verified intact at `at`. */
export interface Checkpoint {
  seq: number;
  hash: string;
  at: string;
}

// Adds a checkpoint only if none exists for that seq, so that several
// processes checkpointing the same head leave one entry, and a checkpoint is
// never replaced once written.
const ADD_ONCE = `
if redis.call('ZCOUNT', KEYS[1], ARGV[1], ARGV[1]) > 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
return 1`;

function parse(member: string): Checkpoint | null {
  try {
    const c = JSON.parse(member) as Partial<Checkpoint>;
    return typeof c.seq === 'number' && typeof c.hash === 'string' && typeof c.at === 'string' ? { seq: c.seq, hash: c.hash, at: c.at } : null;
  } catch {
    return null;
  }
}

/** The checkpoints zset (score = seq, member = `{seq,hash,at}` JSON). */
export class AuditCheckpointStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The newest checkpoint, or null before the first. */
  async latest(): Promise<Checkpoint | null> {
    const [member] = await this.redis.zrevrange(this.keys.auditCheckpoints(), 0, 0);
    return member ? parse(member) : null;
  }

  /**
   * Checkpoints after `seq` (all by default), oldest first. At most one per
   * interval while events arrive: about 100,000 a year at the 5-minute default.
   */
  async after(seq = 0): Promise<Checkpoint[]> {
    const members = await this.redis.zrangebyscore(this.keys.auditCheckpoints(), `(${seq}`, '+inf');
    return members.map(parse).filter((c): c is Checkpoint => c !== null);
  }

  /** Records a checkpoint unless one exists for its seq; true when written. */
  async add(checkpoint: Checkpoint): Promise<boolean> {
    const member = JSON.stringify({ seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at });
    const added = await this.redis.eval(ADD_ONCE, 1, this.keys.auditCheckpoints(), String(checkpoint.seq), member);
    return added === 1;
  }
}
