// One converter fuzz case: a trace decoded with salvage through drive() and fed
// to the timeline (JSON and protobuf sinks), the pprof builders, the span
// builder with the OTLP JSON writer, and the summary. The only exception
// allowed out is the decoder's TraceError; every output must still parse.
// Used by test/fuzz-convert.test.ts and the fuzz worker (test/fuzz-worker.ts).

import assert from "node:assert/strict";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import protobuf from "protobufjs";
import { drive, type DriveResult } from "../src/convert/drive.js";
import { CPU_PERIOD, NO_FILTER, PROFILE_KINDS, ProfileBuilder, type ProfileFilter } from "../src/convert/pprof.js";
import { resourceAttrs } from "../src/cli/formats/spans.js";
import { SpanBuilder, type SpanAttr, type SpanRec } from "../src/convert/spans.js";
import { SummaryBuilder } from "../src/convert/summary.js";
import { TaskCollector, TimelineConverter, type TimelineOptions } from "../src/convert/timeline.js";
import type { Event } from "../src/decode/event.js";
import type { TraceReader } from "../src/decode/reader.js";
import { OtlpJsonSpanReader } from "../src/convert/otlp-json-read.js";
import { OtlpJsonWriter } from "../src/sinks/otlp-json.js";
import { ZipkinJsonWriter } from "../src/sinks/zipkin-json.js";
import { PerfettoProtoSink } from "../src/sinks/perfetto-proto.js";
import { GzipStream } from "../src/sinks/gzip.js";
import { flushEncoder, PIECE_ITEMS, PprofEncoder, writeProfile } from "../src/sinks/pprof.js";
import { summaryJSON, summaryText } from "../src/sinks/summary.js";
import { TraceJsonSink } from "../src/sinks/trace-json.js";
import { generate, mutate, Rand } from "./fuzzlib.js";
import { ROOT } from "./helpers.js";


/** Names of regions and tasks in the fixture programs (fixtures/gen), for the filtered paths. */
const REGIONS = ["outer", "inner", "pre", "fib", "handoff-work", "nope"];
const TASKS = ["handoff", "unfinished", "nope"];


/** An exception out of a converter or sink (drive() would take a TraceError from onEvent for a decoding error). */
class ConverterFailure extends Error {
  constructor(
    readonly who: string,
    readonly inner: unknown,
  ) {
    super(`${who}: ${inner instanceof Error ? (inner.stack ?? inner.message) : String(inner)}`);
  }
}

function guard<T>(who: string, fn: () => T): T {
  let v: T;
  try {
    v = fn();
  } catch (e) {
    throw new ConverterFailure(who, e);
  }
  if (v instanceof Promise) {
    return v.catch((e: unknown) => {
      throw new ConverterFailure(who, e);
    }) as T;
  }
  return v;
}

/**
 * A BytesWriter that keeps a copy of every chunk. With `every` > 0 it asks the
 * producer to wait every `every`-th write (resolved a tick later), as Output
 * does when its buffer is full: the producer then reuses its buffers.
 */
