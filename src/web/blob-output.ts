// The browser app's output: what a format writes, gathered into a Blob in
// pieces of 16 MB (never one giant string or buffer). The browser keeps a
// Blob's bytes outside the page's heap (and pages big ones out to disk), so a
// multi-gigabyte output does not have to fit in the tab's memory.
//
// Bytes are copied into one reused 16 MB buffer, which becomes a Blob piece
// when full (new Blob copies it): no allocation per write. Text is gathered
// and encoded exactly as the command's Output does it (src/cli/output.ts), so
// the bytes are the same.

import type { OutputSink } from "../cli/format.js";

const PART = 16 << 20;
const TEXT_PIECE = 1 << 16;
const enc = new TextEncoder();
const DONE: Promise<void> = Promise.resolve();

export class BlobOutput implements OutputSink {
  private readonly parts: Blob[] = [];
  /** The piece being filled. */
  private buf: Uint8Array | null = null;
  private fill = 0;
  private text: string[] = [];
  private textLen = 0;
  /** Bytes written so far. */
  written = 0;

  write(data: Uint8Array | string): Promise<void> | void {
    if (typeof data === "string") {
      this.text.push(data);
      this.textLen += data.length;
      if (this.textLen >= TEXT_PIECE) this.encodeText();
      return;
    }
    if (data.length === 0) return;
    this.encodeText();
    this.add(data);
    // Copied: the writer may reuse its buffer at once.
    return DONE;
  }

  private add(b: Uint8Array): void {
    this.written += b.length;
    let i = 0;
    while (i < b.length) {
      if (this.buf === null) this.buf = new Uint8Array(PART);
      const n = Math.min(PART - this.fill, b.length - i);
      this.buf.set(b.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      if (this.fill === PART) this.cut();
    }
  }

  private encodeText(): void {
    if (this.textLen === 0) return;
    const b = enc.encode(this.text.join(""));
    this.text = [];
    this.textLen = 0;
    this.add(b);
  }

  private cut(): void {
    if (this.fill === 0 || this.buf === null) return;
    this.parts.push(new Blob([this.fill === PART ? this.buf : this.buf.subarray(0, this.fill)]));
    this.fill = 0;
  }

  /**
   * Whether the browser kept every piece. Past its Blob storage (memory, then
   * disk) a piece is dropped and cannot be read: one byte of each piece is
   * read back to find out.
   */
  async readable(): Promise<boolean> {
    try {
      for (const p of this.parts) if (p.size > 0) await p.slice(0, 1).arrayBuffer();
      return true;
    } catch {
      return false;
    }
  }

  /** The whole output. */
  finish(type = "application/octet-stream"): Blob {
    this.encodeText();
    this.cut();
    this.buf = null;
    return new Blob(this.parts, { type });
  }
}
