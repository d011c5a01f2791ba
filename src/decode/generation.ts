// Reading one generation: batch headers, the structural batches (strings,
// stacks, CPU samples, sync/frequency, experimental data) and the per-M event
// batches, following the rules of Go's internal/trace/generation.go.

import { TraceError } from "./errors.js";
import type { ExperimentalBatch } from "./event.js";
import { Ev, MAX_BATCH_SIZE, MAX_FRAMES_PER_STACK, MAX_STRING_SIZE } from "./spec.js";
import { goSortFunc } from "./sort.js";
import { isStdFunc, redactFile, redactFunc } from "./redact.js";
import { decodeString } from "./strings.js";
import { IdTable, StackTable, type StackFrame } from "./tables.js";
import { uvarint, vend, VARINT_OVERFLOW, VARINT_SHORT } from "./varint.js";

/** One batch of a generation: positions are indices into the reader's buffer. */
export interface Batch {
  m: number;
  /** Header timestamp, in ticks. */
  time: number;
  /** Data start and end in the buffer. */
  start: number;
  end: number;
  /** Experiment byte (0 = none). */
  exp: number;
}

/** Result of reading one batch header at a position. */
const enum BR {
  Ok = 0,
  NeedMore = 1,
  EOF = 2,
  Error = 3,
}

class BatchRead {
  status = BR.Ok;
  isEOG = false;
  gen = 0;
  m = 0;
  time = 0;
  exp = 0;
  start = 0;
  end = 0;
  next = 0;
  err = "";
  truncated = false;
}

const OVERFLOW_MSG = "binary: varint overflows a 64-bit integer";

/**
 * Reads the batch header at `p`. With `eof` false, running out of bytes gives
 * NeedMore; with `eof` true it gives Go's errors (or EOF at a clean boundary).
 */
function readBatchAt(buf: Uint8Array, p: number, end: number, eof: boolean, out: BatchRead): void {
  out.isEOG = false;
  out.truncated = false;
  out.gen = 0;
  if (p >= end) {
    out.status = eof ? BR.EOF : BR.NeedMore;
    return;
  }
  const typ = buf[p]!;
  if (typ === Ev.EndOfGeneration) {
    out.status = BR.Ok;
    out.isEOG = true;
    out.m = -1;
    out.exp = 0;
    out.start = out.end = out.next = p + 1;
    return;
  }
  if (typ !== Ev.EventBatch && typ !== Ev.ExperimentalBatch) {
    out.status = BR.Error;
    out.err = `expected batch event, got event ${typ}`;
    return;
  }
  let q = p + 1;
  out.exp = 0;
  if (typ === Ev.ExperimentalBatch) {
    if (q >= end) {
      out.status = eof ? BR.EOF : BR.NeedMore;
      return;
    }
    out.exp = buf[q++]!;
  }
  const fields = ["gen", "M ID", "timestamp", "size"];
  const vals = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const v = uvarint(buf, q, end);
    if (vend < 0) {
      if (vend === VARINT_SHORT && !eof) {
        out.status = BR.NeedMore;
        return;
      }
      out.status = BR.Error;
      out.gen = vals[0]!;
      if (vend === VARINT_OVERFLOW) {
        out.err = `error reading batch ${fields[i]}: ${OVERFLOW_MSG}`;
      } else {
        out.err = `error reading batch ${fields[i]}: ${q >= end ? "EOF" : "unexpected EOF"}`;
        out.truncated = true;
      }
      return;
    }
    vals[i] = v;
    q = vend;
  }
  out.gen = vals[0]!;
  out.m = vals[1]!;
  out.time = vals[2]!;
  const size = vals[3]!;
  if (size > MAX_BATCH_SIZE || size < 0) {
    out.status = BR.Error;
    out.err = `invalid batch size ${size < 0 ? "18446744073709551615" : size}, maximum is ${MAX_BATCH_SIZE}`;
    return;
  }
  if (q + size > end) {
    if (!eof) {
      out.status = BR.NeedMore;
      return;
    }
    out.status = BR.Error;
    out.err = `failed to read full batch: read ${end - q} but wanted ${size}`;
    out.truncated = true;
    return;
  }
  out.status = BR.Ok;
  out.start = q;
  out.end = q + size;
  out.next = q + size;
}

