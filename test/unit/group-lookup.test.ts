import { describe, expect, it } from 'vitest';
import { policySchema } from '../../src/config/policy.schema.js';
import { GroupLookup } from '../../src/domain/group-lookup.js';
import { RequestPolicy } from '../../src/domain/request-policy.js';
import { FakeDirectory } from '../../src/provisioner/fake/fake.directory.js';

const G = (name: string) => `cn=${name},ou=groups,dc=fake,dc=test`;

function lookup(policy: Record<string, unknown> = {}) {
  const directory = new FakeDirectory({ privilegedGroups: ['legacy-root'] });
  for (const name of ['erp-support', 'erp-dba', 'erp-reports', 'legacy-root', 'erp-mail', '校務系統-erp']) directory.addGroup(G(name));
  directory.nestGroup(G('erp-reports'), G('erp-dba'));
  directory.nestGroup(G('erp-mail'), G('legacy-root'));
  const groups = new GroupLookup({ directory, policy: new RequestPolicy(policySchema.parse(policy), directory) });
  return { groups, directory };
}

describe('group look-up', () => {
  it('judges every group found by the rules a request is filed under, giving the reason for each refusal', async () => {
    const { groups } = lookup({ grantableGroups: ['/^cn=erp-/', '/^cn=校務/'] });
    const found = await groups.search('erp', 50);
    expect(found.map((g) => g.name)).toEqual(['erp-dba', 'erp-mail', 'erp-reports', 'erp-support', '校務系統-erp']);
    const byName = Object.fromEntries(found.map((g) => [g.name, g]));
    expect(byName['erp-support']).toEqual({ dn: G('erp-support'), name: 'erp-support', grantable: true, privileged: false, reasons: [] });
    expect(byName['校務系統-erp']).toMatchObject({ grantable: true, privileged: false });
    expect(byName['erp-dba']).toMatchObject({ grantable: false, privileged: true, privilegedGroup: G('erp-dba') });
    expect(byName['erp-reports']).toMatchObject({
      grantable: false,
      privileged: true,
      privilegedGroup: G('erp-dba'),
      reasons: [{ rule: 'no_privileged_groups', message: `group ${G('erp-reports')} leads to privileged group ${G('erp-dba')} (clause 1.6.1)` }],
    });
    expect(byName['erp-mail']).toMatchObject({ grantable: false, privileged: true, privilegedGroup: G('legacy-root') });
  });

  it('refuses groups outside grantableGroups with that rule, privileged or not', async () => {
    const { groups } = lookup({ grantableGroups: ['erp-support'] });
    const found = await groups.search('ERP', 50);
    expect(found.filter((g) => g.grantable).map((g) => g.name)).toEqual(['erp-support']);
    expect(found.find((g) => g.name === '校務系統-erp')).toMatchObject({ privileged: false, reasons: [expect.objectContaining({ rule: 'grantable_group' })] });
    expect(found.find((g) => g.name === 'erp-dba')?.reasons.map((r) => r.rule)).toEqual(['grantable_group', 'no_privileged_groups']);
  });

  it('finds by a Chinese part of the name, honours the limit, and passes a directory failure on', async () => {
    const { groups, directory } = lookup();
    expect((await groups.search(' 校務 ', 50)).map((g) => g.name)).toEqual(['校務系統-erp']);
    expect(await groups.search('erp', 2)).toHaveLength(2);
    expect(await groups.search('nothing-like-this', 50)).toEqual([]);
    directory.failNext(1);
    await expect(groups.search('erp', 2)).rejects.toMatchObject({ retryable: true });
  });
});
