// Tracks and slices of the timeline converter: the track tree, open slices
// kept per track (innermost last), and lanes (a group's tracks reused by
// things that do not overlap in time: goroutines of one start function, tasks
// of one type), so that a million short goroutines take as many tracks as
// were ever alive at once. Pure TypeScript.

import type { Generation } from "../decode/generation.js";
import { Args, FlowIds, Group, type NameRef, type OpenSlice, type TimelineSink, type TrackDesc } from "./timeline-model.js";

export class Slice implements OpenSlice {
  name = "";
  nameRef: NameRef | null = null;
  cat = "";
  /** The begin's arguments, kept to begin the slice again in the next part or window. */
  readonly args = new Args();
  ts = 0;
  sgen: Generation | null = null;
  sid = 0;
  /** Begun in the sink (false: outside the window so far). */
  emitted = false;
  /** Ended (or cut off): no longer on its track. */
  dead = false;
  /** Changes each time the object is reused (flows remember which slice they start from). */
  serial = 0;
  sinkTs = 0;
  sinkData: unknown = null;
  readonly flowsIn = new FlowIds();
  readonly flowsOut = new FlowIds();
}

export class Track {
  declared = false;
  /** Open slices, innermost last: the first `depth` entries (kept at their length: no shrink and grow). */
  readonly stack: (Slice | null)[] = [];
  depth = 0;
  /** Since when its current owner (goroutine, task) has had it: slices that began before are drawn from here. */
  ownerSince = 0;
  /** When its last owner gave it back (-Infinity: never owned). */
  freeSince = -Infinity;
  /** A lane free for a new owner; tag changes when it is given or taken. */
  free = false;
  tag = 0;
  /** Children (lane tracks: region tracks of a task lane), allocated like lanes. */
  children: LanePool | null = null;
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

/**
 * The tracks of one container, handed out lowest index first and given back
 * when their owner is done, so that busy lanes stay at the top. An owner
 * drawn from the past (a goroutine given its lane after it was first seen)
 * gets a lane that has been free since then: the one free the longest.
 */
export class LanePool {
  readonly lanes: Track[] = [];
  /** Free lanes, a min-heap by index (entries of lanes taken since are skipped: `tag`). */
  private readonly heapT: Track[] = [];
  private readonly heapTag: number[] = [];
  /** Free lanes in the order they were freed (a queue from `head`; stale entries skipped the same way). */
  private readonly fifoT: Track[] = [];
  private readonly fifoTag: number[] = [];
  private head = 0;
  constructor(
    private readonly tracks: TrackSet,
    readonly container: Track,
    private readonly laneName: (i: number) => string,
  ) {}

  take(since: number): Track {
    let t: Track | null = null;
    // The lowest free lane, when it has been free since then (always, for an owner from now on).
    while (this.heapT.length > 0) {
      const c = this.heapT[0]!;
      if (!c.free || c.tag !== this.heapTag[0]) {
        this.heapPop();
        continue;
      }
      if (c.freeSince <= since) t = c;
      break;
    }
    // Else the lane free the longest.
    if (t === null) {
      while (this.head < this.fifoT.length) {
        const c = this.fifoT[this.head]!;
        if (!c.free || c.tag !== this.fifoTag[this.head]) {
          this.head++;
          continue;
        }
        if (c.freeSince <= since) t = c;
        break;
      }
      if (this.head > 1024 && this.head * 2 > this.fifoT.length) {
        this.fifoT.splice(0, this.head);
        this.fifoTag.splice(0, this.head);
        this.head = 0;
      }
    }
    if (t === null) {
      const i = this.lanes.length;
      t = this.tracks.make(this.container.desc.group, this.laneName(i + 1), i, this.container.desc.uuid, false);
      this.lanes.push(t);
    }
    t.free = false;
    t.tag++;
    t.ownerSince = since;
    return t;
  }

  give(t: Track, ts: number): void {
    t.freeSince = ts;
    t.free = true;
    t.tag++;
    this.fifoT.push(t);
    this.fifoTag.push(t.tag);
    // Into the heap.
    const h = this.heapT;
    const g = this.heapTag;
    let i = h.length;
    h.push(t);
    g.push(t.tag);
    const k = t.desc.sort;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.desc.sort <= k) break;
      h[i] = h[p]!;
      g[i] = g[p]!;
      i = p;
    }
    h[i] = t;
    g[i] = t.tag;
  }

  private heapPop(): void {
    const h = this.heapT;
    const g = this.heapTag;
    const last = h.pop()!;
    const lastTag = g.pop()!;
    const n = h.length;
    if (n === 0) return;
    const k = last.desc.sort;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && h[l + 1]!.desc.sort < h[l]!.desc.sort ? l + 1 : l;
      if (h[c]!.desc.sort >= k) break;
      h[i] = h[c]!;
      g[i] = g[c]!;
      i = c;
    }
    h[i] = last;
    g[i] = lastTag;
  }
}

/** The track tree, the sink of the current part, and slice bookkeeping. */
export class TrackSet {
  private nextUuid = 16;
  /** Every track made (tracks live as long as the conversion; lanes are reused, so they stay few). */
  readonly all: Track[] = [];
  private readonly slicePool: Slice[] = [];
  /** Open slices on all tracks (for the room a part needs to close them). */
  openSlices = 0;

  constructor(public sink: TimelineSink) {}

