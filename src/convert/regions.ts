// Which parts of a goroutine's time a profile counts, when filtered by user
// regions (or tasks), computed while streaming.
//
// go tool trace's /regionblock, /regionio, /regionsyscall and /regionsched
// (cmd/trace pprofByRegion + pprofMatchingRegions) collect, per goroutine, the
// intervals of the matching regions, sort them by (start, end) and keep only
// the outermost non-overlapping ones; a sample counts for its overlap with
// them. Regions on one goroutine nest (ends pop the region stack), so the kept
// set is: the outermost matching regions, except that a region that began
// before the trace (its end arrives with an empty stack; it spans from the
// trace start) swallows everything before it, and later such regions are
// dropped. The first of those can arrive at any time, so samples of a
// goroutine that has not had one are held back (aggregated per record, so
// memory stays bounded) until it ends or one arrives.

import { Event } from "../decode/event.js";
import { GoState, Kind, ResourceKind, TYPE_KIND } from "../decode/spec.js";
import type { RegionSummary, SummarizerHooks } from "./summarizer.js";

/** Per-record pending amounts, for the two possible futures, committed and staged. */
export interface Pending {
  /** If a pre-trace region arrives: the sample is covered entirely. */
  nFull: number;
  dFull: number;
  /** Otherwise: what the known regions cover. */
  nKnown: number;
  dKnown: number;
  snFull: number;
  sdFull: number;
  snKnown: number;
  sdKnown: number;
}

export interface Sink<R> {
  /** Adds to a record (staged until the next commit). */
  add(rec: R, n: number, d: number, staged: boolean): void;
}

class GState<R> {
  /** The first matching pre-trace region was seen (or the goroutine ended): no more uncertainty. */
  resolved = false;
  /** Matching regions currently open, outermost first. */
  open: RegionSummary[] = [];
  /** Kept, closed intervals (disjoint, in time order). */
  a: number[] = [];
  b: number[] = [];
  pending: Map<R, Pending> | null = null;
}

/**
 * Tracks, per goroutine, the time covered by the regions that `match`, and
 * turns samples (time intervals or instants) into amounts.
 */
export class RegionClip<R> {
  private readonly gs = new Map<number, GState<R>>();
  /** Pending records with staged amounts (to commit at the next Sync). */
  private readonly dirty: Pending[] = [];
  traceStart = 0;
  /** Window, absolute reader times. */
  w0 = -Infinity;
  w1 = Infinity;

  constructor(
    private readonly match: (r: RegionSummary) => boolean,
    private readonly sink: Sink<R>,
  ) {}

  private st(id: number): GState<R> {
    let s = this.gs.get(id);
    if (s === undefined) {
      s = new GState<R>();
      this.gs.set(id, s);
    }
    return s;
  }

  hooks(): SummarizerHooks {
    return {
      regionBegin: (g, r) => {
        if (!this.match(r)) return;
        this.st(g.id).open.push(r);
      },
      regionEnd: (g, r, t) => {
        const s = this.gs.get(g.id);
        if (r.start === null) {
          if (!this.match(r)) return;
          const st = s ?? this.st(g.id);
          if (st.resolved) return; // a later pre-trace region: dropped by the greedy selection
          // Everything on this goroutine so far is covered.
          st.a = [this.traceStart];
          st.b = [t];
          st.open = [];
          this.resolve(st, true);
          return;
        }
        if (s === undefined || s.open.length === 0 || s.open[s.open.length - 1] !== r) return;
        s.open.pop();
        if (s.open.length === 0) {
          s.a.push(r.start);
          s.b.push(t);
        }
      },
      goroutineEnd: (g, kept, _dropped, t) => {
        const s = this.gs.get(g.id);
        if (s === undefined) return;
        if (s.open.length > 0) {
          if (kept.includes(s.open[0]!)) {
            s.a.push(s.open[0]!.start!);
            s.b.push(t ?? Infinity);
          }
          s.open = [];
        }
        this.resolve(s, false);
        // An ended goroutine has no more samples: forget it (memory stays
        // proportional to live goroutines).
        if (t !== null) this.gs.delete(g.id);
      },
    };
  }

