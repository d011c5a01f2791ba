// Events -> timeline (tracks, nested slices, instants, counters, flows) for
// the Perfetto outputs. One pass, streaming: state is per live goroutine, P,
// M, task and open slice, never per past event. Pure TypeScript.
//
// Layout (groups are shown as processes):
//   Runtime     GC cycles, stop-the-world, counters (heap, goroutines by
//               state, threads, GOMAXPROCS)
//   Procs       "Proc N": the goroutines that ran on P N ("G12 main.worker"),
//               syscalls, sweeps
//   Tasks       "T3 name": one slice per task; below it "T3 G12": the task's
//               regions on goroutine 12 (nested), logs as instants;
//               "G12 regions" for regions and logs outside any task (the
//               JSON writes this group as async b/e/n events, id = track uuid)
//   Goroutines  "G12 main.worker": states (running, runnable, blocked: reason,
//               syscall), CPU samples, flows; "G12 mark assist" below it
//   Threads     "M 1234": goroutines and syscalls on that OS thread

import { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import { Ev, GoState, Kind, NO_TASK, ProcState, ResourceKind } from "../decode/spec.js";
import { Args, Group, type OpenSlice, type TimelineSink, type TrackDesc } from "./timeline-model.js";

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
}

/** Track uuids: small (short varints), the group in the low 3 bits; uuid = group alone is the group's own track. */
export function uuidOf(group: Group, tid: number): number {
  return (tid + 1) * 8 + group;
}

/** Counters are written at most this often (ns): a goroutine state change each time would double the output. */
const COUNTER_PERIOD = 10_000;

class Slice implements OpenSlice {
  sinkTs = 0;
  sinkData: unknown = null;
  constructor(
    public name: string,
    public cat: string,
    public args: Args | null,
    public ts: number,
    public sgen: Generation | null,
    public sid: number,
    public flowIn: number,
  ) {}
  emitted = false;
  dead = false;
}

class Track {
  declared = false;
  /**
   * Open slices, innermost last: the first `depth` entries. Kept at their
   * length (pop() would shrink the array, and the next push grow it again).
   */
  readonly stack: (Slice | null)[] = [];
  depth = 0;
  constructor(readonly desc: TrackDesc) {}

  push(s: Slice): void {
    this.stack[this.depth++] = s;
  }

  pop(): Slice {
    const s = this.stack[--this.depth]!;
    this.stack[this.depth] = null;
    return s;
  }
}

class GInfo {
  name = "";
  label = "";
  labelFor = "";
  state: number = GoState.Undetermined;
  track: Track | null = null;
  stateSlice: Slice | null = null;
  execP: Track | null = null;
  execPSlice: Slice | null = null;
  execM: Track | null = null;
  execMSlice: Slice | null = null;
  assist: Slice | null = null;
  assistTrack: Track | null = null;
  regions: { track: Track; slice: Slice | null; task: number }[] = [];
  /** A flow into this goroutine's next run: source track and time. */
  flowTrack = 0;
  flowTs = 0;
  flowName = "";
  constructor(readonly id: number) {}
}

class TaskInfo {
  track: Track | null = null;
  slice: Slice | null = null;
  ended = false;
  regionTracks = 0;
  /** Where the task began (goroutine track, time), for the begin -> end flow. */
  flowTrack = 0;
  flowTs = 0;
  constructor(
    readonly id: number,
    readonly type: string,
  ) {}
}

class Counter {
  val = 0;
  dirty = false;
  /** Time of the last sample written (-1 = none yet). */
  lastTs = -1;
  constructor(readonly track: Track) {}
}

const GROUP_SORT_TASK = 64;

