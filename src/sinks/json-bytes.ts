// JSON written as bytes: formatted straight into large buffers that go to a
// writer in chunks with backpressure and are reused once written
// (ChunkRecycler). Numbers are formatted by hand, strings without escapes are
// copied byte by byte. The base of the streamed JSON encoders (trace-event
// JSON, OTLP JSON). Pure TypeScript, no Node APIs.

import { ChunkRecycler, type BytesWriter } from "./chunks.js";

const enc = new TextEncoder();
/** Output goes to the writer in chunks of about this size. */
export const JSON_CHUNK = 1 << 20;
const BUF_SIZE = JSON_CHUNK + 4096;

/** "00" "01" ... "99" as ASCII pairs. */
const DIGITS2 = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGITS2[i * 2] = 48 + Math.floor(i / 10);
  DIGITS2[i * 2 + 1] = 48 + (i % 10);
}

/** For 1..999 at 4*r: the length of ".ddd" without trailing zeros, then its 3 digits. */
const FRAC = new Uint8Array(4000);
for (let r = 1; r < 1000; r++) {
  const d = [Math.floor(r / 100), Math.floor(r / 10) % 10, r % 10];
  let n = 3;
  while (d[n - 1] === 0) n--;
  FRAC[r * 4] = n + 1;
  for (let i = 0; i < 3; i++) FRAC[r * 4 + 1 + i] = 48 + d[i]!;
}

/** Bytes of an ASCII (or any) string, for constant fragments. */
export function ascii(s: string): Uint8Array {
  return enc.encode(s);
}

export class JsonBytes {
  private readonly chunks: ChunkRecycler;
  protected buf: Uint8Array;
  protected pos = 0;

  constructor(out: BytesWriter) {
    this.chunks = new ChunkRecycler(out, BUF_SIZE);
    this.buf = this.chunks.get();
  }

  protected ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.spill(n);
  }

  /** Hands the filled buffer to the writer and starts another one (at least n bytes). */
  protected spill(n: number): void {
    this.chunks.put(this.buf, this.pos);
    this.buf = this.chunks.get(n + 4096);
    this.pos = 0;
  }

  protected bytes(b: Uint8Array): void {
    const n = b.length;
    if (this.pos + n > this.buf.length) this.spill(n);
    const buf = this.buf;
    let p = this.pos;
    if (n < 32) {
      for (let i = 0; i < n; i++) buf[p++] = b[i]!;
    } else {
      buf.set(b, p);
      p += n;
    }
    this.pos = p;
  }

  /** A plain ASCII string with no escapes needed (category names, keys we own). */
  protected raw(s: string): void {
    const n = s.length;
    this.ensure(n * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        p += enc.encodeInto(s.slice(i), buf.subarray(p)).written;
        break;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** A non-negative integer below 2^53, or any number through String(). */
  protected num(v: number): void {
    if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v) {
      this.ensure(20);
      this.uint(v);
    } else {
      this.raw(String(v));
    }
  }

  /**
   * A non-negative integer below 2^53 (room for 20 bytes ensured by the
   * caller). Anything else (a damaged trace's IDs can be any uint64, or -1)
   * goes through String(): the digits below would not fit.
   */
  protected uint(v: number): void {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER)) {
      this.raw(String(v));
      return;
    }
    if (v < 1e9) {
      this.u32(v | 0);
      return;
    }
    const hi = Math.floor(v / 1e9);
    this.u32(hi);
    // The low 9 digits, zero-padded.
    let lo = (v - hi * 1e9) | 0;
    const buf = this.buf;
    let p = this.pos + 9;
    this.pos = p;
    for (let i = 0; i < 4; i++) {
      const q = (lo / 100) | 0;
      const r = (lo - q * 100) * 2;
      buf[--p] = DIGITS2[r + 1]!;
      buf[--p] = DIGITS2[r]!;
      lo = q;
    }
    buf[--p] = 48 + lo;
  }

  /** 0 <= v < 1e9. */
  protected u32(v: number): void {
    const buf = this.buf;
    if (v < 10) {
      buf[this.pos++] = 48 + v;
      return;
    }
    const n = v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : 9;
    let p = this.pos + n;
    this.pos = p;
    while (v >= 100) {
      const q = (v / 100) | 0;
      const r = (v - q * 100) * 2;
      buf[--p] = DIGITS2[r + 1]!;
      buf[--p] = DIGITS2[r]!;
      v = q;
    }
    if (v >= 10) {
      buf[--p] = DIGITS2[v * 2 + 1]!;
      buf[--p] = DIGITS2[v * 2]!;
    } else buf[--p] = 48 + v;
  }

  /** ns -> µs, exact: the integer part, then up to 3 decimals without trailing zeros. */
  protected us(ns: number): void {
    if (!(ns >= 0 && ns <= Number.MAX_SAFE_INTEGER && Math.floor(ns) === ns)) {
      this.raw(String(ns / 1000));
      return;
    }
    this.ensure(24);
    const q = Math.floor(ns / 1000);
    const r = ns - q * 1000;
    this.uint(q);
    if (r === 0) return;
    // ".d", ".dd" or ".ddd", trailing zeros dropped: 4 bytes copied, the length kept.
    const buf = this.buf;
    const p = this.pos;
    const k = r * 4;
    buf[p] = 46;
    buf[p + 1] = FRAC[k + 1]!;
    buf[p + 2] = FRAC[k + 2]!;
    buf[p + 3] = FRAC[k + 3]!;
    this.pos = p + FRAC[k]!;
  }



  /** A JSON string literal, written directly (escaped through JSON.stringify only when needed). */
  protected str(s: string): void {
    const n = s.length;
    this.ensure(n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 34;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 34 || c === 92 || c >= 0x80) {
        this.raw(JSON.stringify(s));
        return;
      }
      buf[p++] = c;
    }
    buf[p++] = 34;
    this.pos = p;
  }

  /** One byte. */
  protected byte(c: number): void {
    if (this.pos >= this.buf.length) this.spill(1);
    this.buf[this.pos++] = c;
  }

  /** Hands a full chunk to the writer; returns what to wait for before writing more. */
  protected flushChunk(): Promise<void> | void {
    if (this.pos >= JSON_CHUNK) this.spill(0);
    return this.chunks.take();
  }

  /** Hands everything written to the writer and waits until it is written. */
  protected async flushAll(): Promise<void> {
    this.spill(0);
    await this.chunks.take();
  }
}
