// Timeline -> Chrome trace-event JSON ({"traceEvents":[...]}), as read by
// ui.perfetto.dev and Catapult's trace viewer. Written piece by piece into a
// writer with backpressure; nothing holds the whole document.

import type { Generation } from "../decode/generation.js";
import { GROUP_NAMES, type Args, type TimelineSink, type TrackDesc } from "../convert/timeline-model.js";

/** Where text goes: Output.write's contract (a promise when the caller should wait). */
export interface TextWriter {
  write(s: string): Promise<void> | void;
}


/** ns -> µs with exact decimals. */
function us(ns: number): string {
  return String(ns / 1000);
}

interface OpenSlice {
  ts: number;
  head: string;
  args: string;
}

export class TraceJsonSink implements TimelineSink {
  private first = true;
  private pending: Promise<void> | void = undefined;
  private readonly groupsSeen = new Set<number>();
  private stackGen: Generation | null = null;
  private readonly stackCache = new Map<number, string>();
  // Grouped counters: values of each group's members, emitted once per (group, ts).
  private readonly cgVals = new Map<string, Map<string, number>>();
  private cgPending: string | null = null;
  private cgTs = 0;
  private cgPid = 0;

  constructor(private readonly out: TextWriter) {}

  private put(s: string): void {
    if (this.first) {
      this.first = false;
      const p = this.out.write(s);
      if (p !== undefined) this.pending = p;
      return;
    }
    const p = this.out.write(",\n" + s);
    if (p !== undefined) this.pending = p;
  }

  private ev(s: string): void {
    if (this.cgPending !== null) this.emitCounterGroup();
    this.put(s);
  }

  start(): void {
    const p = this.out.write('{"displayTimeUnit":"ns","traceEvents":[\n');
    if (p !== undefined) this.pending = p;
  }

  track(t: TrackDesc): void {
    const pid = t.group;
    if (!this.groupsSeen.has(pid)) {
      this.groupsSeen.add(pid);
      this.ev(`{"ph":"M","name":"process_name","pid":${pid},"tid":0,"ts":0,"args":{"name":${JSON.stringify(GROUP_NAMES[pid] ?? "")}}}`);
      this.ev(`{"ph":"M","name":"process_sort_index","pid":${pid},"tid":0,"ts":0,"args":{"sort_index":${pid}}}`);
    }
    if (t.counter) {
      this.counterDescs.set(t.uuid, t);
      return;
    }
    this.ev(`{"ph":"M","name":"thread_name","pid":${pid},"tid":${t.tid},"ts":0,"args":{"name":${JSON.stringify(t.name)}}}`);
    this.ev(`{"ph":"M","name":"thread_sort_index","pid":${pid},"tid":${t.tid},"ts":0,"args":{"sort_index":${t.sort}}}`);
  }


  rename(t: TrackDesc): void {
    this.ev(`{"ph":"M","name":"thread_name","pid":${t.group},"tid":${t.tid},"ts":0,"args":{"name":${JSON.stringify(t.name)}}}`);
  }

  generation(): void {}

  private stack(gen: Generation | null, sid: number): string {
    if (gen === null || sid <= 0) return "";
    if (gen !== this.stackGen) {
      this.stackGen = gen;
      this.stackCache.clear();
    }
    let s = this.stackCache.get(sid);
    if (s === undefined) {
      const frames = gen.stackFrames(sid);
      const lines: string[] = [];
      for (const f of frames) lines.push(`${f.func} ${f.file}:${f.line}`);
      s = JSON.stringify(lines.join("\n"));
      this.stackCache.set(sid, s);
    }
    return s;
  }

  private argsJson(args: Args | null, stackKey: string, stack: string): string {
    const b = this.argsBody(args, stackKey, stack);
    return b === "" ? "" : `,"args":{${b}}`;
  }

  /** The inside of an args object ("" when empty). */
  private argsBody(args: Args | null, stackKey: string, stack: string): string {
    const n = args === null ? 0 : args.n;
    if (n === 0 && stack === "") return "";
    let s = "";
    let sep = "";
    for (let i = 0; i < n; i++) {
      const v = args!.vals[i]!;
      s += `${sep}${JSON.stringify(args!.keys[i]!)}:${typeof v === "number" ? String(v) : JSON.stringify(v)}`;
      sep = ",";
    }
    if (stack !== "") s += `${sep}"${stackKey}":${stack}`;
    return s;
  }

