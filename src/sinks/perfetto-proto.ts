// Timeline -> Perfetto's native trace format: a stream of Trace.packet
// (TracePacket) messages, schema subset in proto/perfetto_trace.proto.
//
// One trusted packet sequence. Timestamps are deltas on a sequence-scoped
// incremental clock (TracePacketDefaults.timestamp_clock_id; a ClockSnapshot
// ties it to BOOTTIME, which is the trace's own nanoseconds); the rare packet
// written late (a slice whose begin was only known later) carries an absolute
// BOOTTIME timestamp instead. Names, categories, annotation names and
// callstacks are interned (perfetto-intern.ts). Flow ids ride on the begin and
// end of run slices. At each window() the trace processor is told (with the
// tracing service's flush events) that it may sort and import what came
// before, so it need not hold the whole trace unsorted. Track descriptors are
// written once per track.

import type { Generation } from "../decode/generation.js";
import { GROUP_NAMES, type Args, type FlowIds, type NameRef, type OpenSlice, type TimelineSink, type TrackDesc } from "../convert/timeline-model.js";
import { ChunkRecycler, type BytesWriter } from "./chunks.js";
import { Interner } from "./perfetto-intern.js";
import { PbWriter, putVarint } from "./pb.js";

/** Output is handed over in chunks of at least this many bytes (Output's own buffer size). */
const CHUNK = 1 << 20;
const BUF_SIZE = CHUNK + (1 << 16);
/** Interned names, frames and callstacks kept at most (then the interned state is cleared). */
const INTERN_MAX = 1 << 14;

const SEQ = 1;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;
/** BOOTTIME (the trace's clock) and our sequence-scoped incremental clock. */
const CLOCK_BOOTTIME = 6;
const CLOCK_INCREMENTAL = 64;

/** Trace.packet. */
const TRACE_PACKET = 1;
// TracePacket fields.
const P_CLOCK_SNAPSHOT = 6;
const P_TIMESTAMP = 8;
const P_SEQ_ID = 10;
const P_TRACK_EVENT = 11;
const P_INTERNED_DATA = 12;
const P_SEQ_FLAGS = 13;
const P_TIMESTAMP_CLOCK_ID = 58;
const P_DEFAULTS = 59;
const P_TRACK_DESCRIPTOR = 60;
const P_SERVICE_EVENT = 69;
const P_FIRST_ON_SEQ = 87;
// TrackEvent.
const TE_CATEGORY_IIDS = 3;
const TE_DEBUG_ANNOTATIONS = 4;
const TE_TYPE = 9;
const TE_NAME_IID = 10;
const TE_TRACK_UUID = 11;
const TE_COUNTER_VALUE = 30;
// flow_ids_old / terminating_flow_ids_old: varints, half the bytes of the
// fixed64 flow_ids/terminating_flow_ids for our small ids. Deprecated in
// Perfetto's schema but read by the trace processor like the new ones.
const TE_FLOW_IDS = 36;
const TE_TERMINATING_FLOW_IDS = 42;
const TE_CALLSTACK_IID = 56;
const TYPE_SLICE_BEGIN = 1;
const TYPE_SLICE_END = 2;
const TYPE_INSTANT = 3;
const TYPE_COUNTER = 4;

