import winston from 'winston';

export type Logger = winston.Logger;

/** JSON lines in production, readable lines in development; children per component. */
export function createLogger(level: string, production: boolean): Logger {
  return winston.createLogger({
    level,
    format: production
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.printf(({ timestamp, level: lvl, message, component, ...rest }) => {
            const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${lvl} [${typeof component === 'string' ? component : 'main'}] ${String(message)}${extra}`;
          }),
        ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
}
