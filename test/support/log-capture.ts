import winston from 'winston';
import Transport from 'winston-transport';

/** One log entry as winston hands it to a transport. */
export interface LogEntry {
  level: string;
  message: string;
  [key: string]: unknown;
}

class Capture extends Transport {
  readonly entries: LogEntry[] = [];
  override log(info: LogEntry, next: () => void): void {
    this.entries.push(info);
    next();
  }
}

/** A logger that keeps every entry in memory, for tests that assert what was logged and how often. */
export function capturingLogger(): { logger: winston.Logger; entries: LogEntry[] } {
  const capture = new Capture();
  return { logger: winston.createLogger({ level: 'debug', transports: [capture] }), entries: capture.entries };
}

/** A logger that drops everything. */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
