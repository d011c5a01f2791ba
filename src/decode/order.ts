// The ordering: emulates the scheduler's G/P/M state to validate events and to
// decide which thread's next event may come next, following the rules of Go's
// internal/trace/order.go (partial order by per-G and per-P sequence numbers,
// GC sequence numbers, and the per-M event order).

import { TraceError } from "./errors.js";
import { Event } from "./event.js";
import type { Generation } from "./generation.js";
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

interface GState {
  id: number;
  status: number;
  seqGen: number;
  seq: number;
  /** Active user regions: task IDs and names (allocated on first use). */
  regionTask: number[] | null;
  regionName: string[] | null;
  /** In-flight ranges, encoded as startType + 256 * descStringID. */
  ranges: number[] | null;
}

interface PState {
  id: number;
  status: number;
  seqGen: number;
  seq: number;
  ranges: number[];
}

interface MState {
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

/** A small ring of reusable events produced by one successful advance. */
class EventQueue {
  private readonly ring: Event[] = [];
  private start = 0;
  private end = 0;
  constructor(size = 16) {
    for (let i = 0; i < size; i++) this.ring.push(new Event());
  }
  get length(): number {
    return this.end - this.start;
  }
  /** Returns a fresh slot to fill. */
  push(): Event {
    const e = this.ring[this.end % this.ring.length]!;
    this.end++;
    return e;
  }
  pop(): Event | null {
    if (this.end === this.start) return null;
    const e = this.ring[this.start % this.ring.length]!;
    this.start++;
    return e;
  }
}

function rangeType(typ: number, desc: number): number {
  const st = SPECS[typ]!.startEv;
  return (st !== 0 ? st : typ) + 256 * desc;
}

export class Ordering {
  readonly gStates = new Map<number, GState>();
  readonly pStates = new Map<number, PState>();
  readonly mStates = new Map<number, MState>();
  readonly activeTasks = new Map<number, { name: string; parent: number }>();
  gcSeq = 0;
  gcState = GC.Undetermined;
  initialGen = 0;
  readonly queue = new EventQueue();
  readonly version: number;

  // Context of the event being advanced (mutable, to avoid allocation).
  private curM = NONE;
  private curP = NONE;
  private curG = NONE;
  private newP = NONE;
  private newG = NONE;
  private ev!: Event;
  private lastM = NaN;
  private lastMs: MState | undefined = undefined;
  private evt!: Generation;
  private gen = 0;

  constructor(version: number) {
    this.version = version;
  }

  private name(typ: number): string {
    return eventName(this.version, typ);
  }

  private fail(msg: string): never {
    throw new TraceError(msg, this.ev.offset);
  }

  /** Queues a copy of the event being advanced with the current context. */
  private emit(): Event {
    const q = this.queue.push();
    q.copyFrom(this.ev);
    q.m = this.curM;
    q.p = this.curP;
    q.g = this.curG;
    q.gen = this.evt;
    return q;
  }

