// Checking the merged events of a Go 1.11-1.21 trace for consistency, as Go's
// tracev1 postProcessTrace does (same checks, same messages), and filling in
// what that pass adds: network unblocks move to the netpoll P, GC starts to
// the GC P. It also decides, for each GoSysCall, whether the goroutine's next
// event is a GoSysBlock (the converter's look-ahead).

import { TraceError } from "../errors.js";
import { DESCS, GC_P, NETPOLL_P, norm, TIMER_P, V1 } from "./events.js";
import type { V1Parser } from "./parser.js";
import { A0, A1, A2, splitArgs, STK } from "./raw.js";
import { GTable } from "./gtable.js";
import { SYSCALL_BLOCKED, TYPE_MASK } from "./store.js";

const G_DEAD = 0;
const G_RUNNABLE = 1;
const G_RUNNING = 2;
const G_WAITING = 3;


export function validate(ps: V1Parser): void {
  const store = ps.store;
  const rr = ps.rr;
  const it = ps.iter!;
  it.reset();
  // Goroutines: b0 state, b1 type of the last recorded event (0 = none), b2 in a mark assist.
  const gs = new GTable(false);
  // Procs: b0 running, num the goroutine it runs, b1 sweeping.
  const pds = new GTable();
  const tasks = new Map<number, number>();
  const regions = new Map<number, number[]>();
  gs.b0[gs.slot(0)] = G_RUNNING;
  let inGC = false;
  let inSTW = false;
  // Pending GoSysCall per goroutine (stored index), for the look-ahead.
  const pendingSys = new Map<number, number>();

  let cur = 0;
  const decode = (i: number): void => {
    rr.off = store.offAt(i);
    rr.read(0);
    splitArgs(rr);
  };
  const evString = (i: number): string => {
    decode(i);
    const t = norm(store.typeAt(i) & TYPE_MASK);
    const d = DESCS[t]!;
    const stk = STK !== 0 && ps.stacks.depth(STK) === 0 ? 0 : STK;
    let s = `${store.tsAt(i)} ${d.name} p=${store.pAt(i)} g=${store.gAt(i)} stk=${stk}`;
    const a = [A0, A1, A2];
    for (let k = 0; k < d.args.length; k++) s += ` ${d.args[k]}=${a[k] ?? 0}`;
    return s;
  };
  const fail = (msg: string): never => {
    throw new TraceError(msg, rr.base + store.offAt(cur));
  };
  /** State of goroutine id (G_DEAD when unknown). */
  const gState = (id: number): number => {
    const s = gs.find(id);
    return s < 0 ? G_DEAD : gs.b0[s]!;
  };
  const checkRunning = (p: number, t: number, evG: number, evP: number, ts: number, allowG0: boolean): void => {
    if (gState(evG) !== G_RUNNING) fail(`g ${evG} is not running while ${DESCS[t]!.name} (time ${ts})`);
    if (pds.num[p] !== evG) fail(`p ${evP} is not running g ${evG} while ${DESCS[t]!.name} (time ${ts})`);
    if (!allowG0 && evG === 0) fail(`g 0 did ${DESCS[t]!.name} (time ${ts})`);
  };

  for (let i = it.next(); i >= 0; i = it.next()) {
    cur = i;
    const raw = store.typeAt(i);
    const t = norm(raw & TYPE_MASK);
    const evG = store.gAt(i);
    const evP = store.pAt(i);
    const ts = store.tsAt(i);

    // Look-ahead for syscalls: the next event of the same goroutine.
    if (pendingSys.size > 0) {
      const s = pendingSys.get(evG);
      if (s !== undefined) {
        pendingSys.delete(evG);
        if (t === V1.GoSysBlock) store.setType(s, store.typeAt(s) | SYSCALL_BLOCKED);
      }
    }
    if (t === V1.GoSysCall) pendingSys.set(evG, i);

    switch (t) {
      case V1.ProcStart: {
        const p = pds.slot(evP);
        if (pds.b0[p] !== 0) fail(`p ${evP} is running before start (time ${ts})`);
        pds.b0[p] = 1;
        break;
      }
      case V1.ProcStop: {
        const p = pds.slot(evP);
        if (pds.b0[p] === 0) fail(`p ${evP} is not running before stop (time ${ts})`);
        if (pds.num[p] !== 0) fail(`p ${evP} is running a goroutine ${pds.num[p]} during stop (time ${ts})`);
        pds.b0[p] = 0;
        break;
      }
      case V1.GCStart:
        if (inGC) fail(`previous GC is not ended before a new one (time ${ts})`);
        inGC = true;
        store.setP(i, GC_P);
        break;
      case V1.GCDone:
        if (!inGC) fail(`bogus GC end (time ${ts})`);
        inGC = false;
        break;
      case V1.STWStart:
        if (inSTW) fail(`previous STW is not ended before a new one (time ${ts})`);
        inSTW = true;
        break;
      case V1.STWDone:
        if (!inSTW) fail(`bogus STW end (time ${ts})`);
        inSTW = false;
        break;
      case V1.GCSweepStart: {
        const p = pds.slot(evP);
        if (pds.b1[p] !== 0) fail(`previous sweeping is not ended before a new one (time ${ts})`);
        pds.b1[p] = 1;
        break;
      }
      case V1.GCMarkAssistStart: {
        const g = gs.slot(evG);
        if (gs.b2[g] !== 0) fail(`previous mark assist is not ended before a new one (time ${ts})`);
        gs.b2[g] = 1;
        break;
      }
      case V1.GCMarkAssistDone:
        gs.b2[gs.slot(evG)] = 0;
        break;
      case V1.GCSweepDone: {
        const p = pds.slot(evP);
        if (pds.b1[p] === 0) fail(`bogus sweeping end (time ${ts})`);
        pds.b1[p] = 0;
        break;
      }
      case V1.GoWaiting:
      case V1.GoInSyscall: {
        if (gState(evG) !== G_RUNNABLE) fail(`g ${evG} is not runnable before ${t === V1.GoWaiting ? "EvGoWaiting" : "EvGoInSyscall"} (time ${ts})`);
        const g = gs.slot(evG);
        gs.b0[g] = G_WAITING;
        gs.b1[g] = t;
        break;
      }
      case V1.GoCreate: {
        decode(i);
        checkRunning(pds.slot(evP), t, evG, evP, ts, true);
        if (gs.find(A0) >= 0) fail(`g ${A0} already exists (time ${ts})`);
        const g = gs.slot(A0);
        gs.b0[g] = G_RUNNABLE;
        gs.b1[g] = t;
        break;
      }
      case V1.GoStart:
      case V1.GoStartLabel: {
        const p = pds.slot(evP);
        if (gState(evG) !== G_RUNNABLE) fail(`g ${evG} is not runnable before start (time ${ts})`);
        if (pds.num[p] !== 0) fail(`p ${evP} is already running g ${pds.num[p]} while start g ${evG} (time ${ts})`);
        pds.num[p] = evG;
        const g = gs.slot(evG);
        gs.b0[g] = G_RUNNING;
        gs.b1[g] = 0;
        break;
      }
      case V1.GoEnd:
      case V1.GoStop: {
        const p = pds.slot(evP);
        checkRunning(p, t, evG, evP, ts, false);
        gs.b0[gs.slot(evG)] = G_DEAD;
        pds.num[p] = 0;
        if (t === V1.GoEnd && regions.size > 0) regions.delete(evG);
        break;
      }
      case V1.GoSched:
      case V1.GoPreempt: {
        const p = pds.slot(evP);
        checkRunning(p, t, evG, evP, ts, false);
        const g = gs.slot(evG);
        gs.b0[g] = G_RUNNABLE;
        gs.b1[g] = t;
        pds.num[p] = 0;
        break;
      }
      case V1.GoUnblock: {
        const p = pds.slot(evP);
        if (gState(evG) !== G_RUNNING) fail(`g ${evG} is not running while unpark (time ${ts})`);
        if (evP !== TIMER_P && pds.num[p] !== evG) fail(`p ${evP} is not running g ${evG} while unpark (time ${ts})`);
        decode(i);
        const target = A0;
        if (gState(target) !== G_WAITING) fail(`g ${target} is not waiting before unpark (time ${ts})`);
        const g1 = gs.slot(target);
        if (gs.b1[g1] === V1.GoBlockNet) store.setP(i, NETPOLL_P);
        gs.b0[g1] = G_RUNNABLE;
        gs.b1[g1] = t;
        break;
      }
      case V1.GoSysCall: {
        checkRunning(pds.slot(evP), t, evG, evP, ts, false);
        gs.b1[gs.slot(evG)] = t;
        break;
      }
      case V1.GoSysBlock: {
        const p = pds.slot(evP);
        checkRunning(p, t, evG, evP, ts, false);
        gs.b0[gs.slot(evG)] = G_WAITING;
        pds.num[p] = 0;
        break;
      }
      case V1.GoSysExit: {
        if (gState(evG) !== G_WAITING) fail(`g ${evG} is not waiting during syscall exit (time ${ts})`);
        const g = gs.slot(evG);
        gs.b0[g] = G_RUNNABLE;
        gs.b1[g] = t;
        break;
      }
      case V1.GoSleep:
      case V1.GoBlock:
      case V1.GoBlockSend:
      case V1.GoBlockRecv:
      case V1.GoBlockSelect:
      case V1.GoBlockSync:
      case V1.GoBlockCond:
      case V1.GoBlockNet:
      case V1.GoBlockGC: {
        const p = pds.slot(evP);
        checkRunning(p, t, evG, evP, ts, false);
        const g = gs.slot(evG);
        gs.b0[g] = G_WAITING;
        gs.b1[g] = t;
        pds.num[p] = 0;
        break;
      }
      case V1.UserTaskCreate: {
        decode(i);
        const id = A0;
        const prev = tasks.get(id);
        if (prev !== undefined) fail(`task id conflicts (id:${id}), ${JSON.stringify(evString(i))} vs ${JSON.stringify(evString(prev))}`);
        tasks.set(id, i);
        break;
      }
      case V1.UserTaskEnd:
        decode(i);
        tasks.delete(A0);
        break;
      case V1.UserRegion: {
        decode(i);
        const mode = A1;
        const task = A0;
        const name = A2;
        const list = regions.get(evG);
        if (mode === 0) {
          if (list === undefined) regions.set(evG, [i]);
          else list.push(i);
        } else if (mode === 1) {
          if (list !== undefined && list.length > 0) {
            const s = list[list.length - 1]!;
            decode(s);
            if (A0 !== task || A2 !== name) {
              fail(`misuse of region in goroutine ${evG}: span end ${JSON.stringify(evString(i))} when the inner-most active span start event is ${JSON.stringify(evString(s))}`);
            }
            list.pop();
            if (list.length === 0) regions.delete(evG);
          }
        } else {
          fail(`invalid user region mode: ${JSON.stringify(evString(i))}`);
        }
        break;
      }
    }
  }
}
