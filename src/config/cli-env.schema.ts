import { z } from 'zod';
import { envSchema } from './env.schema.js';

/**
 * The environment the operator CLI's audit commands need: only the store, the
 * mirror's path and the optional re-anchor key, with the same rules and defaults as the service's own
 * schema (the fields are shared, not copied). An auditor can therefore verify
 * or export the trail on a machine that has no directory credentials.
 */
export const cliEnvSchema = z.object({
  REDIS_URL: envSchema.shape.REDIS_URL,
  REDIS_SENTINELS: envSchema.shape.REDIS_SENTINELS,
  REDIS_SENTINEL_MASTER: envSchema.shape.REDIS_SENTINEL_MASTER,
  REDIS_PREFIX: envSchema.shape.REDIS_PREFIX,
  AUDIT_LOG_FILE: envSchema.shape.AUDIT_LOG_FILE,
  /** `archive` writes sealed segments here; `audit verify --archive` defaults to nothing (the directory is given). */
  ARCHIVE_DIR: envSchema.shape.ARCHIVE_DIR,
  /** `archive` reads policy audit.segmentEvents from it. */
  POLICY_FILE: envSchema.shape.POLICY_FILE,
  /** Signs `audit reanchor`; lets `audit verify` accept re-anchored events. */
  AUDIT_REANCHOR_KEY: envSchema.shape.AUDIT_REANCHOR_KEY,
  AUDIT_REANCHOR_KEY_FILE: envSchema.shape.AUDIT_REANCHOR_KEY_FILE,
});

export type CliEnv = z.infer<typeof cliEnvSchema>;

/** Parses the CLI environment; every problem listed as `[NAME] message`. */
export function parseCliEnv(source: NodeJS.ProcessEnv): CliEnv | { problems: string[] } {
  const parsed = cliEnvSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  return { problems: parsed.error.issues.map((i) => `[${i.path.map(String).join('.')}] ${i.message}`) };
}
