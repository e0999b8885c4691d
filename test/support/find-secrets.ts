import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';

/** One place a secret turned up. */
export interface SecretFinding {
  /** Which of the given secrets (by its label, never its value). */
  label: string;
  /** `redis:<key>` (plus field, member or entry id) or `file:<path>:<line>`. */
  where: string;
  /** How it was written there. */
  encoding: Encoding;
}

type Encoding = 'plain' | 'base64' | 'base64url' | 'hex' | 'json-escaped';

export interface FindSecretsOptions {
  /** label → secret value; labels appear in findings so a failing test never prints the secret. */
  secrets: Record<string, string>;
  /** Scan every key matching this pattern (default: every key in the database). */
  redis?: { client: Redis; match?: string };
  /** Log files, the audit mirror, exports… Missing files are skipped. */
  files?: string[];
  /** Also look for the base64/hex/JSON-escaped forms (default true). */
  encodings?: boolean;
}

function forms(secret: string, all: boolean): [Encoding, Buffer][] {
  const plain = Buffer.from(secret, 'utf8');
  if (!all) return [['plain', plain]];
  const escaped = JSON.stringify(secret).slice(1, -1);
  const out: [Encoding, Buffer][] = [
    ['plain', plain],
    ['base64', Buffer.from(plain.toString('base64').replace(/=+$/, ''))],
    ['base64url', Buffer.from(plain.toString('base64url'))],
    ['hex', Buffer.from(plain.toString('hex'))],
  ];
  if (escaped !== secret) out.push(['json-escaped', Buffer.from(escaped)]);
  return out;
}

function scan(haystack: Buffer, where: string, needles: { label: string; forms: [Encoding, Buffer][] }[], found: SecretFinding[]): void {
  for (const n of needles)
    for (const [encoding, form] of n.forms)
      if (form.length > 0 && (haystack.includes(form) || (encoding === 'hex' && haystack.includes(Buffer.from(form.toString().toUpperCase())))))
        found.push({ label: n.label, where, encoding });
}

/** Every value stored under a key, whatever its type, each with where it sits. */
async function* keyContents(redis: Redis, key: string): AsyncGenerator<[string, Buffer]> {
  const type = await redis.type(key);
  const at = `redis:${key}`;
  switch (type) {
    case 'string':
      yield [at, (await redis.getBuffer(key)) ?? Buffer.alloc(0)];
      break;
    case 'list': {
      const items = await redis.lrangeBuffer(key, 0, -1);
      for (const [i, v] of items.entries()) yield [`${at}[${i}]`, v];
      break;
    }
    case 'hash': {
      const flat = await redis.hgetallBuffer(key);
      for (const [field, v] of Object.entries(flat)) yield [`${at}#${field}`, Buffer.concat([Buffer.from(field), Buffer.from('\n'), v])];
      break;
    }
    case 'set':
      for (const m of await redis.smembersBuffer(key)) yield [`${at}{member}`, m];
      break;
    case 'zset':
      for (const m of await redis.zrangeBuffer(key, 0, -1)) yield [`${at}{member}`, m];
      break;
    case 'stream': {
      const entries = (await redis.xrangeBuffer(key, '-', '+')) as unknown as [Buffer, Buffer[]][];
      for (const [id, fields] of entries) yield [`${at}@${id.toString()}`, Buffer.concat(fields.flatMap((f) => [f, Buffer.from('\n')]))];
      break;
    }
    case 'none':
      break;
    default:
      // A type this helper does not know (a module's): dump it so nothing hides there.
      yield [`${at}(${type})`, (await redis.callBuffer('DUMP', key)) as Buffer];
  }
}

/**
 * Searches Redis (every key, every type — strings, lists, hashes, sets,
 * zsets, streams — including the key names) and the given files for each
 * secret, plain and encoded. Returns every place found; an empty array
 * means none. For the "no secret anywhere" test (issue 5): pass each issued
 * password and the LDAP bind password, the service's log files and the
 * audit mirror.
 */
export async function findSecrets(options: FindSecretsOptions): Promise<SecretFinding[]> {
  const all = options.encodings ?? true;
  const needles = Object.entries(options.secrets).map(([label, secret]) => ({ label, forms: forms(secret, all) }));
  const found: SecretFinding[] = [];
  if (options.redis) {
    const { client, match = '*' } = options.redis;
    let cursor = '0';
    do {
      const [next, keys] = await client.scanBuffer(cursor, 'MATCH', match, 'COUNT', 500);
      cursor = next.toString();
      for (const keyBuf of keys) {
        const key = keyBuf.toString();
        scan(keyBuf, `redis-key:${key}`, needles, found);
        for await (const [where, value] of keyContents(client, key)) scan(value, where, needles, found);
      }
    } while (cursor !== '0');
  }
  for (const path of options.files ?? []) {
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    let start = 0;
    let line = 1;
    while (start <= content.length) {
      const end = content.indexOf(0x0a, start);
      const slice = content.subarray(start, end === -1 ? content.length : end);
      scan(slice, `file:${path}:${line}`, needles, found);
      if (end === -1) break;
      start = end + 1;
      line++;
    }
  }
  return found;
}
