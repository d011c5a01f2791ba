// Goroutines on the timeline: what each P runs, and one lane per goroutine
// alive, grouped by start function.
//
//   Procs ▸ "Proc 3": a slice per run of a goroutine on P 3 ("G12 main.worker"),
//     from the moment it starts running until it stops, blocks or ends (a
//     syscall keeps its P; the slice ends if the P is taken away); arrows from
//     the run of the goroutine that created or unblocked it.
//   Goroutines ▸ "main.worker ×1,234" ▸ lanes: one slice per goroutine's
//     lifetime ("G12 main.worker"), holding its regions outside tasks, mark
//     assists, and its states other than running: "blocked: <reason>" and
//     "syscall" (with the stack where they began), and with --runnable,
//     "runnable". A lane is reused by the next goroutine once one ends.
//   System goroutines (runtime.*): the same, in a group of their own.
//   Threads (--os-threads) ▸ "Thread 5": the goroutines and syscalls of M 5.
//
// A goroutine that existed before the trace gets its lane once something tells
// its start function (a stack of its own), or at the latest at the next
// sorting window; its lifetime slice still begins where it was first seen.

import type { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import { Ev, GoState } from "../decode/spec.js";
import { isSystemGoroutine } from "./summarizer.js";
import { Group, NameRef, type Args } from "./timeline-model.js";
import { IdMap, LanePool, thousands, type Slice, type Track, type TrackSet } from "./timeline-tracks.js";

/** What the goroutine part needs from the converter. */
export interface TimelineCtx {
  readonly tracks: TrackSet;
  /** Slices are begun in the sink (inside the --start/--end window). */
  inWindow(): boolean;
  /** The earliest time a slice that began in the past may be drawn from. */
  floor(): number;
  /** Where this output (part, window) begins. */
  since(): number;
  procTrack(p: number): Track;
  keepG(g: number): boolean;
  /** Counts a goroutine leaving `from` and entering `to` (the Runtime counters). */
  countState(from: number, to: number): void;
  instant(t: Track, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void;
  /** A new flow id. */
  nextFlow(): number;
}

export class GGroup {
  /** Goroutines that had a lane in the current part. */
  count = 0;
  constructor(
    readonly name: string,
    readonly system: boolean,
    readonly pool: LanePool,
  ) {}
}

export class RegionRec {
  track: Track | null = null;
  slice: Slice | null = null;
  task = 0;
}

export class GInfo {
  /** Start function ("" = not known yet). */
  name = "";
  /** "G12 main.worker": names its runs and its lifetime. */
  readonly label = new NameRef();
  state: number = GoState.Undetermined;
  /** When it was first seen in this part (-1: not yet). */
  firstTs = -1;
  /** Waiting for a lane: on the list of such goroutines (oldest first). */
  pending = false;
  pPrev: GInfo | null = null;
  pNext: GInfo | null = null;
  group: GGroup | null = null;
  lane: Track | null = null;
  life: Slice | null = null;
  /** The state slice on its lane (blocked, syscall, runnable). */
  child: Slice | null = null;
  run: Slice | null = null;
  runTrack: Track | null = null;
  runP = -1;
  mrun: Slice | null = null;
  mTrack: Track | null = null;
  assist: Slice | null = null;
  /** Open regions, innermost last: the first `nRegions` (track null: filtered out; records reused). */
  readonly regions: RegionRec[] = [];
  nRegions = 0;
  /** An arrow into its next run: from this run slice (checked by serial) at this time. */
  flowId = 0;
  flowSrc: Slice | null = null;
  flowSerial = 0;
  flowTrack = 0;
  flowTs = 0;
  flowKind = "";
  constructor(public id: number) {}

  pushRegion(track: Track | null, slice: Slice | null, task: number): void {
    let r = this.regions[this.nRegions];
    if (r === undefined) this.regions.push((r = new RegionRec()));
    this.nRegions++;
    r.track = track;
    r.slice = slice;
    r.task = task;
  }

  popRegion(): RegionRec | undefined {
    if (this.nRegions === 0) return undefined;
    const r = this.regions[--this.nRegions]!;
    return r;
  }

  /** Made ready for another goroutine (GInfo objects are pooled: a million goroutines come and go). */
  reset(id: number): void {
    this.id = id;
    this.name = "";
    this.label.epoch = -1;
    this.state = GoState.Undetermined;
    this.firstTs = -1;
    this.pending = false;
    this.pPrev = null;
    this.pNext = null;
    this.group = null;
    this.lane = null;
    this.life = null;
    this.child = null;
    this.run = null;
    this.runTrack = null;
    this.runP = -1;
    this.mrun = null;
    this.mTrack = null;
    this.assist = null;
    this.nRegions = 0;
    this.flowId = 0;
    this.flowSrc = null;
  }
}

const utf8 = new TextEncoder();

const UNKNOWN = "(start function unknown)";

export class Goroutines {
  readonly gs = new IdMap<GInfo>();
  readonly groups = new Map<string, GGroup>();
  /** Goroutines waiting for a lane, oldest first (a list through GInfo: no allocation per goroutine). */
  private pHead: GInfo | null = null;
  private pTail: GInfo | null = null;
  /** The goroutine last looked up (events come in runs of the same one). */
  private lastId = -2;
  private lastGi: GInfo | null = null;

  private unpend(gi: GInfo): void {
    gi.pending = false;
    if (gi.pPrev !== null) gi.pPrev.pNext = gi.pNext;
    else this.pHead = gi.pNext;
    if (gi.pNext !== null) gi.pNext.pPrev = gi.pPrev;
    else this.pTail = gi.pPrev;
    gi.pPrev = null;
    gi.pNext = null;
  }
  /** The goroutine holding each P (for a P taken away during a syscall). */
  private readonly pOwner: (GInfo | null)[] = [];
  private readonly mTracks = new Map<number, Track>();
  private readonly blockedNames = new Map<string, NameRef>();
  private readonly nRunnable = NameRef.of("runnable");
  private readonly nSyscall = NameRef.of("syscall");
  private readonly nBlocked = NameRef.of("blocked");
  /** Arrows linked so far (for tests and the summary). */
  flows = 0;

  constructor(
    private readonly c: TimelineCtx,
    private readonly runnable: boolean,
    private readonly threads: boolean,
  ) {}

  get(id: number): GInfo {
    if (id === this.lastId) return this.lastGi!;
    let gi = this.gs.get(id);
    if (gi === undefined) {
      gi = this.pool.pop();
      if (gi === undefined) gi = new GInfo(id);
      else gi.reset(id);
      this.gs.set(id, gi);
    }
    this.lastId = id;
    this.lastGi = gi;
    return gi;
  }

  private readonly pool: GInfo[] = [];

  /** Forgets a goroutine that ended (its object is reused). */
  drop(gi: GInfo): void {
    if (this.gs.get(gi.id) === gi) this.gs.delete(gi.id);
    if (this.lastGi === gi) {
      this.lastId = -2;
      this.lastGi = null;
    }
    if (this.pool.length < 4096) this.pool.push(gi);
  }

  private readonly fnBytes = new Map<string, Uint8Array>();

  /** Names a slice with the goroutine's label, "G12 main.worker" (it names every run). */
  private named(s: Slice, gi: GInfo): Slice {
    const l = gi.label;
    if (l.g !== gi.id || l.fn !== gi.name) {
      l.g = gi.id;
      l.fn = gi.name;
      let b = this.fnBytes.get(gi.name);
      if (b === undefined) {
        b = utf8.encode(gi.name);
        if (this.fnBytes.size < 4096) this.fnBytes.set(gi.name, b);
      }
      l.fnBytes = b;
      l.epoch = -1;
    }
    s.name = "";
    s.nameRef = l;
    return s;
  }

  private group(name: string): GGroup {
    const key = name === "" ? UNKNOWN : name;
    let g = this.groups.get(key);
    if (g === undefined) {
      const sys = isSystemGoroutine(name);
      const top = sys ? Group.System : Group.Goroutines;
      const container = this.c.tracks.make(top, key, this.groups.size, 0, true);
      g = new GGroup(key, sys, new LanePool(this.c.tracks, container, (i) => `${key} ${i}`));
      this.groups.set(key, g);
    }
    return g;
  }

  /** Learns a goroutine's start function from a stack of its own. */
  nameFrom(gi: GInfo, gen: Generation | null, sid: number): void {
    if (gi.name !== "" || gen === null || sid <= 0) return;
    gi.name = this.rootFunc(gen, sid);
  }

  private rootGen: Generation | null = null;
  private readonly roots = new Map<number, string>();

  /** rootFunc, remembered per stack of the current generation (goroutines are created from a few places). */
  private rootFunc(gen: Generation, sid: number): string {
    if (gen !== this.rootGen) {
      this.rootGen = gen;
      this.roots.clear();
    }
    let r = this.roots.get(sid);
    if (r === undefined) {
      r = rootFunc(gen, sid);
      if (this.roots.size < 1 << 16) this.roots.set(sid, r);
    }
    return r;
  }

  /** The goroutine's lane, given now if it has none yet. */
  laneOf(gi: GInfo): Track {
    if (gi.lane === null) this.assign(gi);
    return gi.lane!;
  }

  private assign(gi: GInfo): void {
    if (gi.pending) this.unpend(gi);
    if (gi.lane !== null) return;
    const g = this.group(gi.name);
    gi.group = g;
    g.count++;
    const ts = Math.max(gi.firstTs, this.c.floor());
    const lane = g.pool.take(ts);
    gi.lane = lane;
    // Named as its group says: a goroutine drawn before its start function was known stays "G12".
    gi.life = this.c.tracks.slice(gi.name === "" ? `G${gi.id}` : "", "", ts, null, 0);
    if (gi.name !== "") this.named(gi.life, gi);
    this.c.tracks.open(lane, gi.life, this.c.inWindow());
  }

  /** Gives a lane to every goroutine still waiting for its start function (before a sorting window or a part's end). */
  resolvePending(before: number): void {
    // Oldest first: stop at the first one seen at or after `before`.
    while (this.pHead !== null && this.pHead.firstTs < before) this.assign(this.pHead);
  }

  /**
   * A goroutine first seen in this part. It gets its lane once something is
   * to be drawn there (a state other than running, a region, an assist, a
   * sample) or, at the latest, at the second sorting window after it was
   * seen; a goroutine that only ran and ended before that shows in the runs on
   * its Ps alone.
   */
  private seen(gi: GInfo, ts: number): void {
    gi.firstTs = ts;
    gi.pending = true;
    gi.pPrev = this.pTail;
    gi.pNext = null;
    if (this.pTail !== null) this.pTail.pNext = gi;
    else this.pHead = gi;
    this.pTail = gi;
  }

  private stateName(to: number, reason: string): NameRef | null {
    switch (to) {
      case GoState.Runnable:
        return this.runnable ? this.nRunnable : null;
      case GoState.Syscall:
        return this.nSyscall;
      case GoState.Waiting: {
        if (reason === "") return this.nBlocked;
        let n = this.blockedNames.get(reason);
        if (n === undefined) {
          n = NameRef.of(`blocked: ${reason}`);
          if (this.blockedNames.size < 1024) this.blockedNames.set(reason, n);
        }
        return n;
      }
    }
    return null;
  }

  transition(ev: Event, ts: number): void {
    const id = ev.transitionResource();
    const to = ev.transitionTo();
    const gi = this.get(id);
    const from = gi.state;
    if (from === to && to !== GoState.NotExist) return; // a status at a generation start
    if (gi.name === "" && (from === GoState.NotExist || from === GoState.Undetermined)) {
      const tsid = ev.transitionStackID();
      if (tsid > 0 && ev.gen !== null) gi.name = this.rootFunc(ev.gen, tsid);
    }
    if (from !== to) this.c.countState(from, to);
    gi.state = to;
    if (!this.c.keepG(id)) {
      if (to === GoState.NotExist) this.drop(gi);
      return;
    }
    const t = this.c.tracks;
    if (gi.firstTs < 0 && to !== GoState.NotExist) this.seen(gi, ts);
    if (gi.name === "" && (ev.type === Ev.GoStop || ev.type === Ev.GoBlock || ev.type === Ev.GoSyscallBegin)) this.nameFrom(gi, ev.gen, ev.stackID());
    // The run on a P ends when it stops running (a syscall keeps the P).
    if (gi.run !== null && to !== GoState.Running && to !== GoState.Syscall) this.endRun(gi, ts);
    if (gi.mrun !== null) {
      t.close(gi.mTrack!, gi.mrun, ts, null, 0, this.c.inWindow());
      t.recycle(gi.mrun);
      gi.mrun = null;
    }
    // The state slice on its lane.
    if (gi.child !== null) {
      t.close(gi.lane!, gi.child, ts, null, 0, this.c.inWindow());
      t.recycle(gi.child);
      gi.child = null;
    }
    // An arrow into the next run of the goroutine being made runnable, from the run that did it.
    if (ev.g >= 0 && ev.g !== id && (ev.type === Ev.GoUnblock || ev.transitionFrom() === GoState.NotExist) && this.c.inWindow()) {
      const src = this.gs.get(ev.g);
      if (src !== undefined && src.run !== null && src.run.emitted) {
        gi.flowId = this.c.nextFlow();
        gi.flowSrc = src.run;
        gi.flowSerial = src.run.serial;
        gi.flowTrack = src.runTrack!.desc.uuid;
        gi.flowTs = ts;
        gi.flowKind = ev.type === Ev.GoUnblock ? "unblock" : "go";
        // Out of the source's run: at its end, unless this goroutine's run begins first.
        src.run.flowsOut.add(gi.flowId, false, true);
      }
    }
    if (to === GoState.Running && gi.run === null && ev.p >= 0) this.beginRun(gi, ev.p, ts);
    if (this.threads && ev.m >= 0 && (to === GoState.Running || to === GoState.Syscall)) {
      gi.mTrack = this.threadTrack(ev.m);
      gi.mrun = t.slice("", "", ts, null, 0);
      if (to === GoState.Running) this.named(gi.mrun, gi);
      else gi.mrun.nameRef = this.nSyscall;
      t.open(gi.mTrack, gi.mrun, this.c.inWindow());
    }
    const name = to === GoState.Running || to === GoState.NotExist ? null : this.stateName(to, to === GoState.Waiting ? ev.transitionReason() : "");
    if (name !== null) {
      const lane = this.laneOf(gi);
      gi.child = t.slice("", "", ts, ev.gen, ev.transitionStackID());
      gi.child.nameRef = name;
      t.open(lane, gi.child, this.c.inWindow());
    }
    if (to === GoState.NotExist) this.end(gi, ts);
  }

  private beginRun(gi: GInfo, p: number, ts: number): void {
    const t = this.c.tracks;
    const pt = this.c.procTrack(p);
    const prev = this.pOwner[p];
    if (prev !== undefined && prev !== null && prev !== gi && prev.run !== null) this.endRun(prev, ts);
    const run = this.named(t.slice("", "", ts, null, 0), gi);
    let link = false;
    let srcOpen: Slice | null = null;
    if (gi.flowId !== 0) {
      const src = gi.flowSrc!;
      if (this.c.inWindow()) {
        if (src.serial === gi.flowSerial && !src.dead) {
          // The source run is still open: this begin opens the arrow, its end terminates it.
          run.flowsIn.add(gi.flowId, false);
          markTerminating(src, gi.flowId);
          srcOpen = src;
          link = true;
        } else if (gi.flowTs >= this.c.since()) {
          run.flowsIn.add(gi.flowId, true);
          link = true;
        }
      }
    }
    gi.run = run;
    gi.runTrack = pt;
    gi.runP = p;
    if (p < 1 << 16) this.pOwner[p] = gi;
    t.open(pt, run, this.c.inWindow());
    if (link) {
      t.sink.flowLink(srcOpen, gi.flowTrack, Math.max(gi.flowTs, this.c.since()), run, pt.desc.uuid, ts, gi.flowId, gi.flowKind);
      this.flows++;
    }
    gi.flowId = 0;
    gi.flowSrc = null;
  }

  endRun(gi: GInfo, ts: number): void {
    const t = this.c.tracks;
    t.close(gi.runTrack!, gi.run, ts, null, 0, this.c.inWindow());
    // Not recycled: an arrow may still refer to it (by serial, which recycling changes anyway).
    t.recycle(gi.run!);
    if (gi.runP >= 0 && gi.runP < 1 << 16 && this.pOwner[gi.runP] === gi) this.pOwner[gi.runP] = null;
    gi.run = null;
    gi.runTrack = null;
    gi.runP = -1;
  }

  /** A P stopped or was taken away (from a goroutine in a syscall): the run on it ends. */
  procLost(p: number, ts: number): void {
    const gi = p < 1 << 16 ? this.pOwner[p] : undefined;
    if (gi !== undefined && gi !== null && gi.run !== null) this.endRun(gi, ts);
  }

  private end(gi: GInfo, ts: number): void {
    const t = this.c.tracks;
    if (gi.pending) this.unpend(gi);
    if (gi.lane !== null) {
      // Its lifetime slice ends, and with it whatever is still open on the lane.
      t.close(gi.lane, gi.life, ts, null, 0, this.c.inWindow());
      t.recycle(gi.life!);
      gi.life = null;
      gi.assist = null;
      for (let i = 0; i < gi.nRegions; i++) if (gi.regions[i]!.track === gi.lane) gi.regions[i]!.slice = null;
      gi.group!.pool.give(gi.lane, ts);
      gi.lane = null;
    }
    gi.firstTs = -1;
    if (gi.nRegions === 0) this.drop(gi);
  }

  private threadTrack(m: number): Track {
    let t = this.mTracks.get(m);
    if (t === undefined) {
      t = this.c.tracks.make(Group.Threads, `Thread ${m}`, m, 0, false);
      this.mTracks.set(m, t);
    }
    return t;
  }

  /** A mark assist begins or ends on a goroutine's lane. */
  assist(g: number, ts: number, begin: boolean, name: string, gen: Generation | null, sid: number): void {
    const gi = this.get(g);
    const t = this.c.tracks;
    if (!begin) {
      if (gi.assist !== null && gi.lane !== null) t.close(gi.lane, gi.assist, ts, gen, sid, this.c.inWindow());
      if (gi.assist !== null) t.recycle(gi.assist);
      gi.assist = null;
      return;
    }
    if (gi.assist !== null) return;
    if (gi.firstTs < 0) this.seen(gi, ts);
    this.nameFrom(gi, gen, sid);
    gi.assist = t.slice(name, "gc", ts, gen, sid);
    t.open(this.laneOf(gi), gi.assist, this.c.inWindow());
  }

  /** Where a goroutine's own annotations and samples go (its lane). */
  annotationTrack(g: number, ts: number, gen: Generation | null, sid: number): Track {
    const gi = this.get(g);
    if (gi.firstTs < 0) this.seen(gi, ts);
    this.nameFrom(gi, gen, sid);
    return this.laneOf(gi);
  }

  /** Renames each group with its goroutine count (the end of a part). */
  finishPart(): void {
    for (const g of this.groups.values()) {
      const d = g.pool.container.desc;
      const n = `${g.name} ×${thousands(g.count)}`;
      if (d.name === n) continue;
      d.name = n;
      if (g.pool.container.declared) this.c.tracks.sink.rename(d);
    }
  }

  /** A new part starts: counts restart from the goroutines that hold a lane. */
  startPart(ts: number): void {
    for (const g of this.groups.values()) {
      g.count = 0;
      g.pool.container.desc.name = g.name;
    }
    for (const gi of this.gs.values()) {
      if (gi.group !== null && gi.lane !== null) gi.group.count++;
      if (gi.firstTs >= 0) gi.firstTs = Math.max(gi.firstTs, ts);
    }
  }

}

/** Marks flow `id` out of `s` as the terminating side (adds it if a new part forgot it). */
function markTerminating(s: Slice, id: number): void {
  const f = s.flowsOut;
  for (let i = 0; i < f.n; i++) {
    if (f.ids[i] === id) {
      f.term[i] = true;
      return;
    }
  }
  f.add(id, true);
}

/** The outermost function of a stack (a goroutine's start function). */
export function rootFunc(gen: Generation, sid: number): string {
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
