import type { Page } from '../messaging/pagination.js';
import { pacedList } from './paced-list.js';

export interface Edge<N> {
  cursor: string;
  node: N;
}

/**
 * A page in the shape Pothos' relay connections resolve. A long page is completed in slices (pacedList),
 * so one thousand-row answer does not hold up every other request. `endCursor` may lie past the last edge
 * (the event log's filtered pages).
 */
export function connectionOf<N>(edges: Edge<N>[], hasNextPage: boolean, endCursor: string | null = edges.at(-1)?.cursor ?? null) {
  return {
    edges: pacedList(edges),
    pageInfo: { hasNextPage, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor },
  };
}

/** A service page as a connection; `nodeOf` picks what each edge shows of an item (the item itself by default). */
export function toConnection<T, N = T>(page: Page<T>, nodeOf: (item: T) => N = (item) => item as unknown as N) {
  return connectionOf(
    page.items.map((item) => ({ cursor: page.cursorOf(item), node: nodeOf(item) })),
    page.hasNextPage,
  );
}
