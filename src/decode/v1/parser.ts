// Parsing a whole Go 1.11-1.21 trace, as Go's internal/trace/internal/tracev1
// does: (1) index the batches of every P and read the CPU samples; (2) merge
// the per-P batches into one order that respects goroutine sequence numbers
// (order.ts); (3) give blocked syscall exits their real time and sort stably.
// Events land in an EventStore; strings and stacks in a Generation's tables.

import { TraceError } from "../errors.js";
import { goSortFunc } from "../sort.js";
import type { IdTable, StackTable } from "../tables.js";
import { DESCS, norm, PROFILE_P, SYSCALL_P, TIMER_P, toInt32, toUint32, V1 } from "./events.js";
import { Frontier, Proc, Transitions, TR, stateTransition } from "./order.js";
import { RawReader, SKIP_ARGS, SKIP_STRINGS } from "./raw.js";
import { EventStore, MOVED, OrderIter, TYPE_MASK } from "./store.js";

const ERR_TIME_ORDER = "time stamps out of order";
const MAX_INT32 = 2147483647;

/** The batches of one P: offsets (in the data) and event counts, consumed from `next`. */
class BatchList {
  offs: number[] = [];
  counts: number[] = [];
  next = 0;
}

export class V1Parser {
  readonly version: number;
  readonly rr: RawReader;
  readonly strings: IdTable<string>;
  readonly stacks: StackTable;
  ticksPerSec = 0;
  readonly timerGoids = new Set<number>();
  readonly store = new EventStore();
  iter: OrderIter | null = null;
  /** First event's time in ticks (the trace's time 0). */
  minTs = 0;

  private readonly batches = new Map<number, BatchList>();
  private cpuTs: number[] = [];
  private cpuP: number[] = [];
  private cpuG: number[] = [];
  private cpuOff: number[] = [];
  // Parse state, global as in Go's parser.
  private lastTs = 0;
  private lastG = 0;
  private lastP = 0;
  private readonly lastGs = new Map<number, number>();

  constructor(version: number, strings: IdTable<string>, stacks: StackTable) {
    this.version = version;
    this.strings = strings;
    this.stacks = stacks;
    this.rr = new RawReader(version);
    this.rr.strings = this.strings;
  }

  fail(msg: string, at: number, truncated = false): never {
    throw new TraceError(msg, this.rr.base + at, truncated);
  }

  /** Parses everything; throws TraceError with Go's message on a broken trace. */
  parse(data: Uint8Array, base: number): void {
    const rr = this.rr;
    rr.data = data;
    rr.base = base;
    if (data.length > 0xffffffff) throw new TraceError("trace too large (more than 4 GiB)", base);
    this.collect();
    this.merge();
    if (this.ticksPerSec === 0) this.fail("no EvFrequency event", data.length);
    this.fixSyscallExits();
    this.convertTimes();
  }

  /** Pass 1: batch offsets per P, and the CPU samples. */
  private collect(): void {
    const rr = this.rr;
    rr.off = 0;
    let cur: BatchList | undefined;
    let curP = 0;
    while (rr.read(SKIP_ARGS | SKIP_STRINGS)) {
      const t = rr.typ;
      if (t === V1.None) continue;
      if (t === V1.Batch) {
        curP = rr.batchPid;
        cur = this.batches.get(curP);
        if (cur === undefined) this.batches.set(curP, (cur = new BatchList()));
        cur.offs.push(rr.start);
        cur.counts.push(0);
      }
      if (cur === undefined || cur.offs.length === 0) {
        return rr.fail(`read event ${t} with current P of ${curP}, but P has no batches yet`);
      }
      cur.counts[cur.counts.length - 1]!++;
      if (t === V1.CPUSample) {
        if (rr.argc !== 5) rr.fail(`CPU sample has wrong number of arguments: want 5, got ${rr.argc}`);
        const a = rr.args;
        this.cpuTs.push(a[1]!);
        this.cpuP.push(toInt32(a[2]!));
        this.cpuG.push(a[3]!);
        this.cpuOff.push(rr.start);
      }
    }
  }

  /** Loads the next batch of `proc` into its buffer; false when it has none left. */
  private loadBatch(proc: Proc): boolean {
    const list = this.batches.get(proc.pid);
    if (list === undefined || list.next >= list.offs.length) return false;
    const n = list.counts[list.next]!;
    const rr = this.rr;
    rr.off = list.offs[list.next++]!;
    proc.reset(n);
    let gotHeader = false;
    while (rr.read(0)) {
      const t = rr.typ;
      if (t === V1.None || t === V1.CPUSample) continue;
      if (t === V1.Batch) {
        if (gotHeader) break;
        gotHeader = true;
      }
      this.parseEvent(proc);
    }
    return true;
  }

