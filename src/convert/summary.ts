// Goroutine, region and task summaries computed in one streaming pass, with
// the semantics of Go's internal/trace summarizer (the numbers behind go tool
// trace's /goroutines, /goroutine, /userregions and /usertasks pages).
//
// Times are the reader's ns values (Event.time). Go keeps absolute times and
// uses 0 to mean "not set"; that sentinel is `zero` here (the relative value
// of absolute time 0, normally 0 itself), so quirks of that convention (a
// goroutine first running at absolute time 0 counts as never started) are
// reproduced faithfully.

import type { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import { GoState, Kind, NONE, ProcState, ResourceKind } from "../decode/spec.js";
import { MAX_PROCS, MMUCurve, MutatorUtilization, UTIL_DEFAULT } from "./mmu.js";

/** Non-overlapping time accounting of a goroutine (or of a region on it). */
export class ExecStats {
  exec = 0;
  schedWait = 0;
  blockByReason = new Map<string, number>();
  syscall = 0;
  syscallBlock = 0;
  /** Presence in the trace; overlaps the others. */
  total = 0;
  /** Time inside special ranges (GC mark assist, sweep, STW); overlaps the others. */
  rangeTime = new Map<string, number>();

  clone(): ExecStats {
    const r = new ExecStats();
    r.exec = this.exec;
    r.schedWait = this.schedWait;
    r.blockByReason = new Map(this.blockByReason);
    r.syscall = this.syscall;
    r.syscallBlock = this.syscallBlock;
    r.total = this.total;
    r.rangeTime = new Map(this.rangeTime);
    return r;
  }

  /** this - v, over the keys of `this` (as Go's sub). */
  sub(v: ExecStats): ExecStats {
    const r = this.clone();
    r.exec -= v.exec;
    r.schedWait -= v.schedWait;
    for (const [k, d] of r.blockByReason) r.blockByReason.set(k, d - (v.blockByReason.get(k) ?? 0));
    r.syscall -= v.syscall;
    r.syscallBlock -= v.syscallBlock;
    r.total -= v.total;
    for (const [k, d] of r.rangeTime) r.rangeTime.set(k, d - (v.rangeTime.get(k) ?? 0));
    return r;
  }

  /** What TotalTime does not account for, floored at 0. */
  unknown(): number {
    let sum = this.exec + this.schedWait + this.syscall + this.syscallBlock;
    for (const d of this.blockByReason.values()) sum += d;
    return sum < this.total ? this.total - sum : 0;
  }

  /** The stats as go tool trace's breakdown tables name them. */
  nonOverlapping(): Map<string, number> {
    const m = new Map<string, number>([
      ["Execution time", this.exec],
      ["Sched wait time", this.schedWait],
      ["Syscall execution time", this.syscall],
      ["Block time (syscall)", this.syscallBlock],
      ["Unknown time", this.unknown()],
    ]);
    for (const [r, d] of this.blockByReason) {
      const k = `Block time (${r})`;
      m.set(k, (m.get(k) ?? 0) + d);
    }
    return m;
  }
}

function addTo(m: Map<string, number>, k: string, d: number): void {
  m.set(k, (m.get(k) ?? 0) + d);
}

/** The outermost frame of a stack, which identifies a region's or goroutine's start point. */
export interface TopFrame {
  pc: number;
  func: string;
  file: string;
  line: number;
}

const NO_FRAME: TopFrame = { pc: 0, func: "", file: "", line: 0 };

/** One instance of a user region on a goroutine (Go's UserRegionSummary). */
export interface RegionSummary {
  goroutine: number;
  taskID: number;
  name: string;
  /** Start time, or null when the region began before the trace (fabricated from its end). */
  start: number | null;
  /** Outermost frame of the start event's stack (zero frame when none). */
  startFrame: TopFrame;
  /**
   * End time, or null when still open at the end of the trace. A region still
   * open when its goroutine ends gets the goroutine's end time.
   */
  end: number | null;
  /** True for the implicit region a new goroutine gets from its creator's innermost region. */
  synthetic: boolean;
  /** Stats accumulated between start and end (only with SummarizerOptions.stats). */
  stats: ExecStats | null;
}

interface Live {
  lastStartTime: number;
  lastRunnableTime: number;
  lastBlockTime: number;
  lastBlockReason: string;
  lastSyscallTime: number;
  lastSyscallBlockTime: number;
  /** Created on the first range. */
  lastRangeTime: Map<string, number> | null;
  activeRegions: RegionSummary[];
}

export class GoroutineSummary {
  id: number;
  /** Function of the outermost frame of the first transition stack seen ("" if none). */
  name = "";
  pc = 0;
  creationTime: number;
  /** First transition to Running (`zero` if never). */
  startTime: number;
  /** Exit, or block "forever" (`zero` if neither). */
  endTime: number;
  stats = new ExecStats();
  /** Number of regions that ended on this goroutine (or were open at its end). */
  regionCount = 0;
  /** Regions, kept only with SummarizerOptions.keepRegions. */
  regions: RegionSummary[] = [];
  live: Live | null;
  /** Set once finalize has run (Go zeroes the live state but keeps using it). */
  finalized = false;

  constructor(id: number, zero: number, creation: number) {
    this.id = id;
    this.creationTime = creation;
    this.startTime = zero;
    this.endTime = zero;
    this.live = newLive(zero);
  }
}

function newLive(zero: number): Live {
  return {
    lastStartTime: zero,
    lastRunnableTime: zero,
    lastBlockTime: zero,
    lastBlockReason: "",
    lastSyscallTime: zero,
    lastSyscallBlockTime: zero,
    lastRangeTime: null,
    activeRegions: [],
  };
}

/** Go's zeroing of the pending state, in place. */
function resetLive(l: Live, zero: number): void {
  l.lastStartTime = zero;
  l.lastRunnableTime = zero;
  l.lastBlockTime = zero;
  l.lastBlockReason = "";
  l.lastSyscallTime = zero;
  l.lastSyscallBlockTime = zero;
  l.lastRangeTime = null;
  l.activeRegions = [];
}

/** A task (Go's UserTaskSummary), without the event lists. */
export interface TaskSummary {
  id: number;
  name: string;
  parent: TaskSummary | null;
  children: TaskSummary[];
  /** Begin / end times, null when not in the trace. */
  start: number | null;
  end: number | null;
  startG: number;
  endG: number;
  logs: number;
  regions: number;
  goroutines: Set<number>;
}

/** Go's IsSystemGoroutine on a goroutine name. */
export function isSystemGoroutine(entryFn: string): boolean {
  return entryFn === "" || (entryFn !== "runtime.main" && entryFn.startsWith("runtime."));
}

export interface SummarizerHooks {
  /** A region was pushed on a goroutine's region stack (begin, or inherited at creation). */
  regionBegin?(g: GoroutineSummary, r: RegionSummary, time: number): void;
  /** A region was popped by a region end (r.start === null: fabricated, began before the trace). */
  regionEnd?(g: GoroutineSummary, r: RegionSummary, time: number): void;
  /**
   * A goroutine was finalized (exit, block "forever", or end of trace with
   * `time === null`); `kept` are the still-open regions that became part of
   * its region list (none for system goroutines).
   */
  goroutineEnd?(g: GoroutineSummary, kept: RegionSummary[], dropped: RegionSummary[], time: number | null): void;
  /** A goroutine entered the summary (creation, or first sighting). */
  goroutineNew?(g: GoroutineSummary): void;
  /** A goroutine's name became known. */
  goroutineNamed?(g: GoroutineSummary): void;
  /** A goroutine started running for the first time (startTime just set). */
  goroutineStarted?(g: GoroutineSummary): void;
}

export interface SummarizerOptions {
  /** Compute time statistics (exec, block, ...); off for callers that need only lifetimes and regions. */
  stats?: boolean;
  /** Compute each region's statistics (RegionSummary.stats); default: as `stats`. */
  regionStats?: boolean;
  /** Keep every region in GoroutineSummary.regions. */
  keepRegions?: boolean;
  /** Track tasks. */
  tasks?: boolean;
  hooks?: SummarizerHooks;
}

export class Summarizer {
  readonly gs = new Map<number, GoroutineSummary>();
  readonly tasks = new Map<number, TaskSummary>();
  private readonly syscallingP = new Map<number, number>();
  private readonly syscallingG = new Map<number, number>();
  private readonly rangesP = new Map<string, number>();
  /** The relative time of absolute time 0 ("unset" in Go's summaries). */
  zero = 0;
  lastTs = 0;
  syncTs = 0;
  /** Time of the first event. */
  firstTs = 0;
  private started = false;
  private readonly stats: boolean;
  private readonly regionStats: boolean;
  private readonly keepRegions: boolean;
  private readonly trackTasks: boolean;
  private readonly hooks: SummarizerHooks;

  constructor(opts: SummarizerOptions = {}) {
    this.stats = opts.stats !== false;
    this.regionStats = this.stats && opts.regionStats !== false;
    this.keepRegions = opts.keepRegions === true;
    this.trackTasks = opts.tasks !== false;
    this.hooks = opts.hooks ?? {};
  }

  /** Must be called before the first event when the reader's timeBase is not 0. */
  setTimeBase(timeBase: bigint): void {
    this.zero = -Number(timeBase);
    if (!this.started) {
      this.lastTs = this.zero;
      this.syncTs = this.zero;
    }
  }

  event(ev: Event): void {
    const t = ev.time;
    if (!this.started) {
      this.started = true;
      this.firstTs = t;
    }
    const zero = this.zero;
    if (this.syncTs === zero) this.syncTs = t;
    this.lastTs = t;
    switch (ev.kind) {
      case Kind.Sync:
        this.syncTs = t;
        break;
      case Kind.StateTransition:
        if (ev.transitionResourceKind() === ResourceKind.Goroutine) this.goTransition(ev, t);
        else this.procTransition(ev, t);
        break;
      case Kind.RangeBegin:
      case Kind.RangeActive:
        if (this.stats) this.rangeBegin(ev, t);
        break;
      case Kind.RangeEnd:
        if (this.stats) this.rangeEnd(ev, t);
        break;
      case Kind.RegionBegin:
        this.regionBegin(ev, t);
        break;
      case Kind.RegionEnd:
        this.regionEnd(ev, t);
        break;
      case Kind.TaskBegin:
      case Kind.TaskEnd:
        if (this.trackTasks) this.taskEvent(ev, t);
        break;
      case Kind.Log:
        if (this.trackTasks) {
          const task = this.getOrAddTask(ev.logTask());
          task.goroutines.add(ev.g);
          task.logs++;
        }
        break;
    }
  }

  private newG(id: number, creation: number): GoroutineSummary {
    const g = new GoroutineSummary(id, this.zero, creation);
    this.gs.set(id, g);
    this.hooks.goroutineNew?.(g);
    return g;
  }

  private goTransition(ev: Event, t: number): void {
    const from = ev.transitionFrom();
    const to = ev.transitionTo();
    if (from === to) return;
    const id = ev.transitionResource();
    const zero = this.zero;
    const stats = this.stats;
    let g = this.gs.get(id);
    switch (from) {
      case GoState.Undetermined: {
        g = this.newG(id, this.syncTs);
        if (stats) {
          // Time since the last sync is credited to the state we find it in.
          const d = t - this.syncTs;
          const s = g.stats;
          switch (to) {
            case GoState.Running:
              s.exec += d;
              break;
            case GoState.Waiting:
              addTo(s.blockByReason, ev.transitionReason(), d);
              break;
            case GoState.Runnable:
              s.schedWait += d;
              break;
            case GoState.Syscall:
              if (ev.p === NONE) s.syscallBlock += d;
              else s.syscall += d;
              break;
          }
        }
        break;
      }
      case GoState.NotExist: {
        g = this.newG(id, t);
        // A new goroutine inherits the task of its creator's innermost region.
        const creator = this.gs.get(ev.g);
        if (creator !== undefined && creator.live !== null && creator.live.activeRegions.length > 0) {
          const regs = creator.live.activeRegions;
          const top = regs[regs.length - 1]!;
          const r: RegionSummary = {
            goroutine: id,
            taskID: top.taskID,
            name: "",
            start: t,
            startFrame: outerFrame(ev, ev.stackID()),
            end: null,
            synthetic: true,
            stats: this.regionStats ? new ExecStats() : null,
          };
          g.live!.activeRegions.push(r);
          this.hooks.regionBegin?.(g, r, t);
        }
        break;
      }
      default: {
        if (g === undefined) {
          // Go would dereference nil here; be lenient.
          g = this.newG(id, t);
        }
        const l = g.live;
        if (l === null) break;
        switch (from) {
          case GoState.Running:
            if (stats) g.stats.exec += t - l.lastStartTime;
            l.lastStartTime = zero;
            break;
          case GoState.Waiting:
            if (l.lastBlockTime !== zero) {
              if (stats) addTo(g.stats.blockByReason, l.lastBlockReason, t - l.lastBlockTime);
              l.lastBlockTime = zero;
            }
            break;
          case GoState.Runnable:
            if (l.lastRunnableTime !== zero) {
              if (stats) g.stats.schedWait += t - l.lastRunnableTime;
              l.lastRunnableTime = zero;
            }
            break;
          case GoState.Syscall:
            if (l.lastSyscallTime !== zero) {
              if (stats) {
                if (l.lastSyscallBlockTime !== zero) {
                  g.stats.syscallBlock += t - l.lastSyscallBlockTime;
                  g.stats.syscall += l.lastSyscallBlockTime - l.lastSyscallTime;
                } else {
                  g.stats.syscall += t - l.lastSyscallTime;
                }
              }
              l.lastSyscallTime = zero;
              l.lastSyscallBlockTime = zero;
              const p = this.syscallingG.get(id);
              this.syscallingP.delete(p ?? 0);
              this.syscallingG.delete(id);
            }
            break;
        }
      }
    }

    if (g.name === "") {
      const f = outerFrame(ev, ev.transitionStackID());
      if (f !== NO_FRAME) {
        g.pc = f.pc;
        g.name = f.func;
        if (g.name !== "") this.hooks.goroutineNamed?.(g);
      }
    }

    const l = g.live;
    switch (to) {
      case GoState.Running:
        if (l !== null) l.lastStartTime = t;
        if (g.startTime === zero) {
          g.startTime = t;
          if (t !== zero) this.hooks.goroutineStarted?.(g);
        }
        break;
      case GoState.Runnable:
        if (l !== null) l.lastRunnableTime = t;
        break;
      case GoState.Waiting: {
        const reason = ev.transitionReason();
        if (reason !== "forever") {
          if (l !== null) {
            l.lastBlockTime = t;
            l.lastBlockReason = reason;
          }
          break;
        }
        this.finalize(g, t, t);
        break;
      }
      case GoState.NotExist:
        this.finalize(g, t, t);
        break;
      case GoState.Syscall:
        this.syscallingP.set(ev.p, id);
        this.syscallingG.set(id, ev.p);
        if (l !== null) l.lastSyscallTime = t;
        break;
    }
  }

  private procTransition(ev: Event, t: number): void {
    const from = ev.transitionFrom();
    const to = ev.transitionTo();
    if (from !== to && to === ProcState.Idle) {
      const id = ev.transitionResource();
      const goid = this.syscallingP.get(id);
      if (goid !== undefined) {
        const g = this.gs.get(goid);
        if (g !== undefined && g.live !== null) g.live.lastSyscallBlockTime = t;
        this.syscallingP.delete(id);
      }
    }
  }

  private rangeBegin(ev: Event, t: number): void {
    const name = ev.rangeName();
    let g: GoroutineSummary | undefined;
    switch (ev.rangeScopeKind()) {
      case ResourceKind.Goroutine:
        g = this.gs.get(ev.rangeScopeID());
        break;
      case ResourceKind.Proc:
        g = this.gs.get(ev.g);
        if (g !== undefined) this.rangesP.set(ev.rangeScopeID() + "\0" + name, ev.g);
        break;
    }
    if (g === undefined || g.live === null) return;
    let lrt = g.live.lastRangeTime;
    if (lrt === null) lrt = g.live.lastRangeTime = new Map();
    if (ev.kind === Kind.RangeActive) {
      const ts = lrt.get(name);
      if (ts !== undefined && ts !== this.zero) addTo(g.stats.rangeTime, name, this.syncTs - ts);
      lrt.set(name, this.syncTs);
    } else {
      lrt.set(name, t);
    }
  }

  private rangeEnd(ev: Event, t: number): void {
    const name = ev.rangeName();
    let g: GoroutineSummary | undefined;
    switch (ev.rangeScopeKind()) {
      case ResourceKind.Goroutine:
        g = this.gs.get(ev.rangeScopeID());
        break;
      case ResourceKind.Proc: {
        const key = ev.rangeScopeID() + "\0" + name;
        const goid = this.rangesP.get(key);
        if (goid !== undefined) {
          if (goid === ev.g) g = this.gs.get(goid);
          this.rangesP.delete(key);
        }
        break;
      }
    }
    if (g === undefined || g.live === null) return;
    const lrt = g.live.lastRangeTime;
    const ts = lrt?.get(name);
    if (lrt === null || ts === undefined || ts === this.zero) return;
    addTo(g.stats.rangeTime, name, t - ts);
    lrt.delete(name);
  }

  private regionBegin(ev: Event, t: number): void {
    const g = this.gs.get(ev.g);
    if (g === undefined) return;
    const r: RegionSummary = {
      goroutine: g.id,
      taskID: ev.regionTask(),
      name: ev.regionType(),
      start: t,
      startFrame: outerFrame(ev, ev.stackID()),
      end: null,
      synthetic: false,
      stats: this.regionStats ? this.snapshot(g, t) : null,
    };
    if (g.live === null) g.live = newLive(this.zero);
    g.live.activeRegions.push(r);
    if (this.trackTasks) {
      const task = this.getOrAddTask(r.taskID);
      task.regions++;
      task.goroutines.add(g.id);
    }
    this.hooks.regionBegin?.(g, r, t);
  }

  private regionEnd(ev: Event, t: number): void {
    const g = this.gs.get(ev.g);
    if (g === undefined) return;
    if (g.live === null) g.live = newLive(this.zero);
    const stk = g.live.activeRegions;
    let r: RegionSummary;
    if (stk.length > 0) {
      r = stk.pop()!;
    } else {
      r = {
        goroutine: g.id,
        taskID: ev.regionTask(),
        name: ev.regionType(),
        start: null,
        startFrame: NO_FRAME,
        end: null,
        synthetic: false,
        stats: this.regionStats ? new ExecStats() : null,
      };
      if (this.trackTasks) {
        const task = this.getOrAddTask(r.taskID);
        task.goroutines.add(g.id);
        task.regions++;
      }
    }
    if (this.regionStats) r.stats = this.snapshot(g, t).sub(r.stats!);
    r.end = t;
    this.addRegion(g, r);
    this.hooks.regionEnd?.(g, r, t);
  }

  private addRegion(g: GoroutineSummary, r: RegionSummary): void {
    g.regionCount++;
    if (this.keepRegions) g.regions.push(r);
  }

  private taskEvent(ev: Event, t: number): void {
    const id = ev.taskID();
    const task = this.getOrAddTask(id);
    task.name = ev.taskType();
    task.goroutines.add(ev.g);
    if (ev.kind === Kind.TaskBegin) {
      task.start = t;
      task.startG = ev.g;
    } else {
      task.end = t;
      task.endG = ev.g;
    }
    const parent = ev.taskParent();
    if (parent !== NO_TASK_ID && task.parent === null) {
      const p = this.getOrAddTask(parent);
      task.parent = p;
      p.children.push(task);
    }
  }

  getOrAddTask(id: number): TaskSummary {
    let task = this.tasks.get(id);
    if (task === undefined) {
      task = { id, name: "", parent: null, children: [], start: null, end: null, startG: NONE, endG: NONE, logs: 0, regions: 0, goroutines: new Set() };
      this.tasks.set(id, task);
    }
    return task;
  }

  /** Go's snapshotStat: the stats so far, with pending states closed at `ts`. */
  snapshot(g: GoroutineSummary, ts: number): ExecStats {
    const r = g.stats.clone();
    this.accrue(r, g, ts);
    return r;
  }

  /** Adds to `r` (g's stats or a copy) what g's pending states hold at `ts`. */
  private accrue(r: ExecStats, g: GoroutineSummary, ts: number): void {
    const l = g.live;
    if (l === null) return;
    const zero = this.zero;
    if (g.stats.total === 0) r.total = ts - g.creationTime;
    if (l.lastStartTime !== zero) r.exec += ts - l.lastStartTime;
    if (l.lastRunnableTime !== zero) r.schedWait += ts - l.lastRunnableTime;
    if (l.lastBlockTime !== zero) addTo(r.blockByReason, l.lastBlockReason, ts - l.lastBlockTime);
    if (l.lastSyscallTime !== zero) r.syscall += ts - l.lastSyscallTime;
    if (l.lastSyscallBlockTime !== zero) r.schedWait += ts - l.lastSyscallBlockTime;
    if (l.lastRangeTime !== null) for (const [name, rt] of l.lastRangeTime) addTo(r.rangeTime, name, ts - rt);
  }

  private finalize(g: GoroutineSummary, lastTs: number, trigger: number | null): void {
    if (trigger !== null) g.endTime = trigger;
    const l = g.live;
    // The final stats: the pending states closed at lastTs (in place).
    if (this.stats) this.accrue(g.stats, g, lastTs);
    const final = g.stats;
    const kept: RegionSummary[] = [];
    const dropped: RegionSummary[] = [];
    if (l !== null) {
      const sys = isSystemGoroutine(g.name);
      for (const r of l.activeRegions) {
        if (sys) {
          dropped.push(r);
          continue;
        }
        r.end = trigger;
        if (this.regionStats) r.stats = final.sub(r.stats!);
        this.addRegion(g, r);
        kept.push(r);
      }
    }
    // Go zeroes the pending state but keeps it.
    if (l !== null) resetLive(l, this.zero);
    else g.live = newLive(this.zero);
    g.finalized = true;
    this.hooks.goroutineEnd?.(g, kept, dropped, trigger);
  }

  /** Ends the analysis: closes every goroutine at the last event's time. */
  finish(): void {
    for (const g of this.gs.values()) {
      this.finalize(g, this.lastTs, null);
      g.live = null;
    }
  }
}

const NO_TASK_ID = -1;

/** Outermost frames, per generation and stack ID (shared objects: do not modify). */
const frameCache = new WeakMap<Generation, Map<number, TopFrame>>();

function outerFrame(ev: Event, sid: number): TopFrame {
  const gen = ev.gen;
  if (sid <= 0 || gen === null) return NO_FRAME;
  let m = frameCache.get(gen);
  if (m === undefined) {
    m = new Map();
    frameCache.set(gen, m);
  }
  let f = m.get(sid);
  if (f === undefined) {
    const st = gen.stacks;
    const n = st.depth(sid);
    if (n === 0) f = NO_FRAME;
    else {
      const pc = st.pc(sid, n - 1);
      const i = st.frameOfPC.get(pc)!;
      f = { pc, func: gen.strings.get(st.frameFunc[i]!) ?? "", file: gen.strings.get(st.frameFile[i]!) ?? "", line: st.frameLine[i]! };
    }
    m.set(sid, f);
  }
  return f;
}

// ---- The report behind `--to summary` ----

/** Latency distribution of a set of durations (ns). Percentiles are nearest-rank. */
export interface Latency {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
  /**
   * go tool trace's duration histogram: [bucket lower bound (ns), count] for
   * every non-empty bucket (buckets grow by 10^(1/5)).
   */
  histogram: [number, number][];
}

/** Goroutines grouped by start function (go tool trace's /goroutines and /goroutine pages). */
export interface GoroutineGroup {
  /** Function of the goroutine's outermost frame ("" when no stack was ever seen). */
  name: string;
  count: number;
  /** Sum of the time the goroutines were present in the trace. */
  total: number;
  exec: number;
  schedWait: number;
  /** Blocked on channels, select, sync primitives (reasons with "chan", "sync" or "select"). */
  syncBlock: number;
  /** Blocked on the network poller ("network"). */
  networkBlock: number;
  /** Blocked for other reasons (sleep, GC waits, ...). */
  otherBlock: number;
  syscall: number;
  /** In a syscall after losing the P. */
  syscallBlock: number;
  /** Time not accounted for by the states above. */
  unknown: number;
  /** Time inside GC ranges (mark assist, sweep, stop-the-world); overlaps the other columns. */
  gc: number;
  blockByReason: Record<string, number>;
  rangeTime: Record<string, number>;
}

export interface TaskTypeSummary {
  type: string;
  /** All tasks of this type seen (complete or not). */
  count: number;
  /** Latency of the complete tasks (begin and end both in the trace). */
  latency: Latency;
}

export interface RegionTypeSummary {
  type: string;
  /** The outermost frame of the region's start stack (go tool trace groups by type and this frame). */
  func: string;
  file: string;
  line: number;
  pc: number;
  /** Latency of every region of the group; a region without a begin (or end) runs from the trace start (to the trace end), as go tool trace counts it. */
  latency: Latency;
}

export interface PauseSummary {
  /** Range name, e.g. "stop-the-world (GC mark termination)". */
  reason: string;
  latency: Latency;
}

export interface GCSummary {
  /** GC cycles that began in the trace. */
  cycles: number;
  /** Time in the concurrent mark phase (a phase already active at the start counts from the trace start). */
  markTime: number;
  /** Stop-the-world pauses of the GC (the ranges go tool trace's MMU counts). */
  pauses: Latency;
  /** Every stop-the-world range, by reason (GC or not). */
  stwByReason: PauseSummary[];
  /** Total time of goroutines in mark assist, and in incremental sweeping. */
  assistTime: number;
  sweepTime: number;
}

export interface MMUPoint {
  window: number;
  mmu: number;
  /** Start of the worst window, ns after the trace start. */
  at: number;
}

export interface TraceSummary {
  /** First and last event (reader ns) and the span between them. */
  start: number;
  end: number;
  duration: number;
  goroutines: GoroutineGroup[];
  tasks: TaskTypeSummary[];
  regions: RegionTypeSummary[];
  gc: GCSummary;
  /** Minimum mutator utilization, counting STW, background mark workers and mark assists (the web UI's default). */
  mmu: MMUPoint[];
  /** Where a computation was bounded because of implausible values in the trace (empty for sound traces). */
  notes: string[];
}

const LOG_DIV = Math.log(Math.pow(10, 1 / 5));

/** go tool trace's histogram bucket of a duration. */
export function histogramBucket(d: number): number {
  return d > 0 ? Math.trunc(Math.log(d) / LOG_DIV) : 0;
}

/** Lower bound (ns) of a histogram bucket, as go tool trace labels it. */
export function histogramBucketMin(b: number): number {
  return Math.trunc(Math.exp(b * LOG_DIV));
}

/** Latency summary of durations (sorts the array in place). */
export function latencyOf(ds: number[] | Float64Array): Latency {
  const a = ds instanceof Float64Array ? ds : Float64Array.from(ds);
  a.sort();
  const n = a.length;
  const rank = (q: number) => (n === 0 ? 0 : a[Math.max(0, Math.ceil(q * n) - 1)]!);
  let total = 0;
  const buckets = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    total += a[i]!;
    const b = histogramBucket(a[i]!);
    buckets.set(b, (buckets.get(b) ?? 0) + 1);
  }
  const histogram: [number, number][] = [...buckets.entries()].sort((x, y) => x[0] - y[0]).map(([b, c]) => [histogramBucketMin(b), c]);
  return { count: n, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: n === 0 ? 0 : a[n - 1]!, total, histogram };
}

