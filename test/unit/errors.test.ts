import { describe, expect, it } from 'vitest';
import { AuditValueError } from '../../src/audit/audit-event.js';
import { ReanchorRefused } from '../../src/audit/reanchor-event.js';
import {
  AppError,
  ConfigError,
  Conflict,
  DirectoryError,
  DirectoryUnavailable,
  EXIT,
  Forbidden,
  Gone,
  JobError,
  LeaseholdError,
  NotFound,
  OperatorError,
  PayloadTooLarge,
  PermanentJobError,
  PolicyViolation,
  TransientJobError,
  Unauthenticated,
  UsageError,
  ValidationError,
} from '../../src/errors.js';
import { ConnectionLost } from '../../src/provisioner/ldap/ldap-errors.js';
import { ProvisioningInProgress } from '../../src/provisioner/revoke.service.js';

describe('the error hierarchy', () => {
  it('gives every API error its HTTP status and code, as the API documents them', () => {
    const cases: [AppError, number, string][] = [
      [new ValidationError('v'), 400, 'validation_failed'],
      [new Unauthenticated('u'), 401, 'unauthenticated'],
      [new Forbidden('f'), 403, 'forbidden'],
      [new NotFound('n'), 404, 'not_found'],
      [new Conflict('c'), 409, 'conflict'],
      [new Gone('g'), 410, 'gone'],
      [new PayloadTooLarge('p'), 413, 'payload_too_large'],
      [new PolicyViolation('p'), 422, 'policy_violation'],
    ];
    for (const [err, status, code] of cases) {
      expect(err, code).toBeInstanceOf(AppError);
      expect(err, code).toBeInstanceOf(LeaseholdError);
      expect(err, code).toBeInstanceOf(Error);
      expect([err.status, err.code], code).toEqual([status, code]);
      expect(err.details).toEqual([]);
    }
    expect(new PolicyViolation('p', [{ rule: 'r', message: 'm' }]).details).toEqual([{ rule: 'r', message: 'm' }]);
  });

  it('classifies directory failures as retryable or not; unavailability is a retryable 503', () => {
    const permanent = new DirectoryError('no such object', false, 32);
    expect(permanent).toBeInstanceOf(LeaseholdError);
    expect([permanent.retryable, permanent.ldapCode]).toEqual([false, 32]);
    const cause = new Error('socket');
    const unavailable = new DirectoryUnavailable('ping: unavailable', 'its certificate has expired', 'renew it', { cause });
    expect(unavailable).toBeInstanceOf(DirectoryError);
    expect(unavailable).not.toBeInstanceOf(AppError);
    expect(unavailable).toMatchObject({ retryable: true, status: 503, code: 'directory_unavailable', reason: 'its certificate has expired', fix: 'renew it' });
    expect(unavailable.cause).toBe(cause);
  });

  it('tells permanent job failures from transient ones', () => {
    expect(new PermanentJobError('no handler')).toBeInstanceOf(JobError);
    expect(new PermanentJobError('no handler').permanent).toBe(true);
    expect(new TransientJobError('later').permanent).toBe(false);
    const waiting = new ProvisioningInProgress('request r is being provisioned');
    expect(waiting).toBeInstanceOf(TransientJobError);
    expect(waiting.permanent).toBe(false);
  });

  it('gives every operator error its exit status (sysexits)', () => {
    const config = new ConfigError(['[REDIS_URL] Invalid URL', '[POLICY_FILE] missing']);
    expect(config).toBeInstanceOf(OperatorError);
    expect(config.exitCode).toBe(78);
    expect(config.problems).toHaveLength(2);
    expect(config.message).toBe('invalid configuration:\n  [REDIS_URL] Invalid URL\n  [POLICY_FILE] missing');
    const usage = new UsageError('--seq needs a positive integer');
    expect(usage).toBeInstanceOf(OperatorError);
    expect(usage.exitCode).toBe(64);
    const refused = new ReanchorRefused('the chain verifies');
    expect(refused).toBeInstanceOf(OperatorError);
    expect(refused.exitCode).toBe(1);
    expect(new OperatorError('cannot reach Redis', EXIT.unavailable).exitCode).toBe(69);
    expect(EXIT).toMatchObject({ ok: 0, broken: 1, usage: 64, noInput: 66, unavailable: 69, software: 70, config: 78 });
  });

  it('roots the feature errors in the hierarchy too, each named after its class for the logs', () => {
    const all: LeaseholdError[] = [
      new AuditValueError('details.x', 'a Map is not a plain object'),
      new ConnectionLost(new Error('Connection timeout')),
      new ProvisioningInProgress('p'),
      new ReanchorRefused('r'),
      new DirectoryUnavailable('m', 'r', 'f'),
      new ConfigError([]),
    ];
    for (const err of all) {
      expect(err).toBeInstanceOf(LeaseholdError);
      expect(err.name).toBe(err.constructor.name);
    }
  });
});
