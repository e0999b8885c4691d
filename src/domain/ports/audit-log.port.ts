import type { AuditInput } from '../../audit/audit-event.js';

/** The audit trail as the domain writes to it outside a state change (refusals, warnings, findings). */
export interface AuditLog {
  /**
   * Appends `events`, chained in order after everything committed before
   * (SHA-256 chain, DESIGN.md Audit trail). Nothing is appended for none.
   * A state change appends its own events through UnitOfWork.run instead,
   * so that the change and its record commit together.
   */
  append(...events: AuditInput[]): Promise<void>;
}
