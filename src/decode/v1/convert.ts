// Go 1.11-1.21 traces: parsed whole (the format has no generations; the whole
// trace is one) and converted into the same event model as the 1.22+ format,
// the way Go's internal/trace/tracev1.go does it: most events map one to one;
// GoSysCall becomes a 1 ns syscall unless the goroutine's next event is
// GoSysBlock; goroutines that existed before the trace get GoStatus events;
// GoStartLabel adds a Label event.

import { TraceError } from "../errors.js";
import { Event } from "../event.js";
import { Generation } from "../generation.js";
import { Ev, GoStatus, NO_TASK, ProcStatus } from "../spec.js";
import { norm, V1 } from "./events.js";
import { V1Parser } from "./parser.js";
import { A0, A1, A2, splitArgs, STK } from "./raw.js";
import { SYSCALL_BLOCKED, TYPE_MASK } from "./store.js";
import { validate } from "./validate.js";

// Strings the converter adds (block reasons and stop-the-world kinds), in Go's order.
const BUILTINS = [
  "forever",
  "preempted",
  "runtime.Gosched",
  "sleep",
  "chan send",
  "chan receive",
  "network",
  "sync",
  "sync.(*Cond).Wait",
  "select",
  "",
  "GC mark assist wait for work",
  // STW kinds, from sSTWUnknown on.
  "",
  "GC mark termination",
  "GC sweep termination",
  "write heap dump",
  "goroutine profile",
  "goroutine profile cleanup",
  "all goroutine stack trace",
  "read mem stats",
  "AllThreadsSyscall",
  "GOMAXPROCS",
  "start trace",
  "stop trace",
  "CountPagesInUse (test)",
  "ReadMetricsSlow (test)",
  "ReadMemStatsSlow (test)",
  "PageCachePagesLeaked (test)",
  "ResetDebugLog (test)",
];
const S_FOREVER = 0;
const S_PREEMPTED = 1;
const S_GOSCHED = 2;
const S_SLEEP = 3;
const S_CHAN_SEND = 4;
const S_CHAN_RECV = 5;
const S_NETWORK = 6;
const S_SYNC = 7;
const S_SYNC_COND = 8;
const S_SELECT = 9;
const S_EMPTY = 10;
const S_MARK_ASSIST_WAIT = 11;
const S_STW_UNKNOWN = 12;
const NUM_STW_REASONS = 17;

export class V1Converter {
  parsed = false;
  /** Time of the last event returned (-1 before the first). */
  lastTs = -1;
  readonly version: number;
  /** The one "generation" of the trace: its strings and stacks. */
  readonly gen = new Generation();
  private readonly redact: boolean;
  private ps: V1Parser | null = null;
  private builtin0 = 0;
  private nextStringId = 0;
  private readonly inline = new Map<string, number>();

  private preInit = true;
  private readonly createdPreInit = new Map<number, boolean>();
  private readonly tasks = new Map<number, { name: string; parent: number }>();
  private readonly seenProcs = new Set<number>();
  private readonly procMs = new Map<number, number>();
  private lastStwReason = 0;

  private readonly out = new Event();
  private extra: Event[] = [];
  private extraHead = 0;
  private extraLen = 0;

  constructor(version: number, redact = false) {
    this.version = version;
    this.redact = redact;
  }

  private chunks: Uint8Array[] = [];
  private block: Uint8Array | null = null;
  private blockLen = 0;
  private inputLen = 0;
  private inputBase = -1;

  /** Keeps a copy of the next input bytes (`offset`: where they are in the input). */
  take(bytes: Uint8Array, offset: number): void {
    if (this.inputBase < 0) this.inputBase = offset;
    this.inputLen += bytes.length;
    if (this.block !== null && this.blockLen + bytes.length <= this.block.length) {
      this.block.set(bytes, this.blockLen);
      this.blockLen += bytes.length;
      return;
    }
    this.flushBlock();
    if (bytes.length >= 1 << 20) {
      this.chunks.push(bytes.slice());
      return;
    }
    this.block = new Uint8Array(4 << 20);
    this.block.set(bytes, 0);
    this.blockLen = bytes.length;
  }

