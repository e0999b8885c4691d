import type { Redis } from 'ioredis';
import type { AuditInput } from '../audit/audit-event.js';
import type { Role } from '../config/load-config.js';
import { Conflict, NotFound } from '../errors.js';
import type { RedisKeys } from '../store/redis-keys.js';
import type { Transactor } from '../store/transactor.js';
import { newTokenSecret, sha256Hex, tokenKeys, type MachineToken, type StoredToken, type TokenGrant } from './machine-token.js';
import { randomBytes } from 'node:crypto';

export interface TokenStoreDeps {
  /** Reads (authentication, lists) on the service's main connection. */
  redis: Redis;
  keys: RedisKeys;
  /** Changes commit with their audit events in one transaction. */
  tx: Transactor;
  /** Names of the bootstrap tokens (API_TOKENS_FILE): an API token may not take one, as names are actors. */
  reservedNames: readonly string[];
  now: () => Date;
}

/** A token as created or rotated: the secret, shown to the caller once and kept nowhere. */
export interface IssuedToken {
  token: MachineToken;
  secret: string;
}

const parse = <T>(raw: string | null): T | null => (raw === null ? null : (JSON.parse(raw) as T));

function listed(t: StoredToken): MachineToken {
  const { sha256: _hash, ...rest } = t;
  return rest;
}

/**
 * Machine tokens managed through the API (issue 11 item 2), in Redis: only
 * the SHA-256 of each secret is stored, so a copy of Redis lets nobody in.
 * Authentication reads Redis on every request, with no cache, so a rotation
 * or revocation takes effect at once in every API process. Each change
 * commits with its audit event (never the secret) in one transaction.
 */
export class TokenStore {
  /** How often one process stamps a token's last use: a busy client does not write on every call. */
  static readonly LAST_USED_EVERY_MS = 60_000;
  private readonly k: ReturnType<typeof tokenKeys>;
  private readonly stamped = new Map<string, number>();
  private readonly reserved: Set<string>;

  constructor(private readonly deps: TokenStoreDeps) {
    this.k = tokenKeys(deps.keys);
    this.reserved = new Set(deps.reservedNames.map((n) => n.toLowerCase()));
  }

  /** The grant for a secret's SHA-256, or null; stamps the last use now and then. */
  async findByHash(sha256: string): Promise<TokenGrant | null> {
    const grant = parse<TokenGrant>(await this.deps.redis.get(this.k.byHash(sha256)));
    if (grant) await this.stampUse(grant.id);
    return grant;
  }

  /** Every API-made token, oldest first, without secrets or hashes. */
  async list(): Promise<MachineToken[]> {
    const ids = await this.deps.redis.zrange(this.k.index(), 0, -1);
    if (ids.length === 0) return [];
    const [raws, used] = await Promise.all([this.deps.redis.mget(ids.map(this.k.record)), this.deps.redis.hmget(this.k.lastUsed(), ...ids)]);
    return raws.flatMap((raw, i) => {
      const t = parse<StoredToken>(raw);
      return t ? [{ ...listed(t), ...(used[i] ? { lastUsedAt: used[i] } : {}) }] : [];
    });
  }

  /** A new token with a fresh secret; 409 if the name is taken (by an API token or a bootstrap token). */
  create(actor: string, name: string, roles: Role[]): Promise<IssuedToken> {
    if (this.reserved.has(name.toLowerCase())) throw new Conflict(`a token named ${name} exists in API_TOKENS_FILE`, [{ field: 'name', message: 'taken' }]);
    const secret = newTokenSecret();
    const at = this.deps.now().toISOString();
    const stored: StoredToken = { id: `tok_${randomBytes(9).toString('base64url')}`, name, roles, createdBy: actor, createdAt: at, sha256: sha256Hex(secret) };
    return this.deps.tx.run([this.k.names()], async (redis) => {
      if (await redis.hexists(this.k.names(), name.toLowerCase())) throw new Conflict(`a token named ${name} exists`, [{ field: 'name', message: 'taken' }]);
      return {
        writes: (multi) => {
          multi.hset(this.k.names(), name.toLowerCase(), stored.id);
          multi.set(this.k.record(stored.id), JSON.stringify(stored));
          multi.set(this.k.byHash(stored.sha256), JSON.stringify(grantOf(stored)));
          multi.zadd(this.k.index(), Date.parse(at), stored.id);
        },
        events: [event(actor, 'token.created', stored)],
        result: { token: listed(stored), secret },
      };
    });
  }

  /** A fresh secret for the token; the old one stops working with the same commit. */
  rotate(actor: string, id: string): Promise<IssuedToken> {
    const secret = newTokenSecret();
    return this.deps.tx.run([this.k.record(id)], async (redis) => {
      const old = parse<StoredToken>(await redis.get(this.k.record(id)));
      if (!old) throw new NotFound(`token ${id} not found`);
      const stored: StoredToken = { ...old, sha256: sha256Hex(secret), rotatedBy: actor, rotatedAt: this.deps.now().toISOString() };
      return {
        writes: (multi) => {
          multi.del(this.k.byHash(old.sha256));
          multi.set(this.k.byHash(stored.sha256), JSON.stringify(grantOf(stored)));
          multi.set(this.k.record(id), JSON.stringify(stored));
        },
        events: [event(actor, 'token.rotated', stored)],
        result: { token: listed(stored), secret },
      };
    });
  }

  /** Deletes the token; its secret stops working with the commit. */
  revoke(actor: string, id: string): Promise<MachineToken> {
    return this.deps.tx.run([this.k.record(id)], async (redis) => {
      const old = parse<StoredToken>(await redis.get(this.k.record(id)));
      if (!old) throw new NotFound(`token ${id} not found`);
      return {
        writes: (multi) => {
          multi.del(this.k.byHash(old.sha256), this.k.record(id));
          multi.zrem(this.k.index(), id);
          multi.hdel(this.k.names(), old.name.toLowerCase());
          multi.hdel(this.k.lastUsed(), id);
        },
        events: [event(actor, 'token.revoked', old)],
        result: listed(old),
      };
    });
  }

  private async stampUse(id: string): Promise<void> {
    const now = this.deps.now();
    const last = this.stamped.get(id);
    if (last !== undefined && now.getTime() - last < TokenStore.LAST_USED_EVERY_MS) return;
    this.stamped.set(id, now.getTime());
    // A token revoked meanwhile must not get its entry back: only stamp while its record exists.
    if (await this.deps.redis.exists(this.k.record(id))) await this.deps.redis.hset(this.k.lastUsed(), id, now.toISOString());
  }
}

function grantOf(t: StoredToken): TokenGrant {
  return { id: t.id, name: t.name, roles: t.roles };
}

/** The audit event of a change: who, which token, its name and roles; never the secret or its hash. */
function event(actor: string, action: string, t: StoredToken): AuditInput {
  return { actor, action, subject: `token:${t.id}`, outcome: 'success', details: { id: t.id, name: t.name, roles: t.roles } };
}
