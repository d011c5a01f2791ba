// --to perfetto (trace-event JSON) and --to perfetto-proto (Perfetto protobuf),
// decoded by us: on every fixture, the output parses and holds one run slice
// per stay of a goroutine on a P, one state slice per blocked or syscall
// interval, one slice per task and region, one instant per log and CPU sample,
// and one arrow per unblock/creation whose goroutine then runs, as counted from
// the decoder's events (perfetto-expect.ts); slices nest per track, flows are
// paired, interned IDs are defined, timestamps never go backwards on a track.
// perfetto-tp.test.ts checks the same in Perfetto's own trace processor.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import protobuf from "protobufjs";
import { TaskCollector } from "../src/convert/timeline.js";
import { BROWSER_LIMIT, partPath, sizeWarning } from "../src/cli/formats/perfetto.js";
import { ALL, decode, expectedCounts, fixtures, toJson, toProto, type Counts } from "./perfetto-expect.js";
import { FIXTURES, ROOT, runCLI } from "./helpers.js";

interface JsonEvent {
  ph: string;
  name?: string;
  cat?: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  id?: number;
  sf?: number;
  esf?: number;
  bind_id?: number;
  flow_in?: boolean;
  flow_out?: boolean;
  args?: Record<string, unknown>;
}

const zero = (): Counts => ({ runs: 0, states: 0, tasks: 0, regions: 0, logs: 0, samples: 0, flows: 0 });
const GO_LABEL = /^G\d+( |$)/;
const STATE = /^(blocked(: .*)?|syscall)$/;

/** Counts and checks a trace-event JSON document. */
export function checkJson(text: string, where: string): Counts & { lanes: Map<number, string> } {
  const doc = JSON.parse(text) as { traceEvents: JsonEvent[]; displayTimeUnit: string; stackFrames?: Record<string, { name: string; parent?: string }> };
  assert.equal(doc.displayTimeUnit, "ns");
  const c = zero();
  const threads = new Set<string>();
  const processes = new Map<number, string>();
  const flowsOut = new Set<string>();
  const frames = doc.stackFrames ?? {};
  for (const [id, f] of Object.entries(frames)) if (f.parent !== undefined) assert.ok(frames[f.parent] !== undefined, `${where}: stack frame ${id} with an undefined parent`);
  /** X events per thread, to check nesting. */
  const xs = new Map<string, JsonEvent[]>();
  /** Flows bound to slices (v2): producers and consumers by id. */
  const bindOut = new Map<number, number>();
  const bindIn = new Map<number, number>();
  for (const e of doc.traceEvents) {
    assert.equal(typeof e.ts, "number", `${where}: event without ts: ${JSON.stringify(e)}`);
    const key = `${e.pid}/${e.tid}`;
    if (e.sf !== undefined) assert.ok(frames[String(e.sf)] !== undefined, `${where}: sf ${e.sf} not in stackFrames`);
    if (e.esf !== undefined) assert.ok(frames[String(e.esf)] !== undefined, `${where}: esf ${e.esf} not in stackFrames`);
    switch (e.ph) {
      case "M":
        if (e.name === "thread_name") threads.add(key);
        if (e.name === "process_name") processes.set(e.pid, String(e.args!["name"]));
        break;
      case "X": {
        assert.ok(threads.has(key), `${where}: slice on an unnamed thread ${key}`);
        assert.ok((e.dur ?? -1) >= 0, `${where}: X with a negative duration`);
        let l = xs.get(key);
        if (l === undefined) xs.set(key, (l = []));
        l.push(e);
        if (e.bind_id !== undefined) {
          assert.ok(e.flow_in === true || e.flow_out === true, `${where}: bind_id without a direction`);
          assert.ok(!(e.flow_in === true && e.flow_out === true), `${where}: a slice both ends a flow and starts one`);
          (e.flow_out === true ? bindOut : bindIn).set(e.bind_id, e.ts);
        }
        const name = e.name ?? "";
        const proc = processes.get(e.pid);
        if (proc === "Threads") break;
        if (proc === "Procs" && GO_LABEL.test(name)) c.runs++;
        else if (STATE.test(name) && e.cat === undefined) c.states++;
        else if (e.cat === "task") c.tasks++;
        else if (e.cat === "region") c.regions++;
        break;
      }
      case "i":
        if (e.cat === "log") c.logs++;
        if (e.cat === "cpu") c.samples++;
        break;
      case "s":
        flowsOut.add(`${e.name}/${e.id}`);
        c.flows++;
        break;
      case "f":
        assert.ok(flowsOut.has(`${e.name}/${e.id}`), `${where}: flow end ${e.id} before its start`);
        break;
      case "C":
        assert.ok(e.args !== undefined && Object.keys(e.args).length > 0);
        break;
      default:
        assert.fail(`${where}: unexpected ph ${e.ph}`);
    }
  }
  for (const [id, ts] of bindIn) {
    const from = bindOut.get(id);
    assert.ok(from !== undefined && from <= ts, `${where}: flow ${id} ends at ${ts} without a start before it`);
    c.flows++;
  }
  // Slices of a thread nest: each begins after the one before it ends, or ends inside it.
  const lanes = new Map<number, string>();
  for (const [key, l] of xs) {
    l.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const open: JsonEvent[] = [];
    for (const e of l) {
      while (open.length > 0 && open[open.length - 1]!.ts + open[open.length - 1]!.dur! <= e.ts + 1e-9) open.pop();
      const top = open[open.length - 1];
      if (top !== undefined) assert.ok(e.ts + e.dur! <= top.ts + top.dur! + 1e-6, `${where}: ${e.name} at ${e.ts} overlaps ${top.name} on ${key}`);
      if (GO_LABEL.test(e.name ?? "") && processes.get(e.pid) !== "Procs" && processes.get(e.pid) !== "Threads") {
        assert.equal(open.length, 0, `${where}: goroutine lifetime ${e.name} nested in ${top?.name} on ${key}`);
        lanes.set(Number(/^G(\d+)/.exec(e.name!)![1]), processes.get(e.pid) ?? "");
      }
      if (STATE.test(e.name ?? "") && e.cat === undefined && processes.get(e.pid) !== "Threads") assert.ok(open.length > 0, `${where}: state ${e.name} outside a goroutine's lifetime on ${key}`);
      open.push(e);
    }
  }
  return { ...c, lanes };
}

