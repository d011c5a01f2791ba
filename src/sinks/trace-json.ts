// Timeline -> Chrome trace-event JSON ({"traceEvents":[...]}), as read by
// ui.perfetto.dev and Catapult's trace viewer. Written as bytes (JsonBytes:
// hand-formatted numbers, pre-encoded constant fragments, interned names and
// stacks) in large chunks with backpressure; nothing holds the whole document.
//
// Tasks, regions and logs (the "Tasks" group) are nestable async events
// ("b"/"e"/"n", id = the track's uuid): tasks become async slices in both
// Catapult and Perfetto, with a region track's regions nested per goroutine.
// Everything else is a thread slice, written as a complete ("X") event when it
// ends: half the records of B/E pairs.

import type { Generation } from "../decode/generation.js";
import type { BytesWriter } from "./chunks.js";
import { ascii, JsonBytes } from "./json-bytes.js";
import { Group, GROUP_NAMES, type Args, type OpenSlice, type TimelineSink, type TrackDesc } from "../convert/timeline-model.js";

const enc = new TextEncoder();
/** Names interned at most this many at a time (then forgotten). */
const INTERN_MAX = 1 << 16;
/** Encoded stacks kept at most this many at a time (each ~1-3 KB): bounds memory. */
const STACKS_MAX = 1 << 12;

const F_SEP = ascii(",\n");
const F_X = ascii('{"ph":"X","pid":');
const F_B = ascii('{"ph":"b","pid":');
const F_E = ascii('{"ph":"e","pid":');
const F_N = ascii('{"ph":"n","pid":');
const F_I = ascii('{"ph":"i","s":"t","pid":');
const F_C = ascii('{"ph":"C","tid":0,"pid":');
const F_FS = ascii('{"ph":"s","pid":');
const F_FF = ascii('{"ph":"f","bp":"e","pid":');
const F_TID = ascii(',"tid":');
const F_TS = ascii(',"ts":');
const F_DUR = ascii(',"dur":');
const F_ID = ascii(',"id":');
const F_NAME = ascii(',"name":');
const F_CAT = ascii(',"cat":"');
const F_ARGS = ascii(',"args":{');
const F_FLOW = ascii(',"name":"flow","cat":"flow"');
const F_KIND = ascii(',"args":{"kind":"');
const F_STACK = ascii('"stack":');
const F_M_NAME = ascii('{"ph":"M","name":"thread_name","ts":0,"pid":');
const F_M_SORT = ascii('{"ph":"M","name":"thread_sort_index","ts":0,"pid":');
const F_M_TID = ascii(',"tid":');
const F_M_NAME_ARGS = ascii(',"args":{"name":');
const F_M_SORT_ARGS = ascii(',"args":{"sort_index":');
const F_M_END = ascii("}}");
const F_END_STACK = ascii('"end stack":');

/** The args of a slice with more than a stack, kept from its begin for its end. */
class BeginArgs {
  constructor(
    readonly args: string,
    readonly stack: Uint8Array | null,
  ) {}
}

interface CounterGroup {
  name: Uint8Array;
  pid: number;
  keys: Uint8Array[];
  vals: number[];
  set: boolean[];
  /** Member indexes in the order they were first set. */
  order: number[];
}

export class TraceJsonSink extends JsonBytes implements TimelineSink {
  private first = true;
  private readonly groupsSeen = new Set<number>();
  private stackGen: Generation | null = null;
  private readonly stackCache = new Map<number, Uint8Array>();
  private readonly nameCache = new Map<string, Uint8Array>();
  private readonly counterOf = new Map<number, { g: CounterGroup; i: number }>();
  private readonly counterGroups = new Map<string, CounterGroup>();
  private cgPending: CounterGroup | null = null;
  private cgTs = 0;

  constructor(out: BytesWriter) {
    super(out);
  }

  /** A string as a JSON string literal, encoded once and interned. */
  private name(s: string): Uint8Array {
    let b = this.nameCache.get(s);
    if (b === undefined) {
      if (this.nameCache.size >= INTERN_MAX) this.nameCache.clear();
      b = enc.encode(JSON.stringify(s));
      this.nameCache.set(s, b);
    }
    return b;
  }

  /** Starts the next event (separator). */
  private next(): void {
    if (this.cgPending !== null) this.emitCounterGroup();
    if (this.first) this.first = false;
    else this.bytes(F_SEP);
  }

  private where(head: Uint8Array, track: number): void {
    const pid = track % 8;
    this.ensure(64);
    this.bytes(head);
    this.buf[this.pos++] = 48 + pid; // groups are 1..5
    this.bytes(F_TID);
    this.uint((track - pid) / 8 - 1);
  }

