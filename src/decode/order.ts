// The ordering: emulates the scheduler's G/P/M state to validate events and to
// decide which thread's next event may come next, following the rules of Go's
// internal/trace/order.go (partial order by per-G and per-P sequence numbers,
// GC sequence numbers, and the per-M event order).

import { TraceError } from "./errors.js";
import { Event } from "./event.js";
import type { Generation } from "./generation.js";
import { StateTable } from "./tables.js";
import {
  Ev,
  eventName,
  GoState,
  GoStatus,
  GO_STATUS_NAMES,
  GO_STATUS_TO_STATE,
  NONE,
  NO_TASK,
  ProcState,
  ProcStatus,
  PROC_STATUS_NAMES,
  PROC_STATUS_TO_STATE,
  SPECS,
} from "./spec.js";

export interface MState {
  g: number;
  p: number;
}

const enum GC {
  Undetermined = 0,
  NotRunning = 1,
  Running = 2,
}

const MUST_NOT = 0;
const MAY = 1;
const MUST = 2;

/**
 * The events produced by one successful advance: the advanced event itself
 * (by reference, not copied) and up to two synthesized ones (from a small
 * pool of reused objects). It is drained before the next advance.
 */
class EventQueue {
  private readonly ring: (Event | null)[] = [null, null, null, null, null, null, null, null];
  private readonly pool: Event[] = [new Event(), new Event(), new Event(), new Event()];
  private poolNext = 0;
  private start = 0;
  private end = 0;
  get length(): number {
    return this.end - this.start;
  }
  pushRef(e: Event): void {
    this.ring[this.end & 7] = e;
    this.end++;
  }
  /** Returns a pooled event to fill, queued. */
  pushSynth(): Event {
    const e = this.pool[this.poolNext]!;
    this.poolNext = (this.poolNext + 1) & 3;
    this.pushRef(e);
    return e;
  }
  pop(): Event | null {
    if (this.end === this.start) return null;
    const e = this.ring[this.start & 7]!;
    this.start++;
    if (this.start === this.end) this.start = this.end = 0;
    return e;
  }
}

function rangeType(typ: number, desc: number): number {
  const st = SPECS[typ]!.startEv;
  return (st !== 0 ? st : typ) + 256 * desc;
}

export class Ordering {
  /** Goroutine and proc states. Slots move on insert/remove: look them up again after either. */
  readonly gs = new StateTable();
  readonly ps = new StateTable();
  readonly mStates = new Map<number, MState>();
  readonly activeTasks = new Map<number, { name: string; parent: number }>();
  gcSeq = 0;
  gcState = GC.Undetermined;
  initialGen = 0;
  /**
   * Advancing a damaged generation (reader option `salvage`): its string
   * table may be missing, so unknown task and region names resolve as "".
   */
  lenient = false;
  readonly queue = new EventQueue();
  readonly version: number;

  // Context of the event being advanced (mutable, to avoid allocation).
  private curM = NONE;
  private curP = NONE;
  private curG = NONE;
  private newP = NONE;
  private newG = NONE;
  private ev!: Event;
  private evt!: Generation;
  private gen = 0;

  constructor(version: number) {
    this.version = version;
  }

  /** The state of thread `m`, created on first use (the object stays the same from then on). */
  mState(m: number): MState {
    let ms = this.mStates.get(m);
    if (ms === undefined) {
      ms = { g: NONE, p: NONE };
      this.mStates.set(m, ms);
    }
    return ms;
  }

  private name(typ: number): string {
    return eventName(this.version, typ);
  }

  private fail(msg: string): never {
    throw new TraceError(msg, this.ev.offset);
  }

  /** Queues the event being advanced (itself, not a copy) with the current context. */
  private emit(): void {
    const q = this.ev;
    q.m = this.curM;
    q.p = this.curP;
    q.g = this.curG;
    q.gen = this.evt;
    this.queue.pushRef(q);
  }

