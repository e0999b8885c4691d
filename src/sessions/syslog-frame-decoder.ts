const LF = 0x0a;
const SP = 0x20;

/**
 * Splits a syslog TCP stream into messages (RFC 6587): octet counting
 * (`<len> <msg>`) and non-transparent framing (one message per line), told
 * apart per message by its first byte, as rsyslog does. Messages longer than
 * `maxLength` are dropped and reported, never buffered: an oversized counted
 * frame is skipped by its declared length, an endless line up to its newline.
 */
export class SyslogFrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of an oversized counted frame still to drop. */
  private skip = 0;
  /** Inside an oversized line: drop until its newline. */
  private discarding = false;

  constructor(
    private readonly maxLength: number,
    private readonly onFrame: (frame: Buffer) => void,
    private readonly onGarbage: (reason: string, sample: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.buf = this.buf.subarray(n);
        this.skip -= n;
        if (this.skip > 0) return;
      }
      if (this.discarding) {
        const lf = this.buf.indexOf(LF);
        if (lf < 0) {
          this.buf = Buffer.alloc(0);
          return;
        }
        this.buf = this.buf.subarray(lf + 1);
        this.discarding = false;
      }
      // Stray separators between messages.
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === LF || this.buf[start] === 0x0d || this.buf[start] === 0 || this.buf[start] === SP)) start++;
      if (start > 0) this.buf = this.buf.subarray(start);
      if (this.buf.length === 0) return;
      const first = this.buf[0]!;
      if (first >= 0x31 && first <= 0x39) {
        const counted = this.counted();
        if (counted === 'wait') return;
        if (counted === 'frame') continue;
      }
      if (!this.line()) return;
    }
  }

  /** A connection ended: a last line without its newline still counts. */
  end(): void {
    if (this.buf.length > 0 && !this.discarding && this.skip === 0 && this.buf.length <= this.maxLength) this.onFrame(trimEnd(this.buf));
    this.buf = Buffer.alloc(0);
  }

  /** An octet-counted frame: 'frame' consumed one, 'wait' needs more bytes, 'line' it is not counted after all. */
  private counted(): 'frame' | 'wait' | 'line' {
    let i = 0;
    while (i < this.buf.length && i < 9 && this.buf[i]! >= 0x30 && this.buf[i]! <= 0x39) i++;
    if (i === this.buf.length) return 'wait';
    if (this.buf[i] !== SP) return 'line';
    const length = Number(this.buf.subarray(0, i).toString('latin1'));
    const body = i + 1;
    if (length > this.maxLength) {
      this.onGarbage(`frame of ${length} bytes exceeds ${this.maxLength}`, this.buf.subarray(0, Math.min(this.buf.length, 200)));
      this.buf = this.buf.subarray(body);
      this.skip = length;
      return 'frame';
    }
    if (this.buf.length < body + length) return 'wait';
    this.onFrame(this.buf.subarray(body, body + length));
    this.buf = this.buf.subarray(body + length);
    return 'frame';
  }

  /** A newline-terminated message; false when more bytes are needed. */
  private line(): boolean {
    const lf = this.buf.indexOf(LF);
    if (lf < 0) {
      if (this.buf.length > this.maxLength) {
        this.onGarbage(`line exceeds ${this.maxLength} bytes`, this.buf.subarray(0, 200));
        this.discarding = true;
        this.buf = Buffer.alloc(0);
      }
      return false;
    }
    if (lf > this.maxLength) this.onGarbage(`line exceeds ${this.maxLength} bytes`, this.buf.subarray(0, 200));
    else this.onFrame(trimEnd(this.buf.subarray(0, lf)));
    this.buf = this.buf.subarray(lf + 1);
    return true;
  }
}

function trimEnd(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0d || b[end - 1] === 0)) end--;
  return b.subarray(0, end);
}
