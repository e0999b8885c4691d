import { describe, expect, it } from 'vitest';
import { SyslogFrameDecoder } from '../../../src/sessions/syslog-frame-decoder.js';

function decoder(max = 100) {
  const frames: string[] = [];
  const garbage: string[] = [];
  const d = new SyslogFrameDecoder(
    max,
    (f) => frames.push(f.toString()),
    (reason) => garbage.push(reason),
  );
  return { d, frames, garbage };
}

describe('the syslog TCP frame decoder', () => {
  it('splits newline-framed messages, across chunks, with CRLF and NUL endings', () => {
    const { d, frames } = decoder();
    d.push(Buffer.from('<13>one\n<13>tw'));
    d.push(Buffer.from('o\r\n<13>three\0\n'));
    expect(frames).toEqual(['<13>one', '<13>two', '<13>three']);
  });

  it('reads octet-counted frames even when a frame contains newlines or arrives byte by byte', () => {
    const { d, frames } = decoder();
    const msg = '<13>1 - h a - - - multi\nline';
    for (const byte of Buffer.from(`${Buffer.byteLength(msg)} ${msg}7 <13>abc`)) d.push(Buffer.from([byte]));
    expect(frames).toEqual([msg, '<13>abc']);
  });

  it('mixes both framings on one connection', () => {
    const { d, frames } = decoder();
    d.push(Buffer.from('5 <13>a<13>b\n3 <1>'));
    expect(frames).toEqual(['<13>a', '<13>b', '<1>']);
  });

  it('drops oversized frames and lines as garbage and carries on', () => {
    const { d, frames, garbage } = decoder(10);
    d.push(Buffer.from(`20 ${'x'.repeat(20)}<13>ok\n`));
    d.push(Buffer.from('y'.repeat(30)));
    d.push(Buffer.from('yyy\n<13>ok2\n'));
    expect(frames).toEqual(['<13>ok', '<13>ok2']);
    expect(garbage).toHaveLength(2);
  });

  it('keeps a last line that ended without a newline when the connection closes', () => {
    const { d, frames } = decoder();
    d.push(Buffer.from('<13>last'));
    expect(frames).toEqual([]);
    d.end();
    expect(frames).toEqual(['<13>last']);
  });
});