/** A growable list of durations. */
class Durations {
  a = new Float64Array(8);
  n = 0;
  push(d: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.n * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = d;
  }
  latency(): Latency {
    return latencyOf(this.a.slice(0, this.n));
  }
}

interface RegionGroup {
  type: string;
  frame: TopFrame;
  d: Durations;
}

interface TaskEntry {
  name: string;
  start: number | null;
  end: number | null;
}

const MMU_WINDOWS = [1e6, 10e6, 100e6, 1e9];

/**
 * Computes the summary report in one pass: feed every event to `event`, then
 * call `finish`. Memory: one record per goroutine, task and region type, the
 * durations of regions, tasks and STW pauses (8 bytes each), and the mutator
 * utilization changes.
 */
export class SummaryBuilder {
  readonly summarizer: Summarizer;
  private readonly util: MutatorUtilization;
  private readonly tasks = new Map<number, TaskEntry>();
  private readonly regionGroups = new Map<string, RegionGroup>();
  private readonly frameKeys = new WeakMap<TopFrame, string>();
  /** Regions still open at the end of the trace: their end is the trace end. */
  private readonly openAtEnd: { g: RegionGroup; start: number | null }[] = [];
  private readonly stwOpen = new Map<string, number>();
  private readonly stw = new Map<string, Durations>();
  private readonly gcPauses = new Durations();
  private gcCycles = 0;
  private assist = 0;
  private sweep = 0;
  private markTime = 0;
  private markStart: number | null = null;
  private started = false;
  private first = 0;
  private last = 0;
  /** Goroutines that exited, folded into their group (and dropped from the summarizer). */
  private readonly groups = new Map<string, GoroutineGroup>();
  /** Creation times of exited goroutines whose total time Go fills in at the end (quirk: exit at creation). */
  private readonly zeroTotal = new Map<GoroutineGroup, number[]>();

