import { timingSafeEqual } from 'node:crypto';
import type { TokenEntry } from '../config/load-config.js';
import { sha256Hex } from '../tokens/machine-token.js';
import type { Actor } from './route.js';

export { sha256Hex };

/** Where tokens made through the API are found by the SHA-256 of their secret (src/tokens/token.store.ts). */
export interface TokenLookup {
  findByHash(sha256: string): Promise<Pick<Actor, 'name' | 'roles'> | null>;
}

/**
 * Bearer tokens, compared by SHA-256 (only hashes are kept, never tokens):
 * first the bootstrap tokens of API_TOKENS_FILE (in memory, fixed until a
 * restart), then those made through the API (Redis, read on every request so
 * that a rotation or revocation holds at once in every process).
 */
export class TokenAuthenticator {
  private readonly byHash: Map<string, TokenEntry>;

  constructor(
    tokens: TokenEntry[],
    private readonly lookup?: TokenLookup,
  ) {
    this.byHash = new Map(tokens.map((t) => [t.sha256, t]));
  }

  /** The actor for an Authorization header, or null. The scheme name is case-insensitive (RFC 7235 §2.1). */
  async authenticate(header: string | undefined): Promise<Actor | null> {
    const m = /^bearer[ \t]+(\S{16,512})[ \t]*$/i.exec(header ?? '');
    if (!m) return null;
    const hash = sha256Hex(m[1]!);
    for (const [known, entry] of this.byHash) if (timingSafeEqual(Buffer.from(known), Buffer.from(hash))) return { name: entry.name, roles: entry.roles };
    const found = this.lookup ? await this.lookup.findByHash(hash) : null;
    return found ? { name: found.name, roles: found.roles } : null;
  }
}
