import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/api/error-handler.js';
import { Conflict, DirectoryError, DirectoryUnavailable, NotFound, PolicyViolation, ValidationError } from '../../src/errors.js';
import { capturingLogger } from '../support/log-capture.js';

interface Answer {
  status: number;
  body: { error: { code: string; message: string; details: unknown[] }; requestId: string };
}

/** Runs the API's error middleware on `err` and returns the answer it writes. */
function answer(err: unknown, options: { redisDown?: () => boolean } = {}) {
  const { logger, entries } = capturingLogger();
  const out: Partial<Answer> = {};
  const res = {
    locals: { requestId: 'req-1' },
    headersSent: false,
    status(code: number) {
      out.status = code;
      return this;
    },
    json(body: Answer['body']) {
      out.body = body;
      return this;
    },
  };
  errorHandler({ logger, ...options })(err, { path: '/v1/x' } as Request, res as unknown as Response, () => undefined);
  return { ...(out as Answer), entries };
}

describe('the API error middleware', () => {
  it('answers an AppError with its status, code, message and details', () => {
    const details = [{ rule: 'separation_of_duties', message: 'approver must differ from requester' }];
    expect(answer(new PolicyViolation('refused by policy', details))).toMatchObject({
      status: 422,
      body: { error: { code: 'policy_violation', message: 'refused by policy', details }, requestId: 'req-1' },
    });
    expect(answer(new NotFound('request r not found'))).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(answer(new Conflict('request is active'))).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    expect(answer(new ValidationError('invalid body'))).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
  });

  it('answers DirectoryUnavailable 503 directory_unavailable, naming the reason and the fix', () => {
    const err = new DirectoryUnavailable('ping: unavailable', 'its TLS certificate has expired (CERT_HAS_EXPIRED)', "renew the directory's certificate");
    expect(answer(err)).toMatchObject({
      status: 503,
      body: {
        error: {
          code: 'directory_unavailable',
          message: 'the directory is unavailable: its TLS certificate has expired (CERT_HAS_EXPIRED)',
          details: [{ rule: 'directory_unavailable', message: "renew the directory's certificate" }],
        },
      },
    });
  });

  it('answers a retryable directory failure 503 unavailable and a permanent one 500', () => {
    expect(answer(new DirectoryError('search: ECONNREFUSED', true))).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    expect(answer(new DirectoryError('add: insufficient access', false, 50))).toMatchObject({ status: 500, body: { error: { code: 'internal' } } });
  });

  it('answers an unknown error 500 without its message, which goes to the log', () => {
    const { status, body, entries } = answer(new Error('SECRET-INTERNAL-DETAIL at /srv/x'));
    expect(status).toBe(500);
    expect(body.error).toEqual({ code: 'internal', message: 'internal error', details: [] });
    expect(JSON.stringify(body)).not.toContain('SECRET-INTERNAL-DETAIL');
    expect(entries.find((e) => e.level === 'error')?.error).toContain('SECRET-INTERNAL-DETAIL');
  });

  it('answers a broken socket, or any failure while Redis is down, 503 unavailable and logs a warning, not an error', () => {
    const refused = answer(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }));
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    // ioredis's own wording ("Connection is closed.") decides nothing: the connection's state does.
    const closed = new Error('Connection is closed.');
    expect(answer(closed, { redisDown: () => true })).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    const up = answer(closed, { redisDown: () => false });
    expect(up.status).toBe(500);
    expect(answer(closed, { redisDown: () => true }).entries.map((e) => e.level)).toEqual(['warn']);
  });
});
