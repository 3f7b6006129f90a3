import { setImmediate as nextTurn } from 'node:timers/promises';
import { GraphQLInt, GraphQLList, GraphQLObjectType, GraphQLSchema, execute, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { pacedList } from '../../../src/graphql/paced-list.js';

/** Counts event-loop turns (setImmediate callbacks) until stopped. */
function turnCounter() {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turns() {
      return turns;
    },
    stop: () => (running = false),
  };
}

describe('pacedList (long lists completed a slice per event-loop turn)', () => {
  it('returns a list no longer than one slice as it is', () => {
    const items = [1, 2, 3];
    const paced = pacedList(items, 3);
    expect(paced).toEqual([1, 2, 3]);
    expect(paced.some((x) => x instanceof Promise)).toBe(false);
  });

  it('keeps every item in order, the first slice at once and the rest promised', async () => {
    const items = Array.from({ length: 230 }, (_, i) => ({ i }));
    const paced = pacedList(items, 50);
    expect(paced.slice(0, 50)).toEqual(items.slice(0, 50));
    expect(paced.slice(50).every((x) => x instanceof Promise)).toBe(true);
    expect(await Promise.all(paced)).toEqual(items);
  });

  it('releases one slice per turn, so other work of the loop runs between slices', async () => {
    const released: number[] = [];
    const counter = turnCounter();
    const paced = pacedList(Array.from({ length: 250 }, (_, i) => i), 50);
    await Promise.all(paced.map((p, i) => Promise.resolve(p).then(() => released.push(counter.turns) && i)));
    counter.stop();
    const turnOfSlice = [0, 50, 100, 150, 200].map((start) => released[start]);
    // Four promised slices, each in a later turn than the one before it.
    for (let k = 1; k < turnOfSlice.length; k++) expect(turnOfSlice[k]!).toBeGreaterThan(turnOfSlice[k - 1]!);
  });

  it('lets graphql-js answer the same list while other turns of the loop run during the execution', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({ n: i }));
    const Row = new GraphQLObjectType({ name: 'Row', fields: { n: { type: GraphQLInt } } });
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { rows: { type: new GraphQLList(Row), resolve: () => pacedList(rows, 50) } } }),
    });
    const counter = turnCounter();
    const result = await execute({ schema, document: parse('{ rows { n } }') });
    const turnsDuring = counter.turns;
    counter.stop();
    await nextTurn();
    expect(result).toEqual({ data: { rows } });
    // Without pacing the whole list completes synchronously, with no turn in between (7 slices after the first).
    expect(turnsDuring).toBeGreaterThanOrEqual(7);
  });
});
