// The high-level event, as Go's internal/trace.Event presents it.
//
// Hot paths never allocate an Event per trace event: the reader hands out a
// small set of Event objects that it reuses, so an Event is valid only until
// the next call to TraceReader.next(). Copy what you need, or call toJSON().

import {
  Ev,
  EXPERIMENTS,
  GoState,
  GO_STATUS_TO_STATE,
  Kind,
  NONE,
  NO_TASK,
  ProcState,
  PROC_STATUS_TO_STATE,
  ProcStatus,
  ResourceKind,
  SPECS,
  TYPE_KIND,
} from "./spec.js";
import type { Generation } from "./generation.js";
import type { StackFrame } from "./tables.js";
import { redactMessage } from "./redact.js";

export interface ClockSnapshot {
  /** Trace time of the snapshot (same clock as Event.time). */
  trace: number;
  /** Monotonic clock, ns. */
  mono: number;
  /** Wall clock: Unix seconds and nanoseconds. */
  sec: number;
  nsec: number;
}

export interface ExperimentalBatch {
  thread: number;
  data: Uint8Array;
}

export class Event {
  /** Wire event type (spec.Ev), or Ev.ReaderSync for the reader's Sync events. */
  type = 0;
  /** Nanoseconds; add TraceReader.timeBase for the trace clock's absolute value. */
  time = 0;
  /** Scheduling context before the event: thread, proc, goroutine (-1 = none). */
  m = NONE;
  p = NONE;
  g = NONE;
  /** Wire arguments after dt (as adjusted by the ordering). */
  a0 = 0;
  a1 = 0;
  a2 = 0;
  a3 = 0;
  /** Value smuggled in by the ordering: old state, parent task, ... */
  aux = 0;
  /** Resolved string smuggled in by the ordering (a TaskEnd's task type). */
  str = "";
  /** The generation whose tables this event's IDs refer to (null for a final Sync). */
  gen: Generation | null = null;
  /** Byte offset in the input of the event (or of its batch). */
  offset = 0;

  copyFrom(o: Event): this {
    this.type = o.type;
    this.time = o.time;
    this.m = o.m;
    this.p = o.p;
    this.g = o.g;
    this.a0 = o.a0;
    this.a1 = o.a1;
    this.a2 = o.a2;
    this.a3 = o.a3;
    this.aux = o.aux;
    this.str = o.str;
    this.gen = o.gen;
    this.offset = o.offset;
    return this;
  }

  /** A detached copy, safe to keep after the reader moves on. */
  clone(): Event {
    return new Event().copyFrom(this);
  }

  get kind(): Kind {
    return TYPE_KIND[this.type]! as Kind;
  }

  arg(i: number): number {
    switch (i) {
      case 0:
        return this.a0;
      case 1:
        return this.a1;
      case 2:
        return this.a2;
      default:
        return this.a3;
    }
  }

  /**
   * The event's own stack ID, -1 when it has none. CPU samples always have one
   * (possibly 0, an empty stack), as in Go.
   */
  stackID(): number {
    const t = this.type;
    if (t === Ev.ReaderSync) return -1;
    if (t === Ev.CPUSample) return this.a0;
    const s = SPECS[t]!.stackIDs;
    if (s.length === 0) return -1;
    const id = this.arg(s[0]! - 1);
    return id === 0 ? -1 : id;
  }

  /** Frames of a stack ID of this event's generation (leaf first). */
  frames(stackID: number): StackFrame[] {
    const out: StackFrame[] = [];
    const g = this.gen;
    if (g === null || stackID <= 0) return out;
    return g.stackFrames(stackID);
  }

  /** A string ID of this event's generation, resolved. */
  string(id: number): string {
    return this.gen === null ? "" : (this.gen.strings.get(id) ?? "");
  }

  // ---- Metric ----
  metricName(): string {
    switch (this.type) {
      case Ev.ProcsChange:
        return "/sched/gomaxprocs:threads";
      case Ev.HeapAlloc:
        return "/memory/classes/heap/objects:bytes";
      case Ev.HeapGoal:
        return "/gc/heap/goal:bytes";
    }
    throw new Error("metricName on a non-Metric event");
  }
  metricValue(): number {
    return this.a0;
  }