  /** Queues a synthesized event. */
  private emitSynth(typ: number, m: number, p: number, g: number, a0 = 0, a1 = 0): Event {
    const q = this.queue.pushSynth();
    q.type = typ;
    q.time = this.ev.time;
    q.m = m;
    q.p = p;
    q.g = g;
    q.a0 = a0;
    q.a1 = a1;
    q.a2 = 0;
    q.a3 = 0;
    q.aux = 0;
    q.str = "";
    q.gen = this.evt;
    q.offset = this.ev.offset;
    return q;
  }

  private validate(m: number, p: number, g: number): void {
    if (m === MUST && this.curM === NONE) this.fail("expected a thread but didn't have one");
    if (m === MUST_NOT && this.curM !== NONE) this.fail("expected no thread but had one");
    if (p === MUST && this.curP === NONE) this.fail("expected a proc but didn't have one");
    if (p === MUST_NOT && this.curP !== NONE) this.fail("expected no proc but had one");
    if (g === MUST && this.curG === NONE) this.fail("expected a goroutine but didn't have one");
    if (g === MUST_NOT && this.curG !== NONE) this.fail("expected no goroutine but had one");
  }

  /**
   * Tries to advance `ev`, which came from thread `m` (whose state is `ms`,
   * from mState(m), or null when m is NONE) in generation `gen`. Returns
   * false when it must wait for other threads; throws on a broken trace. On
   * success the queue holds `ev` itself (and maybe synthesized events).
   */
  advance(ev: Event, evt: Generation, m: number, gen: number, ms: MState | null): boolean {
    if (this.initialGen === 0) this.initialGen = gen;
    this.ev = ev;
    this.evt = evt;
    this.gen = gen;
    this.curM = m;
    if (ms === null) {
      this.curP = NONE;
      this.curG = NONE;
    } else {
      this.curP = ms.p;
      this.curG = ms.g;
    }
    this.newP = this.curP;
    this.newG = this.curG;
    const ok = this.dispatch(ev.type);
    if (ok && ms !== null) {
      ms.p = this.newP;
      ms.g = this.newG;
    }
    return ok;
  }

  private dispatch(typ: number): boolean {
    switch (typ) {
      case Ev.ProcsChange:
      case Ev.GoLabel:
      case Ev.UserLog:
        return this.annotation();
      case Ev.ProcStart:
        return this.procStart();
      case Ev.ProcStop:
        return this.procStop();
      case Ev.ProcSteal:
        return this.procSteal();
      case Ev.ProcStatus:
        return this.procStatus();
      case Ev.GoCreate:
      case Ev.GoCreateBlocked:
        return this.goCreate();
      case Ev.GoCreateSyscall:
        return this.goCreateSyscall();
      case Ev.GoStart:
        return this.goStart();
      case Ev.GoDestroy:
      case Ev.GoStop:
      case Ev.GoBlock:
        return this.goStopExec();
      case Ev.GoDestroySyscall:
        return this.goDestroySyscall();
      case Ev.GoUnblock:
        return this.goUnblock();
      case Ev.GoSyscallBegin:
        return this.goSyscallBegin();
      case Ev.GoSyscallEnd:
        return this.goSyscallEnd();
      case Ev.GoSyscallEndBlocked:
        return this.goSyscallEndBlocked();
      case Ev.GoStatus:
      case Ev.GoStatusStack:
        return this.goStatus();
      case Ev.STWBegin:
      case Ev.GCMarkAssistBegin:
        return this.goRangeBegin();
      case Ev.STWEnd:
      case Ev.GCMarkAssistEnd:
        return this.goRangeEnd();
      case Ev.GCMarkAssistActive:
        return this.goRangeActive();
      case Ev.GCActive:
        return this.gcActive();
      case Ev.GCBegin:
        return this.gcBegin();
      case Ev.GCEnd:
        return this.gcEnd();
      case Ev.GCSweepActive:
        return this.gcSweepActive();
      case Ev.GCSweepBegin:
        return this.gcSweepBegin();
      case Ev.GCSweepEnd:
        return this.gcSweepEnd();
      case Ev.HeapAlloc:
      case Ev.HeapGoal:
        return this.heapMetric();
      case Ev.UserTaskBegin:
        return this.userTaskBegin();
      case Ev.UserTaskEnd:
        return this.userTaskEnd();
      case Ev.UserRegionBegin:
        return this.userRegion(true);
      case Ev.UserRegionEnd:
        return this.userRegion(false);
      case Ev.GoSwitch:
      case Ev.GoSwitchDestroy:
        return this.goSwitch();
      case Ev.Span:
      case Ev.SpanAlloc:
      case Ev.SpanFree:
      case Ev.HeapObject:
      case Ev.HeapObjectAlloc:
      case Ev.HeapObjectFree:
      case Ev.GoroutineStack:
      case Ev.GoroutineStackAlloc:
      case Ev.GoroutineStackFree:
        this.validate(MUST, MAY, MAY);
        this.emit();
        return true;
    }
    this.fail(`bad event type found while ordering: ${typ}`);
  }

