/** What every scenario gets from the runner. */
export interface BenchContext {
  /** Scratch directory of this run (service config, logs, audit mirrors); removed at the end. */
  dir: string;
  redisUrl: string;
  /** Processes whose CPU use is reported per phase (the bench itself, slapd, redis, …). */
  pids: Record<string, number | undefined>;
  /** `dist/main.js`, the product build (`npm run bench` builds it first), for services run as child processes. */
  mainJs: string;
  /** Where to write CPU profiles of measured phases (`--profile DIR`). */
  profileDir?: string;
  /** Extra environment for every service started (e.g. WORKER_CONCURRENCY from --concurrency). */
  serviceEnv: Record<string, string>;
}
