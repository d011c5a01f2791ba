// pprof profile.proto encoding (hand-written with PbWriter), gzipped and
// streamed. Strings, functions and locations are written the first time a
// sample needs them (protobuf lets repeated fields interleave; table indices
// follow the order of appearance), so samples can be written as they come
// and nothing but the intern tables is kept.

import { type LabelSet, type ProfileBuilder, type ProfileInfo, type StackInterner } from "../convert/pprof.js";
import { GzipStream, type ByteSink } from "./gzip.js";
import { PbWriter } from "./pb.js";

// Gzip is fflate's (pure JS) in the command and in the browser alike: see gzip.ts.
export { GzipStream, type ByteSink };

/** profile.proto field numbers (Profile). */
const enum P {
  SampleType = 1,
  Sample = 2,
  Mapping = 3,
  Location = 4,
  Function = 5,
  StringTable = 6,
  PeriodType = 11,
  Period = 12,
}

/**
 * The largest double that is an int64 (2^63 - 1024). int64 fields saturate
 * there: a damaged trace's times can exceed 2^63 ns, and a varint of such a
 * value would be read back as a negative int64.
 */
const I64_MAX = 2 ** 63 - 1024;

function i64(v: number): number {
  return v > I64_MAX ? I64_MAX : v;
}

/** Encodes a profile incrementally into protobuf bytes. */
export class PprofEncoder {
  readonly pb = new PbWriter(1 << 16);
  private readonly strings = new Map<string, number>();
  private readonly funcs = new Map<string, number>();
  private readonly locs = new Map<number, number>();
  private readonly locIDs: number[] = [];
  private readonly vals = [0, 0];

  constructor(
    private readonly stacks: StackInterner,
    info: ProfileInfo,
  ) {
    this.str("");
    // Strings referenced by the header go first, then the header itself.
    const st = info.sampleTypes.map(([t, u]) => [this.str(t), this.str(u)] as const);
    const pt = [this.str(info.periodType[0]), this.str(info.periodType[1])] as const;
    const pb = this.pb;
    for (const [t, u] of st) {
      pb.begin(P.SampleType);
      pb.uint(1, t);
      pb.uint(2, u);
      pb.end();
    }
    pb.begin(P.PeriodType);
    pb.uint(1, pt[0]);
    pb.uint(2, pt[1]);
    pb.end();
    pb.uint(P.Period, info.period);
    // One mapping, marked as symbolized: go tool pprof then neither tries to
    // symbolize nor complains that the main binary is unknown (Go's own
    // trace profiles have no mapping and get "Main binary filename not available.").
    pb.begin(P.Mapping);
    pb.uint(1, 1);
    pb.bool(7, true);
    pb.bool(8, true);
    pb.bool(9, true);
    pb.end();
  }

  private str(s: string): number {
    let i = this.strings.get(s);
    if (i === undefined) {
      i = this.strings.size;
      this.strings.set(s, i);
      this.pb.string(P.StringTable, s);
    }
    return i;
  }

  private location(pc: number): number {
    let id = this.locs.get(pc);
    if (id !== undefined) return id;
    const f = this.stacks.frames.get(pc)!;
    const fkey = f.file + "\0" + f.func;
    let fid = this.funcs.get(fkey);
    const pb = this.pb;
    if (fid === undefined) {
      fid = this.funcs.size + 1;
      this.funcs.set(fkey, fid);
      const name = this.str(f.func);
      const file = this.str(f.file);
      pb.begin(P.Function);
      pb.uint(1, fid);
      pb.uint(2, name);
      pb.uint(3, name);
      pb.uint(4, file);
      pb.end();
    }
    id = this.locs.size + 1;
    this.locs.set(pc, id);
    pb.begin(P.Location);
    pb.uint(1, id);
    pb.uint(2, 1);
    pb.uint(3, pc);
    pb.begin(4); // Line
    pb.uint(1, fid);
    pb.uint(2, f.line);
    pb.end();
    pb.end();
    return id;
  }

  /** Profile start (wall clock, ns since the epoch) and duration: go tool pprof shows them. */
  times(timeNanos: number | null, durationNanos: number): void {
    if (timeNanos !== null && timeNanos > 0) this.pb.uint(9, i64(Math.round(timeNanos)));
    if (durationNanos > 0) this.pb.uint(10, i64(Math.round(durationNanos)));
  }

  /** Writes one sample (values in the order of the sample types). */
  sample(stack: number, v0: number, v1: number, labels: LabelSet | null): void {
    const pcs = this.stacks.stacks[stack]!;
    const ids = this.locIDs;
    ids.length = 0;
    for (let i = 0; i < pcs.length; i++) ids.push(this.location(pcs[i]!));
    let lk = 0;
    let lg = 0;
    let ltk = 0;
    let ltv = 0;
    let lrk = 0;
    let lrv = 0;
    if (labels !== null) {
      if (labels.goroutine >= 0) {
        lk = this.str("goroutine");
        lg = this.str(String(labels.goroutine));
      }
      if (labels.task !== "") {
        ltk = this.str("task");
        ltv = this.str(labels.task);
      }
      if (labels.region !== "") {
        lrk = this.str("region");
        lrv = this.str(labels.region);
      }
    }
    const pb = this.pb;
    pb.begin(P.Sample);
    pb.packed(1, ids);
    this.vals[0] = i64(v0);
    this.vals[1] = i64(v1);
    pb.packed(2, this.vals);
    if (lk !== 0) label(pb, lk, lg);
    if (ltk !== 0) label(pb, ltk, ltv);
    if (lrk !== 0) label(pb, lrk, lrv);
    pb.end();
  }
}

function label(pb: PbWriter, k: number, v: number): void {
  pb.begin(3);
  pb.uint(1, k);
  pb.uint(2, v);
  pb.end();
}

/** Writes the encoder's pending bytes through the gzip stream once there are enough. */
export async function flushEncoder(enc: PprofEncoder, gz: GzipStream, min = 1 << 16): Promise<void> {
  const pb = enc.pb;
  if (pb.pos < min) return;
  await gz.write(pb.bytes());
  pb.reset();
}

/** Writes a finished (aggregated) profile: every record with a value, gzipped. */
export async function writeProfile(b: ProfileBuilder, out: ByteSink): Promise<void> {
  const gz = new GzipStream(out);
  const enc = new PprofEncoder(b.stacks, b.info);
  const r = b.records;
  for (let i = 0; i < r.length; i++) {
    if (r.n[i] === 0) continue;
    const l = r.labels[i]!;
    enc.sample(r.stack[i]!, r.n[i]!, r.d[i]!, l >= 0 ? r.labelSets[l]! : null);
    await flushEncoder(enc, gz);
  }
  if (b.kind === "cpu") enc.times(b.wallStart, b.lastTime - b.firstTime);
  await gz.write(enc.pb.bytes());
  enc.pb.reset();
  await gz.end();
}