export class Generation {
  gen = 0;
  /** Nanoseconds per tick (Go's "frequency" type). */
  freq = 0;
  /** Smallest batch header time in ticks. */
  minTs = 0;
  readonly strings = new IdTable<string>("");
  readonly stacks = new StackTable();
  /** CPU samples, sorted by time after the generation is complete. */
  cpuTime: number[] = [];
  cpuM: number[] = [];
  cpuP: number[] = [];
  cpuG: number[] = [];
  cpuStack: number[] = [];
  cpuOff: number[] = [];
  readonly batches = new Map<number, Batch[]>();
  readonly batchMs: number[] = [];
  readonly expBatches = new Map<number, ExperimentalBatch[]>();
  hasClockSnapshot = false;
  snapTime = 0;
  snapMono = 0;
  snapSec = 0;
  snapNsec = 0;
  /** Offset of this generation's first byte in the input. */
  fileOffset = 0;
  /** Time base (ns, as a double) subtracted from every converted time. */
  timeBase = 0;
  /** The buffer holding this generation's batches. */
  buf: Uint8Array = new Uint8Array(0);
  /** Offset in the input of buf[0]. */
  bufOffset = 0;
  /** Number of event batches (for diagnostics). */
  eventBatches = 0;
  /** Strings were redacted (--redact): log messages are hashed when read. */
  redacted = false;
  /**
   * A damaged generation, partly recovered (reader option `salvage`): only
   * whole batches before the damage; string and stack tables may be missing
   * (unknown IDs resolve as empty).
   */
  damaged = false;

  /** Replaces non-standard-library function names and their files with stable hashes. */
  redact(): void {
    this.redacted = true;
    const st = this.stacks;
    const done = new Set<number>();
    for (let f = 0; f < st.framePC.length; f++) {
      const fnID = st.frameFunc[f]!;
      const fileID = st.frameFile[f]!;
      const fn = this.strings.get(fnID);
      if (fn === undefined || isStdFunc(fn)) continue;
      if (!done.has(fnID)) {
        done.add(fnID);
        this.strings.set(fnID, redactFunc(fn));
      }
      if (!done.has(fileID)) {
        done.add(fileID);
        const file = this.strings.get(fileID);
        if (file !== undefined) this.strings.set(fileID, redactFile(file));
      }
    }
  }

  /** Converts ticks to the reader's ns time scale, as Go's frequency.mul does. */
  mul(ticks: number): number {
    return Math.trunc(ticks * this.freq) - this.timeBase;
  }

  stackFrames(id: number): StackFrame[] {
    const st = this.stacks;
    const n = st.depth(id);
    const out: StackFrame[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const pc = st.pc(id, i);
      const f = st.frameOfPC.get(pc)!;
      out[i] = {
        pc,
        func: this.strings.get(st.frameFunc[f]!) ?? "",
        file: this.strings.get(st.frameFile[f]!) ?? "",
        line: st.frameLine[f]!,
      };
    }
    return out;
  }
}

/** What readGeneration found. */
export interface GenResult {
  /** The generation, or null when there is none (clean end of trace, or error). */
  gen: Generation | null;
  /** Where reading should continue in the buffer. */
  next: number;
  /** An error to report after the generation (versions < 26), or instead of it. */
  err: TraceError | null;
  /** The buffer ended before the generation was complete and more input may come. */
  needMore: boolean;
  /** (Versions < 26) reading stopped at the first batch of the next generation. */
  spilled: boolean;
}

/**
 * Finds and reads the generation that starts at `start` in `buf[0..end)`.
 * With `dryRun`, only batch headers are read, to find out whether the whole
 * generation is in the buffer yet.
 */
