import type { Metrics } from './metrics.js';

/**
 * The live-subscriber gauge counts an event stream from when it is opened until it ends, whichever way
 * it ends (the client stops, the socket closes, the stream finishes), exactly once.
 */
export function countedSubscription<T>(metrics: Metrics, topic: string, source: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  metrics.subscriberJoined(topic);
  let open = true;
  const end = () => {
    if (!open) return;
    open = false;
    metrics.subscriberLeft(topic);
  };
  const counted: AsyncIterableIterator<T> = {
    next: async (...args) => {
      try {
        const r = await source.next(...args);
        if (r.done) end();
        return r;
      } catch (err) {
        end();
        throw err;
      }
    },
    return: async (value?: unknown) => {
      end();
      return source.return ? source.return(value) : { done: true, value: value as T };
    },
    throw: async (err?: unknown) => {
      end();
      if (source.throw) return source.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]() {
      return counted;
    },
  };
  return counted;
}
