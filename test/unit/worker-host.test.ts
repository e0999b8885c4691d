import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { DirectoryError, DirectoryUnavailable, NotFound, PermanentJobError } from '../../src/errors.js';
import { ProvisioningInProgress } from '../../src/provisioner/revoke.service.js';
import { jobFailure } from '../../src/queues/worker-host.js';

describe('a failed job', () => {
  it('stops at once on a directory failure that retrying cannot cure, keeping its message for the give-up record', () => {
    const failure = jobFailure(new DirectoryError('create account v.x: username v.x is taken by an entry of another request', false, 68));
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect((failure as Error).message).toBe('create account v.x: username v.x is taken by an entry of another request');
  });

  it('stops at once on a permanent job error', () => {
    expect(jobFailure(new PermanentJobError('no handler for job x'))).toBeInstanceOf(UnrecoverableError);
  });

  it('retries a retryable directory failure, an unavailable directory, a transient job error and anything unknown', () => {
    const retried = [
      new DirectoryError('search: ECONNRESET', true),
      new DirectoryUnavailable('ping: unavailable', 'its certificate has expired', 'renew it'),
      new ProvisioningInProgress('request r is being provisioned; revocation waits'),
      new NotFound('request r not found'),
      new Error('Connection is closed.'),
    ];
    for (const err of retried) {
      const failure = jobFailure(err);
      expect(failure, err.message).toBe(err);
      expect(failure, err.message).not.toBeInstanceOf(UnrecoverableError);
    }
  });
});
