// The browser app's output: what a format writes, gathered into a Blob in
// pieces of 16 MB (never one giant string or buffer). The browser keeps a
// Blob's bytes outside the page's heap (and pages big ones out to disk), so a
// multi-gigabyte output does not have to fit in the tab's memory.
//
// Text is gathered and encoded exactly as the command's Output does it
// (src/cli/output.ts), so the bytes are the same.

import type { OutputSink } from "../cli/format.js";

const PART = 16 << 20;
const TEXT_PIECE = 1 << 16;
const enc = new TextEncoder();
const DONE: Promise<void> = Promise.resolve();

export class BlobOutput implements OutputSink {
  private readonly parts: Blob[] = [];
  private chunks: Uint8Array[] = [];
  private size = 0;
  private text: string[] = [];
  private textLen = 0;
  /** Bytes written so far. */
  written = 0;

  write(data: Uint8Array | string): Promise<void> | void {
    if (typeof data === "string") {
      this.text.push(data);
      this.textLen += data.length;
      if (this.textLen >= TEXT_PIECE) this.encodeText();
      if (this.size >= PART) this.cut();
      return;
    }
    if (data.length === 0) return;
    this.encodeText();
    // A copy: the writer reuses its buffer once this returns a settled promise.
    this.add(data.slice());
    if (this.size >= PART) this.cut();
    return DONE;
  }

  private add(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
    this.written += b.length;
  }

  private encodeText(): void {
    if (this.textLen === 0) return;
    const b = enc.encode(this.text.join(""));
    this.text = [];
    this.textLen = 0;
    this.add(b);
  }

  private cut(): void {
    if (this.chunks.length === 0) return;
    this.parts.push(new Blob(this.chunks));
    this.chunks = [];
    this.size = 0;
  }

  /** The whole output. */
  finish(type = "application/octet-stream"): Blob {
    this.encodeText();
    this.cut();
    return new Blob(this.parts, { type });
  }
}
