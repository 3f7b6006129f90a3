import { setImmediate as nextTurn } from 'node:timers/promises';

/** Items completed per event-loop turn: a few milliseconds of execution for a full message node. */
export const PACED_SLICE = 50;

/**
 * The items of a long list, handed to graphql-js one slice per event-loop turn.
 *
 * Completing a list is synchronous in graphql-js: a 1,000-row page with every field holds the only thread
 * for 100 ms or more, and every other client's request waits behind it (measured in `bench:limits`). Items
 * after the first slice are promises resolved one slice per `setImmediate`, each scheduled only once the
 * slice before it ran, so the event loop polls for I/O — other requests' sockets and database answers —
 * between slices. graphql-js completes promised list items in order, so the answer is the same list.
 * Short lists are returned as they are.
 */
export function pacedList<T>(items: readonly T[], sliceSize = PACED_SLICE): Array<T | Promise<T>> {
  if (items.length <= sliceSize) return [...items];
  const paced: Array<T | Promise<T>> = items.slice(0, sliceSize);
  let turn: Promise<unknown> = Promise.resolve();
  for (let start = sliceSize; start < items.length; start += sliceSize) {
    turn = turn.then(() => nextTurn());
    const ready = turn;
    for (const item of items.slice(start, start + sliceSize)) paced.push(ready.then(() => item));
  }
  return paced;
}
