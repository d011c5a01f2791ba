// OTLP spans from tasks, regions and logs: the mapping (on fixtures and on a
// synthetic trace for traceparent joining), the otlp-json encoding, and OTLP
// JSON read back as input. Pushing them to backends: push.test.ts.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { parseTraceparent, SpanBuilder, TIME_ATTRS, type SpanOptions, type SpanRec } from "../src/convert/spans.js";
import { Summarizer } from "../src/convert/summarizer.js";
import { Event } from "../src/decode/event.js";
import type { Generation } from "../src/decode/generation.js";
import { TraceReader } from "../src/decode/reader.js";
import { Ev, Kind, NO_TASK } from "../src/decode/spec.js";
import { spanJson } from "../src/sinks/otlp-json.js";
import { CLI, FIXTURES, loadManifest, parsedPath, runCLI } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "tc-otlp-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const manifest = loadManifest().filter((e) => e.dir !== "damaged");
const ann126 = manifest.find((e) => e.dir === "go1.26" && e.name === "annotations")!;

interface Run {
  spans: SpanRec[];
  warnings: string[];
  builder: SpanBuilder;
  /** Counts from the events themselves. */
  tasks: number;
  regions: number;
  logs: number;
}

/** Decodes a trace and converts it, counting tasks, regions and logs independently of the builder. */
function convert(bytes: Uint8Array, opts: SpanOptions = {}): Run {
  const warnings: string[] = [];
  const b = new SpanBuilder({ ...opts, warn: (m) => warnings.push(m) });
  const r = new TraceReader();
  const spans: SpanRec[] = [];
  const taskIDs = new Set<number>();
  const depth = new Map<number, number>();
  let regions = 0;
  let logs = 0;
  const real = (id: number) => id !== 0 && id !== NO_TASK;
  r.push(bytes);
  r.end();
  for (let ev = r.next(); ev !== null; ev = r.next()) {
    switch (ev.kind) {
      case Kind.TaskBegin:
      case Kind.TaskEnd:
        taskIDs.add(ev.taskID());
        if (real(ev.taskParent())) taskIDs.add(ev.taskParent());
        break;
      case Kind.RegionBegin:
        regions++;
        depth.set(ev.g, (depth.get(ev.g) ?? 0) + 1);
        if (real(ev.regionTask())) taskIDs.add(ev.regionTask());
        break;
      case Kind.RegionEnd: {
        const d = depth.get(ev.g) ?? 0;
        if (d > 0) depth.set(ev.g, d - 1);
        else regions++; // began before the trace
        if (real(ev.regionTask())) taskIDs.add(ev.regionTask());
        break;
      }
      case Kind.Log:
        logs++;
        if (real(ev.logTask())) taskIDs.add(ev.logTask());
        break;
    }
    b.event(ev, r);
    spans.push(...b.takeSpans());
  }
  b.finish();
  spans.push(...b.takeSpans());
  return { spans, warnings, builder: b, tasks: taskIDs.size, regions, logs };
}

function attr(s: SpanRec, key: string): string | number | boolean | undefined {
  return s.attrs.find((a) => a.key === key)?.value;
}

function fixture(e: { trace: string }): Uint8Array {
  return readFileSync(join(FIXTURES, e.trace));
}

