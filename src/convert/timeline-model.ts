// The timeline model shared by the Perfetto sinks: tracks grouped into
// "processes", slices (begin/end, properly nested per track), instants,
// counters and flows. The converter (timeline.ts) calls a TimelineSink; the
// sinks (src/sinks/trace-json.ts, src/sinks/perfetto-proto.ts) encode.
// Pure TypeScript, no Node APIs.

import type { Generation } from "../decode/generation.js";

/** Track groups, shown as processes, in display order. */
export const enum Group {
  Runtime = 1,
  Procs = 2,
  Tasks = 3,
  Goroutines = 4,
  Threads = 5,
}

export const GROUP_NAMES: readonly string[] = ["", "Runtime", "Procs", "Tasks", "Goroutines", "Threads"];

export interface TrackDesc {
  /** Unique, > 0, < 2^53. */
  uuid: number;
  group: Group;
  /** Thread id in the JSON output (unique within the group). */
  tid: number;
  name: string;
  /** Order within the group (smaller first). */
  sort: number;
  /** A counter track (values only). */
  counter: boolean;
  /** Unit of a counter: "bytes" or "count". */
  unit: string;
  /** JSON counters are grouped: one "C" event named `counterGroup` with a `counterKey` arg per member. */
  counterGroup: string;
  counterKey: string;
  /** Parent track (protobuf: nested under it); 0 = the group. */
  parent: number;
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
}

/** A stack reference: a stack ID of one generation (0 / null gen = none). */
export interface StackRef {
  gen: Generation | null;
  id: number;
}

/**
 * An open slice as the converter keeps it. A sink may keep what it needs for
 * the slice's end in `sinkTs` and `sinkData` at begin(); end() hands the same
 * object back (so a sink needs no state of its own per open slice).
 */
export interface OpenSlice {
  readonly name: string;
  readonly cat: string;
  sinkTs: number;
  sinkData: unknown;
}

export interface TimelineSink {
  /** Called once before anything else. */
  start(): void | Promise<void>;
  /** Declares a track (before its first event; may be called again for the same uuid). */
  track(t: TrackDesc): void;
  /** A declared track got a better name (a goroutine's start function, learnt late). */
  rename?(t: TrackDesc): void;
  /** A new generation starts: interned state may be reset. */
  generation(): void;
  begin(track: number, ts: number, s: OpenSlice, args: Args | null, sgen: Generation | null, sid: number, flowIn: number): void;
  /** Ends the innermost open slice `s` of the track; the stack is where it ends. */
  end(track: number, ts: number, s: OpenSlice, sgen: Generation | null, sid: number): void;
  /** A slice whose begin lies in the past (ts..ts+dur). */
  complete(track: number, ts: number, dur: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void;
  instant(track: number, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void;
  counter(track: number, ts: number, value: number): void;
  /**
   * One end of a flow at ts on track, bound to the enclosing slice: the source
   * (terminating = false) or the destination. A begin's flowIn also ends a flow.
   */
  flow(track: number, ts: number, id: number, name: string, terminating: boolean): void;
  /** Writes buffered output; awaited between chunks of events. */
  flush(): Promise<void> | void;
  finish(): Promise<void>;
}
