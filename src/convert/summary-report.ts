// The summary report's types, and how a report is made from a trace's parts
// (durations kept), or from several traces' parts combined: counts and times
// add up, percentiles are computed over the union of the durations, the MMU
// of a window is the lowest of any trace.

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
  /** Combined summaries: the trace the worst window is in. */
  trace?: string;
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
  /** Combined summaries (several traces): each trace, with its span. Start and end are then 0 and the summed duration. */
  traces?: { name: string; start: number; end: number; duration: number }[];
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

export const MMU_WINDOWS = [1e6, 10e6, 100e6, 1e9];

/** A trace's summary before percentiles: durations kept, so that several traces combine exactly. */
export interface SummaryParts {
  start: number;
  end: number;
  duration: number;
  goroutines: GoroutineGroup[];
  tasks: { type: string; count: number; durations: Float64Array }[];
  regions: { type: string; func: string; file: string; line: number; pc: number; durations: Float64Array }[];
  gc: { cycles: number; markTime: number; pauses: Float64Array; stwByReason: { reason: string; durations: Float64Array }[]; assistTime: number; sweepTime: number };
  mmu: MMUPoint[];
  notes: string[];
  traces?: { name: string; start: number; end: number; duration: number }[];
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The report of one trace's parts, or of combined parts. */
export function report(p: SummaryParts): TraceSummary {
  const s: TraceSummary = {
    start: p.start,
    end: p.end,
    duration: p.duration,
    goroutines: [...p.goroutines].sort((a, b) => b.exec - a.exec || byString(a.name, b.name)),
    tasks: [...p.tasks].sort((a, b) => byString(a.type, b.type)).map((t) => ({ type: t.type, count: t.count, latency: latencyOf(t.durations) })),
    regions: [...p.regions]
      .sort((a, b) => byString(a.type, b.type) || a.pc - b.pc)
      .map((r) => ({ type: r.type, func: r.func, file: r.file, line: r.line, pc: r.pc, latency: latencyOf(r.durations) })),
    gc: {
      cycles: p.gc.cycles,
      markTime: p.gc.markTime,
      pauses: latencyOf(p.gc.pauses),
      stwByReason: [...p.gc.stwByReason].sort((a, b) => byString(a.reason, b.reason)).map((x) => ({ reason: x.reason, latency: latencyOf(x.durations) })),
      assistTime: p.gc.assistTime,
      sweepTime: p.gc.sweepTime,
    },
    mmu: p.mmu,
    notes: p.notes,
  };
  if (p.traces !== undefined) s.traces = p.traces;
  return s;
}

function concat(a: Float64Array, b: Float64Array): Float64Array<ArrayBuffer> {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function addGroup(into: GoroutineGroup, g: GoroutineGroup): void {
  into.count += g.count;
  into.total += g.total;
  into.exec += g.exec;
  into.schedWait += g.schedWait;
  into.syncBlock += g.syncBlock;
  into.networkBlock += g.networkBlock;
  into.otherBlock += g.otherBlock;
  into.syscall += g.syscall;
  into.syscallBlock += g.syscallBlock;
  into.unknown += g.unknown;
  into.gc += g.gc;
  for (const [k, d] of Object.entries(g.blockByReason)) into.blockByReason[k] = (into.blockByReason[k] ?? 0) + d;
  for (const [k, d] of Object.entries(g.rangeTime)) into.rangeTime[k] = (into.rangeTime[k] ?? 0) + d;
}

/**
 * Several traces' parts as one: goroutine groups by start function, tasks by
 * type, regions by type and start location (function, file and line: the
 * same code in different builds), pauses by reason; times and counts summed,
 * durations joined; for each MMU window the lowest of the traces that have it
 * (and which trace). Notes name their trace.
 */
export function combineSummaries(list: { name: string; part: SummaryParts }[]): SummaryParts {
  const groups = new Map<string, GoroutineGroup>();
  const tasks = new Map<string, { type: string; count: number; durations: Float64Array }>();
  const regions = new Map<string, SummaryParts["regions"][number]>();
  const stw = new Map<string, Float64Array>();
  const mmu = new Map<number, MMUPoint>();
  const gc = { cycles: 0, markTime: 0, pauses: new Float64Array(0) as Float64Array, stwByReason: [] as { reason: string; durations: Float64Array }[], assistTime: 0, sweepTime: 0 };
  const notes: string[] = [];
  const traces: NonNullable<SummaryParts["traces"]> = [];
  let duration = 0;
  for (const { name, part: p } of list) {
    duration += p.duration;
    traces.push({ name, start: p.start, end: p.end, duration: p.duration });
    for (const g of p.goroutines) {
      let x = groups.get(g.name);
      if (x === undefined) {
        x = { ...g, count: 0, total: 0, exec: 0, schedWait: 0, syncBlock: 0, networkBlock: 0, otherBlock: 0, syscall: 0, syscallBlock: 0, unknown: 0, gc: 0, blockByReason: {}, rangeTime: {} };
        groups.set(g.name, x);
      }
      addGroup(x, g);
    }
    for (const t of p.tasks) {
      const x = tasks.get(t.type);
      if (x === undefined) tasks.set(t.type, { type: t.type, count: t.count, durations: t.durations });
      else {
        x.count += t.count;
        x.durations = concat(x.durations, t.durations);
      }
    }
    for (const r of p.regions) {
      const key = `${r.type}\0${r.func}\0${r.file}\0${r.line}`;
      const x = regions.get(key);
      if (x === undefined) regions.set(key, { ...r });
      else x.durations = concat(x.durations, r.durations);
    }
    gc.cycles += p.gc.cycles;
    gc.markTime += p.gc.markTime;
    gc.assistTime += p.gc.assistTime;
    gc.sweepTime += p.gc.sweepTime;
    gc.pauses = concat(gc.pauses, p.gc.pauses);
    for (const x of p.gc.stwByReason) stw.set(x.reason, concat(stw.get(x.reason) ?? new Float64Array(0), x.durations));
    for (const m of p.mmu) {
      const x = mmu.get(m.window);
      if (x === undefined || m.mmu < x.mmu) mmu.set(m.window, { window: m.window, mmu: m.mmu, at: m.at, trace: m.trace ?? name });
    }
    for (const n of p.notes) notes.push(`${name}: ${n}`);
  }
  gc.stwByReason = [...stw.entries()].map(([reason, durations]) => ({ reason, durations }));
  return {
    start: 0,
    end: duration,
    duration,
    goroutines: [...groups.values()],
    tasks: [...tasks.values()],
    regions: [...regions.values()],
    gc,
    mmu: [...mmu.values()].sort((a, b) => a.window - b.window),
    notes,
    traces,
  };
}
