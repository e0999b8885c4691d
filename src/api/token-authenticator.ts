import { createHash, timingSafeEqual } from 'node:crypto';
import type { TokenEntry } from '../config/load-config.js';
import type { Actor } from './route.js';

/** Bearer tokens, compared by SHA-256 (only hashes are configured, never tokens). */
export class TokenAuthenticator {
  private readonly byHash: Map<string, TokenEntry>;

  constructor(tokens: TokenEntry[]) {
    this.byHash = new Map(tokens.map((t) => [t.sha256, t]));
  }

  /** The actor for an Authorization header, or null. The scheme name is case-insensitive (RFC 7235 §2.1). */
  authenticate(header: string | undefined): Actor | null {
    const m = /^bearer[ \t]+(\S{16,512})[ \t]*$/i.exec(header ?? '');
    if (!m) return null;
    const hash = createHash('sha256').update(m[1]!).digest('hex');
    for (const [known, entry] of this.byHash) if (timingSafeEqual(Buffer.from(known), Buffer.from(hash))) return { name: entry.name, roles: entry.roles };
    return null;
  }
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
