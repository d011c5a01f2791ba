// --to summary: the numbers of go tool trace's web UI (/goroutines, /goroutine,
// /usertasks, /usertask, /userregions, /userregion, /mmu), checked against
// pages captured from Go 1.26 by fixtures/gen/webui.sh (so no Go is needed here).

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MMUCurve, MutatorUtilization, UTIL_DEFAULT } from "../src/convert/mmu.js";
import { Summarizer } from "../src/convert/summarizer.js";
import { latencyOf, SummaryBuilder, type Latency, type TraceSummary } from "../src/convert/summary.js";
import { TraceReader } from "../src/decode/reader.js";
import { Event } from "../src/decode/event.js";
import { Ev, GoState, Kind, ResourceKind } from "../src/decode/spec.js";
import { FIXTURES, readMaybeGz, runCLI } from "./helpers.js";

const WEBUI = join(FIXTURES, "expected", "webui");

// ---- Reading the pages ----

const UNIT: Record<string, number> = { ns: 1, "µs": 1e3, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parses Go's time.Duration.String() ("1h2m3.5s", "87.220352ms", "0s"). */
function goDur(s: string): number {
  s = s.trim();
  let sign = 1;
  if (s.startsWith("-")) {
    sign = -1;
    s = s.slice(1);
  }
  if (s === "0s" || s === "0") return 0;
  let t = 0;
  let rest = s;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|µs|us|ms|s|m|h)/g)) {
    // Split on the decimal point so that no precision is lost.
    const [i, f = ""] = m[1]!.split(".");
    const u = UNIT[m[2]!]!;
    const digits = Math.round(Math.log10(u));
    t += Number(i) * u + (f === "" ? 0 : Number(f.padEnd(digits, "0").slice(0, digits)));
    rest = rest.replace(m[0], "");
  }
  assert.equal(rest, "", `cannot parse Go duration ${JSON.stringify(s)}`);
  return sign * t;
}

function unescapeHTML(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function text(html: string): string {
  return unescapeHTML(html.replace(/<[^>]*>/g, "")).trim();
}

/** The cells of a table row, as text (nested tags stripped). */
function cells(row: string): string[] {
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]!);
}

/** A "details" table: headers and rows of cell texts (the bar-graph column dropped). */
function detailsTables(html: string): { heads: string[]; rows: string[][] }[] {
  const out: { heads: string[]; rows: string[][] }[] = [];
  for (const part of html.split('<table class="details">').slice(1)) {
    const t = part.split("</table>")[0]!;
    const [head, ...rows] = t.split(/<tr>/).slice(1);
    const heads = [...head!.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]!.trim());
    const bar = heads.indexOf("");
    const parsed = rows.map((r) => {
      const c = [...r.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => text(m[1]!));
      return c;
    });
    out.push({
      heads: heads.filter((_, i) => i !== bar),
      rows: parsed.filter((r) => r.length > 0).map((r) => (bar >= 0 && r.length === heads.length ? r.filter((_, i) => i !== bar) : r)),
    });
  }
  return out;
}

/** Non-empty histogram rows of a ToHTML table: [bucket lower bound ns, count]. */
function histogram(html: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of html.matchAll(/<td class="histoTime" align="right">(?:<a [^>]*>)?([^<]*)(?:<\/a>)?<\/td>[\s\S]*?<div style="position:relative">(\d+)<\/div>/g)) {
    if (Number(m[2]) > 0) out.push([goDur(m[1]!), Number(m[2])]);
  }
  return out;
}

/** Top-level rows of the /usertasks and /userregions tables (each row holds a nested histogram table). */
function typeRows(html: string): string[] {
  const t = html.split('<table border="1" sortable="1">')[1]!;
  return t.split(/\n  <tr>\n/).slice(1);
}

interface Pages {
  dir: string;
  trace: string;
  files: Map<string, string>;
  page(file: string): string;
}

function loadPages(sub: string): Pages {
  const dir = join(WEBUI, sub);
  const files = new Map<string, string>();
  for (const line of readFileSync(join(dir, "index.txt"), "utf8").trim().split("\n")) {
    const i = line.indexOf(" ");
    files.set(line.slice(i + 1), line.slice(0, i));
  }
  const [gover, ...rest] = sub.split("-");
  return {
    dir,
    trace: join(FIXTURES, "traces", gover!, rest.join("-") + ".trace"),
    files,
    page: (file: string) => readMaybeGz(join(dir, file)),
  };
}