  /** Settles a goroutine's pending amounts. */
  private resolve(s: GState<R>, full: boolean): void {
    s.resolved = true;
    const p = s.pending;
    if (p === null) return;
    s.pending = null;
    for (const [rec, x] of p) {
      if (full) {
        if (x.nFull > 0) this.sink.add(rec, x.nFull, x.dFull, false);
        if (x.snFull > 0) this.sink.add(rec, x.snFull, x.sdFull, true);
      } else {
        if (x.nKnown > 0) this.sink.add(rec, x.nKnown, x.dKnown, false);
        if (x.snKnown > 0) this.sink.add(rec, x.snKnown, x.sdKnown, true);
      }
    }
  }

  /** Covered length of [s, e] on goroutine `g` (window applied). */
  private cover(st: GState<R> | undefined, s: number, e: number): number {
    if (s < this.w0) s = this.w0;
    if (e > this.w1) e = this.w1;
    if (st === undefined || e < s) return 0;
    let sum = 0;
    const a = st.a;
    const b = st.b;
    for (let i = a.length - 1; i >= 0; i--) {
      const bi = b[i]!;
      if (bi < s) break;
      const lo = a[i]! > s ? a[i]! : s;
      const hi = bi < e ? bi : e;
      if (hi > lo) sum += hi - lo;
    }
    if (st.open.length > 0) {
      const lo = st.open[0]!.start! > s ? st.open[0]!.start! : s;
      if (e > lo) sum += e - lo;
    }
    return sum;
  }

  private pointIn(st: GState<R> | undefined, t: number): boolean {
    if (t < this.w0 || t > this.w1 || st === undefined) return false;
    if (st.open.length > 0 && t >= st.open[0]!.start!) return true;
    const a = st.a;
    const b = st.b;
    for (let i = a.length - 1; i >= 0; i--) {
      if (b[i]! < t) return false;
      if (a[i]! <= t) return true;
    }
    return false;
  }

  /** A sample of goroutine g over [s, e] for record `rec`. */
  interval(g: number, rec: R, s: number, e: number, staged: boolean): void {
    const st = this.gs.get(g);
    const known = this.cover(st, s, e);
    if (st !== undefined && st.resolved) {
      if (known > 0) this.sink.add(rec, 1, known, staged);
      this.prune(st, e);
      return;
    }
    const ws = s < this.w0 ? this.w0 : s;
    const we = e > this.w1 ? this.w1 : e;
    const full = we > ws ? we - ws : 0;
    if (full <= 0) return;
    this.addPending(this.st(g), rec, full, known, staged);
  }

  /** An instantaneous sample (value `d` each) of goroutine g at t. */
  point(g: number, rec: R, t: number, d: number, staged: boolean): void {
    const st = this.gs.get(g);
    const known = this.pointIn(st, t);
    if (st !== undefined && st.resolved) {
      if (known) this.sink.add(rec, 1, d, staged);
      return;
    }
    if (t < this.w0 || t > this.w1) return;
    this.addPending(this.st(g), rec, d, known ? d : 0, staged);
  }

  private addPending(st: GState<R>, rec: R, full: number, known: number, staged: boolean): void {
    if (st.pending === null) st.pending = new Map();
    let p = st.pending.get(rec);
    if (p === undefined) {
      p = { nFull: 0, dFull: 0, nKnown: 0, dKnown: 0, snFull: 0, sdFull: 0, snKnown: 0, sdKnown: 0 };
      st.pending.set(rec, p);
    }
    if (staged) {
      if (p.snFull === 0 && p.snKnown === 0) this.dirty.push(p);
      p.snFull++;
      p.sdFull += full;
      if (known > 0) {
        p.snKnown++;
        p.sdKnown += known;
      }
    } else {
      p.nFull++;
      p.dFull += full;
      if (known > 0) {
        p.nKnown++;
        p.dKnown += known;
      }
    }
  }

  /** Drops kept intervals that ended before t (no later sample can reach them). */
  private prune(st: GState<R>, t: number): void {
    if (st.a.length > 32 && st.b[st.b.length - 2]! < t) {
      // Keep the last one (a sample may still be in progress from before it).
      st.a = st.a.slice(-1);
      st.b = st.b.slice(-1);
    }
  }

