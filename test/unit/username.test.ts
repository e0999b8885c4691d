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

  it('folds accents and falls back to the id for names with nothing to romanise', () => {
    expect(candidateUsername('v-{vendor}-{person}', { id: 'ven_abcdef', name: 'Société' }, { id: 'per_123456', fullName: 'やまだ' }, 2)).toBe(
      'v-societe-123456-2',
    );
  });

  it('romanises Chinese names as family name plus given initials', () => {
    const tpl = 'v-{vendor}-{person}';
    expect(candidateUsername(tpl, vendor, { id: 'per_1', fullName: '王小明' }, 1)).toBe('v-acmesyst-wangxm-1');
    expect(candidateUsername(tpl, vendor, { id: 'per_1', fullName: '陳大文' }, 2)).toBe('v-acmesyst-chendw-2');
    expect(candidateUsername(tpl, vendor, { id: 'per_1', fullName: '張惠妹' }, 1)).toBe('v-acmesyst-zhanghm-1');
    expect(candidateUsername(tpl, vendor, { id: 'per_1', fullName: '呂秀蓮' }, 1)).toBe('v-acmesyst-luxl-1');
  });

  it('keeps a two-character family name whole', () => {
    expect(candidateUsername('v-{vendor}-{person}', { id: 'ven_x', name: 'Acer' }, { id: 'per_1', fullName: '歐陽娜娜' }, 1)).toBe('v-acer-ouyangnn-1');
    expect(candidateUsername('v-{person}', vendor, { id: 'per_1', fullName: '張簡俊傑' }, 1)).toBe('v-zhangjia-1');
  });

  it('romanises a Chinese vendor name in full, cut to 8', () => {
    expect(candidateUsername('v-{vendor}-{person}', { id: 'ven_x', name: '宏碁資訊' }, { id: 'per_1', fullName: '李登輝' }, 1)).toBe('v-hongqizi-lidh-1');
  });

  it('prefers the Latin name the person gave, first word as for full names', () => {
    const person = { id: 'per_1', fullName: '王小明', latinName: 'Wong Siu-Ming' };
    expect(candidateUsername('v-{vendor}-{person}', vendor, person, 1)).toBe('v-acmesyst-wong-1');
    expect(candidateUsername('v-{vendor}-{person}', vendor, { ...person, latinName: "O'Neill" }, 1)).toBe('v-acmesyst-oneill-1');
    expect(candidateUsername('v-{vendor}-{person}', vendor, { ...person, latinName: '  ' }, 1)).toBe('v-acmesyst-wangxm-1');
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