  make(group: Group, name: string, sort: number, parent: number, container: boolean): Track {
    const uuid = this.nextUuid++;
    let pid: number = group;
    if (parent !== 0) {
      const p = this.byUuid(parent);
      pid = p.desc.container ? p.desc.uuid : p.desc.pid;
    }
    const t = new Track({ uuid, group, parent, name, sort, container, pid, counter: false, unit: "", counterGroup: "", counterKey: "" });
    this.all.push(t);
    return t;
  }

  makeCounter(name: string, unit: string, sort: number): Track {
    const t = this.make(Group.Runtime, name, sort, 0, false);
    const sp = name.indexOf(" ");
    t.desc.counter = true;
    t.desc.unit = unit;
    t.desc.counterGroup = sp < 0 ? name : name.slice(0, sp);
    t.desc.counterKey = sp < 0 ? "value" : name.slice(sp + 1);
    return t;
  }

  byUuid(uuid: number): Track {
    // Tracks are made with consecutive uuids from 16.
    return this.all[uuid - 16]!;
  }

  declare(t: Track): void {
    if (t.declared) return;
    t.declared = true;
    if (t.desc.parent !== 0) this.declare(this.byUuid(t.desc.parent));
    this.sink.track(t.desc);
  }

  /** Forget what the sink knows (a new part): tracks are declared again when next used. */
  undeclareAll(): void {
    for (const t of this.all) t.declared = false;
  }

  slice(name: string, cat: string, ts: number, sgen: Generation | null, sid: number): Slice {
    const s = this.slicePool.pop() ?? new Slice();
    s.name = name;
    s.nameRef = null;
    s.cat = cat;
    s.args.n = 0;
    s.ts = ts;
    s.sgen = sgen;
    s.sid = sid;
    s.emitted = false;
    s.dead = false;
    s.serial++;
    s.flowsIn.n = 0;
    s.flowsOut.n = 0;
    return s;
  }

  /** Gives back a slice that nothing refers to any more (ended, and forgotten by its owner). */
  recycle(s: Slice): void {
    if (this.slicePool.length < 4096) {
      s.sgen = null;
      s.sinkData = null;
      s.serial++;
      this.slicePool.push(s);
    }
  }

  /** Opens s on t; `emit`: begin it in the sink now. */
  open(t: Track, s: Slice, emit: boolean): void {
    t.push(s);
    this.openSlices++;
    if (emit) this.emit(t, s, s.ts);
  }

  /** Begins s in the sink at ts (its own start, or a window or part start). */
  emit(t: Track, s: Slice, ts: number): void {
    this.declare(t);
    this.sink.begin(t.desc.uuid, ts, s, s.args.n > 0 ? s.args : null, s.sgen, s.sid);
    s.emitted = true;
  }

  /** Closes s and whatever is open above it on t; the stack is where s ends. */
  close(t: Track, s: Slice | null, ts: number, sgen: Generation | null, sid: number, emit: boolean): void {
    if (s === null || s.dead) return;
    while (t.depth > 0) {
      const top = t.pop();
      top.dead = true;
      this.openSlices--;
      if (top.emitted && emit) {
        if (top === s) this.sink.end(t.desc.uuid, ts, top, sgen, sid);
        else this.sink.end(t.desc.uuid, ts, top, null, 0);
      }
      top.emitted = false;
      if (top === s) break;
    }
  }

  /** Ends every open slice in the sink at ts (innermost first), keeping them open here. */
  endAll(ts: number): void {
    for (const t of this.all) {
      for (let i = t.depth - 1; i >= 0; i--) {
        const s = t.stack[i]!;
        if (!s.emitted) continue;
        this.sink.end(t.desc.uuid, ts, s, null, 0);
        s.emitted = false;
      }
    }
  }

  /** Begins every open slice not yet begun in the sink at ts (outermost first). */
  beginAll(ts: number): void {
    for (const t of this.all) {
      for (let i = 0; i < t.depth; i++) {
        const s = t.stack[i]!;
        if (s.emitted) continue;
        s.flowsIn.n = 0;
        s.flowsOut.n = 0;
        this.emit(t, s, ts);
      }
    }
  }
}

/**
 * A map from goroutine IDs: a dense array for the usual small, increasing IDs
 * (a Map with a million goroutines coming and going reallocates its table
 * over and over), a Map for the rest (damaged traces).
 */
export class IdMap<V> {
  private readonly dense: (V | undefined)[] = [];
  private readonly sparse = new Map<number, V>();
  private static readonly DENSE = 1 << 22;

  get(id: number): V | undefined {
    return id >= 0 && id < IdMap.DENSE ? this.dense[id] : this.sparse.get(id);
  }

  set(id: number, v: V): void {
    if (id >= 0 && id < IdMap.DENSE) {
      const d = this.dense;
      while (d.length < id) d.push(undefined);
      d[id] = v;
    } else this.sparse.set(id, v);
  }

  delete(id: number): void {
    if (id >= 0 && id < IdMap.DENSE) {
      if (id < this.dense.length) this.dense[id] = undefined;
    } else this.sparse.delete(id);
  }

  *values(): IterableIterator<V> {
    for (const v of this.dense) if (v !== undefined) yield v;
    yield* this.sparse.values();
  }
}

/** 1234567 -> "1,234,567" (a group's count in its name; no locale data needed). */
export function thousands(n: number): string {
  const s = String(n);
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ",";
    out += s[i];
  }
  return out;
}
