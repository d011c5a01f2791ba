// pprof profile.proto encoding with pprof-format (Datadog's encoder), gzipped
// (gzip.ts: fflate, the same bytes in the command and in the browser) and streamed.
//
// A profile is written as a sequence of pieces, each one a Profile message
// that pprof-format encodes: the first holds the header (sample types,
// period, mapping), the next ones the samples and the locations, functions
// and strings they bring in for the first time, the last the start time and
// duration. Protobuf merges concatenated messages (repeated fields append,
// string table indices follow the order of appearance), so the pieces make
// one valid profile while nothing but the intern tables and one piece is ever
// held: samples can be written as they come.

import { Function as PFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType, emptyTableToken } from "pprof-format";
import { type LabelSet, type ProfileBuilder, type ProfileInfo, type StackInterner } from "../convert/pprof.js";
import type { BytesWriter } from "./chunks.js";
import { GzipStream } from "./gzip.js";

/** Samples, locations and functions per piece. */
export const PIECE_ITEMS = 4096;

/**
 * The largest double that is an int64 (2^63 - 1024). int64 fields saturate
 * there: a damaged trace's times can exceed 2^63 ns, and a varint of such a
 * value would be read back as a negative int64.
 */
const I64_MAX = 2 ** 63 - 1024;

function i64(v: number): number {
  return v > I64_MAX ? I64_MAX : v;
}

/** Encodes a profile incrementally: sample() as they come, take() the encoded piece now and then. */
export class PprofEncoder {
  private readonly strings = new Map<string, number>();
  private readonly funcs = new Map<string, number>();
  private readonly locs = new Map<number, number>();
  private readonly labels = new Map<number, Label>();
  private piece: Profile;
  /** Samples, locations and functions in the current piece. */
  pending = 0;

  constructor(
    private readonly stacks: StackInterner,
    info: ProfileInfo,
  ) {
    // The first piece's string table starts with "" (index 0), as pprof requires.
    this.piece = new Profile({ stringTable: new StringTable() });
    this.strings.set("", 0);
    const p = this.piece;
    p.sampleType = info.sampleTypes.map(([t, u]) => new ValueType({ type: this.str(t), unit: this.str(u) }));
    p.periodType = new ValueType({ type: this.str(info.periodType[0]), unit: this.str(info.periodType[1]) });
    p.period = info.period;
    // One mapping, marked as symbolized: go tool pprof then neither tries to
    // symbolize nor complains that the main binary is unknown (Go's own
    // trace profiles have no mapping and get "Main binary filename not available.").
    p.mapping = [new Mapping({ id: 1, hasFunctions: true, hasFilenames: true, hasLineNumbers: true })];
  }

  private str(s: string): number {
    let i = this.strings.get(s);
    if (i === undefined) {
      i = this.strings.size;
      this.strings.set(s, i);
      this.piece.stringTable.dedup(s);
    }
    return i;
  }

  private location(pc: number): number {
    let id = this.locs.get(pc);
    if (id !== undefined) return id;
    const f = this.stacks.frames.get(pc)!;
    const fkey = f.file + "\0" + f.func;
    let fid = this.funcs.get(fkey);
    if (fid === undefined) {
      fid = this.funcs.size + 1;
      this.funcs.set(fkey, fid);
      const name = this.str(f.func);
      this.piece.function.push(new PFunction({ id: fid, name, systemName: name, filename: this.str(f.file) }));
      this.pending++;
    }
    id = this.locs.size + 1;
    this.locs.set(pc, id);
    this.piece.location.push(new Location({ id, mappingId: 1, address: pc, line: [new Line({ functionId: fid, line: f.line })] }));
    this.pending++;
    return id;
  }

  /** Profile start (wall clock, ns since the epoch) and duration: go tool pprof shows them. */
  times(timeNanos: number | null, durationNanos: number): void {
    if (timeNanos !== null && timeNanos > 0) this.piece.timeNanos = i64(Math.round(timeNanos));
    if (durationNanos > 0) this.piece.durationNanos = i64(Math.round(durationNanos));
  }

  /** A label (shared by every sample that has it: samples only read them). */
  private label(key: string, value: string): Label {
    const k = this.str(key);
    const v = this.str(value);
    const id = k * 0x4000000 + v;
    let l = this.labels.get(id);
    if (l === undefined) {
      l = new Label({ key: k, str: v });
      this.labels.set(id, l);
    }
    return l;
  }

  /** Adds one sample (values in the order of the sample types). */
  sample(stack: number, v0: number, v1: number, labels: LabelSet | null): void {
    const pcs = this.stacks.stacks[stack]!;
    const ids: number[] = new Array(pcs.length);
    for (let i = 0; i < pcs.length; i++) ids[i] = this.location(pcs[i]!);
    const label: Label[] = [];
    if (labels !== null) {
      if (labels.goroutine >= 0) label.push(this.label("goroutine", String(labels.goroutine)));
      if (labels.task !== "") label.push(this.label("task", labels.task));
      if (labels.region !== "") label.push(this.label("region", labels.region));
    }
    this.piece.sample.push(new Sample({ locationId: ids, value: [i64(v0), i64(v1)], label }));
    this.pending++;
  }

  /** The encoded piece so far (possibly empty); the next piece starts empty. */
  take(): Uint8Array {
    const b = this.piece.encode();
    this.piece = new Profile({ stringTable: new StringTable(emptyTableToken) });
    this.pending = 0;
    return b;
  }
}

/** Gzips the encoder's piece once it holds `min` items. */
export async function flushEncoder(enc: PprofEncoder, gz: GzipStream, min = PIECE_ITEMS): Promise<void> {
  if (enc.pending < min) return;
  await gz.write(enc.take());
}

/** Writes a finished (aggregated) profile: every record with a value, gzipped. */
export async function writeProfile(b: ProfileBuilder, out: BytesWriter): Promise<void> {
  const gz = new GzipStream(out);
  const enc = new PprofEncoder(b.stacks, b.info);
  const r = b.records;
  for (let i = 0; i < r.length; i++) {
    if (r.n[i] === 0) continue;
    const l = r.labels[i]!;
    enc.sample(r.stack[i]!, r.n[i]!, r.d[i]!, l >= 0 ? r.labelSets[l]! : null);
    if (enc.pending >= PIECE_ITEMS) await gz.write(enc.take());
  }
  if (b.kind === "cpu") enc.times(b.wallStart, b.lastTime - b.firstTime);
  await gz.write(enc.take());
  await gz.end();
}
