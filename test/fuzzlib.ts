// Fuzzing the decoder: mutations of real traces and generated, structurally
// valid but inconsistent ones. A case passes when decoding (and formatting every
// event) ends normally or with a TraceError: no other exception, no hang.

import { TraceError } from "../src/decode/errors.js";
import { TraceReader } from "../src/decode/reader.js";
import { formatEvent } from "../src/sinks/text.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES, loadManifest, walkBatches } from "./helpers.js";

/** The fuzz corpus: the small undamaged fixtures of every format (each case stays quick). */
export function smallFixtures(): Uint8Array[] {
  return loadManifest()
    .filter((e) => e.dir !== "damaged" && e.bytes < 400_000)
    .map((e) => new Uint8Array(readFileSync(join(FIXTURES, e.trace))));
}

/** xorshift32: small, deterministic, seedable. */
export class Rand {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

function uvarintBytes(x: bigint): number[] {
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return out;
}

const HUGE = [0n, 1n, 127n, 128n, 65536n, 65537n, 1n << 32n, (1n << 53n) + 1n, (1n << 63n) - 1n, (1n << 64n) - 1n];

/**
 * Array.prototype.splice on bytes: a copy of `b` with `del` bytes at `start`
 * replaced by `ins` (start and del clamped as splice clamps them).
 */
function splice(b: Uint8Array, start: number, del: number, ins: ArrayLike<number>): Uint8Array {
  const at = Math.min(Math.max(start, 0), b.length);
  const d = Math.min(Math.max(del, 0), b.length - at);
  const out = new Uint8Array(b.length - d + ins.length);
  out.set(b.subarray(0, at), 0);
  out.set(ins, at);
  out.set(b.subarray(at + d), at + ins.length);
  return out;
}

/** `b` with b[at] = f(b[at]), grown with zeros when at is past the end (as a JS array assignment grows). */
function setAt(b: Uint8Array, at: number, f: (old: number) => number): Uint8Array {
  if (at >= b.length) {
    const g = new Uint8Array(at + 1);
    g.set(b);
    b = g;
  }
  b[at] = f(b[at]!);
  return b;
}

/**
 * One random mutation of `src` (another corpus member may be spliced in).
 * Typed-array operations; the random numbers drawn, and so the cases of a
 * seed, are those of the earlier JS-array version.
 */
export function mutate(src: Uint8Array, corpus: Uint8Array[], r: Rand): { bytes: Uint8Array; how: string } {
  let b = src;
  const kind = r.int(8);
  switch (kind) {
    case 0: {
      const n = 1 + r.int(8);
      b = src.slice();
      for (let i = 0; i < n; i++) {
        const at = 16 + r.int(Math.max(1, b.length - 16));
        const bit = 1 << r.int(8);
        b = setAt(b, at, (x) => x ^ bit);
      }
      return { bytes: b, how: `flip ${n} bits` };
    }
    case 1: {
      const at = r.int(b.length + 1);
      return { bytes: src.slice(0, at), how: `truncate at ${at}` };
    }
    case 2: {
      const other = r.pick(corpus);
      const from = r.int(other.length);
      const len = 1 + r.int(Math.min(4096, other.length - from));
      const at = 16 + r.int(Math.max(1, b.length - 16));
      const del = r.int(2) === 0 ? 0 : len;
      return { bytes: splice(b, at, del, other.subarray(from, from + len)), how: `splice ${len} bytes at ${at}` };
    }
    case 3: {
      const at = 16 + r.int(Math.max(1, b.length - 16));
      const v = r.pick(HUGE);
      const del = r.int(3);
      return { bytes: splice(b, at, del, uvarintBytes(v)), how: `varint ${v} at ${at}` };
    }
    case 4: {
      const at = 16 + r.int(Math.max(1, b.length - 16));
      const v = r.pick([0x00, 0x01, 0x02, 0x04, 0x06, 0x08, 0x31, 0x32, 0x33, 0x34, 0x7f, 0x80, 0xff]);
      return { bytes: setAt(src.slice(), at, () => v), how: `set byte ${at}` };
    }
    case 5:
    case 6: {
      // Batch-level: drop, duplicate or swap whole batches.
      const { batches } = walkBatches(src);
      if (batches.length < 2) return { bytes: src, how: "no batches" };
      const i = r.int(batches.length - 1);
      const s = batches[i]!;
      const e = batches[i + 1]!;
      const piece = src.slice(s, e);
      const op = r.int(3);
      if (op === 0) b = splice(b, s, e - s, []);
      else if (op === 1) b = splice(b, e, 0, piece);
      else {
        const j = r.int(batches.length - 1);
        const s2 = batches[j]!;
        b = splice(b, s, e - s, []);
        b = splice(b, Math.min(s2, b.length), 0, piece);
      }
      return { bytes: b === src ? src.slice() : b, how: `batch op ${op} on batch ${i}` };
    }
    default: {
      // Rewrite one varint inside a batch header or event with an extreme value.
      const at = 17 + r.int(Math.max(1, b.length - 17));
      let end = at;
      while (end < b.length && b[end]! >= 0x80) end++;
      return { bytes: splice(b, at, end - at + 1, uvarintBytes(r.pick(HUGE))), how: `rewrite varint at ${at}` };
    }
  }
}

/** A generated trace: valid framing, random (often inconsistent) events. */
export function generate(r: Rand, version = r.pick([22, 23, 25, 26])): Uint8Array {
  const out: number[] = [...new TextEncoder().encode(`go 1.${version} trace`), 0, 0, 0];
  const batch = (gen: number, m: bigint, time: number, data: number[]) => {
    out.push(1, ...uvarintBytes(BigInt(gen)), ...uvarintBytes(m), ...uvarintBytes(BigInt(time)), ...uvarintBytes(BigInt(data.length)), ...data);
  };
  const gens = 1 + r.int(3);
  let t = 1000;
  for (let g = 1; g <= gens; g++) {
    const sync = version >= 25 ? [0x32, 0x08, ...uvarintBytes(15625000n), 0x33, 1, 5, 6, 7] : [0x08, ...uvarintBytes(15625000n)];
    batch(g, (1n << 64n) - 1n, t, sync);
    const strs = [0x04];
    for (let i = 1; i <= 5; i++) strs.push(0x05, i, 3, 0x61 + i, 0x62, 0x63);
    batch(g, (1n << 64n) - 1n, t, strs);
    const stacks = [0x02, 0x03, 1, 2, ...uvarintBytes(0x401000n), 1, 2, 10, ...uvarintBytes(0x401100n), 3, 2, 20];
    batch(g, (1n << 64n) - 1n, t, stacks);
    const ms = 1 + r.int(3);
    for (let m = 0; m < ms; m++) {
      const data: number[] = [];
      const n = 1 + r.int(40);
      for (let i = 0; i < n; i++) {
        const typ = r.int(6) === 0 ? r.int(140) : 9 + r.int(40);
        data.push(typ, 1 + r.int(3));
        for (let a = 0; a < 4; a++) data.push(...uvarintBytes(BigInt(r.int(4) === 0 ? r.int(200) : r.int(6))));
      }
      batch(g, BigInt(100 + m), t + r.int(10), data);
      t += 100;
    }
    if (version >= 26) out.push(0x34);
  }
  return Uint8Array.from(out);
}

export interface CaseResult {
  ok: boolean;
  error: string | null;
  events: number;
  ms: number;
}

/**
 * Decodes `bytes` (in a few chunks), formatting every event; reports anything
 * but a TraceError. With `lines`, the formatted events are collected there
 * (with `damagedAt` set to the index of the first event of a damaged,
 * salvaged generation).
 */
export function runCase(
  bytes: Uint8Array,
  chunk = 0,
  salvage = false,
  lines: string[] | null = null,
  mark: { damagedAt: number } | null = null,
): CaseResult {
  const t0 = performance.now();
  const reader = new TraceReader({ salvage });
  let events = 0;
  const drain = () => {
    for (let ev = reader.next(); ev !== null; ev = reader.next()) {
      const line = formatEvent(ev, reader.timeBase);
      if (mark !== null && mark.damagedAt < 0 && ev.gen !== null && ev.gen.damaged) mark.damagedAt = events;
      if (lines !== null) lines.push(line);
      events++;
    }
  };
  try {
    if (chunk > 0) {
      for (let i = 0; i < bytes.length; i += chunk) {
        reader.push(bytes.subarray(i, i + chunk));
        drain();
      }
    } else reader.push(bytes);
    reader.end();
    drain();
    return { ok: true, error: null, events, ms: performance.now() - t0 };
  } catch (e) {
    if (e instanceof TraceError) return { ok: true, error: e.message, events, ms: performance.now() - t0 };
    return { ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e), events, ms: performance.now() - t0 };
  }
}