/** Checks the structure every conversion must have. */
function checkStructure(run: Run, name: string): void {
  const { spans } = run;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  assert.equal(byId.size, spans.length, `${name}: span IDs are unique`);
  const orphans = run.builder.counts.orphanLogs;
  assert.equal(spans.length, run.tasks + run.regions + orphans, `${name}: spans = tasks + regions (+ ${orphans} orphan logs)`);
  assert.equal(spans.filter((s) => attr(s, "go.trace.kind") === "task").length, run.tasks, `${name}: task spans`);
  assert.equal(spans.filter((s) => attr(s, "go.trace.kind") === "region").length, run.regions, `${name}: region spans`);
  const events = spans.reduce((n, s) => n + s.events.length + s.droppedEvents, 0);
  assert.equal(events, run.logs, `${name}: events = logs`);
  for (const s of spans) {
    assert.match(s.traceId, /^[0-9a-f]{32}$/);
    assert.match(s.spanId, /^[0-9a-f]{16}$/);
    assert.ok(s.end >= s.start, `${name}: ${s.name} ends after it starts`);
    if (s.parentSpanId === "") continue;
    const p = byId.get(s.parentSpanId);
    assert.ok(p !== undefined, `${name}: parent of ${s.name} exists`);
    assert.equal(p.traceId, s.traceId, `${name}: ${s.name} is in its parent's trace`);
    const kind = attr(s, "go.trace.kind");
    const pkind = attr(p, "go.trace.kind");
    if (kind === "task") {
      assert.equal(pkind, "task");
      assert.equal(attr(p, "go.task.id"), attr(s, "go.task.parent_id"), `${name}: subtask under its parent task`);
    } else if (kind === "region") {
      if (pkind === "region") {
        assert.equal(attr(p, "go.goroutine.id"), attr(s, "go.goroutine.id"), `${name}: region under a region of its goroutine`);
        if (attr(s, "go.task.id") !== undefined) assert.equal(attr(p, "go.task.id"), attr(s, "go.task.id"));
        assert.ok(p.start <= s.start && p.end >= s.end, `${name}: region ${s.name} inside ${p.name}`);
      } else {
        assert.equal(pkind, "task");
        assert.equal(attr(p, "go.task.id"), attr(s, "go.task.id"), `${name}: region under its task`);
      }
    }
  }
}