  constructor() {
    this.summarizer = new Summarizer({
      stats: true,
      regionStats: false,
      tasks: false,
      hooks: {
        regionEnd: (_g, r, t) => {
          if (r.start === null) this.task(r.taskID);
          this.regionDone(r, t);
        },
        goroutineEnd: (_g, kept, _dropped, t) => {
          for (const r of kept) this.regionDone(r, t);
        },
      },
    });
    this.util = new MutatorUtilization(UTIL_DEFAULT);
  }

  private task(id: number): TaskEntry {
    let e = this.tasks.get(id);
    if (e === undefined) {
      e = { name: "", start: null, end: null };
      this.tasks.set(id, e);
    }
    return e;
  }

  private regionDone(r: RegionSummary, end: number | null): void {
    const f = r.startFrame;
    let fk = this.frameKeys.get(f);
    if (fk === undefined) {
      fk = `${f.pc}\0${f.func}\0${f.file}\0${f.line}`;
      this.frameKeys.set(f, fk);
    }
    const key = r.name + "\0" + fk;
    let g = this.regionGroups.get(key);
    if (g === undefined) {
      g = { type: r.name, frame: f, d: new Durations() };
      this.regionGroups.set(key, g);
    }
    if (end === null) this.openAtEnd.push({ g, start: r.start });
    else g.d.push(end - (r.start ?? this.first));
  }

