// Gzip behind a small interface: the sinks that compress (pprof) take a
// GzipFactory, so the same encoder runs in Node (gzip-node.ts, node:zlib) and
// in a browser, which plugs in its own (e.g. CompressionStream). Pure
// TypeScript, no Node APIs.

import type { BytesWriter } from "./chunks.js";

/** A gzip stream into a BytesWriter. */
export interface GzipStream {
  /** Compresses `data` (which the caller may reuse once this resolves); resolves when there is room for more. */
  write(data: Uint8Array): Promise<void>;
  /** Finishes the gzip member and writes everything left to the writer. */
  end(): Promise<void>;
}

/** Opens a gzip stream writing its compressed bytes to `out`, with backpressure. */
export type GzipFactory = (out: BytesWriter) => GzipStream;
