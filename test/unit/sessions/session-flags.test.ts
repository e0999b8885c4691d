import { describe, expect, it } from 'vitest';
import { DEFAULT_PRIVILEGED_COMMANDS } from '../../../src/config/policy.schema.js';
import { burstsAt, FlagRules, spansOverlap, targetApproved } from '../../../src/sessions/session-flags.js';

describe('flag rules', () => {
  it('matches targets case-insensitively, bare names against their FQDN, addresses exactly', () => {
    expect(targetApproved('ERP-DB01', ['erp-db01'])).toBe(true);
    expect(targetApproved('erp-db01.school.local', ['erp-db01'])).toBe(true);
    expect(targetApproved('erp-db01', ['ERP-DB01.school.local'])).toBe(true);
    expect(targetApproved('erp-db01.other.local', ['erp-db01.school.local'])).toBe(false);
    expect(targetApproved('hr-db02', ['erp-db01'])).toBe(false);
    expect(targetApproved('10.0.0.10', ['10.0.0.1'])).toBe(false);
    expect(targetApproved('10.0.0.1', ['10.0.0.1'])).toBe(true);
  });

  it('treats sudo/su to root and DBA commands as privileged with the default policy', () => {
    const rules = new FlagRules(DEFAULT_PRIVILEGED_COMMANDS);
    for (const cmd of [
      'sudo -i',
      'sudo su -',
      'sudo -u root /bin/bash',
      'su -',
      'su root',
      'sqlplus / as sysdba',
      'GRANT ALL ON erp TO bob',
      'drop table invoices',
      'ALTER USER sys IDENTIFIED BY x',
    ])
      expect(rules.isPrivileged(cmd), cmd).toBe(true);
    for (const cmd of ['ls -l', 'cat /var/log/erp.log', 'systemctl status erp', 'select * from invoices']) expect(rules.isPrivileged(cmd), cmd).toBe(false);
  });

  it('counts failed logins in a sliding five-minute window', () => {
    const fresh = [0, 60, 120].map((s, i) => ({ id: `f${i}`, atMs: s * 1000 }));
    expect([...burstsAt([-500_000, -10_000], fresh, 4).keys()]).toEqual(['f2']);
    expect([...burstsAt([-500_000, -10_000], fresh, 3).keys()]).toEqual(['f1', 'f2']);
    expect(burstsAt([], fresh, 4).size).toBe(0);
  });

  it('treats a session without logout as alive for the idle timeout', () => {
    expect(spansOverlap({ firstMs: 0, lastMs: 10 }, { firstMs: 20, lastMs: 30 }, 15)).toBe(true);
    expect(spansOverlap({ firstMs: 0, lastMs: 10, endedMs: 10 }, { firstMs: 20, lastMs: 30 }, 15)).toBe(false);
  });
});
