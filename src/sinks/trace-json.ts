// Timeline -> Chrome trace-event JSON ({"traceEvents":[...]}), as read by
// ui.perfetto.dev and Catapult's trace viewer (chrome://tracing, go tool
// trace). Written as bytes (JsonBytes: hand-formatted numbers, pre-encoded
// constant fragments, interned names) in large chunks with backpressure;
// nothing holds the whole document.
//
// Top-level groups and containers (goroutine and task groups) are processes;
// other tracks are threads (tid = the track's uuid, unique). Every slice is a
// complete ("X") event written when it ends. Stacks are Catapult's
// "stackFrames" table (written at the end) referenced by "sf" (where a slice
// begins). An arrow is bound to its two slices when it can ("bind_id" with
// "flow_out"/"flow_in", flow v2: a slice holds one), else it is a pair of
// "s"/"f" flow events.

import type { Generation } from "../decode/generation.js";
import type { BytesWriter } from "./chunks.js";
import { ascii, JsonBytes } from "./json-bytes.js";
import { GROUP_NAMES, type Args, type NameRef, type OpenSlice, type TimelineSink, type TrackDesc } from "../convert/timeline-model.js";

const enc = new TextEncoder();
/** Names interned at most this many at a time (then forgotten). */
const INTERN_MAX = 1 << 16;
/** Stack frame nodes kept at most (stacks past it are left out). */
const FRAMES_MAX = 1 << 18;
/** JSON process sort index of a top-level group (containers sort within it). */
const GROUP_SORT = 1_000_000;

const F_SEP = ascii(",\n");
const F_X = ascii('{"ph":"X","pid":');
const F_I = ascii('{"ph":"i","s":"t","pid":');
const F_C = ascii('{"ph":"C","tid":0,"pid":');
const F_FS = ascii('{"ph":"s","pid":');
const F_FF = ascii('{"ph":"f","bp":"e","pid":');
const F_TID = ascii(',"tid":');
const F_TS = ascii(',"ts":');
const F_DUR = ascii(',"dur":');
const F_ID = ascii(',"id":');
const F_NAME = ascii(',"name":');
const F_NAME_G = ascii(',"name":"G');
const F_CAT = ascii(',"cat":"');
const F_ARGS = ascii(',"args":{');
const F_SF = ascii(',"sf":');
const F_END = ascii("}");
const F_BIND = ascii(',"bind_id":');
const F_FLOW_OUT = ascii(',"flow_out":true');
const F_FLOW_IN = ascii(',"flow_in":true');
const F_M_NAME = ascii('{"ph":"M","name":"thread_name","ts":0,"pid":');
const F_M_SORT = ascii('{"ph":"M","name":"thread_sort_index","ts":0,"pid":');
const F_M_TID = ascii(',"tid":');
const F_M_NAME_ARGS = ascii(',"args":{"name":');
const F_M_SORT_ARGS = ascii(',"args":{"sort_index":');
const F_M_END = ascii("}}");

/** What a slice's end needs from its begin. */
class BeginData {
  args = "";
  sf = 0;
  /** A flow bound to the slice itself (flow v2): its id, and whether it goes out (else in); 0 = none. */
  bind = 0;
  bindOut = false;
}