// Tags of the fields the short packets write byte by byte (field << 3 | wire
// type): one byte for fields below 16, else two (_0: the low 7 bits | 0x80, _1: the rest).
const tag = (field: number, wire: number): number => field * 8 + wire;
const T_PACKET = tag(TRACE_PACKET, 2);
const T_TIMESTAMP = tag(P_TIMESTAMP, 0);
const T_SEQ_ID = tag(P_SEQ_ID, 0);
const T_TRACK_EVENT = tag(P_TRACK_EVENT, 2);
const T_TYPE = tag(TE_TYPE, 0);
const T_TRACK_UUID = tag(TE_TRACK_UUID, 0);
const T_NAME_IID = tag(TE_NAME_IID, 0);
const T_CATEGORY_IIDS = tag(TE_CATEGORY_IIDS, 0);
const lo7 = (t: number): number => (t & 0x7f) | 0x80;
const hi7 = (t: number): number => t >>> 7;
const T_CALLSTACK_IID_0 = lo7(tag(TE_CALLSTACK_IID, 0));
const T_CALLSTACK_IID_1 = hi7(tag(TE_CALLSTACK_IID, 0));
const T_FLOW_IDS_0 = lo7(tag(TE_FLOW_IDS, 0));
const T_FLOW_IDS_1 = hi7(tag(TE_FLOW_IDS, 0));
const T_TERMINATING_FLOW_IDS_0 = lo7(tag(TE_TERMINATING_FLOW_IDS, 0));
const T_TERMINATING_FLOW_IDS_1 = hi7(tag(TE_TERMINATING_FLOW_IDS, 0));
const T_COUNTER_VALUE_0 = lo7(tag(TE_COUNTER_VALUE, 0));
const T_COUNTER_VALUE_1 = hi7(tag(TE_COUNTER_VALUE, 0));
/** A short packet holds at most this many flow ids (up to 12 bytes each) and interned bytes: its lengths stay one byte. */
const SHORT_FLOWS = 4;
const SHORT_INTERNED = 40;
const T_INTERNED_DATA = tag(P_INTERNED_DATA, 2);

export class PerfettoProtoSink implements TimelineSink {
  private readonly chunks: ChunkRecycler;
  private readonly w: PbWriter;
  private readonly intern: Interner;
  /** The interned state was cleared: the next event packet says so. */
  private clear = true;
  private firstPacket = true;
  private readonly groupsSeen = new Set<number>();
  /** The incremental clock's value (the last on-time timestamp written). */
  private lastTs = 0;
  private written = 0;

  /** `internMax`: interned entries kept at most before the interned state is cleared. */
  constructor(out: BytesWriter, internMax = INTERN_MAX) {
    this.chunks = new ChunkRecycler(out, BUF_SIZE);
    this.w = new PbWriter(0);
    this.w.swap(this.chunks.get());
    this.intern = new Interner(internMax);
  }

  /** Hands what is written to the output. */
  private spill(): void {
    const n = this.w.pos;
    this.written += n;
    this.chunks.put(this.w.swap(this.chunks.get()), n);
  }

  size(): number {
    return this.written + this.w.pos;
  }

  start(): void {
    // The clocks: BOOTTIME is the trace's nanoseconds; clock 64 counts in deltas from 0.
    const w = this.w;
    w.begin(TRACE_PACKET);
    w.uintAlways(P_SEQ_ID, SEQ);
    w.begin(P_CLOCK_SNAPSHOT);
    for (const id of [CLOCK_BOOTTIME, CLOCK_INCREMENTAL]) {
      w.begin(1);
      w.uintAlways(1, id);
      w.uintAlways(2, 0);
      if (id === CLOCK_INCREMENTAL) w.uintAlways(3, 1);
      w.end();
    }
    w.uintAlways(2, CLOCK_BOOTTIME); // primary_trace_clock
    w.end();
    w.end();
  }

  generation(): void {
    this.resetInterning();
  }

  window(ts: number): void {
    // Two flushes, then a completed read: the trace processor sorts and imports
    // what came before the previous window (write_into_file traces do the same).
    for (const field of [3, 3, 4]) {
      const w = this.w;
      w.begin(TRACE_PACKET);
      w.tag(P_TIMESTAMP, 0);
      w.varint(Math.max(0, ts));
      w.begin(P_SERVICE_EVENT);
      w.uintAlways(field, 1);
      w.end();
      w.end();
    }
  }

  /**
   * Forgets every interned entry: the next packet says so
   * (SEQ_INCREMENTAL_STATE_CLEARED) and defines again what it uses. Done at
   * each generation, and when a generation interns too much (goroutines come
   * and go: their names are new each time).
   */
  private resetInterning(): void {
    this.clear = true;
    this.intern.clear();
  }