export class TimelineConverter {
  private t0 = NaN;
  private last = 0;
  private curTime = NaN;
  private lastCounters = -Infinity;
  private readonly ws: number;
  private readonly we: number;
  private windowOpen: boolean;
  private windowClosed = false;
  private readonly tracks = new Map<number, Track>();
  private readonly gs = new Map<number, GInfo>();
  private readonly tasks = new Map<number, TaskInfo>();
  private readonly regionTracks = new Map<string, Track>();
  private readonly sweeps = new Map<number, Slice>();
  private readonly pState = new Map<number, number>();
  private gcSlice: Slice | null = null;
  private stwSlice: Slice | null = null;
  private flowSeq = 0;
  private readonly counters: Counter[] = [];
  private readonly dirty: Counter[] = [];
  private readonly args = new Args();
  private nextTaskTid = 1;
  private events = 0;
  private readonly cGoroutines: Counter[] = [];
  private readonly cThreadsRunning: Counter;
  private readonly cThreadsSyscall: Counter;
  private readonly cHeap: Counter;
  private readonly cGoal: Counter;
  private readonly cProcs: Counter;
  private readonly runtimeOn: boolean;
  private readonly gcTrack: Track;
  private readonly stwTrack: Track;

  constructor(
    private readonly sink: TimelineSink,
    private readonly opts: TimelineOptions,
  ) {
    this.ws = opts.start ?? -Infinity;
    this.we = opts.end ?? Infinity;
    this.windowOpen = opts.start === null;
    this.runtimeOn = !opts.annotationsOnly;
    this.gcTrack = this.mkTrack(Group.Runtime, 1, "GC", 1, false, "", 0);
    this.stwTrack = this.mkTrack(Group.Runtime, 2, "Stop-the-world", 2, false, "", 0);
    const c = (tid: number, name: string, unit: string) => {
      const sp = name.indexOf(" ");
      const cg = sp < 0 ? name : name.slice(0, sp);
      const ck = sp < 0 ? "value" : name.slice(sp + 1);
      const k = new Counter(this.mkTrack(Group.Runtime, tid, name, tid, true, unit, 0, cg, ck));
      this.counters.push(k);
      return k;
    };
    this.cHeap = c(10, "Heap allocated", "bytes");
    this.cGoal = c(11, "Heap goal", "bytes");
    this.cGoroutines[GoState.Running] = c(12, "Goroutines running", "count");
    this.cGoroutines[GoState.Runnable] = c(13, "Goroutines runnable", "count");
    this.cGoroutines[GoState.Waiting] = c(14, "Goroutines blocked", "count");
    this.cGoroutines[GoState.Syscall] = c(15, "Goroutines in syscall", "count");
    this.cThreadsRunning = c(16, "Threads running", "count");
    this.cThreadsSyscall = c(17, "Threads in syscall", "count");
    this.cProcs = c(18, "GOMAXPROCS", "count");
  }

  // ---- tracks ----

  private mkTrack(group: Group, tid: number, name: string, sort: number, counter: boolean, unit: string, parent: number, cg = "", ck = ""): Track {
    const uuid = uuidOf(group, tid);
    let t = this.tracks.get(uuid);
    if (t === undefined) {
      t = new Track({ uuid, group, tid, name, sort, counter, unit, parent, counterGroup: cg, counterKey: ck });
      this.tracks.set(uuid, t);
    }
    return t;
  }

  private declare(t: Track): void {
    if (t.declared) return;
    t.declared = true;
    if (t.desc.parent !== 0) {
      const p = this.tracks.get(t.desc.parent);
      if (p !== undefined) this.declare(p);
    }
    this.sink.track(t.desc);
  }

  /** Proc and thread tracks live as long as the trace: found without building their names. */
  private readonly procTracks: Track[] = [];
  private readonly threadTracks = new Map<number, Track>();

  private procTrack(p: number): Track {
    let t = this.procTracks[p];
    if (t === undefined) {
      t = this.mkTrack(Group.Procs, p, `Proc ${p}`, p, false, "", 0);
      if (p < 1 << 16) this.procTracks[p] = t;
    }
    return t;
  }

  private threadTrack(m: number): Track {
    let t = this.threadTracks.get(m);
    if (t === undefined) {
      t = this.mkTrack(Group.Threads, m, `Thread ${m}`, m, false, "", 0);
      this.threadTracks.set(m, t);
    }
    return t;
  }

  private gTrack(gi: GInfo): Track {
    if (gi.track === null) gi.track = this.mkTrack(Group.Goroutines, gi.id * 2, this.gName(gi), gi.id * 2, false, "", 0);
    return gi.track;
  }

