// Gzip compression of a streamed output (pprof profiles are gzipped protobuf).
//
// fflate (pure JavaScript) on every platform rather than node:zlib: the same
// code runs in the command and in the browser app's Web Worker, so a profile
// is the same file, byte for byte, wherever it is made (Node's zlib and the
// browser's CompressionStream are different builds of zlib and do not promise
// identical output). Level 6 and memory level 8 are zlib's defaults; mtime 0
// leaves the time out of the header, as Node's createGzip() did. fflate's
// blocks depend on how its input is pushed, so the input is handed to it in
// fixed 64 KiB pieces: the output depends on the bytes alone, not on how they
// were split across write() calls.
//
// Cost: about 4x node:zlib's time (10 MB of `--to text` output: fflate
// 300-680 ms, node:zlib 73-170 ms, 3 runs), which does not matter here: the
// profiles are small (pprof-sync of the 100 MB bench trace: 3.6 KB before
// compression, against 7 s of decoding).

import { Gzip } from "fflate";

const PIECE = 1 << 16;

import type { BytesWriter } from "./chunks.js";

/** Gzip compression into a BytesWriter, with backpressure from it. */
export class GzipStream {
  private readonly gz: Gzip;
  private queue: Uint8Array[] = [];
  /** Input not yet handed to fflate (less than one piece). */
  private readonly piece = new Uint8Array(PIECE);
  private fill = 0;

  constructor(private readonly out: BytesWriter) {
    this.gz = new Gzip({ level: 6, mem: 8, mtime: 0 }, (chunk) => {
      if (chunk.length > 0) this.queue.push(chunk);
    });
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

  /** Compresses `data` (copied: the caller may reuse its buffer once this resolves). */
  async write(data: Uint8Array): Promise<void> {
    let i = 0;
    while (i < data.length) {
      const n = Math.min(PIECE - this.fill, data.length - i);
      this.piece.set(data.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      if (this.fill === PIECE) {
        this.gz.push(this.piece, false);
        this.fill = 0;
      }
    }
    await this.drainQueue();
  }

  async end(): Promise<void> {
    this.gz.push(this.piece.subarray(0, this.fill), true);
    this.fill = 0;
    await this.drainQueue();
  }
}
