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
import { Ordering, type MState } from "./order.js";
import { goSortFunc } from "./sort.js";
import { Ev, NONE, NUM_SPECS, SPECS, STACK_SLOTS, STRING_SLOTS, TIMED_NARGS, V1_VERSIONS, V2_VERSIONS } from "./spec.js";
import { uvarint, vend } from "./varint.js";
import { V1Converter } from "./v1/convert.js";

const HEADER_LEN = 16;

class Cursor {
  readonly m: number;
  readonly batches: Batch[];
  /** Index of the current batch, and the read position and end in it. */
  idx = 0;
  pos = 0;
  end = 0;
  lastTs = 0;
  /** Time of the cursor's next event (c.ev.time), kept here for the heap. */
  t = 0;
  /** The cursor's next event; `spare` takes its place once it has been advanced. */
  ev = new Event();
  spare = new Event();
  /** The thread's ordering state, looked up on first use. */
  ms: MState | null = null;
  constructor(m: number, batches: Batch[], zero: number) {
    this.m = m;
    this.batches = batches;
    this.lastTs = zero;
    if (batches.length > 0) {
      this.pos = batches[0]!.start;
      this.end = batches[0]!.end;
    }
  }
}

export interface ReaderOptions {
  /** Replace log messages, non-standard-library function names and their file paths with stable hashes. */
  redact?: boolean;
  /**
   * Recover what can be recovered from a damaged generation (default false,
   * Go's behaviour: nothing of it). With salvage, when the input ends or
   * breaks inside a generation, the whole batches read before the damage are
   * ordered as usual and their events delivered until the ordering can make
   * no further progress (events of missing batches can never be ordered);
   * then next() throws the same TraceError as without salvage. Unknown string
   * and stack IDs in that generation resolve as empty. `stats.salvaged`
   * counts the events recovered this way.
   */
  salvage?: boolean;
}

export interface ReaderStats {
  /** Bytes consumed so far. */
  bytes: number;
  /** Generations read. */
  generations: number;
  /** Events returned. */
  events: number;
  /** Events returned from a damaged generation (option `salvage`). */
  salvaged: number;
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
  readonly stats: ReaderStats = { bytes: 0, generations: 0, events: 0, salvaged: 0 };

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
  private readonly salvage: boolean;
  /** Frequency of the last generation read (a damaged one may lack its own). */
  private lastFreq = 0;
  /** Events returned since the current generation's Sync. */
  private genEvents = 0;

  constructor(opts: ReaderOptions = {}) {
    this.redact = opts.redact === true;
    this.salvage = opts.salvage === true;
  }

