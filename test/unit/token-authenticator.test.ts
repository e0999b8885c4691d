import { describe, expect, it } from 'vitest';
import { sha256Hex, TokenAuthenticator, type TokenLookup } from '../../src/api/token-authenticator.js';

const FILE_SECRET = 'file-token-0123456789abcdef';
const API_SECRET = 'lht_api-token-0123456789abcdef';

/** Tokens made through the API, as a map from hash to grant: what the TokenStore answers, and what it holds now. */
function lookup(): TokenLookup & { grants: Map<string, { name: string; roles: ['auditor'] }>; asked: number } {
  const grants = new Map([[sha256Hex(API_SECRET), { name: 'ci-exporter', roles: ['auditor'] as ['auditor'] }]]);
  const l = {
    grants,
    asked: 0,
    findByHash: (hash: string) => {
      l.asked++;
      return Promise.resolve(grants.get(hash) ?? null);
    },
  };
  return l;
}

describe('token authentication', () => {
  it('accepts the bootstrap tokens of the file without asking the store', async () => {
    const store = lookup();
    const auth = new TokenAuthenticator([{ name: 'ops-admin', roles: ['admin'], sha256: sha256Hex(FILE_SECRET) }], store);
    expect(await auth.authenticate(`Bearer ${FILE_SECRET}`)).toEqual({ name: 'ops-admin', roles: ['admin'] });
    expect(await auth.authenticate(`bearer \t${FILE_SECRET} `)).toEqual({ name: 'ops-admin', roles: ['admin'] });
    expect(store.asked).toBe(0);
  });

  it('accepts a token made through the API for as long as the store holds it, asking on every request', async () => {
    const store = lookup();
    const auth = new TokenAuthenticator([], store);
    expect(await auth.authenticate(`Bearer ${API_SECRET}`)).toEqual({ name: 'ci-exporter', roles: ['auditor'] });
    store.grants.clear(); // revoked (or rotated) in another process
    expect(await auth.authenticate(`Bearer ${API_SECRET}`)).toBeNull();
    expect(store.asked).toBe(2);
  });

  it('refuses malformed headers before any look-up, and everything when there is no store', async () => {
    const store = lookup();
    const auth = new TokenAuthenticator([], store);
    for (const header of [undefined, '', 'Basic abc', 'Bearer short', `Bearer ${API_SECRET} extra`, `Token ${API_SECRET}`])
      expect(await auth.authenticate(header)).toBeNull();
    expect(store.asked).toBe(0);
    expect(await new TokenAuthenticator([]).authenticate(`Bearer ${API_SECRET}`)).toBeNull();
  });
});
