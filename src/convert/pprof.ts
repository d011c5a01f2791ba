// pprof-like profiles from a trace, computed while streaming:
//
// - the four "time spent in a goroutine state" profiles of go tool trace
//   (-pprof=net|sync|syscall|sched, and the web UI's /io, /block, /syscall,
//   /sched and their /region* variants), with the same samples;
// - a CPU profile from the trace's CPU samples.
//
// Memory: stacks are interned by content (a small per-generation cache maps
// a generation's stack IDs to them), samples are aggregated per interned
// stack (and label set), and per-goroutine state is kept only for goroutines
// being tracked. Nothing here grows with the length of the trace, only with
// the number of distinct stacks, label sets and live goroutines.
//
// No Node APIs: the encoder lives in src/sinks/pprof.ts.

import type { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import { Ev, GoState, Kind, TYPE_KIND } from "../decode/spec.js";
import type { StackFrame } from "../decode/tables.js";
import { GT_FROM, GT_G, GT_RES, GT_TO, IntMap, LifetimeClip, RegionClip, type Sink } from "./regions.js";
import { Summarizer, type RegionSummary } from "./summarizer.js";

export type StateProfileKind = "net" | "sync" | "syscall" | "sched";
export type ProfileKind = StateProfileKind | "cpu";

export const PROFILE_KINDS: readonly ProfileKind[] = ["net", "sync", "syscall", "sched", "cpu"];

/** Go's stack deduplication depth (frames beyond it are not compared). */
const MAX_STACK = 128;

/**
 * Stacks interned by their exact PC lists ("variants"), each belonging to a
 * group: Go deduplicates profile records by the first 128 PCs padded with
 * zeros, so PC lists that differ only by trailing zero PCs (an empty stack and
 * a one-frame stack at PC 0) share a record.
 */
export class StackInterner {
  /** Variant -> its PCs (leaf first). */
  readonly stacks: number[][] = [];
  /** Variant -> its group (the record key). */
  readonly group: number[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly groups = new Map<string, number>();
  /** PC -> frame (the first one seen wins, as in Go's profile builder). */
  readonly frames = new Map<number, StackFrame>();
  private gen: Generation | null = null;
  /** This generation's stack ID -> variant + 1 (0: not seen yet); IDs past its end go to genBig. */
  private genCache = new Int32Array(1024);
  private readonly genBig = new Map<number, number>();

  constructor() {
    // Variant 0: the empty stack (events without one).
    this.stacks.push([]);
    this.group.push(0);
    this.byKey.set("", 0);
    this.groups.set("", 0);
  }

  /** Interns stack `id` of generation `gen` (id <= 0: the empty stack); returns the variant. */
  intern(gen: Generation | null, id: number): number {
    if (id <= 0 || gen === null) return 0;
    if (gen !== this.gen) {
      this.gen = gen;
      this.genCache.fill(0);
      this.genBig.clear();
    }
    const cache = this.genCache;
    if (id < cache.length) {
      const hit = cache[id]!;
      if (hit !== 0) return hit - 1;
    } else {
      const hit = this.genBig.get(id);
      if (hit !== undefined) return hit;
    }
    const st = gen.stacks;
    const n = st.depth(id);
    const pcs: number[] = new Array(n);
    for (let i = 0; i < n; i++) pcs[i] = st.pc(id, i);
    const key = pcs.join(",");
    let idx = this.byKey.get(key);
    if (idx === undefined) {
      idx = this.stacks.length;
      this.stacks.push(n > MAX_STACK + 1 ? pcs.slice(0, MAX_STACK + 1) : pcs);
      this.byKey.set(key, idx);
      let m = Math.min(n, MAX_STACK);
      while (m > 0 && pcs[m - 1] === 0) m--;
      const gkey = pcs.slice(0, m).join(",");
      let g = this.groups.get(gkey);
      if (g === undefined) {
        g = this.groups.size;
        this.groups.set(gkey, g);
      }
      this.group.push(g);
      for (let i = 0; i < n; i++) {
        const pc = pcs[i]!;
        if (this.frames.has(pc)) continue;
        const f = st.frameOfPC.get(pc);
        if (f === undefined) {
          this.frames.set(pc, { pc, func: "", file: "", line: 0 });
          continue;
        }
        this.frames.set(pc, {
          pc,
          func: gen.strings.get(st.frameFunc[f]!) ?? "",
          file: gen.strings.get(st.frameFile[f]!) ?? "",
          line: st.frameLine[f]!,
        });
      }
    }
    if (id < cache.length) cache[id] = idx + 1;
    else if (id < 1 << 20) {
      const n = new Int32Array(Math.max(id + 1, cache.length * 2));
      n.set(cache);
      n[id] = idx + 1;
      this.genCache = n;
    } else this.genBig.set(id, idx);
    return idx;
  }
}

/** pprof labels of a sample (empty string / -1: absent). */
export interface LabelSet {
  goroutine: number;
  task: string;
  region: string;
}

/** One aggregated sample: an interned stack, a label set, and its values. */
export class Records implements Sink<number> {
  /** Record -> the stack variant it shows (the last one that added to it, as in Go). */
  stack: number[] = [];
  /** The variant of the sample being added (set by the caller before a clip adds). */
  variant = -1;
  labels: number[] = [];
  n: number[] = [];
  d: number[] = [];
  private sn: number[] = [];
  private sd: number[] = [];
  private readonly dirty: number[] = [];
  /** Stack group -> record + 1 (0: none yet), for samples without labels. */
  private byStack = new Int32Array(256);
  private readonly byKey = new Map<string, number>();
  readonly labelSets: LabelSet[] = [];
  private readonly labelKeys = new Map<string, number>();

  /** The record of a stack group and label set (-1: no labels). */
  get(stack: number, labels: number): number {
    if (labels < 0) {
      let bs = this.byStack;
      if (stack < bs.length) {
        const r = bs[stack]!;
        if (r !== 0) return r - 1;
      } else {
        const n = new Int32Array(Math.max(stack + 1, bs.length * 2));
        n.set(bs);
        this.byStack = bs = n;
      }
      const r = this.push(labels);
      bs[stack] = r + 1;
      return r;
    }
    const key = stack + ":" + labels;
    let r = this.byKey.get(key);
    if (r === undefined) {
      r = this.push(labels);
      this.byKey.set(key, r);
    }
    return r;
  }

  private push(labels: number): number {
    this.stack.push(this.variant >= 0 ? this.variant : 0);
    this.labels.push(labels);
    this.n.push(0);
    this.d.push(0);
    this.sn.push(0);
    this.sd.push(0);
    return this.stack.length - 1;
  }

  labelSet(goroutine: number, task: string, region: string): number {
    const key = goroutine + "\0" + task + "\0" + region;
    let i = this.labelKeys.get(key);
    if (i === undefined) {
      i = this.labelSets.length;
      this.labelSets.push({ goroutine, task, region });
      this.labelKeys.set(key, i);
    }
    return i;
  }

  add(rec: number, n: number, d: number, staged: boolean): void {
    if (this.variant >= 0) this.stack[rec] = this.variant;
    if (staged) {
      if (this.sn[rec] === 0 && this.sd[rec] === 0) this.dirty.push(rec);
      this.sn[rec]! += n;
      this.sd[rec]! += d;
    } else {
      this.n[rec]! += n;
      this.d[rec]! += d;
    }
  }

  commit(): void {
    for (const r of this.dirty) {
      this.n[r]! += this.sn[r]!;
      this.d[r]! += this.sd[r]!;
      this.sn[r] = this.sd[r] = 0;
    }
    this.dirty.length = 0;
  }

  discard(): void {
    for (const r of this.dirty) this.sn[r] = this.sd[r] = 0;
    this.dirty.length = 0;
  }

  get length(): number {
    return this.stack.length;
  }
}

export interface ProfileFilter {
  /** Only samples of this goroutine. */
  goroutine: number | null;
  /** Only time inside regions of this name (go tool trace's /region* pages, type=NAME). */
  region: string | null;
  /** Only time inside regions belonging to tasks of this name (and regions inherited from them). */
  task: string | null;
  /** Time window, ns relative to the first event of the trace. */
  start: number | null;
  end: number | null;
  /** pprof labels: goroutine, task, region. */
  labels: boolean;
}

export const NO_FILTER: ProfileFilter = { goroutine: null, region: null, task: null, start: null, end: null, labels: false };

/** The (state, reason filter) of each state profile, as cmd/trace defines them. */
function stateOf(kind: StateProfileKind): { state: GoState; reason: (r: string) => boolean } {
  switch (kind) {
    case "net":
      return { state: GoState.Waiting, reason: (r) => r === "network" };
    case "sync":
      return { state: GoState.Waiting, reason: (r) => r.includes("chan") || r.includes("sync") || r.includes("select") };
    case "syscall":
      return { state: GoState.Syscall, reason: () => true };
    case "sched":
      return { state: GoState.Runnable, reason: () => true };
  }
}

export interface ProfileInfo {
  kind: ProfileKind;
  sampleTypes: [string, string][];
  periodType: [string, string];
  period: number;
}

/** The CPU profiling period the trace does not record: runtime/pprof's default 100 Hz. */
export const CPU_PERIOD = 10_000_000;

export function profileInfo(kind: ProfileKind): ProfileInfo {
  if (kind === "cpu") {
    return {
      kind,
      sampleTypes: [
        ["samples", "count"],
        ["cpu", "nanoseconds"],
      ],
      periodType: ["cpu", "nanoseconds"],
      period: CPU_PERIOD,
    };
  }
  return {
    kind,
    sampleTypes: [
      ["contentions", "count"],
      ["delay", "nanoseconds"],
    ],
    periodType: ["trace", "count"],
    period: 1,
  };
}

/**
 * The task and innermost region of every live goroutine, for labels (a lean
 * version of what the summarizer tracks: a new goroutine inherits the task of
 * its creator's innermost region).
 */
export class LabelTracker {
  /** Per goroutine: its open regions' names ("" for an inherited task entry) and tasks, innermost last. */
  private readonly regions = new Map<number, { names: string[]; tasks: number[] }>();
  readonly taskNames = new Map<number, string>();

  event(ev: Event): void {
    const ty = ev.type;
    switch (TYPE_KIND[ty]) {
      case Kind.TaskBegin:
      case Kind.TaskEnd: {
        const name = ev.taskType();
        if (name !== "") this.taskNames.set(ev.taskID(), name);
        break;
      }
      case Kind.RegionBegin: {
        let st = this.regions.get(ev.g);
        if (st === undefined) {
          st = { names: [], tasks: [] };
          this.regions.set(ev.g, st);
        }
        st.names.push(ev.regionType());
        st.tasks.push(ev.regionTask());
        break;
      }
      case Kind.RegionEnd: {
        const st = this.regions.get(ev.g);
        if (st !== undefined && st.names.length > 0) {
          st.names.pop();
          st.tasks.pop();
        }
        break;
      }
      case Kind.StateTransition: {
        const res = GT_RES[ty]!;
        if (res === 0) break;
        let from = GT_FROM[ty]!;
        if (from < 0) from = ev.transitionFrom();
        let to = GT_TO[ty]!;
        if (to < 0) to = ev.transitionTo();
        if (from === to) break;
        const id = res === GT_G ? ev.g : ev.a0;
        if (to === GoState.NotExist) {
          this.regions.delete(id);
        } else if (from === GoState.NotExist) {
          const c = this.regions.get(ev.g);
          if (c !== undefined && c.tasks.length > 0) this.regions.set(id, { names: [""], tasks: [c.tasks[c.tasks.length - 1]!] });
          else this.regions.delete(id);
        }
        break;
      }
    }
  }

  /** Task and innermost region of goroutine g now, in `task` and `region`. */
  task = "";
  region = "";
  lookup(g: number): void {
    this.task = "";
    this.region = "";
    const regs = this.regions.get(g);
    if (regs === undefined || regs.names.length === 0) return;
    const names = regs.names;
    for (let i = names.length - 1; i >= 0; i--) {
      if (names[i] !== "") {
        this.region = names[i]!;
        break;
      }
    }
    const tid = regs.tasks[regs.tasks.length - 1]!;
    if (tid !== 0) this.task = this.taskNames.get(tid) ?? `task ${tid}`;
  }

  /** Label set of goroutine g now. */
  labels(records: Records, g: number): number {
    this.lookup(g);
    return records.labelSet(g, this.task, this.region);
  }
}

/**
 * Builds one profile from a stream of events. Call event() for every event
 * (in the reader's order), then end(ok) once; read `records` and `stacks`
 * afterwards. For "cpu" without region/task filters, `onCPUSample` (if set)
 * receives every sample instead of aggregating (for streamed output).
 */
export class ProfileBuilder {
  readonly info: ProfileInfo;
  readonly stacks = new StackInterner();
  readonly records = new Records();
  /** Go's summarizer, run only for region/task filters (it keeps every goroutine). */
  readonly summary: Summarizer | null = null;
  private readonly regionClip: RegionClip<number> | null = null;
  private readonly lifetimeClip: LifetimeClip<number> | null = null;
  private readonly labelTracker: LabelTracker | null = null;
  private readonly state: GoState = GoState.Undetermined;
  private readonly reasonOK: (r: string) => boolean = () => false;
  /** Goroutines in the target state: start time, interned stack, label set (columns 0, 1, 2). */
  private readonly track = new IntMap(3);
  /** Reason filter results of the current generation, by string ID (0 unknown, 1 no, 2 yes). */
  private reasonGen: Generation | null = null;
  private reasonCache = new Uint8Array(64);
  private readonly reasonEmpty: boolean;
  private readonly isCPU: boolean;
  private started = false;
  /** Time of the first event (window origin). */
  firstTime = 0;
  lastTime = 0;
  private w0 = -Infinity;
  private w1 = Infinity;
  /** Wall-clock time of the first event, ns since the Unix epoch (Go 1.25+ traces carry clock snapshots). */
  wallStart: number | null = null;
  /** Counters for diagnostics. */
  cpuSamples = 0;
  matchedRegions = 0;
  /** Streaming consumer for CPU samples (unfiltered by region/task). */
  onCPUSample: ((stack: number, labels: LabelSet) => void) | null = null;
  private readonly cpuLabelSet: LabelSet = { goroutine: -1, task: "", region: "" };

  constructor(
    readonly kind: ProfileKind,
    readonly filter: ProfileFilter = NO_FILTER,
  ) {
    this.info = profileInfo(kind);
    if (kind !== "cpu") {
      const s = stateOf(kind);
      this.state = s.state;
      this.reasonOK = s.reason;
    }
    this.reasonEmpty = this.reasonOK("");
    this.isCPU = kind === "cpu";
    if (filter.labels) this.labelTracker = new LabelTracker();
    if (filter.region !== null || filter.task !== null) {
      // go tool trace's /region* pages: only time inside the matching regions.
      const rc = new RegionClip<number>((r) => this.matchRegion(r), this.records);
      this.regionClip = rc;
      const hooks = rc.hooks();
      const end = hooks.goroutineEnd!;
      hooks.goroutineEnd = (g, kept, dropped, t) => {
        end(g, kept, dropped, t);
        // The summarizer keeps every goroutine it has seen; an ended one
        // has no more events, so drop it to keep memory flat.
        if (t !== null) this.summary!.gs.delete(g.id);
      };
      this.summary = new Summarizer({ stats: false, tasks: filter.task !== null, hooks });
    } else if (kind !== "cpu") {
      // The CLI's -pprof: every goroutine clipped to [first run, end].
      this.lifetimeClip = new LifetimeClip<number>(this.records);
    }
  }

  private matchRegion(r: RegionSummary): boolean {
    const f = this.filter;
    if (f.region !== null && r.name !== f.region) return false;
    if (f.task !== null) {
      const t = this.summary!.tasks.get(r.taskID);
      if (t === undefined || t.name !== f.task) return false;
    }
    this.matchedRegions++;
    return true;
  }

  event(ev: Event, timeBase: bigint): void {
    const t = ev.time;
    if (!this.started) this.start(t, timeBase);
    this.lastTime = t;
    if (this.summary !== null) this.summary.event(ev);
    if (this.labelTracker !== null) this.labelTracker.event(ev);
    const ty = ev.type;
    if (ty === Ev.ReaderSync) {
      this.sync(ev);
      return;
    }
    if (this.isCPU) {
      if (ty === Ev.CPUSample) this.cpuSample(ev);
      return;
    }
    const res = GT_RES[ty]!;
    if (res === 0) return;
    const id = res === GT_G ? ev.g : ev.a0;
    let to = GT_TO[ty]!;
    if (to < 0) to = ev.transitionTo();
    this.stateEvent(ev, id, to, t);
    const lc = this.lifetimeClip;
    if (lc !== null) {
      let from = GT_FROM[ty]!;
      if (from < 0) from = ev.transitionFrom();
      lc.transition(id, from, to, t);
    }
  }

  /** The first event: sets the window origin. */
  private start(t: number, timeBase: bigint): void {
    this.started = true;
    this.firstTime = t;
    this.summary?.setTimeBase(timeBase);
    if (this.filter.start !== null) this.w0 = t + this.filter.start;
    if (this.filter.end !== null) this.w1 = t + this.filter.end;
    const rc = this.regionClip;
    if (rc !== null) {
      rc.traceStart = t;
      rc.w0 = this.w0;
      rc.w1 = this.w1;
    }
    const lc = this.lifetimeClip;
    if (lc !== null) {
      lc.w0 = this.w0;
      lc.w1 = this.w1;
    }
  }

  private sync(ev: Event): void {
    if (this.wallStart === null) {
      const c = ev.clockSnapshot();
      // Wall clock of the first event: the snapshot's, moved back by the trace-clock distance.
      if (c !== null) this.wallStart = c.sec * 1e9 + c.nsec - (c.trace - this.firstTime);
    }
    this.commit();
  }

  /** Whether the event's block/stop reason passes the profile's filter (cached per generation by string ID). */
  private reasonPasses(ev: Event): boolean {
    const ty = ev.type;
    // Only GoStop and GoBlock carry a reason (a string ID in a0); others have "".
    if (ty !== Ev.GoStop && ty !== Ev.GoBlock) return this.reasonEmpty;
    const gen = ev.gen;
    const sid = ev.a0;
    if (gen === null || sid < 0 || sid >= 1 << 20) return this.reasonOK(ev.transitionReason());
    if (gen !== this.reasonGen) {
      this.reasonGen = gen;
      this.reasonCache.fill(0);
    }
    if (sid >= this.reasonCache.length) {
      const n = new Uint8Array(Math.max(sid + 1, this.reasonCache.length * 2));
      n.set(this.reasonCache);
      this.reasonCache = n;
    }
    let c = this.reasonCache[sid]!;
    if (c === 0) {
      c = this.reasonOK(ev.transitionReason()) ? 2 : 1;
      this.reasonCache[sid] = c;
    }
    return c === 2;
  }

  private stateEvent(ev: Event, id: number, to: number, t: number): void {
    const tr = this.track;
    const slot = tr.find(id);
    if (slot < 0) {
      if (to === this.state && this.reasonPasses(ev)) {
        const i = tr.insert(id);
        tr.col[0]![i] = t;
        tr.col[1]![i] = this.stacks.intern(ev.gen, ev.stackID());
        if (this.labelTracker !== null) tr.col[2]![i] = this.labelTracker.labels(this.records, id);
      }
      return;
    }
    if (to === this.state) return;
    const s = tr.col[0]![slot]!;
    const stack = tr.col[1]![slot]!;
    const labels = this.labelTracker !== null ? tr.col[2]![slot]! : -1;
    tr.removeAt(slot);
    if (this.filter.goroutine !== null && id !== this.filter.goroutine) return;
    this.records.variant = stack;
    const rec = this.records.get(this.stacks.group[stack]!, labels);
    if (this.regionClip !== null) this.regionClip.interval(id, rec, s, t, true);
    else this.lifetimeClip!.interval(id, rec, s, t, true, to);
    this.records.variant = -1;
  }

  private cpuSample(ev: Event): void {
    const g = ev.g;
    if (this.filter.goroutine !== null && g !== this.filter.goroutine) return;
    const t = ev.time;
    const stack = this.stacks.intern(ev.gen, ev.stackID());
    const lt = this.labelTracker;
    if (this.onCPUSample !== null && this.regionClip === null) {
      // Streamed: labels go straight to the encoder.
      if (t < this.w0 || t > this.w1) return;
      this.cpuSamples++;
      const ls = this.cpuLabelSet;
      ls.goroutine = g;
      if (lt !== null) {
        lt.lookup(g);
        ls.task = lt.task;
        ls.region = lt.region;
      }
      this.onCPUSample(stack, ls);
      return;
    }
    // CPU samples always carry the goroutine label (task/region with --labels).
    const labels = lt !== null ? lt.labels(this.records, g) : this.records.labelSet(g, "", "");
    if (this.regionClip !== null) {
      this.cpuSamples++;
      this.records.variant = stack;
      this.regionClip.point(g, this.records.get(this.stacks.group[stack]!, labels), t, CPU_PERIOD, true);
      this.records.variant = -1;
      return;
    }
    if (t < this.w0 || t > this.w1) return;
    this.cpuSamples++;
    this.records.variant = stack;
    this.records.add(this.records.get(this.stacks.group[stack]!, labels), 1, CPU_PERIOD, false);
    this.records.variant = -1;
  }

  private commit(): void {
    this.records.commit();
    this.regionClip?.commit();
    this.lifetimeClip?.commit();
  }

  /**
   * Ends the stream. `complete`: the trace was read to its end (otherwise
   * what came after the last Sync is dropped, as go tool trace does).
   */
  end(complete: boolean): void {
    if (complete) this.commit();
    else {
      this.records.discard();
      this.regionClip?.discard();
      this.lifetimeClip?.discard();
    }
    this.summary?.finish();
    this.lifetimeClip?.finish();
    // What finish() released was staged only if it still was: commit it.
    this.records.commit();
  }
}