export function readGeneration(
  buf: Uint8Array,
  start: number,
  end: number,
  eof: boolean,
  version: number,
  bufOffset: number,
  timeBase: number,
  dryRun: boolean,
  salvage = false,
  prevFreq = 0,
): GenResult {
  const br = new BatchRead();
  const g = new Generation();
  g.buf = buf;
  g.bufOffset = bufOffset;
  g.fileOffset = bufOffset + start;
  g.timeBase = timeBase;
  let p = start;
  let nEventBatches = 0;
  let spillErr: TraceError | null = null;
  let spilled = false;
  // With `salvage`, a damaged generation keeps the whole batches read before
  // the damage (and an error to report after its events).
  const salvaged = (err: TraceError): GenResult | null => {
    if (!salvage || dryRun || g.gen === 0 || nEventBatches === 0) return null;
    if (g.freq === 0) {
      if (!(prevFreq > 0)) return null;
      g.freq = prevFreq;
    }
    g.damaged = true;
    g.eventBatches = nEventBatches;
    finishTimes(g);
    return { gen: g, next: p, err, needMore: false, spilled: false };
  };
  const fail = (msg: string, at: number, truncated = false): GenResult => {
    const err = new TraceError(msg, bufOffset + at, truncated);
    return salvaged(err) ?? { gen: null, next: p, err, needMore: false, spilled: false };
  };
  if (version >= 26) {
    for (;;) {
      readBatchAt(buf, p, end, eof, br);
      if (br.status === BR.NeedMore) return { gen: null, next: start, err: null, needMore: true, spilled: false };
      if (br.status === BR.EOF) {
        if (nEventBatches !== 0) return fail("incomplete generation found; trace likely truncated", end, true);
        return { gen: null, next: p, err: null, needMore: false, spilled: false };
      }
      if (br.status === BR.Error) return fail(br.err, br.truncated ? end : p, br.truncated);
      if (g.gen === 0) g.gen = br.gen;
      if (br.isEOG) {
        p = br.next;
        break;
      }
      if (br.gen === 0) return fail(`invalid generation number ${br.gen}`, p);
      if (br.gen !== g.gen) return fail("broken trace: missing end-of-generation event, or generations are interleaved", p);
      if (g.minTs === 0 || br.time < g.minTs) g.minTs = br.time;
      if (isEventBatch(buf, br, version)) nEventBatches++;
      if (!dryRun) {
        const e = processBatch(g, buf, br, version, bufOffset + p);
        if (e !== null) return fail(e.message, e.offset - bufOffset);
      }
      p = br.next;
    }
  } else {
    for (;;) {
      readBatchAt(buf, p, end, eof, br);
      if (br.status === BR.NeedMore) return { gen: null, next: start, err: null, needMore: true, spilled: false };
      if (br.status === BR.EOF) break;
      if (br.status === BR.Error) {
        const err = new TraceError(br.err, bufOffset + (br.truncated ? end : p), br.truncated);
        if (g.gen !== 0) {
          spillErr = err;
          break;
        }
        return { gen: null, next: p, err, needMore: false, spilled: false };
      }
      if (br.gen === 0) return fail(`invalid generation number ${br.gen}`, p);
      if (g.gen === 0) g.gen = br.gen;
      if (br.gen === g.gen + 1) {
        spilled = true; // first batch of the next generation
        break;
      }
      if (br.gen !== g.gen) return fail("generations out of order", p);
      if (g.minTs === 0 || br.time < g.minTs) g.minTs = br.time;
      if (isEventBatch(buf, br, version)) nEventBatches++;
      if (!dryRun) {
        const e = processBatch(g, buf, br, version, bufOffset + p);
        if (e !== null) return fail(e.message, e.offset - bufOffset);
      }
      p = br.next;
    }
  }
  g.eventBatches = nEventBatches;
  if (dryRun) return { gen: g, next: p, err: spillErr, needMore: false, spilled };

  if (salvage && version < 26) {
    if (spillErr !== null) {
      const r = salvaged(spillErr);
      if (r !== null) {
        r.spilled = spilled;
        return r;
      }
    }
  }
  const at = p;
  if (g.freq === 0) return fail("no frequency event found", at);
  if (version >= 25 && !g.hasClockSnapshot) return fail("no clock snapshot event found", at);
  // Every frame's strings must exist.
  let bad: string | null = null;
  const st = g.stacks;
  st.index.forEach((id, idx) => {
    const n = st.pcs[idx]!;
    for (let i = 0; i < n; i++) {
      const f = st.frameOfPC.get(st.pcs[idx + 1 + i]!)!;
      if (!g.strings.has(st.frameFunc[f]!)) {
        bad = `found invalid func string ID ${st.frameFunc[f]} for stack ${id}`;
        return false;
      }
      if (!g.strings.has(st.frameFile[f]!)) {
        bad = `found invalid file string ID ${st.frameFile[f]} for stack ${id}`;
        return false;
      }
    }
    return true;
  });
  if (bad !== null) return fail(bad, at);
  finishTimes(g);
  return { gen: g, next: p, err: spillErr, needMore: false, spilled };
}