  /** "G12 main.worker" (cached: it names every execution slice of the goroutine). */
  private gName(gi: GInfo): string {
    if (gi.label === "" || gi.labelFor !== gi.name) {
      gi.label = gi.name === "" ? `G${gi.id}` : `G${gi.id} ${gi.name}`;
      gi.labelFor = gi.name;
    }
    return gi.label;
  }

  private regionTrack(task: number, g: number): Track {
    const key = `${task}/${g}`;
    let t = this.regionTracks.get(key);
    if (t === undefined) {
      const ti = task === 0 ? undefined : this.tasks.get(task);
      const tid = this.nextTaskTid++;
      let sort: number;
      let parent = 0;
      if (ti !== undefined && ti.track !== null) {
        ti.regionTracks++;
        sort = ti.track.desc.sort + Math.min(ti.regionTracks, GROUP_SORT_TASK - 1);
        parent = ti.track.desc.uuid;
      } else {
        sort = task === 0 ? 0 : Math.min(task, 2 ** 24) * GROUP_SORT_TASK + 1;
      }
      const name = task === 0 ? `G${g} regions` : `T${Event.taskString(task)} G${g}`;
      t = this.mkTrack(Group.Tasks, tid, name, sort, false, "", parent);
      this.regionTracks.set(key, t);
    }
    return t;
  }

  private dropTrack(t: Track | null): void {
    if (t !== null && t.depth === 0) this.tracks.delete(t.desc.uuid);
  }

  // ---- slices ----

  private inWindow(ts: number): boolean {
    return this.windowOpen && !this.windowClosed;
  }

  private open(t: Track, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number, flowIn = 0): Slice {
    let s = this.slicePool.pop();
    if (s === undefined) s = new Slice(name, cat, null, ts, sgen, sid, flowIn);
    else {
      s.name = name;
      s.cat = cat;
      s.args = null;
      s.ts = ts;
      s.sgen = sgen;
      s.sid = sid;
      s.flowIn = flowIn;
      s.emitted = false;
      s.dead = false;
    }
    t.push(s);
    if (this.inWindow(ts)) {
      this.declare(t);
      this.sink.begin(t.desc.uuid, ts, s, args, sgen, sid, flowIn);
      s.emitted = true;
    } else if (args !== null && args.n > 0) {
      const a = new Args();
      for (let i = 0; i < args.n; i++) a.add(args.keys[i]!, args.vals[i]!);
      s.args = a;
    }
    return s;
  }

  /**
   * Slices of a goroutine's state and execution, reused: they are referenced
   * only by the GInfo field that is cleared when they are recycled (and by
   * their track's stack, which they have left by then).
   */
  private readonly slicePool: Slice[] = [];

  private recycle(s: Slice): void {
    if (this.slicePool.length < 4096) {
      s.sgen = null;
      s.args = null;
      s.sinkData = null;
      this.slicePool.push(s);
    }
  }

  private close(t: Track, s: Slice | null, ts: number, sgen: Generation | null, sid: number): void {
    if (s === null || s.dead) return;
    while (t.depth > 0) {
      const top = t.pop();
      top.dead = true;
      if (top.emitted && !this.windowClosed) {
        if (top === s) this.sink.end(t.desc.uuid, ts, top, sgen, sid);
        else this.sink.end(t.desc.uuid, ts, top, null, 0);
      }
      if (top === s) break;
    }
  }

  /** Emits a complete slice that began before we knew (task or region from before the trace). */
  private past(t: Track, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    if (!this.inWindow(ts)) return;
    const b = Math.max(0, this.ws);
    this.declare(t);
    this.sink.complete(t.desc.uuid, b, ts - b, name, cat, args, sgen, sid);
  }

