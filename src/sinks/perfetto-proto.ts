// Timeline -> Perfetto's native trace format: a stream of Trace.packet
// (TracePacket) messages, schema subset in proto/perfetto_trace.proto.
//
// One trusted packet sequence. Names, categories, annotation names and
// callstacks (frames, function names, source paths) are interned; the
// interned state is cleared at every trace generation (the next event packet
// carries SEQ_INCREMENTAL_STATE_CLEARED and redefines what it uses), so memory
// stays bounded by one generation. Track descriptors are not incremental
// state and are written once per track.

import type { Generation } from "../decode/generation.js";
import { GROUP_NAMES, type Args, type OpenSlice, type TimelineSink, type TrackDesc } from "../convert/timeline-model.js";
import { ChunkRecycler, type BytesWriter } from "./chunks.js";
import { PbWriter, putFixed64, putVarint } from "./pb.js";

/** Output is handed over in chunks of at least this many bytes (Output's own buffer size). */
const CHUNK = 1 << 20;
const BUF_SIZE = CHUNK + (1 << 16);
/** Interned names, frames and callstacks kept at most (then the interned state is cleared). */
const INTERN_MAX = 1 << 16;

const SEQ = 1;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;

/** Trace.packet. */
const TRACE_PACKET = 1;
// TracePacket fields.
const P_TIMESTAMP = 8;
const P_TRACK_EVENT = 11;
const P_INTERNED_DATA = 12;
const P_SEQ_ID = 10;
const P_SEQ_FLAGS = 13;
const P_TRACK_DESCRIPTOR = 60;
const P_FIRST_ON_SEQ = 87;
// TrackEvent.
const TE_CATEGORY_IIDS = 3;
const TE_DEBUG_ANNOTATIONS = 4;
const TE_TYPE = 9;
const TE_NAME_IID = 10;
const TE_TRACK_UUID = 11;
const TE_COUNTER_VALUE = 30;
const TE_FLOW_IDS = 47;
const TE_TERMINATING_FLOW_IDS = 48;
const TE_CALLSTACK_IID = 56;
const TYPE_SLICE_BEGIN = 1;
const TYPE_SLICE_END = 2;
const TYPE_INSTANT = 3;
const TYPE_COUNTER = 4;
// InternedData.
const ID_EVENT_CATEGORIES = 1;
const ID_EVENT_NAMES = 2;
const ID_DEBUG_ANNOTATION_NAMES = 3;
const ID_FUNCTION_NAMES = 5;
const ID_FRAMES = 6;
const ID_CALLSTACKS = 7;
const ID_MAPPING_PATHS = 17;
const ID_SOURCE_PATHS = 18;
const ID_MAPPINGS = 19;

// Tags of the fields the short packets write byte by byte (field << 3 | wire
// type): one byte for fields below 16, else two (_0: the low 7 bits | 0x80, _1: the rest).
const tag = (field: number, wire: number): number => field * 8 + wire;
const T_PACKET = tag(TRACE_PACKET, 2);
const T_TIMESTAMP = tag(P_TIMESTAMP, 0);
const T_SEQ_ID = tag(P_SEQ_ID, 0);
const T_SEQ_FLAGS = tag(P_SEQ_FLAGS, 0);
const T_TRACK_EVENT = tag(P_TRACK_EVENT, 2);
const T_TYPE = tag(TE_TYPE, 0);
const T_TRACK_UUID = tag(TE_TRACK_UUID, 0);
const T_NAME_IID = tag(TE_NAME_IID, 0);
const T_CATEGORY_IIDS = tag(TE_CATEGORY_IIDS, 0);
const lo7 = (t: number): number => (t & 0x7f) | 0x80;
const hi7 = (t: number): number => t >>> 7;
const T_CALLSTACK_IID_0 = lo7(tag(TE_CALLSTACK_IID, 0));
const T_CALLSTACK_IID_1 = hi7(tag(TE_CALLSTACK_IID, 0));
const T_FLOW_IDS_0 = lo7(tag(TE_FLOW_IDS, 1));
const T_FLOW_IDS_1 = hi7(tag(TE_FLOW_IDS, 1));
const T_TERMINATING_FLOW_IDS_0 = lo7(tag(TE_TERMINATING_FLOW_IDS, 1));
const T_TERMINATING_FLOW_IDS_1 = hi7(tag(TE_TERMINATING_FLOW_IDS, 1));
const T_COUNTER_VALUE_0 = lo7(tag(TE_COUNTER_VALUE, 0));
const T_COUNTER_VALUE_1 = hi7(tag(TE_COUNTER_VALUE, 0));