  event(ev: Event, reader?: { timeBase: bigint }): void {
    const t = ev.time;
    if (!this.started) {
      this.started = true;
      this.first = t;
      if (reader !== undefined) this.summarizer.setTimeBase(reader.timeBase);
    }
    this.last = t;
    switch (ev.kind) {
      case Kind.TaskBegin:
      case Kind.TaskEnd: {
        const e = this.task(ev.taskID());
        e.name = ev.taskType();
        if (ev.kind === Kind.TaskBegin) e.start = t;
        else e.end = t;
        const parent = ev.taskParent();
        if (parent !== NO_TASK_ID) this.task(parent);
        break;
      }
      case Kind.Log:
        this.task(ev.logTask());
        break;
      case Kind.RegionBegin:
        if (this.summarizer.gs.has(ev.g)) this.task(ev.regionTask());
        break;
      case Kind.RangeBegin:
      case Kind.RangeActive:
      case Kind.RangeEnd:
        this.range(ev, t);
        break;
    }
    this.summarizer.event(ev);
    this.util.event(ev);
    // An exited goroutine has its final numbers (no later event names it:
    // goroutine IDs are not reused): fold it into its group to keep memory flat.
    if (ev.kind === Kind.StateTransition && ev.transitionTo() === GoState.NotExist && ev.transitionResourceKind() === ResourceKind.Goroutine) {
      const id = ev.transitionResource();
      const g = this.summarizer.gs.get(id);
      if (g !== undefined && g.finalized) {
        this.fold(g);
        this.summarizer.gs.delete(id);
      }
    }
  }