  /** pid and tid of a track uuid (see uuidOf). */
  private static where(track: number): string {
    const pid = track % 8;
    return `"pid":${pid},"tid":${(track - pid) / 8 - 1}`;
  }

  // Slices are written as complete ("X") events when they end: half the
  // records of B/E pairs, and nesting needs no particular order in the file.
  // An open slice keeps only its text (never the generation its stack came from).
  private readonly open = new Map<number, OpenSlice[]>();

  begin(track: number, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number, flowIn: number): void {
    const w = TraceJsonSink.where(track);
    let st = this.open.get(track);
    if (st === undefined) {
      st = [];
      this.open.set(track, st);
    }
    st.push({ ts, head: `{"ph":"X",${w},"ts":${us(ts)},"name":${JSON.stringify(name)},"cat":"${cat}"`, args: this.argsBody(args, "stack", this.stack(sgen, sid)) });
    if (flowIn !== 0) this.ev(`{"ph":"f","bp":"e",${w},"ts":${us(ts)},"id":${flowIn},"name":"flow","cat":"flow"}`);
  }

  end(track: number, ts: number, sgen: Generation | null, sid: number): void {
    const st = this.open.get(track);
    const o = st?.pop();
    if (o === undefined) return;
    if (st!.length === 0) this.open.delete(track);
    // The stack where a slice ends is the stack of the next state's beginning
    // (where the goroutine blocked, say), which carries it: not repeated here.
    void sgen;
    void sid;
    const args = o.args;
    this.ev(`${o.head},"dur":${us(ts - o.ts)}${args === "" ? "" : `,"args":{${args}}`}}`);
  }

  complete(track: number, ts: number, dur: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    this.ev(
      `{"ph":"X",${TraceJsonSink.where(track)},"ts":${us(ts)},"dur":${us(dur)},"name":${JSON.stringify(name)},"cat":"${cat}"${this.argsJson(args, "end stack", this.stack(sgen, sid))}}`,
    );
  }

  instant(track: number, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    this.ev(`{"ph":"i","s":"t",${TraceJsonSink.where(track)},"ts":${us(ts)},"name":${JSON.stringify(name)},"cat":"${cat}"${this.argsJson(args, "stack", this.stack(sgen, sid))}}`);
  }

  private readonly counterDescs = new Map<number, TrackDesc>();

  counter(track: number, ts: number, value: number): void {
    const d = this.counterDescs.get(track);
    if (d === undefined) return;
    if (this.cgPending !== null && (this.cgPending !== d.counterGroup || this.cgTs !== ts)) this.emitCounterGroup();
    let vals = this.cgVals.get(d.counterGroup);
    if (vals === undefined) {
      vals = new Map();
      this.cgVals.set(d.counterGroup, vals);
    }
    vals.set(d.counterKey, value);
    this.cgPending = d.counterGroup;
    this.cgTs = ts;
    this.cgPid = d.group;
  }

  private emitCounterGroup(): void {
    const g = this.cgPending!;
    this.cgPending = null;
    const vals = this.cgVals.get(g)!;
    let a = "";
    for (const [k, v] of vals) a += `${a === "" ? "" : ","}${JSON.stringify(k)}:${v}`;
    this.put(`{"ph":"C","pid":${this.cgPid},"tid":0,"ts":${us(this.cgTs)},"name":${JSON.stringify(g)},"args":{${a}}}`);
  }

  flow(track: number, ts: number, id: number, name: string, terminating: boolean): void {
    const w = TraceJsonSink.where(track);
    if (terminating) this.ev(`{"ph":"f","bp":"e",${w},"ts":${us(ts)},"id":${id},"name":"flow","cat":"flow"}`);
    else this.ev(`{"ph":"s",${w},"ts":${us(ts)},"id":${id},"name":"flow","cat":"flow","args":{"kind":"${name}"}}`);
  }

  flush(): Promise<void> | void {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }

  async finish(): Promise<void> {
    if (this.cgPending !== null) this.emitCounterGroup();
    const p = this.out.write("\n]}\n");
    if (p !== undefined) await p;
    const q = this.pending;
    this.pending = undefined;
    if (q !== undefined) await q;
  }
}