  /** Queues a synthesized event. */
  private emitSynth(typ: number, m: number, p: number, g: number, a0 = 0, a1 = 0): Event {
    const q = this.queue.push();
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
   * Tries to advance `ev`, which came from thread `m` in generation `gen`.
   * Returns false when it must wait for other threads; throws on a broken trace.
   */
  advance(ev: Event, evt: Generation, m: number, gen: number): boolean {
    if (this.initialGen === 0) this.initialGen = gen;
    this.ev = ev;
    this.evt = evt;
    this.gen = gen;
    this.curM = m;
    let ms: MState | undefined;
    if (m === NONE) {
      this.curP = NONE;
      this.curG = NONE;
    } else {
      ms = m === this.lastM ? this.lastMs : this.mStates.get(m);
      if (ms === undefined) {
        ms = { g: NONE, p: NONE };
        this.mStates.set(m, ms);
      }
      this.curP = ms.p;
      this.curG = ms.g;
      this.lastM = m;
      this.lastMs = ms;
    }
    this.newP = this.curP;
    this.newG = this.curG;
    const ok = this.dispatch(ev.type);
    if (ok && ms !== undefined) {
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

  private succeeds(seqGen: number, seq: number, gen: number, n: number): boolean {
    return seqGen === gen && n === seq + 1;
  }

  private procStatus(): boolean {
    const ev = this.ev;
    const pid = ev.a0;
    const status = ev.a1; // as on the wire; ev.a1 may be rewritten below
    if (status < 0 || status >= 5) this.fail(`invalid status for proc ${pid}: ${status < 0 ? "18446744073709551615" : status}`);
    let oldState: number = PROC_STATUS_TO_STATE[status]!;
    const s = this.pStates.get(pid);
    if (s !== undefined) {
      if (status === ProcStatus.SyscallAbandoned && s.status === ProcStatus.Syscall) {
        // Still in the syscall we know about: nothing was lost.
        oldState = ProcState.Running;
        ev.a1 = ProcStatus.Syscall;
      } else if (status === ProcStatus.SyscallAbandoned && s.status === ProcStatus.SyscallAbandoned) {
        oldState = ProcState.Idle;
        ev.a1 = ProcStatus.SyscallAbandoned;
      } else if (s.status !== status) {
        this.fail(`inconsistent status for proc ${pid}: old ${PROC_STATUS_NAMES[s.status]} vs. new ${PROC_STATUS_NAMES[status]}`);
      }
      s.seqGen = this.gen;
      s.seq = 0;
    } else {
      this.pStates.set(pid, { id: pid, status, seqGen: this.gen, seq: 0, ranges: [] });
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
    const st = this.pStates.get(pid);
    if (st === undefined || st.status !== ProcStatus.Idle || !this.succeeds(st.seqGen, st.seq, this.gen, seq) || this.curP !== NONE) {
      return false;
    }
    this.validate(MUST, MUST_NOT, MAY);
    st.status = ProcStatus.Running;
    st.seqGen = this.gen;
    st.seq = seq;
    this.newP = pid;
    this.emit();
    return true;
  }

  private procStop(): boolean {
    const st = this.pStates.get(this.curP);
    if (st === undefined) this.fail(`event ${this.name(this.ev.type)} for proc (${this.curP}) that doesn't exist`);
    if (st.status !== ProcStatus.Running && st.status !== ProcStatus.Syscall) {
      this.fail(`${this.name(this.ev.type)} event for proc that's not Running or Syscall`);
    }
    this.validate(MUST, MUST, MAY);
    st.status = ProcStatus.Idle;
    this.newP = NONE;
    this.emit();
    return true;
  }

  private procSteal(): boolean {
    const ev = this.ev;
    const pid = ev.a0;
    const seq = ev.a1;
    const st = this.pStates.get(pid);
    if (
      st === undefined ||
      (st.status !== ProcStatus.Syscall && st.status !== ProcStatus.SyscallAbandoned) ||
      !this.succeeds(st.seqGen, st.seq, this.gen, seq)
    ) {
      return false;
    }
    this.validate(MUST, MAY, MAY);
    const oldStatus = st.status;
    ev.aux = oldStatus;
    st.status = ProcStatus.Idle;
    st.seqGen = this.gen;
    st.seq = seq;
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
    const s = this.gStates.get(gid);
    if (s !== undefined) {
      if (s.status !== status) {
        this.fail(`inconsistent status for goroutine ${gid}: old ${GO_STATUS_NAMES[s.status]} vs. new ${GO_STATUS_NAMES[status]}`);
      }
      s.seqGen = this.gen;
      s.seq = 0;
    } else if (this.gen === this.initialGen) {
      this.gStates.set(gid, newG(gid, status, this.gen));
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
    const cur = this.gStates.get(this.curG);
    if (cur !== undefined && cur.status !== GoStatus.Running) {
      this.fail(`${this.name(this.ev.type)} event for goroutine that's not Running`);
    }
    const newgid = this.ev.a0;
    if (this.gStates.has(newgid)) this.fail(`tried to create goroutine (${newgid}) that already exists`);
    const status = this.ev.type === Ev.GoCreateBlocked ? GoStatus.Waiting : GoStatus.Runnable;
    this.gStates.set(newgid, newG(newgid, status, this.gen));
    this.emit();
    return true;
  }

  private runningG(): GState {
    this.validate(MUST, MUST, MUST);
    const st = this.gStates.get(this.curG);
    if (st === undefined) this.fail(`event ${this.name(this.ev.type)} for goroutine (${this.curG}) that doesn't exist`);
    if (st.status !== GoStatus.Running) this.fail(`${this.name(this.ev.type)} event for goroutine that's not Running`);
    return st;
  }

  private goStopExec(): boolean {
    const st = this.runningG();
    switch (this.ev.type) {
      case Ev.GoDestroy:
        this.gStates.delete(this.curG);
        break;
      case Ev.GoStop:
        st.status = GoStatus.Runnable;
        break;
      case Ev.GoBlock:
        st.status = GoStatus.Waiting;
        break;
    }
    this.newG = NONE;
    this.emit();
    return true;
  }

  private goStart(): boolean {
    const gid = this.ev.a0;
    const seq = this.ev.a1;
    const st = this.gStates.get(gid);
    if (st === undefined || st.status !== GoStatus.Runnable || !this.succeeds(st.seqGen, st.seq, this.gen, seq)) return false;
    this.validate(MUST, MUST, MUST_NOT);
    st.status = GoStatus.Running;
    st.seqGen = this.gen;
    st.seq = seq;
    this.newG = gid;
    this.emit();
    return true;
  }

  private goUnblock(): boolean {
    const gid = this.ev.a0;
    const seq = this.ev.a1;
    const st = this.gStates.get(gid);
    if (st === undefined || st.status !== GoStatus.Waiting || !this.succeeds(st.seqGen, st.seq, this.gen, seq)) return false;
    st.status = GoStatus.Runnable;
    st.seqGen = this.gen;
    st.seq = seq;
    this.emit();
    return true;
  }

  private goSwitch(): boolean {
    const cur = this.runningG();
    const nextg = this.ev.a0;
    const seq = this.ev.a1;
    const next = this.gStates.get(nextg);
    if (next === undefined || next.status !== GoStatus.Waiting || !this.succeeds(next.seqGen, next.seq, this.gen, seq)) return false;
    this.emit();
    if (this.ev.type === Ev.GoSwitch) {
      cur.status = GoStatus.Waiting;
      this.emitSynth(Ev.GoBlock, this.curM, this.curP, this.curG, 0, 0);
    } else {
      this.gStates.delete(this.curG);
      this.emitSynth(Ev.GoDestroy, this.curM, this.curP, this.curG);
    }
    next.status = GoStatus.Running;
    next.seqGen = this.gen;
    next.seq = seq;
    this.newG = nextg;
    this.emitSynth(Ev.GoStart, this.curM, this.curP, NONE, nextg, seq);
    return true;
  }

  private goSyscallBegin(): boolean {
    const st = this.runningG();
    st.status = GoStatus.Syscall;
    const ps = this.pStates.get(this.curP);
    if (ps === undefined) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
    ps.status = ProcStatus.Syscall;
    const pseq = this.ev.a0;
    if (!this.succeeds(ps.seqGen, ps.seq, this.gen, pseq)) {
      this.fail(
        `failed to advance ${this.name(this.ev.type)}: can't make sequence: ${ps.seq} (gen=${ps.seqGen}) -> ${pseq} (gen=${this.gen})`,
      );
    }
    ps.seqGen = this.gen;
    ps.seq = pseq;
    this.emit();
    return true;
  }

  private goSyscallEnd(): boolean {
    this.validate(MUST, MUST, MUST);
    const st = this.gStates.get(this.curG);
    if (st === undefined) this.fail(`event ${this.name(this.ev.type)} for goroutine (${this.curG}) that doesn't exist`);
    if (st.status !== GoStatus.Syscall) this.fail(`${this.name(this.ev.type)} event for goroutine that's not Running`);
    st.status = GoStatus.Running;
    const ps = this.pStates.get(this.curP);
    if (ps === undefined) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
    if (ps.status !== ProcStatus.Syscall) this.fail(`expected proc ${this.curP} in state Syscall, but got ${PROC_STATUS_NAMES[ps.status]} instead`);
    ps.status = ProcStatus.Running;
    this.emit();
    return true;
  }

  private goSyscallEndBlocked(): boolean {
    if (this.curP !== NONE) {
      const ps = this.pStates.get(this.curP);
      if (ps === undefined) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
      if (ps.status === ProcStatus.Syscall) return false;
    }
    this.validate(MUST, MAY, MUST);
    const st = this.gStates.get(this.curG);
    if (st === undefined) this.fail(`event ${this.name(this.ev.type)} for goroutine (${this.curG}) that doesn't exist`);
    if (st.status !== GoStatus.Syscall) this.fail(`${this.name(this.ev.type)} event for goroutine that's not Running`);
    this.newG = NONE;
    st.status = GoStatus.Runnable;
    this.emit();
    return true;
  }

  private goCreateSyscall(): boolean {
    this.validate(MUST, MAY, MUST_NOT);
    const newgid = this.ev.a0;
    if (this.gStates.has(newgid)) this.fail(`tried to create goroutine (${newgid}) in syscall that already exists`);
    this.gStates.set(newgid, newG(newgid, GoStatus.Syscall, this.gen));
    this.newG = newgid;
    this.emit();
    return true;
  }

  private goDestroySyscall(): boolean {
    this.validate(MUST, MAY, MUST);
    const st = this.gStates.get(this.curG);
    if (st === undefined) this.fail(`event ${this.name(this.ev.type)} for goroutine (${this.curG}) that doesn't exist`);
    if (st.status !== GoStatus.Syscall) this.fail(`${this.name(this.ev.type)} event for goroutine that's not Syscall`);
    this.gStates.delete(this.curG);
    this.newG = NONE;
    if (this.curP !== NONE) {
      const ps = this.pStates.get(this.curP);
      if (ps === undefined) this.fail(`found invalid proc ${this.curP} during ${this.name(this.ev.type)}`);
      if (ps.status !== ProcStatus.Syscall) {
        this.fail(`proc ${this.curP} in unexpected state ${PROC_STATUS_NAMES[ps.status]} during ${this.name(this.ev.type)}`);
      }
      ps.status = ProcStatus.SyscallAbandoned;
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
    const name = this.evt.strings.get(ev.a2);
    if (name === undefined) this.fail(`invalid string ID ${ev.a2} for ${ev.type} event`);
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
    const name = this.evt.strings.get(ev.a1);
    if (name === undefined) this.fail(`invalid string ID ${ev.a1} for ${ev.type} event`);
    const st = this.gStates.get(this.curG);
    if (st === undefined) {
      this.fail(`encountered ${begin ? "EvUserRegionBegin" : "EvUserRegionEnd"} without known state for current goroutine ${this.curG}`);
    }
    if (begin) {
      (st.regionTask ??= []).push(tid);
      (st.regionName ??= []).push(name);
    } else if (st.regionTask !== null && st.regionName !== null && st.regionTask.length > 0) {
      const n = st.regionTask.length - 1;
      if (st.regionTask[n] !== tid || st.regionName[n] !== name) {
        this.fail(
          `misuse of region in goroutine ${st.id}: region end {${tid} ${name}} when the inner-most active region start event is {${st.regionTask[n]} ${st.regionName[n]}}`,
        );
      }
      st.regionTask.pop();
      st.regionName.pop();
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
    const ps = this.pStates.get(this.curP);
    if (ps === undefined) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
    beginRange(ps.ranges, rangeType(this.ev.type, 0), (m) => this.fail(m));
    this.emit();
    return true;
  }

  private gcSweepActive(): boolean {
    const pid = this.ev.a0;
    const ps = this.pStates.get(pid);
    if (ps === undefined) this.fail(`encountered GCSweepActive for unknown proc ${pid}`);
    activeRange(ps.ranges, rangeType(this.ev.type, 0), this.gen === this.initialGen, (m) => this.fail(m));
    this.emit();
    return true;
  }

  private gcSweepEnd(): boolean {
    this.validate(MUST, MUST, MAY);
    const ps = this.pStates.get(this.curP);
    if (ps === undefined) this.fail(`uninitialized proc ${this.curP} found during ${this.name(this.ev.type)}`);
    endRange(ps.ranges, this.ev.type, (m) => this.fail(m));
    this.emit();
    return true;
  }

  private goRangeBegin(): boolean {
    this.validate(MUST, MUST, MUST);
    const desc = this.ev.type === Ev.STWBegin ? this.ev.a0 : 0;
    const st = this.gStates.get(this.curG);
    if (st === undefined) this.fail(`encountered event of type ${this.ev.type} without known state for current goroutine ${this.curG}`);
    beginRange((st.ranges ??= []), rangeType(this.ev.type, desc), (m) => this.fail(m));
    this.emit();
    return true;
  }

  private goRangeActive(): boolean {
    const gid = this.ev.a0;
    const st = this.gStates.get(gid);
    if (st === undefined) this.fail(`uninitialized goroutine ${gid} found during ${this.name(this.ev.type)}`);
    activeRange((st.ranges ??= []), rangeType(this.ev.type, 0), this.gen === this.initialGen, (m) => this.fail(m));
    this.emit();
    return true;
  }

  private goRangeEnd(): boolean {
    this.validate(MUST, MUST, MUST);
    const st = this.gStates.get(this.curG);
    if (st === undefined) this.fail(`encountered event of type ${this.ev.type} without known state for current goroutine ${this.curG}`);
    const desc = endRange((st.ranges ??= []), this.ev.type, (m) => this.fail(m));
    if (this.ev.type === Ev.STWEnd) this.ev.a0 = desc;
    this.emit();
    return true;
  }
}

function newG(id: number, status: number, gen: number): GState {
  return { id, status, seqGen: gen, seq: 0, regionTask: null, regionName: null, ranges: null };
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
