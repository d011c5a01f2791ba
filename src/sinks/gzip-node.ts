// The Node implementation of GzipFactory (gzip.ts), on node:zlib.

import { createGzip, type Gzip } from "node:zlib";
import type { BytesWriter } from "./chunks.js";
import type { GzipFactory, GzipStream } from "./gzip.js";

/** Gzip compression into a BytesWriter, with backpressure both ways. */
class NodeGzipStream implements GzipStream {
  private readonly gz: Gzip;
  private queue: Uint8Array[] = [];
  private error: Error | null = null;
  private readonly ended: Promise<void>;

  constructor(private readonly out: BytesWriter) {
    this.gz = createGzip();
    this.gz.on("data", (c: Buffer) => this.queue.push(c));
    this.gz.on("error", (e: Error) => {
      this.error = e;
    });
    this.ended = new Promise<void>((res, rej) => {
      this.gz.once("end", res);
      this.gz.once("error", rej);
    });
    this.ended.catch(() => undefined);
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length > 0) {
      const q = this.queue;
      this.queue = [];
      for (const c of q) {
        const p = this.out.write(c);
        if (p !== undefined) await p;
      }
    }
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.error !== null) throw this.error;
    // zlib may keep a reference: hand it a copy when the caller reuses its buffer.
    if (!this.gz.write(Buffer.from(data))) {
      await new Promise<void>((res) => this.gz.once("drain", res));
    }
    await this.drainQueue();
  }

  async end(): Promise<void> {
    this.gz.end();
    await this.ended;
    await this.drainQueue();
    if (this.error !== null) throw this.error;
  }
}

export const nodeGzip: GzipFactory = (out) => new NodeGzipStream(out);
