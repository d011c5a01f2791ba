// TraceReader: bytes in, events out, in the order and with the validation of
// Go's internal/trace.Reader. Pure TypeScript on Uint8Array (no Node APIs).
//
//   const r = new TraceReader();
//   r.push(bytes); r.end();
//   for (let ev; (ev = r.next()) !== null; ) { ... }
//
// For streamed input, push chunks whenever next() returns null with
// r.needsInput true, and call end() at EOF. Memory holds one generation (plus
// the unread input) at a time.

import { TraceError } from "./errors.js";
import { Event } from "./event.js";
import { Generation, readGeneration, type Batch } from "./generation.js";
import { Ordering } from "./order.js";
import { goSortFunc } from "./sort.js";
import { Ev, NUM_SPECS, SPECS, STACK_SLOTS, STRING_SLOTS, TIMED_NARGS, V1_VERSIONS, V2_VERSIONS } from "./spec.js";
import { uvarint, vend } from "./varint.js";
import { V1Converter } from "./v1/convert.js";

const HEADER_LEN = 16;

class Cursor {
  readonly m: number;
  readonly batches: Batch[];
  idx = 0;
  pos = 0;
  lastTs = 0;
  readonly ev = new Event();
  constructor(m: number, batches: Batch[], zero: number) {
    this.m = m;
    this.batches = batches;
    this.lastTs = zero;
    this.pos = batches.length > 0 ? batches[0]!.start : 0;
  }
}

export interface ReaderOptions {
  /** Replace log messages, non-standard-library function names and their file paths with stable hashes. */
  redact?: boolean;
}

export interface ReaderStats {
  /** Bytes consumed so far. */
  bytes: number;
  /** Generations read. */
  generations: number;
  /** Events returned. */
  events: number;
}

export class TraceReader {
  /** Trace format version (22, 23, 25, 26; or 11, 19, 21 for old traces), 0 until the header is read. */
  version = 0;
  /**
   * Absolute trace-clock value (ns) of time 0 of Event.time, as a bigint.
   * 0 unless the host's clock is past 2^52 ns (about 52 days of uptime).
   */
  timeBase = 0n;
  /** True when next() returned null because it needs more input. */
  needsInput = false;
  /** True after the last event (or an error) has been returned. */
  done = false;
  readonly stats: ReaderStats = { bytes: 0, generations: 0, events: 0 };

  private buf = new Uint8Array(0);
  private bufLen = 0;
  /** Offset in the input of buf[0]. */
  private bufOffset = 0;
  /** Where the next generation starts in buf. */
  private pos = 0;
  private eof = false;

  private order: Ordering | null = null;
  private gen: Generation | null = null;
  private frontier: Cursor[] = [];
  private cpuIdx = 0;
  private syncs = 0;
  private lastTs = 0;
  private baseD = Number.NaN;
  private readGenErr: TraceError | null = null;
  private spilled = false;
  private spillErr: TraceError | null = null;
  private spillErrSync = false;
  private failed: TraceError | null = null;
  private readonly syncEv = new Event();
  private readonly cpuEv = new Event();
  private v1: V1Converter | null = null;
  private readonly redact: boolean;

  constructor(opts: ReaderOptions = {}) {
    this.redact = opts.redact === true;
  }

