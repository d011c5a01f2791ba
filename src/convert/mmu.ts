// Minimum mutator utilization (MMU), as go tool trace's /mmu page computes it.
//
// Two steps, following the algorithm of Go's internal/trace (gc.go):
//  1. MutatorUtilization turns the event stream into a step function: the
//     fraction of Ps running user code, recorded only when it changes (at a
//     GC / STW / mark-assist / background-worker transition), so its memory
//     is proportional to the number of GC state changes, not events.
//  2. MMUCurve answers "what is the lowest mean utilization over any window
//     of length w?" by dividing each series into at most 1000 bands, bounding
//     the utilization of every window starting in a band, and refining only
//     the bands whose bound is below the best minimum found so far.
// Times are the reader's ns values (Event.time); only differences matter.

import type { Event } from "../decode/event.js";
import { GoState, Kind, NONE, ResourceKind } from "../decode/spec.js";

/** What counts as "not mutator" (Go's trace.UtilFlags). */
export const UtilSTW = 1;
export const UtilBackground = 2;
export const UtilAssist = 4;
export const UtilSweep = 8;
/** One series per P instead of one for the whole program. */
export const UtilPerProc = 16;
/** The web UI's default view: system-wide, STW + background workers + mark assist. */
export const UTIL_DEFAULT = UtilSTW | UtilBackground | UtilAssist;

/** A step function: util[i] holds from time[i] until time[i+1]. */
export class UtilSeries {
  time: Float64Array = new Float64Array(16);
  util: Float64Array = new Float64Array(16);
  length = 0;

  /** Records a change (Go's addUtil: no-op if unchanged; the lowest value wins at one instant). */
  add(t: number, u: number): void {
    const n = this.length;
    if (n > 0) {
      const last = this.util[n - 1]!;
      if (u === last) return;
      if (t === this.time[n - 1]) {
        if (u < last) this.util[n - 1] = u;
        return;
      }
    }
    if (n === this.time.length) {
      const t2 = new Float64Array(n * 2);
      t2.set(this.time);
      this.time = t2;
      const u2 = new Float64Array(n * 2);
      u2.set(this.util);
      this.util = u2;
    }
    this.time[n] = t;
    this.util[n] = u;
    this.length = n + 1;
  }
}

function isGCSTW(name: string): boolean {
  return name.startsWith("stop-the-world") && name.includes("GC");
}

function executing(s: number | undefined): boolean {
  return s === GoState.Running || s === GoState.Syscall;
}

interface PerP {
  gc: number;
  series: number;
}

/** The most Ps the utilization counts (GOMAXPROCS values above it come from damaged traces). */
export const MAX_PROCS = 1 << 16;

/** Point updates allowed for ranges found active at the trace start (sound traces need a few thousand). */
const RANGE_ACTIVE_WORK = 50_000_000;

/** Builds mutator utilization series from events (Go's MutatorUtilizationV2), streaming. */
export class MutatorUtilization {
  private readonly out: UtilSeries[] = [];
  private stw = 0;
  private readonly ps: PerP[] = [];
  /** Ps with gc > 0. */
  private gcPs = 0;
  private readonly inGC = new Set<number>();
  private readonly states = new Map<number, number>();
  private readonly bgMark = new Set<number>();
  private readonly procTimes: number[] = [];
  private readonly procCounts: number[] = [];
  private nSync = 0;
  private lastTime = 0;
  private seen = false;
  /** True when the trace gave a GOMAXPROCS above MAX_PROCS (counted as MAX_PROCS). */
  procsCapped = false;
  /** True when ranges active at the trace start were past RANGE_ACTIVE_WORK and not all were counted. */
  approximate = false;
  private rangeActiveWork = 0;

  constructor(readonly flags: number = UTIL_DEFAULT) {}

  private gcAdd(p: number, d: number): void {
    const pp = this.ps[p];
    if (pp === undefined) return;
    const before = pp.gc > 0;
    pp.gc += d;
    const after = pp.gc > 0;
    if (before !== after) this.gcPs += after ? 1 : -1;
  }