  private procStatus(): boolean {
    const ev = this.ev;
    const pid = ev.a0;
    const status = ev.a1; // as on the wire; ev.a1 may be rewritten below
    if (status < 0 || status >= 5) this.fail(`invalid status for proc ${pid}: ${status < 0 ? "18446744073709551615" : status}`);
    let oldState: number = PROC_STATUS_TO_STATE[status]!;
    const ps = this.ps;
    const s = ps.find(pid);
    if (s >= 0) {
      const old = ps.status(s);
      if (status === ProcStatus.SyscallAbandoned && old === ProcStatus.Syscall) {
        // Still in the syscall we know about: nothing was lost.
        oldState = ProcState.Running;
        ev.a1 = ProcStatus.Syscall;
      } else if (status === ProcStatus.SyscallAbandoned && old === ProcStatus.SyscallAbandoned) {
        oldState = ProcState.Idle;
        ev.a1 = ProcStatus.SyscallAbandoned;
      } else if (old !== status) {
        this.fail(`inconsistent status for proc ${pid}: old ${PROC_STATUS_NAMES[old]} vs. new ${PROC_STATUS_NAMES[status]}`);
      }
      ps.setSeq(s, this.gen, 0);
    } else {
      ps.insert(pid, status, this.gen, 0);
      oldState = this.gen === this.initialGen ? ProcState.Undetermined : ProcState.NotExist;
    }
    ev.aux = oldState;
    if (status === ProcStatus.Running || status === ProcStatus.Syscall) this.newP = pid;
    // A P about to be stolen: attribute the event to the thread that holds it.
    if (status === ProcStatus.SyscallAbandoned && oldState === ProcState.Running) {
      let found = false;
      for (const [mid, ms] of this.mStates) {
        if (ms.p === pid) {
          this.curM = mid;
          this.curP = pid;
          this.curG = ms.g;
          found = true;
        }
      }
      if (!found) this.fail(`failed to find sched context for proc ${pid} that's about to be stolen`);
    }
    this.emit();
    return true;
  }

  private procStart(): boolean {
    const pid = this.ev.a0;
    const seq = this.ev.a1;
    const ps = this.ps;
    const st = ps.find(pid);
    if (st < 0 || ps.status(st) !== ProcStatus.Idle || !ps.succeeds(st, this.gen, seq) || this.curP !== NONE) {
      return false;
    }
    this.validate(MUST, MUST_NOT, MAY);
    ps.setStatus(st, ProcStatus.Running);
    ps.setSeq(st, this.gen, seq);
    this.newP = pid;
    this.emit();
    return true;
  }

