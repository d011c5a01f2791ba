// Merging the per-P batches of a Go 1.11-1.21 trace (Go's tracev1/order.go):
// an event is ready when the goroutine it affects is in the state (and at the
// sequence number) it expects; among ready events the earliest goes first.

import { V1 } from "./events.js";
import { GTable } from "./gtable.js";

/** One P's current batch, decoded (or the CPU samples' pseudo-P). */
export class Proc {
  readonly pid: number;
  n = 0;
  pos = 0;
  done = false;
  typ = new Uint8Array(0);
  ts = new Float64Array(0);
  g = new Float64Array(0);
  p = new Int32Array(0);
  a0 = new Float64Array(0);
  a1 = new Float64Array(0);
  off = new Uint32Array(0);

  constructor(pid: number) {
    this.pid = pid;
  }

  /** Empties the buffer, making room for about `cap` events. */
  reset(cap: number): void {
    this.n = 0;
    this.pos = 0;
    if (this.typ.length < cap) this.grow(cap);
  }

  private grow(cap: number): void {
    cap = Math.max(cap, 16, this.typ.length * 2);
    const n = this.n;
    const typ = new Uint8Array(cap);
    typ.set(this.typ.subarray(0, n));
    const ts = new Float64Array(cap);
    ts.set(this.ts.subarray(0, n));
    const g = new Float64Array(cap);
    g.set(this.g.subarray(0, n));
    const p = new Int32Array(cap);
    p.set(this.p.subarray(0, n));
    const a0 = new Float64Array(cap);
    a0.set(this.a0.subarray(0, n));
    const a1 = new Float64Array(cap);
    a1.set(this.a1.subarray(0, n));
    const off = new Uint32Array(cap);
    off.set(this.off.subarray(0, n));
    this.typ = typ;
    this.ts = ts;
    this.g = g;
    this.p = p;
    this.a0 = a0;
    this.a1 = a1;
    this.off = off;
  }

  add(t: number, ts: number, g: number, p: number, a0: number, a1: number, off: number): void {
    if (this.n === this.typ.length) this.grow(this.n + 1);
    const k = this.n++;
    this.typ[k] = t;
    this.ts[k] = ts;
    this.g[k] = g;
    this.p[k] = p;
    this.a0[k] = a0;
    this.a1[k] = a1;
    this.off[k] = off;
  }

  /** Time of the event this proc has in the frontier. */
  get headTs(): number {
    return this.ts[this.pos - 1]!;
  }
}

const DEAD = 0;
const RUNNABLE = 1;
const RUNNING = 2;
const WAITING = 3;

// Result of stateTransition, in a scratch array (no allocation per event):
// [kind (0: no ordering requirement, 1: goroutine TR_G, 2: the GC sequence),
//  g, initial seq, any initial seq?, initial status, next seq,
//  next seq mode (0: next seq, 1: keep the current, 2: current + 1), next status]
export const TR = new Float64Array(8);
const KIND = 0;
const G = 1;
const IN_SEQ = 2;
const IN_ANY = 3;
const IN_STATUS = 4;
const NEXT_SEQ = 5;
const NEXT_MODE = 6;
const NEXT_STATUS = 7;

function set(kind: number, g: number, iseq: number, ianys: number, istatus: number, nseq: number, nmode: number, nstatus: number): void {
  const r = TR;
  r[KIND] = kind;
  r[G] = g;
  r[IN_SEQ] = iseq;
  r[IN_ANY] = ianys;
  r[IN_STATUS] = istatus;
  r[NEXT_SEQ] = nseq;
  r[NEXT_MODE] = nmode;
  r[NEXT_STATUS] = nstatus;
}