  /** Feeds input bytes. The reader keeps a reference only until they are copied. */
  push(chunk: Uint8Array): void {
    if (this.eof) throw new Error("push after end");
    if (chunk.length === 0) return;
    const live = this.bufLen - this.pos;
    if (this.bufLen + chunk.length > this.buf.length) {
      // Drop what has been consumed; always into a new buffer, because the
      // current generation may still reference the old one.
      const cap = Math.max(1 << 20, (live + chunk.length) * 2);
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(this.pos, this.bufLen), 0);
      this.bufOffset += this.pos;
      this.buf = nb;
      this.bufLen = live;
      this.pos = 0;
    }
    this.buf.set(chunk, this.bufLen);
    this.bufLen += chunk.length;
  }

  /** Marks the end of input. */
  end(): void {
    this.eof = true;
  }

  /** Bytes of input received so far. */
  get bytesIn(): number {
    return this.bufOffset + this.bufLen;
  }

  /**
   * The next event, or null: when `needsInput`, push more bytes (or call
   * end()) and call again; when `done`, the trace is over. Throws TraceError
   * on a broken trace, after every event that came before the problem.
   * The returned Event is reused: it is valid until the next call.
   */
  next(): Event | null {
    this.needsInput = false;
    if (this.failed !== null) throw this.failed;
    if (this.done) return null;
    try {
      const ev = this.read();
      if (ev !== null) this.stats.events++;
      return ev;
    } catch (e) {
      if (e instanceof TraceError) {
        this.failed = e;
        this.done = true;
      }
      throw e;
    }
  }

  private read(): Event | null {
    if (this.version === 0) {
      if (!this.readHeader()) {
        this.needsInput = true;
        return null;
      }
    }
    if (this.v1 !== null) return this.readV1();
    const order = this.order!;
    const q = order.queue.pop();
    if (q !== null) return this.finish(q);
    if (this.frontier.length === 0 && (this.gen === null || this.cpuIdx >= this.gen.cpuTime.length)) {
      const ev = this.version < 26 ? this.nextGenWithSpill() : this.nextGen();
      return ev === null ? null : this.finish(ev);
    }
    const gen = this.gen!;
    const frontier = this.frontier;
    // A CPU sample comes next if it is strictly earlier than every event.
    if (this.cpuIdx < gen.cpuTime.length) {
      if (frontier.length === 0 || gen.cpuTime[this.cpuIdx]! < frontier[0]!.ev.time) {
        return this.finish(this.cpuSample(gen));
      }
    }
    if (!this.tryAdvance(0)) {
      // Rare: try the other threads in timestamp order.
      goSortFunc(frontier, (a, b) => (a.ev.time < b.ev.time ? -1 : a.ev.time > b.ev.time ? 1 : 0));
      let ok = false;
      for (let i = 1; i < frontier.length; i++) {
        if (this.tryAdvance(i)) {
          ok = true;
          break;
        }
      }
      if (!ok) this.failToAdvance();
    }
    const ev = order.queue.pop();
    if (ev === null) throw new TraceError("internal error: advance successful, but queue is empty", this.bytesIn);
    return this.finish(ev);
  }

  private failToAdvance(): never {
    const lines = this.frontier.map((c) => {
      const s = SPECS[c.ev.type]!;
      let t = `M ${c.m} [${s.name} time=${c.ev.time}`;
      for (let i = 1; i < s.args.length; i++) t += ` ${s.args[i]}=${c.ev.arg(i - 1)}`;
      return t + "]";
    });
    const at = this.frontier.length > 0 ? this.frontier[0]!.ev.offset : this.bytesIn;
    throw new TraceError(`broken trace: failed to advance: frontier:\n[gen=${this.gen?.gen}]\n\n${lines.join("\n")}`, at);
  }

  /** Go's deferred checks on every returned event: table IDs and strictly increasing time. */
  private finish(ev: Event): Event {
    const t = ev.type;
    if (t !== Ev.ReaderSync && t !== Ev.CPUSample) {
      const g = ev.gen!;
      const k = t * 2;
      let slot = STACK_SLOTS[k]!;
      if (slot >= 0) {
        this.checkStack(ev, g, slot);
        slot = STACK_SLOTS[k + 1]!;
        if (slot >= 0) this.checkStack(ev, g, slot);
      }
      slot = STRING_SLOTS[k]!;
      if (slot >= 0) {
        this.checkString(ev, g, slot);
        slot = STRING_SLOTS[k + 1]!;
        if (slot >= 0) this.checkString(ev, g, slot);
      }
    }
    if (ev.time <= this.lastTs) ev.time = this.lastTs + 1;
    this.lastTs = ev.time;
    return ev;
  }

  private checkStack(ev: Event, g: Generation, slot: number): void {
    const id = ev.arg(slot);
    if (id !== 0 && !g.stacks.index.has(id)) {
      throw new TraceError(`found invalid stack ID ${id} for event ${SPECS[ev.type]!.name}`, ev.offset);
    }
  }

  private checkString(ev: Event, g: Generation, slot: number): void {
    const id = ev.arg(slot);
    if (id !== 0 && !g.strings.has(id)) {
      throw new TraceError(`found invalid string ID ${id} for event ${SPECS[ev.type]!.name}`, ev.offset);
    }
  }

  private readHeader(): boolean {
    const avail = this.bufLen - this.pos;
    if (avail < HEADER_LEN && !this.eof) return false;
    const h = this.buf.subarray(this.pos, this.pos + Math.min(avail, HEADER_LEN));
    let text = "";
    for (const c of h) text += String.fromCharCode(c);
    const m = /^go 1\.([0-9]+) trace\0\0\0/.exec(text);
    if (m === null) throw new TraceError("bad file format: not a Go execution trace?", 0);
    const v = Number(m[1]);
    if (!V2_VERSIONS.includes(v) && !V1_VERSIONS.includes(v)) {
      throw new TraceError(`unknown or unsupported trace version go 1.${v}`, 0);
    }
    this.version = v;
    this.pos += HEADER_LEN;
    if (V1_VERSIONS.includes(v)) {
      this.v1 = new V1Converter(v);
    } else {
      this.order = new Ordering(v);
    }
    return true;
  }

  /** Version 26: generations end with an explicit marker. */
  private nextGen(): Event | null {
    if (this.readGenErr !== null) throw this.readGenErr;
    const r = this.loadGeneration();
    if (r === "more") return null;
    if (r.err !== null && r.gen === null) {
      this.readGenErr = r.err;
      this.gen = null;
      this.syncs++;
      return this.makeSync(null, this.lastTs);
    }
    return this.installGen(r.gen);
  }

  /** Versions 22-25: a generation ends where a batch of the next one begins. */
  private nextGenWithSpill(): Event | null {
    if (this.spillErr !== null) {
      if (this.spillErrSync) throw this.spillErr;
      this.spillErrSync = true;
      this.syncs++;
      return this.makeSync(null, this.lastTs);
    }
    if (this.gen !== null && !this.spilled) {
      this.done = true;
      this.syncs++;
      return this.makeSync(null, this.lastTs);
    }
    const r = this.loadGeneration();
    if (r === "more") return null;
    this.spilled = r.spilled;
    this.spillErr = r.err;
    if (r.gen === null) {
      this.gen = null;
      this.spillErrSync = true;
      this.syncs++;
      return this.makeSync(null, this.lastTs);
    }
    return this.installGen(r.gen);
  }

  private loadGeneration(): "more" | { gen: Generation | null; err: TraceError | null; spilled: boolean } {
    const dry = readGeneration(this.buf, this.pos, this.bufLen, this.eof, this.version, this.bufOffset, this.baseD, true);
    if (dry.needMore) {
      this.needsInput = true;
      return "more";
    }
    const r = readGeneration(this.buf, this.pos, this.bufLen, this.eof, this.version, this.bufOffset, this.baseD, false);
    this.pos = r.next;
    this.stats.bytes = this.bufOffset + this.pos;
    if (r.gen !== null) {
      this.stats.generations++;
      if (this.redact) r.gen.redact();
      if (Number.isNaN(this.baseD)) {
        this.baseD = r.gen.timeBase;
        this.timeBase = BigInt(this.baseD);
        this.lastTs = -this.baseD;
      }
    }
    return { gen: r.gen, err: r.err, spilled: r.spilled };
  }

  private installGen(gen: Generation | null): Event {
    if (gen === null) {
      this.gen = null;
      this.done = true;
      this.syncs++;
      return this.makeSync(null, this.lastTs);
    }
    this.gen = gen;
    this.cpuIdx = 0;
    this.frontier = [];
    const zero = -this.baseD;
    for (const m of gen.batchMs) {
      const c = new Cursor(m, gen.batches.get(m)!, zero);
      if (!this.nextEvent(c, gen)) continue;
      heapInsert(this.frontier, c);
    }
    this.syncs++;
    return this.makeSync(gen, gen.mul(gen.minTs));
  }

  private makeSync(gen: Generation | null, time: number): Event {
    const e = this.syncEv;
    e.type = Ev.ReaderSync;
    e.time = time;
    e.m = e.p = e.g = -1;
    e.a0 = this.syncs;
    e.a1 = e.a2 = e.a3 = e.aux = 0;
    e.str = "";
    e.gen = gen;
    e.offset = this.bufOffset + this.pos;
    return e;
  }

  private cpuSample(gen: Generation): Event {
    const i = this.cpuIdx++;
    const e = this.cpuEv;
    e.type = Ev.CPUSample;
    e.time = gen.cpuTime[i]!;
    e.m = gen.cpuM[i]!;
    e.p = gen.cpuP[i]!;
    e.g = gen.cpuG[i]!;
    e.a0 = gen.cpuStack[i]!;
    e.a1 = e.a2 = e.a3 = e.aux = 0;
    e.str = "";
    e.gen = gen;
    e.offset = gen.cpuOff[i]!;
    return e;
  }

  private tryAdvance(i: number): boolean {
    const c = this.frontier[i]!;
    const gen = this.gen!;
    if (!this.order!.advance(c.ev, gen, c.m, gen.gen)) return false;
    if (this.nextEvent(c, gen)) heapUpdate(this.frontier, i);
    else heapRemove(this.frontier, i);
    return true;
  }

  /** Reads the cursor's next event; false when its batches are exhausted. */
  private nextEvent(c: Cursor, gen: Generation): boolean {
    const batches = c.batches;
    const zero = -this.baseD;
    while (c.idx < batches.length && c.pos === batches[c.idx]!.end) {
      c.idx++;
      if (c.idx < batches.length) c.pos = batches[c.idx]!.start;
      c.lastTs = zero;
    }
    if (c.idx === batches.length) return false;
    const b = batches[c.idx]!;
    if (c.lastTs === zero) c.lastTs = gen.mul(b.time);
    const buf = gen.buf;
    const end = b.end;
    let p = c.pos;
    const ev = c.ev;
    ev.offset = gen.bufOffset + p;
    const typ = buf[p]!;
    if (typ >= NUM_SPECS) throw new TraceError(`found invalid event type: ${typ}`, ev.offset);
    const nargs = TIMED_NARGS[typ]!;
    if (nargs < 0) throw new TraceError(`found event without a timestamp: type=${typ}`, ev.offset);
    p++;
    const dt = uvarint(buf, p, end);
    if (vend < 0) throw new TraceError("found invalid uvarint for timestamp", ev.offset);
    p = vend;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    if (nargs > 1) {
      a0 = uvarint(buf, p, end);
      if (vend < 0) throw new TraceError("found invalid uvarint", ev.offset);
      p = vend;
      if (nargs > 2) {
        a1 = uvarint(buf, p, end);
        if (vend < 0) throw new TraceError("found invalid uvarint", ev.offset);
        p = vend;
        if (nargs > 3) {
          a2 = uvarint(buf, p, end);
          if (vend < 0) throw new TraceError("found invalid uvarint", ev.offset);
          p = vend;
          if (nargs > 4) {
            a3 = uvarint(buf, p, end);
            if (vend < 0) throw new TraceError("found invalid uvarint", ev.offset);
            p = vend;
          }
        }
      }
    }
    ev.type = typ;
    ev.a0 = a0;
    ev.a1 = a1;
    ev.a2 = a2;
    ev.a3 = a3;
    ev.aux = 0;
    ev.str = "";
    ev.gen = gen;
    const t = Math.trunc(dt * gen.freq) + c.lastTs;
    ev.time = t;
    c.lastTs = t;
    c.pos = p;
    return true;
  }

  private readV1(): Event | null {
    const v1 = this.v1!;
    if (!v1.parsed) {
      if (!this.eof) {
        this.needsInput = true;
        return null;
      }
      v1.parse(this.buf.subarray(this.pos, this.bufLen), this.bufOffset + this.pos);
      this.stats.bytes = this.bufOffset + this.bufLen;
      this.stats.generations = 1;
    }
    if (this.syncs === 0) {
      const t = v1.peekTime();
      if (t !== null) {
        this.syncs++;
        return this.makeSync(null, t - 1);
      }
    }
    const ev = v1.next();
    if (ev === null) {
      this.done = true;
      this.syncs++;
      return this.makeSync(null, v1.lastTs + 1);
    }
    return ev;
  }
}