  private group(name: string): GoroutineGroup {
    let gr = this.groups.get(name);
    if (gr === undefined) {
      gr = {
        name,
        count: 0,
        total: 0,
        exec: 0,
        schedWait: 0,
        syncBlock: 0,
        networkBlock: 0,
        otherBlock: 0,
        syscall: 0,
        syscallBlock: 0,
        unknown: 0,
        gc: 0,
        blockByReason: {},
        rangeTime: {},
      };
      this.groups.set(name, gr);
    }
    return gr;
  }

  private fold(g: GoroutineSummary): void {
    const gr = this.group(g.name);
    const st = g.stats;
    gr.count++;
    if (st.total === 0) {
      // Go's final pass sets a zero total to (trace end - creation); settle it in finish().
      let z = this.zeroTotal.get(gr);
      if (z === undefined) this.zeroTotal.set(gr, (z = []));
      z.push(g.creationTime);
      z.push(st.exec + st.schedWait + st.syscall + st.syscallBlock + sumValues(st.blockByReason));
    } else {
      gr.total += st.total;
      gr.unknown += st.unknown();
    }
    gr.exec += st.exec;
    gr.schedWait += st.schedWait;
    gr.syscall += st.syscall;
    gr.syscallBlock += st.syscallBlock;
    for (const [reason, d] of st.blockByReason) {
      gr.blockByReason[reason] = (gr.blockByReason[reason] ?? 0) + d;
      if (reason === "network") gr.networkBlock += d;
      else if (reason.includes("chan") || reason.includes("sync") || reason.includes("select")) gr.syncBlock += d;
      else gr.otherBlock += d;
    }
    for (const [name, d] of st.rangeTime) {
      gr.rangeTime[name] = (gr.rangeTime[name] ?? 0) + d;
      gr.gc += d;
      if (name === "GC mark assist") this.assist += d;
      else if (name === "GC incremental sweep") this.sweep += d;
    }
  }