  event(ev: Event): void {
    const flags = this.flags;
    const perProc = (flags & UtilPerProc) !== 0;
    const t = ev.time;
    this.lastTime = t;
    this.seen = true;
    const kind = ev.kind;
    const ps = this.ps;
    // Other events change no state: Go records the current utilization again,
    // which is a no-op unless a lower value at the same instant hid it.
    if (!perProc && kind !== Kind.StateTransition && kind !== Kind.RangeBegin && kind !== Kind.RangeEnd && kind !== Kind.RangeActive && kind !== Kind.Label && kind !== Kind.Metric && kind !== Kind.Sync) {
      if (ps.length > 0) {
        const u = 1 - (this.stw > 0 ? ps.length : this.gcPs) / ps.length;
        const s = this.out[0]!;
        if (s.util[s.length - 1] !== u) s.add(t, u);
      }
      return;
    }
    if (kind === Kind.Sync) {
      this.nSync = ev.syncN();
    } else if (kind === Kind.Metric && ev.metricName() === "/sched/gomaxprocs:threads") {
      let n = ev.metricValue();
      // A per-P table follows this value: bound it (a damaged trace can say 2^64).
      if (n > MAX_PROCS) {
        n = MAX_PROCS;
        this.procsCapped = true;
      }
      if (ps.length > n) {
        for (let i = n; i < ps.length; i++) {
          if (perProc) this.out[ps[i]!.series]!.add(t, 0);
          if (ps[i]!.gc > 0) this.gcPs--;
        }
        ps.length = n;
      }
      while (ps.length < n) {
        let series = 0;
        if (perProc || this.out.length === 0) {
          series = this.out.length;
          const s = new UtilSeries();
          s.add(t, 1);
          this.out.push(s);
        }
        ps.push({ gc: 0, series });
      }
      const pc = this.procCounts;
      if (pc.length === 0 || pc[pc.length - 1] !== n) {
        this.procTimes.push(t);
        pc.push(n);
      }
    }
    if (ps.length === 0) return;

    switch (kind) {
      case Kind.RangeActive:
        if (this.nSync > 1) break;
        this.rangeActive(ev);
        this.rangeBegin(ev);
        break;
      case Kind.RangeBegin:
        this.rangeBegin(ev);
        break;
      case Kind.RangeEnd: {
        const name = ev.rangeName();
        if ((flags & UtilSTW) !== 0 && isGCSTW(name)) this.stw--;
        else if ((flags & UtilSweep) !== 0 && name === "GC incremental sweep") this.gcAdd(ev.p, -1);
        else if ((flags & UtilAssist) !== 0 && name === "GC mark assist") {
          this.gcAdd(ev.p, -1);
          if (ev.rangeScopeKind() === ResourceKind.Goroutine) this.inGC.delete(ev.rangeScopeID());
        }
        break;
      }
      case Kind.StateTransition: {
        if (ev.transitionResourceKind() !== ResourceKind.Goroutine) break;
        const g = ev.transitionResource();
        if (this.inGC.has(g) || this.bgMark.has(g)) {
          const from = executing(ev.transitionFrom());
          const to = executing(ev.transitionTo());
          if (!from && to) this.gcAdd(ev.p, 1);
          else if (from && !to) this.gcAdd(ev.p, -1);
        }
        // States matter only for ranges found active in the first generation.
        if (this.nSync <= 1) this.states.set(g, ev.transitionTo());
        break;
      }
      case Kind.Label:
        if ((flags & UtilBackground) !== 0) {
          const l = ev.label();
          if (l.startsWith("GC ") && l !== "GC (idle)" && !(perProc && l === "GC (dedicated)")) {
            this.bgMark.add(ev.g);
            this.gcAdd(ev.p, 1);
          }
        }
        break;
    }

    if (!perProc) {
      const gc = this.stw > 0 ? ps.length : this.gcPs;
      this.out[0]!.add(t, 1 - gc / ps.length);
    } else {
      for (const p of ps) this.out[p.series]!.add(t, this.stw > 0 || p.gc > 0 ? 0 : 1);
    }
  }

