import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A minimal valid environment for loadConfig, for unit tests of the
 * configuration: a temp dir holding a tokens file (one requester token named
 * `tokenName`) and `policyYaml` as the policy file. Tests spread `env` and
 * override one variable at a time; `dir` is for any further file they need.
 */
export function configEnv(o: { label: string; dialect: 'ad' | 'openldap'; tokenName: string; policyYaml: string }): {
  env: Record<string, string>;
  dir: string;
} {
  const dir = mkdtempSync(join(tmpdir(), `leasehold-${o.label}-`));
  const tokens = join(dir, 'tokens.json');
  writeFileSync(tokens, JSON.stringify({ tokens: [{ name: o.tokenName, roles: ['requester'], sha256: 'a'.repeat(64) }] }));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, o.policyYaml);
  const env = {
    LDAP_URL: 'ldaps://dc.school.test',
    LDAP_DIALECT: o.dialect,
    LDAP_BIND_DN: 'cn=svc,dc=school,dc=test',
    LDAP_BIND_PASSWORD: 'secret',
    LDAP_BASE_DN: 'dc=school,dc=test',
    LDAP_VENDOR_OU: 'ou=vendors,dc=school,dc=test',
    API_TOKENS_FILE: tokens,
    POLICY_FILE: policy,
    CREDENTIALS_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
  return { env, dir };
}