function heapInsert(heap: Cursor[], c: Cursor): void {
  heap.push(c);
  heapSiftUp(heap, heap.length - 1);
}

function heapUpdate(heap: Cursor[], i: number): void {
  if (heapSiftUp(heap, i) !== i) return;
  heapSiftDown(heap, i);
}

function heapRemove(heap: Cursor[], i: number): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const t = heap[parent]!;
    heap[parent] = heap[i]!;
    heap[i] = t;
    i = parent;
  }
  const last = heap.length - 1;
  const t = heap[0]!;
  heap[0] = heap[last]!;
  heap[last] = t;
  heap.pop();
  heapSiftDown(heap, 0);
}

function heapSiftUp(heap: Cursor[], i: number): number {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!(heap[parent]!.ev.time > heap[i]!.ev.time)) break;
    const t = heap[parent]!;
    heap[parent] = heap[i]!;
    heap[i] = t;
    i = parent;
  }
  return i;
}

function heapSiftDown(heap: Cursor[], i: number): number {
  for (;;) {
    const n = heap.length;
    let m = i;
    let minT = i < n ? heap[i]!.ev.time : Number.POSITIVE_INFINITY;
    const l = 2 * i + 1;
    const r = 2 * i + 2;
    if (l < n && heap[l]!.ev.time < minT) {
      minT = heap[l]!.ev.time;
      m = l;
    }
    if (r < n && heap[r]!.ev.time < minT) {
      m = r;
    }
    if (m === i) return i;
    const t = heap[i]!;
    heap[i] = heap[m]!;
    heap[m] = t;
    i = m;
  }
}
