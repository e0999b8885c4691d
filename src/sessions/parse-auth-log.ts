import type { SessionEventInput, SessionEventType } from './session-record.js';
import type { SyslogMessage } from './syslog-message.js';

/** The part of an event an auth-log line determines (source, target and time come from the syslog header). */
export type AuthLogEvent = Pick<SessionEventInput, 'account' | 'type' | 'detail'> & { sourceIp?: string; sourceSessionId?: string };

const SSHD_APPS = new Set(['sshd', 'sshd-session', 'sshd-auth']);
/** PAM services whose own lines already say what the pam_unix line would (counting both would double failures). */
const PAM_COVERED_AUTH = new Set(['sshd', 'sudo', 'su', 'su-l']);
const PAM_LOGIN_SERVICES = new Set(['login', 'sshd']);

const ev = (account: string, type: SessionEventType, detail: string, extra: Partial<AuthLogEvent> = {}): AuthLogEvent => ({ account, type, detail, ...extra });
/** `vchen(uid=1001)` → `vchen`. */
const user = (s: string) => s.replace(/\(uid=\d+\)$/, '');

/**
 * Turns an sshd, sudo, su or pam_unix line into a session event, or returns
 * undefined when the line is not about a session (ignored, not garbage).
 * sshd events carry the sshd pid as source session id, so login, commands
 * and logout of one connection group together; sudo and su lines have no
 * link to the connection and join the account's open session on that host.
 */
export function parseAuthLog(msg: Pick<SyslogMessage, 'app' | 'procId' | 'message'>): AuthLogEvent | undefined {
  const app = (msg.app ?? '').toLowerCase();
  const text = msg.message.trim();
  const pam = /^pam_unix\(([\w.-]+):(\w+)\): (.*)$/.exec(text);
  if (pam) return parsePam(pam[1]!, pam[2]!, pam[3]!, msg.procId);
  if (SSHD_APPS.has(app)) return parseSshd(text, msg.procId);
  if (app === 'sudo') return parseSudo(text);
  if (app === 'su') return parseSu(text);
  return undefined;
}

function parseSshd(text: string, pid: string | undefined): AuthLogEvent | undefined {
  const sid = pid ? { sourceSessionId: pid } : {};
  let m = /^Accepted (\S+) for (\S+) from (\S+) port \d+/.exec(text);
  if (m) return ev(m[2]!, 'login', `Accepted ${m[1]}`, { sourceIp: m[3]!, ...sid });
  m = /^Failed (\S+) for (invalid user )?(\S+) from (\S+) port \d+/.exec(text);
  if (m) return ev(m[3]!, 'failed_login', `Failed ${m[1]}${m[2] ? ' (invalid user)' : ''}`, { sourceIp: m[4]!, ...sid });
  m = /^User (\S+) from (\S+) not allowed because (.*)$/.exec(text);
  if (m) return ev(m[1]!, 'failed_login', `not allowed: ${m[3]}`, { sourceIp: m[2]!, ...sid });
  m = /^Invalid user (\S+) from (\S+)/.exec(text);
  if (m) return ev(m[1]!, 'connect', 'invalid user', { sourceIp: m[2]!, ...sid });
  m = /^Disconnected from user (\S+) (\S+) port \d+/.exec(text);
  if (m) return ev(m[1]!, 'logout', 'disconnected', { sourceIp: m[2]!, ...sid });
  m = /^(Disconnected from|Connection closed by) (?:authenticating|invalid) user (\S+) (\S+) port \d+/.exec(text);
  if (m)
    return ev(m[2]!, 'connect', `${m[1] === 'Disconnected from' ? 'disconnected' : 'connection closed'} before authentication`, { sourceIp: m[3]!, ...sid });
  return undefined;
}

function parsePam(service: string, kind: string, rest: string, pid: string | undefined): AuthLogEvent | undefined {
  const svc = service.toLowerCase();
  const sid = pid ? { sourceSessionId: pid } : {};
  if (kind === 'session') {
    const opened = /^session opened for user (\S+) by (\S*)/.exec(rest);
    const closed = /^session closed for user (\S+)/.exec(rest);
    if (svc === 'su' || svc === 'su-l') {
      // su's session is the target user's; the event belongs to who switched ("by vchen(uid=1001)").
      const by = opened ? user(opened[2]!) : '';
      return opened && by && !by.startsWith('(') ? ev(by, 'command', `su ${user(opened[1]!)}`) : undefined;
    }
    if (!PAM_LOGIN_SERVICES.has(svc)) return undefined;
    if (opened) return ev(user(opened[1]!), 'login', `${svc} session opened`, sid);
    if (closed) return ev(user(closed[1]!), 'logout', `${svc} session closed`, sid);
    return undefined;
  }
  if (kind === 'auth' && rest.startsWith('authentication failure')) {
    const fields = Object.fromEntries([...rest.matchAll(/(\w+)=(\S*)/g)].map((x) => [x[1]!, x[2]!]));
    if (svc === 'su' || svc === 'su-l') {
      const who = fields.ruser || fields.logname;
      return who ? ev(who, 'failed_login', `su ${fields.user ?? 'root'}`) : undefined;
    }
    if (PAM_COVERED_AUTH.has(svc) || !fields.user) return undefined;
    return ev(fields.user, 'failed_login', `${svc} authentication failure`, { ...(fields.rhost ? { sourceIp: fields.rhost } : {}), ...sid });
  }
  return undefined;
}

/** `vchen : TTY=pts/0 ; PWD=/home/vchen ; USER=root ; COMMAND=/bin/bash`, possibly with an error first. */
function parseSudo(text: string): AuthLogEvent | undefined {
  const m = /^(\S+) : (.*)$/.exec(text);
  if (!m) return undefined;
  const account = m[1]!;
  const body = m[2]!;
  const cmdAt = body.indexOf('COMMAND=');
  const command = cmdAt >= 0 ? body.slice(cmdAt + 'COMMAND='.length).trim() : undefined;
  const head = (cmdAt >= 0 ? body.slice(0, cmdAt) : body)
    .split(' ; ')
    .map((s) => s.trim())
    .filter(Boolean);
  const fields: Record<string, string> = {};
  const notes: string[] = [];
  for (const part of head) {
    const kv = /^([A-Z]+)=(.*)$/.exec(part);
    if (kv) fields[kv[1]!] = kv[2]!;
    else notes.push(part);
  }
  if (!command && notes.length === 0) return undefined;
  const runAs = fields.USER ?? 'root';
  const line = `sudo -u ${runAs} ${command ?? ''}`.trim();
  const problem = notes.join('; ');
  if (/incorrect password|authentication failure/i.test(problem)) return ev(account, 'failed_login', `${line} (${problem})`);
  return ev(account, 'command', problem ? `${line} (refused: ${problem})` : line);
}

/** util-linux `(to root) vchen on pts/0`, `FAILED SU (to root) vchen on pts/0`; shadow `+ pts/0 vchen:root`. */
function parseSu(text: string): AuthLogEvent | undefined {
  let m = /^(FAILED SU )?\(to (\S+)\) (\S+) on \S+/.exec(text);
  if (m) return ev(m[3]!, m[1] ? 'failed_login' : 'command', `su ${m[2]}`);
  m = /^([+-]) \S+ (\S+):(\S+)$/.exec(text);
  if (m) return ev(m[2]!, m[1] === '+' ? 'command' : 'failed_login', `su ${m[3]}`);
  return undefined;
}
