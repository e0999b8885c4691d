import { Redis } from 'ioredis';
import { newId } from '../../src/domain/ids.js';
import type { AccessRequest, Person, RequestStatus, Vendor } from '../../src/domain/types.js';
import type { Stored } from '../../src/domain/ports/domain-store.port.js';
import { RedisRecordStore } from '../../src/store/redis-record.store.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { Transactor } from '../../src/store/transactor.js';
import { FakeDirectory } from '../../src/provisioner/fake/fake.directory.js';
import type { DirectoryTarget } from './service-harness.js';

/** Config for a service that talks to a FakeDirectory (the URL is never dialled). */
export const NO_DIRECTORY: DirectoryTarget = {
  url: 'ldaps://127.0.0.1:1',
  dialect: 'openldap',
  bindDn: 'cn=admin,dc=fake,dc=test',
  bindPassword: 'unused',
  baseDn: 'dc=fake,dc=test',
  vendorOu: 'ou=vendors,dc=fake,dc=test',
};
export const fakeDirectory = () => new FakeDirectory();

export interface SeededRequest {
  requestId: string;
  vendorId: string;
  personId: string;
  username: string;
}

/**
 * Writes a vendor, a person and a request that already has an account
 * straight into the store (through the Transactor, so it is audited like any
 * change), and reserves the username: a vendor account without a directory.
 */
export async function seedRequest(
  redisUrl: string,
  prefix: string,
  options: { username: string; targetSystems: string[]; validFrom: Date; validTo: Date; status?: RequestStatus; disabledAt?: Date },
): Promise<SeededRequest> {
  const redis = new Redis(redisUrl);
  try {
    const keys = new RedisKeys(prefix);
    const store = new RedisRecordStore(redis, keys);
    const tx = new Transactor(redis, keys, () => new Date());
    const at = new Date().toISOString();
    const vendor: Stored<Vendor> = {
      id: newId('ven'),
      n: await store.nextPosition(),
      name: 'Acme',
      contractRef: 'CT-1',
      contractEndsAt: options.validTo.toISOString(),
      status: 'active',
      createdAt: at,
      createdBy: 'test',
    };
    const person: Stored<Person> = {
      id: newId('per'),
      n: await store.nextPosition(),
      vendorId: vendor.id,
      fullName: 'Chen Wei',
      email: 'chen@acme.test',
      ndaSignedAt: at,
      ndaRef: 'NDA-1',
      status: 'active',
      createdAt: at,
      createdBy: 'test',
    };
    const status = options.status ?? 'active';
    const request: Stored<AccessRequest> = {
      id: newId('req'),
      n: await store.nextPosition(),
      personId: person.id,
      vendorId: vendor.id,
      requester: 'requester',
      workDescription: 'ERP maintenance',
      targetSystems: options.targetSystems,
      groups: ['cn=erp-support,ou=groups,dc=fake,dc=test'],
      validFrom: options.validFrom.toISOString(),
      validTo: options.validTo.toISOString(),
      status,
      createdAt: at,
      updatedAt: at,
      credential: 'retrieved',
      attempt: 1,
      history: [{ at, actor: 'test', action: 'seeded', to: status }],
      account: {
        username: options.username,
        dn: `uid=${options.username},ou=vendors,dc=fake,dc=test`,
        state: options.disabledAt ? 'disabled' : 'active',
        enabledAt: options.validFrom.toISOString(),
        ...(options.disabledAt ? { disabledAt: options.disabledAt.toISOString() } : {}),
      },
      ...(status === 'revoked' || status === 'expired'
        ? {
            revocation: { trigger: status === 'revoked' ? 'manual' : 'expiry', by: 'test', requestedAt: (options.disabledAt ?? options.validTo).toISOString() },
          }
        : {}),
    };
    await tx.run([], () =>
      Promise.resolve({
        writes: (m) => {
          store.putVendor(m, vendor, true);
          store.putPerson(m, person, true);
          store.putRequest(m, request, null);
          m.hset(keys.usernames(), options.username.toLowerCase(), request.id);
        },
        events: [{ actor: 'test', action: 'test.seeded', subject: `request:${request.id}`, outcome: 'success' as const }],
        result: undefined,
      }),
    );
    return { requestId: request.id, vendorId: vendor.id, personId: person.id, username: options.username };
  } finally {
    await redis.quit();
  }
}

/** Ends a seeded request as the revoker would: status revoked, account disabled now (or at `at`). */
export async function endRequest(
  redisUrl: string,
  prefix: string,
  requestId: string,
  status: 'revoked' | 'expired' = 'revoked',
  at = new Date(),
): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const keys = new RedisKeys(prefix);
    const store = new RedisRecordStore(redis, keys);
    const tx = new Transactor(redis, keys, () => new Date());
    await tx.run([keys.request(requestId)], async () => {
      const before = (await store.getRequest(requestId))!;
      const when = at.toISOString();
      const next: Stored<AccessRequest> = {
        ...before,
        status,
        updatedAt: when,
        revocation: { trigger: status === 'revoked' ? 'manual' : 'expiry', by: 'test', requestedAt: when },
        account: { ...before.account!, state: 'disabled', disabledAt: when },
        history: [...before.history, { at: when, actor: 'test', action: `status.${status}`, from: before.status, to: status }],
      };
      return {
        writes: (m) => store.putRequest(m, next, before),
        events: [{ actor: 'test', action: `request.${status}`, subject: `request:${requestId}`, outcome: 'success' as const }],
        result: undefined,
      };
    });
  } finally {
    await redis.quit();
  }
}