  private instant(t: Track, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    if (!this.inWindow(ts)) return;
    this.declare(t);
    this.sink.instant(t.desc.uuid, ts, name, cat, args, sgen, sid);
  }

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
    const emit = this.runtimeOn && this.inWindow(ts);
    for (const c of this.dirty) {
      c.dirty = false;
      if (emit) {
        this.declare(c.track);
        this.sink.counter(c.track.desc.uuid, ts, c.val);
        c.lastTs = ts;
      }
    }
    this.dirty.length = 0;
  }

  /** Moves the clock to ts (relative), opening/closing the window as it passes. */
  private advance(ts: number): void {
    if (ts !== this.curTime) {
      if (this.dirty.length > 0 && !Number.isNaN(this.curTime) && this.curTime - this.lastCounters >= COUNTER_PERIOD) {
        this.flushCounters(this.curTime);
        this.lastCounters = this.curTime;
      }
      this.curTime = ts;
    }
    if (!this.windowOpen && ts >= this.ws) {
      this.windowOpen = true;
      if (!this.windowClosed) {
        // Slices open at the window start begin there; counters show their values.
        for (const t of this.tracks.values()) {
          for (let i = 0; i < t.depth; i++) {
            const s = t.stack[i]!;
            if (s.dead || s.emitted) continue;
            this.declare(t);
            this.sink.begin(t.desc.uuid, this.ws, s, s.args, s.sgen, s.sid, 0);
            s.emitted = true;
            s.args = null;
          }
        }
        if (this.runtimeOn) {
          for (const c of this.counters) {
            if (c.val === 0 && !c.dirty) continue;
            this.declare(c.track);
            this.sink.counter(c.track.desc.uuid, this.ws, c.val);
            c.lastTs = this.ws;
          }
        }
      }
    }
    if (!this.windowClosed && ts > this.we) {
      this.closeAll(this.we);
      this.windowClosed = true;
    }
  }

  private closeAll(ts: number): void {
    if (this.dirty.length > 0) this.flushCounters(Math.min(this.curTime, ts));
    if (this.runtimeOn) {
      // Each counter's last value again at the end: a counter set once (GOMAXPROCS) is drawn as a line.
      for (const c of this.counters) {
        if (c.lastTs < 0 || c.lastTs >= ts) continue;
        this.sink.counter(c.track.desc.uuid, ts, c.val);
        c.lastTs = ts;
      }
    }
    for (const t of this.tracks.values()) {
      while (t.depth > 0) {
        const s = t.pop();
        s.dead = true;
        if (s.emitted) this.sink.end(t.desc.uuid, ts, s, null, 0);
      }
    }
  }

  // ---- filters ----

  private keepG(g: number): boolean {
    if (this.opts.annotationsOnly || g < 0) return false;
    if (this.opts.goroutine !== null && g !== this.opts.goroutine) return false;
    if (this.opts.goroutines !== null && !this.opts.goroutines.has(g)) return false;
    return true;
  }

  private keepAnnotation(task: number, g: number): boolean {
    if (this.opts.goroutine !== null && g !== this.opts.goroutine) return false;
    if (this.opts.tasks !== null && !this.opts.tasks.has(task)) return false;
    return true;
  }

  private getG(id: number): GInfo {
    let gi = this.gs.get(id);
    if (gi === undefined) {
      gi = new GInfo(id);
      this.gs.set(id, gi);
    }
    return gi;
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
        if (ev.transitionResourceKind() === ResourceKind.Goroutine) this.goTransition(ev, ts);
        else this.procTransition(ev);
        break;
      case Kind.RangeBegin:
      case Kind.RangeActive:
      case Kind.RangeEnd:
        this.range(ev, ts);
        break;
      case Kind.TaskBegin:
        this.taskBegin(ev, ts);
        break;
      case Kind.TaskEnd:
        this.taskEnd(ev, ts);
        break;
      case Kind.RegionBegin:
        this.regionBegin(ev, ts);
        break;
      case Kind.RegionEnd:
        this.regionEnd(ev, ts);
        break;
      case Kind.Log:
        this.log(ev, ts);
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
        return this.sink.flush();
    }
    if ((++this.events & 1023) === 0) return this.sink.flush();
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

  private readonly blockedNames = new Map<string, string>();

  private stateName(to: number, reason: string): string {
    switch (to) {
      case GoState.Running:
        return "running";
      case GoState.Runnable:
        return "runnable";
      case GoState.Syscall:
        return "syscall";
      case GoState.Waiting:
        if (reason === "") return "blocked";
        let n = this.blockedNames.get(reason);
        if (n === undefined) {
          n = `blocked: ${reason}`;
          if (this.blockedNames.size < 1024) this.blockedNames.set(reason, n);
        }
        return n;
    }
    return "";
  }

  private goTransition(ev: Event, ts: number): void {
    const id = ev.transitionResource();
    const to = ev.transitionTo();
    const gi = this.getG(id);
    const keep = this.keepG(id);
    const from = gi.state;
    const sid = ev.stackID();
    if (from === to && to !== GoState.NotExist) return; // a status at a generation start
    if (from === GoState.NotExist || from === GoState.Undetermined) {
      if (gi.name === "") {
        const tsid = ev.transitionStackID();
        if (tsid > 0 && ev.gen !== null) gi.name = rootFunc(ev.gen, tsid);
        if (gi.track !== null && !gi.track.declared) gi.track.desc.name = this.gName(gi);
      }
    }
    // Counters.
    if (from !== to) {
      this.addCounter(this.cGoroutines[from], -1);
      this.addCounter(this.cGoroutines[to], 1);
      if (from === GoState.Syscall) this.addCounter(this.cThreadsSyscall, -1);
      if (to === GoState.Syscall) this.addCounter(this.cThreadsSyscall, 1);
    }
    gi.state = to;
    if (!keep) {
      if (to === GoState.NotExist) this.gs.delete(id);
      return;
    }
    // End what the old state drew.
    if (gi.execPSlice !== null) {
      this.close(gi.execP!, gi.execPSlice, ts, ev.gen, sid);
      this.recycle(gi.execPSlice);
      gi.execPSlice = null;
    }
    if (gi.execMSlice !== null) {
      this.close(gi.execM!, gi.execMSlice, ts, null, 0);
      this.recycle(gi.execMSlice);
      gi.execMSlice = null;
    }
    const gt = this.gTrack(gi);
    // The state slice is recycled only after the flow check below reads it.
    const oldState = gi.stateSlice;
    if (gi.stateSlice !== null) {
      this.close(gt, gi.stateSlice, ts, null, 0);
      gi.stateSlice = null;
    }
    // Flows into this goroutine's next run.
    if ((ev.type === Ev.GoUnblock || ev.transitionFrom() === GoState.NotExist) && ev.g >= 0 && ev.g !== id && this.keepG(ev.g) && this.inWindow(ts)) {
      const src = this.gs.get(ev.g);
      if (src !== undefined && src.stateSlice !== null && src.stateSlice.emitted && src.track !== null) {
        // Written when the goroutine runs (no dangling arrows for one that never does).
        gi.flowTrack = src.track.desc.uuid;
        gi.flowTs = ts;
        gi.flowName = ev.type === Ev.GoUnblock ? "unblock" : "go";
      }
    }
    if (oldState !== null) this.recycle(oldState);
    // Begin what the new state draws.
    const name = this.stateName(to, ev.transitionReason());
    if (name !== "") {
      // Stacks: a state begins with the stack of the transition into it (where
      // it blocked, entered a syscall...); an execution slice on a P ends with
      // the stack where it stopped. Nothing is repeated on threads.
      let flowIn = 0;
      if (to === GoState.Running && gi.flowTrack !== 0) {
        if (this.inWindow(ts)) {
          flowIn = ++this.flowSeq;
          this.sink.flow(gi.flowTrack, gi.flowTs, flowIn, gi.flowName, false);
        }
        gi.flowTrack = 0;
      }
      gi.stateSlice = this.open(gt, ts, name, "state", null, ev.gen, ev.transitionStackID(), flowIn);
      if (to === GoState.Running || to === GoState.Syscall) {
        const label = to === GoState.Running ? this.gName(gi) : "syscall";
        const cat = to === GoState.Running ? "goroutine" : "syscall";
        if (ev.p >= 0) {
          gi.execP = this.procTrack(ev.p);
          gi.execPSlice = this.open(gi.execP, ts, label, cat, null, null, 0);
        }
        if (ev.m >= 0) {
          gi.execM = this.threadTrack(ev.m);
          gi.execMSlice = this.open(gi.execM, ts, label, cat, null, null, 0);
        }
      }
    }
    if (ev.type === Ev.GoStop || ev.type === Ev.GoBlock || ev.type === Ev.GoSyscallBegin) {
      if (gi.name === "" && sid > 0 && ev.gen !== null) {
        // A goroutine that existed before the trace: its stack names it.
        gi.name = rootFunc(ev.gen, sid);
        if (gi.name !== "") {
          gt.desc.name = this.gName(gi);
          if (gt.declared && this.sink.rename !== undefined) this.sink.rename(gt.desc);
        }
      }
    }
    if (to === GoState.NotExist) {
      if (gi.assist !== null) this.close(gi.assistTrack!, gi.assist, ts, null, 0);
      this.dropTrack(gi.track);
      this.dropTrack(gi.assistTrack);
      const rk = `0/${id}`;
      const rt = this.regionTracks.get(rk);
      if (rt !== undefined && rt.depth === 0) {
        this.regionTracks.delete(rk);
        this.dropTrack(rt);
      }
      if (gi.regions.length === 0) this.gs.delete(id);
    }
  }

  private procTransition(ev: Event): void {
    const p = ev.transitionResource();
    const to = ev.transitionTo();
    const from = this.pState.get(p) ?? ProcState.Undetermined;
    if (from === to) return;
    if (from === ProcState.Running) this.addCounter(this.cThreadsRunning, -1);
    if (to === ProcState.Running) this.addCounter(this.cThreadsRunning, 1);
    this.pState.set(p, to);
  }

  private range(ev: Event, ts: number): void {
    if (!this.runtimeOn) return;
    const k = ev.kind;
    const sid = ev.stackID();
    switch (ev.type) {
      case Ev.GCBegin:
      case Ev.GCActive:
      case Ev.GCEnd:
        if (k === Kind.RangeEnd) {
          this.close(this.gcTrack, this.gcSlice, ts, ev.gen, sid);
          this.gcSlice = null;
        } else if (this.gcSlice === null) {
          this.gcSlice = this.open(this.gcTrack, ts, ev.rangeName(), "gc", null, ev.gen, sid);
        }
        return;
      case Ev.STWBegin:
      case Ev.STWEnd:
        if (k === Kind.RangeEnd) {
          this.close(this.stwTrack, this.stwSlice, ts, ev.gen, sid);
          this.stwSlice = null;
        } else if (this.stwSlice === null) {
          this.stwSlice = this.open(this.stwTrack, ts, ev.rangeName(), "stw", this.args.clear().add("goroutine", ev.g), ev.gen, sid);
        }
        return;
      case Ev.GCSweepBegin:
      case Ev.GCSweepActive:
      case Ev.GCSweepEnd: {
        const p = ev.rangeScopeID();
        if (p < 0) return;
        const t = this.procTrack(p);
        const open = this.sweeps.get(p);
        if (k === Kind.RangeEnd) {
          if (open !== undefined) {
            this.close(t, open, ts, ev.gen, sid);
            this.sweeps.delete(p);
          }
        } else if (open === undefined) {
          this.sweeps.set(p, this.open(t, ts, ev.rangeName(), "gc", null, ev.gen, sid));
        }
        return;
      }
      default: {
        // Mark assist (goroutine-scoped).
        const g = ev.rangeScopeID();
        if (!this.keepG(g)) return;
        const gi = this.getG(g);
        if (gi.assistTrack === null) {
          const gt = this.gTrack(gi);
          gi.assistTrack = this.mkTrack(Group.Goroutines, g * 2 + 1, `G${g} mark assist`, g * 2 + 1, false, "", gt.desc.uuid);
        }
        if (k === Kind.RangeEnd) {
          this.close(gi.assistTrack, gi.assist, ts, ev.gen, sid);
          gi.assist = null;
        } else if (gi.assist === null) {
          gi.assist = this.open(gi.assistTrack, ts, ev.rangeName(), "gc", null, ev.gen, sid);
        }
      }
    }
  }

  private taskTrack(ti: TaskInfo): Track {
    if (ti.track === null) {
      const tid = this.nextTaskTid++;
      ti.track = this.mkTrack(Group.Tasks, tid, `T${Event.taskString(ti.id)} ${ti.type}`, Math.min(ti.id, 2 ** 24) * GROUP_SORT_TASK, false, "", 0);
    }
    return ti.track;
  }

  private taskBegin(ev: Event, ts: number): void {
    const id = ev.taskID();
    if (!this.keepAnnotation(id, -2)) return;
    const ti = new TaskInfo(id, ev.taskType());
    this.tasks.set(id, ti);
    const a = this.args.clear().add("id", Event.taskString(id));
    const parent = ev.taskParent();
    if (parent !== NO_TASK && parent !== 0) a.add("parent", Event.taskString(parent));
    if (ev.g >= 0) a.add("goroutine", ev.g);
    ti.slice = this.open(this.taskTrack(ti), ts, ti.type, "task", a, ev.gen, ev.stackID());
    // A flow from the goroutine that began the task to the one that ends it,
    // written when the task ends (no dangling arrows for unfinished tasks).
    const gi = this.gs.get(ev.g);
    if (gi !== undefined && gi.track !== null && gi.stateSlice !== null && gi.stateSlice.emitted && this.inWindow(ts)) {
      ti.flowTrack = gi.track.desc.uuid;
      ti.flowTs = ts;
    }
  }

  private taskEnd(ev: Event, ts: number): void {
    const id = ev.taskID();
    if (!this.keepAnnotation(id, -2)) return;
    let ti = this.tasks.get(id);
    if (ti === undefined) {
      ti = new TaskInfo(id, ev.taskType());
      this.tasks.set(id, ti);
      const a = this.args.clear().add("id", Event.taskString(id));
      if (ev.g >= 0) a.add("end goroutine", ev.g);
      this.past(this.taskTrack(ti), ts, ti.type, "task", a, ev.gen, ev.stackID());
    } else {
      this.close(ti.track!, ti.slice, ts, ev.gen, ev.stackID());
      ti.slice = null;
      if (ti.flowTrack !== 0) {
        const gi = this.gs.get(ev.g);
        if (gi !== undefined && gi.track !== null && gi.stateSlice !== null && gi.stateSlice.emitted && this.inWindow(ts)) {
          const fid = ++this.flowSeq;
          this.sink.flow(ti.flowTrack, ti.flowTs, fid, "task", false);
          this.sink.flow(gi.track.desc.uuid, ts, fid, "task", true);
        }
      }
    }
    ti.ended = true;
    this.maybeDropTask(ti);
  }

  private maybeDropTask(ti: TaskInfo): void {
    if (!ti.ended) return;
    // Forget the task once its region tracks are idle.
    const prefix = `${ti.id}/`;
    let busy = false;
    if (ti.regionTracks > 0) {
      for (const [k, t] of this.regionTracks) {
        if (!k.startsWith(prefix)) continue;
        if (t.depth > 0) busy = true;
      }
      if (busy) return;
      for (const [k, t] of this.regionTracks) {
        if (!k.startsWith(prefix)) continue;
        this.regionTracks.delete(k);
        this.dropTrack(t);
      }
    }
    this.dropTrack(ti.track);
    this.tasks.delete(ti.id);
  }

  private regionBegin(ev: Event, ts: number): void {
    const g = ev.g;
    const gi = this.getG(g);
    const task = ev.regionTask();
    if (!this.keepAnnotation(task, g)) {
      gi.regions.push({ track: null as unknown as Track, slice: null, task });
      return;
    }
    const t = this.regionTrack(task, g);
    const a = this.args.clear();
    if (task !== 0) a.add("task", Event.taskString(task));
    a.add("goroutine", g);
    const s = this.open(t, ts, ev.regionType(), "region", a, ev.gen, ev.stackID());
    gi.regions.push({ track: t, slice: s, task });
  }

  private regionEnd(ev: Event, ts: number): void {
    const g = ev.g;
    const gi = this.getG(g);
    const task = ev.regionTask();
    const top = gi.regions.pop();
    if (top !== undefined) {
      if (top.slice !== null) this.close(top.track, top.slice, ts, ev.gen, ev.stackID());
      if (top.task !== 0) {
        const ti = this.tasks.get(top.task);
        if (ti !== undefined) this.maybeDropTask(ti);
      }
      if (gi.regions.length === 0 && gi.state === GoState.NotExist) this.gs.delete(g);
      return;
    }
    // The region began before the trace.
    if (!this.keepAnnotation(task, g)) return;
    const a = this.args.clear();
    if (task !== 0) a.add("task", Event.taskString(task));
    a.add("goroutine", g);
    this.past(this.regionTrack(task, g), ts, ev.regionType(), "region", a, ev.gen, ev.stackID());
  }

  private log(ev: Event, ts: number): void {
    const task = ev.logTask();
    const g = ev.g;
    if (!this.keepAnnotation(task, g)) return;
    const cat = ev.logCategory();
    const msg = ev.logMessage();
    const a = this.args.clear();
    if (cat !== "") a.add("category", cat);
    a.add("message", msg);
    if (task !== 0) a.add("task", Event.taskString(task));
    a.add("goroutine", g);
    this.instant(this.regionTrack(task, g), ts, cat === "" ? msg : `[${cat}] ${msg}`, "log", a, ev.gen, ev.stackID());
  }

  private sample(ev: Event, ts: number): void {
    let t: Track | null = null;
    const gi = ev.g >= 0 ? this.gs.get(ev.g) : undefined;
    if (gi !== undefined && this.keepG(ev.g)) t = this.gTrack(gi);
    else if (this.opts.goroutine !== null || this.opts.goroutines !== null || this.opts.annotationsOnly) return;
    else if (ev.p >= 0) t = this.procTrack(ev.p);
    else if (ev.m >= 0) t = this.threadTrack(ev.m);
    if (t === null) return;
    const a = this.args.clear();
    if (ev.g >= 0) a.add("goroutine", ev.g);
    if (ev.p >= 0) a.add("proc", ev.p);
    if (ev.m >= 0) a.add("thread", ev.m);
    this.instant(t, ts, "CPU sample", "cpu", a, ev.gen, ev.a0);
  }
}

