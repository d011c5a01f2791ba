// Runs a TraceReader over a byte source and hands every event to a consumer.

import { TraceError } from "../decode/errors.js";
import type { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import { TraceReader } from "../decode/reader.js";
import { Ev } from "../decode/spec.js";

export interface DriveResult {
  reader: TraceReader;
  /** The error that stopped decoding, if any; everything before it was delivered. */
  error: TraceError | null;
  /** Generations whose events were all delivered. */
  completeGenerations: number;
  /** Events delivered from a damaged generation (option `salvage`), after the complete ones. */
  salvagedEvents?: number;
}

export interface DriveOptions {
  /** See ReaderOptions.redact. */
  redact?: boolean;
  /** See ReaderOptions.salvage: also deliver what can be recovered from a damaged generation. */
  salvage?: boolean;
  /** Called now and then with progress (bytes read, generations, events). */
  progress?: (r: TraceReader) => void;
}

/**
 * Decodes `source`, calling `onEvent` for each event (the Event object is
 * reused; copy what you keep). `onEvent` may return a promise to apply
 * backpressure; it is awaited before the next event.
 */
export async function drive(
  source: AsyncIterable<Uint8Array>,
  onEvent: (ev: Event, reader: TraceReader) => void | Promise<void>,
  opts: DriveOptions = {},
): Promise<DriveResult> {
  const reader = new TraceReader({ redact: opts.redact === true, salvage: opts.salvage === true });
  // Each Sync after the first closes a generation: complete unless it was damaged
  // (salvaged; its flag can be set while it is read, so it is looked at when it closes).
  let complete = 0;
  let open: Generation | null = null;
  let lastProgress = 0;
  const pump = async () => {
    for (;;) {
      const ev = reader.next();
      if (ev === null) return;
      if (ev.type === Ev.ReaderSync) {
        if (open !== null && !open.damaged) complete++;
        open = ev.gen;
      }
      const p = onEvent(ev, reader);
      if (p !== undefined) await p;
      if (opts.progress !== undefined && (reader.stats.events & 0xffff) === 0) {
        const now = Date.now();
        if (now - lastProgress > 250) {
          lastProgress = now;
          opts.progress(reader);
        }
      }
    }
  };
  try {
    for await (const chunk of source) {
      reader.push(chunk);
      await pump();
      if (reader.done) break;
    }
    if (!reader.done) {
      reader.end();
      await pump();
    }
  } catch (e) {
    if (e instanceof TraceError) {
      return { reader, error: e, completeGenerations: complete, salvagedEvents: reader.stats.salvaged };
    }
    throw e;
  }
  opts.progress?.(reader);
  return { reader, error: null, completeGenerations: complete, salvagedEvents: reader.stats.salvaged };
}