  private range(ev: Event, t: number): void {
    const name = ev.rangeName();
    if (name === "GC concurrent mark phase") {
      if (ev.kind === Kind.RangeEnd) {
        if (this.markStart !== null) this.markTime += t - this.markStart;
        this.markStart = null;
      } else {
        if (ev.kind === Kind.RangeBegin) this.gcCycles++;
        if (this.markStart === null) this.markStart = ev.kind === Kind.RangeBegin ? t : this.first;
      }
      return;
    }
    if (!name.startsWith("stop-the-world")) return;
    const key = `${ev.rangeScopeKind()}:${ev.rangeScopeID()}\0${name}`;
    if (ev.kind === Kind.RangeEnd) {
      const s = this.stwOpen.get(key);
      if (s === undefined) return;
      this.stwOpen.delete(key);
      let d = this.stw.get(name);
      if (d === undefined) {
        d = new Durations();
        this.stw.set(name, d);
      }
      d.push(t - s);
      if (name.includes("GC")) this.gcPauses.push(t - s);
    } else {
      this.stwOpen.set(key, ev.kind === Kind.RangeBegin ? t : this.first);
    }
  }

  finish(): TraceSummary {
    const s = this.summarizer;
    s.finish();
    const end = this.last;
    for (const o of this.openAtEnd) o.g.d.push(end - (o.start ?? this.first));
    this.openAtEnd.length = 0;
    if (this.markStart !== null) this.markTime += end - this.markStart;

    // Goroutines by start function: the exited ones are folded already.
    for (const g of s.gs.values()) this.fold(g);
    for (const [gr, z] of this.zeroTotal) {
      for (let i = 0; i < z.length; i += 2) {
        const total = end - z[i]!;
        gr.total += total;
        if (total > z[i + 1]!) gr.unknown += total - z[i + 1]!;
      }
    }
    const assist = this.assist;
    const sweep = this.sweep;
    const goroutines = [...this.groups.values()].sort((a, b) => b.exec - a.exec || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    // Tasks by type.
    const byType = new Map<string, { count: number; d: Durations }>();
    for (const e of this.tasks.values()) {
      let x = byType.get(e.name);
      if (x === undefined) {
        x = { count: 0, d: new Durations() };
        byType.set(e.name, x);
      }
      x.count++;
      if (e.start !== null && e.end !== null) x.d.push(e.end - e.start);
    }
    const tasks = [...byType.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([type, x]) => ({ type, count: x.count, latency: x.d.latency() }));

    const regions = [...this.regionGroups.values()]
      .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.frame.pc - b.frame.pc))
      .map((g) => ({ type: g.type, func: g.frame.func, file: g.frame.file, line: g.frame.line, pc: g.frame.pc, latency: g.d.latency() }));

