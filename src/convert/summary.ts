// The report behind `--to summary`: the tables of go tool trace's web UI
// (goroutines by start function, task and region latency, GC pauses, MMU),
// computed in one streaming pass over Go's summarizer (summarizer.ts).

import type { Event } from "../decode/event.js";
import { GoState, Kind, ResourceKind } from "../decode/spec.js";
import type { TopFrame } from "./exec-stats.js";
import { MMU_WINDOWS, report, type GoroutineGroup, type MMUPoint, type SummaryParts, type TraceSummary } from "./summary-report.js";

export { combineSummaries, histogramBucket, histogramBucketMin, latencyOf, report } from "./summary-report.js";
export type { GCSummary, GoroutineGroup, Latency, MMUPoint, PauseSummary, RegionTypeSummary, SummaryParts, TaskTypeSummary, TraceSummary } from "./summary-report.js";
import { MAX_PROCS, MMUCurve, MutatorUtilization, UTIL_DEFAULT } from "./mmu.js";
import { NO_TASK_ID, Summarizer, type GoroutineSummary, type RegionSummary } from "./summarizer.js";

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
  values(): Float64Array {
    return this.a.slice(0, this.n);
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

  /** The report (call once, after the last event). */
  finish(): TraceSummary {
    return report(this.parts());
  }

  /** The report's parts, durations kept (for combining several traces: combineSummaries). Call once. */
  parts(): SummaryParts {
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
    const tasks = [...byType.entries()].map(([type, x]) => ({ type, count: x.count, durations: x.d.values() }));
    const regions = [...this.regionGroups.values()].map((g) => ({ type: g.type, func: g.frame.func, file: g.frame.file, line: g.frame.line, pc: g.frame.pc, durations: g.d.values() }));
    const stwByReason = [...this.stw.entries()].map(([reason, d]) => ({ reason, durations: d.values() }));

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
      goroutines: [...this.groups.values()],
      tasks,
      regions,
      gc: { cycles: this.gcCycles, markTime: this.markTime, pauses: this.gcPauses.values(), stwByReason, assistTime: this.assist, sweepTime: this.sweep },
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