  private rangeActive(ev: Event): void {
    // A range found in progress at the start of the trace: it was active from
    // the start, so take this P's share off everything recorded so far.
    const flags = this.flags;
    const name = ev.rangeName();
    const assist = (flags & UtilAssist) !== 0 && name === "GC mark assist";
    const sweep = (flags & UtilSweep) !== 0 && name === "GC incremental sweep";
    if (assist) {
      if (!executing(this.states.get(ev.g))) return;
    } else if (!sweep) {
      return;
    }
    if ((flags & UtilPerProc) !== 0) return;
    const s = this.out[0]!;
    // Each such range rewrites every point so far: bound the total (a damaged
    // trace can hold a range per goroutine between state changes).
    this.rangeActiveWork += s.length;
    if (this.rangeActiveWork > RANGE_ACTIVE_WORK) {
      this.approximate = true;
      return;
    }
    const times = this.procTimes;
    const counts = this.procCounts;
    let pi = 0;
    for (let mi = 0; mi < s.length; ) {
      if (pi < counts.length - 1 && times[pi + 1]! < s.time[mi]!) {
        pi++;
        continue;
      }
      let u = s.util[mi]! - 1 / counts[pi]!;
      if (u < 0) u = 0;
      s.util[mi] = u;
      mi++;
    }
  }

  private rangeBegin(ev: Event): void {
    const flags = this.flags;
    const name = ev.rangeName();
    if ((flags & UtilSTW) !== 0 && isGCSTW(name)) this.stw++;
    else if ((flags & UtilSweep) !== 0 && name === "GC incremental sweep") this.gcAdd(ev.p, 1);
    else if ((flags & UtilAssist) !== 0 && name === "GC mark assist") {
      this.gcAdd(ev.p, 1);
      if (ev.rangeScopeKind() === ResourceKind.Goroutine) {
        const g = ev.rangeScopeID();
        if (g !== NONE) this.inGC.add(g);
      }
    }
  }

  /** The series, each ending with utilization 0 at the last event (empty when there were no events). */
  finish(): UtilSeries[] {
    if (!this.seen) return [];
    for (const p of this.ps) this.out[p.series]!.add(this.lastTime, 0);
    return this.out;
  }
}

// ---- The MMU curve ----

const BANDS_PER_SERIES = 1000;
/** Refinement steps allowed per series point and band, over all queries of one curve (see MMUCurve.budget). */
const MMU_STEPS_PER_POINT = 64;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
/** The smallest float64 greater than x (x finite, >= 0 or negative). */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  u64[0] = x > 0 ? u64[0]! + 1n : u64[0]! - 1n;
  return f64[0]!;
}

class Series {
  readonly time: Float64Array;
  readonly util: Float64Array;
  readonly n: number;
  /** sums[j]: integral of the utilization from time[0] to time[j]. */
  readonly sums: Float64Array;
  readonly bandDur: number;
  readonly bandMin: Float64Array;
  readonly bandCum: Float64Array;
  readonly bandPos: Int32Array;