  private procStop(): boolean {
    const ps = this.ps;
    const st = ps.find(this.curP);
    if (st < 0) this.fail(`event ${this.name(this.ev.type)} for proc (${this.curP}) that doesn't exist`);
    const s = ps.status(st);
    if (s !== ProcStatus.Running && s !== ProcStatus.Syscall) {
      this.fail(`${this.name(this.ev.type)} event for proc that's not Running or Syscall`);
    }
    this.validate(MUST, MUST, MAY);
    ps.setStatus(st, ProcStatus.Idle);
    this.newP = NONE;
    this.emit();
    return true;
  }

  private procSteal(): boolean {
    const ev = this.ev;
    const pid = ev.a0;
    const seq = ev.a1;
    const ps = this.ps;
    const st = ps.find(pid);
    if (st < 0) return false;
    const oldStatus = ps.status(st);
    if ((oldStatus !== ProcStatus.Syscall && oldStatus !== ProcStatus.SyscallAbandoned) || !ps.succeeds(st, this.gen, seq)) {
      return false;
    }
    this.validate(MUST, MAY, MAY);
    ev.aux = oldStatus;
    ps.setStatus(st, ProcStatus.Idle);
    ps.setSeq(st, this.gen, seq);
    if (oldStatus === ProcStatus.SyscallAbandoned) {
      this.emit();
      return true;
    }
    const mid = ev.a2;
    if (mid === this.curM) {
      if (this.curP !== pid) this.fail(`tried to self-steal proc ${pid} (thread ${mid}), but got proc ${this.curP} instead`);
      this.newP = NONE;
      this.emit();
      return true;
    }
    const ms = this.mStates.get(mid);
    if (ms === undefined) this.fail(`stole proc from non-existent thread ${mid}`);
    if (ms.p !== pid) this.fail(`tried to steal proc ${pid} from thread ${mid}, but got proc ${ms.p} instead`);
    ms.p = NONE;
    this.emit();
    return true;
  }

  private goStatus(): boolean {
    const ev = this.ev;
    const gid = ev.a0;
    const mid = ev.a1;
    const status = ev.a2;
    if (status < 0 || status >= 5) this.fail(`invalid status for goroutine ${gid}: ${status < 0 ? "18446744073709551615" : status}`);
    let oldState: number = GO_STATUS_TO_STATE[status]!;
    const gs = this.gs;
    const s = gs.find(gid);
    if (s >= 0) {
      const old = gs.status(s);
      if (old !== status) {
        this.fail(`inconsistent status for goroutine ${gid}: old ${GO_STATUS_NAMES[old]} vs. new ${GO_STATUS_NAMES[status]}`);
      }
      gs.setSeq(s, this.gen, 0);
    } else if (this.gen === this.initialGen) {
      gs.insert(gid, status, this.gen, 0);
      oldState = GoState.Undetermined;
    } else {
      this.fail(`found goroutine status for new goroutine after the first generation: id=${gid} status=${GO_STATUS_NAMES[status]}`);
    }
    ev.aux = oldState;
    if (status === GoStatus.Running) {
      this.newG = gid;
    } else if (status === GoStatus.Syscall) {
      if (mid === NONE) this.fail(`found goroutine ${gid} in syscall without a thread`);
      if (mid === this.curM) {
        if (this.gen !== this.initialGen && this.curG !== gid) {
          this.fail(`inconsistent thread for syscalling goroutine ${gid}: thread has goroutine ${this.curG}`);
        }
        this.newG = gid;
      } else {
        const ms = this.mStates.get(mid);
        if (ms !== undefined) {
          if (ms.g !== gid) this.fail(`inconsistent thread for syscalling goroutine ${gid}: thread has goroutine ${ms.g}`);
          this.curG = ms.g;
        } else {
          this.mStates.set(mid, { g: gid, p: NONE });
        }
        this.curM = mid;
      }
    }
    this.emit();
    return true;
  }

