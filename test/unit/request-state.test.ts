import { describe, expect, it } from 'vitest';
import { canMove, moveRequest } from '../../src/domain/request-state.js';
import type { AccessRequest } from '../../src/domain/types.js';
import { jitteredBackoff, BACKOFF_CAP_MS } from '../../src/queues/job-registry.js';
import { Conflict } from '../../src/errors.js';

describe('the request state machine', () => {
  it('follows the lifecycle of API.md', () => {
    expect(canMove('pending', 'approved')).toBe(true);
    expect(canMove('active', 'expired')).toBe(true);
    expect(canMove('expired', 'closed')).toBe(true);
    expect(canMove('active', 'cancelled')).toBe(false);
    expect(canMove('rejected', 'approved')).toBe(false);
  });

  it('refuses a wrong move with a conflict and records allowed moves in history', () => {
    const r = { status: 'pending', history: [] } as unknown as AccessRequest;
    const moved = moveRequest(r, 'approved', 'sup', new Date('2026-01-01T00:00:00Z'), 'ok');
    expect(moved.history).toEqual([{ at: '2026-01-01T00:00:00.000Z', actor: 'sup', action: 'status.approved', from: 'pending', to: 'approved', note: 'ok' }]);
    expect(() => moveRequest(moved, 'approved', 'sup', new Date())).toThrow(Conflict);
  });
});

describe('retry backoff', () => {
  it('grows exponentially with jitter and is capped', () => {
    expect(jitteredBackoff(1, () => 0)).toBe(250);
    expect(jitteredBackoff(1, () => 1)).toBe(500);
    expect(jitteredBackoff(4, () => 1)).toBe(4000);
    expect(jitteredBackoff(30, () => 1)).toBe(BACKOFF_CAP_MS);
  });
});
