/**
 * Where the bodies of session events are kept when not in the control-plane
 * Redis (docs/sessions.md, Storage). A batch's events are stored as one chunk
 * per session it touched (a JSON array of that session's new events, in time
 * order); the store writes the chunks here first, durably, and then commits a
 * small reference to each (`ses:ref:<id>`) with the batch in the control
 * plane. A chunk whose commit never came is referenced by nothing and never
 * read: a crash between the two leaves orphan bytes, not a half-stored batch.
 */
export interface EventChunk {
  sessionId: string;
  /** JSON array of the session's compact events (CompactEvent[]). */
  json: string;
}

export interface EventBodies {
  /** For the start-up audit event and the docs: `file` (ARCHIVE_DIR) or `redis` (SESSION_REDIS_URL). */
  readonly kind: 'file' | 'redis';
  /**
   * Stores the chunks durably (fsynced, or acknowledged by the second Redis)
   * and returns one reference per chunk, in order. Called before the commit
   * that references them; may be called again for the same events when that
   * commit is retried (the earlier copy stays unreferenced).
   */
  put(chunks: EventChunk[]): Promise<string[]>;
  /** The chunks' JSON arrays, in the order of `refs`; throws if one is missing or is not `sessionId`'s. */
  get(sessionId: string, refs: string[]): Promise<string[]>;
  /** Forgets a session's chunks once they are archived elsewhere (files stay: their space is reclaimed with the day's file). */
  drop(sessionId: string, refs: string[]): Promise<void>;
  close(): Promise<void>;
}

/** A reference that names a store this process does not have (configuration changed under stored data). */
export class UnreadableChunk extends Error {}
