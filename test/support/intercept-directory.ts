import type { DirectoryPort } from '../../src/domain/ports/directory.port.js';

/** One call of a directory method, as an interceptor sees it. */
export interface DirectoryCall {
  method: string;
  args: unknown[];
  /** Makes the call on the real directory and returns what it returns. */
  proceed: () => unknown;
}

/**
 * Wraps a directory so that every method call passes through `intercept`,
 * which may count it, fail it or let it through (`proceed()`); what it
 * returns is the call's result. Properties that are not methods pass as they
 * are. A test double for outages, crashes and counting, over the fake or a
 * real adapter alike.
 */
export function interceptDirectory<D extends DirectoryPort>(directory: D, intercept: (call: DirectoryCall) => unknown): D {
  return new Proxy(directory, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => intercept({ method: String(prop), args, proceed: () => method(...args) });
    },
  });
}