class Collector {
  private readonly parts: Uint8Array[] = [];
  private n = 0;
  constructor(private readonly every: number) {}
  write(b: Uint8Array): Promise<void> | void {
    this.parts.push(Uint8Array.from(b));
    if (this.every > 0 && ++this.n % this.every === 0) return new Promise<void>((res) => setImmediate(res));
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

let perfettoRoot: protobuf.Root | null = null;
let profileRoot: protobuf.Root | null = null;
function perfettoTrace(): protobuf.Type {
  perfettoRoot ??= protobuf.loadSync(join(ROOT, "proto", "perfetto_trace.proto"));
  return perfettoRoot.lookupType("perfetto.protos.Trace");
}
function profileType(): protobuf.Type {
  profileRoot ??= protobuf.loadSync(join(ROOT, "proto", "profile.proto"));
  return profileRoot.lookupType("perftools.profiles.Profile");
}

// ---- output checks (each throws with what is wrong) ----

function checkTraceJson(text: string): void {
  const doc = JSON.parse(text) as { traceEvents: { ph: string; ts?: number; dur?: number; pid?: number }[] };
  assert.ok(Array.isArray(doc.traceEvents), "no traceEvents array");
  for (const e of doc.traceEvents) {
    assert.equal(typeof e.ph, "string", `event without ph: ${JSON.stringify(e)}`);
    if (e.ts !== undefined) assert.ok(Number.isFinite(e.ts), `bad ts: ${JSON.stringify(e)}`);
    if (e.ph === "X") assert.ok(typeof e.dur === "number" && e.dur >= 0, `complete event with a bad duration: ${JSON.stringify(e)}`);
  }
}

const n = (v: unknown): number => (typeof v === "number" ? v : v === undefined || v === null ? 0 : Number(String(v)));

interface PfPacket {
  sequenceFlags?: number;
  trackDescriptor?: { uuid?: unknown; parentUuid?: unknown };
  trackEvent?: { type?: number; trackUuid?: unknown; nameIid?: unknown; callstackIid?: unknown };
  internedData?: { eventNames?: { iid?: unknown }[]; callstacks?: { iid?: unknown }[] };
}

function checkPerfettoProto(bytes: Uint8Array): void {
  const msg = perfettoTrace().decode(bytes) as unknown as { packet: PfPacket[] };
  const tracks = new Set<number>();
  let names = new Set<number>();
  let stacks = new Set<number>();
  const open = new Map<number, number>();
  for (const p of msg.packet) {
    if (((p.sequenceFlags ?? 0) & 1) !== 0) {
      names = new Set();
      stacks = new Set();
    }
    for (const x of p.internedData?.eventNames ?? []) names.add(n(x.iid));
    for (const x of p.internedData?.callstacks ?? []) stacks.add(n(x.iid));
    if (p.trackDescriptor != null) {
      tracks.add(n(p.trackDescriptor.uuid));
      continue;
    }
    const te = p.trackEvent;
    if (te == null) continue;
    const track = n(te.trackUuid);
    assert.ok(tracks.has(track), `track event on undeclared track ${track}`);
    const name = n(te.nameIid);
    if (name !== 0) assert.ok(names.has(name), `undefined name iid ${name}`);
    const cs = n(te.callstackIid);
    if (cs !== 0) assert.ok(stacks.has(cs), `undefined callstack iid ${cs}`);
    if (te.type === 1) open.set(track, (open.get(track) ?? 0) + 1);
    else if (te.type === 2) {
      const d = open.get(track) ?? 0;
      assert.ok(d > 0, `slice end without a begin on track ${track}`);
      open.set(track, d - 1);
    }
  }
}

function checkProfile(gz: Uint8Array, what: string): void {
  const P = profileType();
  const m = P.toObject(P.decode(gunzipSync(gz)), { longs: Number, arrays: true, defaults: true }) as {
    sampleType: unknown[];
    sample: { locationId: number[]; value: number[]; label: { key: number; str: number }[] }[];
    location: { id: number; line: { functionId: number }[] }[];
    function: { id: number; name: number }[];
    stringTable: string[];
  };
  assert.equal(m.stringTable[0], "", `${what}: string table does not start with ""`);
  assert.ok(m.sampleType.length > 0, `${what}: no sample types`);
  const locs = new Set(m.location.map((l) => l.id));
  const fns = new Set(m.function.map((f) => f.id));
  const strs = m.stringTable.length;
  for (const s of m.sample) {
    assert.equal(s.value.length, m.sampleType.length, `${what}: sample with ${s.value.length} values`);
    for (const v of s.value) assert.ok(Number.isFinite(v) && v >= 0, `${what}: sample value ${v}`);
    for (const id of s.locationId) assert.ok(locs.has(id), `${what}: dangling location ${id}`);
    for (const l of s.label) assert.ok(l.key < strs && l.str < strs, `${what}: label outside the string table`);
  }
  for (const l of m.location) for (const ln of l.line) assert.ok(fns.has(ln.functionId), `${what}: dangling function ${ln.functionId}`);
  for (const f of m.function) assert.ok(f.name < strs, `${what}: function name outside the string table`);
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const UINT = /^\d+$/;

function checkOtlpJson(text: string, spans: number): void {
  const doc = JSON.parse(text) as {
    resourceSpans: { scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; startTimeUnixNano: string; endTimeUnixNano: string; events?: { timeUnixNano: string }[] }[] }[] }[];
  };
  assert.ok(Array.isArray(doc.resourceSpans), "no resourceSpans array");
  let count = 0;
  for (const rs of doc.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const sp of ss.spans) {
        count++;
        const where = JSON.stringify(sp).slice(0, 300);
        assert.match(sp.traceId, HEX32, `bad traceId: ${where}`);
        assert.match(sp.spanId, HEX16, `bad spanId: ${where}`);
        if (sp.parentSpanId !== undefined) assert.match(sp.parentSpanId, HEX16, `bad parentSpanId: ${where}`);
        assert.match(sp.startTimeUnixNano, UINT, `bad start: ${where}`);
        assert.match(sp.endTimeUnixNano, UINT, `bad end: ${where}`);
        assert.ok(BigInt(sp.startTimeUnixNano) <= BigInt(sp.endTimeUnixNano), `span ends before it starts: ${where}`);
        for (const e of sp.events ?? []) assert.match(e.timeUnixNano, UINT, `bad event time: ${where}`);
      }
    }
  }
  assert.equal(count, spans, "span count");
}

