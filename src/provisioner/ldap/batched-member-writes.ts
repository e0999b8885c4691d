import { normalizeDn } from './escape.js';

/** Adding or removing values of a multi-valued attribute. */
export type MemberOp = 'add' | 'delete';

/** Writes of one group's member attribute: all the values at once, and one value alone (with its own tolerances). */
export interface MemberWriter {
  /** One modify carrying every value; any refusal throws (the values are then tried one by one). */
  many(op: MemberOp, groupDn: string, attribute: string, values: string[]): Promise<void>;
  /** One value, counting "already there" / "already gone" as done as the dialect says. */
  one(op: MemberOp, groupDn: string, attribute: string, value: string): Promise<void>;
}

/** One value waiting to be written. */
interface Pending {
  value: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Most values one batched modify carries. */
const MAX_BATCH = 500;

/**
 * Group membership changes batched across concurrent jobs (bench: provisioning
 * and mass expiry put many accounts into and out of a few groups at once).
 * While a modify of one group's attribute is in flight, the next changes of
 * that group and attribute wait and then go as one multi-valued modify. A
 * batch the directory refuses is retried value by value, so batching never
 * changes an outcome. Used by the OpenLDAP and the AD adapters.
 */
export class BatchedMemberWrites {
  private readonly waiting = new Map<string, Pending[]>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly writer: MemberWriter,
    /** Told when a value failed on its own (the OpenLDAP writer forgets what it knew of the group). */
    private readonly failedAlone: (groupDn: string) => void = () => undefined,
  ) {}

  /** One value's change, written alone or together with others waiting for the same group and attribute. */
  change(op: MemberOp, groupDn: string, attribute: string, value: string): Promise<void> {
    const key = `${op}\n${attribute}\n${normalizeDn(groupDn)}`;
    return new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(key);
      if (queue) queue.push({ value, resolve, reject });
      else this.waiting.set(key, [{ value, resolve, reject }]);
      if (!this.inFlight.has(key)) this.flush(op, groupDn, attribute, key);
    });
  }

  private flush(op: MemberOp, groupDn: string, attribute: string, key: string): void {
    const queue = this.waiting.get(key);
    if (!queue?.length) {
      this.inFlight.delete(key);
      this.waiting.delete(key);
      return;
    }
    const batch = queue.splice(0, MAX_BATCH);
    this.inFlight.add(key);
    void this.send(op, groupDn, attribute, batch).finally(() => this.flush(op, groupDn, attribute, key));
  }

  private async send(op: MemberOp, groupDn: string, attribute: string, batch: Pending[]): Promise<void> {
    const values = [...new Set(batch.map((b) => b.value))];
    if (values.length > 1) {
      try {
        await this.writer.many(op, groupDn, attribute, values);
        for (const b of batch) b.resolve();
        return;
      } catch {
        // Refused as a whole (one value present or absent, the last member, …): value by value below.
      }
    }
    await Promise.all(
      batch.map((b) =>
        this.writer.one(op, groupDn, attribute, b.value).then(b.resolve, (err: unknown) => {
          this.failedAlone(groupDn);
          b.reject(err);
        }),
      ),
    );
  }
}
