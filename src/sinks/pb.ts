// A small protobuf wire-format writer: one growable byte buffer, varints
// written in place, nested messages by reserving a length prefix and patching
// it. A length that needs fewer bytes than reserved is written as a padded
// (redundant) varint, as Perfetto's protozero does: every protobuf decoder
// reads it, and no body moves; only a body too long for its reservation is
// shifted.
// Pure TypeScript, no Node APIs. Numbers are JavaScript numbers: exact up to
// 2^53; negative int64 values are written as 10-byte two's complement like
// protoc does.
// Hand-written because it is the hot path of the Perfetto protobuf writer
// (perfetto-proto.ts; writing its common packets byte by byte with
// putVarint/putFixed64 made it 22-25% faster on a 30 MB trace, commit
// 4d6659b). pprof profiles are encoded by pprof-format (pprof.ts).

const enc = new TextEncoder();

/** Wire types. */
export const enum Wire {
  Varint = 0,
  I64 = 1,
  Len = 2,
  I32 = 5,
}

/**
 * Writes the unsigned varint v (0 <= v < 2^64; exact below 2^53) at b[p]
 * (room for 10 bytes ensured by the caller); returns the position after it.
 */
export function putVarint(b: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    b[p++] = (v & 0x7f) | 0x80;
    v = v >= 0x100000000 ? Math.floor(v / 128) : v >>> 7;
  }
  b[p++] = v;
  return p;
}

/** Writes v (0 <= v < 2^53) as 8 little-endian bytes at b[p]; returns the position after them. */
export function putFixed64(b: Uint8Array, p: number, v: number): number {
  const lo = v % 0x100000000;
  const hi = Math.floor(v / 0x100000000);
  b[p] = lo & 0xff;
  b[p + 1] = (lo >>> 8) & 0xff;
  b[p + 2] = (lo >>> 16) & 0xff;
  b[p + 3] = lo >>> 24;
  b[p + 4] = hi & 0xff;
  b[p + 5] = (hi >>> 8) & 0xff;
  b[p + 6] = (hi >>> 16) & 0xff;
  b[p + 7] = hi >>> 24;
  return p + 8;
}