/** What state the event needs, and what it leaves, for its goroutine (into TR). */
export function stateTransition(t: number, g: number, a0: number, a1: number): void {
  switch (t) {
    case V1.GoCreate:
      return set(1, a0, 0, 0, DEAD, 1, 0, RUNNABLE);
    case V1.GoWaiting:
    case V1.GoInSyscall:
      return set(1, g, 1, 0, RUNNABLE, 2, 0, WAITING);
    case V1.GoStart:
    case V1.GoStartLabel:
      return set(1, g, a1, 0, RUNNABLE, a1 + 1, 0, RUNNING);
    case V1.GoStartLocal:
      return set(1, g, 0, 1, RUNNABLE, 0, 2, RUNNING);
    case V1.GoBlock:
    case V1.GoBlockSend:
    case V1.GoBlockRecv:
    case V1.GoBlockSelect:
    case V1.GoBlockSync:
    case V1.GoBlockCond:
    case V1.GoBlockNet:
    case V1.GoSleep:
    case V1.GoSysBlock:
    case V1.GoBlockGC:
      return set(1, g, 0, 1, RUNNING, 0, 1, WAITING);
    case V1.GoSched:
    case V1.GoPreempt:
      return set(1, g, 0, 1, RUNNING, 0, 1, RUNNABLE);
    case V1.GoUnblock:
    case V1.GoSysExit:
      return set(1, a0, a1, 0, WAITING, a1 + 1, 0, RUNNABLE);
    case V1.GoUnblockLocal:
    case V1.GoSysExitLocal:
      return set(1, a0, 0, 1, WAITING, 0, 2, RUNNABLE);
    case V1.GCStart:
      return set(2, 0, a0, 0, DEAD, a0 + 1, 0, DEAD);
  }
  TR[KIND] = 0;
}

/** Goroutine (and GC) sequence states: seq in `num`, status in `b0`. */
export class Transitions {
  private readonly gs = new GTable();
  private gcSeq = 0;
  private gcStatus = DEAD;

  /** Whether the last stateTransition() may happen now. */
  ready(): boolean {
    const r = TR;
    const kind = r[KIND]!;
    if (kind === 0) return true;
    let seq = 0;
    let status = DEAD;
    if (kind === 2) {
      seq = this.gcSeq;
      status = this.gcStatus;
    } else {
      const s = this.gs.find(r[G]!);
      if (s >= 0) {
        seq = this.gs.num[s]!;
        status = this.gs.b0[s]!;
      }
    }
    return (r[IN_ANY] === 1 || r[IN_SEQ] === seq) && r[IN_STATUS] === status;
  }

  /** Applies the last stateTransition(); false when it is not possible. */
  apply(): boolean {
    if (!this.ready()) return false;
    const r = TR;
    const mode = r[NEXT_MODE]!;
    if (r[KIND] === 2) {
      this.gcSeq = mode === 0 ? r[NEXT_SEQ]! : mode === 1 ? this.gcSeq : this.gcSeq + 1;
      this.gcStatus = r[NEXT_STATUS]!;
    } else {
      const s = this.gs.slot(r[G]!);
      const cur = this.gs.num[s]!;
      this.gs.num[s] = mode === 0 ? r[NEXT_SEQ]! : mode === 1 ? cur : cur + 1;
      this.gs.b0[s] = r[NEXT_STATUS]!;
    }
    return true;
  }
}

/** The min-heap of ready events (one per proc), ordered by time like Go's. */
export class Frontier {
  private readonly h: Proc[] = [];

  get length(): number {
    return this.h.length;
  }

  push(p: Proc): void {
    const h = this.h;
    h.push(p);
    let j = h.length - 1;
    for (;;) {
      const i = ((j - 1) / 2) | 0;
      if (i === j || !(h[j]!.headTs < h[i]!.headTs)) break;
      const t = h[i]!;
      h[i] = h[j]!;
      h[j] = t;
      j = i;
    }
  }

  pop(): Proc {
    const h = this.h;
    const n = h.length - 1;
    let t = h[0]!;
    h[0] = h[n]!;
    h[n] = t;
    let i = 0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && h[j2]!.headTs < h[j1]!.headTs) j = j2;
      if (!(h[j]!.headTs < h[i]!.headTs)) break;
      t = h[i]!;
      h[i] = h[j]!;
      h[j] = t;
      i = j;
    }
    return h.pop()!;
  }
}