  private goCreate(): boolean {
    this.validate(MUST, MUST, MAY);
    const gs = this.gs;
    const cur = gs.find(this.curG);
    if (cur >= 0 && gs.status(cur) !== GoStatus.Running) {
      this.fail(`${this.name(this.ev.type)} event for goroutine that's not Running`);
    }
    const newgid = this.ev.a0;
    if (gs.find(newgid) >= 0) this.fail(`tried to create goroutine (${newgid}) that already exists`);
    const status = this.ev.type === Ev.GoCreateBlocked ? GoStatus.Waiting : GoStatus.Runnable;
    gs.insert(newgid, status, this.gen, 0);
    this.emit();
    return true;
  }

  /** Slot of the running current goroutine (validated). */
  private runningG(): number {
    this.validate(MUST, MUST, MUST);
    const gs = this.gs;
    const st = gs.find(this.curG);
    if (st < 0) this.fail(`event ${this.name(this.ev.type)} for goroutine (${this.curG}) that doesn't exist`);
    if (gs.status(st) !== GoStatus.Running) this.fail(`${this.name(this.ev.type)} event for goroutine that's not Running`);
    return st;
  }

  private goStopExec(): boolean {
    const st = this.runningG();
    switch (this.ev.type) {
      case Ev.GoDestroy:
        this.gs.remove(st);
        break;
      case Ev.GoStop:
        this.gs.setStatus(st, GoStatus.Runnable);
        break;
      case Ev.GoBlock:
        this.gs.setStatus(st, GoStatus.Waiting);
        break;
    }
    this.newG = NONE;
    this.emit();
    return true;
  }

  private goStart(): boolean {
    const gid = this.ev.a0;
    const seq = this.ev.a1;
    const gs = this.gs;
    const st = gs.find(gid);
    if (st < 0 || gs.status(st) !== GoStatus.Runnable || !gs.succeeds(st, this.gen, seq)) return false;
    this.validate(MUST, MUST, MUST_NOT);
    gs.setStatus(st, GoStatus.Running);
    gs.setSeq(st, this.gen, seq);
    this.newG = gid;
    this.emit();
    return true;
  }

  private goUnblock(): boolean {
    const gid = this.ev.a0;
    const seq = this.ev.a1;
    const gs = this.gs;
    const st = gs.find(gid);
    if (st < 0 || gs.status(st) !== GoStatus.Waiting || !gs.succeeds(st, this.gen, seq)) return false;
    gs.setStatus(st, GoStatus.Runnable);
    gs.setSeq(st, this.gen, seq);
    this.emit();
    return true;
  }

  private goSwitch(): boolean {
    const cur = this.runningG();
    const nextg = this.ev.a0;
    const seq = this.ev.a1;
    const gs = this.gs;
    let next = gs.find(nextg);
    if (next < 0 || gs.status(next) !== GoStatus.Waiting || !gs.succeeds(next, this.gen, seq)) return false;
    this.emit();
    if (this.ev.type === Ev.GoSwitch) {
      gs.setStatus(cur, GoStatus.Waiting);
      this.emitSynth(Ev.GoBlock, this.curM, this.curP, this.curG, 0, 0);
    } else {
      gs.remove(cur);
      next = gs.find(nextg); // the removal may have moved it
      this.emitSynth(Ev.GoDestroy, this.curM, this.curP, this.curG);
    }
    gs.setStatus(next, GoStatus.Running);
    gs.setSeq(next, this.gen, seq);
    this.newG = nextg;
    this.emitSynth(Ev.GoStart, this.curM, this.curP, NONE, nextg, seq);
    return true;
  }

  private goSyscallBegin(): boolean {
    const st = this.runningG();
    this.gs.setStatus(st, GoStatus.Syscall);
    const ps = this.ps;
    const p = ps.find(this.curP);
    if (p < 0) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
    ps.setStatus(p, ProcStatus.Syscall);
    const pseq = this.ev.a0;
    if (!ps.succeeds(p, this.gen, pseq)) {
      this.fail(
        `failed to advance ${this.name(this.ev.type)}: can't make sequence: ${ps.seq(p)} (gen=${ps.seqGen(p)}) -> ${pseq} (gen=${this.gen})`,
      );
    }
    ps.setSeq(p, this.gen, pseq);
    this.emit();
    return true;
  }

