import { describe, expect, it } from 'vitest';
import { candidateUsername, MAX_USERNAME } from '../../src/provisioner/username.js';
import { generatePassword } from '../../src/provisioner/generate-password.js';

describe('usernames from the policy template', () => {
  const vendor = { id: 'ven_x', name: 'Acme Systems Ltd.' };
  it('fills vendor and person and numbers the candidate', () => {
    expect(candidateUsername('v-{vendor}-{person}', vendor, { id: 'per_1', fullName: 'Chen Wei' }, 1)).toBe('v-acmesyst-chen-1');
  });

  it('never exceeds 20 characters, whatever the names', () => {
    const long = candidateUsername('vendor-{vendor}-{person}', { id: 'ven_x', name: 'A'.repeat(80) }, { id: 'per_1', fullName: 'B'.repeat(80) }, 123);
    expect(long.length).toBeLessThanOrEqual(MAX_USERNAME);
    expect(long.endsWith('-123')).toBe(true);
  });

  it('folds accents and falls back to the id for names without Latin letters', () => {
    expect(candidateUsername('v-{vendor}-{person}', { id: 'ven_abcdef', name: 'Société' }, { id: 'per_123456', fullName: '陳大文' }, 2)).toBe(
      'v-societe-123456-2',
    );
  });

  it('keeps DN and filter metacharacters out of usernames', () => {
    const u = candidateUsername('v-{vendor}-{person}', { id: 'v', name: '*)(uid=*' }, { id: 'p', fullName: 'a,b=c\\d' }, 1);
    expect(u).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('initial passwords', () => {
  it('are 24 characters with every character class and differ every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const pw = generatePassword();
      expect(pw).toHaveLength(24);
      expect(pw).toMatch(/[A-Z]/);
      expect(pw).toMatch(/[a-z]/);
      expect(pw).toMatch(/[0-9]/);
      expect(pw).toMatch(/[^A-Za-z0-9]/);
      seen.add(pw);
    }
    expect(seen.size).toBe(200);
  });
});
