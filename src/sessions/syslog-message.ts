/** One syslog message, whichever format it came in. */
export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  facility: number;
  severity: number;
  at: Date;
  /** HOSTNAME, when the sender gave one. */
  host?: string;
  /** APP-NAME (RFC 5424) or the TAG (RFC 3164), e.g. `sshd`. */
  app?: string;
  /** PROCID, or the `[pid]` of an RFC 3164 tag. */
  procId?: string;
  message: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

const nil = (v: string | undefined) => (v === undefined || v === '-' ? undefined : v);

/**
 * Parses one syslog message (RFC 5424, or RFC 3164 as Linux senders write it).
 * Returns undefined for anything that is not syslog: no valid PRI, or a
 * malformed RFC 5424 header. `now` dates RFC 3164 stamps, which carry
 * neither year nor zone: the listener's local zone and the year that puts
 * the stamp nearest to now are assumed.
 */
export function parseSyslog(line: string, now: Date): SyslogMessage | undefined {
  const pri = /^<(\d{1,3})>/.exec(line);
  if (!pri) return undefined;
  const value = Number(pri[1]);
  if (value > 191) return undefined;
  const head = { facility: value >> 3, severity: value & 7 };
  const rest = line.slice(pri[0].length);
  return rest.startsWith('1 ') ? parse5424(rest.slice(2), head, now) : parse3164(rest, head, now);
}

function parse5424(text: string, head: { facility: number; severity: number }, now: Date): SyslogMessage | undefined {
  const fields: string[] = [];
  let pos = 0;
  for (let i = 0; i < 5; i++) {
    const sp = text.indexOf(' ', pos);
    if (sp < 0) return undefined;
    fields.push(text.slice(pos, sp));
    pos = sp + 1;
  }
  const [stamp, host, app, procId] = fields;
  const at = stamp === '-' ? now : new Date(stamp!);
  if (Number.isNaN(at.getTime())) return undefined;
  const sdEnd = skipStructuredData(text, pos);
  if (sdEnd < 0) return undefined;
  let message = text.slice(sdEnd).replace(/^ /, '');
  if (message.startsWith('\uFEFF')) message = message.slice(1);
  return { format: 'rfc5424', ...head, at, host: nil(host), app: nil(app), procId: nil(procId), message };
}

/** Index just past STRUCTURED-DATA (`-` or `[id k="v" …]…`, with `\"`, `\\` and `\]` escapes in values); -1 if malformed. */
function skipStructuredData(text: string, pos: number): number {
  if (text[pos] === '-') return pos + 1;
  if (text[pos] !== '[') return -1;
  while (text[pos] === '[') {
    let quoted = false;
    pos++;
    for (;;) {
      const c = text[pos];
      if (c === undefined) return -1;
      if (quoted && c === '\\') pos += 2;
      else {
        if (c === '"') quoted = !quoted;
        pos++;
        if (c === ']' && !quoted) break;
      }
    }
  }
  return pos;
}

function parse3164(text: string, head: { facility: number; severity: number }, now: Date): SyslogMessage {
  let rest = text;
  let at = now;
  const bsd = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) /.exec(rest);
  const iso = bsd ? null : /^(\d{4}-\d{2}-\d{2}T\S+) /.exec(rest);
  if (bsd) {
    const month = MONTHS.indexOf(bsd[1]!);
    if (month >= 0) {
      at = nearestYear(now, (year) => new Date(year, month, Number(bsd[2]), Number(bsd[3]), Number(bsd[4]), Number(bsd[5])));
      rest = rest.slice(bsd[0].length);
    }
  } else if (iso && !Number.isNaN(Date.parse(iso[1]!))) {
    at = new Date(iso[1]!);
    rest = rest.slice(iso[0].length);
  }
  // HOSTNAME is the next word, unless that word is already the tag (senders that leave the host out).
  let host: string | undefined;
  const word = /^(\S+) /.exec(rest);
  if (word && !/[:[]/.test(word[1]!)) {
    host = word[1];
    rest = rest.slice(word[0].length);
  }
  const tag = /^([^\s[:]{1,48})(?:\[([^\]\s]{1,32})\])?: ?/.exec(rest);
  if (!tag) return { format: 'rfc3164', ...head, at, ...(host ? { host } : {}), message: rest };
  return {
    format: 'rfc3164',
    ...head,
    at,
    ...(host ? { host } : {}),
    app: tag[1],
    ...(tag[2] ? { procId: tag[2] } : {}),
    message: rest.slice(tag[0].length),
  };
}

/** The date in the year (now's, the one before or after) closest to `now`. */
function nearestYear(now: Date, make: (year: number) => Date): Date {
  const year = now.getFullYear();
  let best = make(year);
  for (const y of [year - 1, year + 1]) {
    const d = make(y);
    if (Math.abs(d.getTime() - now.getTime()) < Math.abs(best.getTime() - now.getTime())) best = d;
  }
  // A stamp a little ahead of now is clock skew, not next year.
  return best.getTime() - now.getTime() > DAY_MS ? make(best.getFullYear() - 1) : best;
}