let root: protobuf.Root | null = null;
function traceType(): protobuf.Type {
  if (root === null) root = protobuf.loadSync(join(ROOT, "proto", "perfetto_trace.proto"));
  return root.lookupType("perfetto.protos.Trace");
}

interface PbPacket {
  timestamp?: number | { toNumber(): number };
  timestampClockId?: number;
  trustedPacketSequenceId?: number;
  sequenceFlags?: number;
  tracePacketDefaults?: { timestampClockId?: number };
  clockSnapshot?: { clocks?: { clockId?: number; isIncremental?: boolean }[] };
  serviceEvent?: unknown;
  trackDescriptor?: { uuid: unknown; name?: string; parentUuid?: unknown; process?: { pid?: number; processName?: string }; counter?: unknown };
  trackEvent?: {
    type?: number;
    trackUuid?: unknown;
    nameIid?: unknown;
    categoryIids?: unknown[];
    callstackIid?: unknown;
    flowIdsOld?: unknown[];
    terminatingFlowIdsOld?: unknown[];
    debugAnnotations?: { nameIid?: unknown }[];
  };
  internedData?: {
    eventCategories?: { iid: unknown; name: string }[];
    eventNames?: { iid: unknown; name: string }[];
    debugAnnotationNames?: { iid: unknown; name: string }[];
    functionNames?: { iid: unknown }[];
    sourcePaths?: { iid: unknown }[];
    frames?: { iid: unknown; functionNameId?: unknown; sourcePathIid?: unknown }[];
    callstacks?: { iid: unknown; frameIds?: unknown[] }[];
  };
}

const num = (v: unknown): number => (typeof v === "number" ? v : v === undefined || v === null ? 0 : Number(String(v)));

export function decodeProto(bytes: Uint8Array): PbPacket[] {
  return (traceType().decode(bytes) as unknown as { packet: PbPacket[] }).packet;
}