  private goSyscallEnd(): boolean {
    this.validate(MUST, MUST, MUST);
    const gs = this.gs;
    const st = gs.find(this.curG);
    if (st < 0) this.fail(`event ${this.name(this.ev.type)} for goroutine (${this.curG}) that doesn't exist`);
    if (gs.status(st) !== GoStatus.Syscall) this.fail(`${this.name(this.ev.type)} event for goroutine that's not Running`);
    gs.setStatus(st, GoStatus.Running);
    const ps = this.ps;
    const p = ps.find(this.curP);
    if (p < 0) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
    if (ps.status(p) !== ProcStatus.Syscall) this.fail(`expected proc ${this.curP} in state Syscall, but got ${PROC_STATUS_NAMES[ps.status(p)]} instead`);
    ps.setStatus(p, ProcStatus.Running);
    this.emit();
    return true;
  }

  private goSyscallEndBlocked(): boolean {
    if (this.curP !== NONE) {
      const ps = this.ps;
      const p = ps.find(this.curP);
      if (p < 0) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
      if (ps.status(p) === ProcStatus.Syscall) return false;
    }
    this.validate(MUST, MAY, MUST);
    const gs = this.gs;
    const st = gs.find(this.curG);
    if (st < 0) this.fail(`event ${this.name(this.ev.type)} for goroutine (${this.curG}) that doesn't exist`);
    if (gs.status(st) !== GoStatus.Syscall) this.fail(`${this.name(this.ev.type)} event for goroutine that's not Running`);
    this.newG = NONE;
    gs.setStatus(st, GoStatus.Runnable);
    this.emit();
    return true;
  }

  private goCreateSyscall(): boolean {
    this.validate(MUST, MAY, MUST_NOT);
    const newgid = this.ev.a0;
    if (this.gs.find(newgid) >= 0) this.fail(`tried to create goroutine (${newgid}) in syscall that already exists`);
    this.gs.insert(newgid, GoStatus.Syscall, this.gen, 0);
    this.newG = newgid;
    this.emit();
    return true;
  }

  private goDestroySyscall(): boolean {
    this.validate(MUST, MAY, MUST);
    const gs = this.gs;
    const st = gs.find(this.curG);
    if (st < 0) this.fail(`event ${this.name(this.ev.type)} for goroutine (${this.curG}) that doesn't exist`);
    if (gs.status(st) !== GoStatus.Syscall) this.fail(`${this.name(this.ev.type)} event for goroutine that's not Syscall`);
    gs.remove(st);
    this.newG = NONE;
    if (this.curP !== NONE) {
      const ps = this.ps;
      const p = ps.find(this.curP);
      if (p < 0) this.fail(`found invalid proc ${this.curP} during ${this.name(this.ev.type)}`);
      if (ps.status(p) !== ProcStatus.Syscall) {
        this.fail(`proc ${this.curP} in unexpected state ${PROC_STATUS_NAMES[ps.status(p)]} during ${this.name(this.ev.type)}`);
      }
      ps.setStatus(p, ProcStatus.SyscallAbandoned);
      this.newP = NONE;
      const extra = this.emitSynth(Ev.ProcSteal, this.curM, this.curP, this.curG, this.curP);
      extra.aux = ProcStatus.Syscall;
    }
    this.emit();
    return true;
  }

