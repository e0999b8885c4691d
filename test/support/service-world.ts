import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { ChainChecker } from '../../src/audit/chain-checker.js';
import { policySchema, type Policy } from '../../src/config/policy.schema.js';
import { ref, type Stored } from '../../src/domain/ports/domain-store.port.js';
import { RequestPolicy } from '../../src/domain/request-policy.js';
import { RequestService, type NewRequest } from '../../src/domain/request.service.js';
import type { AccessRequest, Person, Vendor } from '../../src/domain/types.js';
import { VendorService } from '../../src/domain/vendor.service.js';
import { silentLogger } from './log-capture.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import type { DirectoryPort } from '../../src/domain/ports/directory.port.js';
import { FakeDirectory } from '../../src/provisioner/fake/fake.directory.js';
import { ProvisionService } from '../../src/provisioner/provision.service.js';
import { RetentionService } from '../../src/provisioner/retention.service.js';
import { RevokeService } from '../../src/provisioner/revoke.service.js';
import { CredentialVault } from '../../src/store/credential-vault.js';
import { MemoryDomainStore } from '../../src/store/memory/memory-domain.store.js';
import { FakeClock } from './fake-clock.js';
import { CredentialHandoverService } from '../../src/domain/credential-handover.service.js';
import { RecordingJobScheduler, RecordingNotifier } from './recording-job-scheduler.js';

/**
 * One set of metrics per test worker, zeroed by each world: createMetrics()
 * starts an event-loop monitor (a real timer) that is never stopped, so one
 * per world would leave a timer per test running.
 */
const sharedMetrics: Metrics = createMetrics();

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The staff of the unit tests: who files and who approves (never the same person). */
export const OPS = 'ops-alice';
export const SUPERVISOR = 'sup-bob';

const GROUP_OU = 'ou=groups,dc=fake,dc=test';
/** Groups in the fake directory: two ordinary ones, one privileged by its name, one for drift. */
export const GROUPS = {
  erp: `cn=erp-support,${GROUP_OU}`,
  reports: `cn=report-readers,${GROUP_OU}`,
  wheel: `cn=wheel,${GROUP_OU}`,
  printers: `cn=printers,${GROUP_OU}`,
};

/**
 * The services of one test wired as the composition root wires them, on the
 * in-memory store, the fake directory and a fake clock; jobs and
 * notifications are only recorded. A test calls a job's service itself
 * (`provisioner.provision`, `revoker.revoke`) where the queue would.
 */
export class ServiceWorld {
  readonly clock = new FakeClock();
  readonly store = new MemoryDomainStore({ now: this.clock.now });
  readonly directory = new FakeDirectory({ now: this.clock.now });
  readonly jobs = new RecordingJobScheduler();
  readonly notifier = new RecordingNotifier();
  readonly vault = new CredentialVault(randomBytes(32));
  readonly metrics: Metrics = sharedMetrics;
  readonly logger = silentLogger();
  readonly policy: Policy;
  readonly requestPolicy: RequestPolicy;
  readonly requests: RequestService;
  readonly vendors: VendorService;
  readonly revoker: RevokeService;

  constructor(policy: Partial<Policy> = {}) {
    this.metrics.registry.resetMetrics();
    this.policy = policySchema.parse(policy);
    for (const dn of Object.values(GROUPS)) this.directory.addGroup(dn);
    this.requestPolicy = new RequestPolicy(this.policy, this.directory);
    const { store, jobs, notifier, vault, clock } = this;
    this.requests = new RequestService({
      store,
      policy: this.requestPolicy,
      jobs,
      vault,
      notifier,
      reminderHours: this.policy.reminderHours,
      credentialHandover: this.policy.credentials.handover,
      now: clock.now,
    });
    this.vendors = new VendorService({ store, requests: this.requests, jobs, now: clock.now });
    this.revoker = this.revokerOn(this.directory);
  }

  /** The vendor handover of initial passwords (clauses 1.6.4, 1.1.9), with pickup links under `publicUrl`. */
  handoverService(publicUrl = 'https://leasehold.school.test'): CredentialHandoverService {
    return new CredentialHandoverService({
      store: this.store,
      vault: this.vault,
      pickupHours: this.policy.credentials.pickupHours,
      mustChangeAtFirstLogon: this.policy.credentials.mustChangeAtFirstLogon,
      publicUrl: () => publicUrl,
      now: this.clock.now,
    });
  }