  private flushBlock(): void {
    if (this.block !== null && this.blockLen > 0) this.chunks.push(this.block.subarray(0, this.blockLen));
    this.block = null;
    this.blockLen = 0;
  }

  /** Parses and checks the whole trace, from the bytes given to take(). */
  parse(): void {
    this.flushBlock();
    let data: Uint8Array;
    if (this.chunks.length === 1 && this.chunks[0]!.byteOffset === 0) data = this.chunks[0]!;
    else {
      data = new Uint8Array(this.inputLen);
      let p = 0;
      for (const c of this.chunks) {
        data.set(c, p);
        p += c.length;
      }
    }
    this.chunks = [];
    this.parseBytes(data, this.inputBase < 0 ? 16 : this.inputBase);
  }

  /** Parses and checks the whole trace (`bytes` after the header, starting at input offset `offset`). */
  parseBytes(bytes: Uint8Array, offset: number): void {
    const gen = this.gen;
    gen.gen = 1;
    gen.freq = 1;
    const ps = new V1Parser(this.version, gen.strings, gen.stacks);
    ps.parse(bytes, offset);
    validate(ps);
    ps.iter!.reset();
    this.ps = ps;
    // Converter strings after the trace's own.
    let id = ps.rr.maxStringId + 1;
    this.builtin0 = id;
    for (const s of BUILTINS) gen.strings.insert(id++, s);
    this.nextStringId = id;
    if (this.redact) gen.redact();
    this.parsed = true;
  }

  /** Time of the first event (before conversion), null when there is none. */
  peekTime(): number | null {
    const ps = this.ps;
    if (ps === null || ps.store.n === 0) return null;
    const it = ps.iter!.clone();
    const i = it.next();
    return i < 0 ? null : ps.store.tsAt(i);
  }

  next(): Event | null {
    for (;;) {
      let ev: Event | null;
      if (this.extraLen > 0) {
        ev = this.extra[this.extraHead++]!;
        if (--this.extraLen === 0) this.extraHead = 0;
      } else {
        const i = this.ps!.iter!.next();
        if (i < 0) return null;
        ev = this.convert(i);
        if (ev === null) continue;
      }
      if (ev.time <= this.lastTs) ev.time = this.lastTs + 1;
      this.lastTs = ev.time;
      return ev;
    }
  }

  private pushExtra(): Event {
    const k = this.extraHead + this.extraLen++;
    while (this.extra.length <= k) this.extra.push(new Event());
    return this.extra[k]!;
  }

  private fill(e: Event, type: number, time: number, m: number, p: number, g: number, a0: number, a1: number, a2: number, a3: number, off: number): Event {
    e.type = type;
    e.time = time;
    e.m = m;
    e.p = p;
    e.g = g;
    e.a0 = a0;
    e.a1 = a1;
    e.a2 = a2;
    e.a3 = a3;
    e.aux = 0;
    e.str = "";
    e.gen = this.gen;
    e.offset = off;
    return e;
  }

  private reason(k: number): number {
    return this.builtin0 + k;
  }

  private stwReason(kind: number): number {
    if (this.version < 21) return kind === 0 || kind === 1 ? kind + 1 : 0;
    return kind >= 0 && kind < NUM_STW_REASONS ? kind : 0;
  }

  private inlineString(s: string): number {
    let id = this.inline.get(s);
    if (id === undefined) {
      id = this.nextStringId++;
      this.inline.set(s, id);
      this.gen.strings.insert(id, s);
    }
    return id;
  }