  private userTaskBegin(): boolean {
    const ev = this.ev;
    const id = ev.a0;
    if (this.activeTasks.has(id)) this.fail(`task ID conflict: ${id === NO_TASK ? "18446744073709551615" : id}`);
    let parent = ev.a1;
    if (parent === 0) {
      parent = NO_TASK;
      ev.a1 = NO_TASK;
    }
    let name = this.evt.strings.get(ev.a2);
    if (name === undefined) {
      if (!this.lenient) this.fail(`invalid string ID ${ev.a2} for ${ev.type} event`);
      name = "";
    }
    this.activeTasks.set(id, { name, parent });
    this.validate(MUST, MUST, MUST);
    this.emit();
    return true;
  }

  private userTaskEnd(): boolean {
    const ev = this.ev;
    const id = ev.a0;
    const ts = this.activeTasks.get(id);
    if (ts !== undefined) {
      ev.aux = ts.parent;
      ev.str = ts.name;
      this.activeTasks.delete(id);
    } else {
      ev.aux = NO_TASK;
      ev.str = "";
    }
    this.validate(MUST, MUST, MUST);
    this.emit();
    return true;
  }

  private userRegion(begin: boolean): boolean {
    this.validate(MUST, MUST, MUST);
    const ev = this.ev;
    const tid = ev.a0;
    let name = this.evt.strings.get(ev.a1);
    const known = name !== undefined;
    if (name === undefined) {
      if (!this.lenient) this.fail(`invalid string ID ${ev.a1} for ${ev.type} event`);
      name = "";
    }
    const gs = this.gs;
    const st = gs.find(this.curG);
    if (st < 0) {
      this.fail(`encountered ${begin ? "EvUserRegionBegin" : "EvUserRegionEnd"} without known state for current goroutine ${this.curG}`);
    }
    const x = gs.extra(st);
    if (begin) {
      x.regionTask.push(tid);
      x.regionName.push(name);
    } else if (x.regionTask.length > 0) {
      const n = x.regionTask.length - 1;
      if (x.regionTask[n] !== tid || (known && x.regionName[n] !== name)) {
        this.fail(
          `misuse of region in goroutine ${gs.key(st)}: region end {${tid} ${name}} when the inner-most active region start event is {${x.regionTask[n]} ${x.regionName[n]}}`,
        );
      }
      x.regionTask.pop();
      x.regionName.pop();
    }
    this.emit();
    return true;
  }

  private gcActive(): boolean {
    const seq = this.ev.a0;
    if (this.gen === this.initialGen) {
      if (this.gcState !== GC.Undetermined) this.fail("GCActive in the first generation isn't first GC event");
      this.gcSeq = seq;
      this.gcState = GC.Running;
      this.emit();
      return true;
    }
    if (seq !== this.gcSeq + 1) return false;
    if (this.gcState !== GC.Running) this.fail("encountered GCActive while GC was not in progress");
    this.gcSeq = seq;
    this.validate(MUST, MUST, MUST);
    this.emit();
    return true;
  }

  private gcBegin(): boolean {
    const seq = this.ev.a0;
    if (this.gcState === GC.Undetermined) {
      this.gcSeq = seq;
      this.gcState = GC.Running;
      this.emit();
      return true;
    }
    if (seq !== this.gcSeq + 1) return false;
    if (this.gcState === GC.Running) this.fail("encountered GCBegin while GC was already in progress");
    this.gcSeq = seq;
    this.gcState = GC.Running;
    this.validate(MUST, MUST, MUST);
    this.emit();
    return true;
  }

  private gcEnd(): boolean {
    const seq = this.ev.a0;
    if (seq !== this.gcSeq + 1) return false;
    if (this.gcState === GC.NotRunning) this.fail("encountered GCEnd when GC was not in progress");
    if (this.gcState === GC.Undetermined) this.fail("encountered GCEnd when GC was in an undetermined state");
    this.gcSeq = seq;
    this.gcState = GC.NotRunning;
    this.validate(MUST, MUST, MUST);
    this.emit();
    return true;
  }

  private annotation(): boolean {
    this.validate(MUST, MUST, MUST);
    this.emit();
    return true;
  }