  /** Feeds input bytes. The reader keeps a reference only until they are copied. */
  push(chunk: Uint8Array): void {
    if (this.eof) throw new Error("push after end");
    if (chunk.length === 0) return;
    const live = this.bufLen - this.pos;
    if (this.bufLen + chunk.length > this.buf.length) {
      // Drop what has been consumed: in place when no generation being read
      // still reads events from this buffer and there is room enough; else
      // into a new buffer.
      const need = live + chunk.length;
      const inUse = this.gen !== null && this.gen.buf === this.buf && this.frontier.length > 0;
      if (!inUse && need * 2 <= this.buf.length) {
        this.buf.copyWithin(0, this.pos, this.bufLen);
      } else {
        const nb = new Uint8Array(Math.max(1 << 20, need * 2));
        nb.set(this.buf.subarray(this.pos, this.bufLen), 0);
        this.buf = nb;
      }
      this.bufOffset += this.pos;
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
      if (ev !== null) {
        this.stats.events++;
        if (ev.type !== Ev.ReaderSync) {
          this.genEvents++;
          if (ev.gen !== null && ev.gen.damaged) this.stats.salvaged++;
        }
      }
      return ev;
    } catch (e) {
      if (e instanceof TraceError) {
        let err = e;
        // Salvaging a damaged generation ends at the first event that cannot
        // be ordered or read: report the damage itself.
        if (this.gen !== null && this.gen.damaged) err = this.readGenErr ?? this.spillErr ?? e;
        this.failed = err;
        this.done = true;
        throw err;
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
      if (frontier.length === 0 || gen.cpuTime[this.cpuIdx]! < frontier[0]!.t) {
        return this.finish(this.cpuSample(gen));
      }
    }
    if (!this.tryAdvance(0)) {
      // Rare: try the other threads in timestamp order.
      goSortFunc(frontier, (a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
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
    if (t !== Ev.ReaderSync && t !== Ev.CPUSample && !ev.gen!.damaged) {
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
    if (id !== 0 && !g.stacks.index.has(id)) this.badID(ev, `found invalid stack ID ${id} for event ${SPECS[ev.type]!.name}`);
  }

  private checkString(ev: Event, g: Generation, slot: number): void {
    const id = ev.arg(slot);
    if (id !== 0 && !g.strings.has(id)) this.badID(ev, `found invalid string ID ${id} for event ${SPECS[ev.type]!.name}`);
  }

  /**
   * An unknown stack or string ID. Versions < 26 write the tables at the end
   * of a generation, so a last generation cut at a batch boundary looks
   * complete until an event refers to them: with salvage, it becomes a
   * damaged generation from here on, reported as truncated once salvaged.
   */
  private badID(ev: Event, msg: string): void {
    const g = ev.gen!;
    if (g.damaged) return;
    if (this.salvage && this.version < 26 && g === this.gen && this.eof && !this.spilled && this.spillErr === null) {
      g.damaged = true;
      this.order!.lenient = true;
      this.stats.salvaged += this.genEvents;
      this.spillErr = new TraceError("incomplete generation found; trace likely truncated", this.bufOffset + this.bufLen, true);
      return;
    }
    throw new TraceError(msg, ev.offset);
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
      this.v1 = new V1Converter(v, this.redact);
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
    if (r.err !== null) this.readGenErr = r.err; // a damaged generation, salvaged
    return this.installGen(r.gen);
  }

  /** Versions 22-25: a generation ends where a batch of the next one begins. */
  private nextGenWithSpill(): Event | null {
    if (this.spillErr !== null) {
      // After the generation before the error, the plain reader delivers one
      // more Sync, then the error; so does salvage after a damaged generation
      // (never less than the plain reader). A Sync closing a damaged
      // generation does not make it complete (see drive()).
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
    const r = readGeneration(this.buf, this.pos, this.bufLen, this.eof, this.version, this.bufOffset, this.baseD, false, this.salvage, this.lastFreq);
    this.pos = r.next;
    this.stats.bytes = this.bufOffset + this.pos;
    if (r.gen !== null) {
      this.stats.generations++;
      this.lastFreq = r.gen.freq;
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
    this.genEvents = 0;
    this.order!.lenient = gen.damaged;
    this.cpuIdx = 0;
    this.frontier = [];
    const zero = -this.baseD;
    for (const m of gen.batchMs) {
      const c = new Cursor(m, gen.batches.get(m)!, zero);
      if (gen.damaged) {
        // Salvage: a thread whose first event cannot be read gives nothing,
        // but the generation's Sync and the other threads' events still come
        // (never less than the plain reader, which delivers the Sync).
        try {
          if (!this.nextEvent(c, gen)) continue;
        } catch (e) {
          if (e instanceof TraceError) continue;
          throw e;
        }
      } else if (!this.nextEvent(c, gen)) continue;
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
    const order = this.order!;
    let ms = c.ms;
    if (ms === null && c.m !== NONE) ms = c.ms = order.mState(c.m);
    if (!order.advance(c.ev, gen, c.m, gen.gen, ms)) return false;
    // The advanced event is now in the queue: decode the next one into the spare.
    const t = c.ev;
    c.ev = c.spare;
    c.spare = t;
    if (this.nextEvent(c, gen)) heapUpdate(this.frontier, i);
    else heapRemove(this.frontier, i);
    return true;
  }

  /** Reads the cursor's next event into c.ev; false when its batches are exhausted. */
  private nextEvent(c: Cursor, gen: Generation): boolean {
    if (c.pos >= c.end) {
      const batches = c.batches;
      const zero = -this.baseD;
      do {
        c.idx++;
        c.lastTs = zero;
        if (c.idx >= batches.length) return false;
        const nb = batches[c.idx]!;
        c.pos = nb.start;
        c.end = nb.end;
      } while (c.pos >= c.end);
      c.lastTs = gen.mul(batches[c.idx]!.time);
    } else if (c.lastTs === -this.baseD) {
      c.lastTs = gen.mul(c.batches[c.idx]!.time);
    }
    const buf = gen.buf;
    const end = c.end;
    let p = c.pos;
    const ev = c.ev;
    const off = gen.bufOffset + p;
    const typ = buf[p]!;
    if (typ >= NUM_SPECS) throw new TraceError(`found invalid event type: ${typ}`, off);
    const nargs = TIMED_NARGS[typ]!;
    if (nargs < 0) throw new TraceError(`found event without a timestamp: type=${typ}`, off);
    p++;
    // One-byte varints inline; longer ones through uvarint().
    let dt = p < end ? buf[p]! : 0x80;
    if (dt < 0x80) p++;
    else {
      dt = uvarint(buf, p, end);
      if (vend < 0) throw new TraceError("found invalid uvarint for timestamp", off);
      p = vend;
    }
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    if (nargs > 1) {
      a0 = p < end ? buf[p]! : 0x80;
      if (a0 < 0x80) p++;
      else {
        a0 = uvarint(buf, p, end);
        if (vend < 0) throw new TraceError("found invalid uvarint", off);
        p = vend;
      }
      if (nargs > 2) {
        a1 = p < end ? buf[p]! : 0x80;
        if (a1 < 0x80) p++;
        else {
          a1 = uvarint(buf, p, end);
          if (vend < 0) throw new TraceError("found invalid uvarint", off);
          p = vend;
        }
        if (nargs > 3) {
          a2 = p < end ? buf[p]! : 0x80;
          if (a2 < 0x80) p++;
          else {
            a2 = uvarint(buf, p, end);
            if (vend < 0) throw new TraceError("found invalid uvarint", off);
            p = vend;
          }
          if (nargs > 4) {
            a3 = p < end ? buf[p]! : 0x80;
            if (a3 < 0x80) p++;
            else {
              a3 = uvarint(buf, p, end);
              if (vend < 0) throw new TraceError("found invalid uvarint", off);
              p = vend;
            }
          }
        }
      }
    }
    ev.offset = off;
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
    c.t = t;
    c.pos = p;
    return true;
  }

  private readV1(): Event | null {
    const v1 = this.v1!;
    if (!v1.parsed) {
      // The old format is parsed whole: the converter keeps the input (once),
      // and this reader's buffer stays small.
      if (this.bufLen > this.pos) {
        v1.take(this.buf.subarray(this.pos, this.bufLen), this.bufOffset + this.pos);
        this.stats.bytes = this.bufOffset + this.bufLen;
        this.bufOffset += this.bufLen;
        this.pos = this.bufLen = 0;
        if (this.buf.length > 4 << 20) this.buf = new Uint8Array(0);
      }
      if (!this.eof) {
        this.needsInput = true;
        return null;
      }
      v1.parse();
      this.stats.generations = 1;
    }
    if (this.syncs === 0) {
      const t = v1.peekTime();
      if (t !== null) {
        this.syncs++;
        return this.makeSync(v1.gen, t - 1);
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
    if (!(heap[parent]!.t > heap[i]!.t)) break;
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
    let minT = i < n ? heap[i]!.t : Number.POSITIVE_INFINITY;
    const l = 2 * i + 1;
    const r = 2 * i + 2;
    if (l < n && heap[l]!.t < minT) {
      minT = heap[l]!.t;
      m = l;
    }
    if (r < n && heap[r]!.t < minT) {
      m = r;
    }
    if (m === i) return i;
    const t = heap[i]!;
    heap[i] = heap[m]!;
    heap[m] = t;
    i = m;
  }
}