  // ---- packets ----

  /** Starts a packet in the PbWriter: timestamp (a delta, or absolute when late), sequence, flags. */
  private beginPacket(ts: number): void {
    const w = this.w;
    w.begin(TRACE_PACKET);
    if (ts < 0) ts = 0;
    if (ts >= this.lastTs) {
      w.tag(P_TIMESTAMP, 0);
      w.varint(ts - this.lastTs);
      this.lastTs = ts;
    } else {
      w.tag(P_TIMESTAMP, 0);
      w.varint(ts);
      w.uintAlways(P_TIMESTAMP_CLOCK_ID, CLOCK_BOOTTIME);
    }
    w.uintAlways(P_SEQ_ID, SEQ);
    if (this.clear) {
      this.clear = false;
      w.uintAlways(P_SEQ_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED | SEQ_NEEDS_INCREMENTAL_STATE);
      w.begin(P_DEFAULTS);
      w.uintAlways(P_TIMESTAMP_CLOCK_ID, CLOCK_INCREMENTAL);
      w.end();
    }
    if (this.firstPacket) {
      this.firstPacket = false;
      w.uintAlways(P_FIRST_ON_SEQ, 1);
    }
  }

  /** Ends the packet: appends the interned data gathered for it. */
  private endPacket(): void {
    const w = this.w;
    const iw = this.intern.w;
    if (iw.pos > 0) {
      w.rawFrom(P_INTERNED_DATA, iw.buf, iw.pos);
      iw.reset();
    }
    w.end();
    if (w.pos >= CHUNK) this.spill();
  }

