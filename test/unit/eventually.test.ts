import { describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';

describe('eventually (test helper)', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    expect(await eventually(() => Promise.resolve(++n >= 3 && n), 1000, 1)).toBe(3);
  });

  it('names the last error it swallowed, with its attempt, and keeps it as the cause', async () => {
    let n = 0;
    const failure = await eventually<boolean>(
      () => {
        n++;
        return n === 2 ? Promise.reject(new Error(`directory said no on try ${n}`)) : Promise.resolve(false);
      },
      50,
      5,
    ).then(
      () => new Error('resolved'),
      (err: unknown) => err as Error,
    );
    expect(failure.message).toMatch(/condition not met within 50 ms \(\d+ attempts\)/);
    expect(failure.message).toContain('the last error (attempt 2) was Error: directory said no on try 2');
    expect(failure.message).toContain('the last attempt returned false');
    expect((failure.cause as Error).message).toBe('directory said no on try 2');
  });

  it('says what the last attempt returned when nothing threw', async () => {
    const failure = await eventually(() => Promise.resolve(null), 20, 5).then(
      () => new Error('resolved'),
      (err: unknown) => err as Error,
    );
    expect(failure.message).toContain('the last attempt returned null');
    expect(failure.cause).toBeUndefined();
  });
});