class Interner {
  readonly map = new Map<string, number>();
  next = 1;
}

export class PerfettoProtoSink implements TimelineSink {
  private readonly chunks: ChunkRecycler;
  private readonly w: PbWriter;
  /** InternedData of the packet being built. */
  private readonly iw = new PbWriter(1 << 12);
  private clear = true;
  private firstPacket = true;
  private readonly groupsSeen = new Set<number>();
  private names = new Interner();
  private cats = new Interner();
  private anames = new Interner();
  private funcs = new Interner();
  private paths = new Interner();
  private frames = new Map<number, number>();
  private nextFrame = 1;
  private callstacks = new Map<number, number>();
  private nextCallstack = 1;
  private stackGen: Generation | null = null;
  private mappingDone = false;
  private readonly frameIds: number[] = [];

  /** `internMax`: interned entries kept at most before the interned state is cleared. */
  constructor(
    out: BytesWriter,
    private readonly internMax = INTERN_MAX,
  ) {
    this.chunks = new ChunkRecycler(out, BUF_SIZE);
    this.w = new PbWriter(0);
    this.w.swap(this.chunks.get());
  }

  /** Hands what is written to the output. */
  private spill(): void {
    const n = this.w.pos;
    this.chunks.put(this.w.swap(this.chunks.get()), n);
  }

  start(): void {}

  generation(): void {
    this.resetInterning();
  }

  /**
   * Forgets every interned entry: the next packet says so
   * (SEQ_INCREMENTAL_STATE_CLEARED) and defines again what it uses. Done at
   * each generation, and when a generation interns too much (goroutines come
   * and go: their names are new each time).
   */
  private resetInterning(): void {
    this.clear = true;
    this.names = new Interner();
    this.cats = new Interner();
    this.anames = new Interner();
    this.funcs = new Interner();
    this.paths = new Interner();
    this.frames = new Map();
    this.nextFrame = 1;
    this.callstacks = new Map();
    this.nextCallstack = 1;
    this.stackGen = null;
    this.mappingDone = false;
  }

  // ---- interning (definitions go to this.iw) ----

  private intern(t: Interner, field: number, s: string, bytesField: boolean): number {
    let id = t.map.get(s);
    if (id !== undefined) return id;
    id = t.next++;
    t.map.set(s, id);
    const iw = this.iw;
    iw.begin(field);
    iw.uintAlways(1, id);
    iw.string(2, s); // `str` is bytes in InternedString: same wire encoding
    iw.end();
    void bytesField;
    return id;
  }

