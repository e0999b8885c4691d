import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReanchorRefused } from '../../src/audit/reanchor-event.js';
import { failed, runCli } from '../../src/cli.js';
import { ConfigError, EXIT, OperatorError, UsageError, ValidationError } from '../../src/errors.js';

let stderr = '';

beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  // A clean CLI environment whatever the machine has set.
  for (const name of ['REDIS_URL', 'REDIS_PREFIX', 'AUDIT_LOG_FILE', 'AUDIT_REANCHOR_KEY', 'AUDIT_REANCHOR_KEY_FILE']) vi.stubEnv(name, undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('the CLI exit status (leasehold audit …)', () => {
  it('is 64 with the usage for an unknown command or option, or a bad argument', async () => {
    expect(await runCli(['audit', 'frobnicate'])).toBe(64);
    expect(stderr).toContain('unknown command: audit frobnicate');
    expect(stderr).toContain('usage:');
    stderr = '';
    expect(await runCli(['audit', 'verify', '--no-such-option'])).toBe(64);
    expect(stderr).toContain('usage:');
    expect(await runCli(['audit', 'verify', '--from-seq', '0'])).toBe(64);
    expect(await runCli(['audit', 'reanchor', '--seq', '3'])).toBe(64);
  });

  it('is 78 for an invalid environment, listing the problem', async () => {
    vi.stubEnv('REDIS_URL', 'http://not-redis');
    expect(await runCli(['audit', 'verify'])).toBe(78);
    expect(stderr).toMatch(/^invalid configuration:\n {2}\[REDIS_URL\] must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('is 78 when re-anchoring without a key', async () => {
    expect(await runCli(['audit', 'reanchor', '--seq', '3', '--reason', 'date defect'])).toBe(78);
    expect(stderr).toContain('AUDIT_REANCHOR_KEY or AUDIT_REANCHOR_KEY_FILE is required');
  });

  it('is 66 for a file that does not exist', async () => {
    expect(await runCli(['audit', 'verify', '--file', join(tmpdir(), 'leasehold-no-such-mirror.jsonl')])).toBe(66);
    expect(stderr).toContain('ENOENT');
  });

  it('follows the error class of any failure', () => {
    const cases: [unknown, number, RegExp][] = [
      [new UsageError('--format must be jsonl or csv'), EXIT.usage, /--format must be jsonl or csv\nusage:/],
      [Object.assign(new Error('Unknown option'), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }), EXIT.usage, /Unknown option\nusage:/],
      [new ConfigError(['[REDIS_PREFIX] letters, digits, _ . - only']), EXIT.config, /invalid configuration/],
      [new OperatorError('cannot reach Redis at redis://127.0.0.1:1/', EXIT.unavailable), EXIT.unavailable, /^cannot reach Redis/],
      [new ReanchorRefused('the chain verifies'), EXIT.broken, /the chain verifies/],
      [new ValidationError('fromSeq 99 is beyond the head of the trail (seq 20)'), EXIT.usage, /beyond the head/],
      [Object.assign(new Error("EEXIST: file already exists, open 'out.jsonl'"), { code: 'EEXIST' }), EXIT.usage, /--out never overwrites a file/],
      [Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), EXIT.noInput, /ENOENT/],
      [Object.assign(new Error('Reached the max retries per request limit'), { code: 7 }), EXIT.unavailable, /^failed: Reached/],
      [new Error('Connection is closed.'), EXIT.unavailable, /^failed: Connection is closed/],
    ];
    for (const [err, status, text] of cases) {
      stderr = '';
      expect(failed(err), String(err)).toBe(status);
      expect(stderr, String(err)).toMatch(text);
    }
  });
});
