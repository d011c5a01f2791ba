// Events -> timeline (tracks, nested slices, instants, counters, flows) for
// the Perfetto outputs. One pass, streaming: state is per live goroutine, P,
// M, task and open slice, never per past event. Pure TypeScript.
//
// Layout (top-level groups are shown as processes):
//   Runtime     GC cycles, stop-the-world, counters (heap, goroutines by
//               state, threads, GOMAXPROCS)
//   Procs       "Proc N": the runs of goroutines on P N, its sweeps below
//   Tasks       task types, a lane per task alive (timeline-tasks.ts)
//   Goroutines  start functions, a lane per goroutine alive (timeline-goroutines.ts)
//   System goroutines   the same for the runtime's own goroutines
//   Threads     (--os-threads) "Thread N": what M N ran
//
// --split: when the output nears the size limit, every open slice ends at
// the current time, the part is finished, and the next part begins them again
// (with names, states, tasks and regions as they are), so each part is a
// complete trace of its own time range.

import type { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import { Ev, GoState, Kind, ProcState, ResourceKind } from "../decode/spec.js";
import { Goroutines, type TimelineCtx } from "./timeline-goroutines.js";
import { Args, Group, type TimelineSink } from "./timeline-model.js";
import { Tasks, TaskCollector, type TaskCtx } from "./timeline-tasks.js";
import { TrackSet, type Slice, type Track } from "./timeline-tracks.js";

export { TaskCollector };

export interface SplitOptions {
  /** Bytes a part may hold at most. */
  limit: number;
  /** The sink of the next part (the current one is finished). */
  next(): Promise<TimelineSink>;
}

export interface TimelineOptions {
  /** Window, ns relative to the first event (null = unbounded). */
  start: number | null;
  end: number | null;
  /** Keep only this goroutine's tracks and annotations. */
  goroutine: number | null;
  /** Keep only these tasks (and goroutines); null = all. */
  tasks: Set<number> | null;
  goroutines: Set<number> | null;
  /** Only tasks, regions and logs. */
  annotationsOnly: boolean;
  /** Also draw runnable intervals on goroutine lanes. */
  runnable?: boolean;
  /** Also draw a track per thread (M). */
  threads?: boolean;
  /** Parts of at most this size (null: one output). */
  split?: SplitOptions | null;
}

/** Counters are written at most this often (ns): every goroutine state change would make them a third of the output; each ms is enough for an overview. */
const COUNTER_PERIOD = 1_000_000;
/** A sorting window for the trace processor at least every this many events (and at each generation): about 6 MB of protobuf. */
const WINDOW_EVENTS = 1 << 18;

class Counter {
  val = 0;
  dirty = false;
  /** Time of the last sample written (-1 = none yet). */
  lastTs = -1;
  constructor(readonly track: Track) {}
}

export class TimelineConverter implements TimelineCtx, TaskCtx {
  readonly tracks: TrackSet;
  private t0 = NaN;
  private last = 0;
  private curTime = NaN;
  private lastCounters = -Infinity;
  private readonly ws: number;
  private readonly we: number;
  private windowOpen: boolean;
  private windowClosed = false;
  private partStart = 0;
  private partBase = 0;
  private lastMarker = -Infinity;
  private prevMarker = -Infinity;
  private flowSeq = 0;
  private events = 0;
  private readonly sweeps = new Map<number, Slice>();
  private readonly pState = new Map<number, number>();
  private gcSlice: Slice | null = null;
  private stwSlice: Slice | null = null;
  private readonly counters: Counter[] = [];
  private readonly dirty: Counter[] = [];
  private readonly args = new Args();
  private readonly cGoroutines: Counter[] = [];
  private readonly cThreadsRunning: Counter;
  private readonly cThreadsSyscall: Counter;
  private readonly cHeap: Counter;
  private readonly cGoal: Counter;
  private readonly cProcs: Counter;
  private readonly runtimeOn: boolean;
  private readonly gcTrack: Track;
  private readonly stwTrack: Track;
  private readonly procTracks: Track[] = [];
  private readonly sweepTracks: Track[] = [];
  readonly gor: Goroutines;
  private readonly taskView: Tasks;
  /** Parts finished so far (--split). */
  parts = 0;

  constructor(
    sink: TimelineSink,
    private readonly opts: TimelineOptions,
  ) {
    this.tracks = new TrackSet(sink);
    this.ws = opts.start ?? -Infinity;
    this.we = opts.end ?? Infinity;
    this.windowOpen = opts.start === null;
    this.runtimeOn = !opts.annotationsOnly;
    this.gcTrack = this.tracks.make(Group.Runtime, "GC", 1, 0, false);
    this.stwTrack = this.tracks.make(Group.Runtime, "Stop-the-world", 2, 0, false);
    const c = (name: string, unit: string, sort: number) => {
      const k = new Counter(this.tracks.makeCounter(name, unit, sort));
      this.counters.push(k);
      return k;
    };
    this.cHeap = c("Heap allocated", "bytes", 10);
    this.cGoal = c("Heap goal", "bytes", 11);
    this.cGoroutines[GoState.Running] = c("Goroutines running", "count", 12);
    this.cGoroutines[GoState.Runnable] = c("Goroutines runnable", "count", 13);
    this.cGoroutines[GoState.Waiting] = c("Goroutines blocked", "count", 14);
    this.cGoroutines[GoState.Syscall] = c("Goroutines in syscall", "count", 15);
    this.cThreadsRunning = c("Threads running", "count", 16);
    this.cThreadsSyscall = c("Threads in syscall", "count", 17);
    this.cProcs = c("GOMAXPROCS", "count", 18);
    this.gor = new Goroutines(this, opts.runnable === true, opts.threads === true);
    this.taskView = new Tasks(this, this.gor);
  }

  get sink(): TimelineSink {
    return this.tracks.sink;
  }

  // ---- TimelineCtx ----

  inWindow(): boolean {
    return this.windowOpen && !this.windowClosed;
  }

  floor(): number {
    return Math.max(this.partStart, this.ws, this.prevMarker);
  }

  since(): number {
    return Math.max(this.partStart, this.ws);
  }

  nextFlow(): number {
    return ++this.flowSeq;
  }

  procTrack(p: number): Track {
    let t = p < 1 << 16 ? this.procTracks[p] : undefined;
    if (t === undefined) {
      t = this.tracks.make(Group.Procs, `Proc ${p}`, p * 2, 0, false);
      if (p < 1 << 16) this.procTracks[p] = t;
    }
    return t;
  }

  private sweepTrack(p: number): Track {
    let t = p < 1 << 16 ? this.sweepTracks[p] : undefined;
    if (t === undefined) {
      t = this.tracks.make(Group.Procs, `Proc ${p} sweep`, p * 2 + 1, 0, false);
      if (p < 1 << 16) this.sweepTracks[p] = t;
    }
    return t;
  }

  keepG(g: number): boolean {
    if (this.opts.annotationsOnly || g < 0) return false;
    if (this.opts.goroutine !== null && g !== this.opts.goroutine) return false;
    if (this.opts.goroutines !== null && !this.opts.goroutines.has(g)) return false;
    return true;
  }

  keepAnnotation(task: number, g: number): boolean {
    if (this.opts.goroutine !== null && g !== this.opts.goroutine) return false;
    if (this.opts.tasks !== null && !this.opts.tasks.has(task)) return false;
    return true;
  }

  /** Goroutines by state (counted per transition; the counters take them when they are written). */
  private readonly gcount = new Float64Array(8);
  private gdirty = false;

  countState(from: number, to: number): void {
    const g = this.gcount;
    g[from]--;
    g[to]++;
    this.gdirty = true;
  }

  /** The goroutine counts into their counters. */
  private syncCounts(): void {
    this.gdirty = false;
    const g = this.gcount;
    for (const st of [GoState.Running, GoState.Runnable, GoState.Waiting, GoState.Syscall]) this.setCounter(this.cGoroutines[st]!, g[st]!);
    // An M in a syscall per goroutine in one.
    this.setCounter(this.cThreadsSyscall, g[GoState.Syscall]!);
  }

  instant(t: Track, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    if (!this.inWindow()) return;
    this.tracks.declare(t);
    this.sink.instant(t.desc.uuid, ts, name, cat, args, sgen, sid);
  }

  // ---- counters ----

  private setCounter(c: Counter, v: number): void {
    if (c.val === v) return;
    c.val = v;
    if (!c.dirty) {
      c.dirty = true;
      this.dirty.push(c);
    }
  }

  private addCounter(c: Counter | undefined, d: number): void {
    if (c !== undefined) this.setCounter(c, c.val + d);
  }

  private flushCounters(ts: number): void {
    if (this.gdirty) this.syncCounts();
    const emit = this.runtimeOn && this.inWindow();
    // In the order they were made: the JSON groups counters of a kind into one event.
    for (const c of this.counters) {
      if (!c.dirty) continue;
      c.dirty = false;
      if (emit) this.counterOut(c, ts);
    }
    this.dirty.length = 0;
  }

  private counterOut(c: Counter, ts: number): void {
    this.tracks.declare(c.track);
    this.sink.counter(c.track.desc.uuid, ts, c.val);
    c.lastTs = ts;
  }

  /** Every counter's value at ts (a window or part starts). */
  private countersAt(ts: number): void {
    if (this.gdirty) this.syncCounts();
    if (!this.runtimeOn) return;
    for (const c of this.counters) {
      if (c.val === 0 && !c.dirty) continue;
      this.counterOut(c, ts);
    }
  }

  /** Each counter's last value again at the end: a counter set once (GOMAXPROCS) is drawn as a line. */
  private countersEnd(ts: number): void {
    if (this.dirty.length > 0 || this.gdirty) this.flushCounters(Math.min(this.curTime, ts));
    if (!this.runtimeOn) return;
    for (const c of this.counters) {
      if (c.lastTs < 0 || c.lastTs >= ts) continue;
      this.counterOut(c, ts);
    }
  }

  // ---- the clock, the window and parts ----

  /** Moves the clock to ts (relative), opening/closing the window as it passes. */
  private advance(ts: number): void {
    if (ts !== this.curTime) {
      if ((this.dirty.length > 0 || this.gdirty) && !Number.isNaN(this.curTime) && this.curTime - this.lastCounters >= COUNTER_PERIOD) {
        this.flushCounters(this.curTime);
        this.lastCounters = this.curTime;
      }
      this.curTime = ts;
    }
    if (!this.windowOpen && ts >= this.ws) {
      this.windowOpen = true;
      if (!this.windowClosed) {
        // Slices open at the window start begin there; counters show their values.
        this.tracks.beginAll(this.ws);
        this.countersAt(this.ws);
      }
    }
    if (!this.windowClosed && ts > this.we) {
      this.closeAll(this.we);
      this.windowClosed = true;
    }
  }

  private closeAll(ts: number): void {
    this.gor.resolvePending(Infinity);
    this.countersEnd(ts);
    for (const t of this.tracks.all) {
      while (t.depth > 0) {
        const s = t.pop();
        s.dead = true;
        this.tracks.openSlices--;
        if (s.emitted) this.sink.end(t.desc.uuid, ts, s, null, 0);
        s.emitted = false;
      }
    }
    this.gor.finishPart();
    this.taskView.finishPart();
  }

  /**
   * A generation ends, or enough events went by: a sorting window. Nothing
   * is written later with a time before the previous window's: goroutines
   * waiting for a lane since before it get one now, and slices that began in
   * the past are drawn from it at the earliest (floor()).
   */
  private marker(ts: number): void {
    this.gor.resolvePending(this.lastMarker);
    this.sink.window(ts);
    this.prevMarker = this.lastMarker;
    this.lastMarker = ts;
    this.markerEvents = this.events;
  }

  private markerEvents = 0;

  /** Room the current part needs to end what is open and name its groups. */
  private reserve(): number {
    return this.tracks.openSlices * 160 + (this.gor.groups.size + 16) * 96 + (64 << 10);
  }

  private async cut(ts: number, split: SplitOptions): Promise<void> {
    this.gor.resolvePending(Infinity);
    this.countersEnd(ts);
    this.tracks.endAll(ts);
    this.gor.finishPart();
    this.taskView.finishPart();
    await this.sink.finish();
    this.parts++;
    this.tracks.sink = await split.next();
    this.tracks.undeclareAll();
    await this.sink.start();
    this.partStart = ts;
    this.lastMarker = -Infinity;
    this.prevMarker = -Infinity;
    this.gor.startPart(ts);
    this.taskView.startPart();
    this.tracks.beginAll(ts);
    for (const c of this.counters) c.lastTs = -1;
    this.countersAt(ts);
    this.partBase = this.sink.size();
  }

  // ---- events ----

  /** Handles one event; returns a promise to await now and then (backpressure). */
  onEvent(ev: Event): Promise<void> | void {
    if (Number.isNaN(this.t0)) {
      this.t0 = ev.time;
      this.sink.start();
    }
    const ts = ev.time - this.t0;
    this.last = ts;
    this.advance(ts);
    if (this.windowClosed) return (++this.events & 1023) === 0 ? this.sink.flush() : undefined;
    switch (ev.kind) {
      case Kind.StateTransition:
        if (ev.transitionResourceKind() === ResourceKind.Goroutine) this.gor.transition(ev, ts);
        else this.procTransition(ev, ts);
        break;
      case Kind.RangeBegin:
      case Kind.RangeActive:
      case Kind.RangeEnd:
        this.range(ev, ts);
        break;
      case Kind.TaskBegin:
        this.taskView.begin(ev, ts);
        break;
      case Kind.TaskEnd:
        this.taskView.end(ev, ts);
        break;
      case Kind.RegionBegin:
        this.taskView.regionBegin(ev, ts);
        break;
      case Kind.RegionEnd:
        this.taskView.regionEnd(ev, ts);
        break;
      case Kind.Log:
        this.taskView.log(ev, ts, this.args);
        break;
      case Kind.StackSample:
        this.sample(ev, ts);
        break;
      case Kind.Metric:
        if (ev.type === Ev.HeapAlloc) this.setCounter(this.cHeap, ev.metricValue());
        else if (ev.type === Ev.HeapGoal) this.setCounter(this.cGoal, ev.metricValue() >= 2 ** 50 ? 0 : ev.metricValue());
        else this.setCounter(this.cProcs, ev.metricValue());
        break;
      case Kind.Sync:
        this.sink.generation();
        if (this.inWindow()) this.marker(ts);
        return this.sink.flush();
    }
    if ((++this.events & 63) === 0) {
      const split = this.opts.split;
      if (split !== undefined && split !== null && this.inWindow()) {
        const size = this.sink.size();
        if (size + this.reserve() >= split.limit && size - this.partBase >= split.limit / 4) return this.cut(ts, split);
      }
      if (this.events - this.markerEvents >= WINDOW_EVENTS && this.inWindow()) this.marker(ts);
      if ((this.events & 1023) === 0) return this.sink.flush();
    }
  }

  /** Closes everything still open at the last event and finishes the output. */
  async finish(): Promise<void> {
    if (Number.isNaN(this.t0)) {
      this.sink.start();
    } else if (!this.windowClosed) {
      if (this.windowOpen) this.closeAll(Math.min(this.last, this.we));
    }
    await this.sink.finish();
  }

  private procTransition(ev: Event, ts: number): void {
    const p = ev.transitionResource();
    const to = ev.transitionTo();
    const from = this.pState.get(p) ?? ProcState.Undetermined;
    if (from === to) return;
    if (from === ProcState.Running) this.addCounter(this.cThreadsRunning, -1);
    if (to === ProcState.Running) this.addCounter(this.cThreadsRunning, 1);
    this.pState.set(p, to);
    if (to !== ProcState.Running) this.gor.procLost(p, ts);
  }

  private range(ev: Event, ts: number): void {
    if (!this.runtimeOn) return;
    const k = ev.kind;
    const sid = ev.stackID();
    const t = this.tracks;
    const emit = this.inWindow();
    switch (ev.type) {
      case Ev.GCBegin:
      case Ev.GCActive:
      case Ev.GCEnd:
        if (k === Kind.RangeEnd) {
          t.close(this.gcTrack, this.gcSlice, ts, ev.gen, sid, emit);
          this.gcSlice = null;
        } else if (this.gcSlice === null) {
          this.gcSlice = t.slice(ev.rangeName(), "gc", ts, ev.gen, sid);
          t.open(this.gcTrack, this.gcSlice, emit);
        }
        return;
      case Ev.STWBegin:
      case Ev.STWEnd:
        if (k === Kind.RangeEnd) {
          t.close(this.stwTrack, this.stwSlice, ts, ev.gen, sid, emit);
          this.stwSlice = null;
        } else if (this.stwSlice === null) {
          this.stwSlice = t.slice(ev.rangeName(), "stw", ts, ev.gen, sid);
          this.stwSlice.args.add("goroutine", ev.g);
          t.open(this.stwTrack, this.stwSlice, emit);
        }
        return;
      case Ev.GCSweepBegin:
      case Ev.GCSweepActive:
      case Ev.GCSweepEnd: {
        const p = ev.rangeScopeID();
        if (p < 0) return;
        const st = this.sweepTrack(p);
        const open = this.sweeps.get(p);
        if (k === Kind.RangeEnd) {
          if (open !== undefined) {
            t.close(st, open, ts, ev.gen, sid, emit);
            t.recycle(open);
            this.sweeps.delete(p);
          }
        } else if (open === undefined) {
          const s = t.slice(ev.rangeName(), "gc", ts, ev.gen, sid);
          this.sweeps.set(p, s);
          t.open(st, s, emit);
        }
        return;
      }
      default: {
        // Mark assist (goroutine-scoped), on the goroutine's lane.
        const g = ev.rangeScopeID();
        if (!this.keepG(g)) return;
        this.gor.assist(g, ts, k !== Kind.RangeEnd, ev.rangeName(), ev.gen, sid);
      }
    }
  }

  private sample(ev: Event, ts: number): void {
    let t: Track | null = null;
    if (ev.g >= 0 && this.keepG(ev.g)) t = this.gor.annotationTrack(ev.g, ts, ev.gen, ev.a0);
    else if (this.opts.goroutine !== null || this.opts.goroutines !== null || this.opts.annotationsOnly) return;
    else if (ev.p >= 0) t = this.procTrack(ev.p);
    if (t === null) return;
    const a = this.args.clear();
    if (ev.g >= 0) a.add("goroutine", ev.g);
    if (ev.p >= 0) a.add("proc", ev.p);
    if (ev.m >= 0) a.add("thread", ev.m);
    this.instant(t, ts, "CPU sample", "cpu", a, ev.gen, ev.a0);
  }
}
