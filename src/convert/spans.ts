// Tasks, regions and logs of a Go execution trace as OpenTelemetry-style spans,
// computed while streaming: a span is handed out as soon as it ends.
//
// Mapping:
// - a task is a span; a subtask's span is a child of its parent task's span;
// - a region is a child of the innermost enclosing region of the same task on
//   the same goroutine (any enclosing region for a region without a task),
//   else of its task's span; a region outside any task is a root span;
// - a log is an event (category as name) on the innermost span active on its
//   goroutine (see logTarget); a log that has no such span becomes a
//   zero-length span of its own (attribute go.trace.orphan_log);
// - a task with a log of category "traceparent" (W3C format) joins that trace,
//   as a child of that span;
// - every span carries how its goroutine(s) spent the span's time (running,
//   runnable, blocked on sync, network, syscall, GC, other);
// - span and trace IDs are hashes of the trace's identity (its first events)
//   and the task ID or the region's ordinal: the same trace gives the same IDs.
//   The hash is SHA-256 from @noble/hashes (pure JavaScript, not node:crypto),
//   so the IDs are computed by the same code in the command and in the
//   browser app's Web Worker.

import { sha256 } from "@noble/hashes/sha2";
import type { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import type { TraceReader } from "../decode/reader.js";
import { isStdFunc } from "../decode/redact.js";
import { Ev, GoState, Kind, NO_TASK, TYPE_KIND } from "../decode/spec.js";
import { GT_FROM, GT_G, GT_RES, GT_TO } from "./regions.js";

export type AttrValue = string | number | boolean;

export interface SpanAttr {
  key: string;
  /** Numbers are integers (OTLP intValue). */
  value: AttrValue;
}

export interface SpanEventRec {
  /** Wall clock, ns since the Unix epoch. */
  time: bigint;
  name: string;
  attrs: SpanAttr[];
}

/** A finished span, ready for an OTLP encoder. */
export interface SpanRec {
  /** 32 hex digits. */
  traceId: string;
  /** 16 hex digits. */
  spanId: string;
  /** 16 hex digits, "" for a root span. */
  parentSpanId: string;
  /** The parent is in another process (joined through a traceparent log). */
  parentRemote: boolean;
  name: string;
  /** Wall clock, ns since the Unix epoch. */
  start: bigint;
  end: bigint;
  /** Trace clock (Event.time) of start and end. */
  startTrace: number;
  endTrace: number;
  attrs: SpanAttr[];
  events: SpanEventRec[];
  droppedEvents: number;
}

/** Where the wall-clock times come from. */
export type ClockSource = "clock-snapshot" | "start-time" | "mtime" | "now";

export interface SpanOptions {
  /** --start-time: wall time of the first event when the trace has no clock snapshot. */
  startTime?: Date | null;
  /** The input file's modification time (fallback after startTime). */
  mtime?: Date | null;
  /** Warnings for the user (clock source, ignored traceparent logs, ...). */
  warn?: (msg: string) => void;
  /** Events kept per span before the rest are counted as dropped. */
  maxEventsPerSpan?: number;
  /** Number of events hashed into the trace's identity. */
  identityEvents?: number;
}

// Time categories of the runtime's view of a span.
const C_RUNNING = 0;
const C_RUNNABLE = 1;
const C_SYNC = 2;
const C_NETWORK = 3;
const C_SYSCALL = 4;
const C_GC = 5;
const C_OTHER = 6;
const NCAT = 7;

/** Attribute names of the time categories, in category order. */
export const TIME_ATTRS: readonly string[] = [
  "go.time.running_ns",
  "go.time.runnable_ns",
  "go.time.blocked_sync_ns",
  "go.time.blocked_network_ns",
  "go.time.syscall_ns",
  "go.time.gc_ns",
  "go.time.blocked_other_ns",
];

/** The category of a goroutine blocked for `reason`. */
export function blockCategory(reason: string): number {
  switch (reason) {
    case "network":
      return C_NETWORK;
    case "sync":
    case "sync.(*Cond).Wait":
    case "chan send":
    case "chan receive":
    case "select":
    case "synctest":
      return C_SYNC;
    default:
      if (reason.startsWith("GC ") || reason.includes("GC cycle") || reason.includes("GC ends")) return C_GC;
      return C_OTHER;
  }
}

class GState {
  /** Current category, -1 when not counted (not existing, undetermined). */
  cat = -1;
  since = 0;
  readonly acc = new Float64Array(NCAT);
  /** Start of the current GC mark assist, or NaN. */
  assistSince = NaN;
  readonly regions: OpenRegion[] = [];
  /** Open regions plus open task entries referring to this goroutine. */
  refs = 0;
  dead = false;
  constructor(readonly id: number) {}

  snapshot(t: number): Float64Array {
    const s = new Float64Array(this.acc);
    if (this.cat >= 0) s[this.cat]! += t - this.since;
    if (this.assistSince === this.assistSince) s[C_GC]! += t - this.assistSince;
    return s;
  }
}

interface Frame {
  func: string;
  file: string;
  line: number;
}

/** The trace a span belongs to: derived from `seed`, or given (joined). */
interface TraceRef {
  seed: string;
  hex: string | null;
}

interface SpanCommon {
  /** Seed of the span ID ("t<task>", "r<ordinal>", "l<ordinal>"). */
  seed: string;
  trace: TraceRef;
  /** Seed of the parent span ("" = none), or its hex ID when remote. */
  parentSeed: string;
  parentHex: string;
  name: string;
  start: number;
  startWall: bigint;
  g: number;
  m: number;
  frame: Frame | null;
  events: SpanEventRec[];
  dropped: number;
  beganBefore: boolean;
}

interface OpenRegion extends SpanCommon {
  task: number;
  snap: Float64Array;
}

interface OpenEntry {
  n: number;
  snap: Float64Array;
}

interface LiveTask extends SpanCommon {
  id: number;
  parent: number;
  /** A child span (region or subtask) exists: the trace can no longer change. */
  sealed: boolean;
  /** Goroutine that holds the task's begin count (-1 none). */
  holder: number;
  open: Map<number, OpenEntry>;
  acc: Float64Array;
  hasStats: boolean;
}

interface EndedTask {
  trace: TraceRef;
  parent: number;
}

/** A span whose IDs are computed once the trace's identity is known. */
interface ProtoSpan {
  seed: string;
  trace: TraceRef;
  parentSeed: string;
  parentHex: string;
  name: string;
  start: bigint;
  end: bigint;
  startTrace: number;
  endTrace: number;
  attrs: SpanAttr[];
  events: SpanEventRec[];
  dropped: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a W3C traceparent header value; null when invalid. */
export function parseTraceparent(s: string): { traceId: string; spanId: string; flags: number } | null {
  const m = TRACEPARENT.exec(s.trim().toLowerCase());
  if (m === null) return null;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === "ff") return null;
  if (version === "00" && rest !== undefined) return null;
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return null;
  return { traceId: traceId!, spanId: spanId!, flags: parseInt(flags!, 16) };
}

const HEX8: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function isRealTask(id: number): boolean {
  return id !== 0 && id !== NO_TASK;
}

/** Converts trace events to spans; feed it every event, then call finish(). */
export class SpanBuilder {
  private readonly gs = new Map<number, GState>();
  private readonly live = new Map<number, LiveTask>();
  private readonly ended = new Map<number, EndedTask>();
  /** Tasks referenced (by regions, logs, children) but neither begun nor ended so far. */
  private readonly unseen = new Map<number, TraceRef>();
  private regionOrdinal = 0;
  private logOrdinal = 0;
  private readonly maxEvents: number;
  private readonly identityEvents: number;
  private readonly warn: (msg: string) => void;

  // Identity of the trace: a hash of its first events.
  private readonly idHash = sha256.create();
  private readonly idBuf = new Float64Array(9);
  private hashed = 0;
  private key: Uint8Array | null = null;
  private keyWords: Uint32Array | null = null;
  private readonly held: ProtoSpan[] = [];
  private readonly out: SpanRec[] = [];

  // Wall clock: wall(t) = wallBase + t.
  private wallBase = 0n;
  clockSource: ClockSource | null = null;
  private readonly opts: SpanOptions;
  private firstTime = NaN;
  private lastTime = 0;

  // Caches per generation.
  private gen: Generation | null = null;
  private readonly frameCache = new Map<number, Frame | null>();
  private readonly reasonCache = new Map<number, number>();

  /** Counts, for tests and reports. */
  readonly counts = { tasks: 0, regions: 0, logs: 0, orphanLogs: 0, unfinished: 0, droppedEvents: 0, traceparents: 0 };
  /** Name of the traced program (directory of main.main's file), once a stack shows it. */
  programName: string | null = null;
  /** Trace format version, e.g. 26 ("go 1.26 trace"); 0 until known. */
  version = 0;

  constructor(opts: SpanOptions = {}) {
    this.opts = opts;
    this.maxEvents = opts.maxEventsPerSpan ?? 1000;
    this.identityEvents = opts.identityEvents ?? 4096;
    this.warn = opts.warn ?? (() => undefined);
  }

  /** Spans ready to hand out (in the order they ended); take them with takeSpans(). */
  get pending(): number {
    return this.out.length;
  }

  takeSpans(): SpanRec[] {
    if (this.out.length === 0) return [];
    return this.out.splice(0, this.out.length);
  }

  event(ev: Event, reader: TraceReader): void {
    const t = ev.time;
    if (this.key === null) this.hashEvent(ev, reader);
    if (ev.gen !== this.gen) {
      this.gen = ev.gen;
      this.frameCache.clear();
      this.reasonCache.clear();
    }
    const ty = ev.type;
    if (ty === Ev.ReaderSync) {
      this.sync(ev, reader);
      // The final Sync marks the end of the trace.
      if (this.firstTime === this.firstTime && t > this.lastTime) this.lastTime = t;
      return;
    }
    if (this.firstTime !== this.firstTime) {
      this.firstTime = t;
      if (this.clockSource !== "clock-snapshot") this.fallbackClock(t);
    }
    this.lastTime = t;
    switch (TYPE_KIND[ty]) {
      case Kind.StateTransition: {
        const res = GT_RES[ty]!;
        if (res !== 0) this.transition(ev, t, ty, res === GT_G ? ev.g : ev.a0);
        break;
      }
      case Kind.RangeBegin:
      case Kind.RangeActive:
        if (ev.type === Ev.GCMarkAssistBegin || ev.type === Ev.GCMarkAssistActive) {
          const g = this.gs.get(ev.rangeScopeID());
          if (g !== undefined && g.assistSince !== g.assistSince) g.assistSince = t;
        }
        break;
      case Kind.RangeEnd:
        if (ev.type === Ev.GCMarkAssistEnd) {
          const g = this.gs.get(ev.rangeScopeID());
          if (g !== undefined && g.assistSince === g.assistSince) {
            g.acc[C_GC]! += t - g.assistSince;
            g.assistSince = NaN;
          }
        }
        break;
      case Kind.TaskBegin:
        this.taskBegin(ev, t);
        break;
      case Kind.TaskEnd:
        this.taskEnd(ev, t);
        break;
      case Kind.RegionBegin:
        this.regionBegin(ev, t);
        break;
      case Kind.RegionEnd:
        this.regionEnd(ev, t);
        break;
      case Kind.Log:
        this.log(ev, t);
        break;
    }
  }

  /** Ends everything still open at the last event's time and releases every held span. */
  finish(): void {
    const t = this.lastTime;
    for (const g of this.gs.values()) {
      while (g.regions.length > 0) this.endRegion(g, g.regions.pop()!, t, true);
    }
    // Children before parents (tasks begin after their parents).
    const tasks = [...this.live.values()].reverse();
    for (const task of tasks) this.endTask(task, t, -1, true);
    for (const [id, trace] of this.unseen) {
      // A task known only from references: it began before the trace and did not end in it.
      this.counts.tasks++;
      this.counts.unfinished++;
      const start = this.firstTime === this.firstTime ? this.firstTime : t;
      this.emit({
        seed: "t" + id,
        trace,
        parentSeed: "",
        parentHex: "",
        name: `task ${id}`,
        start: this.wall(start),
        end: this.wall(t),
        startTrace: start,
        endTrace: t,
        attrs: [
          { key: "go.trace.kind", value: "task" },
          { key: "go.task.id", value: id },
          { key: "go.trace.began_before_trace", value: true },
          { key: "go.trace.unfinished", value: true },
        ],
        events: [],
        dropped: 0,
      });
    }
    this.unseen.clear();
    this.releaseKey();
    if (this.counts.droppedEvents > 0) {
      this.warn(`${this.counts.droppedEvents} log events beyond ${this.maxEvents} per span were dropped (counted in each span's dropped events)`);
    }
  }

  // ---- identity ----

  private hashEvent(ev: Event, reader: TraceReader): void {
    const b = this.idBuf;
    if (this.hashed === 0) {
      this.idHash.update(new TextEncoder().encode(`trace-convert spans v1\0${reader.version}\0${reader.timeBase}\0`));
    }
    b[0] = ev.type;
    b[1] = ev.time;
    b[2] = ev.m;
    b[3] = ev.p;
    b[4] = ev.g;
    b[5] = ev.a0;
    b[6] = ev.a1;
    b[7] = ev.a2;
    b[8] = ev.a3;
    this.idHash.update(new Uint8Array(b.buffer));
    if (++this.hashed >= this.identityEvents) this.releaseKey();
  }

  private releaseKey(): void {
    if (this.key === null) {
      this.key = this.idHash.digest();
      this.keyWords = new Uint32Array(8);
      const dv = new DataView(this.key.buffer, this.key.byteOffset, this.key.byteLength);
      for (let i = 0; i < 8; i++) this.keyWords[i] = dv.getUint32(i * 4, true);
    }
    for (const p of this.held) this.out.push(this.finalize(p));
    this.held.length = 0;
  }

  /** A hex ID of `words` 32-bit words: a keyed hash of the seed string (fast, not cryptographic). */
  private id(seed: string, words: number): string {
    const k = this.keyWords!;
    let hex = "";
    let nonzero = false;
    for (let w = 0; w < words; w++) {
      let h = k[w]! ^ Math.imul(seed.length, 0x9e3779b1);
      for (let i = 0; i < seed.length; i++) {
        h = Math.imul(h ^ seed.charCodeAt(i), 0xcc9e2d51);
        h = (h << 15) | (h >>> 17);
        h = Math.imul(h, 0x1b873593) ^ k[w + 4]!;
      }
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      h >>>= 0;
      if (h !== 0) nonzero = true;
      hex += HEX8[h >>> 24]! + HEX8[(h >>> 16) & 255]! + HEX8[(h >>> 8) & 255]! + HEX8[h & 255]!;
    }
    return nonzero ? hex : hex.slice(0, -1) + "1";
  }

  private finalize(p: ProtoSpan): SpanRec {
    return {
      traceId: p.trace.hex ?? this.id("#" + p.trace.seed, 4),
      spanId: this.id(p.seed, 2),
      parentSpanId: p.parentHex !== "" ? p.parentHex : p.parentSeed !== "" ? this.id(p.parentSeed, 2) : "",
      parentRemote: p.parentHex !== "",
      name: p.name,
      start: p.start,
      end: p.end,
      startTrace: p.startTrace,
      endTrace: p.endTrace,
      attrs: p.attrs,
      events: p.events,
      droppedEvents: p.dropped,
    };
  }

  private emit(p: ProtoSpan): void {
    if (this.key === null) this.held.push(p);
    else this.out.push(this.finalize(p));
  }

  // ---- clock ----

  private sync(ev: Event, reader: TraceReader): void {
    if (this.version === 0) this.version = reader.version;
    const cs = ev.clockSnapshot();
    if (cs !== null) {
      this.wallBase = BigInt(cs.sec) * 1_000_000_000n + BigInt(cs.nsec) - BigInt(cs.trace);
      if (this.clockSource !== "clock-snapshot") {
        if (this.clockSource === null && this.opts.startTime) {
          this.warn("the trace has a clock snapshot: wall-clock times come from it and --start-time is ignored");
        }
        this.clockSource = "clock-snapshot";
      }
    }
  }

  private fallbackClock(t: number): void {
    let ms: number;
    if (this.opts.startTime) {
      this.clockSource = "start-time";
      ms = this.opts.startTime.getTime();
      this.warn(`the trace has no clock snapshot (Go < 1.25): wall-clock times start at --start-time ${this.opts.startTime.toISOString()}`);
    } else if (this.opts.mtime) {
      this.clockSource = "mtime";
      ms = this.opts.mtime.getTime();
      this.warn(
        `the trace has no clock snapshot (Go < 1.25): wall-clock times start at the file's modification time ${this.opts.mtime.toISOString()}; set them with --start-time`,
      );
    } else {
      this.clockSource = "now";
      ms = Date.now();
      this.warn(`the trace has no clock snapshot (Go < 1.25): wall-clock times start now (${new Date(ms).toISOString()}); set them with --start-time`);
    }
    this.wallBase = BigInt(Math.round(ms)) * 1_000_000n - BigInt(t);
  }

  private wall(t: number): bigint {
    return this.wallBase + BigInt(t);
  }

  // ---- goroutines ----

  private g(id: number): GState {
    let g = this.gs.get(id);
    if (g === undefined) {
      g = new GState(id);
      this.gs.set(id, g);
    }
    return g;
  }

  private release(g: GState): void {
    if (--g.refs <= 0 && g.dead && g.regions.length === 0) this.gs.delete(g.id);
  }

  private transition(ev: Event, t: number, ty: number, id: number): void {
    let to = GT_TO[ty]!;
    if (to < 0) to = ev.transitionTo();
    let from = GT_FROM[ty]!;
    if (from < 0) from = ev.transitionFrom();
    // A status report of an unchanged state (each new generation) changes nothing.
    if (to === from) return;
    const g = this.g(id);
    if (g.cat >= 0) g.acc[g.cat]! += t - g.since;
    g.since = t;
    switch (to) {
      case GoState.Running:
        g.cat = C_RUNNING;
        break;
      case GoState.Runnable:
        g.cat = C_RUNNABLE;
        break;
      case GoState.Syscall:
        g.cat = C_SYSCALL;
        break;
      case GoState.Waiting:
        g.cat = this.reasonCategory(ev);
        break;
      default:
        g.cat = -1;
    }
    if (to === GoState.NotExist) {
      if (g.assistSince === g.assistSince) {
        g.acc[C_GC]! += t - g.assistSince;
        g.assistSince = NaN;
      }
      // Regions left open by a goroutine that exits end with it.
      while (g.regions.length > 0) this.endRegion(g, g.regions.pop()!, t, true);
      g.dead = true;
      if (g.refs <= 0) this.gs.delete(id);
    }
  }

  private reasonCategory(ev: Event): number {
    if (ev.type !== Ev.GoBlock) return C_OTHER;
    let c = this.reasonCache.get(ev.a0);
    if (c === undefined) {
      c = blockCategory(ev.transitionReason());
      this.reasonCache.set(ev.a0, c);
    }
    return c;
  }

  // ---- frames ----

  private frame(ev: Event): Frame | null {
    const sid = ev.stackID();
    if (sid <= 0 || ev.gen === null) return null;
    let f = this.frameCache.get(sid);
    if (f !== undefined) return f;
    f = null;
    const frames = ev.gen.stackFrames(sid);
    if (this.programName === null && frames.length > 0 && frames[frames.length - 1]!.func === "main.main") {
      // The program's directory: .../myapp/main.go -> myapp.
      const parts = frames[frames.length - 1]!.file.split("/");
      const dir = parts.length >= 2 ? parts[parts.length - 2]! : "";
      if (dir !== "" && dir !== ".") this.programName = dir;
    }
    let fallback: Frame | null = null;
    for (const fr of frames) {
      if (fr.func.startsWith("runtime/trace.") || fr.func.startsWith("runtime.")) continue;
      const cand = { func: fr.func, file: fr.file, line: fr.line };
      if (fallback === null) fallback = cand;
      if (!isStdFunc(fr.func)) {
        f = cand;
        break;
      }
    }
    if (f === null) f = fallback;
    this.frameCache.set(sid, f);
    return f;
  }

  // ---- tasks ----

  /** The trace of task `id` (live, ended or not seen yet). */
  private taskTrace(id: number): TraceRef {
    const lt = this.live.get(id);
    if (lt !== undefined) {
      lt.sealed = true;
      return lt.trace;
    }
    const et = this.ended.get(id);
    if (et !== undefined) return et.trace;
    let r = this.unseen.get(id);
    if (r === undefined) {
      r = { seed: "t" + id, hex: null };
      this.unseen.set(id, r);
    }
    return r;
  }

  private parentOf(id: number): number {
    const lt = this.live.get(id);
    if (lt !== undefined) return lt.parent;
    const et = this.ended.get(id);
    return et !== undefined ? et.parent : 0;
  }

  /** Goroutine g starts working for task `id` (and its ancestors). */
  private enter(id: number, gs: GState, t: number): void {
    let snap: Float64Array | null = null;
    for (let depth = 0; isRealTask(id) && depth < 64; depth++) {
      const lt = this.live.get(id);
      if (lt !== undefined) {
        const e = lt.open.get(gs.id);
        if (e === undefined) {
          if (snap === null) snap = gs.snapshot(t);
          lt.open.set(gs.id, { n: 1, snap });
          gs.refs++;
        } else {
          e.n++;
        }
      }
      id = this.parentOf(id);
    }
  }

  private leave(id: number, gs: GState, t: number): void {
    let snap: Float64Array | null = null;
    for (let depth = 0; isRealTask(id) && depth < 64; depth++) {
      const lt = this.live.get(id);
      if (lt !== undefined) {
        const e = lt.open.get(gs.id);
        if (e !== undefined && --e.n === 0) {
          if (snap === null) snap = gs.snapshot(t);
          for (let i = 0; i < NCAT; i++) lt.acc[i]! += snap[i]! - e.snap[i]!;
          lt.open.delete(gs.id);
          this.release(gs);
        }
      }
      id = this.parentOf(id);
    }
  }

  private taskBegin(ev: Event, t: number): void {
    const id = ev.taskID();
    if (this.live.has(id)) return;
    const parent = ev.taskParent();
    let trace: TraceRef;
    let parentSeed = "";
    const pre = this.unseen.get(id);
    if (pre !== undefined) {
      this.unseen.delete(id);
      trace = pre;
    } else if (isRealTask(parent)) {
      trace = this.taskTrace(parent);
      parentSeed = "t" + parent;
    } else {
      trace = { seed: "t" + id, hex: null };
    }
    // Known before its begin (only through references): keep the trace already used, under the parent only if it is the same trace.
    if (pre !== undefined && isRealTask(parent) && this.taskTrace(parent) === pre) parentSeed = "t" + parent;
    const task: LiveTask = {
      id,
      parent: isRealTask(parent) ? parent : 0,
      seed: "t" + id,
      trace,
      parentSeed,
      parentHex: "",
      name: ev.taskType(),
      start: t,
      startWall: this.wall(t),
      g: ev.g,
      m: ev.m,
      frame: this.frame(ev),
      events: [],
      dropped: 0,
      beganBefore: false,
      sealed: pre !== undefined,
      holder: -1,
      open: new Map(),
      acc: new Float64Array(NCAT),
      hasStats: true,
    };
    this.live.set(id, task);
    if (ev.g >= 0) {
      task.holder = ev.g;
      this.enter(id, this.g(ev.g), t);
    }
  }

  private taskEnd(ev: Event, t: number): void {
    const id = ev.taskID();
    const task = this.live.get(id);
    if (task !== undefined) {
      this.endTask(task, t, ev.g, false);
      return;
    }
    if (this.ended.has(id)) return;
    // Began before the trace started.
    const parent = ev.taskParent();
    let trace = this.unseen.get(id);
    let parentSeed = "";
    if (trace !== undefined) this.unseen.delete(id);
    else if (isRealTask(parent)) {
      trace = this.taskTrace(parent);
      parentSeed = "t" + parent;
    } else trace = { seed: "t" + id, hex: null };
    const start = this.firstTime === this.firstTime ? this.firstTime : t;
    const pseudo: LiveTask = {
      id,
      parent: isRealTask(parent) ? parent : 0,
      seed: "t" + id,
      trace,
      parentSeed,
      parentHex: "",
      name: ev.taskType(),
      start,
      startWall: this.wall(start),
      g: -1,
      m: -1,
      frame: null,
      events: [],
      dropped: 0,
      beganBefore: true,
      sealed: true,
      holder: -1,
      open: new Map(),
      acc: new Float64Array(NCAT),
      hasStats: false,
    };
    this.endTask(pseudo, t, ev.g, false);
  }

  private endTask(task: LiveTask, t: number, endG: number, unfinished: boolean): void {
    if (task.holder >= 0) {
      const hg = this.gs.get(task.holder);
      if (hg !== undefined) this.leave(task.id, hg, t);
    }
    for (const [gid, e] of task.open) {
      const gs = this.gs.get(gid);
      if (gs === undefined) continue;
      const snap = gs.snapshot(t);
      for (let i = 0; i < NCAT; i++) task.acc[i]! += snap[i]! - e.snap[i]!;
      this.release(gs);
    }
    task.open.clear();
    this.live.delete(task.id);
    this.ended.set(task.id, { trace: task.trace, parent: task.parent });
    this.counts.tasks++;
    if (unfinished) this.counts.unfinished++;
    const attrs: SpanAttr[] = [
      { key: "go.trace.kind", value: "task" },
      { key: "go.task.id", value: task.id },
    ];
    if (task.parent !== 0) attrs.push({ key: "go.task.parent_id", value: task.parent });
    this.commonAttrs(task, attrs);
    if (endG >= 0 && endG !== task.g) attrs.push({ key: "go.task.end_goroutine.id", value: endG });
    if (task.hasStats) this.statAttrs(task.acc, attrs);
    this.finishAttrs(task, unfinished, attrs);
    this.emit(this.proto(task, t, attrs));
  }

  // ---- regions ----

  private regionBegin(ev: Event, t: number): void {
    const gs = this.g(ev.g);
    const task = ev.regionTask();
    const ord = this.regionOrdinal++;
    let trace: TraceRef | null = null;
    let parentSeed = "";
    const stk = gs.regions;
    for (let i = stk.length - 1; i >= 0; i--) {
      const r = stk[i]!;
      if (!isRealTask(task) || r.task === task) {
        trace = r.trace;
        parentSeed = r.seed;
        break;
      }
    }
    if (trace === null) {
      if (isRealTask(task)) {
        trace = this.taskTrace(task);
        parentSeed = "t" + task;
      } else {
        trace = { seed: "r" + ord, hex: null };
      }
    }
    const r: OpenRegion = {
      seed: "r" + ord,
      trace,
      parentSeed,
      parentHex: "",
      name: ev.regionType(),
      start: t,
      startWall: this.wall(t),
      g: ev.g,
      m: ev.m,
      frame: this.frame(ev),
      events: [],
      dropped: 0,
      beganBefore: false,
      task,
      snap: gs.snapshot(t),
    };
    stk.push(r);
    gs.refs++;
    if (isRealTask(task)) this.enter(task, gs, t);
  }

  private regionEnd(ev: Event, t: number): void {
    const gs = this.g(ev.g);
    const r = gs.regions.pop();
    if (r !== undefined) {
      this.endRegion(gs, r, t, false);
      return;
    }
    // Began before the trace started.
    const task = ev.regionTask();
    const ord = this.regionOrdinal++;
    const start = this.firstTime === this.firstTime ? this.firstTime : t;
    const pre: OpenRegion = {
      seed: "r" + ord,
      trace: isRealTask(task) ? this.taskTrace(task) : { seed: "r" + ord, hex: null },
      parentSeed: isRealTask(task) ? "t" + task : "",
      parentHex: "",
      name: ev.regionType(),
      start,
      startWall: this.wall(start),
      g: ev.g,
      m: ev.m,
      frame: null,
      events: [],
      dropped: 0,
      beganBefore: true,
      task,
      snap: gs.snapshot(t),
    };
    gs.refs++;
    this.endRegion(gs, pre, t, false);
  }

  private endRegion(gs: GState, r: OpenRegion, t: number, unfinished: boolean): void {
    this.counts.regions++;
    if (unfinished) this.counts.unfinished++;
    const attrs: SpanAttr[] = [{ key: "go.trace.kind", value: "region" }];
    if (isRealTask(r.task)) attrs.push({ key: "go.task.id", value: r.task });
    this.commonAttrs(r, attrs);
    if (!r.beganBefore) {
      const snap = gs.snapshot(t);
      for (let i = 0; i < NCAT; i++) snap[i]! -= r.snap[i]!;
      this.statAttrs(snap, attrs);
      if (isRealTask(r.task)) this.leave(r.task, gs, t);
    }
    this.finishAttrs(r, unfinished, attrs);
    this.emit(this.proto(r, t, attrs));
    this.release(gs);
  }

  // ---- logs ----

  private log(ev: Event, t: number): void {
    this.counts.logs++;
    const task = ev.logTask();
    const category = ev.logCategory();
    const message = ev.logMessage();
    const gs = ev.g >= 0 ? this.gs.get(ev.g) : undefined;
    let target: SpanCommon | null = null;
    const stk = gs?.regions;
    if (stk !== undefined) {
      for (let i = stk.length - 1; i >= 0; i--) {
        if (!isRealTask(task) || stk[i]!.task === task) {
          target = stk[i]!;
          break;
        }
      }
    }
    const lt = isRealTask(task) ? this.live.get(task) : undefined;
    if (target === null && lt !== undefined) target = lt;
    if (target === null && stk !== undefined && stk.length > 0) target = stk[stk.length - 1]!;

    if (category === "traceparent") this.traceparent(message, task, lt);

    const wall = this.wall(t);
    const attrs: SpanAttr[] = [
      { key: "go.log.category", value: category },
      { key: "go.log.message", value: message },
    ];
    if (ev.g >= 0) attrs.push({ key: "go.goroutine.id", value: ev.g });
    if (isRealTask(task)) attrs.push({ key: "go.task.id", value: task });
    const event: SpanEventRec = { time: wall, name: category === "" ? "log" : category, attrs };
    if (target !== null) {
      if (target.events.length < this.maxEvents) target.events.push(event);
      else {
        target.dropped++;
        this.counts.droppedEvents++;
      }
      return;
    }
    // No span to carry it: a zero-length span of its own.
    this.counts.orphanLogs++;
    const ord = this.logOrdinal++;
    const seed = "l" + ord;
    const trace = isRealTask(task) ? this.taskTrace(task) : { seed, hex: null };
    const sattrs: SpanAttr[] = [
      { key: "go.trace.kind", value: "log" },
      { key: "go.trace.orphan_log", value: true },
    ];
    if (isRealTask(task)) sattrs.push({ key: "go.task.id", value: task });
    if (ev.g >= 0) sattrs.push({ key: "go.goroutine.id", value: ev.g });
    if (ev.m >= 0) sattrs.push({ key: "thread.id", value: ev.m });
    this.codeAttrs(this.frame(ev), sattrs);
    this.emit({
      seed,
      trace,
      parentSeed: isRealTask(task) ? "t" + task : "",
      parentHex: "",
      name: event.name,
      start: wall,
      end: wall,
      startTrace: t,
      endTrace: t,
      attrs: sattrs,
      events: [event],
      dropped: 0,
    });
  }

  private traceparent(message: string, task: number, lt: LiveTask | undefined): void {
    const tp = parseTraceparent(message);
    if (tp === null) {
      this.warn(`log of category traceparent with an invalid W3C traceparent "${message.slice(0, 80)}": not joined`);
      return;
    }
    if (lt === undefined) {
      this.warn(`traceparent log ${message} is not in a task that began in the trace: not joined`);
      return;
    }
    if (lt.sealed) {
      this.warn(`traceparent log of task ${task} (${lt.name}) comes after its first child span: not joined (log it right after the task begins)`);
      return;
    }
    lt.trace = { seed: lt.trace.seed, hex: tp.traceId };
    lt.parentHex = tp.spanId;
    lt.parentSeed = "";
    this.counts.traceparents++;
  }

  // ---- attributes ----

  private codeAttrs(f: Frame | null, attrs: SpanAttr[]): void {
    if (f === null) return;
    attrs.push({ key: "code.function", value: f.func });
    attrs.push({ key: "code.filepath", value: f.file });
    attrs.push({ key: "code.lineno", value: f.line });
  }

  private commonAttrs(s: SpanCommon, attrs: SpanAttr[]): void {
    if (s.g >= 0) attrs.push({ key: "go.goroutine.id", value: s.g });
    if (s.m >= 0) attrs.push({ key: "thread.id", value: s.m });
    this.codeAttrs(s.frame, attrs);
  }

  private statAttrs(acc: Float64Array, attrs: SpanAttr[]): void {
    for (let i = 0; i < NCAT; i++) attrs.push({ key: TIME_ATTRS[i]!, value: Math.max(0, Math.round(acc[i]!)) });
  }

  private finishAttrs(s: SpanCommon, unfinished: boolean, attrs: SpanAttr[]): void {
    if (s.beganBefore) attrs.push({ key: "go.trace.began_before_trace", value: true });
    if (unfinished) attrs.push({ key: "go.trace.unfinished", value: true });
  }

  private proto(s: SpanCommon, t: number, attrs: SpanAttr[]): ProtoSpan {
    return {
      seed: s.seed,
      trace: s.trace,
      parentSeed: s.parentSeed,
      parentHex: s.parentHex,
      name: s.name,
      start: s.startWall,
      end: this.wall(t),
      startTrace: s.start,
      endTrace: t,
      attrs,
      events: s.events,
      dropped: s.dropped,
    };
  }
}

/** Resource attributes describing the trace (service.name is added by the caller). */
export function traceResourceAttrs(version: number): SpanAttr[] {
  const attrs: SpanAttr[] = [{ key: "process.runtime.name", value: "go" }];
  if (version > 0) {
    // The trace records its format, not the exact toolchain: "go1.23" means
    // a Go that writes the go 1.23 trace format (1.23 or 1.24).
    attrs.push({ key: "go.version", value: `go1.${version}` });
    attrs.push({ key: "go.trace.format", value: `go 1.${version} trace` });
  }
  return attrs;
}
