// The real-viewer check of our trace-event JSON (--to perfetto): the file is
// opened in the trace viewer that ships inside the Go installation (Catapult's,
// as `go tool trace` serves it), in headless Chromium, and the test reads back
// what the viewer imported: no import errors or warnings, and as many slices,
// async slices and counter samples as the JSON itself holds.
//
// Needs Go (the viewer files come from GOROOT) and Chromium
// (test/viewer/install-chromium.sh installs Debian's). TRACE_CONVERT_CLI
// points the test at another build of the CLI.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { CLI as BUILT_CLI, FIXTURES, haveGo } from "./helpers.js";
import {
  Browser,
  countJson,
  expectedAsync,
  expectedSlices,
  fetchGoJsonTrace,
  findChromium,
  findViewerStatic,
  loadInViewer,
  startViewerServer,
  type JsonCounts,
  type ViewerResult,
  type ViewerServer,
} from "./viewer/harness.js";

const CLI = process.env["TRACE_CONVERT_CLI"] !== undefined && process.env["TRACE_CONVERT_CLI"] !== "" ? resolve(process.env["TRACE_CONVERT_CLI"]) : BUILT_CLI;

/**
 * Fixtures converted with --to perfetto and loaded in the viewer (TRACE_VIEWER_FIXTURES=a/b,c/d
 * overrides). go1.26/gc (190k slices) takes the viewer ~10 s, so the default takes the smaller
 * go1.25/gc for the GC-heavy case; go1.26/many (3,000 goroutine tracks) imports in 2 s but the
 * timeline view takes minutes to lay the tracks out, so it is left out.
 */
const FIXTURE_NAMES = (process.env["TRACE_VIEWER_FIXTURES"] ?? "go1.26/annotations,go1.26/contention,go1.25/gc,go1.22/netio")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s !== "");
/** The fixture whose `go tool trace` JSON checks the harness itself. */
const SANITY_FIXTURE = "go1.26/annotations";

function setupSkip(): string | false {
  if (!haveGo()) return "go is not installed: skipping the real-viewer check (the trace viewer ships with Go)";
  if (findViewerStatic() === null) return "the Go installation has no trace viewer files (internal/trace/traceviewer/static): skipping the real-viewer check";
  if (findChromium() === null) {
    // CI installs Chromium first (test/viewer/install-chromium.sh): there a missing browser is a failure.
    if (process.env["CI"] === "true") return false;
    return "chromium not found (run test/viewer/install-chromium.sh, or set CHROMIUM): skipping the real-viewer check";
  }
  return false;
}

function perfettoSkip(): string | false {
  if (!existsSync(CLI)) return `format perfetto not available: no CLI at ${CLI}`;
  const r = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
  const help = `${r.stdout}\n${r.stderr}`;
  if (!/^\s+perfetto\s/m.test(help)) return `format perfetto not available in ${CLI}: skipping the real-viewer check of --to perfetto`;
  return false;
}

/** A readable summary of what the viewer said, for assertion messages and the log. */
function describeResult(r: ViewerResult, c: JsonCounts): string {
  if (r.fatal !== undefined) return `viewer page failed: ${r.fatal}; console: ${r.consoleErrors.join(" | ")}`;
  if (r.importError !== null && r.importError !== undefined) return `viewer import failed: ${r.importError}; console: ${r.consoleErrors.join(" | ")}`;
  const w = r.warnings ?? [];
  const byType = new Map<string, number>();
  for (const x of w) byType.set(x.type, (byType.get(x.type) ?? 0) + 1);
  const firsts = w.slice(0, 5).map((x) => `${x.type}: ${x.message}`);
  return [
    `viewer: ${r.slices} slices (${r.unfinishedSlices} unfinished, ${r.improperlyNested} improperly nested), ${r.asyncSlices} async slices, ` +
      `${r.counters} counters / ${r.counterSamples} samples, ${r.flowEvents} flows, ${r.processInstants}+${r.globalInstants} process/global instants, ` +
      `${r.processes} processes, ${r.threads} threads (${r.threadNames} named); import ${Math.round(r.importMs)} ms, render ${Math.round(r.renderMs)} ms`,
    `json: ${c.events} events: ${c.complete} X, ${c.bePairs} B/E pairs (+${c.unmatchedB} open B, ${c.unmatchedE} stray E), ${c.threadInstants} thread instants, ` +
      `${c.asyncPairs} b/e pairs (+${c.unmatchedAsyncB} open b, ${c.unmatchedAsyncE} stray e), ${c.asyncInstants} n, ${c.counterEvents} C, ${c.flowEvents} flow events making ${c.flowArrows} arrows, ` +
      `${c.processInstants}+${c.globalInstants} process/global instants, ${c.metadata} M, ${c.legacyAsync} legacy async, other ${JSON.stringify(c.otherPhases)}`,
    `warnings: ${w.length} ${JSON.stringify(Object.fromEntries(byType))}${firsts.length > 0 ? "\n  " + firsts.join("\n  ") : ""}`,
    ...(r.singleSampleCounters.length > 0 ? [`counters with a single sample (drawn empty): ${r.singleSampleCounters.join(", ")}`] : []),
    ...(r.nestingExamples.length > 0 ? [`improperly nested: ${r.nestingExamples.join("; ")}`] : []),
    ...(c.danglingFlowStarts.length > 0 ? [`flow starts with no end (no arrow drawn): ${c.danglingFlowStarts.length}: ${c.danglingFlowStarts.slice(0, 3).join("; ")}`] : []),
    ...(r.asyncErrors.length > 0 ? [`async slice errors: ${r.asyncErrors.length}: ${r.asyncErrors.slice(0, 3).join(" | ")}`] : []),
    ...(r.consoleErrors.length > 0 ? [`console: ${r.consoleErrors.slice(0, 5).join(" | ")}`] : []),
    ...((r.pageErrors ?? []).length > 0 ? [`page errors: ${(r.pageErrors ?? []).slice(0, 5).join(" | ")}`] : []),
  ].join("\n");
}