/** The outermost function of a stack (a goroutine's start function). */
function rootFunc(gen: Generation, sid: number): string {
  const st = gen.stacks;
  const n = st.depth(sid);
  for (let i = n - 1; i >= 0; i--) {
    const f = st.frameOfPC.get(st.pc(sid, i));
    if (f === undefined) continue;
    const name = gen.strings.get(st.frameFunc[f]!) ?? "";
    if (name !== "runtime.goexit" || i === 0) return name;
  }
  return "";
}

/**
 * Finds the tasks of type `name` (and their descendants) and the goroutines
 * that took part in them: a first pass for --task.
 */
export class TaskCollector {
  readonly tasks = new Set<number>();
  readonly goroutines = new Set<number>();
  constructor(private readonly name: string) {}
  onEvent(ev: Event): void {
    switch (ev.kind) {
      case Kind.TaskBegin:
        if (ev.taskType() === this.name || this.tasks.has(ev.taskParent())) {
          this.tasks.add(ev.taskID());
          if (ev.g >= 0) this.goroutines.add(ev.g);
        }
        break;
      case Kind.TaskEnd:
        if (this.tasks.has(ev.taskID()) || ev.taskType() === this.name) {
          this.tasks.add(ev.taskID());
          if (ev.g >= 0) this.goroutines.add(ev.g);
        }
        break;
      case Kind.RegionBegin:
      case Kind.RegionEnd:
        if (this.tasks.has(ev.regionTask()) && ev.g >= 0) this.goroutines.add(ev.g);
        break;
      case Kind.Log:
        if (this.tasks.has(ev.logTask()) && ev.g >= 0) this.goroutines.add(ev.g);
        break;
    }
  }
}