  private annotations(args: Args | null): void {
    if (args === null) return;
    const w = this.w;
    for (let i = 0; i < args.n; i++) {
      const nid = this.intern.annotationName(args.keys[i]!);
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

  private trackEvent(type: number, track: number, ts: number, name: string | null, ref: NameRef | null, cat: string | null, args: Args | null, sgen: Generation | null, sid: number, flows: FlowIds | null): void {
    if (this.intern.full) this.resetInterning();
    // Intern first (definitions gather in the interner's writer), then write the packet.
    const nameId = ref !== null ? this.intern.nameRef(ref) : name === null ? 0 : this.intern.name(name);
    const catId = cat === null || cat === "" ? 0 : this.intern.category(cat);
    const cs = this.intern.callstack(sgen, sid);
    if (args !== null) for (let i = 0; i < args.n; i++) this.intern.annotationName(args.keys[i]!);
    const nf = flows === null ? 0 : flows.n;
    if (args === null && this.intern.w.pos <= SHORT_INTERNED && !this.clear && !this.firstPacket && ts >= this.lastTs && nf <= SHORT_FLOWS) {
      this.shortTrackEvent(type, track, ts, nameId, catId, cs, flows);
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
    for (let i = 0; i < nf; i++) w.uintAlways(flows!.term[i] ? TE_TERMINATING_FLOW_IDS : TE_FLOW_IDS, flows!.ids[i]!);
    w.end();
    this.endPacket();
  }

  /**
   * The common packet (no annotations, on time, at most a short name to
   * define), written byte by byte: the same fields as beginPacket +
   * trackEvent + endPacket write, with one-byte lengths (the packet is at most
   * ~120 bytes). Measured
   * when introduced: 22-25% faster than the PbWriter path on a 30 MB trace
   * (wall 10.5 -> 8.2 s, interleaved A/B), output 8% smaller.
   */
  private shortTrackEvent(type: number, track: number, ts: number, nameId: number, catId: number, cs: number, flows: FlowIds | null): void {
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
    if (flows !== null) {
      for (let i = 0; i < flows.n; i++) {
        if (flows.term[i]) {
          b[p++] = T_TERMINATING_FLOW_IDS_0;
          b[p++] = T_TERMINATING_FLOW_IDS_1;
        } else {
          b[p++] = T_FLOW_IDS_0;
          b[p++] = T_FLOW_IDS_1;
        }
        p = putVarint(b, p, flows.ids[i]!);
      }
    }
    b[this.innerLen] = p - this.innerLen - 1;
    // A name defined for this packet (a goroutine's label, mostly) goes in its interned_data.
    const iw = this.intern.w;
    if (iw.pos > 0) {
      b[p++] = T_INTERNED_DATA;
      b[p++] = iw.pos;
      const src = iw.buf;
      for (let i = 0; i < iw.pos; i++) b[p++] = src[i]!;
      iw.reset();
    }
    this.shortEnd(p, false);
  }

  /** Where shortHead left the one-byte lengths of the packet and of its track_event. */
  private outerLen = 0;
  private innerLen = 0;

  /**
   * Starts a short packet in place (room for 160 bytes): its timestamp delta
   * and sequence, then a track_event with its type and track; returns the
   * position after them. shortEnd(p) closes both.
   */
  private shortHead(ts: number, type: number, track: number): number {
    const w = this.w;
    w.ensure(160);
    const b = w.buf;
    let p = w.pos;
    b[p] = T_PACKET;
    this.outerLen = p + 1;
    p += 2;
    b[p++] = T_TIMESTAMP;
    p = putVarint(b, p, ts - this.lastTs);
    this.lastTs = ts;
    b[p++] = T_SEQ_ID;
    b[p++] = SEQ;
    b[p] = T_TRACK_EVENT;
    this.innerLen = p + 1;
    p += 2;
    b[p++] = T_TYPE;
    b[p++] = type;
    b[p++] = T_TRACK_UUID;
    return putVarint(b, p, track);
  }

  private shortEnd(p: number, inner = true): void {
    const w = this.w;
    const b = w.buf;
    if (inner) b[this.innerLen] = p - this.innerLen - 1;
    b[this.outerLen] = p - this.outerLen - 1;
    w.pos = p;
    if (p >= CHUNK) this.spill();
  }

  track(t: TrackDesc): void {
    const w = this.w;
    if (!this.groupsSeen.has(t.group)) {
      this.groupsSeen.add(t.group);
      w.begin(TRACE_PACKET);
      w.uintAlways(P_SEQ_ID, SEQ);
      w.begin(P_TRACK_DESCRIPTOR);
      w.uintAlways(1, t.group); // the group's uuid is its number
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
    w.uintAlways(5, t.parent !== 0 ? t.parent : t.group);
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
    if (w.pos >= CHUNK) this.spill();
  }

  /** Re-sends the descriptor: Perfetto updates the name of a non-mergeable track. */
  rename(t: TrackDesc): void {
    this.track(t);
  }

  begin(track: number, ts: number, s: OpenSlice, args: Args | null, sgen: Generation | null, sid: number): void {
    this.trackEvent(TYPE_SLICE_BEGIN, track, ts, s.name, s.nameRef, s.cat, args, sgen, sid, s.flowsIn.n > 0 ? s.flowsIn : null);
  }

  end(track: number, ts: number, s: OpenSlice, sgen: Generation | null, sid: number): void {
    this.trackEvent(TYPE_SLICE_END, track, ts, null, null, null, null, sgen, sid, s.flowsOut.n > 0 ? s.flowsOut : null);
  }

  instant(track: number, ts: number, name: string, cat: string, args: Args | null, sgen: Generation | null, sid: number): void {
    this.trackEvent(TYPE_INSTANT, track, ts, name, null, cat, args, sgen, sid, null);
  }

  counter(track: number, ts: number, value: number): void {
    if (!this.firstPacket && !this.clear && value >= 0 && ts >= this.lastTs) {
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

  /** Flows travel on the slices (FlowIds). */
  flowLink(): void {}

  flush(): Promise<void> | void {
    return this.chunks.take();
  }

  async finish(): Promise<void> {
    this.spill();
    await this.chunks.take();
  }
}