  /** Converts stored event i; null when it produces nothing (yet). */
  private convert(i: number): Event | null {
    const ps = this.ps!;
    const store = ps.store;
    const rr = ps.rr;
    const raw = store.typeAt(i);
    const t = norm(raw & TYPE_MASK);
    const ts = store.tsAt(i);
    const G = store.gAt(i);
    const P = store.pAt(i);
    const off = store.offAt(i);
    rr.off = off;
    rr.read(0);
    splitArgs(rr);
    const at = rr.base + off;
    // Stacks that do not exist (or are empty) are dropped, as Go's parser does.
    const stk = STK !== 0 && ps.stacks.depth(STK) === 0 ? 0 : STK;
    const a0 = A0;
    const a1 = A1;
    const a2 = A2;
    let type: number;
    let m0 = 0;
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    let aux = 0;
    let str = "";
    switch (t) {
      case V1.Gomaxprocs:
        if (this.preInit) {
          // The first Gomaxprocs ends the trace's start-up: goroutines created
          // before it and never seen since were runnable (or idle).
          this.preInit = false;
          for (const gid of this.createdPreInit.keys()) {
            this.fill(this.pushExtra(), Ev.GoStatus, ts, -1, -1, -1, gid, -1, GoStatus.Runnable, 0, at);
          }
          this.createdPreInit.clear();
          return null;
        }
        type = Ev.ProcsChange;
        m0 = a0;
        m1 = stk;
        break;
      case V1.ProcStart:
        this.procMs.set(P, a0);
        if (this.seenProcs.has(P)) {
          type = Ev.ProcStart;
          m0 = P;
        } else {
          this.seenProcs.add(P);
          type = Ev.ProcStatus;
          m0 = P;
          m1 = ProcStatus.Running;
        }
        break;
      case V1.ProcStop:
        if (this.seenProcs.has(P)) {
          type = Ev.ProcStop;
          m0 = P;
        } else {
          this.seenProcs.add(P);
          type = Ev.ProcStatus;
          m0 = P;
          m1 = ProcStatus.Idle;
        }
        break;
      case V1.GCStart:
        type = Ev.GCBegin;
        m0 = a0;
        m1 = stk;
        break;
      case V1.GCDone:
        type = Ev.GCEnd;
        break;
      case V1.STWStart: {
        const sid = this.reason(S_STW_UNKNOWN + this.stwReason(a0));
        this.lastStwReason = sid;
        type = Ev.STWBegin;
        m0 = sid;
        break;
      }
      case V1.STWDone:
        type = Ev.STWEnd;
        m0 = this.lastStwReason;
        break;
      case V1.GCSweepStart:
        type = Ev.GCSweepBegin;
        m0 = stk;
        break;
      case V1.GCSweepDone:
        type = Ev.GCSweepEnd;
        m0 = a0;
        m1 = a1;
        break;
      case V1.GoCreate:
        if (this.preInit) {
          this.createdPreInit.set(a0, true);
          return null;
        }
        type = Ev.GoCreate;
        m0 = a0;
        m1 = a1;
        m2 = stk;
        break;
      case V1.GoStart:
        if (this.preInit) {
          type = Ev.GoStatus;
          m0 = a0;
          m1 = -1;
          m2 = GoStatus.Running;
          this.createdPreInit.delete(a0);
        } else {
          type = Ev.GoStart;
          m0 = a0;
          m1 = a1;
        }
        break;
      case V1.GoStartLabel: {
        const m = this.procMs.get(P) ?? 0;
        this.fill(this.pushExtra(), Ev.GoLabel, ts, m, P, G, a2, 0, 0, 0, at);
        return this.fill(this.out, Ev.GoStart, ts, m, P, G, a0, a1, a2, 0, at);
      }
      case V1.GoEnd:
        type = Ev.GoDestroy;
        break;
      case V1.GoStop:
        type = Ev.GoBlock;
        m0 = this.reason(S_FOREVER);
        m1 = stk;
        break;
      case V1.GoSched:
        type = Ev.GoStop;
        m0 = this.reason(S_GOSCHED);
        m1 = stk;
        break;
      case V1.GoPreempt:
        type = Ev.GoStop;
        m0 = this.reason(S_PREEMPTED);
        m1 = stk;
        break;
      case V1.GoSleep:
        type = Ev.GoBlock;
        m0 = this.reason(S_SLEEP);
        m1 = stk;
        break;
      case V1.GoBlock:
        type = Ev.GoBlock;
        m0 = this.reason(S_EMPTY);
        m1 = stk;
        break;
      case V1.GoUnblock:
        type = Ev.GoUnblock;
        m0 = a0;
        m1 = a1;
        m2 = stk;
        break;
      case V1.GoBlockSend:
        type = Ev.GoBlock;
        m0 = this.reason(S_CHAN_SEND);
        m1 = stk;
        break;
      case V1.GoBlockRecv:
        type = Ev.GoBlock;
        m0 = this.reason(S_CHAN_RECV);
        m1 = stk;
        break;
      case V1.GoBlockSelect:
        type = Ev.GoBlock;
        m0 = this.reason(S_SELECT);
        m1 = stk;
        break;
      case V1.GoBlockSync:
        type = Ev.GoBlock;
        m0 = this.reason(S_SYNC);
        m1 = stk;
        break;
      case V1.GoBlockCond:
        type = Ev.GoBlock;
        m0 = this.reason(S_SYNC_COND);
        m1 = stk;
        break;
      case V1.GoBlockNet:
        type = Ev.GoBlock;
        m0 = this.reason(S_NETWORK);
        m1 = stk;
        break;
      case V1.GoBlockGC:
        type = Ev.GoBlock;
        m0 = this.reason(S_MARK_ASSIST_WAIT);
        m1 = stk;
        break;
      case V1.GoSysCall:
        if ((raw & SYSCALL_BLOCKED) !== 0) {
          type = Ev.GoSyscallBegin;
          m1 = stk;
        } else {
          // A syscall that did not block: a 1 ns syscall.
          const m = this.procMs.get(P) ?? 0;
          this.fill(this.pushExtra(), Ev.GoSyscallEnd, ts + 1, m, P, G, 0, 0, 0, 0, at);
          return this.fill(this.out, Ev.GoSyscallBegin, ts, m, P, G, 0, stk, 0, 0, at);
        }
        break;
      case V1.GoSysExit:
        type = Ev.GoSyscallEndBlocked;
        m0 = a0;
        m1 = a1;
        m2 = a2;
        break;
      case V1.GoSysBlock:
        return null;
      case V1.GoWaiting:
        type = Ev.GoStatus;
        m0 = a0;
        m1 = -1;
        m2 = GoStatus.Waiting;
        this.createdPreInit.delete(a0);
        break;
      case V1.GoInSyscall:
        type = Ev.GoStatus;
        m0 = a0;
        m1 = -1;
        m2 = GoStatus.Syscall;
        this.createdPreInit.delete(a0);
        break;
      case V1.HeapAlloc:
        type = Ev.HeapAlloc;
        m0 = a0;
        break;
      case V1.HeapGoal:
        type = Ev.HeapGoal;
        m0 = a0;
        break;
      case V1.GCMarkAssistStart:
        type = Ev.GCMarkAssistBegin;
        m0 = stk;
        break;
      case V1.GCMarkAssistDone:
        type = Ev.GCMarkAssistEnd;
        break;
      case V1.UserTaskCreate: {
        type = Ev.UserTaskBegin;
        m0 = a0;
        m1 = a1 === 0 ? NO_TASK : a1;
        m2 = a2;
        m3 = stk;
        this.tasks.set(a0, { name: this.gen.strings.get(a2) ?? "", parent: a1 });
        break;
      }
      case V1.UserTaskEnd: {
        type = Ev.UserTaskEnd;
        m0 = a0;
        m1 = stk;
        const task = this.tasks.get(a0);
        if (task !== undefined) {
          this.tasks.delete(a0);
          aux = task.parent;
          str = task.name;
        } else {
          aux = NO_TASK;
        }
        break;
      }
      case V1.UserRegion:
        if (a1 === 0) type = Ev.UserRegionBegin;
        else if (a1 === 1) type = Ev.UserRegionEnd;
        else throw new TraceError(`unexpected user region mode ${a1}`, at);
        m0 = a0;
        m1 = a2;
        m2 = stk;
        break;
      case V1.UserLog:
        type = Ev.UserLog;
        m0 = a0;
        m1 = a1;
        m2 = this.inlineString(rr.message());
        m3 = stk;
        break;
      case V1.CPUSample:
        // Go 1.21 and older samples have no thread.
        return this.fill(this.out, Ev.CPUSample, ts, -1, P, G === 0 ? -1 : G, stk, -1, P, stk, at);
      default:
        throw new TraceError(`unexpected event type ${t}`, at);
    }
    let m = -1;
    if (P !== -1) {
      const x = this.procMs.get(P);
      if (x !== undefined) m = x;
    }
    if (t === V1.ProcStop) this.procMs.delete(P);
    const e = this.fill(this.out, type, ts, m, P, G === 0 ? -1 : G, m0, m1, m2, m3, at);
    e.aux = aux;
    e.str = str;
    return e;
  }
}