describe("otlp mapping", () => {
  test("go1.26 annotations: tasks, regions, parents, logs, attributes", () => {
    const run = convert(fixture(ann126));
    checkStructure(run, "go1.26/annotations");
    const { spans } = run;
    assert.equal(run.tasks, 11);
    assert.equal(run.regions, 179);
    assert.equal(spans.length, 190);
    assert.equal(run.builder.counts.orphanLogs, 0);
    assert.equal(run.builder.clockSource, "clock-snapshot");
    assert.deepEqual(run.warnings, []);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentName = (s: SpanRec) => (s.parentSpanId === "" ? null : byId.get(s.parentSpanId)!.name);
    const named = (n: string) => spans.filter((s) => s.name === n);
    const root = named("root");
    assert.equal(root.length, 1);
    assert.equal(root[0]!.parentSpanId, "");
    for (let i = 0; i < 8; i++) {
      const st = named(`subtask-${i}`);
      assert.equal(st.length, 1);
      assert.equal(parentName(st[0]!), "root");
      assert.equal(st[0]!.traceId, root[0]!.traceId, "one trace per root task");
    }
    for (const s of named("outer")) assert.match(parentName(s)!, /^subtask-\d$/);
    for (const s of named("inner")) assert.equal(parentName(s), "outer");
    for (const s of named("innermost")) assert.equal(parentName(s), "inner");
    for (const s of named("helper")) {
      assert.match(parentName(s)!, /^subtask-\d$/, "helper goroutines' regions hang off their task");
      assert.notEqual(attr(s, "go.goroutine.id"), attr(byId.get(s.parentSpanId)!, "go.goroutine.id"));
    }
    assert.equal(parentName(named("handoff-work")[0]!), "handoff");
    assert.notEqual(attr(named("handoff")[0]!, "go.task.end_goroutine.id"), undefined, "handoff ends on another goroutine");
    const nt = named("no-task-region")[0]!;
    assert.equal(nt.parentSpanId, "", "a region outside any task is a root span");
    assert.notEqual(nt.traceId, root[0]!.traceId);
    assert.deepEqual(
      nt.events.map((e) => [e.name, e.attrs.find((a) => a.key === "go.log.message")?.value]),
      [["untasked", "log outside any task"]],
      "the untasked log lands on the region around it",
    );
    // Unfinished task and region end at the trace's end and say so.
    const last = spans.reduce((m, s) => (s.endTrace > m ? s.endTrace : m), 0);
    for (const n of ["unfinished", "open-at-stop"]) {
      const s = named(n)[0]!;
      assert.equal(attr(s, "go.trace.unfinished"), true, n);
      assert.equal(s.endTrace, last, `${n} ends at the trace end`);
    }
    assert.equal(parentName(named("open-at-stop")[0]!), "root");
    assert.equal(spans.filter((s) => attr(s, "go.trace.unfinished") === true).length, 2);
    // Logs: category as name, message as attribute, on the innermost span of the goroutine.
    const r = root[0]!;
    assert.deepEqual(
      r.events.map((e) => e.name),
      ["phase", "phase", "log"],
      "root's own logs (the empty category is named 'log')",
    );
    assert.equal(r.events[2]!.attrs.find((a) => a.key === "go.log.category")!.value, "");
    for (const s of named("subtask-3")) {
      assert.deepEqual(
        s.events.map((e) => e.attrs.find((a) => a.key === "go.log.message")!.value),
        ["worker 3 starting", "worker finished"],
      );
    }
    for (const s of named("outer")) assert.ok(s.events.every((e) => e.name === "progress"));
    assert.equal(named("handoff-work")[0]!.events[0]!.name, "debug");
    // Attributes.
    for (const s of spans) {
      assert.equal(typeof attr(s, "go.goroutine.id"), "number", `${s.name}: goroutine`);
      assert.equal(typeof attr(s, "thread.id"), "number", `${s.name}: thread`);
      assert.match(String(attr(s, "code.filepath")), /tracegen\/w_annotations\.go$/, `${s.name}: file`);
      assert.match(String(attr(s, "code.function")), /^main\./, `${s.name}: function`);
      assert.ok(Number(attr(s, "code.lineno")) > 0);
      const dur = Number(s.endTrace - s.startTrace);
      let sum = 0;
      for (const k of TIME_ATTRS) {
        const v = attr(s, k);
        assert.equal(typeof v, "number", `${s.name}: ${k}`);
        if (k !== "go.time.gc_ns") sum += v as number;
      }
      if (attr(s, "go.trace.kind") === "region") {
        // One goroutine: the categories add up to the span's length (minus time the goroutine did not exist).
        assert.ok(sum <= dur + 1, `${s.name}: ${sum} <= ${dur}`);
        if (attr(s, "go.trace.unfinished") !== true) assert.ok(sum >= dur * 0.99 - 1000, `${s.name}: ${sum} ~ ${dur}`);
      }
      if (attr(s, "go.trace.kind") === "task") assert.equal(typeof attr(s, "go.task.id"), "number");
    }
    // The inner regions sleep (time.Sleep) and the outer ones add up their children.
    assert.ok(named("innermost").some((s) => Number(attr(s, "go.time.running_ns")) > 500_000), "innermost spins ~1 ms");
    assert.ok(Number(attr(r, "go.time.running_ns")) > 0);
  });

  test("go1.26 annotations: wall-clock times from the clock snapshot (checked against go tool trace's output)", () => {
    const run = convert(fixture(ann126));
    // The oracle's text: Sync ... Trace=T Wall=W; TaskBegin Time=X ... Type="root".
    const text = gunzipSync(readFileSync(parsedPath(ann126))).toString("utf8");
    const sync = /Sync Time=\d+ N=1 Trace=(\d+) Mono=\d+ Wall=(\S+)Z/.exec(text)!;
    const rootBegin = /TaskBegin Time=(\d+) ID=1 .*Type="root"/.exec(text)!;
    const [date, frac] = sync[2]!.split(".");
    const wallNs = BigInt(Date.parse(date + "Z")) * 1_000_000n + BigInt(frac!.padEnd(9, "0"));
    const expected = wallNs + (BigInt(rootBegin[1]!) - BigInt(sync[1]!));
    const root = run.spans.find((s) => s.name === "root")!;
    assert.equal(root.start, expected);
    // Events too.
    const firstLog = /Log Time=(\d+) Task=1 Category="phase" Message="start"/.exec(text)!;
    assert.equal(root.events[0]!.time, wallNs + (BigInt(firstLog[1]!) - BigInt(sync[1]!)));
  });

  test("every fixture: structure holds, IDs are deterministic", () => {
    let n = 0;
    for (const e of manifest) {
      const bytes = fixture(e);
      const a = convert(bytes, { startTime: new Date("2026-01-02T03:04:05Z") });
      checkStructure(a, `${e.dir}/${e.name}`);
      if (e.name === "annotations") {
        assert.ok(a.tasks >= 10 && a.regions >= 170, `${e.dir}: annotations has its tasks and regions`);
        assert.equal(a.builder.counts.orphanLogs, 0);
      }
      const b = convert(bytes, { startTime: new Date("2026-01-02T03:04:05Z") });
      assert.deepEqual(
        b.spans.map((s) => spanJson(s)),
        a.spans.map((s) => spanJson(s)),
        `${e.dir}/${e.name}: same trace, same spans and IDs`,
      );
      n += a.spans.length;
    }
    assert.ok(n > 1000, `spans over all fixtures: ${n}`);
  });

  test("a region's time breakdown equals Go's summarizer's region stats (summary.ts), on every fixture", () => {
    const SYNC = new Set(["sync", "sync.(*Cond).Wait", "chan send", "chan receive", "select"]);
    let compared = 0;
    let withGC = 0;
    for (const e of manifest) {
      const r = new TraceReader();
      r.push(fixture(e));
      r.end();
      const sum = new Summarizer({ stats: true, keepRegions: true });
      const b = new SpanBuilder({ startTime: new Date(0) });
      const spans: SpanRec[] = [];
      let first = true;
      for (let ev = r.next(); ev !== null; ev = r.next()) {
        if (first) {
          sum.setTimeBase(r.timeBase);
          first = false;
        }
        sum.event(ev);
        b.event(ev, r);
        spans.push(...b.takeSpans());
      }
      sum.finish();
      b.finish();
      spans.push(...b.takeSpans());
      const byKey = new Map<string, SpanRec>();
      for (const sp of spans) if (attr(sp, "go.trace.kind") === "region") byKey.set(`${attr(sp, "go.goroutine.id")}/${sp.name}/${sp.startTrace}`, sp);
      for (const g of sum.gs.values()) {
        for (const reg of g.regions) {
          if (reg.synthetic || reg.start === null || reg.stats === null) continue;
          const sp = byKey.get(`${g.id}/${reg.name}/${reg.start}`);
          assert.ok(sp !== undefined, `${e.dir}/${e.name}: region ${reg.name} of G${g.id} at ${reg.start}`);
          const st = reg.stats;
          let sync = 0;
          let net = 0;
          let gc = st.rangeTime.get("GC mark assist") ?? 0;
          let other = 0;
          for (const [k, v] of st.blockByReason) {
            if (k === "network") net += v;
            else if (SYNC.has(k)) sync += v;
            else if (k.startsWith("GC ") || k.includes("GC cycle") || k.includes("GC ends")) gc += v;
            else other += v;
          }
          const what = `${e.dir}/${e.name}: ${reg.name} of G${g.id}`;
          assert.equal(attr(sp, "go.time.running_ns"), st.exec, `${what}: running`);
          assert.equal(attr(sp, "go.time.runnable_ns"), st.schedWait, `${what}: runnable`);
          assert.equal(attr(sp, "go.time.syscall_ns"), st.syscall + st.syscallBlock, `${what}: syscall`);
          assert.equal(attr(sp, "go.time.blocked_sync_ns"), sync, `${what}: sync`);
          assert.equal(attr(sp, "go.time.blocked_network_ns"), net, `${what}: network`);
          assert.equal(attr(sp, "go.time.gc_ns"), gc, `${what}: GC (mark assist + waiting for the GC)`);
          assert.equal(attr(sp, "go.time.blocked_other_ns"), other, `${what}: other`);
          if (gc > 0) withGC++;
          compared++;
        }
      }
    }
    assert.ok(compared > 2000, `regions compared: ${compared}`);
    assert.ok(withGC > 0, "some regions saw GC work");
  });

  test("different traces get different trace IDs", () => {
    const ids = new Set<string>();
    for (const e of manifest.filter((x) => x.name === "annotations")) {
      const root = convert(fixture(e)).spans.find((s) => s.name === "root")!;
      assert.ok(!ids.has(root.traceId), `${e.dir}: fresh trace ID`);
      ids.add(root.traceId);
    }
  });

  test("no clock snapshot (Go < 1.25): --start-time, else the file's time, with a warning", () => {
    const e = manifest.find((x) => x.dir === "go1.21" && x.name === "annotations")!;
    const start = new Date("2026-01-02T03:04:05Z");
    const a = convert(fixture(e), { startTime: start, mtime: new Date("2020-01-01T00:00:00Z") });
    assert.equal(a.builder.clockSource, "start-time");
    assert.match(a.warnings.join("\n"), /no clock snapshot.*--start-time 2026-01-02T03:04:05\.000Z/);
    const min = a.spans.reduce((m, s) => (s.start < m ? s.start : m), a.spans[0]!.start);
    const startNs = BigInt(start.getTime()) * 1_000_000n;
    assert.ok(min >= startNs && min < startNs + 10_000_000_000n, "spans start after --start-time");
    const b = convert(fixture(e), { mtime: new Date("2020-01-01T00:00:00Z") });
    assert.equal(b.builder.clockSource, "mtime");
    assert.match(b.warnings.join("\n"), /modification time 2020-01-01T00:00:00\.000Z/);
    // The CLI uses the file's mtime and says so.
    const r = runCLI([join(FIXTURES, e.trace), "--to", "otlp-json", "-o", join(tmp, "old.json")]);
    assert.equal(r.status, 0, r.stderr.toString());
    const mt = new Date(Math.floor(statSync(join(FIXTURES, e.trace)).mtimeMs)).toISOString();
    assert.match(r.stderr.toString(), new RegExp(`warning: .*modification time ${mt.replace(/\./g, "\\.")}`));
    // A trace with a clock snapshot ignores --start-time, saying so.
    const c = convert(fixture(ann126), { startTime: start });
    assert.equal(c.builder.clockSource, "clock-snapshot");
    assert.match(c.warnings.join("\n"), /--start-time is ignored/);
  });
});

