/** Every Redis key the store uses, under one prefix so deployments (and tests) can share a server. */
export class RedisKeys {
  constructor(readonly prefix: string) {}
  private k(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
  vendor = (id: string) => this.k('vendor', id);
  person = (id: string) => this.k('person', id);
  request = (id: string) => this.k('request', id);
  /** Encrypted initial password of a request's account, until fetched. */
  credential = (requestId: string) => this.k('credential', requestId);
  vendorsIndex = () => this.k('idx', 'vendors');
  peopleOfVendor = (vendorId: string) => this.k('idx', 'vendor-people', vendorId);
  /** personId → list position of every person, across vendors (name search); see peopleIndexBuilt. */
  peopleIndex = () => this.k('idx', 'people');
  /** Set once peopleIndex holds the people saved before it existed (built from the per-vendor indexes). */
  peopleIndexBuilt = () => this.k('idx', 'people-built');
  requestsIndex = () => this.k('idx', 'requests');
  requestsByStatus = (status: string) => this.k('idx', 'requests-status', status);
  requestsByVendor = (vendorId: string) => this.k('idx', 'requests-vendor', vendorId);
  requestsByPerson = (personId: string) => this.k('idx', 'requests-person', personId);
  /** requestId → validTo (ms) of requests whose access must end: the sweeper's index. */
  validTo = () => this.k('idx', 'valid-to');
  /** requestId → requestedAt (ms) of revocations asked for but not yet confirmed. */
  pendingRevocations = () => this.k('idx', 'pending-revocations');
  /** requestIds already reported overdue (reported once each). */
  overdueReported = () => this.k('idx', 'overdue-reported');
  /** personId → effectiveAt (ms) of announced departures. */
  departures = () => this.k('idx', 'departures');
  /** vendorId → contract end (ms) of active vendors. */
  contractEnds = () => this.k('idx', 'contract-ends');
  /** requestId → disabledAt (ms) of disabled accounts awaiting deletion after retention. */
  retention = () => this.k('idx', 'retention');
  /** username (lower-case) → requestId: usernames reserved by the service. */
  usernames = () => this.k('usernames');
  sequence = (name: string) => this.k('seq', name);
  auditEvents = () => this.k('audit', 'events');
  auditHead = () => this.k('audit', 'head');
  auditCheckpoints = () => this.k('audit', 'checkpoints');
  /** seq → signed re-anchor of an event hashed by the Date defect (audit/reanchor.ts). */
  auditReanchors = () => this.k('audit', 'reanchors');
  /** How many events of the chain were sealed into the archive and dropped from the front of auditEvents (absent = 0). */
  auditBase = () => this.k('audit', 'base');
  /** The seal of each archived segment, oldest first (audit/archive/segment-seal.ts). */
  auditSeals = () => this.k('audit', 'seals');
  /** Lease naming the one process that seals segments. */
  auditArchiveLease = () => this.k('audit', 'archive-lease');
  /** Lease naming the one process that writes the JSON-lines mirror at a given path (`scope` = hash of the path). */
  auditMirrorLease = (scope: string) => this.k('audit', 'mirror-lease', scope);
  /** Session logs and incidents: sessions/session-keys.ts names the keys below these roots. */
  sessions = (...parts: string[]) => this.k('ses', ...parts);
  incidents = (...parts: string[]) => this.k('incident', ...parts);
  /** Machine tokens made through the API: src/tokens/token-keys.ts names the keys below this root. */
  tokens = (...parts: string[]) => this.k('token', ...parts);
  /** Staff sessions and the sign-in throttle (src/staff/staff-session.store.ts, login-throttle.ts). */
  staff = (...parts: string[]) => this.k('staff', ...parts);
  /** The machine-room register (RoomKeys in src/rooms/redis-room.store.ts names the keys below this root). */
  rooms = (...parts: string[]) => this.k('room', ...parts);
  /** Prefix handed to BullMQ for its own keys. */
  /** Notification bookkeeping (src/notify/): what was reported once. */
  notifications = (...parts: string[]) => this.k('notify', ...parts);
  queuePrefix = () => this.k('q');
  /** Provisioning's own queue (src/queues/provision-feed.ts): due attempts, claimed attempts, the wake token. */
  provisionFeed = () => ({
    due: this.k('feed', 'provision', 'due'),
    claimed: this.k('feed', 'provision', 'claimed'),
    wake: this.k('feed', 'provision', 'wake'),
  });
}
