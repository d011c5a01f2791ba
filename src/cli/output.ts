// Buffered output with backpressure, to a file or stdout. Text is encoded as
// UTF-8; nothing is ever held as one giant string.

import { createWriteStream, type WriteStream } from "node:fs";
import type { Writable } from "node:stream";

const enc = new TextEncoder();

export class Output {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private readonly limit: number;
  private closed = false;
  /** Bytes written so far. */
  written = 0;
  private error: Error | null = null;

  constructor(
    private readonly stream: Writable,
    readonly name: string,
    readonly isTTY: boolean,
    limit = 1 << 20,
  ) {
    this.limit = limit;
    stream.on("error", (e: Error) => {
      this.error = e;
    });
  }

  static file(path: string): Output {
    const s: WriteStream = createWriteStream(path);
    return new Output(s, path, false);
  }

  static stdout(): Output {
    return new Output(process.stdout, "<stdout>", process.stdout.isTTY === true);
  }

  /** Appends bytes or text; resolves once the data is buffered or, when the buffer is full, written. */
  write(data: Uint8Array | string): Promise<void> | void {
    if (typeof data === "string") {
      // Text is gathered and encoded in large pieces.
      this.text.push(data);
      this.textLen += data.length;
      if (this.textLen >= 1 << 16) this.encodeText();
    } else {
      if (data.length === 0) return;
      this.encodeText();
      this.chunks.push(data);
      this.size += data.length;
      this.written += data.length;
    }
    if (this.size >= this.limit) return this.flush();
  }

  private text: string[] = [];
  private textLen = 0;

  private encodeText(): void {
    if (this.textLen === 0) return;
    const b = enc.encode(this.text.join(""));
    this.text = [];
    this.textLen = 0;
    this.chunks.push(b);
    this.size += b.length;
    this.written += b.length;
  }

  /** Writes out everything buffered, waiting for the stream to drain. */
  async flush(): Promise<void> {
    if (this.error !== null) throw this.error;
    this.encodeText();
    if (this.size === 0) return;
    const all = this.chunks.length === 1 ? this.chunks[0]! : concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    if (!this.stream.write(all)) await this.drain();
    if (this.error !== null) throw this.error;
  }

  /** Pending wait for the stream's drain: one for all the flushes waiting at once (one pair of listeners). */
  private draining: Promise<void> | null = null;

  private drain(): Promise<void> {
    this.draining ??= new Promise<void>((res, rej) => {
      const onDrain = () => {
        this.stream.off("error", onErr);
        this.draining = null;
        res();
      };
      const onErr = (e: Error) => {
        this.stream.off("drain", onDrain);
        this.draining = null;
        rej(e);
      };
      this.stream.once("drain", onDrain);
      this.stream.once("error", onErr);
    });
    return this.draining;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    if (this.stream === process.stdout) return;
    await new Promise<void>((res, rej) => {
      this.stream.once("error", rej);
      this.stream.end(() => res());
    });
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
