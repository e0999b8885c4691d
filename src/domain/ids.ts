import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Opaque, time-ordered ids such as `req_01jd…`: 10 chars of time, 12 of randomness. */
export function newId(prefix: 'ven' | 'per' | 'req' | 'ses' | 'inc' | 'evt' | 'vis' | 'rvw', nowMs = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(12);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 32]!;
  return `${prefix}_${time}${rand}`;
}