/**
 * The report, plus a plain Summarizer that keeps every goroutine and region
 * (the report's builder folds exited goroutines away), plus the MMU curve.
 */
function summarize(path: string): { report: TraceSummary; full: Summarizer; curve: MMUCurve } {
  const r = new TraceReader();
  r.push(readFileSync(path));
  r.end();
  const b = new SummaryBuilder();
  const full = new Summarizer({ keepRegions: true, tasks: false });
  const mu = new MutatorUtilization(UTIL_DEFAULT);
  let first = true;
  for (let ev = r.next(); ev !== null; ev = r.next()) {
    if (first) {
      full.setTimeBase(r.timeBase);
      first = false;
    }
    b.event(ev, r);
    full.event(ev);
    mu.event(ev);
  }
  full.finish();
  return { report: b.finish(), full, curve: new MMUCurve(mu.finish()) };
}

function isSync(reason: string): boolean {
  return reason.includes("chan") || reason.includes("sync") || reason.includes("select");
}

function sameLatency(got: Latency, want: Latency, what: string): void {
  for (const k of ["count", "p50", "p90", "p99", "max", "total"] as const) assert.equal(got[k], want[k], `${what}: ${k}`);
}

// ---- The checks ----

const fixtures = existsSync(WEBUI) ? readdirSync(WEBUI).filter((d) => existsSync(join(WEBUI, d, "index.txt"))) : [];

test("web UI pages are present for at least two fixtures", () => {
  assert.ok(fixtures.includes("go1.26-annotations"), "run fixtures/gen/webui.sh");
  assert.ok(fixtures.includes("go1.26-contention"), "run fixtures/gen/webui.sh");
});

test("Go duration strings parse exactly", () => {
  assert.equal(goDur("87.220352ms"), 87220352);
  assert.equal(goDur("1m2.000000001s"), 62000000001);
  assert.equal(goDur("25.118864ms"), 25118864);
  assert.equal(goDur("1.5µs"), 1500);
  assert.equal(goDur("0s"), 0);
});

test("latency: nearest-rank percentiles and go tool trace's histogram buckets", () => {
  const l = latencyOf(Array.from({ length: 100 }, (_, i) => 100 - i));
  assert.deepEqual([l.count, l.p50, l.p90, l.p99, l.max, l.total], [100, 50, 90, 99, 100, 5050]);
  const one = latencyOf([7]);
  assert.deepEqual([one.p50, one.p90, one.p99, one.max], [7, 7, 7, 7]);
  assert.equal(latencyOf([]).count, 0);
  // Buckets grow by 10^(1/5): 1.1ms and 1.5ms fall in the bucket starting at 1ms, 1.6ms in the next.
  assert.deepEqual(latencyOf([1.1e6, 1.5e6, 1.6e6, 0]).histogram, [
    [1, 1],
    [1e6, 2],
    [1584893, 1],
  ]);
});