// ---- synthetic traces: traceparent joining ----

class FakeTrace {
  private readonly strings = new Map<number, string>();
  private readonly ids = new Map<string, number>();
  readonly gen = {
    strings: this.strings,
    redacted: false,
    hasClockSnapshot: true,
    snapTime: 0,
    snapMono: 0,
    snapSec: 1_800_000_000,
    snapNsec: 0,
    stackFrames: () => [],
    stacks: { depth: () => 0 },
  } as unknown as Generation;
  readonly reader = { version: 26, timeBase: 12345n } as unknown as TraceReader;
  readonly ev = new Event();
  constructor(readonly b: SpanBuilder) {}
  str(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(s, id);
      this.strings.set(id, s);
    }
    return id;
  }
  emit(type: number, time: number, g: number, a0 = 0, a1 = 0, a2 = 0, aux = 0, str = ""): void {
    const e = this.ev;
    e.type = type;
    e.time = time;
    e.m = 1;
    e.p = 0;
    e.g = g;
    e.a0 = a0;
    e.a1 = a1;
    e.a2 = a2;
    e.a3 = 0;
    e.aux = aux;
    e.str = str;
    e.gen = this.gen;
    this.b.event(e, this.reader);
  }
  sync(t: number): void {
    this.emit(Ev.ReaderSync, t, -1);
  }
  taskBegin(t: number, g: number, id: number, parent: number, name: string): void {
    this.emit(Ev.UserTaskBegin, t, g, id, parent, this.str(name));
  }
  taskEnd(t: number, g: number, id: number, parent: number, name: string): void {
    this.emit(Ev.UserTaskEnd, t, g, id, 0, 0, parent, name);
  }
  regionBegin(t: number, g: number, task: number, name: string): void {
    this.emit(Ev.UserRegionBegin, t, g, task, this.str(name));
  }
  regionEnd(t: number, g: number, task: number, name: string): void {
    this.emit(Ev.UserRegionEnd, t, g, task, this.str(name));
  }
  log(t: number, g: number, task: number, cat: string, msg: string): void {
    this.emit(Ev.UserLog, t, g, task, this.str(cat), this.str(msg));
  }
}

