import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DirectoryError } from '../../src/errors.js';
import { FakeDirectory } from '../../src/provisioner/fake/fake.directory.js';
import { childDn } from '../../src/provisioner/ldap/escape.js';
import { directoryContract } from '../contract/directory.contract.js';

const GROUPS = 'ou=groups,dc=fake,dc=test';

directoryContract('fake directory', () => {
  let clock = Date.parse('2030-01-01T00:00:00Z');
  const fake = new FakeDirectory({ privilegedGroups: ['/^legacy-root-/'], now: () => new Date(clock) });
  return Promise.resolve({
    directory: fake,
    capabilities: { specialCharactersInUsername: true, nulInValues: true },
    username: (label) => `v-${label}-${randomBytes(3).toString('hex')}`,
    createGroup: (name) => Promise.resolve(fake.addGroup(childDn('cn', name, GROUPS))),
    nestGroup: (child, parent) => Promise.resolve(fake.nestGroup(child, parent)),
    privilegedGroup: () => Promise.resolve(fake.addGroup(childDn('cn', `dba-${randomBytes(3).toString('hex')}`, GROUPS))),
    policyPrivilegedGroup: () => Promise.resolve(fake.addGroup(childDn('cn', `legacy-root-${randomBytes(3).toString('hex')}`, GROUPS))),
    canBind: (dn, password) => fake.canBind(dn, password),
    membersOf: (group) => Promise.resolve(fake.membersOf(group)),
    absentGroupDn: childDn('cn', 'no-such-group', GROUPS),
    now: () => new Date(clock),
    waitPast: (instant) => {
      clock = Math.max(clock, instant.getTime() + 1);
      return Promise.resolve();
    },
    cleanup: () => Promise.resolve(),
  });
});

describe('fake directory test hooks', () => {
  it('fails the next operations as an outage, then recovers', async () => {
    const fake = new FakeDirectory();
    fake.failNext(2);
    const first = await fake.ping().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(DirectoryError);
    expect((first as DirectoryError).retryable).toBe(true);
    await expect(fake.lookUpUsername('req_x', 'x')).rejects.toThrow(/simulated/);
    await expect(fake.ping()).resolves.toBeUndefined();
  });

  it('fails with a permanent error when asked to', async () => {
    const fake = new FakeDirectory();
    fake.failNext(1, false);
    const err = (await fake.ping().catch((e: unknown) => e)) as DirectoryError;
    expect(err.retryable).toBe(false);
    expect(err.ldapCode).toBe(50);
  });

  it('lists hand-made accounts without a request, and finds their privileged memberships', async () => {
    const fake = new FakeDirectory();
    const wheel = fake.addGroup('cn=wheel,ou=groups,dc=fake,dc=test');
    const dn = fake.addAccountByHand({ username: 'rogue', password: 'pw', groups: [wheel] });
    const listed = [];
    for await (const a of fake.listVendorAccounts()) listed.push(a);
    expect(listed).toMatchObject([{ username: 'rogue', enabled: true, groups: [wheel] }]);
    expect(listed[0]?.requestId).toBeUndefined();
    expect(await fake.canBind(dn, 'pw')).toBe(true);
    expect(await fake.privilegedMembershipsOf(dn)).toEqual([{ group: wheel, privileged: wheel }]);
  });

  it('treats gid 0 and groups marked privileged as privileged', async () => {
    const fake = new FakeDirectory();
    const root = fake.addGroup('cn=root-group,ou=groups,dc=fake,dc=test', { gidNumber: 0 });
    const sid = fake.addGroup('cn=Domänen-Admins,ou=groups,dc=fake,dc=test', { privileged: true });
    const plain = fake.addGroup('cn=erp-support,ou=groups,dc=fake,dc=test');
    const result = await fake.privilegedGroupsOf([root, sid, plain]);
    expect([...result.keys()].sort()).toEqual([root, sid].sort());
  });
});
