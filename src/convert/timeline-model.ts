// The timeline model shared by the Perfetto sinks: a tree of tracks (top-level
// groups shown as processes, group tracks, lanes and their children), slices
// (begin/end, properly nested per track), instants, counters and flows. The
// converter (timeline.ts) calls a TimelineSink; the sinks
// (src/sinks/trace-json.ts, src/sinks/perfetto-proto.ts) encode.
// Pure TypeScript, no Node APIs.

import type { Generation } from "../decode/generation.js";

/** Top-level groups, shown as processes, in display order. */
export const enum Group {
  Runtime = 1,
  Procs = 2,
  Tasks = 3,
  Goroutines = 4,
  System = 5,
  Threads = 6,
}

export const GROUP_NAMES: readonly string[] = ["", "Runtime", "Procs", "Tasks", "Goroutines", "System goroutines", "Threads"];

export interface TrackDesc {
  /** Unique, > 0, < 2^53; the group's own uuid is the group number (1..6), tracks start above 8. */
  uuid: number;
  group: Group;
  /** Parent track (a container); 0 = the top-level group itself. */
  parent: number;
  name: string;
  /** Order among its siblings (smaller first). */
  sort: number;
  /** A container of other tracks (a goroutine or task group): a process in the JSON, a parent track in the protobuf. */
  container: boolean;
  /** The JSON process holding this track: the group number, or the uuid of the container above it. */
  pid: number;
  /** A counter track (values only). */
  counter: boolean;
  /** Unit of a counter: "bytes" or "count". */
  unit: string;
  /** JSON counters are grouped: one "C" event named `counterGroup` with a `counterKey` arg per member. */
  counterGroup: string;
  counterKey: string;
}

/** A small, reusable list of key/value arguments. */
export class Args {
  n = 0;
  readonly keys: string[] = [];
  readonly vals: (string | number)[] = [];
  clear(): this {
    this.n = 0;
    return this;
  }
  add(k: string, v: string | number): this {
    this.keys[this.n] = k;
    this.vals[this.n] = v;
    this.n++;
    return this;
  }
  copyFrom(a: Args | null): this {
    this.n = 0;
    if (a !== null) for (let i = 0; i < a.n; i++) this.add(a.keys[i]!, a.vals[i]!);
    return this;
  }
}

/**
 * Flow ids a slice's begin or end carries (protobuf: flow_ids and
 * terminating_flow_ids). The converter decides: the side of an arrow written
 * first opens it, the side written second terminates it (the trace processor
 * orders the two by their slices' start times, so the arrow points the right
 * way whichever is read first).
 */
export class FlowIds {
  n = 0;
  readonly ids: number[] = [];
  readonly term: boolean[] = [];
  /** An arrow the JSON may bind to this slice itself (a run's arrows to the runs it made runnable). */
  readonly bindable: boolean[] = [];
  clear(): void {
    this.n = 0;
  }
  add(id: number, terminating: boolean, bindable = false): void {
    this.ids[this.n] = id;
    this.term[this.n] = terminating;
    this.bindable[this.n] = bindable;
    this.n++;
  }
}

/**
 * A name used again and again: a goroutine's label, "G12 main.worker", which
 * names each of its runs (kept as the goroutine id and the function name's
 * UTF-8 bytes, shared by the goroutines of a group, so that a million labels
 * are never made as strings), or a state's name ("syscall"). A sink may keep
 * its encoding of it here instead of looking it up.
 */
export class NameRef {
  /** The goroutine ("G<g> <fn>", or "G<g>" when fn is ""), or -1: the name is fn. */
  g = 0;
  fn = "";
  fnBytes: Uint8Array | null = null;
  /** The sink's id for it, valid while `epoch` is the sink's. */
  iid = 0;
  epoch = -1;
  /** A plain name. */
  static of(name: string): NameRef {
    const r = new NameRef();
    r.g = -1;
    r.fn = name;
    r.fnBytes = utf8.encode(name);
    return r;
  }
  text(): string {
    return this.g < 0 ? this.fn : this.fn === "" ? `G${this.g}` : `G${this.g} ${this.fn}`;
  }
}

const utf8 = new TextEncoder();

/**
 * An open slice as the converter keeps it. A sink may keep what it needs for
 * the slice's end in `sinkTs` and `sinkData` at begin(); end() hands the same
 * object back (so a sink needs no state of its own per open slice).
 */
export interface OpenSlice {
  /** The name, unless nameRef is set. */
  readonly name: string;
  /** A goroutine's label as the name. */
  readonly nameRef: NameRef | null;
  /** The category ("": none). */
  readonly cat: string;
  sinkTs: number;
  sinkData: unknown;
  /** Flow ids for the begin (an arrow into this slice) and the end (arrows out of it). */
  readonly flowsIn: FlowIds;
  readonly flowsOut: FlowIds;
}

export interface TimelineSink {
  /** Called once before anything else. */
  start(): void | Promise<void>;
  /** Declares a track (before its first event; its container first). */
  track(t: TrackDesc): void;
  /** A declared track got a better name (a group's final count). */
  rename(t: TrackDesc): void;
  /** A new generation starts: interned state may be reset. */
  generation(): void;
  /**
   * A point after which nothing is written with a time before the previous
   * window's: the protobuf tells the trace processor it may sort and import
   * what came before the previous window (bounded memory); `ts` is the
   * current time.
   */
  window(ts: number): void;
  begin(track: number, ts: number, s: OpenSlice, args: Args | null, sgen: Generation | null, sid: number): void;
  /** Ends the innermost open slice `s` of the track; the stack is where it ends. */
  end(track: number, ts: number, s: OpenSlice, sgen: Generation | null, sid: number): void;
  instant(track: number, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void;
  counter(track: number, ts: number, value: number): void;
  /**
   * An arrow from the slice open on `srcTrack` at `srcTs` (`src`, or null
   * when it has ended since) to the slice `dst` open on `dstTrack` at `dstTs`
   * (called when it begins, or for a task, when the task ends). The JSON
   * writes it; the protobuf carries flows in FlowIds.
   */
  flowLink(src: OpenSlice | null, srcTrack: number, srcTs: number, dst: OpenSlice, dstTrack: number, dstTs: number, id: number, kind: string): void;
  /** Bytes produced so far (written or buffered). */
  size(): number;
  /** Writes buffered output; awaited between chunks of events. */
  flush(): Promise<void> | void;
  finish(): Promise<void>;
}