function synthetic(script: (f: FakeTrace) => void): { spans: SpanRec[]; warnings: string[] } {
  const warnings: string[] = [];
  const b = new SpanBuilder({ warn: (m) => warnings.push(m) });
  const f = new FakeTrace(b);
  f.sync(0);
  script(f);
  b.finish();
  return { spans: b.takeSpans(), warnings };
}

describe("otlp traceparent", () => {
  const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  test("parseTraceparent", () => {
    assert.deepEqual(parseTraceparent(TP), { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", flags: 1 });
    assert.equal(parseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), null);
    assert.equal(parseTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), null);
    assert.equal(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"), null);
    assert.notEqual(parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"), null);
    assert.equal(parseTraceparent("garbage"), null);
  });

  test("a task with a traceparent log joins that trace as a child of that span; its subtree follows", () => {
    const { spans, warnings } = synthetic((f) => {
      f.taskBegin(100, 1, 1, NO_TASK, "request");
      f.log(110, 1, 1, "traceparent", TP);
      f.regionBegin(120, 1, 1, "handle");
      f.taskBegin(130, 1, 2, 1, "db");
      f.regionBegin(140, 2, 2, "query");
      f.log(150, 2, 2, "sql", "select 1");
      f.regionEnd(160, 2, 2, "query");
      f.taskEnd(170, 1, 2, 1, "db");
      f.regionEnd(180, 1, 1, "handle");
      f.taskEnd(190, 1, 1, NO_TASK, "request");
      // A task of its own, not joined.
      f.taskBegin(200, 3, 3, NO_TASK, "other");
      f.taskEnd(210, 3, 3, NO_TASK, "other");
    });
    assert.deepEqual(warnings, []);
    const by = (n: string) => spans.find((s) => s.name === n)!;
    const req = by("request");
    assert.equal(req.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(req.parentSpanId, "00f067aa0ba902b7");
    assert.equal(req.parentRemote, true);
    assert.equal(req.events[0]!.name, "traceparent", "the log is kept as an event");
    for (const n of ["handle", "db", "query"]) assert.equal(by(n).traceId, req.traceId, `${n} follows`);
    assert.equal(by("handle").parentSpanId, req.spanId);
    assert.equal(by("db").parentSpanId, req.spanId);
    assert.equal(by("db").parentRemote, false);
    assert.equal(by("query").parentSpanId, by("db").spanId);
    assert.equal(by("query").events[0]!.name, "sql");
    assert.notEqual(by("other").traceId, req.traceId);
    assert.equal(by("other").parentSpanId, "");
    // Encoded with the remote flag.
    assert.match(spanJson(req), /"parentSpanId":"00f067aa0ba902b7","flags":769/);
    assert.match(spanJson(by("db")), /"flags":257/);
    // Times: the clock snapshot maps trace time 0 to 1.8e9 s.
    assert.equal(req.start, 1_800_000_000_000_000_000n + 100n);
    assert.equal(req.end, 1_800_000_000_000_000_000n + 190n);
  });

  test("a traceparent log after the task's first child, or an invalid one, is reported and not joined", () => {
    const { spans, warnings } = synthetic((f) => {
      f.taskBegin(100, 1, 1, NO_TASK, "late");
      f.regionBegin(110, 1, 1, "r");
      f.regionEnd(120, 1, 1, "r");
      f.log(130, 1, 1, "traceparent", TP);
      f.taskEnd(140, 1, 1, NO_TASK, "late");
      f.taskBegin(150, 1, 2, NO_TASK, "bad");
      f.log(160, 1, 2, "traceparent", "00-xyz");
      f.taskEnd(170, 1, 2, NO_TASK, "bad");
    });
    assert.equal(spans.length, 3);
    assert.ok(spans.every((s) => s.traceId !== "4bf92f3577b34da6a3ce929d0e0e4736"));
    assert.equal(warnings.length, 2, warnings.join("\n"));
    assert.match(warnings[0]!, /after its first child span/);
    assert.match(warnings[1]!, /invalid W3C traceparent/);
  });

  test("tasks and regions that began before the trace, logs with no span, regions left open by an exiting goroutine", () => {
    const { spans } = synthetic((f) => {
      f.regionBegin(100, 1, 0, "x"); // no task
      f.regionEnd(110, 1, 0, "x");
      f.regionEnd(120, 1, 5, "pre"); // began before the trace, in task 5, never seen otherwise
      f.log(130, 2, 0, "lonely", "nobody around");
      f.taskEnd(140, 3, 7, NO_TASK, "old"); // began before the trace
      f.log(150, 3, 7, "late", "after the end");
    });
    const by = (n: string) => spans.filter((s) => s.name === n);
    assert.equal(by("x").length, 1);
    assert.equal(by("x")[0]!.parentSpanId, "");
    const pre2 = by("pre")[0]!;
    assert.equal(attr(pre2, "go.trace.began_before_trace"), true);
    const t5 = by("task 5")[0]!;
    assert.ok(t5 !== undefined, "a task known only from references gets a span at the end");
    assert.equal(pre2.parentSpanId, t5.spanId);
    assert.equal(pre2.traceId, t5.traceId);
    const lonely = by("lonely")[0]!;
    assert.equal(attr(lonely, "go.trace.orphan_log"), true);
    assert.equal(lonely.events.length, 1);
    const old = by("old")[0]!;
    assert.equal(attr(old, "go.trace.began_before_trace"), true);
    const late = by("late")[0]!;
    assert.equal(late.parentSpanId, old.spanId, "a log after its task ended hangs off the task");
    assert.equal(late.traceId, old.traceId);
  });
});

// ---- otlp-json, and OTLP JSON as input ----

/** Runs the CLI without blocking this process's event loop (the collector lives here). */
function runAsync(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    p.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    p.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 120_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, stdout });
    });
  });
}