  constructor(s: UtilSeries) {
    const n = s.length;
    this.n = n;
    this.time = s.time.subarray(0, n);
    this.util = s.util.subarray(0, n);
    const sums = new Float64Array(n);
    let prevT = 0;
    let prevU = 0;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const t = this.time[j]!;
      sum += prevU * (t - prevT);
      sums[j] = sum;
      prevT = t;
      prevU = this.util[j]!;
    }
    this.sums = sums;
    const numBands = Math.min(BANDS_PER_SERIES, n);
    const dur = this.time[n - 1]! - this.time[0]!;
    let bandDur = Math.floor((dur + numBands - 1) / numBands);
    if (bandDur < 1) bandDur = 1;
    this.bandDur = bandDur;
    this.bandMin = new Float64Array(numBands + 1);
    this.bandCum = new Float64Array(numBands + 1);
    this.bandPos = new Int32Array(numBands + 1);
    const left = new Integrator(this, 0);
    for (let i = 0; i <= numBands; i++) {
      const start = this.bandStart(i);
      const end = start + bandDur;
      const cum = left.advance(start);
      let minUtil = 1;
      for (let k = left.pos; k < n && this.time[k]! < end; k++) {
        const u = this.util[k]!;
        if (u < minUtil) minUtil = u;
      }
      this.bandMin[i] = minUtil;
      this.bandCum[i] = cum;
      this.bandPos[i] = left.pos;
    }
  }

  bandStart(i: number): number {
    return i * this.bandDur + this.time[0]!;
  }

  get duration(): number {
    return this.time[this.n - 1]! - this.time[0]!;
  }
}

class Integrator {
  constructor(
    readonly s: Series,
    /** Index of the current time's non-strict predecessor. */
    public pos: number,
  ) {}

  /** Integral of the utilization from the series start to `t` (t must not decrease). */
  advance(t: number): number {
    const time = this.s.time;
    const n = this.s.n;
    let pos = this.pos;
    if (pos + 8 < n && time[pos + 8]! > t) {
      while (pos + 1 < n && time[pos + 1]! <= t) pos++;
    } else {
      let l = pos;
      let r = n;
      while (l < r) {
        const h = (l + r) >>> 1;
        if (time[h]! <= t) l = h + 1;
        else r = h;
      }
      pos = l - 1;
    }
    this.pos = pos;
    let partial = 0;
    if (t !== time[pos]) partial = this.s.util[pos]! * (t - time[pos]!);
    return this.s.sums[pos]! + partial;
  }

  /** The first change strictly after t. */
  next(t: number): number {
    const time = this.s.time;
    for (let i = this.pos; i < this.s.n; i++) if (time[i]! > t) return time[i]!;
    return Number.MAX_SAFE_INTEGER;
  }
}

/** A window of the lowest utilization. */
export interface UtilWindow {
  /** Start of the window (reader ns). */
  time: number;
  util: number;
}

class Accumulator {
  mmu = 1;
  bound = 1;
  /** The worst disjoint windows, when nWorst > 0 (kept sorted, worst first). */
  worst: UtilWindow[] = [];
  constructor(readonly nWorst: number) {}

  /** Adds a point of the windowed utilization; true when nothing more can change the answer. */
  add(time: number, mu: number, window: number): boolean {
    if (mu < this.mmu) this.mmu = mu;
    this.bound = this.mmu;
    if (this.nWorst === 0) return mu === 0;
    const w = this.worst;
    const full = w.length >= this.nWorst;
    if (!full || mu < w[w.length - 1]!.util) {
      let keep = false;
      for (let i = 0; i < w.length; i++) {
        const ui = w[i]!;
        if (time + window > ui.time && ui.time + window > time) {
          if (ui.util <= mu) keep = true;
          else w.splice(i, 1);
          break;
        }
      }
      if (!keep) {
        let j = w.length;
        while (j > 0 && w[j - 1]!.util > mu) j--;
        w.splice(j, 0, { time, util: mu });
        if (w.length > this.nWorst) w.pop();
      }
    }
    if (w.length < this.nWorst) this.bound = 1;
    else this.bound = Math.max(this.bound, w[w.length - 1]!.util);
    return w.length === this.nWorst && w[w.length - 1]!.util === 0;
  }
}

/** Minimum mutator utilization over window sizes (Go's MMUCurve). */
export class MMUCurve {
  private readonly series: Series[];
  /**
   * Steps of the refinement left for this curve: a fixed multiple of its
   * points, so that the work is bounded by the input whatever the timestamps.
   * Well-formed series need far fewer (each step reaches the next change of
   * a band); when it runs out, the answers are upper bounds and
   * `approximate` is set.
   */
  private budget: number;
  /** True when a refinement stopped early (see `budget`). */
  approximate = false;