  /** The provision job's service, on `directory` (a crashing wrapper, say) or the fake directory. */
  provisionerOn(directory: DirectoryPort = this.directory): ProvisionService {
    const { store, requestPolicy, policy, vault, metrics, logger, notifier, clock } = this;
    return new ProvisionService({ store, directory, requestPolicy, policy, vault, metrics, logger, notifier, now: clock.now });
  }

  revokerOn(directory: DirectoryPort): RevokeService {
    const { store, metrics, logger, notifier, clock } = this;
    return new RevokeService({ store, directory, metrics, logger, notifier, now: clock.now });
  }

  purger(retentionDays = this.policy.retentionDays): RetentionService {
    return new RetentionService({ store: this.store, directory: this.directory, retentionDays, logger: this.logger, now: this.clock.now });
  }

  /** A vendor (contract a year long) with one person whose NDA is on file. */
  async vendorWithPerson(person: { fullName?: string; ndaRef?: string } = {}): Promise<{ vendor: Stored<Vendor>; person: Stored<Person> }> {
    const now = this.clock.now();
    const vendor = await this.vendors.createVendor(OPS, {
      name: 'Acme Maintenance',
      contractRef: 'C-2030-01',
      contractEndsAt: new Date(now.getTime() + 365 * DAY),
    });
    const added = await this.vendors.addPerson(OPS, vendor.id, {
      fullName: person.fullName ?? 'Ann Example',
      email: 'ann@acme.example',
      ndaSignedAt: new Date(now.getTime() - DAY),
      ndaRef: person.ndaRef ?? 'NDA-7',
    });
    return { vendor, person: added };
  }

  /** The terms of a request that breaks no rule: now for a week, two ordinary groups. */
  terms(personId: string, over: Partial<NewRequest> = {}): NewRequest {
    const now = this.clock.now().getTime();
    return {
      personId,
      workDescription: 'ERP upgrade',
      targetSystems: ['erp'],
      groups: [GROUPS.erp, GROUPS.reports],
      validFrom: new Date(now),
      validTo: new Date(now + 7 * DAY),
      ...over,
    };
  }

  /** A request filed by OPS and approved by SUPERVISOR. */
  async approved(personId: string, over: Partial<NewRequest> = {}): Promise<Stored<AccessRequest>> {
    const filed = await this.requests.file(OPS, this.terms(personId, over));
    return this.requests.approve(SUPERVISOR, filed.id);
  }

  /** An approved request whose provision job has run. */
  async active(personId: string, over: Partial<NewRequest> = {}): Promise<Stored<AccessRequest>> {
    const request = await this.approved(personId, over);
    await this.provisionerOn().provision(request.id, request.attempt);
    return (await this.store.getRequest(request.id))!;
  }

  async request(id: string): Promise<Stored<AccessRequest>> {
    return (await this.store.getRequest(id))!;
  }

  /** The sealed password the store holds for a request, read as a unit of work does. */
  sealedCredential(requestId: string): Promise<string | null> {
    return this.store.run([ref.credential(requestId)], async (read) => ({ events: [], result: await read.sealedCredential(requestId) }));
  }

  /** The audit trail, oldest first. */
  events(): AuditEvent[] {
    return this.store.events();
  }

  /** The trail's length now, to look at what a step appended with `eventsSince`. */
  mark(): number {
    return this.store.events().length;
  }

  /** The events appended since `mark`, as [action, subject, outcome]. */
  eventsSince(mark: number): [string, string, string][] {
    return this.store
      .events()
      .slice(mark)
      .map((e) => [e.action, e.subject, e.outcome]);
  }

  /** The audit trail holds together link by link (SHA-256 chain). */
  expectChainIntact(): void {
    const checker = new ChainChecker();
    const trail = this.store.events();
    for (const e of trail) checker.next(JSON.stringify(e));
    expect(checker.finish()).toMatchObject({ ok: true, count: trail.length });
  }
}

/** The error `promise` rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}