describe("otlp export", () => {
  const annPath = join(FIXTURES, ann126.trace);
  const ref = join(tmp, "ref.json");

  test("--to otlp-json writes the OTLP/HTTP JSON request body", () => {
    const r = runCLI([annPath, "--to", "otlp-json", "-o", ref, "--service-name", "svc-a"]);
    assert.equal(r.status, 0, r.stderr.toString());
    const text = readFileSync(ref, "utf8");
    const j = JSON.parse(text) as {
      resourceSpans: { resource: { attributes: { key: string; value: Record<string, unknown> }[] }; scopeSpans: { scope: { name: string }; spans: Record<string, unknown>[] }[] }[];
    };
    const res = j.resourceSpans[0]!.resource.attributes;
    assert.deepEqual(res.find((a) => a.key === "service.name")!.value, { stringValue: "svc-a" });
    assert.deepEqual(res.find((a) => a.key === "go.version")!.value, { stringValue: "go1.26" });
    const spans = j.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    assert.equal(spans.length, 190);
    const s = spans[0]!;
    assert.match(String(s.startTimeUnixNano), /^\d{19}$/, "int64 nanos as strings");
    assert.equal(typeof s.startTimeUnixNano, "string");
    assert.equal(s.kind, 1);
    const ia = (s.attributes as { key: string; value: Record<string, unknown> }[]).find((a) => a.key === "go.goroutine.id")!;
    assert.equal(typeof ia.value.intValue, "string");
    // Same bytes on a second run (deterministic).
    const again = join(tmp, "ref2.json");
    assert.equal(runCLI([annPath, "--to", "otlp-json", "-o", again, "--service-name", "svc-a"]).status, 0);
    assert.equal(readFileSync(again, "utf8"), text);
    // stdout when no -o.
    const r2 = runCLI([annPath, "--to", "otlp-json", "--service-name", "svc-a"]);
    assert.equal(r2.status, 0);
    assert.equal(r2.stdout.toString(), text);
  });

  test("service.name defaults to the program's name (main.main's directory)", async () => {
    const out = join(tmp, "default-name.json");
    const r = await runAsync([annPath, "--to", "otlp-json", "-o", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(out, "utf8"), /^\{"resourceSpans":\[\{"resource":\{"attributes":\[\{"key":"service.name","value":\{"stringValue":"tracegen"\}\}/);
  });

  test("an OTLP JSON body as input: the same spans again, byte for byte (the file of unsent spans is sent this way)", () => {
    const ref = join(tmp, "rt-ref.json");
    assert.equal(runCLI([annPath, "--to", "otlp-json", "-o", ref, "--service-name", "svc-a"]).status, 0);
    const again = join(tmp, "rt-again.json");
    const r = runCLI([ref, "--to", "otlp-json", "-o", again]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(readFileSync(again, "utf8"), readFileSync(ref, "utf8"));
    // From stdin too, and --service-name replaces the file's.
    const r2 = runCLI(["-", "--to", "otlp-json", "--service-name", "svc-b"], readFileSync(ref));
    assert.equal(r2.status, 0, r2.stderr.toString());
    assert.equal(r2.stdout.toString(), readFileSync(ref, "utf8").replace('"stringValue":"svc-a"', '"stringValue":"svc-b"'));
  });

  test("an OTLP JSON input that is not one: exit 1, the byte where it goes wrong", () => {
    const bad = join(tmp, "bad-body.json");
    const text = readFileSync(join(tmp, "rt-ref.json"), "utf8");
    writeFileSync(bad, text.slice(0, 5000));
    const r = runCLI([bad, "--to", "otlp-json", "-o", join(tmp, "bad-out.json")]);
    assert.equal(r.status, 1, r.stderr.toString());
    assert.match(r.stderr.toString(), /not an OTLP JSON request body: truncated/);
    writeFileSync(bad, text.replace('"name":', '"name" '));
    const r2 = runCLI([bad, "--to", "otlp-json", "-o", join(tmp, "bad-out.json")]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr.toString(), /not an OTLP JSON request body: .*\(at byte \d+\)/);
    writeFileSync(bad, '{"hello": "world"}');
    const r3 = runCLI([bad, "--to", "otlp-json", "-o", join(tmp, "bad-out.json")]);
    assert.equal(r3.status, 1);
    assert.match(r3.stderr.toString(), /no resourceSpans/);
  });
});