  // ---- Label ----
  label(): string {
    return this.string(this.a0);
  }

  // ---- Range ----
  rangeName(): string {
    switch (this.type) {
      case Ev.STWBegin:
      case Ev.STWEnd:
        return "stop-the-world (" + this.string(this.a0) + ")";
      case Ev.GCBegin:
      case Ev.GCActive:
      case Ev.GCEnd:
        return "GC concurrent mark phase";
      case Ev.GCSweepBegin:
      case Ev.GCSweepActive:
      case Ev.GCSweepEnd:
        return "GC incremental sweep";
      case Ev.GCMarkAssistBegin:
      case Ev.GCMarkAssistActive:
      case Ev.GCMarkAssistEnd:
        return "GC mark assist";
    }
    throw new Error("rangeName on a non-Range event");
  }
  rangeScopeKind(): ResourceKind {
    switch (this.type) {
      case Ev.GCBegin:
      case Ev.GCActive:
      case Ev.GCEnd:
        return ResourceKind.None;
      case Ev.GCSweepBegin:
      case Ev.GCSweepActive:
      case Ev.GCSweepEnd:
        return ResourceKind.Proc;
      default:
        return ResourceKind.Goroutine;
    }
  }
  rangeScopeID(): number {
    switch (this.type) {
      case Ev.GCSweepActive:
      case Ev.GCMarkAssistActive:
        return this.a0;
      case Ev.GCSweepBegin:
      case Ev.GCSweepEnd:
        return this.p;
      case Ev.GCBegin:
      case Ev.GCActive:
      case Ev.GCEnd:
        return 0;
      default:
        return this.g;
    }
  }
  /** RangeEnd attributes: only a sweep end has them. */
  rangeAttributes(): { name: string; value: number }[] {
    if (this.type !== Ev.GCSweepEnd) return [];
    return [
      { name: "bytes swept", value: this.a0 },
      { name: "bytes reclaimed", value: this.a1 },
    ];
  }

  // ---- Task ----
  taskID(): number {
    return this.a0;
  }
  taskParent(): number {
    return this.type === Ev.UserTaskBegin ? this.a1 : this.aux;
  }
  taskType(): string {
    return this.type === Ev.UserTaskBegin ? this.string(this.a2) : this.str;
  }

  // ---- Region ----
  regionTask(): number {
    return this.a0;
  }
  regionType(): string {
    return this.string(this.a1);
  }

  // ---- Log ----
  logTask(): number {
    return this.a0;
  }
  logCategory(): string {
    return this.string(this.a1);
  }
  logMessage(): string {
    const m = this.string(this.a2);
    return this.gen !== null && this.gen.redacted ? redactMessage(m) : m;
  }

