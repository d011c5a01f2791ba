// Tasks, regions and logs on the timeline.
//
//   Tasks ▸ "checkout ×3,000" ▸ lanes: one slice per task (lanes reused by the
//     next task of the type once one ends), with a child track per goroutine
//     taking part, holding the task's regions (nested) and logs; an arrow from
//     the run that began the task to the run that ended it.
//   Regions and logs outside any task (or of a task that began before the
//   trace) go on the goroutine's own lane.

import { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import { GoState, Kind, NO_TASK } from "../decode/spec.js";
import { Group, type Args } from "./timeline-model.js";
import type { Goroutines, TimelineCtx } from "./timeline-goroutines.js";
import { LanePool, thousands, type Slice, type Track } from "./timeline-tracks.js";

/** A task ID as an argument: a number (a string past 2^53, as Go's uint64 IDs can be in a damaged trace). */
function taskArg(id: number): string | number {
  return id >= 0 && id <= Number.MAX_SAFE_INTEGER ? id : Event.taskString(id);
}

export interface TaskCtx extends TimelineCtx {
  keepAnnotation(task: number, g: number): boolean;
}

class TGroup {
  count = 0;
  constructor(
    readonly name: string,
    readonly pool: LanePool,
  ) {}
}

class TaskInfo {
  lane: Track | null = null;
  slice: Slice | null = null;
  ended = false;
  /** Its regions still open. */
  open = 0;
  /** Its region tracks and their goroutines (a few, mostly one). */
  readonly childG: number[] = [];
  readonly childT: Track[] = [];
  /** Its ID as an argument. */
  readonly idArg: string | number;
  flowId = 0;
  flowSrc: Slice | null = null;
  flowSerial = 0;
  flowTrack = 0;
  flowTs = 0;
  constructor(
    readonly id: number,
    readonly type: string,
    readonly group: TGroup,
  ) {
    this.idArg = taskArg(id);
  }
}

export class Tasks {
  private readonly tasks = new Map<number, TaskInfo>();
  private readonly groups = new Map<string, TGroup>();

  constructor(
    private readonly c: TaskCtx,
    private readonly gor: Goroutines,
  ) {}

  private group(type: string): TGroup {
    let g = this.groups.get(type);
    if (g === undefined) {
      const container = this.c.tracks.make(Group.Tasks, type, this.groups.size, 0, true);
      g = new TGroup(type, new LanePool(this.c.tracks, container, (i) => `${type} ${i}`));
      this.groups.set(type, g);
    }
    return g;
  }

  private lane(ti: TaskInfo, ts: number): Track {
    const lane = ti.group.pool.take(ts);
    ti.lane = lane;
    ti.group.count++;
    return lane;
  }

  begin(ev: Event, ts: number): void {
    const id = ev.taskID();
    if (!this.c.keepAnnotation(id, -2)) return;
    const type = ev.taskType();
    const ti = new TaskInfo(id, type, this.group(type));
    this.tasks.set(id, ti);
    const t = this.c.tracks;
    const s = t.slice(type, "task", ts, ev.gen, ev.stackID());
    this.taskArgs(s, ev, ti, "goroutine");
    const parent = ev.taskParent();
    if (parent !== NO_TASK && parent !== 0) s.args.add("parent", taskArg(parent));
    ti.slice = s;
    t.open(this.lane(ti, ts), s, this.c.inWindow());
    // An arrow to the run that ends the task, out of the run that began it.
    const src = ev.g >= 0 ? this.gor.gs.get(ev.g) : undefined;
    if (src !== undefined && src.run !== null && src.run.emitted && this.c.inWindow()) {
      ti.flowId = this.c.nextFlow();
      ti.flowSrc = src.run;
      ti.flowSerial = src.run.serial;
      ti.flowTrack = src.runTrack!.desc.uuid;
      ti.flowTs = ts;
      src.run.flowsOut.add(ti.flowId, false);
    }
  }

  private taskArgs(s: Slice, ev: Event, ti: TaskInfo, gkey: string): void {
    s.args.add("id", ti.idArg);
    if (ev.g >= 0) s.args.add(gkey, ev.g);
  }

  end(ev: Event, ts: number): void {
    const id = ev.taskID();
    if (!this.c.keepAnnotation(id, -2)) return;
    const t = this.c.tracks;
    let ti = this.tasks.get(id);
    if (ti === undefined) {
      // Began before the trace: drawn from where its lane was last free.
      const type = ev.taskType();
      ti = new TaskInfo(id, type, this.group(type));
      this.tasks.set(id, ti);
      const lane = this.lane(ti, this.c.floor());
      const s = t.slice(type, "task", Math.max(this.c.floor(), lane.freeSince), null, 0);
      this.taskArgs(s, ev, ti, "end goroutine");
      t.open(lane, s, this.c.inWindow());
      t.close(lane, s, ts, ev.gen, ev.stackID(), this.c.inWindow());
      t.recycle(s);
    } else if (ti.slice !== null) {
      t.close(ti.lane!, ti.slice, ts, ev.gen, ev.stackID(), this.c.inWindow());
      t.recycle(ti.slice);
      ti.slice = null;
      const dst = ev.g >= 0 ? this.gor.gs.get(ev.g) : undefined;
      if (ti.flowId !== 0 && dst !== undefined && dst.run !== null && dst.run.emitted && this.c.inWindow()) {
        const src = ti.flowSrc!;
        const open = src.serial === ti.flowSerial && !src.dead;
        // An arrow from a run that ended before this output began has nowhere to start.
        if (!(open && src === dst.run) && (open || ti.flowTs >= this.c.since())) {
          // Either side may be read first by the trace processor: the second one terminates the arrow.
          dst.run.flowsOut.add(ti.flowId, !open);
          t.sink.flowLink(open ? src : null, ti.flowTrack, Math.max(ti.flowTs, this.c.since()), dst.run, dst.runTrack!.desc.uuid, ts, ti.flowId, "task");
          this.gor.flows++;
        }
      }
    }
    ti.ended = true;
    this.maybeDrop(ti, ts);
  }

  private maybeDrop(ti: TaskInfo, ts: number): void {
    if (!ti.ended || ti.open > 0) return;
    if (ti.lane !== null) {
      for (const ch of ti.childT) ti.lane.children!.give(ch, ts);
      ti.group.pool.give(ti.lane, ts);
    }
    this.tasks.delete(ti.id);
  }

  /** Where a region or log of `task` on goroutine g goes. */
  private trackFor(task: number, g: number, ts: number, gen: Generation | null, sid: number): Track {
    const ti = task === 0 ? undefined : this.tasks.get(task);
    if (ti === undefined || ti.lane === null || ti.ended) return this.gor.annotationTrack(g, ts, gen, sid);
    const k = ti.childG.indexOf(g);
    if (k >= 0) return ti.childT[k]!;
    const lane = ti.lane;
    lane.children ??= new LanePool(this.c.tracks, lane, (i) => `${lane.desc.name} regions ${i}`);
    const ch = lane.children.take(ts);
    ti.childG.push(g);
    ti.childT.push(ch);
    return ch;
  }

  private onTaskTrack(t: Track): boolean {
    return t.desc.group === Group.Tasks;
  }

  regionBegin(ev: Event, ts: number): void {
    const g = ev.g;
    const gi = this.gor.get(g);
    const task = ev.regionTask();
    if (!this.c.keepAnnotation(task, g)) {
      gi.pushRegion(null, null, task);
      return;
    }
    const track = this.trackFor(task, g, ts, ev.gen, ev.stackID());
    const t = this.c.tracks;
    const s = t.slice(ev.regionType(), "region", ts, ev.gen, ev.stackID());
    const ti = task === 0 ? undefined : this.tasks.get(task);
    const onTask = this.onTaskTrack(track);
    // On its task's track the task is the one above; on a goroutine's lane the goroutine is.
    if (onTask) s.args.add("goroutine", g);
    else if (task !== 0) s.args.add("task", ti !== undefined ? ti.idArg : taskArg(task));
    t.open(track, s, this.c.inWindow());
    gi.pushRegion(track, s, task);
    if (ti !== undefined && onTask) ti.open++;
  }

  regionEnd(ev: Event, ts: number): void {
    const g = ev.g;
    const gi = this.gor.get(g);
    const task = ev.regionTask();
    const t = this.c.tracks;
    const top = gi.popRegion();
    if (top !== undefined) {
      if (top.slice !== null && top.track !== null) {
        t.close(top.track, top.slice, ts, ev.gen, ev.stackID(), this.c.inWindow());
        t.recycle(top.slice);
      }
      if (top.track !== null && this.onTaskTrack(top.track)) {
        const ti = this.tasks.get(top.task);
        if (ti !== undefined) {
          ti.open--;
          this.maybeDrop(ti, ts);
        }
      }
      if (gi.nRegions === 0 && gi.state === GoState.NotExist) this.gor.drop(gi);
      return;
    }
    // The region began before the trace (or before its goroutine's lane).
    if (!this.c.keepAnnotation(task, g)) return;
    const track = this.trackFor(task, g, ts, ev.gen, ev.stackID());
    const onLane = !this.onTaskTrack(track);
    const since = onLane ? track.ownerSince : Math.max(track.freeSince, this.tasks.get(task)?.slice?.ts ?? -Infinity);
    const s = t.slice(ev.regionType(), "region", Math.max(this.c.floor(), since), null, 0);
    if (!onLane) s.args.add("goroutine", g);
    else if (task !== 0) s.args.add("task", taskArg(task));
    if (track.depth > (onLane ? 1 : 0)) {
      // Something else is open on the track: a slice from the past would not nest; an instant says where it ended.
      s.args.add("began", "before the trace");
      this.c.instant(track, ts, ev.regionType(), "region", s.args, ev.gen, ev.stackID());
      t.recycle(s);
      return;
    }
    t.open(track, s, this.c.inWindow());
    t.close(track, s, ts, ev.gen, ev.stackID(), this.c.inWindow());
    t.recycle(s);
  }

  log(ev: Event, ts: number, args: Args): void {
    const task = ev.logTask();
    const g = ev.g;
    if (!this.c.keepAnnotation(task, g)) return;
    const track = this.trackFor(task, g, ts, ev.gen, ev.stackID());
    const cat = ev.logCategory();
    const msg = ev.logMessage();
    // The name says "[category] message"; the category is an argument too.
    args.clear();
    if (cat !== "") args.add("category", cat);
    if (this.onTaskTrack(track)) args.add("goroutine", g);
    else if (task !== 0) args.add("task", taskArg(task));
    this.c.instant(track, ts, cat === "" ? msg : `[${cat}] ${msg}`, "log", args, ev.gen, ev.stackID());
  }

  /** Renames each task group with its task count (the end of a part). */
  finishPart(): void {
    for (const g of this.groups.values()) {
      const d = g.pool.container.desc;
      const n = `${g.name} ×${thousands(g.count)}`;
      if (d.name === n) continue;
      d.name = n;
      if (g.pool.container.declared) this.c.tracks.sink.rename(d);
    }
  }

  startPart(): void {
    for (const g of this.groups.values()) {
      g.count = 0;
      g.pool.container.desc.name = g.name;
    }
    for (const ti of this.tasks.values()) if (ti.lane !== null && ti.slice !== null) ti.group.count++;
  }
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