/** The OTLP JSON read back (as the unsent file is) and written again: the same bytes; its spans as Zipkin JSON: valid, whole microseconds (no fraction, which Zipkin refuses). */
async function checkOtlpRoundTrip(bytes: Buffer, spans: number): Promise<void> {
  const again = new Collector(0);
  let w: OtlpJsonWriter | null = null;
  let zipkin = "";
  let z: ZipkinJsonWriter | null = null;
  const r = new OtlpJsonSpanReader(
    (attrs) => {
      w ??= new OtlpJsonWriter(again, attrs, "fuzz");
      z ??= new ZipkinJsonWriter({ write: (t) => void (zipkin += t) }, attrs, "fuzz");
    },
    (sp) => {
      void w!.add(sp);
      void z!.add(sp);
    },
  );
  // In odd pieces, as a stream brings them.
  for (let i = 0, k = 1; i < bytes.length; i += k, k = (k * 7 + 3) % 4093) r.push(bytes.subarray(i, i + k));
  r.end();
  assert.equal(r.spans, spans, "spans read back");
  if (w === null) return;
  await (w as OtlpJsonWriter).end();
  assert.ok(again.bytes().equals(bytes), "OTLP JSON read back and written again differs");
  await (z as unknown as ZipkinJsonWriter).end();
  const zs = JSON.parse(zipkin) as { timestamp: number; duration: number; annotations?: { timestamp: number }[] }[];
  assert.equal(zs.length, spans, "Zipkin spans");
  for (const x of zs) {
    assert.ok(Number.isInteger(x.timestamp) && Number.isInteger(x.duration), `Zipkin times: ${JSON.stringify(x).slice(0, 200)}`);
    for (const a of x.annotations ?? []) assert.ok(Number.isInteger(a.timestamp), "Zipkin annotation time");
  }
}

// ---- one case ----

async function* once(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}

export interface Variant {
  timeline: TimelineOptions;
  /** --task for the timeline: a first pass with TaskCollector. */
  timelineTask: string | null;
  filter: ProfileFilter;
  /** Writers ask to wait every this many writes (0: never). */
  every: number;
  /** PerfettoProtoSink's bound on interned entries (small: the interned state is cleared often). */
  internMax: number | undefined;
}