  private callstack(gen: Generation | null, sid: number): number {
    if (gen === null || sid <= 0) return 0;
    if (gen !== this.stackGen) {
      // A different generation's stack IDs: forget the per-ID cache (frames stay, keyed by PC).
      if (this.stackGen !== null) this.callstacks = new Map();
      this.stackGen = gen;
    }
    let cs = this.callstacks.get(sid);
    if (cs !== undefined) return cs;
    const st = gen.stacks;
    const n = st.depth(sid);
    if (n === 0) return 0;
    if (!this.mappingDone) {
      this.mappingDone = true;
      const iw = this.iw;
      iw.begin(ID_MAPPING_PATHS);
      iw.uintAlways(1, 1);
      iw.string(2, "go");
      iw.end();
      iw.begin(ID_MAPPINGS);
      iw.uintAlways(1, 1);
      iw.uintAlways(7, 1); // path_string_ids: repeated, not packed (as Perfetto declares it)
      iw.end();
    }
    const ids = this.frameIds;
    ids.length = 0;
    // Callstack.frame_ids are outermost first; trace stacks are leaf first.
    for (let i = n - 1; i >= 0; i--) {
      const pc = st.pc(sid, i);
      let fid = this.frames.get(pc);
      if (fid === undefined) {
        const f = st.frameOfPC.get(pc);
        const fn = f === undefined ? "" : (gen.strings.get(st.frameFunc[f]!) ?? "");
        const file = f === undefined ? "" : (gen.strings.get(st.frameFile[f]!) ?? "");
        const line = f === undefined ? 0 : st.frameLine[f]!;
        const fnId = this.intern(this.funcs, ID_FUNCTION_NAMES, fn, true);
        const pathId = file === "" ? 0 : this.intern(this.paths, ID_SOURCE_PATHS, file, true);
        fid = this.nextFrame++;
        this.frames.set(pc, fid);
        const iw = this.iw;
        iw.begin(ID_FRAMES);
        iw.uintAlways(1, fid);
        iw.uint(2, fnId);
        iw.uint(3, 1);
        iw.uint(4, pc);
        iw.uint(5, pathId);
        // line_number is a uint32: a damaged trace's line outside it (-1 is 2^64-1) is unknown (0), not truncated.
        iw.uint(6, line > 0 && line <= 0xffffffff ? line : 0);
        iw.end();
      }
      ids.push(fid);
    }
    cs = this.nextCallstack++;
    this.callstacks.set(sid, cs);
    const iw = this.iw;
    iw.begin(ID_CALLSTACKS);
    iw.uintAlways(1, cs);
    // frame_ids: repeated, not packed (as Perfetto declares it; its decoder reads it so).
    for (let i = 0; i < ids.length; i++) iw.uintAlways(2, ids[i]!);
    iw.end();
    return cs;
  }

  // ---- packets ----

  private beginPacket(ts: number): void {
    const w = this.w;
    w.begin(TRACE_PACKET);
    w.tag(P_TIMESTAMP, 0);
    w.varint(ts < 0 ? 0 : ts);
    w.uintAlways(P_SEQ_ID, SEQ);
    w.uintAlways(P_SEQ_FLAGS, this.seqFlags());
    if (this.firstPacket) {
      this.firstPacket = false;
      w.uintAlways(P_FIRST_ON_SEQ, 1);
    }
  }

  /** The sequence flags of the next packet (it says so once when the interned state was cleared). */
  private seqFlags(): number {
    const f = this.clear ? SEQ_INCREMENTAL_STATE_CLEARED | SEQ_NEEDS_INCREMENTAL_STATE : SEQ_NEEDS_INCREMENTAL_STATE;
    this.clear = false;
    return f;
  }

  /** Ends the packet: appends the interned data gathered for it. */
  private endPacket(): void {
    const w = this.w;
    if (this.iw.pos > 0) {
      w.rawBytes(P_INTERNED_DATA, this.iw.bytes());
      this.iw.reset();
    }
    w.end();
    if (w.pos >= CHUNK) this.spill();
  }

  private annotations(args: Args | null): void {
    if (args === null) return;
    const w = this.w;
    for (let i = 0; i < args.n; i++) {
      const nid = this.intern(this.anames, ID_DEBUG_ANNOTATION_NAMES, args.keys[i]!, false);
      const v = args.vals[i]!;
      w.begin(TE_DEBUG_ANNOTATIONS);
      w.uintAlways(1, nid);
      if (typeof v === "number") {
        w.tag(4, 0);
        w.varint(v);
      } else {
        w.string(6, v);
      }
      w.end();
    }
  }

