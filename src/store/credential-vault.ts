import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Seals an initial password for storage until its one retrieval. AES-256-GCM
 * with the request id as associated data, so a sealed value cannot be moved
 * to another request.
 */
export class CredentialVault {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('credentials key must be 32 bytes');
  }

  seal(requestId: string, password: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(requestId));
    const body = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  /**
   * A keyed digest of a pickup secret (the link's token, the code) bound to
   * its request and purpose: stored instead of the secret, and useless
   * without the credentials key (an 8-digit code's plain hash would be
   * guessed from a copy of the store in a second).
   */
  digest(requestId: string, purpose: 'pickup-token' | 'pickup-code', secret: string): string {
    const key = createHmac('sha256', this.key).update('leasehold pickup digest v1').digest();
    return createHmac('sha256', key).update(`${purpose}\u0000${requestId}\u0000${secret}`).digest('base64url');
  }

  /** Whether `secret` matches a digest made by `digest` (compared in constant time). */
  matches(requestId: string, purpose: 'pickup-token' | 'pickup-code', secret: string, digest: string): boolean {
    const a = Buffer.from(this.digest(requestId, purpose, secret));
    const b = Buffer.from(digest);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  open(requestId: string, sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || !body) throw new Error('unrecognised sealed credential');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(requestId));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}