export function plainVariant(): Variant {
  const timeline: TimelineOptions = { start: null, end: null, goroutine: null, tasks: null, goroutines: null, annotationsOnly: false };
  return { timeline, timelineTask: null, filter: { ...NO_FILTER }, every: 0, internMax: undefined };
}

export function variant(r: Rand): Variant {
  const v = plainVariant();
  const { timeline, filter } = v;
  switch (r.int(6)) {
    case 0:
      timeline.start = r.int(2_000_000);
      timeline.end = timeline.start + r.int(50_000_000);
      filter.start = timeline.start;
      filter.end = timeline.end;
      break;
    case 1:
      timeline.goroutine = 1 + r.int(30);
      filter.goroutine = timeline.goroutine;
      break;
    case 2:
      timeline.annotationsOnly = true;
      filter.region = r.pick(REGIONS);
      break;
    case 3:
      v.timelineTask = r.pick(TASKS);
      filter.task = v.timelineTask;
      break;
  }
  filter.labels = r.int(2) === 0;
  v.every = r.pick([0, 1, 3]);
  if (r.int(4) === 0) v.internMax = 1 + r.int(64);
  return v;
}

export interface ConvertResult {
  /** A failure: a converter or sink threw, an output is invalid, or the decoder threw something else than a TraceError. */
  failure: string | null;
  /** The decoder's TraceError message, if any. */
  error: string | null;
  events: number;
  ms: number;
}

