import { useState } from 'react';
import { useLoad } from './ui';

/** A page of a list as the API returns it. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A list read a page at a time: the first page loads with the screen (and
 * again when `deps` change or on `reload`, which drops the pages added since);
 * `more` appends the next page. The request list and the audit trail both page
 * this way, so the cursor bookkeeping lives here once.
 *
 * `load` is called without a cursor for the first page.
 */
export function usePagedLoad<T>(
  load: (cursor?: string) => Promise<Page<T>>,
  deps: unknown[],
): { items: T[] | undefined; error: unknown; reload: () => void; hasMore: boolean; more: () => Promise<void> } {
  // Pages after the first; `cursor` undefined until one has been added.
  const [extra, setExtra] = useState<{ items: T[]; cursor?: string | null }>({ items: [] });
  const first = useLoad(async () => {
    setExtra({ items: [] });
    return load();
  }, deps);
  const cursor = extra.cursor === undefined ? first.data?.nextCursor : extra.cursor;
  const more = async () => {
    if (!cursor) return;
    const page = await load(cursor);
    setExtra((e) => ({ items: [...e.items, ...page.items], cursor: page.nextCursor }));
  };
  return { items: first.data && [...first.data.items, ...extra.items], error: first.error, reload: first.reload, hasMore: !!cursor, more };
}