    const stwByReason = [...this.stw.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([reason, d]) => ({ reason, latency: d.latency() }));

    const duration = this.started ? end - this.first : 0;
    const series = this.util.finish();
    const curve = new MMUCurve(series);
    const mmu: MMUPoint[] = [];
    // No series: the trace never said how many Ps there are (old formats), as go tool trace finds too.
    const windows = series.length === 0 ? [] : MMU_WINDOWS.filter((w) => w <= duration);
    if (series.length > 0 && windows.length === 0 && duration > 0) windows.push(duration);
    for (const w of windows) {
      const ex = curve.examples(w, 1);
      mmu.push({ window: w, mmu: ex.length > 0 ? ex[0]!.util : curve.mmu(w), at: ex.length > 0 ? ex[0]!.time - this.first : 0 });
    }
    const notes: string[] = [];
    if (this.util.procsCapped) notes.push(`GOMAXPROCS above ${MAX_PROCS} in the trace: the MMU counts ${MAX_PROCS} Ps`);
    if (this.util.approximate) notes.push("too many GC ranges active at the trace start to count them all: the MMU values are upper bounds");
    if (curve.approximate) notes.push("the MMU search stopped at its step bound (implausible timestamps): its values are upper bounds");

    return {
      start: this.first,
      end,
      duration,
      goroutines,
      tasks,
      regions,
      gc: { cycles: this.gcCycles, markTime: this.markTime, pauses: this.gcPauses.latency(), stwByReason, assistTime: assist, sweepTime: sweep },
      mmu,
      notes,
    };
  }
}

function sumValues(m: Map<string, number>): number {
  let t = 0;
  for (const v of m.values()) t += v;
  return t;
}