  private heapMetric(): boolean {
    this.validate(MUST, MUST, MAY);
    this.emit();
    return true;
  }

  private gcSweepBegin(): boolean {
    this.validate(MUST, MUST, MAY);
    const p = this.ps.find(this.curP);
    if (p < 0) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
    beginRange(this.ps.extra(p).ranges, rangeType(this.ev.type, 0), (m) => this.fail(m));
    this.emit();
    return true;
  }

  private gcSweepActive(): boolean {
    const pid = this.ev.a0;
    const p = this.ps.find(pid);
    if (p < 0) this.fail(`encountered GCSweepActive for unknown proc ${pid}`);
    activeRange(this.ps.extra(p).ranges, rangeType(this.ev.type, 0), this.gen === this.initialGen, (m) => this.fail(m));
    this.emit();
    return true;
  }

  private gcSweepEnd(): boolean {
    this.validate(MUST, MUST, MAY);
    const p = this.ps.find(this.curP);
    if (p < 0) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
    endRange(this.ps.extra(p).ranges, this.ev.type, (m) => this.fail(m));
    this.emit();
    return true;
  }

  private goRangeBegin(): boolean {
    this.validate(MUST, MUST, MUST);
    const desc = this.ev.type === Ev.STWBegin ? this.ev.a0 : 0;
    const st = this.gs.find(this.curG);
    if (st < 0) this.fail(`encountered event of type ${this.ev.type} without known state for current goroutine ${this.curG}`);
    beginRange(this.gs.extra(st).ranges, rangeType(this.ev.type, desc), (m) => this.fail(m));
    this.emit();
    return true;
  }

  private goRangeActive(): boolean {
    const gid = this.ev.a0;
    const st = this.gs.find(gid);
    if (st < 0) this.fail(`uninitialized goroutine ${gid} found during ${this.name(this.ev.type)}`);
    activeRange(this.gs.extra(st).ranges, rangeType(this.ev.type, 0), this.gen === this.initialGen, (m) => this.fail(m));
    this.emit();
    return true;
  }

  private goRangeEnd(): boolean {
    this.validate(MUST, MUST, MUST);
    const st = this.gs.find(this.curG);
    if (st < 0) this.fail(`encountered event of type ${this.ev.type} without known state for current goroutine ${this.curG}`);
    const desc = endRange(this.gs.extra(st).ranges, this.ev.type, (m) => this.fail(m));
    if (this.ev.type === Ev.STWEnd) this.ev.a0 = desc;
    this.emit();
    return true;
  }
}

function beginRange(ranges: number[], rt: number, fail: (m: string) => never): void {
  if (ranges.includes(rt)) fail(`discovered event already in-flight for when starting event ${SPECS[rt % 256]!.name}`);
  ranges.push(rt);
}

function activeRange(ranges: number[], rt: number, initial: boolean, fail: (m: string) => never): void {
  if (initial) {
    if (ranges.includes(rt)) fail(`found named active range already in first gen: {${rt % 256} ${Math.floor(rt / 256)}}`);
    ranges.push(rt);
  } else if (!ranges.includes(rt)) {
    fail(`resource is missing active range: ${SPECS[rt % 256]!.name} [${ranges.map((r) => `{${r % 256} ${Math.floor(r / 256)}}`).join(" ")}]`);
  }
}

/** Ends the range started by the start event of `typ`; returns its description string ID. */
function endRange(ranges: number[], typ: number, fail: (m: string) => never): number {
  const st = SPECS[typ]!.startEv;
  let idx = -1;
  for (let i = 0; i < ranges.length; i++) {
    if (ranges[i]! % 256 === st) {
      idx = i;
      break;
    }
  }
  if (idx < 0) fail(`tried to end event ${SPECS[st]!.name}, but not in-flight`);
  const desc = Math.floor(ranges[idx]! / 256);
  ranges[idx] = ranges[ranges.length - 1]!;
  ranges.pop();
  return desc;
}