  private trackEvent(
    type: number,
    track: number,
    ts: number,
    name: string | null,
    cat: string | null,
    args: Args | null,
    sgen: Generation | null,
    sid: number,
    flowOut: number,
    flowIn: number,
  ): void {
    if (this.names.map.size + this.frames.size + this.callstacks.size >= this.internMax) this.resetInterning();
    // Intern first (definitions gather in iw), then write the packet.
    const nameId = name === null ? 0 : this.intern(this.names, ID_EVENT_NAMES, name, false);
    const catId = cat === null ? 0 : this.intern(this.cats, ID_EVENT_CATEGORIES, cat, false);
    const cs = this.callstack(sgen, sid);
    // Annotation names are interned while writing: write them into iw first too.
    if (args !== null) for (let i = 0; i < args.n; i++) this.intern(this.anames, ID_DEBUG_ANNOTATION_NAMES, args.keys[i]!, false);
    if (args === null && this.iw.pos === 0 && !this.firstPacket) {
      this.shortTrackEvent(type, track, ts, nameId, catId, cs, flowOut, flowIn);
      return;
    }
    this.beginPacket(ts);
    const w = this.w;
    w.begin(P_TRACK_EVENT);
    w.uintAlways(TE_TYPE, type);
    w.uintAlways(TE_TRACK_UUID, track);
    if (nameId !== 0) w.uint(TE_NAME_IID, nameId);
    if (catId !== 0) w.uint(TE_CATEGORY_IIDS, catId);
    this.annotations(args);
    if (cs !== 0) w.uint(TE_CALLSTACK_IID, cs);
    if (flowOut !== 0) w.fixed64(TE_FLOW_IDS, flowOut);
    if (flowIn !== 0) w.fixed64(TE_TERMINATING_FLOW_IDS, flowIn);
    w.end();
    this.endPacket();
  }

  /**
   * The common packet (nothing to intern, no annotations), written byte by
   * byte: the same fields as beginPacket + trackEvent + endPacket write, in
   * the same order, with one-byte lengths (the packet is at most ~75 bytes).
   */
  private shortTrackEvent(type: number, track: number, ts: number, nameId: number, catId: number, cs: number, flowOut: number, flowIn: number): void {
    let p = this.shortHead(ts, type, track);
    const b = this.w.buf; // after shortHead: its ensure() may have replaced the buffer
    if (nameId !== 0) {
      b[p++] = T_NAME_IID;
      p = putVarint(b, p, nameId);
    }
    if (catId !== 0) {
      b[p++] = T_CATEGORY_IIDS;
      p = putVarint(b, p, catId);
    }
    if (cs !== 0) {
      b[p++] = T_CALLSTACK_IID_0;
      b[p++] = T_CALLSTACK_IID_1;
      p = putVarint(b, p, cs);
    }
    if (flowOut !== 0) {
      b[p++] = T_FLOW_IDS_0;
      b[p++] = T_FLOW_IDS_1;
      p = putFixed64(b, p, flowOut);
    }
    if (flowIn !== 0) {
      b[p++] = T_TERMINATING_FLOW_IDS_0;
      b[p++] = T_TERMINATING_FLOW_IDS_1;
      p = putFixed64(b, p, flowIn);
    }
    this.shortEnd(p);
  }

  /** Where shortHead left the one-byte lengths of the packet and of its track_event. */
  private outerLen = 0;
  private innerLen = 0;

  /**
   * Starts a short packet in place (room for 96 bytes): its timestamp and
   * sequence fields, then a track_event with its type and track; returns the
   * position after them. shortEnd(p) closes both.
   */
  private shortHead(ts: number, type: number, track: number): number {
    const w = this.w;
    w.ensure(96);
    const b = w.buf;
    let p = w.pos;
    b[p] = T_PACKET;
    this.outerLen = p + 1;
    p += 2;
    b[p++] = T_TIMESTAMP;
    p = putVarint(b, p, ts < 0 ? 0 : ts);
    b[p++] = T_SEQ_ID;
    b[p++] = SEQ;
    b[p++] = T_SEQ_FLAGS;
    b[p++] = this.seqFlags();
    b[p] = T_TRACK_EVENT;
    this.innerLen = p + 1;
    p += 2;
    b[p++] = T_TYPE;
    b[p++] = type;
    b[p++] = T_TRACK_UUID;
    return putVarint(b, p, track);
  }

  private shortEnd(p: number): void {
    const w = this.w;
    const b = w.buf;
    b[this.innerLen] = p - this.innerLen - 1;
    b[this.outerLen] = p - this.outerLen - 1;
    w.pos = p;
    if (p >= CHUNK) this.spill();
  }