/** Asserts the viewer loaded the file and imported exactly what the JSON holds. */
function assertLoaded(r: ViewerResult, c: JsonCounts, opts: { warnings: boolean }): void {
  assert.equal(r.fatal, undefined, `the viewer page failed: ${r.fatal}`);
  assert.equal(r.importError, null, `the viewer's import failed: ${r.importError}`);
  const summary = describeResult(r, c);
  assert.equal(r.renderError, null, `the timeline view threw when given the model: ${r.renderError}\n${summary}`);
  assert.deepEqual(r.pageErrors ?? [], [], `errors on the viewer page\n${summary}`);
  if (opts.warnings) {
    assert.deepEqual(r.warnings, [], `the viewer reported import warnings\n${summary}`);
    assert.equal(r.unfinishedSlices, 0, `slices the viewer shows as "did not finish" (a B with no E)\n${summary}`);
    assert.equal(r.improperlyNested, 0, `slices that overlap on one track without nesting (drawn on top of each other)\n${summary}`);
  }
  assert.ok(c.complete + c.bePairs + c.asyncPairs > 0, `the JSON holds no slices at all\n${summary}`);
  assert.equal(r.slices, expectedSlices(c), `thread slices: the viewer imported ${r.slices}, the JSON holds ${expectedSlices(c)}\n${summary}`);
  assert.equal(r.asyncSlices, expectedAsync(c), `async slices: the viewer imported ${r.asyncSlices}, the JSON holds ${expectedAsync(c)}\n${summary}`);
  assert.equal(r.counterSamples, c.counterEvents, `counter samples: the viewer imported ${r.counterSamples}, the JSON holds ${c.counterEvents}\n${summary}`);
  if (opts.warnings) assert.equal(r.flowEvents, c.flowArrows, `flow arrows: the viewer made ${r.flowEvents}, the JSON's flows make ${c.flowArrows}\n${summary}`);
}

/** Hand-made events: one of each kind the counts cover, all well formed. */
const GOOD_EVENTS = [
  { ph: "M", name: "process_name", pid: 1, tid: 0, args: { name: "P" } },
  { ph: "M", name: "thread_name", pid: 1, tid: 1, args: { name: "T1" } },
  { ph: "M", name: "thread_name", pid: 1, tid: 2, args: { name: "T2" } },
  { ph: "X", pid: 1, tid: 1, ts: 0, dur: 10, name: "x", cat: "c" },
  { ph: "B", pid: 1, tid: 2, ts: 1, name: "outer", cat: "c" },
  { ph: "B", pid: 1, tid: 2, ts: 2, name: "inner", cat: "c" },
  { ph: "s", pid: 1, tid: 2, ts: 3, id: 7, name: "flow", cat: "flow" },
  { ph: "E", pid: 1, tid: 2, ts: 4 },
  { ph: "i", s: "t", pid: 1, tid: 2, ts: 5, name: "log", cat: "log" },
  { ph: "E", pid: 1, tid: 2, ts: 6 },
  { ph: "f", bp: "e", pid: 1, tid: 1, ts: 7, id: 7, name: "flow", cat: "flow" },
  { ph: "b", pid: 1, tid: 1, ts: 1, id: "0x1", name: "task", cat: "task" },
  { ph: "b", pid: 1, tid: 2, ts: 2, id: "0x1", name: "region", cat: "task" },
  { ph: "e", pid: 1, tid: 2, ts: 3, id: "0x1", name: "region", cat: "task" },
  { ph: "n", pid: 1, tid: 1, ts: 4, id: "0x1", name: "mark", cat: "task" },
  { ph: "e", pid: 1, tid: 1, ts: 9, id: "0x1", name: "task", cat: "task" },
  { ph: "C", pid: 1, tid: 0, ts: 0, name: "heap", args: { bytes: 1 } },
  { ph: "C", pid: 1, tid: 0, ts: 5, name: "heap", args: { bytes: 2 } },
];
/** The same with defects the viewer must report. */
const BAD_EVENTS = [
  { ph: "X", pid: 1, tid: 1, ts: 0, dur: 10, name: "x", cat: "c" },
  { ph: "E", pid: 1, tid: 3, ts: 4 },
  { ph: "b", pid: 1, tid: 1, ts: 1, id: "0x2", name: "never ends", cat: "task" },
  { ph: "s", pid: 1, tid: 1, ts: 3, id: 9, name: "flow", cat: "flow" },
];

