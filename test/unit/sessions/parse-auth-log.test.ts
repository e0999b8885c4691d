import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAuthLog } from '../../../src/sessions/parse-auth-log.js';
import { parseSyslog } from '../../../src/sessions/syslog-message.js';

const dir = join(import.meta.dirname, '../../fixtures/auth-log');
const lines = readFileSync(join(dir, 'debian-auth.log'), 'utf8').trimEnd().split('\n');
const expected = readFileSync(join(dir, 'debian-auth.expected.jsonl'), 'utf8')
  .trimEnd()
  .split('\n')
  .map((l) => JSON.parse(l) as unknown);
const now = new Date(2026, 10, 25, 12, 0, 0);

describe('the auth-log parser', () => {
  it('has an expectation for every line of the corpus', () => {
    expect(expected).toHaveLength(lines.length);
  });

  // /var/log/auth.log lines as rsyslog forwards them: authpriv.info PRI, RFC 3164 header.
  it.each(lines.map((line, i) => [i + 1, line, expected[i]] as const))('reads corpus line %i as its expected event', (_n, line, want) => {
    const msg = parseSyslog(`<86>${line}`, now);
    expect(msg?.host).toBe('erp-db01');
    expect(parseAuthLog(msg!) ?? null).toEqual(want);
  });

  it('reads an RFC 5424 line (app name and procid fields) the same way', () => {
    const msg = parseSyslog(
      '<86>1 2026-11-25T09:14:01.123456+08:00 erp-db01 sshd 4242 - - Accepted password for v-acme-chen-1 from 10.20.0.7 port 51234 ssh2',
      now,
    )!;
    expect(parseAuthLog(msg)).toEqual({ account: 'v-acme-chen-1', type: 'login', detail: 'Accepted password', sourceIp: '10.20.0.7', sourceSessionId: '4242' });
  });

  it('ignores lines of other programs and unknown sshd chatter', () => {
    expect(parseAuthLog({ app: 'nginx', message: 'GET / 200' })).toBeUndefined();
    expect(parseAuthLog({ app: 'sshd', procId: '1', message: 'Server listening on 0.0.0.0 port 22.' })).toBeUndefined();
    expect(parseAuthLog({ app: 'sudo', message: 'nonsense' })).toBeUndefined();
  });
});