/** Picks the time base (first generation) and converts the CPU samples' and clock snapshot's times. */
function finishTimes(g: Generation): void {
  if (Number.isNaN(g.timeBase)) {
    // First generation: pick the time base. Times stay plain numbers, exact
    // below 2^53 ns, when measured from here on hosts with a long uptime.
    const raw = Math.trunc(g.minTs * g.freq);
    g.timeBase = raw > 2 ** 52 ? raw : 0;
  }
  fixUpCPUSamples(g);
}

function isEventBatch(buf: Uint8Array, br: BatchRead, version: number): boolean {
  if (br.exp !== 0) return false;
  if (br.end === br.start) return true;
  const t = buf[br.start]!;
  return !(
    t === Ev.Strings ||
    t === Ev.Stacks ||
    t === Ev.CPUSamples ||
    (t === Ev.Frequency && version < 25) ||
    (t === Ev.Sync && version >= 25)
  );
}

function processBatch(g: Generation, buf: Uint8Array, br: BatchRead, version: number, hdrOff: number): TraceError | null {
  const s = br.start;
  const e = br.end;
  const first = s < e ? buf[s]! : -1;
  if (br.exp === 0 && first === Ev.Strings) return addStrings(g, buf, s, e, g.bufOffset);
  if (br.exp === 0 && first === Ev.Stacks) return addStacks(g, buf, s, e, g.bufOffset);
  if (br.exp === 0 && first === Ev.CPUSamples) return addCPUSamples(g, buf, s, e, g.bufOffset);
  if (br.exp === 0 && ((first === Ev.Frequency && version < 25) || (first === Ev.Sync && version >= 25))) {
    return setSyncBatch(g, buf, s, e, br.time, version, g.bufOffset);
  }
  if (br.exp !== 0) {
    let list = g.expBatches.get(br.exp);
    if (list === undefined) g.expBatches.set(br.exp, (list = []));
    list.push({ thread: br.m, data: buf.slice(s, e) });
    return null;
  }
  let list = g.batches.get(br.m);
  if (list === undefined) {
    g.batches.set(br.m, (list = []));
    g.batchMs.push(br.m);
  }
  list.push({ m: br.m, time: br.time, start: s, end: e, exp: 0 });
  void hdrOff;
  return null;
}

/** Error text for a failed varint inside a structural batch, as Go's bytes.Reader gives it. */
function varintErr(p: number, e: number): string {
  if (vend === VARINT_OVERFLOW) return OVERFLOW_MSG;
  return p >= e ? "EOF" : "unexpected EOF";
}

function addStrings(g: Generation, buf: Uint8Array, s: number, e: number, base: number): TraceError | null {
  let p = s + 1;
  while (p < e) {
    const at = p;
    const t = buf[p++]!;
    if (t !== Ev.String) return new TraceError(`expected string event, got ${t}`, base + at);
    const id = uvarint(buf, p, e);
    if (vend < 0) return new TraceError(varintErr(p, e), base + at);
    p = vend;
    const len = uvarint(buf, p, e);
    if (vend < 0) return new TraceError(varintErr(p, e), base + at);
    p = vend;
    if (len > MAX_STRING_SIZE || len < 0) {
      return new TraceError(`invalid string size ${len < 0 ? "18446744073709551615" : len}, maximum is ${MAX_STRING_SIZE}`, base + at);
    }
    if (p + len > e) return new TraceError(`failed to read full string: read ${e - p} but wanted ${len}`, base + at);
    const str = decodeString(buf, p, p + len);
    p += len;
    if (!g.strings.insert(id, str)) {
      const existing = g.strings.get(id) ?? "";
      return new TraceError(`multiple strings with the same ID: id=${id}, new=${str}, existing=${existing}`, base + at);
    }
  }
  return null;
}