  private meta(s: string): void {
    this.next();
    this.raw(s);
  }

  // ---- sink ----

  start(): void {
    this.raw('{"displayTimeUnit":"ns","traceEvents":[\n');
  }

  track(t: TrackDesc): void {
    const pid = t.group;
    if (!this.groupsSeen.has(pid)) {
      this.groupsSeen.add(pid);
      this.meta(`{"ph":"M","name":"process_name","pid":${pid},"tid":0,"ts":0,"args":{"name":${JSON.stringify(GROUP_NAMES[pid] ?? "")}}}`);
      this.meta(`{"ph":"M","name":"process_sort_index","pid":${pid},"tid":0,"ts":0,"args":{"sort_index":${pid}}}`);
    }
    if (t.counter) {
      let g = this.counterGroups.get(t.counterGroup);
      if (g === undefined) {
        g = { name: enc.encode(JSON.stringify(t.counterGroup)), pid, keys: [], vals: [], set: [], order: [] };
        this.counterGroups.set(t.counterGroup, g);
      }
      if (!this.counterOf.has(t.uuid)) {
        this.counterOf.set(t.uuid, { g, i: g.keys.length });
        g.keys.push(enc.encode(JSON.stringify(t.counterKey) + ":"));
        g.vals.push(0);
        g.set.push(false);
      }
      return;
    }
    this.threadMeta(t);
    this.next();
    this.bytes(F_M_SORT);
    this.num(pid);
    this.bytes(F_M_TID);
    this.num(t.tid);
    this.bytes(F_M_SORT_ARGS);
    this.num(t.sort);
    this.bytes(F_M_END);
  }

  rename(t: TrackDesc): void {
    this.threadMeta(t);
  }

  private threadMeta(t: TrackDesc): void {
    this.next();
    this.bytes(F_M_NAME);
    this.num(t.group);
    this.bytes(F_M_TID);
    this.num(t.tid);
    this.bytes(F_M_NAME_ARGS);
    this.str(t.name);
    this.bytes(F_M_END);
  }

  generation(): void {}