export class PbWriter {
  buf: Uint8Array;
  pos = 0;
  /** Where the open messages' length prefixes are (depth entries; an array that never shrinks). */
  private stack = new Int32Array(16);
  private depth = 0;

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }

  /** Bytes written so far (a view; copy it before reset() if you keep it). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
    this.depth = 0;
  }

  /** Continues in `next` (empty): returns the buffer written so far, whole (bytes 0..pos were written). */
  swap(next: Uint8Array): Uint8Array {
    if (this.depth > 0) throw new Error("PbWriter.swap inside a message");
    const b = this.buf;
    this.buf = next;
    this.pos = 0;
    return b;
  }

  /** Makes room for n more bytes (for callers writing into `buf` at `pos` themselves). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = Math.max(64, this.buf.length * 2);
    while (size < this.pos + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
  }

  /** An unsigned varint (0 <= v < 2^64; exact below 2^53). Negative values: see int64(). */
  varint(v: number): void {
    if (v < 0) {
      this.negVarint(v);
      return;
    }
    this.ensure(10);
    this.pos = putVarint(this.buf, this.pos, v);
  }

  private negVarint(v: number): void {
    // 64-bit two's complement, always 10 bytes.
    let x = BigInt.asUintN(64, BigInt(Math.trunc(v)));
    this.ensure(10);
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  tag(field: number, wire: Wire): void {
    this.varint(field * 8 + wire);
  }

  /** uint64/int64/uint32/int32/enum field (skipped when 0, as proto3 does). */
  uint(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, Wire.Varint);
    this.varint(v);
  }

  /** Same, but written even when 0 (for proto2 optional fields or oneofs). */
  uintAlways(field: number, v: number): void {
    this.tag(field, Wire.Varint);
    this.varint(v);
  }

  /** fixed64 field from a number (exact below 2^53). */
  fixed64(field: number, v: number): void {
    this.tag(field, Wire.I64);
    this.ensure(8);
    this.pos = putFixed64(this.buf, this.pos, v);
  }

  /** Length-delimited bytes: the first n bytes of another writer's buffer. */
  rawFrom(field: number, src: Uint8Array, n: number): void {
    this.tag(field, Wire.Len);
    this.varint(n);
    this.rawFrom0(src, n);
  }

  /** The first n bytes of src, as they are. */
  private rawFrom0(src: Uint8Array, n: number): void {
    this.ensure(n);
    if (n < 64) {
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) b[p++] = src[i]!;
    } else this.buf.set(src.subarray(0, n), this.pos);
    this.pos += n;
  }

  /** Length-delimited raw bytes. */
  rawBytes(field: number, data: Uint8Array): void {
    this.tag(field, Wire.Len);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A string field (written even when empty, since string tables need index 0 = ""). */
  string(field: number, s: string): void {
    this.tag(field, Wire.Len);
    const n = s.length;
    if (n === 0) {
      this.varint(0);
      return;
    }
    if (n < 0x80) {
      // ASCII, the common case: bytes copied as they are, a one-byte length.
      this.ensure(1 + n);
      const b = this.buf;
      let p = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === n) {
        b[this.pos] = n;
        this.pos = p;
        return;
      }
    }
    // Reserve the worst case (3 bytes per UTF-16 unit) and encode in place.
    const max = s.length * 3;
    const lenBytes = max < 0x80 ? 1 : max < 0x4000 ? 2 : max < 0x200000 ? 3 : 4;
    this.ensure(lenBytes + max);
    const start = this.pos + lenBytes;
    const { written } = enc.encodeInto(s, this.buf.subarray(start, start + max));
    this.patchLen(this.pos, lenBytes, written);
  }

  /** A string field "G<g>", then " " and fn when given (a goroutine's label, from its parts; g < 2^53), or fn alone when g < 0. */
  goLabel(field: number, g: number, fn: Uint8Array | null): void {
    if (g < 0) {
      const n = fn === null ? 0 : fn.length;
      this.tag(field, Wire.Len);
      this.varint(n);
      if (n > 0) this.rawFrom0(fn!, n);
      return;
    }
    let nd = 1;
    for (let x = g; x >= 10; x = Math.floor(x / 10)) nd++;
    const n = 1 + nd + (fn === null || fn.length === 0 ? 0 : 1 + fn.length);
    this.tag(field, Wire.Len);
    this.varint(n);
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 71; // G
    let x = g;
    for (let i = nd; i > 0; i--) {
      const q = Math.floor(x / 10);
      b[p + i - 1] = 48 + (x - q * 10);
      x = q;
    }
    p += nd;
    if (fn !== null && fn.length > 0) {
      b[p++] = 32;
      b.set(fn, p);
      p += fn.length;
    }
    this.pos = p;
  }

  /** Starts a nested message field; close it with end(). */
  begin(field: number): void {
    this.tag(field, Wire.Len);
    this.ensure(2);
    if (this.depth === this.stack.length) {
      const ns = new Int32Array(this.depth * 2);
      ns.set(this.stack);
      this.stack = ns;
    }
    this.stack[this.depth++] = this.pos;
    this.pos += 2; // reserve 2 bytes (bodies < 16 KiB need no move)
  }

  end(): void {
    if (this.depth === 0) throw new Error("PbWriter.end without begin");
    const at = this.stack[--this.depth]!;
    const len = this.pos - at - 2;
    this.patchLen(at, 2, len);
  }

  /**
   * Writes the varint `len` into `reserved` bytes at `at` (padded when it
   * needs fewer), followed by `len` body bytes that currently start at
   * at+reserved; moves the body only when the varint needs more bytes than
   * reserved. Leaves pos after the body.
   */
  private patchLen(at: number, reserved: number, len: number): void {
    const b = this.buf;
    if (len < 0x80 && reserved === 2) {
      b[at] = len | 0x80;
      b[at + 1] = 0;
      this.pos = at + 2 + len;
      return;
    }
    const need = len < 0x80 ? 1 : len < 0x4000 ? 2 : len < 0x200000 ? 3 : len < 0x10000000 ? 4 : 5;
    let width = reserved;
    if (need > reserved) {
      this.ensure(need - reserved);
      this.buf.copyWithin(at + need, at + reserved, at + reserved + len);
      width = need;
    }
    const buf = this.buf;
    let p = at;
    let v = len;
    for (let i = 1; i < width; i++) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
    this.pos = at + width + len;
  }
}