  track(t: TrackDesc): void {
    const w = this.w;
    const groupUuid = t.group; // see uuidOf
    if (!this.groupsSeen.has(t.group)) {
      this.groupsSeen.add(t.group);
      w.begin(TRACE_PACKET);
      w.uintAlways(P_SEQ_ID, SEQ);
      w.begin(P_TRACK_DESCRIPTOR);
      w.uintAlways(1, groupUuid);
      w.begin(3); // process
      w.uintAlways(1, t.group); // pid
      w.string(6, GROUP_NAMES[t.group] ?? "");
      w.end();
      w.uintAlways(11, 3); // child_ordering = EXPLICIT
      w.end();
      w.end();
    }
    w.begin(TRACE_PACKET);
    w.uintAlways(P_SEQ_ID, SEQ);
    w.begin(P_TRACK_DESCRIPTOR);
    w.uintAlways(1, t.uuid);
    w.uintAlways(5, t.parent !== 0 ? t.parent : groupUuid);
    w.string(2, t.name);
    if (t.counter) {
      w.begin(8);
      w.uint(3, t.unit === "bytes" ? 3 : 2); // UNIT_SIZE_BYTES / UNIT_COUNT
      w.end();
    }
    w.uintAlways(11, 3); // child_ordering = EXPLICIT (for nested tracks)
    w.uintAlways(12, Math.min(t.sort, 2 ** 31 - 1)); // sibling_order_rank
    w.uintAlways(15, 2); // sibling_merge_behavior = NONE
    w.end();
    w.end();
  }

  /** Re-sends the descriptor: Perfetto updates the name of a non-mergeable track. */
  rename(t: TrackDesc): void {
    this.track(t);
  }

  begin(track: number, ts: number, s: OpenSlice, args: Args | null, sgen: Generation | null, sid: number, flowIn: number): void {
    this.trackEvent(TYPE_SLICE_BEGIN, track, ts, s.name, s.cat, args, sgen, sid, 0, flowIn);
  }

  end(track: number, ts: number, _s: OpenSlice, sgen: Generation | null, sid: number): void {
    this.trackEvent(TYPE_SLICE_END, track, ts, null, null, null, sgen, sid, 0, 0);
  }

  complete(track: number, ts: number, dur: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    this.trackEvent(TYPE_SLICE_BEGIN, track, ts, name, cat, args, null, 0, 0, 0);
    this.trackEvent(TYPE_SLICE_END, track, ts + dur, null, null, null, sgen, sid, 0, 0);
  }

  instant(track: number, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    this.trackEvent(TYPE_INSTANT, track, ts, name, cat, args, sgen, sid, 0, 0);
  }

  counter(track: number, ts: number, value: number): void {
    if (!this.firstPacket && value >= 0) {
      let p = this.shortHead(ts, TYPE_COUNTER, track);
      const b = this.w.buf;
      b[p++] = T_COUNTER_VALUE_0;
      b[p++] = T_COUNTER_VALUE_1;
      this.shortEnd(putVarint(b, p, value));
      return;
    }
    this.beginPacket(ts);
    const w = this.w;
    w.begin(P_TRACK_EVENT);
    w.uintAlways(TE_TYPE, TYPE_COUNTER);
    w.uintAlways(TE_TRACK_UUID, track);
    w.tag(TE_COUNTER_VALUE, 0);
    w.varint(value);
    w.end();
    this.endPacket();
  }

  flow(track: number, ts: number, id: number, name: string, terminating: boolean): void {
    const n = name === "unblock" ? "unblock" : name === "go" ? "go" : name === "task" ? (terminating ? "task end" : "task begin") : name;
    this.trackEvent(TYPE_INSTANT, track, ts, n, "flow", null, null, 0, terminating ? 0 : id, terminating ? id : 0);
  }

  flush(): Promise<void> | void {
    return this.chunks.take();
  }

  async finish(): Promise<void> {
    this.spill();
    await this.chunks.take();
  }
}