  /** `maxSteps` replaces the default budget (tests). */
  constructor(utils: UtilSeries[], maxSteps?: number) {
    this.series = utils.filter((u) => u.length > 0).map((u) => new Series(u));
    let points = 0;
    for (const s of this.series) points += s.n + s.bandMin.length;
    this.budget = maxSteps ?? MMU_STEPS_PER_POINT * points + 1_000_000;
  }

  /** Lowest mean utilization over all windows of `window` ns (1 when there is no data). */
  mmu(window: number): number {
    const acc = new Accumulator(0);
    this.run(window, acc);
    return acc.mmu;
  }

  /** Up to n disjoint windows of the lowest utilization, worst first. */
  examples(window: number, n: number): UtilWindow[] {
    const acc = new Accumulator(n);
    this.run(window, acc);
    return acc.worst;
  }

  private run(window: number, acc: Accumulator): void {
    if (window <= 0) {
      acc.mmu = 0;
      return;
    }
    const bs: number[] = [];
    const bi: number[] = [];
    const bu: number[] = [];
    const windows: number[] = [];
    this.series.forEach((s, si) => {
      const w = Math.min(window, s.duration);
      windows.push(w);
      if (w <= 0) return;
      const minBands = Math.floor((w + s.bandDur - 1) / s.bandDur);
      const maxBands = Math.floor((w + 2 * (s.bandDur - 1)) / s.bandDur);
      const tailDur = w % s.bandDur;
      const nUtil = Math.max(0, s.bandMin.length - maxBands + 1);
      for (let i = 0; i < nUtil; i++) {
        const l = s.bandMin[i]!;
        const r1 = s.bandMin[i + minBands - 1]!;
        const r2 = s.bandMin[i + maxBands - 1]!;
        const minBand = Math.min(l, Math.min(r1, r2));
        let util = 0;
        if (minBands === 1) {
          util += minBand * w;
        } else {
          util += minBand * s.bandDur;
          let mid = 0;
          if (minBand === l) mid = Math.min(r1, r2);
          else if (minBand === r1) mid = Math.min(l, r2);
          else mid = Math.min(l, r1);
          util += mid * tailDur;
        }
        if (minBands > 2) util += s.bandCum[i + minBands - 1]! - s.bandCum[i + 1]!;
        bs.push(si);
        bi.push(i);
        bu.push(util / w);
      }
    });
    // Refine bands from the lowest bound up, until no band can beat the minimum.
    const order = Array.from(bu.keys()).sort((a, b) => bu[a]! - bu[b]! || a - b);
    for (const k of order) {
      if (!(bu[k]! < acc.bound)) break;
      const si = bs[k]!;
      this.bandMMU(this.series[si]!, bi[k]!, windows[si]!, acc);
    }
  }

  private bandMMU(s: Series, band: number, window: number, acc: Accumulator): void {
    const left = new Integrator(s, s.bandPos[band]!);
    const right = new Integrator(s, s.bandPos[band]!);
    let time = s.bandStart(band);
    let endTime = time + s.bandDur;
    const utilEnd = s.time[s.n - 1]! - window;
    if (utilEnd < endTime) endTime = utilEnd;
    for (;;) {
      if (--this.budget < 0) {
        this.approximate = true;
        break;
      }
      const mu = (right.advance(time + window) - left.advance(time)) / window;
      if (acc.add(time, mu, window)) break;
      if (time === endTime) break;
      const minTime = time + Math.trunc((mu - acc.bound) * window);
      const t1 = left.next(time);
      const t2 = right.next(time + window) - window;
      let next = t1 < t2 ? t1 : t2;
      if (next < minTime) next = minTime;
      // Go steps in int64 ns; in float64, past 2^53 ns (damaged timestamps)
      // "the next change minus the window" can round back onto `time`, and
      // the loop would never end. Always move forward, by at least one ulp.
      if (!(next > time)) next = nextUp(time);
      time = next >= endTime ? endTime : next;
    }
  }
}
