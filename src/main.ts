#!/usr/bin/env node
import { loadConfig } from './config/load-config.js';
import { ConfigError } from './errors.js';
import { createLogger } from './logger.js';
import { startService, type Mode } from './start-service.js';

const MODES: Mode[] = ['all', 'api', 'worker'];

/** `node dist/main.js all|api|worker`: the production entry point. */
async function main(): Promise<void> {
  const mode = (process.argv[2] ?? 'all') as Mode;
  if (!MODES.includes(mode)) {
    console.error(`usage: node dist/main.js ${MODES.join('|')}`);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(err.exitCode);
    }
    throw err;
  }
  const production = config.env.NODE_ENV === 'production';
  const logger = createLogger(config.env.LOG_LEVEL, production);
  if (config.env.LDAP_ALLOW_INSECURE && config.env.LDAP_URL.startsWith('ldap://') && !config.env.LDAP_STARTTLS)
    logger.warn('plaintext LDAP allowed (LDAP_ALLOW_INSECURE): test rigs only', { component: 'main' });

  const service = await startService(config, { mode, logger });
  logger.info(`leasehold ${mode} started`, { component: 'main', url: service.url });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { component: 'main', signal });
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    service
      .close()
      .then(() => {
        logger.end();
        process.exitCode = 0;
      })
      .catch((err: unknown) => {
        logger.error('shutdown failed', { component: 'main', error: String(err) });
        process.exitCode = 1;
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