const skip = setupSkip();

describe("real viewer: Go's trace viewer (Catapult) in headless Chromium", { skip, timeout: 600_000 }, () => {
  let browser: Browser | null = null;
  let server: ViewerServer | null = null;
  const dir = mkdtempSync(join(tmpdir(), "tc-viewer-"));

  before(async () => {
    const chrome = findChromium();
    assert.ok(chrome !== null, "chromium not found: CI must run test/viewer/install-chromium.sh first");
    server = await startViewerServer(findViewerStatic()!);
    browser = await Browser.launch(chrome);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("harness check: a hand-made JSON with every phase we count imports with matching counts", { timeout: 30_000 }, async (t) => {
    const out = join(dir, "good.json");
    writeFileSync(out, JSON.stringify({ displayTimeUnit: "ns", traceEvents: GOOD_EVENTS }));
    const c = countJson(readFileSync(out, "utf8"));
    const r = await loadInViewer(browser!, server!, out);
    t.diagnostic(describeResult(r, c));
    assertLoaded(r, c, { warnings: true });
    assert.equal(r.slices, 4, "X + 2 B/E pairs + 1 thread instant");
    assert.equal(r.asyncSlices, 3, "task with a nested region, and one n");
    assert.equal(r.flowEvents, 1);
    assert.equal(r.counterSamples, 2);
    assert.equal(r.threadNames, 2);
  });

  test("harness check: a broken JSON is caught (stray E, unmatched async begin, dangling flow)", { timeout: 30_000 }, async (t) => {
    const out = join(dir, "bad.json");
    writeFileSync(out, JSON.stringify({ traceEvents: BAD_EVENTS }));
    const c = countJson(readFileSync(out, "utf8"));
    const r = await loadInViewer(browser!, server!, out);
    t.diagnostic(describeResult(r, c));
    const types = new Set(r.warnings.map((w) => w.type));
    assert.ok(types.has("duration_parse_error"), "a stray E is reported");
    assert.ok(types.has("async_slice_parse_error"), "an unmatched async begin is reported");
    assert.equal(c.danglingFlowStarts.length, 1);
    assert.throws(() => assertLoaded(r, c, { warnings: true }), /import warnings/);
  });

  test(`harness check: go tool trace's own JSON for ${SANITY_FIXTURE} imports with matching counts`, { timeout: 300_000 }, async (t) => {
    const out = join(dir, "go.json");
    await fetchGoJsonTrace(join(FIXTURES, "traces", `${SANITY_FIXTURE}.trace`), out);
    const c = countJson(readFileSync(out, "utf8"));
    const r = await loadInViewer(browser!, server!, out);
    t.diagnostic(`${browser!.version}\n${describeResult(r, c)}`);
    // Go's own JSON: slices and counters must match; Catapult complains about some of Go's
    // flows (they start at instants, not inside slices), and about nothing else.
    assertLoaded(r, c, { warnings: false });
    assert.deepEqual(r.warnings.filter((w) => !w.type.startsWith("flow_slice_")), [], "only flow warnings for Go's JSON");
    assert.ok(r.slices > 100, "Go's JSON yields slices in the viewer");
  });

  const pskip = perfettoSkip();
  for (const f of FIXTURE_NAMES) {
    test(`${f} --to perfetto loads in the viewer without errors, all slices imported`, { skip: pskip, timeout: 60_000 }, async (t) => {
      const out = join(dir, `${f.replace("/", "_")}.json`);
      const conv = spawnSync(process.execPath, [CLI, join(FIXTURES, "traces", `${f}.trace`), "--to", "perfetto", "-o", out], {
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(conv.status, 0, `trace-convert --to perfetto failed: ${conv.stderr}`);
      const c = countJson(readFileSync(out, "utf8"));
      const r = await loadInViewer(browser!, server!, out);
      t.diagnostic(describeResult(r, c));
      assertLoaded(r, c, { warnings: true });
    });
  }
});
