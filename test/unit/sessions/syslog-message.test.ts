import { describe, expect, it } from 'vitest';
import { parseSyslog } from '../../../src/sessions/syslog-message.js';

const now = new Date(2026, 10, 25, 12, 0, 0);

describe('the syslog message parser', () => {
  it('reads an RFC 5424 message with structured data, escapes and a BOM', () => {
    const m = parseSyslog(
      '<86>1 2026-11-25T09:20:00.5+08:00 erp-db01.school.local sshd 4242 ID47 [meta x="a \\] b" y="\\"q\\""][origin ip="10.1.1.1"] \uFEFFsession closed',
      now,
    )!;
    expect(m).toMatchObject({
      format: 'rfc5424',
      facility: 10,
      severity: 6,
      host: 'erp-db01.school.local',
      app: 'sshd',
      procId: '4242',
      message: 'session closed',
    });
    expect(m.at.toISOString()).toBe('2026-11-25T01:20:00.500Z');
  });

  it('treats RFC 5424 nil values as absent', () => {
    const m = parseSyslog('<13>1 - - - - - -', now)!;
    expect(m).toMatchObject({ format: 'rfc5424', message: '' });
    expect(m.host).toBeUndefined();
    expect(m.app).toBeUndefined();
    expect(m.at).toBe(now);
  });

  it('reads RFC 3164 with and without a host name, and with an RFC 3339 stamp', () => {
    const a = parseSyslog('<38>Nov 25 09:14:01 bastion-1 sshd[4242]: Accepted password for x from 1.2.3.4 port 1 ssh2', now)!;
    expect(a).toMatchObject({ format: 'rfc3164', host: 'bastion-1', app: 'sshd', procId: '4242', message: 'Accepted password for x from 1.2.3.4 port 1 ssh2' });
    expect(a.at.getTime()).toBe(new Date(2026, 10, 25, 9, 14, 1).getTime());
    const b = parseSyslog('<38>Nov  5 09:14:01 sudo: x : TTY=pts/0 ; USER=root ; COMMAND=/bin/sh', now)!;
    expect(b.host).toBeUndefined();
    expect(b).toMatchObject({ app: 'sudo', message: 'x : TTY=pts/0 ; USER=root ; COMMAND=/bin/sh' });
    const c = parseSyslog('<38>2026-11-25T09:14:01.000+08:00 erp-db01 su[7]: (to root) x on pts/0', now)!;
    expect(c).toMatchObject({ host: 'erp-db01', app: 'su', procId: '7' });
    expect(c.at.toISOString()).toBe('2026-11-25T01:14:01.000Z');
  });

  it('dates a December stamp received in January in the previous year', () => {
    const jan = new Date(2027, 0, 1, 0, 5, 0);
    expect(parseSyslog('<38>Dec 31 23:59:00 h sshd[1]: x', jan)!.at.getFullYear()).toBe(2026);
  });

  it('refuses what is not syslog', () => {
    for (const junk of [
      'hello world',
      '<999>1 x',
      '<13>1 2026-13-45T99:99:99Z h a p m - x',
      '<13>1 2026-11-25T09:00:00Z h a p m [unterminated',
      '',
      '\u0000\u0001',
    ])
      expect(parseSyslog(junk, now), junk).toBeUndefined();
  });
});