for (const sub of fixtures) {
  describe(`summary agrees with go tool trace's web UI: ${sub}`, () => {
    const P = loadPages(sub);
    const { report, full, curve } = summarize(P.trace);
    const gs = full.gs;

    test("/goroutines: groups, counts, execution time", () => {
      const html = P.page(P.files.get("/goroutines")!);
      const rows = html.split("<table>")[1]!.split("<tr>").slice(2);
      assert.ok(rows.length > 0);
      assert.equal(rows.length, report.goroutines.length, "number of groups");
      for (const row of rows) {
        const c = cells(row);
        const link = /href="\/goroutine\?name=([^"]*)"/.exec(c[0]!)![1]!;
        const name = decodeURIComponent(unescapeHTML(link));
        const g = report.goroutines.find((x) => x.name === name);
        assert.ok(g !== undefined, `group ${name}`);
        assert.equal(g.count, Number(text(c[1]!)), `${name}: count`);
        assert.equal(g.exec, goDur(text(c[2]!)), `${name}: execution time`);
      }
      // Sorted as Go sorts them: by execution time, longest first.
      for (let i = 1; i < report.goroutines.length; i++) assert.ok(report.goroutines[i - 1]!.exec >= report.goroutines[i]!.exec);
    });

    test("/goroutine?name=...: every goroutine's breakdown, and the group sums", () => {
      let checked = 0;
      for (const [q, file] of P.files) {
        if (!q.startsWith("/goroutine?name=")) continue;
        const name = decodeURIComponent(q.slice("/goroutine?name=".length));
        const group = report.goroutines.find((x) => x.name === name)!;
        assert.ok(group !== undefined, name);
        const [breakdown, ranges] = detailsTables(P.page(file));
        const sum = { total: 0, exec: 0, schedWait: 0, syncBlock: 0, networkBlock: 0, otherBlock: 0, syscall: 0, syscallBlock: 0, unknown: 0, gc: 0 };
        assert.equal(breakdown!.rows.length, group.count, `${name}: goroutines listed`);
        for (const row of breakdown!.rows) {
          const id = Number(row[0]);
          const g = gs.get(id);
          assert.ok(g !== undefined, `goroutine ${id}`);
          assert.equal(g.name, name);
          const mine = g.stats.nonOverlapping();
          for (let i = 1; i < breakdown!.heads.length; i++) {
            const h = breakdown!.heads[i]!;
            const v = goDur(row[i]!);
            checked++;
            if (h === "Total") {
              assert.equal(g.stats.total, v, `g${id} total`);
              sum.total += v;
              continue;
            }
            assert.equal(mine.get(h) ?? 0, v, `g${id} ${h}`);
            if (h === "Execution time") sum.exec += v;
            else if (h === "Sched wait time") sum.schedWait += v;
            else if (h === "Syscall execution time") sum.syscall += v;
            else if (h === "Block time (syscall)") sum.syscallBlock += v;
            else if (h === "Unknown time") sum.unknown += v;
            else {
              const reason = /^Block time \((.*)\)$/.exec(h)![1]!;
              if (reason === "network") sum.networkBlock += v;
              else if (isSync(reason)) sum.syncBlock += v;
              else sum.otherBlock += v;
            }
          }
        }
        for (const row of ranges!.rows) {
          const g = gs.get(Number(row[0]))!;
          for (let i = 2; i < ranges!.heads.length; i++) {
            const v = goDur(row[i]!);
            assert.equal(g.stats.rangeTime.get(ranges!.heads[i]!) ?? 0, v, `g${g.id} ${ranges!.heads[i]}`);
            sum.gc += v;
            checked++;
          }
        }
        for (const k of Object.keys(sum) as (keyof typeof sum)[]) assert.equal(group[k], sum[k], `${name}: ${k}`);
      }
      assert.ok(checked > 50, `checked ${checked} numbers`);
    });

    test("/usertasks and /usertask?type=...: counts, histograms, latency", () => {
      const html = P.page(P.files.get("/usertasks")!);
      const rows = typeRows(html);
      assert.equal(rows.length, report.tasks.length, "task types");
      for (const row of rows) {
        const c = cells(row.split("<table>")[0]!);
        const type = text(c[0]!);
        const t = report.tasks.find((x) => x.type === type);
        assert.ok(t !== undefined, `task type ${type}`);
        assert.equal(t.count, Number(text(c[1]!)), `${type}: count`);
        assert.deepEqual(t.latency.histogram, histogram(row), `${type}: histogram`);
        // The per-type page lists every task with its duration.
        const page = P.page(P.files.get(`/usertask?type=${type}`)!);
        const tasks = [...page.matchAll(/<tr class="first">[\s\S]*?<td class="elapsed">([^<]*)<\/td>[\s\S]*?\((complete|incomplete)\)/g)];
        assert.equal(tasks.length, t.count, `${type}: tasks listed`);
        const complete = tasks.filter((m) => m[2] === "complete").map((m) => goDur(m[1]!));
        sameLatency(t.latency, latencyOf(complete), `task ${type}`);
      }
    });

    test("/userregions and /userregion?type=...&pc=...: counts, histograms, latency, per-region breakdown", () => {
      const html = P.page(P.files.get("/userregions")!);
      const rows = typeRows(html);
      assert.equal(rows.length, report.regions.length, "region groups");
      for (const row of rows) {
        const c = cells(row.split("<table>")[0]!);
        const m = /^<pre>(.*)<br>(.*) @ 0x([0-9a-f]+)<br>(.*):(\d+)<\/pre>$/.exec(c[0]!.trim())!;
        assert.ok(m !== null, c[0]);
        const type = JSON.parse(unescapeHTML(m[1]!)) as string;
        const pc = parseInt(m[3]!, 16);
        const r = report.regions.find((x) => x.type === type && x.pc === pc);
        assert.ok(r !== undefined, `region ${type} @ ${m[3]}`);
        assert.equal(r.func, unescapeHTML(m[2]!));
        assert.equal(r.file, unescapeHTML(m[4]!));
        assert.equal(r.line, Number(m[5]));
        assert.equal(r.latency.count, Number(text(c[1]!)), `${type}: count`);
        assert.deepEqual(r.latency.histogram, histogram(row), `${type}: histogram`);

        const q = `/userregion?type=${encodeURIComponent(type)}&pc=${m[3]}`;
        const file = P.files.get(q) ?? [...P.files].find(([k]) => decodeURIComponent(k) === `/userregion?type=${type}&pc=${m[3]}`)?.[1];
        assert.ok(file !== undefined, q);
        const [breakdown] = detailsTables(P.page(file));
        // Every region's total time is its duration here.
        sameLatency(r.latency, latencyOf(breakdown!.rows.map((x) => goDur(x[2]!))), `region ${type}`);
        // Per-region breakdown, from a Summarizer that keeps its regions.
        const want = breakdown!.rows.map((x) => x.map((v, i) => (i < 2 ? v : String(goDur(v)))).join("|")).sort();
        const got: string[] = [];
        for (const g of full.gs.values()) {
          for (const reg of g.regions) {
            if (reg.name !== type || reg.startFrame.pc !== pc) continue;
            const st = reg.stats!;
            const no = st.nonOverlapping();
            const cols = [String(g.id), reg.taskID === 0 ? "" : String(reg.taskID), String(st.total)];
            for (const h of breakdown!.heads.slice(3)) cols.push(String(no.get(h) ?? 0));
            got.push(cols.join("|"));
          }
        }
        assert.deepEqual(got.sort(), want, `${type}: per-region breakdown`);
      }
    });

    test("/mmu: minimum mutator utilization", () => {
      const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: got ${a}, want ${b}`);
      for (const [q, file] of P.files) {
        const w = /^\/mmu\?mode=details&window=(\d+)/.exec(q);
        if (w === null) continue;
        const worst = JSON.parse(P.page(file)) as { Time: number; MutatorUtil: number }[] | null;
        const window = Number(w[1]);
        if (worst === null) {
          // No utilization data at all (old trace formats): no MMU from us either.
          assert.deepEqual(curve.examples(window, 1), []);
          assert.deepEqual(report.mmu, []);
          continue;
        }
        assert.ok(worst.length > 0);
        close(curve.mmu(window), worst[0]!.MutatorUtil, `MMU(${window})`);
        const ex = curve.examples(window, 1);
        close(ex[0]!.util, worst[0]!.MutatorUtil, `worst window (${window})`);
        const inReport = report.mmu.find((p) => p.window === window);
        if (inReport !== undefined) close(inReport.mmu, worst[0]!.MutatorUtil, `report MMU(${window})`);
      }
      const plotFile = P.files.get("/mmu?mode=plot&flags=stw|background|assist");
      if (plotFile === undefined) return; // go tool trace failed to plot (no data)
      const plot = JSON.parse(P.page(plotFile)) as { curve: [number, number][] };
      assert.equal(plot.curve.length, 100);
      for (const [window, mmu] of plot.curve) close(curve.mmu(window), mmu, `plot MMU(${window})`);
      assert.ok(report.mmu.length > 0);
    });
  });
}

/**
 * Go's MutatorUtilizationV2 for the default flags (STW, background, assist;
 * system-wide), written the plain way: a utilization point after every event.
 */
function plainUtilization(path: string): { time: number[]; util: number[] } {
  const r = new TraceReader();
  r.push(readFileSync(path));
  r.end();
  const time: number[] = [];
  const util: number[] = [];
  const add = (t: number, u: number) => {
    const n = util.length;
    if (n > 0 && util[n - 1] === u) return;
    if (n > 0 && time[n - 1] === t) {
      if (u < util[n - 1]!) util[n - 1] = u;
      return;
    }
    time.push(t);
    util.push(u);
  };
  const gc: number[] = [];
  let procs = 0;
  let stw = 0;
  const inGC = new Set<number>();
  const bg = new Set<number>();
  const states = new Map<number, number>();
  let nSync = 0;
  let last = 0;
  const executing = (s: number | undefined) => s === GoState.Running || s === GoState.Syscall;
  const timesN: [number, number][] = [];
  for (let ev = r.next(); ev !== null; ev = r.next()) {
    last = ev.time;
    const kind = ev.kind;
    if (kind === Kind.Sync) nSync = ev.syncN();
    if (kind === Kind.Metric && ev.metricName() === "/sched/gomaxprocs:threads") {
      const n = ev.metricValue();
      gc.length = Math.min(gc.length, n);
      if (time.length === 0 && n > 0) add(ev.time, 1);
      while (gc.length < n) gc.push(0);
      procs = n;
      if (timesN.length === 0 || timesN[timesN.length - 1]![1] !== n) timesN.push([ev.time, n]);
    }
    if (procs === 0) continue;
    const name = kind === Kind.RangeBegin || kind === Kind.RangeActive || kind === Kind.RangeEnd ? ev.rangeName() : "";
    const isSTW = name.startsWith("stop-the-world") && name.includes("GC");
    const isAssist = name === "GC mark assist";
    if (kind === Kind.RangeActive && nSync <= 1 && isAssist && executing(states.get(ev.g))) {
      let pi = 0;
      for (let mi = 0; mi < util.length; ) {
        if (pi < timesN.length - 1 && timesN[pi + 1]![0] < time[mi]!) {
          pi++;
          continue;
        }
        util[mi] = Math.max(0, util[mi]! - 1 / timesN[pi]![1]);
        mi++;
      }
    }
    if (kind === Kind.RangeBegin || (kind === Kind.RangeActive && nSync <= 1)) {
      if (isSTW) stw++;
      else if (isAssist) {
        gc[ev.p]!++;
        inGC.add(ev.rangeScopeID());
      }
    } else if (kind === Kind.RangeEnd) {
      if (isSTW) stw--;
      else if (isAssist) {
        gc[ev.p]!--;
        inGC.delete(ev.rangeScopeID());
      }
    } else if (kind === Kind.StateTransition && ev.transitionResourceKind() === ResourceKind.Goroutine) {
      const g = ev.transitionResource();
      const from = ev.transitionFrom();
      const to = ev.transitionTo();
      if (inGC.has(g) || bg.has(g)) {
        if (!executing(from) && executing(to)) gc[ev.p]!++;
        else if (executing(from) && !executing(to)) gc[ev.p]!--;
      }
      states.set(g, to);
    } else if (kind === Kind.Label) {
      const l = ev.label();
      if (l.startsWith("GC ") && l !== "GC (idle)") {
        bg.add(ev.g);
        gc[ev.p]!++;
      }
    }
    const busy = stw > 0 ? procs : gc.filter((x) => x > 0).length;
    add(ev.time, 1 - busy / procs);
  }
  if (procs > 0) add(last, 0);
  return { time, util };
}

test("mutator utilization: the streaming builder gives Go's series on every 1.22+ fixture", () => {
  let n = 0;
  for (const dir of ["go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"]) {
    const d = join(FIXTURES, "traces", dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).filter((x) => x.endsWith(".trace"))) {
      const path = join(d, f);
      const r = new TraceReader();
      r.push(readFileSync(path));
      r.end();
      const mu = new MutatorUtilization(UTIL_DEFAULT);
      for (let ev = r.next(); ev !== null; ev = r.next()) mu.event(ev);
      const got = mu.finish();
      const want = plainUtilization(path);
      if (want.time.length === 0) {
        assert.equal(got.length, 0, path);
        continue;
      }
      assert.equal(got.length, 1, path);
      assert.deepEqual(Array.from(got[0]!.time.subarray(0, got[0]!.length)), want.time, `${path}: times`);
      assert.deepEqual(Array.from(got[0]!.util.subarray(0, got[0]!.length)), want.util, `${path}: utilization`);
      n++;
    }
  }
  assert.ok(n >= 10, `${n} traces compared`);
});

test("mutator utilization: a rise hidden at one instant is recorded at the next event", () => {
  const mu = new MutatorUtilization(UTIL_DEFAULT);
  const ev = new Event();
  const at = (time: number, type: number, p: number, g: number, a0 = 0) => {
    Object.assign(ev, { time, type, p, g, a0 });
    mu.event(ev);
  };
  at(0, Ev.ProcsChange, 0, 1, 2); // 2 Ps
  at(10, Ev.GCMarkAssistBegin, 0, 1); // one P assisting: 1/2
  at(20, Ev.GCMarkAssistBegin, 1, 2); // both: 0
  at(20, Ev.GCMarkAssistEnd, 1, 2); // back to 1/2 at the same instant: the lowest value stays
  at(30, Ev.UserLog, 0, 1); // Go records 1/2 here
  at(40, Ev.UserLog, 0, 1);
  const [s] = mu.finish();
  assert.deepEqual(Array.from(s!.time.subarray(0, s!.length)), [0, 10, 20, 30, 40]);
  assert.deepEqual(Array.from(s!.util.subarray(0, s!.length)), [1, 0.5, 0, 0.5, 0]);
  const curve = new MMUCurve([s!]);
  assert.equal(curve.mmu(5), 0);
  assert.equal(curve.mmu(20), 0.25); // e.g. [10, 30]: 1/2 for 10ns, then 0 for 10ns
  assert.equal(curve.mmu(40), (10 * 1 + 10 * 0.5 + 0 + 10 * 0.5) / 40);
});

describe("GC pauses agree with the trace's ranges (go tool trace -d=parsed)", () => {
  const parsed = join(FIXTURES, "expected", "go1.26", "gc.parsed.txt.gz");
  test("go1.26/gc: cycles and stop-the-world pauses", { skip: !existsSync(parsed) }, () => {
    const { report } = summarize(join(FIXTURES, "traces", "go1.26", "gc.trace"));
    const open = new Map<string, number>();
    const byName = new Map<string, number[]>();
    let cycles = 0;
    for (const line of readMaybeGz(parsed).split("\n")) {
      const m = / (RangeBegin|RangeEnd) Time=(\d+) Name="([^"]*)" Scope=(\S+)/.exec(line);
      if (m === null) continue;
      const [, kind, time, name, scope] = m;
      if (name === "GC concurrent mark phase" && kind === "RangeBegin") cycles++;
      if (!name!.startsWith("stop-the-world")) continue;
      const key = `${scope} ${name}`;
      if (kind === "RangeBegin") open.set(key, Number(time));
      else {
        const d = Number(time) - open.get(key)!;
        open.delete(key);
        if (!byName.has(name!)) byName.set(name!, []);
        byName.get(name!)!.push(d);
      }
    }
    assert.ok(cycles > 5);
    assert.equal(report.gc.cycles, cycles);
    assert.deepEqual(
      report.gc.stwByReason.map((r) => r.reason),
      [...byName.keys()].sort(),
    );
    for (const r of report.gc.stwByReason) sameLatency(r.latency, latencyOf(byName.get(r.reason)!), r.reason);
    const gcPauses = [...byName].filter(([n]) => n.includes("GC")).flatMap(([, d]) => d);
    sameLatency(report.gc.pauses, latencyOf(gcPauses), "GC pauses");
    assert.ok(report.gc.assistTime > 0);
    assert.ok(report.gc.markTime > 0);
  });
});

describe("--to summary on the command line", () => {
  const trace = join(FIXTURES, "traces", "go1.26", "annotations.trace");
  test("text tables", () => {
    const r = runCLI([trace, "--to", "summary"]);
    assert.equal(r.status, 0, r.stderr.toString());
    const out = r.stdout.toString();
    for (const s of ["Goroutines by start function", "Tasks by type", "Regions by type", "Garbage collection", "Minimum mutator utilization"]) {
      assert.ok(out.includes(s), s);
    }
    assert.match(out, /^ {2}main\.annotatedWorker +8 /m);
    assert.match(out, /^ {2}subtask-0 +1 +1 /m);
    assert.match(out, /^ {2}"outer" +main\.annotatedWorker w_annotations\.go:\d+ +8 /m);
  });
  test("--json matches the library's report", () => {
    const r = runCLI([trace, "--to", "summary", "--json"]);
    assert.equal(r.status, 0, r.stderr.toString());
    const got = JSON.parse(r.stdout.toString()) as Record<string, unknown>;
    assert.equal(got.trace, trace);
    delete got.trace;
    const want = JSON.parse(JSON.stringify(summarize(trace).report)) as unknown;
    assert.deepEqual(got, want);
  });
  test("a truncated trace: exit 3 with the summary of what was read", () => {
    const bytes = readFileSync(join(FIXTURES, "traces", "go1.26", "multigen.trace"));
    const r = runCLI(["-", "--to", "summary", "--json"], bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    assert.equal(r.status, 3, r.stderr.toString());
    const got = JSON.parse(r.stdout.toString()) as TraceSummary;
    assert.ok(got.goroutines.length > 0);
    assert.ok(got.duration > 0);
    // Not even one generation: exit 1 and no report.
    const r1 = runCLI(["-", "--to", "summary"], bytes.subarray(0, 200));
    assert.equal(r1.status, 1);
    assert.equal(r1.stdout.length, 0);
  });
});