  /** Staged pending amounts become committed (at a Sync). */
  commit(): void {
    for (const p of this.dirty) {
      p.nFull += p.snFull;
      p.dFull += p.sdFull;
      p.nKnown += p.snKnown;
      p.dKnown += p.sdKnown;
      p.snFull = p.sdFull = p.snKnown = p.sdKnown = 0;
    }
    this.dirty.length = 0;
  }

  /** Forgets staged pending amounts (the trace broke after the last Sync). */
  discard(): void {
    for (const p of this.dirty) p.snFull = p.sdFull = p.snKnown = p.sdKnown = 0;
    this.dirty.length = 0;
  }
}

/**
 * The default clipping of go tool trace -pprof: each goroutine counts only
 * from its first run to its end (or the trace end). A goroutine's samples end
 * at its own transitions, never after its end, so only the first run matters.
 * Samples of goroutines that have not run yet are held until they run (then
 * they are dropped: they lie before the start) or the trace ends (then they
 * count: the goroutine never ran, and its interval starts at time 0).
 *
 * Self-contained (it follows goroutine transitions itself, as the summarizer
 * does for StartTime) and lean: one number per live goroutine that has run,
 * forgotten when the goroutine exits.
 */
export class LifetimeClip<R> {
  /** Goroutine -> time of its first run (column 0). */
  private readonly started = new IntMap(1);
  private readonly pending = new Map<number, Map<R, { n: number; d: number; sn: number; sd: number }>>();
  private readonly dirty: { n: number; d: number; sn: number; sd: number }[] = [];
  w0 = -Infinity;
  w1 = Infinity;

  constructor(private readonly sink: Sink<R>) {}

  /**
   * Follows a goroutine transition (call after the sample it closes, if any,
   * has been given to interval()).
   */
  transition(g: number, from: number, to: number, t: number): void {
    if (from === to) return;
    const st = this.started;
    if (from === GoState.NotExist || from === GoState.Undetermined) {
      // A new goroutine summary: not started yet.
      if (st.size > 0) st.delete(g);
    }
    if (to === GoState.Running) {
      if (st.find(g) < 0) {
        st.col[0]![st.insert(g)] = t;
        if (this.pending.size > 0) this.pending.delete(g);
      }
    } else if (to === GoState.NotExist) {
      if (st.size > 0) st.delete(g);
    }
  }

  /**
   * A sample of goroutine g over [s, e] that ends with a transition to state
   * `to` (given to transition() right after).
   */
  interval(g: number, rec: R, s: number, e: number, staged: boolean, to: number): void {
    const slot = this.started.find(g);
    if (slot < 0) {
      // Its first run begins now: the sample lies wholly before it (dropped).
      if (to === GoState.Running) return;
      const ws = s < this.w0 ? this.w0 : s;
      const we = e > this.w1 ? this.w1 : e;
      if (we <= ws) return;
      let m = this.pending.get(g);
      if (m === undefined) {
        m = new Map();
        this.pending.set(g, m);
      }
      let p = m.get(rec);
      if (p === undefined) {
        p = { n: 0, d: 0, sn: 0, sd: 0 };
        m.set(rec, p);
      }
      if (staged) {
        if (p.sn === 0) this.dirty.push(p);
        p.sn++;
        p.sd += we - ws;
      } else {
        p.n++;
        p.d += we - ws;
      }
      return;
    }
    const start = this.started.col[0]![slot]!;
    let lo = start > s ? start : s;
    let hi = e;
    if (lo < this.w0) lo = this.w0;
    if (hi > this.w1) hi = this.w1;
    if (hi > lo) this.sink.add(rec, 1, hi - lo, staged);
  }

  /** End of trace: goroutines that never ran count whole. */
  finish(): void {
    for (const m of this.pending.values()) {
      for (const [rec, p] of m) {
        if (p.n > 0) this.sink.add(rec, p.n, p.d, false);
        if (p.sn > 0) this.sink.add(rec, p.sn, p.sd, true);
      }
    }
    this.pending.clear();
  }

  commit(): void {
    for (const p of this.dirty) {
      p.n += p.sn;
      p.d += p.sd;
      p.sn = p.sd = 0;
    }
    this.dirty.length = 0;
  }

  discard(): void {
    for (const p of this.dirty) p.sn = p.sd = 0;
    this.dirty.length = 0;
  }
}

