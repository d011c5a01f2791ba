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
import { GoState, Kind, NONE, ProcState, ResourceKind } from "../decode/spec.js";
import { addTo, ExecStats, NO_FRAME, outerFrame, type TopFrame } from "./exec-stats.js";

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


export const NO_TASK_ID = -1;