  private stack(gen: Generation | null, sid: number): Uint8Array | null {
    if (gen === null || sid <= 0) return null;
    if (gen !== this.stackGen) {
      this.stackGen = gen;
      this.stackCache.clear();
    }
    let s = this.stackCache.get(sid);
    if (s === undefined) {
      const frames = gen.stackFrames(sid);
      let text = "";
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i]!;
        text += `${i === 0 ? "" : "\n"}${f.func} ${f.file}:${f.line}`;
      }
      if (this.stackCache.size >= STACKS_MAX) this.stackCache.clear();
      s = enc.encode(JSON.stringify(text));
      this.stackCache.set(sid, s);
    }
    return s;
  }

  /** The non-stack args as the inside of an object ("" when none). */
  private static argsText(args: Args | null): string {
    const n = args === null ? 0 : args.n;
    let s = "";
    for (let i = 0; i < n; i++) {
      const v = args!.vals[i]!;
      s += `${i === 0 ? "" : ","}${JSON.stringify(args!.keys[i]!)}:${typeof v === "number" ? String(v) : JSON.stringify(v)}`;
    }
    return s;
  }

  /** ,"args":{...} (nothing when empty). */
  private argsOut(args: string, stackKey: Uint8Array, stack: Uint8Array | null): void {
    if (args === "" && stack === null) return;
    this.bytes(F_ARGS);
    if (args !== "") this.raw(args);
    if (stack !== null) {
      if (args !== "") this.byte(44); // ,
      this.bytes(stackKey);
      this.bytes(stack);
    }
    this.byte(125); // }
  }

  private close(): void {
    this.byte(125); // }
  }

  private static isAsync(track: number): boolean {
    return track % 8 === Group.Tasks;
  }

  begin(track: number, ts: number, s: OpenSlice, args: Args | null, sgen: Generation | null, sid: number, flowIn: number): void {
    const a = args === null || args.n === 0 ? "" : TraceJsonSink.argsText(args);
    const stack = this.stack(sgen, sid);
    // What the end needs: the begin time, and the args (only the stack, mostly).
    s.sinkTs = ts;
    s.sinkData = a === "" ? stack : new BeginArgs(a, stack);
    if (TraceJsonSink.isAsync(track)) this.asyncEv(F_B, track, ts, this.name(s.name), s.cat, a, stack);
    if (flowIn !== 0) this.flow(track, ts, flowIn, "", true);
  }

  private asyncEv(head: Uint8Array, track: number, ts: number, nm: Uint8Array, cat: string, args: string, stack: Uint8Array | null): void {
    this.next();
    this.where(head, track);
    this.bytes(F_TS);
    this.us(ts);
    this.bytes(F_ID);
    this.num(track);
    this.nameCat(nm, cat);
    this.argsOut(args, F_STACK, stack);
    this.close();
  }

  /** A complete ("X") slice. */
  private sliceEv(track: number, ts: number, dur: number, nm: Uint8Array | string, cat: string, args: string, stackKey: Uint8Array, stack: Uint8Array | null): void {
    this.next();
    this.where(F_X, track);
    this.bytes(F_TS);
    this.us(ts);
    this.bytes(F_DUR);
    this.us(dur);
    this.nameCat(nm, cat);
    this.argsOut(args, stackKey, stack);
    this.close();
  }

  /** ,"name":N,"cat":"C" (a name interned as bytes, or written as it comes). */
  private nameCat(nm: Uint8Array | string, cat: string): void {
    this.bytes(F_NAME);
    if (typeof nm === "string") this.str(nm);
    else this.bytes(nm);
    this.bytes(F_CAT);
    this.raw(cat);
    this.byte(34); // "
  }

  end(track: number, ts: number, s: OpenSlice, sgen: Generation | null, sid: number): void {
    // The stack where a slice ends is the stack of the next state's beginning
    // (where the goroutine blocked, say), which carries it: not repeated here.
    void sgen;
    void sid;
    if (TraceJsonSink.isAsync(track)) {
      this.asyncEv(F_E, track, ts, this.name(s.name), s.cat, "", null);
      return;
    }
    // Names of goroutine execution slices are new with each goroutine: written, not interned.
    const d = s.sinkData;
    if (d instanceof BeginArgs) this.sliceEv(track, s.sinkTs, ts - s.sinkTs, s.name, s.cat, d.args, F_STACK, d.stack);
    else this.sliceEv(track, s.sinkTs, ts - s.sinkTs, s.name, s.cat, "", F_STACK, d as Uint8Array | null);
  }

  complete(track: number, ts: number, dur: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    const nm = this.name(name);
    const a = TraceJsonSink.argsText(args);
    const stack = this.stack(sgen, sid);
    if (TraceJsonSink.isAsync(track)) {
      this.asyncEv(F_B, track, ts, nm, cat, a, null);
      this.asyncEv(F_E, track, ts + dur, nm, cat, "", stack);
      return;
    }
    this.sliceEv(track, ts, dur, nm, cat, a, F_END_STACK, stack);
  }

  instant(track: number, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    const nm = this.name(name);
    const a = TraceJsonSink.argsText(args);
    const stack = this.stack(sgen, sid);
    if (TraceJsonSink.isAsync(track)) {
      this.asyncEv(F_N, track, ts, nm, cat, a, stack);
      return;
    }
    this.next();
    this.where(F_I, track);
    this.bytes(F_TS);
    this.us(ts);
    this.nameCat(nm, cat);
    this.argsOut(a, F_STACK, stack);
    this.close();
  }

  counter(track: number, ts: number, value: number): void {
    const m = this.counterOf.get(track);
    if (m === undefined) return;
    const g = m.g;
    if (this.cgPending !== null && (this.cgPending !== g || this.cgTs !== ts)) this.emitCounterGroup();
    if (!g.set[m.i]) {
      g.set[m.i] = true;
      g.order.push(m.i);
    }
    g.vals[m.i] = value;
    this.cgPending = g;
    this.cgTs = ts;
  }

  private emitCounterGroup(): void {
    const g = this.cgPending!;
    this.cgPending = null;
    this.next();
    this.bytes(F_C);
    this.num(g.pid);
    this.bytes(F_TS);
    this.us(this.cgTs);
    this.bytes(F_NAME);
    this.bytes(g.name);
    this.bytes(F_ARGS);
    for (let k = 0; k < g.order.length; k++) {
      const i = g.order[k]!;
      if (k > 0) this.byte(44);
      this.bytes(g.keys[i]!);
      this.num(g.vals[i]!);
    }
    this.byte(125);
    this.byte(125);
  }

  flow(track: number, ts: number, id: number, kind: string, terminating: boolean): void {
    this.next();
    this.where(terminating ? F_FF : F_FS, track);
    this.bytes(F_TS);
    this.us(ts);
    this.bytes(F_ID);
    this.num(id);
    this.bytes(F_FLOW);
    if (!terminating) {
      this.bytes(F_KIND);
      this.raw(kind);
      this.byte(34);
      this.byte(125);
    }
    this.close();
  }

  flush(): Promise<void> | void {
    return this.flushChunk();
  }

  async finish(): Promise<void> {
    if (this.cgPending !== null) this.emitCounterGroup();
    this.raw("\n]}\n");
    await this.flushAll();
  }
}