/**
 * A hash map from integer keys (goroutine IDs and the like, exact up to 2^53)
 * to rows of numbers, in typed arrays: open addressing with linear probing and
 * backward-shift deletion, so lookups allocate nothing. `col[c][slot]` is
 * column c of the row at `slot` (as returned by find/insert, valid until the
 * next insert or delete). Memory follows the most keys live at once.
 */
export class IntMap {
  private keys: Float64Array;
  private used: Uint8Array;
  col: Float64Array[];
  size = 0;
  private mask: number;

  constructor(
    private readonly ncols: number,
    cap = 64,
  ) {
    this.keys = new Float64Array(cap);
    this.used = new Uint8Array(cap);
    this.col = [];
    for (let c = 0; c < ncols; c++) this.col.push(new Float64Array(cap));
    this.mask = cap - 1;
  }

  private home(k: number): number {
    const lo = k | 0;
    const hi = (k / 4294967296) | 0;
    return (Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 7) & this.mask;
  }

  /** The slot of key k, or -1. */
  find(k: number): number {
    const used = this.used;
    const keys = this.keys;
    let i = this.home(k);
    while (used[i] !== 0) {
      if (keys[i] === k) return i;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  /** The slot of key k, added (row zeroed) if absent. */
  insert(k: number): number {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const used = this.used;
    const keys = this.keys;
    let i = this.home(k);
    while (used[i] !== 0) {
      if (keys[i] === k) return i;
      i = (i + 1) & this.mask;
    }
    used[i] = 1;
    keys[i] = k;
    for (let c = 0; c < this.ncols; c++) this.col[c]![i] = 0;
    this.size++;
    return i;
  }

  /** Removes key k (returns whether it was there). */
  delete(k: number): boolean {
    const i = this.find(k);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  /** Removes the row at `slot`. */
  removeAt(slot: number): void {
    const used = this.used;
    const keys = this.keys;
    const mask = this.mask;
    let hole = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      if (used[j] === 0) break;
      const h = this.home(keys[j]!);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const inRange = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (inRange) continue;
      keys[hole] = keys[j]!;
      for (let c = 0; c < this.ncols; c++) this.col[c]![hole] = this.col[c]![j]!;
      hole = j;
    }
    used[hole] = 0;
    this.size--;
  }

  clear(): void {
    this.used.fill(0);
    this.size = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldUsed = this.used;
    const oldCol = this.col;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap);
    this.used = new Uint8Array(cap);
    this.col = [];
    for (let c = 0; c < this.ncols; c++) this.col.push(new Float64Array(cap));
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldUsed[i] === 0) continue;
      const s = this.insert(oldKeys[i]!);
      for (let c = 0; c < this.ncols; c++) this.col[c]![s] = oldCol[c]![i]!;
    }
  }
}

/**
 * Per event type, for goroutine state transitions: where the goroutine ID is
 * (GT_G: ev.g, GT_A0: ev.a0; 0: not a goroutine transition) and the constant
 * from/to states (-1: depends on the event; ask it). Computed once from
 * Event's own accessors, so the hot loop needs no switch per event.
 */
export const GT_G = 1;
export const GT_A0 = 2;
export const GT_RES = new Uint8Array(TYPE_KIND.length);
export const GT_FROM = new Int8Array(TYPE_KIND.length);
export const GT_TO = new Int8Array(TYPE_KIND.length);
(() => {
  const e = new Event();
  for (let t = 0; t < TYPE_KIND.length; t++) {
    if (TYPE_KIND[t] !== Kind.StateTransition) continue;
    e.type = t;
    if (e.transitionResourceKind() !== ResourceKind.Goroutine) continue;
    e.g = -7;
    e.a0 = -9;
    const r = e.transitionResource();
    GT_RES[t] = r === -7 ? GT_G : r === -9 ? GT_A0 : 0;
    const f: number[] = [];
    const to: number[] = [];
    for (let v = 0; v < 3; v++) {
      e.aux = e.a1 = e.a2 = v;
      f.push(e.transitionFrom());
      to.push(e.transitionTo());
    }
    GT_FROM[t] = f[0] === f[1] && f[1] === f[2] ? f[0]! : -1;
    GT_TO[t] = to[0] === to[1] && to[1] === to[2] ? to[0]! : -1;
  }
})();