/** Flow v2 ids (bind_id) are kept apart from v1 ids (a trace processor numbers v1 flows from 0). */
const BIND_BASE = 2 ** 40;

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
  /** JSON pid of each declared track, by uuid. */
  private readonly pidOf: number[] = [];
  private readonly nameCache = new Map<string, Uint8Array>();
  private readonly counterOf = new Map<number, { g: CounterGroup; i: number }>();
  private readonly counterGroups = new Map<string, CounterGroup>();
  private cgPending: CounterGroup | null = null;
  private cgTs = 0;
  private written = 0;
  // The stack frame tree: node i has name frameNames[i-1] and parent frameParents[i-1].
  private readonly frameNames: string[] = [];
  private readonly frameParents: number[] = [];
  private readonly frameIndex = new Map<string, number>();
  private stackGen: Generation | null = null;
  private readonly stackNode = new Map<number, number>();
  private readonly beginPool: BeginData[] = [];

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
    this.ensure(64);
    this.bytes(head);
    this.uint(this.pidOf[track] ?? 0);
    this.bytes(F_TID);
    this.uint(track);
  }

  private meta(s: string): void {
    this.next();
    this.raw(s);
  }

  size(): number {
    return this.written + this.pos;
  }

  protected override spill(n: number): void {
    this.written += this.pos;
    super.spill(n);
  }

  // ---- sink ----

  start(): void {
    this.raw('{"displayTimeUnit":"ns","traceEvents":[\n');
  }

  window(): void {}

  private process(pid: number, name: string, sort: number): void {
    this.meta(`{"ph":"M","name":"process_name","pid":${pid},"tid":0,"ts":0,"args":{"name":${JSON.stringify(name)}}}`);
    this.meta(`{"ph":"M","name":"process_sort_index","pid":${pid},"tid":0,"ts":0,"args":{"sort_index":${sort}}}`);
  }

  track(t: TrackDesc): void {
    if (t.container) {
      this.process(t.uuid, t.name, t.group * GROUP_SORT + 1 + t.sort);
      return;
    }
    const pid = t.pid;
    this.pidOf[t.uuid] = pid;
    if (pid === t.group && !this.groupsSeen.has(pid)) {
      this.groupsSeen.add(pid);
      this.process(pid, GROUP_NAMES[pid] ?? "", pid * GROUP_SORT);
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
    this.num(t.uuid);
    this.bytes(F_M_SORT_ARGS);
    this.num(t.sort);
    this.bytes(F_M_END);
  }

  rename(t: TrackDesc): void {
    if (t.container) this.meta(`{"ph":"M","name":"process_name","pid":${t.uuid},"tid":0,"ts":0,"args":{"name":${JSON.stringify(t.name)}}}`);
    else this.threadMeta(t);
  }

  private threadMeta(t: TrackDesc): void {
    this.next();
    this.bytes(F_M_NAME);
    this.num(t.pid);
    this.bytes(F_M_TID);
    this.num(t.uuid);
    this.bytes(F_M_NAME_ARGS);
    this.str(t.name);
    this.bytes(F_M_END);
  }

  generation(): void {}

  /** The stackFrames node of a stack (0: none). */
  private stack(gen: Generation | null, sid: number): number {
    if (gen === null || sid <= 0) return 0;
    if (gen !== this.stackGen) {
      this.stackGen = gen;
      this.stackNode.clear();
    }
    let node = this.stackNode.get(sid);
    if (node !== undefined) return node;
    node = 0;
    const frames = gen.stackFrames(sid);
    // Outermost first: each frame a child of the one that called it.
    for (let i = frames.length - 1; i >= 0; i--) {
      const f = frames[i]!;
      const text = `${f.func} ${f.file}:${f.line}`;
      const key = `${node}\n${text}`;
      let id = this.frameIndex.get(key);
      if (id === undefined) {
        if (this.frameNames.length >= FRAMES_MAX) {
          node = 0;
          break;
        }
        this.frameNames.push(text);
        this.frameParents.push(node);
        id = this.frameNames.length;
        this.frameIndex.set(key, id);
      }
      node = id;
    }
    if (this.stackNode.size >= INTERN_MAX) this.stackNode.clear();
    this.stackNode.set(sid, node);
    return node;
  }

  /** The args as the inside of an object ("" when none). */
  private static argsText(args: Args | null): string {
    const n = args === null ? 0 : args.n;
    let s = "";
    for (let i = 0; i < n; i++) {
      const v = args!.vals[i]!;
      s += `${i === 0 ? "" : ","}${JSON.stringify(args!.keys[i]!)}:${typeof v === "number" ? String(v) : JSON.stringify(v)}`;
    }
    return s;
  }

  private argsOut(args: string): void {
    if (args === "") return;
    this.bytes(F_ARGS);
    this.raw(args);
    this.byte(125); // }
  }

  private stackOut(key: Uint8Array, node: number): void {
    if (node === 0) return;
    this.bytes(key);
    this.num(node);
  }

  /** The slices open on each track: begin times, and how many enclosing slices began at the same time. */
  private readonly open = new Map<number, { ts: number[]; k: number[] }>();

  private opened(track: number): { ts: number[]; k: number[] } {
    let o = this.open.get(track);
    if (o === undefined) this.open.set(track, (o = { ts: [], k: [] }));
    return o;
  }

  begin(track: number, ts: number, s: OpenSlice, args: Args | null, sgen: Generation | null, sid: number): void {
    const o = this.opened(track);
    const n = o.ts.length;
    o.k.push(n > 0 && o.ts[n - 1] === ts ? o.k[n - 1]! + 1 : 0);
    o.ts.push(ts);
    // What the end needs: the begin time, args and stack.
    s.sinkTs = ts;
    const a = args === null || args.n === 0 ? "" : TraceJsonSink.argsText(args);
    const sf = this.stack(sgen, sid);
    if (a === "" && sf === 0) {
      s.sinkData = null;
      return;
    }
    const d = this.beginData(s);
    d.args = a;
    d.sf = sf;
  }

  private beginData(s: OpenSlice): BeginData {
    let d = s.sinkData as BeginData | null;
    if (d === null) {
      d = this.beginPool.pop() ?? new BeginData();
      d.args = "";
      d.sf = 0;
      d.bind = 0;
      s.sinkData = d;
    }
    return d;
  }

  /**
   * ,"name":N,"cat":"C" (a name interned as bytes, or written as it comes;
   * no category when it is "").
   */
  private nameCat(nm: Uint8Array | string, cat: string): void {
    this.bytes(F_NAME);
    if (typeof nm === "string") this.str(nm);
    else this.bytes(nm);
    if (cat === "") return;
    this.bytes(F_CAT);
    this.raw(cat);
    this.byte(34); // "
  }

  private readonly fnJson = new Map<string, Uint8Array>();

  /** ,"name":"G12 main.worker" from a goroutine's label (no string made), or a plain NameRef's name. */
  private goName(r: NameRef, cat: string): void {
    if (r.g < 0) {
      this.bytes(F_NAME);
      this.bytes(this.name(r.fn));
    } else {
      this.bytes(F_NAME_G);
      this.ensure(20);
      this.uint(r.g);
      if (r.fn !== "") {
        let b = this.fnJson.get(r.fn);
        if (b === undefined) {
          const q = JSON.stringify(r.fn);
          b = enc.encode(q.slice(1, q.length - 1));
          if (this.fnJson.size < 4096) this.fnJson.set(r.fn, b);
        }
        this.byte(32);
        this.bytes(b);
      }
      this.byte(34);
    }
    if (cat === "") return;
    this.bytes(F_CAT);
    this.raw(cat);
    this.byte(34);
  }

  /** Flows bound (v2) to the end of a slice whose destination has not begun yet. */
  private readonly boundOut = new Set<number>();

  end(track: number, ts: number, s: OpenSlice, sgen: Generation | null, sid: number): void {
    // The first arrow out of this slice to a slice not begun yet is bound to it (flow v2).
    const fo = s.flowsOut;
    if (fo.n > 0 && (s.sinkData === null || (s.sinkData as BeginData).bind === 0) && this.boundOut.size < 1 << 16) {
      for (let i = 0; i < fo.n; i++) {
        if (fo.term[i] || !fo.bindable[i]) continue;
        const d = this.beginData(s);
        d.bind = BIND_BASE + fo.ids[i]!;
        d.bindOut = true;
        this.boundOut.add(fo.ids[i]!);
        break;
      }
    }
    const d = s.sinkData as BeginData | null;
    const o = this.opened(track);
    o.ts.pop();
    // Viewers nest complete events that begin at the same time in file order
    // (Catapult) or longest first (Perfetto), and an enclosing slice is
    // written after what it holds (when it ends): a slice that begins with k
    // enclosing ones (a goroutine first seen blocked, a part's first moment)
    // begins k ns later here when it lasts long enough, below the trace
    // clock's resolution.
    const k = o.k.pop() ?? 0;
    const dur = ts - s.sinkTs;
    const shift = k > 0 && dur >= 2 ? Math.min(k, dur - 1) : 0;
    this.next();
    const start = this.pos;
    const buf = this.buf;
    this.where(F_X, track);
    this.bytes(F_TS);
    this.us(s.sinkTs + shift);
    this.bytes(F_DUR);
    this.us(dur - shift);
    if (s.nameRef !== null) this.goName(s.nameRef, s.cat);
    else this.nameCat(this.name(s.name), s.cat);
    let sf = 0;
    if (d !== null) {
      this.argsOut(d.args);
      sf = d.sf;
      this.stackOut(F_SF, sf);
      if (d.bind !== 0) {
        this.bytes(F_BIND);
        this.num(d.bind);
        this.bytes(d.bindOut ? F_FLOW_OUT : F_FLOW_IN);
      }
      s.sinkData = null;
      if (this.beginPool.length < 1024) this.beginPool.push(d);
    }
    // Where a slice ends is not written (in the protobuf it is): the stack of the next state's beginning says it, mostly.
    void sgen;
    void sid;
    this.byte(125); // }
    // Too short to begin later (0 or 1 ns), it goes after what encloses it
    // in the file instead, when both are in this buffer (the one just written
    // on the same track with the same begin and end: swapped).
    const t0 = s.sinkTs + shift;
    if (this.buf === buf && this.lastXBuf === buf && this.lastXTrack === track && this.lastXTs === t0 && this.lastXEnd === ts) {
      const a = buf.slice(this.lastXPos, start - 2); // the earlier ones, without the separator
      const b = buf.slice(start, this.pos);
      buf.set(b, this.lastXPos);
      buf[this.lastXPos + b.length] = 44; // ,
      buf[this.lastXPos + b.length + 1] = 10; // \n
      buf.set(a, this.lastXPos + b.length + 2);
    } else {
      this.lastXBuf = this.buf === buf ? buf : null;
      this.lastXPos = start;
      this.lastXTrack = track;
      this.lastXTs = t0;
      this.lastXEnd = ts;
    }
  }

  // The last X event written (a run of them with the same track, begin and end: the outermost first).
  private lastXBuf: Uint8Array | null = null;
  private lastXPos = 0;
  private lastXTrack = 0;
  private lastXTs = 0;
  private lastXEnd = 0;

  instant(track: number, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    const nm = this.name(name);
    const a = TraceJsonSink.argsText(args);
    const sf = this.stack(sgen, sid);
    this.next();
    this.where(F_I, track);
    this.bytes(F_TS);
    this.us(ts);
    this.nameCat(nm, cat);
    this.argsOut(a);
    this.stackOut(F_SF, sf);
    this.byte(125);
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

  flowLink(src: OpenSlice | null, srcTrack: number, srcTs: number, dst: OpenSlice, dstTrack: number, dstTs: number, id: number, kind: string): void {
    // Bound to both slices (flow v2: a field on each, about a third of a pair
    // of flow events) when neither has one bound yet (a slice holds one), or
    // when the source bound it as it ended.
    const dd = this.beginData(dst);
    if (src !== null) {
      const sd = this.beginData(src);
      if (sd.bind === 0 && dd.bind === 0) {
        sd.bind = dd.bind = BIND_BASE + id;
        sd.bindOut = true;
        dd.bindOut = false;
        return;
      }
    } else if (this.boundOut.delete(id)) {
      if (dd.bind === 0) {
        dd.bind = BIND_BASE + id;
        dd.bindOut = false;
      }
      return;
    }
    // A v1 flow is matched by id, category and name: the kind names both ends (no category: smaller).
    const nm = this.name(kind);
    this.next();
    this.where(F_FS, srcTrack);
    this.bytes(F_TS);
    this.us(srcTs);
    this.bytes(F_ID);
    this.num(id);
    this.bytes(F_NAME);
    this.bytes(nm);
    this.bytes(F_END);
    this.next();
    this.where(F_FF, dstTrack);
    this.bytes(F_TS);
    this.us(dstTs);
    this.bytes(F_ID);
    this.num(id);
    this.bytes(F_NAME);
    this.bytes(nm);
    this.bytes(F_END);
  }

  flush(): Promise<void> | void {
    return this.flushChunk();
  }

  async finish(): Promise<void> {
    if (this.cgPending !== null) this.emitCounterGroup();
    this.raw("\n]");
    if (this.frameNames.length > 0) {
      this.raw(',\n"stackFrames":{');
      for (let i = 0; i < this.frameNames.length; i++) {
        this.raw(i === 0 ? '"' : ',\n"');
        this.num(i + 1);
        this.raw('":{"name":');
        this.str(this.frameNames[i]!);
        const parent = this.frameParents[i]!;
        if (parent !== 0) {
          this.raw(',"parent":"');
          this.num(parent);
          this.byte(34);
        }
        this.byte(125);
        if ((i & 1023) === 1023) await this.flushChunk();
      }
      this.byte(125);
    }
    this.raw("}\n");
    await this.flushAll();
  }
}
