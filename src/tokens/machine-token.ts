import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../config/load-config.js';
import type { RedisKeys } from '../store/redis-keys.js';

/** A machine token made through the API, as listed: never the secret, never its hash. */
export interface MachineToken {
  id: string;
  name: string;
  roles: Role[];
  createdBy: string;
  createdAt: string;
  rotatedBy?: string;
  rotatedAt?: string;
  /** Stamped at most once a minute per process (TokenStore.LAST_USED_EVERY_MS). */
  lastUsedAt?: string;
}

/** The stored record: the token plus the SHA-256 of its current secret (to find its hash key on rotation and revocation). */
export interface StoredToken extends Omit<MachineToken, 'lastUsedAt'> {
  sha256: string;
}

/** What authentication reads per request, under the hash key: just enough to make an Actor. */
export interface TokenGrant {
  id: string;
  name: string;
  roles: Role[];
}

/** Secrets carry a prefix so that a leaked one is recognisable (secret scanners, log review). */
const SECRET_PREFIX = 'lht_';

/** A fresh secret: 256 random bits. */
export function newTokenSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The Redis keys of API-made tokens, under RedisKeys.tokens. */
export function tokenKeys(keys: RedisKeys) {
  return {
    /** id → StoredToken (JSON). */
    record: (id: string) => keys.tokens('rec', id),
    /** sha256 of the current secret → TokenGrant (JSON): the one read per request. */
    byHash: (sha256: string) => keys.tokens('hash', sha256),
    /** id → createdAt (ms): the list. */
    index: () => keys.tokens('index'),
    /** lower-case name → id: names are unique, as they are actor names in the audit trail. */
    names: () => keys.tokens('names'),
    /** id → ISO time of the last authenticated use. */
    lastUsed: () => keys.tokens('last-used'),
  };
}