/**
 * Decodes `bytes` without and with salvage. Beyond runCase's checks: the
 * salvaging run gives exactly the same events up to the damaged generation,
 * times never go backwards, and it never ends with an error that the plain
 * run did not report (nor fails where the plain run succeeded).
 */
export function runSalvageCase(bytes: Uint8Array, chunk = 0): CaseResult {
  const t0 = performance.now();
  const plain: string[] = [];
  const salv: string[] = [];
  const mark = { damagedAt: -1 };
  const a = runCase(bytes, chunk, false, plain);
  if (!a.ok) return a;
  const b = runCase(bytes, chunk, true, salv, mark);
  const ms = performance.now() - t0;
  const fail = (why: string): CaseResult => ({ ok: false, error: why, events: b.events, ms });
  if (!b.ok) return { ...b, ms };
  const upto = mark.damagedAt < 0 ? salv.length : mark.damagedAt;
  if (mark.damagedAt < 0) {
    // Nothing salvaged: identical to the plain run.
    if (salv.length !== plain.length) return fail(`salvage without a damaged generation: ${salv.length} events vs ${plain.length}`);
  }
  for (let i = 0; i < upto; i++) {
    if (salv[i] !== plain[i]) return fail(`event ${i} differs with salvage:\n${plain[i]}\n${salv[i]}`);
  }
  // Salvage never delivers less than the plain reader.
  if (salv.length < plain.length) return fail(`salvage delivered ${salv.length} events, the plain reader ${plain.length}`);
  if (mark.damagedAt >= 0 && b.error === null) return fail("a salvaged generation without an error");
  if ((a.error === null) !== (b.error === null)) return fail(`errors differ: ${a.error} / ${b.error}`);
  let last = -Infinity;
  for (let i = 0; i < salv.length; i++) {
    const m = / Time=(-?\d+)/.exec(salv[i]!);
    if (m === null) continue;
    const t = Number(m[1]);
    if (t < last) return fail(`time goes backwards at event ${i}: ${t} < ${last}`);
    last = t;
  }
  return { ok: true, error: b.error, events: b.events, ms };
}