/** Runs every converter over `bytes`. */
export async function convertCase(bytes: Uint8Array, v: Variant): Promise<ConvertResult> {
  const t0 = performance.now();
  let events = 0;
  const done = (failure: string | null, res: DriveResult | null): ConvertResult => ({ failure, error: res?.error?.message ?? null, events, ms: performance.now() - t0 });
  let res: DriveResult | null = null;
  let stage = "decode";
  try {
    // --task: the CLI reads the trace twice.
    if (v.timelineTask !== null) {
      const c = new TaskCollector(v.timelineTask);
      await drive(once(bytes), (ev) => guard("TaskCollector", () => c.onEvent(ev)), { salvage: true });
      v.timeline.tasks = c.tasks;
      v.timeline.goroutines = c.goroutines;
    }

    const jsonOut = new Collector(v.every);
    const json = new TimelineConverter(new TraceJsonSink(jsonOut), v.timeline);
    const protoOut = new Collector(v.every);
    const proto = new TimelineConverter(new PerfettoProtoSink(protoOut, v.internMax), v.timeline);

    const profiles = PROFILE_KINDS.map((k) => new ProfileBuilder(k, v.filter));
    // The CLI's unfiltered CPU profile: samples encoded as they come.
    const cpuStreamed = v.filter.region === null && v.filter.task === null ? new ProfileBuilder("cpu", v.filter) : null;
    const cpuOut = new Collector(v.every);
    const cpuGz = cpuStreamed === null ? null : new GzipStream(cpuOut);
    const cpuEnc = cpuStreamed === null ? null : new PprofEncoder(cpuStreamed.stacks, cpuStreamed.info);
    if (cpuStreamed !== null) cpuStreamed.onCPUSample = (stack, labels) => cpuEnc!.sample(stack, 1, CPU_PERIOD, labels);

    const spans = new SpanBuilder({ startTime: new Date(1_700_000_000_000), warn: () => undefined });
    const otlpOut = new Collector(v.every);
    let otlp: OtlpJsonWriter | null = null;
    let spanCount = 0;
    // As the CLI's (src/cli/formats/spans.ts): known once the first span is out.
    const resource = (): SpanAttr[] => resourceAttrs(null, spans.version, spans.programName, {});
    const addSpans = async (list: SpanRec[]) => {
      for (const s of list) {
        otlp ??= new OtlpJsonWriter(otlpOut, resource(), "fuzz");
        spanCount++;
        const p = otlp.add(s);
        if (p !== undefined) await p;
      }
    };

    const summary = new SummaryBuilder();

    const onEvent = (ev: Event, r: TraceReader): Promise<void> | void => {
      events++;
      const waits: Promise<unknown>[] = [];
      const w = (p: unknown) => {
        if (p instanceof Promise) waits.push(p);
      };
      w(guard("TimelineConverter+TraceJsonSink", () => json.onEvent(ev)));
      w(guard("TimelineConverter+PerfettoProtoSink", () => proto.onEvent(ev)));
      for (const b of profiles) guard(`ProfileBuilder(${b.kind})`, () => b.event(ev, r.timeBase));
      if (cpuStreamed !== null) {
        guard("ProfileBuilder(cpu, streamed)", () => cpuStreamed.event(ev, r.timeBase));
        if (cpuEnc!.pending >= PIECE_ITEMS) w(guard("flushEncoder(cpu)", () => flushEncoder(cpuEnc!, cpuGz!)));
      }
      guard("SpanBuilder", () => spans.event(ev, r));
      if (spans.pending > 0) w(guard("OtlpJsonWriter", () => addSpans(spans.takeSpans())));
      guard("SummaryBuilder", () => summary.event(ev, r));
      if (waits.length > 0) return Promise.all(waits).then(() => undefined);
    };

    res = await drive(once(bytes), onEvent, { salvage: true });
    const ok = res.error === null;

    stage = "finish";
    await guard("TimelineConverter+TraceJsonSink finish", () => json.finish());
    await guard("TimelineConverter+PerfettoProtoSink finish", () => proto.finish());
    stage = "trace JSON";
    checkTraceJson(jsonOut.bytes().toString("utf8"));
    stage = "Perfetto protobuf";
    checkPerfettoProto(protoOut.bytes());

    for (const b of profiles) {
      stage = `pprof ${b.kind}`;
      guard(`ProfileBuilder(${b.kind}) end`, () => b.end(ok));
      const out = new Collector(v.every);
      await guard(`writeProfile(${b.kind})`, () => writeProfile(b, out));
      checkProfile(out.bytes(), b.kind);
    }
    if (cpuStreamed !== null) {
      stage = "pprof cpu (streamed)";
      await guard("ProfileBuilder(cpu, streamed) end", async () => {
        cpuStreamed.end(ok);
        cpuEnc!.times(cpuStreamed.wallStart, cpuStreamed.lastTime - cpuStreamed.firstTime);
        await cpuGz!.write(cpuEnc!.take());
        await cpuGz!.end();
      });
      checkProfile(cpuOut.bytes(), "cpu (streamed)");
    }

    stage = "OTLP JSON";
    guard("SpanBuilder finish", () => spans.finish());
    await addSpans(spans.takeSpans());
    otlp ??= new OtlpJsonWriter(otlpOut, resource(), "fuzz");
    await guard("OtlpJsonWriter end", () => otlp!.end());
    checkOtlpJson(otlpOut.bytes().toString("utf8"), spanCount);
    stage = "OTLP JSON read back";
    await checkOtlpRoundTrip(otlpOut.bytes(), spanCount);

    stage = "summary";
    const s = guard("SummaryBuilder finish", () => summary.finish());
    guard("summaryText", () => summaryText(s, "fuzz.trace"));
    const text = guard("summaryJSON", () => summaryJSON(s, "fuzz.trace"));
    JSON.parse(text);
    return done(null, res);
  } catch (e) {
    if (e instanceof ConverterFailure) return done(`${e.who} threw: ${e.message}`, res);
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
    if (stage === "decode") return done(`the decoder threw something else than a TraceError: ${msg}`, res);
    return done(`invalid output (${stage}): ${msg}`, res);
  }
}

export function optionsText(v: Variant): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Set ? [...x] : x));
}

export function mkCase(r: Rand, c: Uint8Array[], i: number): { bytes: Uint8Array; how: string } {
  return i % 10 === 9 ? { bytes: generate(r), how: "generated" } : mutate(r.pick(c), c, r);
}