function addStacks(g: Generation, buf: Uint8Array, s: number, e: number, base: number): TraceError | null {
  const st = g.stacks;
  let p = s + 1;
  while (p < e) {
    const at = p;
    const t = buf[p++]!;
    if (t !== Ev.Stack) return new TraceError(`expected stack event, got ${t}`, base + at);
    const id = uvarint(buf, p, e);
    if (vend < 0) return new TraceError(varintErr(p, e), base + at);
    p = vend;
    const n = uvarint(buf, p, e);
    if (vend < 0) return new TraceError(varintErr(p, e), base + at);
    p = vend;
    if (n > MAX_FRAMES_PER_STACK || n < 0) {
      return new TraceError(`invalid stack size ${n < 0 ? "18446744073709551615" : n}, maximum is ${MAX_FRAMES_PER_STACK}`, base + at);
    }
    const idx = st.pcs.length;
    st.pcs.push(n);
    const names = ["PC", "funcID", "fileID", "line"];
    for (let i = 0; i < n; i++) {
      const v = [0, 0, 0, 0];
      for (let k = 0; k < 4; k++) {
        v[k] = uvarint(buf, p, e);
        if (vend < 0) {
          st.pcs.length = idx;
          return new TraceError(`reading frame ${i + 1}'s ${names[k]} for stack ${id}: ${varintErr(p, e)}`, base + at);
        }
        p = vend;
      }
      st.pcs.push(v[0]!);
      st.addFrame(v[0]!, v[1]!, v[2]!, v[3]!);
    }
    if (!st.index.insert(id, idx)) {
      st.pcs.length = idx;
      return new TraceError(`multiple stacks with the same ID: id=${id}`, base + at);
    }
  }
  return null;
}

function addCPUSamples(g: Generation, buf: Uint8Array, s: number, e: number, base: number): TraceError | null {
  let p = s + 1;
  while (p < e) {
    const at = p;
    const t = buf[p++]!;
    if (t !== Ev.CPUSample) return new TraceError(`expected CPU sample event, got ${t}`, base + at);
    const v = [0, 0, 0, 0, 0];
    for (let k = 0; k < 5; k++) {
      v[k] = uvarint(buf, p, e);
      if (vend < 0) return new TraceError(varintErr(p, e), base + at);
      p = vend;
    }
    g.cpuTime.push(v[0]!);
    g.cpuM.push(v[1]!);
    g.cpuP.push(v[2]!);
    g.cpuG.push(v[3] === 0 ? -1 : v[3]!);
    g.cpuStack.push(v[4]!);
    g.cpuOff.push(base + at);
  }
  return null;
}

function setSyncBatch(g: Generation, buf: Uint8Array, s: number, e: number, batchTime: number, version: number, base: number): TraceError | null {
  let p = s;
  if (version >= 25) p++; // EvSync
  let lastTs = batchTime;
  while (p < e) {
    const at = p;
    const t = buf[p++]!;
    if (t === Ev.Frequency) {
      if (g.freq !== 0) return new TraceError("found multiple frequency events", base + at);
      const f = uvarint(buf, p, e);
      if (vend < 0) return new TraceError(varintErr(p, e), base + at);
      p = vend;
      g.freq = 1.0 / (f / 1e9);
    } else if (t === Ev.ClockSnapshot && version >= 25) {
      if (g.hasClockSnapshot) return new TraceError("found multiple clock snapshot events", base + at);
      g.hasClockSnapshot = true;
      const v = [0, 0, 0, 0];
      for (let k = 0; k < 4; k++) {
        v[k] = uvarint(buf, p, e);
        if (vend < 0) return new TraceError(varintErr(p, e), base + at);
        p = vend;
      }
      lastTs += v[0]!;
      g.snapTime = lastTs; // converted once the frequency is known
      g.snapMono = v[1]!;
      g.snapSec = v[2]!;
      g.snapNsec = v[3]!;
    } else {
      return new TraceError(`expected frequency or clock snapshot event, got ${t}`, base + at);
    }
  }
  return null;
}

function fixUpCPUSamples(g: Generation): void {
  if (g.hasClockSnapshot) g.snapTime = g.mul(g.snapTime);
  const n = g.cpuTime.length;
  if (n === 0) return;
  for (let i = 0; i < n; i++) g.cpuTime[i] = g.mul(g.cpuTime[i]!);
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const times = g.cpuTime;
  goSortFunc(idx, (a, b) => (times[a]! < times[b]! ? -1 : times[a]! > times[b]! ? 1 : 0));
  const perm = <T>(arr: T[]): T[] => idx.map((i) => arr[i]!);
  g.cpuTime = perm(g.cpuTime);
  g.cpuM = perm(g.cpuM);
  g.cpuP = perm(g.cpuP);
  g.cpuG = perm(g.cpuG);
  g.cpuStack = perm(g.cpuStack);
  g.cpuOff = perm(g.cpuOff);
}
