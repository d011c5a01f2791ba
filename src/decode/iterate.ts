// Convenience drivers around TraceReader.

import type { Event } from "./event.js";
import { TraceReader } from "./reader.js";

/**
 * Iterates the events of a whole trace held in memory. Each yielded Event is
 * valid until the next iteration step.
 */
export function* readEvents(bytes: Uint8Array): Generator<Event, void, undefined> {
  const r = new TraceReader();
  r.push(bytes);
  r.end();
  for (let ev = r.next(); ev !== null; ev = r.next()) yield ev;
}

/**
 * Streams a trace from chunks (any async iterable of bytes: a Node stream, a
 * fetch body reader adapted to an iterable, ...) and calls `fn` for every event.
 * Returns the reader, whose `stats` and `version` describe what was read.
 */
export async function forEachEvent(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  fn: (ev: Event) => void,
  reader: TraceReader = new TraceReader(),
): Promise<TraceReader> {
  const drain = () => {
    for (let ev = reader.next(); ev !== null; ev = reader.next()) fn(ev);
  };
  for await (const chunk of chunks as AsyncIterable<Uint8Array>) {
    reader.push(chunk);
    drain();
    if (reader.done) return reader;
  }
  reader.end();
  drain();
  return reader;
}