  // ---- StateTransition ----
  transitionResourceKind(): ResourceKind {
    switch (this.type) {
      case Ev.ProcStart:
      case Ev.ProcStop:
      case Ev.ProcSteal:
      case Ev.ProcStatus:
        return ResourceKind.Proc;
      default:
        return ResourceKind.Goroutine;
    }
  }
  /** The goroutine or proc whose state changes. */
  transitionResource(): number {
    switch (this.type) {
      case Ev.ProcStop:
        return this.p;
      case Ev.GoDestroy:
      case Ev.GoDestroySyscall:
      case Ev.GoStop:
      case Ev.GoBlock:
      case Ev.GoSyscallBegin:
      case Ev.GoSyscallEnd:
      case Ev.GoSyscallEndBlocked:
        return this.g;
      default:
        return this.a0;
    }
  }
  /** State before (GoState or ProcState, per transitionResourceKind). */
  transitionFrom(): number {
    switch (this.type) {
      case Ev.ProcStart:
        return ProcState.Idle;
      case Ev.ProcStop:
        return ProcState.Running;
      case Ev.ProcSteal:
        return this.aux === ProcStatus.SyscallAbandoned ? ProcState.Idle : ProcState.Running;
      case Ev.ProcStatus:
        return this.aux;
      case Ev.GoCreate:
      case Ev.GoCreateBlocked:
      case Ev.GoCreateSyscall:
        return GoState.NotExist;
      case Ev.GoStart:
        return GoState.Runnable;
      case Ev.GoDestroy:
      case Ev.GoStop:
      case Ev.GoBlock:
      case Ev.GoSyscallBegin:
        return GoState.Running;
      case Ev.GoDestroySyscall:
      case Ev.GoSyscallEnd:
      case Ev.GoSyscallEndBlocked:
        return GoState.Syscall;
      case Ev.GoUnblock:
      case Ev.GoSwitch:
      case Ev.GoSwitchDestroy:
        return GoState.Waiting;
      case Ev.GoStatus:
      case Ev.GoStatusStack:
        return this.aux;
    }
    throw new Error("transitionFrom on a non-StateTransition event");
  }
  /** State after. */
  transitionTo(): number {
    switch (this.type) {
      case Ev.ProcStart:
        return ProcState.Running;
      case Ev.ProcStop:
      case Ev.ProcSteal:
        return ProcState.Idle;
      case Ev.ProcStatus:
        return PROC_STATUS_TO_STATE[this.a1] ?? ProcState.Undetermined;
      case Ev.GoCreate:
        return GoState.Runnable;
      case Ev.GoCreateBlocked:
        return GoState.Waiting;
      case Ev.GoCreateSyscall:
        return GoState.Syscall;
      case Ev.GoStart:
      case Ev.GoSyscallEnd:
        return GoState.Running;
      case Ev.GoDestroy:
      case Ev.GoDestroySyscall:
        return GoState.NotExist;
      case Ev.GoStop:
      case Ev.GoSyscallEndBlocked:
      case Ev.GoUnblock:
      case Ev.GoSwitch:
      case Ev.GoSwitchDestroy:
        return GoState.Runnable;
      case Ev.GoBlock:
        return GoState.Waiting;
      case Ev.GoSyscallBegin:
        return GoState.Syscall;
      case Ev.GoStatus:
      case Ev.GoStatusStack:
        return GO_STATUS_TO_STATE[this.a2] ?? GoState.Undetermined;
    }
    throw new Error("transitionTo on a non-StateTransition event");
  }
  /** Block or stop reason ("" when none). */
  transitionReason(): string {
    return this.type === Ev.GoStop || this.type === Ev.GoBlock ? this.string(this.a0) : "";
  }
  /**
   * The stack of the transitioning resource, -1 when none. For goroutine
   * creation it is the new goroutine's start stack (possibly 0 = empty), as Go does.
   */
  transitionStackID(): number {
    switch (this.type) {
      case Ev.GoCreate:
      case Ev.GoCreateBlocked:
        return this.a1;
      case Ev.GoStop:
      case Ev.GoBlock:
      case Ev.GoSyscallBegin:
      case Ev.GoStatus:
      case Ev.GoStatusStack:
        return this.stackID();
    }
    return -1;
  }

  // ---- Sync ----
  syncN(): number {
    return this.a0;
  }
  clockSnapshot(): ClockSnapshot | null {
    const g = this.gen;
    if (this.type !== Ev.ReaderSync || g === null || !g.hasClockSnapshot) return null;
    return { trace: g.snapTime, mono: g.snapMono, sec: g.snapSec, nsec: g.snapNsec };
  }
  experimentalBatches(): Map<string, ExperimentalBatch[]> {
    const out = new Map<string, ExperimentalBatch[]>();
    const g = this.gen;
    if (this.type !== Ev.ReaderSync || g === null) return out;
    for (const [exp, list] of g.expBatches) out.set(EXPERIMENTS[exp] ?? `Experiment(${exp})`, list);
    return out;
  }

  // ---- Experimental ----
  experimentalName(): string {
    return SPECS[this.type]!.name;
  }
  experimentName(): string {
    return EXPERIMENTS[SPECS[this.type]!.experiment] ?? "";
  }
  experimentalArgNames(): readonly string[] {
    return SPECS[this.type]!.args.slice(1);
  }

  /** Task ID formatting helper: NO_TASK prints as Go's 2^64-1. */
  static taskString(id: number): string {
    return id === NO_TASK ? "18446744073709551615" : String(id);
  }
}