  private parseEvent(proc: Proc): void {
    const rr = this.rr;
    const t = rr.typ;
    rr.checkArgs();
    const a = rr.args;
    switch (t) {
      case V1.Batch: {
        this.lastGs.set(this.lastP, this.lastG);
        const pid = a[0]!;
        if (pid !== -1 && pid > MAX_INT32) rr.fail(`processor ID ${pid} is larger than maximum of ${MAX_INT32}`);
        this.lastP = pid === -1 ? -1 : pid;
        this.lastG = this.lastGs.get(this.lastP) ?? 0;
        this.lastTs = a[1]!;
        return;
      }
      case V1.Frequency: {
        const f = a[0]!;
        if (f <= 0 || f >= 2 ** 63) rr.fail(ERR_TIME_ORDER);
        this.ticksPerSec = f;
        return;
      }
      case V1.TimerGoroutine:
        this.timerGoids.add(a[0]!);
        return;
      case V1.Stack: {
        if (rr.argc < 2) rr.fail(`EvStack has wrong number of arguments: want at least 2, got ${rr.argc}`);
        const size = a[1]!;
        if (size > 1000 || size < 0) rr.fail(`EvStack has bad number of frames: ${size < 0 ? "18446744073709551615" : size}`);
        const want = 2 + 4 * size;
        if (rr.argc !== want) rr.fail(`EvStack has wrong number of arguments: want ${want}, got ${rr.argc}`);
        const id = toUint32(a[0]!);
        if (id !== 0 && size > 0) {
          const st = this.stacks;
          const idx = st.pcs.length;
          st.pcs.push(size);
          for (let i = 0; i < size; i++) {
            const pc = a[2 + i * 4]!;
            st.pcs.push(pc);
            st.addFrame(pc, a[3 + i * 4]!, a[4 + i * 4]!, a[5 + i * 4]!);
          }
          if (!st.index.insert(id, idx)) st.index.set(id, idx);
        }
        return;
      }
      case V1.CPUSample:
        return;
    }
    // An ordinary event.
    const ts = this.lastTs + a[0]!;
    this.lastTs = ts;
    const narg = rr.argc;
    const stack = DESCS[t]!.stack;
    const a0 = narg > 1 && !(narg === 2 && stack) ? a[1]! : 0;
    const a1 = narg > 2 && !(narg === 3 && stack) ? a[2]! : 0;
    let g = this.lastG;
    switch (t) {
      case V1.GoStart:
      case V1.GoStartLocal:
      case V1.GoStartLabel:
        this.lastG = a0;
        g = a0;
        break;
      case V1.GoEnd:
      case V1.GoStop:
      case V1.GoSched:
      case V1.GoPreempt:
      case V1.GoSleep:
      case V1.GoBlock:
      case V1.GoBlockSend:
      case V1.GoBlockRecv:
      case V1.GoBlockSelect:
      case V1.GoBlockSync:
      case V1.GoBlockCond:
      case V1.GoBlockNet:
      case V1.GoSysBlock:
      case V1.GoBlockGC:
        this.lastG = 0;
        break;
      case V1.GoSysExit:
      case V1.GoWaiting:
      case V1.GoInSyscall:
        g = a0;
        break;
    }
    proc.add(t, ts, g, this.lastP, a0, a1, rr.start);
  }