/** Decodes our protobuf with the proto/ schema, checks interning, clocks and nesting, and counts. */
export function checkProto(bytes: Uint8Array, where: string): Counts & { callstacks: number; resets: number } {
  const c = { ...zero(), callstacks: 0, resets: 0 };
  let names = new Map<number, string>();
  let cats = new Map<number, string>();
  let anames = new Set<number>();
  let funcs = new Set<number>();
  let paths = new Set<number>();
  let frames = new Set<number>();
  let stacks = new Set<number>();
  let valid = false;
  let incremental = false;
  let clock = 0;
  const tracks = new Map<number, { name: string; parent: number; group: string }>();
  const groups = new Map<number, string>();
  const open = new Map<number, number[]>();
  const flowSeen = new Map<number, number>();
  for (const p of decodeProto(bytes)) {
    if (p.clockSnapshot != null) {
      for (const k of p.clockSnapshot.clocks ?? []) if (k.clockId === 64) assert.ok(k.isIncremental, `${where}: clock 64 is not incremental`);
      continue;
    }
    if (p.serviceEvent != null) continue;
    if (p.trackDescriptor != null) {
      const d = p.trackDescriptor;
      const uuid = num(d.uuid);
      if (d.process != null) {
        groups.set(uuid, d.process.processName ?? "");
        continue;
      }
      const parent = num(d.parentUuid);
      assert.ok(tracks.has(parent) || groups.has(parent), `${where}: track ${d.name} before its parent`);
      const prev = tracks.get(uuid);
      if (prev !== undefined) assert.equal(prev.parent, parent, `${where}: track ${uuid} moved`);
      tracks.set(uuid, { name: d.name ?? "", parent, group: groups.get(parent) ?? tracks.get(parent)?.group ?? "" });
      continue;
    }
    assert.equal(p.trustedPacketSequenceId, 1, `${where}: packet without sequence id`);
    const flags = p.sequenceFlags ?? 0;
    if (flags & 1) {
      valid = true;
      c.resets++;
      names = new Map();
      cats = new Map();
      anames = new Set();
      funcs = new Set();
      paths = new Set();
      frames = new Set();
      stacks = new Set();
      incremental = p.tracePacketDefaults?.timestampClockId === 64;
      assert.ok(incremental, `${where}: a cleared packet without the incremental clock in its defaults`);
    }
    // The packet's time: a delta on the incremental clock, or absolute BOOTTIME (written late).
    const raw = num(p.timestamp);
    let ts: number;
    if (p.timestampClockId === 6) ts = raw;
    else {
      assert.ok(incremental, `${where}: a delta before the incremental clock is set`);
      clock += raw;
      ts = clock;
    }
    const id = p.internedData;
    if (id != null) {
      for (const x of id.eventNames ?? []) names.set(num(x.iid), x.name);
      for (const x of id.eventCategories ?? []) cats.set(num(x.iid), x.name);
      for (const x of id.debugAnnotationNames ?? []) anames.add(num(x.iid));
      for (const x of id.functionNames ?? []) funcs.add(num(x.iid));
      for (const x of id.sourcePaths ?? []) paths.add(num(x.iid));
      for (const x of id.frames ?? []) {
        assert.ok(funcs.has(num(x.functionNameId)), `${where}: frame with an undefined function name`);
        if (x.sourcePathIid !== undefined && num(x.sourcePathIid) !== 0) assert.ok(paths.has(num(x.sourcePathIid)));
        frames.add(num(x.iid));
      }
      for (const x of id.callstacks ?? []) {
        for (const f of x.frameIds ?? []) assert.ok(frames.has(num(f)), `${where}: callstack with an undefined frame`);
        stacks.add(num(x.iid));
      }
    }
    const te = p.trackEvent;
    if (te == null) continue;
    assert.ok(valid, `${where}: track event before the incremental state is valid`);
    const track = num(te.trackUuid);
    const tr = tracks.get(track);
    assert.ok(tr !== undefined, `${where}: event on an undeclared track ${track}`);
    const nameIid = num(te.nameIid);
    if (nameIid !== 0) assert.ok(names.has(nameIid), `${where}: undefined name iid ${nameIid}`);
    const cat = te.categoryIids !== undefined && te.categoryIids.length > 0 ? cats.get(num(te.categoryIids[0])) : undefined;
    if (te.categoryIids !== undefined && te.categoryIids.length > 0) assert.ok(cat !== undefined, `${where}: undefined category`);
    for (const a of te.debugAnnotations ?? []) assert.ok(anames.has(num(a.nameIid)), `${where}: undefined annotation name`);
    const cs = num(te.callstackIid);
    if (cs !== 0) {
      assert.ok(stacks.has(cs), `${where}: undefined callstack ${cs}`);
      c.callstacks++;
    }
    for (const f of [...(te.flowIdsOld ?? []), ...(te.terminatingFlowIdsOld ?? [])]) flowSeen.set(num(f), (flowSeen.get(num(f)) ?? 0) + 1);
    const name = names.get(nameIid) ?? "";
    let st = open.get(track);
    if (st === undefined) open.set(track, (st = []));
    switch (te.type ?? 0) {
      case 1:
        st.push(ts);
        if (tr.group === "Threads") break;
        if (tr.group === "Procs" && GO_LABEL.test(name)) c.runs++;
        else if (STATE.test(name) && cat === undefined) {
          c.states++;
          assert.ok(st.length > 1, `${where}: state ${name} outside a goroutine's lifetime`);
        } else if (cat === "task") c.tasks++;
        else if (cat === "region") c.regions++;
        if (GO_LABEL.test(name) && tr.group !== "Procs" && tr.group !== "Threads") assert.equal(st.length, 1, `${where}: lifetime ${name} nested`);
        break;
      case 2: {
        assert.ok(st.length > 0, `${where}: slice end without begin on ${tr.name}`);
        assert.ok(ts >= st.pop()!, `${where}: slice on ${tr.name} ends before it begins`);
        break;
      }
      case 3:
        if (cat === "log") c.logs++;
        if (cat === "cpu") c.samples++;
        break;
      case 4:
        break;
      default:
        assert.fail(`${where}: track event of type ${te.type}`);
    }
  }
  for (const [k, st] of open) assert.equal(st.length, 0, `${where}: ${st.length} slices left open on ${tracks.get(k)?.name}`);
  for (const n of flowSeen.values()) if (n >= 2) c.flows++;
  return c;
}

