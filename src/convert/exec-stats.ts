// Time accounting shared by the summaries: a goroutine's (or region's)
// non-overlapping time by state (ExecStats), and the outermost frame of a
// stack that names a goroutine's or region's start point.

import type { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";

/** Non-overlapping time accounting of a goroutine (or of a region on it). */
export class ExecStats {
  exec = 0;
  schedWait = 0;
  blockByReason = new Map<string, number>();
  syscall = 0;
  syscallBlock = 0;
  /** Presence in the trace; overlaps the others. */
  total = 0;
  /** Time inside special ranges (GC mark assist, sweep, STW); overlaps the others. */
  rangeTime = new Map<string, number>();

  clone(): ExecStats {
    const r = new ExecStats();
    r.exec = this.exec;
    r.schedWait = this.schedWait;
    r.blockByReason = new Map(this.blockByReason);
    r.syscall = this.syscall;
    r.syscallBlock = this.syscallBlock;
    r.total = this.total;
    r.rangeTime = new Map(this.rangeTime);
    return r;
  }

  /** this - v, over the keys of `this` (as Go's sub). */
  sub(v: ExecStats): ExecStats {
    const r = this.clone();
    r.exec -= v.exec;
    r.schedWait -= v.schedWait;
    for (const [k, d] of r.blockByReason) r.blockByReason.set(k, d - (v.blockByReason.get(k) ?? 0));
    r.syscall -= v.syscall;
    r.syscallBlock -= v.syscallBlock;
    r.total -= v.total;
    for (const [k, d] of r.rangeTime) r.rangeTime.set(k, d - (v.rangeTime.get(k) ?? 0));
    return r;
  }

  /** What TotalTime does not account for, floored at 0. */
  unknown(): number {
    let sum = this.exec + this.schedWait + this.syscall + this.syscallBlock;
    for (const d of this.blockByReason.values()) sum += d;
    return sum < this.total ? this.total - sum : 0;
  }

  /** The stats as go tool trace's breakdown tables name them. */
  nonOverlapping(): Map<string, number> {
    const m = new Map<string, number>([
      ["Execution time", this.exec],
      ["Sched wait time", this.schedWait],
      ["Syscall execution time", this.syscall],
      ["Block time (syscall)", this.syscallBlock],
      ["Unknown time", this.unknown()],
    ]);
    for (const [r, d] of this.blockByReason) {
      const k = `Block time (${r})`;
      m.set(k, (m.get(k) ?? 0) + d);
    }
    return m;
  }
}

export function addTo(m: Map<string, number>, k: string, d: number): void {
  m.set(k, (m.get(k) ?? 0) + d);
}

/** The outermost frame of a stack, which identifies a region's or goroutine's start point. */
export interface TopFrame {
  pc: number;
  func: string;
  file: string;
  line: number;
}


export const NO_FRAME: TopFrame = { pc: 0, func: "", file: "", line: 0 };

/** Outermost frames, per generation and stack ID (shared objects: do not modify). */
const frameCache = new WeakMap<Generation, Map<number, TopFrame>>();

export function outerFrame(ev: Event, sid: number): TopFrame {
  const gen = ev.gen;
  if (sid <= 0 || gen === null) return NO_FRAME;
  let m = frameCache.get(gen);
  if (m === undefined) {
    m = new Map();
    frameCache.set(gen, m);
  }
  let f = m.get(sid);
  if (f === undefined) {
    const st = gen.stacks;
    const n = st.depth(sid);
    if (n === 0) f = NO_FRAME;
    else {
      const pc = st.pc(sid, n - 1);
      const i = st.frameOfPC.get(pc)!;
      f = { pc, func: gen.strings.get(st.frameFunc[i]!) ?? "", file: gen.strings.get(st.frameFile[i]!) ?? "", line: st.frameLine[i]! };
    }
    m.set(sid, f);
  }
  return f;
}
