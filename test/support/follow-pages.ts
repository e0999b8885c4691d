import { expect } from 'vitest';
import type { Page } from '../../src/domain/ports/domain-store.port.js';

/**
 * Every page of a list, following the cursors. `decode` is the store's own
 * cursor decoder (the domain and session stores encode theirs differently);
 * every cursor a store hands out must decode, so a bad one fails the test.
 */
export async function followPages<T>(read: (cursor: number | undefined) => Promise<Page<T>>, decode: (cursor: string) => number | undefined): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await read(cursor);
    pages.push(page.items);
    if (page.nextCursor === null) return pages;
    cursor = decode(page.nextCursor);
    expect(cursor).toBeDefined();
  }
}