  /** Pass 2: merges the per-P batches into one consistent order. */
  private merge(): void {
    // CPU samples: their own pseudo-P, sorted by the time taken in the signal handler.
    const nCPU = this.cpuTs.length;
    const idx = new Array<number>(nCPU);
    for (let i = 0; i < nCPU; i++) idx[i] = i;
    const cts = this.cpuTs;
    goSortFunc(idx, (x, y) => (cts[x]! < cts[y]! ? -1 : cts[x]! > cts[y]! ? 1 : 0));
    const all: Proc[] = [];
    for (const pid of this.batches.keys()) all.push(new Proc(pid));
    const prof = new Proc(PROFILE_P);
    prof.reset(nCPU);
    for (const i of idx) prof.add(V1.CPUSample, cts[i]!, this.cpuG[i]!, this.cpuP[i]!, 0, 0, this.cpuOff[i]!);
    this.cpuTs = this.cpuP = this.cpuG = this.cpuOff = [];
    all.push(prof);

    const store = this.store;
    const tr = new Transitions();
    const frontier = new Frontier();
    const avail = all.slice();
    let prevTs = Number.NEGATIVE_INFINITY;
    let unsorted = false;
    for (;;) {
      outer: for (let i = 0; i < avail.length; i++) {
        const proc = avail[i]!;
        while (proc.pos === proc.n) {
          if (!this.loadBatch(proc)) {
            proc.done = true;
            avail[i] = avail[avail.length - 1]!;
            avail.pop();
            i--;
            continue outer;
          }
        }
        const k = proc.pos;
        stateTransition(proc.typ[k]!, proc.g[k]!, proc.a0[k]!, proc.a1[k]!);
        if (!tr.ready()) continue;
        proc.pos++;
        avail[i] = avail[avail.length - 1]!;
        avail.pop();
        frontier.push(proc);
        i--;
      }
      if (frontier.length === 0) {
        for (const p of all) if (!p.done) this.fail("no consistent ordering of events possible", this.rr.data.length);
        break;
      }
      const f = frontier.pop();
      const k = f.pos - 1;
      const t = f.typ[k]!;
      const ts = f.ts[k]!;
      stateTransition(t, f.g[k]!, f.a0[k]!, f.a1[k]!);
      store.push(t, ts, f.g[k]!, f.p[k]!, f.off[k]!);
      if (ts < prevTs) unsorted = true;
      prevTs = ts;
      if (TR[0] !== 0 && !tr.apply()) this.fail("encountered impossible goroutine state transition", f.off[k]!);
      avail.push(f);
    }
    if (unsorted) this.fail(ERR_TIME_ORDER, this.rr.data.length);
  }

  /** Pass 3: syscall exits get their real time (when known), then a stable sort. */
  private fixSyscallExits(): void {
    const store = this.store;
    const rr = this.rr;
    const lastSysBlock = new Map<number, number>();
    const moved: number[] = [];
    for (let i = 0; i < store.n; i++) {
      const t = store.typeAt(i);
      if (t === V1.GoSysBlock || t === V1.GoInSyscall) {
        lastSysBlock.set(store.gAt(i), store.tsAt(i));
      } else if (t === V1.GoSysExit) {
        // Only the non-Local form carries the real time as its third argument.
        rr.off = store.offAt(i);
        rr.read(0);
        const ts = rr.argc > 3 ? rr.args[3]! : 0;
        if (ts === 0) continue;
        const block = lastSysBlock.get(store.gAt(i)) ?? 0;
        if (block === 0) this.fail("stray syscall exit", store.offAt(i));
        if (ts < block) this.fail(ERR_TIME_ORDER, store.offAt(i));
        store.setTs(i, ts);
        store.setType(i, t | MOVED);
        moved.push(i);
      }
    }
    // The final order is the stable sort by time: moved events are merged
    // into the (still sorted) others by (time, index).
    goSortFunc(moved, (x, y) => {
      const a = store.tsAt(x);
      const b = store.tsAt(y);
      return a < b ? -1 : a > b ? 1 : x - y;
    });
    const before = new Float64Array(moved.length);
    let k = 0;
    for (let j = 0; j < moved.length; j++) {
      const m = moved[j]!;
      const mt = store.tsAt(m);
      for (; k < store.n; k++) {
        if ((store.typeAt(k) & MOVED) !== 0) continue;
        const kt = store.tsAt(k);
        if (kt > mt || (kt === mt && k > m)) break;
      }
      before[j] = k;
    }
    this.iter = new OrderIter(store, Uint32Array.from(moved), before);
  }

  /** Ticks to nanoseconds since the first event. */
  private convertTimes(): void {
    const store = this.store;
    const it = this.iter!;
    const first = it.next();
    it.reset();
    if (first < 0) return;
    const minTs = store.tsAt(first);
    this.minTs = minTs;
    const freq = 1e9 / this.ticksPerSec;
    const timers = this.timerGoids;
    for (let i = 0; i < store.n; i++) {
      store.setTs(i, Math.trunc((store.tsAt(i) - minTs) * freq));
      // Timer unblocks and syscall exits move to their fake Ps.
      const t = norm(store.typeAt(i) & TYPE_MASK);
      if (t === V1.GoUnblock && timers.size > 0 && timers.has(store.gAt(i))) store.setP(i, TIMER_P);
      if (t === V1.GoSysExit) store.setP(i, SYSCALL_P);
    }
  }
}