const counts = (x: Counts): Counts => ({ runs: x.runs, states: x.states, tasks: x.tasks, regions: x.regions, logs: x.logs, samples: x.samples, flows: x.flows });

describe("perfetto outputs hold every run, state, task, region, log, sample and arrow", () => {
  for (const { where, bytes, e } of fixtures()) {
    test(where, async () => {
      const { counts: want, error } = expectedCounts(bytes);
      const json = checkJson((await toJson(bytes)).toString("utf8"), where);
      assert.deepEqual(counts(json), want, `${where}: JSON counts (error: ${error?.message ?? "none"})`);
      const pb = checkProto(await toProto(bytes), where);
      assert.deepEqual(counts(pb), want, `${where}: protobuf counts`);
      if (e.dir !== "damaged" && want.states > 0) assert.ok(pb.callstacks > 0, `${where}: no callstacks in the protobuf`);
    });
  }
});

describe("perfetto options", () => {
  const fixture = (name: string): Uint8Array => readFileSync(join(FIXTURES, "traces", "go1.26", `${name}.trace`));
  const ann = fixture("annotations");

  test("protobuf: interned state cleared when it grows past its bound, still consistent", async () => {
    const bytes = fixture("many");
    const { counts: want } = expectedCounts(bytes);
    const small = checkProto(await toProto(bytes, ALL, 8), "many, internMax 8");
    const normal = checkProto(await toProto(bytes), "many");
    assert.ok(small.resets > normal.resets * 4, `interned state cleared ${small.resets} times with a bound of 8 (${normal.resets} times unbounded)`);
    assert.deepEqual(counts(small), want);
  });

  test("protobuf: timestamps are deltas on an incremental clock, with sorting windows", async () => {
    const pk = decodeProto(await toProto(fixture("gc")));
    const deltas = pk.filter((p) => p.trackEvent != null && p.timestampClockId !== 6).length;
    assert.ok(deltas > 1000, `${deltas} packets on the incremental clock`);
    assert.ok(pk.some((p) => p.serviceEvent != null), "sorting windows (flush events) are written");
  });

  test("--annotations-only keeps tasks, regions and logs only", async () => {
    const { counts: want } = expectedCounts(ann);
    const c = checkJson((await toJson(ann, { ...ALL, annotationsOnly: true })).toString("utf8"), "annotations-only");
    assert.deepEqual(counts(c), { ...want, runs: 0, states: 0, samples: 0, flows: 0 });
  });

  test("--task keeps that task, its subtasks and their goroutines", async () => {
    const col = new TaskCollector("subtask-2");
    decode(ann, (ev) => col.onEvent(ev));
    assert.ok(col.tasks.size >= 1);
    const text = (await toJson(ann, { ...ALL, tasks: col.tasks, goroutines: col.goroutines })).toString("utf8");
    const c = checkJson(text, "task");
    assert.ok(c.tasks >= 1 && c.tasks === col.tasks.size, `tasks: ${c.tasks}`);
    for (const g of c.lanes.keys()) assert.ok(col.goroutines.has(g), `goroutine ${g} kept`);
    const doc = JSON.parse(text) as { traceEvents: JsonEvent[] };
    for (const x of doc.traceEvents) if (x.cat === "task" && x.ph === "X") assert.ok(col.tasks.has(Number(x.args!["id"])));
  });

  test("--goroutine keeps one goroutine's lane and runs", async () => {
    const text = (await toJson(ann, { ...ALL, goroutine: 1 })).toString("utf8");
    const c = checkJson(text, "goroutine");
    assert.ok(c.runs > 0);
    assert.deepEqual([...c.lanes.keys()], [1]);
    const doc = JSON.parse(text) as { traceEvents: JsonEvent[] };
    for (const x of doc.traceEvents) if (x.ph === "X" && GO_LABEL.test(x.name ?? "")) assert.match(x.name!, /^G1 /);
  });

  test("--runnable adds runnable intervals; --os-threads a track per M", async () => {
    const plain = (await toJson(ann)).toString("utf8");
    const more = (await toJson(ann, { ...ALL, runnable: true, threads: true })).toString("utf8");
    checkJson(more, "runnable+threads");
    assert.ok(!plain.includes('"name":"runnable"') && more.includes('"name":"runnable"'));
    assert.ok(!plain.includes('"name":"Thread ') && more.includes('"name":"Thread '));
  });

  test("--start/--end clip every slice to the window", async () => {
    const full = JSON.parse((await toJson(ann)).toString("utf8")) as { traceEvents: JsonEvent[] };
    const tss = full.traceEvents.filter((x) => x.ph !== "M").map((x) => x.ts);
    const last = Math.max(...tss);
    const w0 = Math.round((last * 1000) / 3);
    const w1 = Math.round((last * 2000) / 3);
    const text = (await toJson(ann, { ...ALL, start: w0, end: w1 })).toString("utf8");
    checkJson(text, "window");
    const doc = JSON.parse(text) as { traceEvents: JsonEvent[] };
    let n = 0;
    for (const x of doc.traceEvents) {
      if (x.ph === "M") continue;
      n++;
      assert.ok(x.ts >= w0 / 1000 && x.ts + (x.dur ?? 0) <= w1 / 1000 + 1e-6, `event at ${x.ts} outside [${w0 / 1000}, ${w1 / 1000}]`);
    }
    assert.ok(n > 0);
  });
});

describe("perfetto CLI", () => {
  test("--to perfetto and --to perfetto-proto write files", () => {
    const dir = mkdtempSync(join(tmpdir(), "tc-perfetto-"));
    try {
      const trace = join(FIXTURES, "traces", "go1.26", "annotations.trace");
      const j = runCLI([trace, "--to", "perfetto", "-o", join(dir, "a.json")]);
      assert.equal(j.status, 0, j.stderr.toString());
      checkJson(readFileSync(join(dir, "a.json"), "utf8"), "cli json");
      const p = runCLI([trace, "--to", "perfetto-proto", "-o", join(dir, "a.pftrace")]);
      assert.equal(p.status, 0, p.stderr.toString());
      const c = checkProto(readFileSync(join(dir, "a.pftrace")), "cli proto");
      assert.ok(c.runs > 0);
      assert.ok(statSync(join(dir, "a.pftrace")).size < statSync(join(dir, "a.json")).size);
      const t = runCLI([trace, "--to", "perfetto", "--task", "root", "-o", join(dir, "t.json")]);
      assert.equal(t.status, 0, t.stderr.toString());
      assert.ok(checkJson(readFileSync(join(dir, "t.json"), "utf8"), "cli task").tasks >= 1);
      const bin = runCLI([trace, "--to", "perfetto-proto"]);
      assert.equal(bin.status, 0, bin.stderr.toString());
      assert.ok(bin.stdout.length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--split writes numbered parts of at most SIZE, each complete; usage errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "tc-perfetto-"));
    try {
      const trace = join(FIXTURES, "traces", "go1.26", "gc.trace");
      const bytes = readFileSync(trace);
      const { counts: want } = expectedCounts(bytes);
      for (const [fmt, ext, size] of [
        ["perfetto-proto", ".pftrace", 1_000_000],
        ["perfetto", ".json", 1_000_000],
      ] as const) {
        const r = runCLI([trace, "--to", fmt, "--split", `${size}`, "-o", join(dir, `g${ext}`)]);
        assert.equal(r.status, 0, r.stderr.toString());
        const parts = readdirSync(dir).filter((f) => f.startsWith("g-") && f.endsWith(ext)).sort();
        assert.ok(parts.length >= 2, `${fmt}: ${parts.length} parts`);
        assert.deepEqual(parts, parts.map((_, i) => `g-${String(i + 1).padStart(3, "0")}${ext}`));
        let runs = 0;
        for (const f of parts) {
          const b = readFileSync(join(dir, f));
          assert.ok(b.length <= size, `${f}: ${b.length} bytes`);
          const c = fmt === "perfetto" ? checkJson(b.toString("utf8"), f) : checkProto(b, f);
          assert.ok(c.runs > 0, `${f} holds runs`);
          runs += c.runs;
        }
        // A run open across a cut is drawn in both parts.
        assert.ok(runs >= want.runs && runs < want.runs + parts.length * 64, `${fmt}: ${runs} runs in the parts, ${want.runs} in the trace`);
      }
      const noOut = runCLI([trace, "--to", "perfetto", "--split", "10MB"]);
      assert.equal(noOut.status, 2);
      assert.match(noOut.stderr.toString(), /--split writes several files: give -o FILE/);
      const notPerfetto = runCLI([trace, "--to", "pprof-sync", "--split", "10MB", "-o", join(dir, "x.pb.gz")]);
      assert.equal(notPerfetto.status, 2);
      const bad = runCLI([trace, "--to", "perfetto", "--split", "lots", "-o", join(dir, "x.json")]);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr.toString(), /cannot parse size "lots"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("decoding on a second thread (a file) gives the same output as in line (stdin), damaged traces too", () => {
    for (const f of ["go1.26/annotations", "go1.26/gc", "go1.15/annotations", "damaged/go126-multigen-trunc-midbatch"]) {
      const trace = join(FIXTURES, "traces", `${f}.trace`);
      for (const fmt of ["perfetto", "perfetto-proto"]) {
        const file = runCLI([trace, "--to", fmt, "-q"]);
        const stdin = runCLI(["-", "--to", fmt, "-q"], readFileSync(trace));
        assert.equal(file.status, stdin.status, `${f} ${fmt}: exit ${file.status} vs ${stdin.status}: ${file.stderr}`);
        assert.ok(file.stdout.length > 0 && file.stdout.equals(stdin.stdout), `${f} ${fmt}: outputs differ`);
      }
    }
  });

  test("outputs past what a browser tab holds get a warning suggesting --split or a window; parts too", () => {
    assert.equal(sizeWarning([BROWSER_LIMIT - 1], null, "t.json"), null);
    assert.match(sizeWarning([BROWSER_LIMIT + 1e6], null, "t.json") ?? "", /^t\.json is 601 MB: more than a browser tab can load.*--split 500MB.*--start\/--end/);
    assert.equal(sizeWarning([3e8, 3e8, 1e8], 3e8, "t.json"), null);
    assert.match(sizeWarning([3e8, 3.2e8], 3e8, "t.json") ?? "", /1 of the 2 parts passed --split 300 MB/);
    assert.match(sizeWarning([9e8, 1e8], 1e9, "t.json") ?? "", /1 of the 2 parts are past 600 MB/);
    assert.equal(partPath("/a/b/trace.pftrace", 12), "/a/b/trace-012.pftrace");
  });

  test("a truncated trace gives a partial but valid output (exit 3)", () => {
    const dir = mkdtempSync(join(tmpdir(), "tc-perfetto-"));
    try {
      const trace = join(FIXTURES, "traces", "damaged", "go126-multigen-trunc-midbatch.trace");
      const j = runCLI([trace, "--to", "perfetto", "-o", join(dir, "a.json")]);
      assert.equal(j.status, 3, j.stderr.toString());
      checkJson(readFileSync(join(dir, "a.json"), "utf8"), "partial json");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
