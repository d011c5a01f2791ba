// The browser app, end to end: `trace-convert ui` serves it, a real headless
// Chromium (Debian's, through playwright-core with its executablePath) loads
// fixtures through the file input, and the test checks what the page shows
// and makes against the command itself:
// - the rendered summary numbers equal `--to summary --json` (Go 1.15, 1.22, 1.26);
// - downloaded files equal the command's bytes (pprof, protobuf, every format
//   on one fixture, with filters set in the form and by clicking a task type);
// - Open in Perfetto hands the exact protobuf to a stand-in ui.perfetto.dev on
//   127.0.0.1 over the PING/PONG postMessage protocol;
// - a damaged trace shows the command's warning, a random file its error, and
//   the page never shows a JavaScript stack; Cancel stops a conversion and a fetch;
// - the controls are labelled and reachable by keyboard.
//
// Skips with a message when Chromium is absent (CI installs it first:
// test/viewer/install-chromium.sh). UI_SCREENSHOT=path saves a screenshot of
// the page with a real trace (docs/ui.png was made so).

import assert from "node:assert/strict";
import { FORMATS } from "../src/cli/formats.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Latency } from "../src/convert/summary.js";
import { fmtDur } from "../src/sinks/summary.js";
import { CLI, FIXTURES } from "./helpers.js";
import {
  cliIn,
  downloadBy,
  findChromium,
  launchBrowser,
  loadFile,
  messages,
  renderedFields,
  renderedRows,
  stackOnPage,
  startStandIn,
  startUi,
  type Browser,
  type Page,
  type RenderedRow,
  type StandIn,
  type UiProcess,
  waitUntil,
} from "./web/harness.js";

const chromiumPath = findChromium();
const skip =
  chromiumPath === null && process.env["CI"] !== "true"
    ? "chromium not found (run test/viewer/install-chromium.sh, or set CHROMIUM): skipping the browser app test"
    : false;

const trace = (rel: string) => join(FIXTURES, "traces", rel);

/** The command's output for a fixture, run in its directory so that names match the page's. */
function cli(path: string, args: string[]) {
  return cliIn(CLI, dirname(path), [basename(path), ...args]);
}

type SummaryJSON = {
  trace: string;
  duration: number;
  goroutines: { name: string; count: number; total: number; exec: number; schedWait: number; syncBlock: number; networkBlock: number; syscall: number; syscallBlock: number; otherBlock: number; gc: number }[];
  tasks: { type: string; count: number; latency: Latency }[];
  regions: { type: string; func: string; file: string; line: number; latency: Latency }[];
  gc: { cycles: number; markTime: number; assistTime: number; sweepTime: number; pauses: Latency; stwByReason: { reason: string; latency: Latency }[] };
  mmu: { window: number; mmu: number; at: number }[];
};

function cellValue(row: RenderedRow, field: string): number {
  const c = row.cells[field];
  assert.ok(c !== undefined, `row ${JSON.stringify(row.key)} has no ${field} cell`);
  assert.ok(c.value !== null && c.value !== "", `row ${JSON.stringify(row.key)}: ${field} has no value`);
  return Number(c.value);
}

function checkDur(row: RenderedRow, field: string, want: number, what: string): void {
  assert.equal(cellValue(row, field), want, `${what}: ${field}`);
  assert.equal(row.cells[field]!.text, fmtDur(want), `${what}: ${field} as shown`);
}

function checkLatency(row: RenderedRow, l: Latency, what: string): void {
  if (l.count === 0) {
    for (const f of ["p50", "p90", "p99", "max"]) assert.equal(row.cells[f]?.text, "-", `${what}: ${f} of no complete instance`);
  } else {
    checkDur(row, "p50", l.p50, what);
    checkDur(row, "p90", l.p90, what);
    checkDur(row, "p99", l.p99, what);
    checkDur(row, "max", l.max, what);
  }
  assert.equal(row.bars, l.histogram.length, `${what}: histogram bars drawn (one per non-empty bucket)`);
}

/** Every number the page renders equals the command's --to summary --json. */
async function checkSummary(page: Page, want: SummaryJSON): Promise<void> {
  const overview = await renderedFields(page, "#overview");
  assert.equal(Number(overview["duration"]?.value), want.duration, "overview: duration");
  assert.equal(Number(overview["goroutines"]?.value), want.goroutines.reduce((a, g) => a + g.count, 0), "overview: goroutines");

  const tasks = await renderedRows(page, "tasks-table");
  assert.deepEqual(
    tasks.map((r) => r.key),
    want.tasks.map((t) => t.type),
    "task types, in order",
  );
  want.tasks.forEach((t, i) => {
    const r = tasks[i]!;
    assert.equal(cellValue(r, "count"), t.count, `task ${t.type}: count`);
    assert.equal(cellValue(r, "complete"), t.latency.count, `task ${t.type}: complete`);
    checkLatency(r, t.latency, `task ${t.type}`);
  });

  const regions = await renderedRows(page, "regions-table");
  assert.deepEqual(
    regions.map((r) => r.key),
    want.regions.map((x) => `${x.type}\u0000${x.func}\u0000${x.file}:${x.line}`),
    "region types and locations, in order",
  );
  want.regions.forEach((x, i) => {
    const r = regions[i]!;
    assert.equal(cellValue(r, "count"), x.latency.count, `region ${x.type}: count`);
    checkLatency(r, x.latency, `region ${x.type}`);
  });

  const gs = await renderedRows(page, "goroutines-table");
  assert.deepEqual(
    gs.map((r) => r.key),
    want.goroutines.map((g) => g.name),
    "goroutine groups, in order",
  );
  want.goroutines.forEach((g, i) => {
    const r = gs[i]!;
    const what = `goroutines ${g.name}`;
    assert.equal(cellValue(r, "count"), g.count, `${what}: count`);
    for (const f of ["total", "exec", "schedWait", "syncBlock", "networkBlock", "otherBlock", "gc"] as const) checkDur(r, f, g[f], what);
    checkDur(r, "syscallAll", g.syscall + g.syscallBlock, what);
  });

  const gc = await renderedFields(page, "#gc-facts");
  assert.equal(Number(gc["cycles"]?.value), want.gc.cycles, "GC cycles");
  assert.equal(Number(gc["markTime"]?.value), want.gc.markTime, "GC mark time");
  assert.equal(Number(gc["assistTime"]?.value), want.gc.assistTime, "mark assist time");
  assert.equal(Number(gc["sweepTime"]?.value), want.gc.sweepTime, "sweep time");

  const pauses = await renderedRows(page, "pauses-table");
  const wantPauses = [...want.gc.stwByReason.map((p) => ({ key: p.reason, l: p.latency })), ...(want.gc.pauses.count > 0 ? [{ key: "all GC pauses", l: want.gc.pauses }] : [])];
  assert.deepEqual(
    pauses.map((r) => r.key),
    wantPauses.map((p) => p.key),
    "pause reasons",
  );
  wantPauses.forEach((p, i) => {
    const r = pauses[i]!;
    assert.equal(cellValue(r, "count"), p.l.count, `pauses ${p.key}: count`);
    checkDur(r, "total", p.l.total, `pauses ${p.key}`);
    checkLatency(r, p.l, `pauses ${p.key}`);
  });

  const mmu = await renderedRows(page, "mmu-table");
  assert.equal(mmu.length, want.mmu.length, "MMU windows");
  want.mmu.forEach((m, i) => {
    const r = mmu[i]!;
    assert.equal(cellValue(r, "window"), m.window, "MMU window");
    assert.equal(cellValue(r, "mmu"), m.mmu, `MMU over ${m.window} ns`);
    assert.equal(cellValue(r, "at"), m.at, `MMU worst window over ${m.window} ns`);
    assert.ok(r.cells["mmu"]!.text.endsWith(`${(m.mmu * 100).toFixed(1)}%`), `MMU as shown: ${r.cells["mmu"]!.text}`);
  });
}

/** Stem of a download's file name, as the command names outputs in a directory. */
function stem(path: string): string {
  return basename(path).replace(/\.(trace|out|bin)$/, "");
}

describe("browser app: trace-convert ui in headless Chromium", { skip, timeout: 600_000 }, () => {
  let browser: Browser;
  let page: Page;
  let ui: UiProcess;
  let standIn: StandIn;
  let tmp: string;
  const pageErrors: string[] = [];

  before(async () => {
    assert.ok(chromiumPath !== null, "CI=true but no chromium: run test/viewer/install-chromium.sh");
    tmp = mkdtempSync(join(tmpdir(), "tc-web-"));
    standIn = await startStandIn();
    ui = await startUi(CLI, ["--perfetto-origin", standIn.origin, trace("go1.26/annotations.trace"), trace("go1.22/gc.trace")]);
    browser = await launchBrowser(chromiumPath);
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    // Waits for results are hang detection, not timing: generous, for a loaded 2-core machine.
    page.setDefaultTimeout(180_000);
    page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(`console.error: ${m.text()}`);
    });
    await page.goto(ui.base);
    await page.waitForSelector("body[data-formats]", { timeout: 30_000 });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await ui?.stop();
    await standIn?.close();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  for (const fx of ["go1.15/annotations.trace", "go1.22/gc.trace", "go1.26/annotations.trace"]) {
    test(`${fx}: the summary equals --to summary --json; pprof and protobuf downloads equal the command's bytes`, async () => {
      const path = trace(fx);
      await loadFile(page, path);
      assert.deepEqual(await messages(page, "#messages"), [], "no message for a good trace");
      const want = cli(path, ["--to", "summary", "--json"]);
      assert.equal(want.status, 0);
      await checkSummary(page, JSON.parse(want.stdout.toString("utf8")) as SummaryJSON);
      for (const [fmt, ext] of [
        ["pprof-sched", ".pprof-sched.pb.gz"],
        ["pprof-sync", ".pprof-sync.pb.gz"],
        ["perfetto-proto", ".pftrace"],
      ] as const) {
        const got = await downloadBy(page, `ul.downloads button[data-format="${fmt}"]`);
        const c = cli(path, ["--to", fmt]);
        assert.equal(c.status, 0, c.stderrLines.join("\n"));
        assert.equal(got.name, stem(path) + ext, `${fmt}: file name`);
        assert.ok(got.bytes.equals(c.stdout), `${fx} ${fmt}: the page's ${got.bytes.length} bytes differ from the command's ${c.stdout.length}`);
      }
      assert.equal(await stackOnPage(page), null);
    });
  }

  test("every format, byte for byte, with the filters as form controls and a task picked in the table", async () => {
    const path = trace("go1.26/annotations.trace");
    await loadFile(page, path);
    const formats = await page.evaluate<[string, string][]>(`[...document.querySelectorAll("ul.downloads button")].map((b) => [b.dataset.format, b.dataset.extra ?? ""])`);
    const names = formats.map(([f, x]) => (x === "" ? f : `${f} ${x}`));
    // Every format of the command that writes a file (otlp and zipkin push to a backend: not here).
    for (const f of FORMATS.filter((x) => x.writesOutput)) {
      assert.ok(names.includes(f.name), `no download for --to ${f.name}; the page offers ${names.join(", ")}`);
    }
    for (const [fmt, extra] of formats) {
      const got = await downloadBy(page, `ul.downloads button[data-format="${fmt}"][data-extra="${extra}"]`);
      const c = cli(path, ["--to", fmt, ...(extra === "" ? [] : extra.split(" "))]);
      assert.ok(got.bytes.equals(c.stdout), `--to ${fmt} ${extra}: the page's ${got.bytes.length} bytes differ from the command's ${c.stdout.length}`);
      assert.deepEqual(await messages(page, "#output-messages"), c.stderrLines, `--to ${fmt} ${extra}: messages`);
    }

    // Clicking a task type filters the outputs to that task.
    await page.click('#tasks-table button.pick[data-type="root"]');
    assert.equal(await page.inputValue("#f-task"), "root");
    assert.equal(await page.getAttribute('#tasks-table button.pick[data-type="root"]', "aria-pressed"), "true");
    assert.match((await page.textContent("#cmd-options")) ?? "", /--task root/);
    for (const fmt of ["perfetto-proto", "pprof-sched", "otlp-json"]) {
      const got = await downloadBy(page, `ul.downloads button[data-format="${fmt}"]`);
      const c = cli(path, ["--to", fmt, "--task", "root"]);
      assert.ok(got.bytes.equals(c.stdout), `--to ${fmt} --task root: the page's ${got.bytes.length} bytes differ from the command's ${c.stdout.length}`);
    }
    // The other filters, typed and ticked.
    await page.fill("#f-start", "10ms");
    await page.fill("#f-end", "60ms");
    await page.check("#f-labels");
    await page.check("#f-annotations");
    for (const fmt of ["pprof-sched", "perfetto"]) {
      const got = await downloadBy(page, `ul.downloads button[data-format="${fmt}"]`);
      // In the form's order.
      const args = ["--start", "10ms", "--end", "60ms", "--task", "root", "--labels", "--annotations-only"];
      const c = cli(path, ["--to", fmt, ...args]);
      assert.ok(got.bytes.equals(c.stdout), `--to ${fmt} ${args.join(" ")}: the page's ${got.bytes.length} bytes differ from the command's ${c.stdout.length}`);
      const cmd = await page.locator("#saved li").first().locator("code").textContent();
      assert.equal(cmd, `trace-convert annotations.trace --to ${fmt} ${args.join(" ")} -o annotations${fmt === "perfetto" ? ".json" : ".pprof-sched.pb.gz"}`);
    }
    // A bad option gets the command's usage error.
    await page.fill("#f-goroutine", "x1");
    await page.click('ul.downloads button[data-format="pprof-sync"]');
    await page.waitForSelector("#output-messages .msg.error");
    const bad = cli(path, ["--to", "pprof-sync", "--goroutine", "x1"]);
    assert.equal(bad.status, 2);
    assert.deepEqual(await messages(page, "#output-messages"), bad.stderrLines.slice(0, 1));
    // Unpick: clicking the task again clears the filter.
    await page.fill("#f-goroutine", "");
    await page.click('#tasks-table button.pick[data-type="root"]');
    assert.equal(await page.inputValue("#f-task"), "");
    for (const id of ["#f-start", "#f-end"]) await page.fill(id, "");
    await page.uncheck("#f-labels");
    await page.uncheck("#f-annotations");
    assert.equal(await page.textContent("#cmd-options"), "(none)");

    const shot = process.env["UI_SCREENSHOT"];
    if (shot !== undefined && shot !== "") {
      await page.click('#tasks-table button.pick[data-type="subtask-3"]');
      await page.evaluate("window.scrollTo(0, 0)");
      await page.evaluate("document.activeElement && document.activeElement.blur()");
      await page.screenshot({ path: shot, clip: { x: 0, y: 0, width: 1280, height: 1540 }, fullPage: true });
      await page.click('#tasks-table button.pick[data-type="subtask-3"]');
    }
  });

  test("Open in Perfetto: PING until PONG, then the exact protobuf and a title, to the configured origin only", async () => {
    const path = trace("go1.26/annotations.trace");
    await loadFile(page, path);
    assert.equal(await page.textContent("#perfetto-origin"), standIn.origin);
    const popup = page.waitForEvent("popup");
    await page.click("#perfetto-btn");
    const win = await popup;
    assert.equal(new URL(win.url()).origin, standIn.origin, "the window opened on the Perfetto origin");
    const got = await standIn.next();
    const c = cli(path, ["--to", "perfetto-proto"]);
    assert.ok(got.bytes.equals(c.stdout), `the stand-in received ${got.bytes.length} bytes, the command writes ${c.stdout.length}`);
    assert.equal(got.title, "annotations.trace");
    assert.equal(got.fileName, "annotations.pftrace");
    assert.equal(got.from, new URL(ui.base).origin, "posted by the app's page");
    assert.ok(got.pings > 1, `PING was repeated until the stand-in answered (${got.pings})`);
    await page.waitForSelector("#perfetto-status[data-sent]");
    assert.equal(await page.getAttribute("#perfetto-status", "data-sent"), String(c.stdout.length));
    await win.close();
  });

  test("a damaged trace shows the command's warning and what was recovered", async () => {
    const path = trace("damaged/go126-multigen-trunc-midbatch.trace");
    await loadFile(page, path);
    await page.waitForSelector("#result[data-ready=true]");
    const c = cli(path, ["--to", "summary", "--json"]);
    assert.equal(c.status, 3);
    const shown = await messages(page, "#messages");
    assert.deepEqual(shown, c.stderrLines);
    assert.match(shown[0]!, /^warning: go126-multigen-trunc-midbatch\.trace: trace is (truncated|damaged) at byte \d+/);
    await checkSummary(page, JSON.parse(c.stdout.toString("utf8")) as SummaryJSON);
    const got = await downloadBy(page, 'ul.downloads button[data-format="perfetto-proto"]');
    const p = cli(path, ["--to", "perfetto-proto"]);
    assert.ok(got.bytes.equals(p.stdout), "perfetto-proto of a damaged trace");
    assert.deepEqual(await messages(page, "#output-messages"), p.stderrLines);
    assert.equal(await stackOnPage(page), null);
  });

  test("a random file and an empty one show the command's error, no stack", async () => {
    // Deterministic noise (an LCG), so that the message is the same every run.
    const noise = Buffer.alloc(64 << 10);
    let x = 12345;
    for (let i = 0; i < noise.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      noise[i] = x >>> 24;
    }
    const randomPath = join(tmp, "random.bin");
    writeFileSync(randomPath, noise);
    for (const path of [randomPath, trace("damaged/empty.trace"), trace("damaged/go126-bad-header.trace")]) {
      await loadFile(page, path);
      const c = cli(path, ["--to", "summary", "--json"]);
      assert.equal(c.status, 1, c.stderrLines.join("\n"));
      const shown = await messages(page, "#messages");
      assert.deepEqual(shown, c.stderrLines, basename(path));
      assert.equal(await page.getAttribute("#messages .msg", "role"), "alert");
      assert.equal(await page.isHidden("#result"), true, "no result for an invalid file");
      assert.equal(await stackOnPage(page), null);
    }
  });

  test("a 30 MB output, built in several Blob pieces, equals the command's; Cancel stops a conversion in the worker and a fetch", async () => {
    const gc = trace("go1.27/gc.trace");
    await loadFile(page, gc);
    // Its text (every event, as Go's reader prints them) is about 33 MB; the Perfetto outputs are now
    // far smaller than 16 MB.
    const big = await downloadBy(page, 'ul.downloads button[data-format="text"]');
    const c = cli(gc, ["--to", "text"]);
    assert.ok(c.stdout.length > 16 << 20, `the output spans more than one 16 MB piece (the buffer is reused) (${c.stdout.length} bytes)`);
    assert.ok(big.bytes.equals(c.stdout), `text of go1.27/gc: the page's ${big.bytes.length} bytes differ from the command's ${c.stdout.length}`);

    const saved = await page.locator("#saved li").count();
    await page.click('ul.downloads button[data-format="perfetto"]');
    // The first progress report comes at the 65,536th event; the trace has far more.
    await waitUntil(page, `/[1-9][\\d,]* events/.test(document.getElementById("progress-text").textContent)`);
    // Escape is Cancel's shortcut (a click may land after the conversion ended: the page is busy).
    await page.keyboard.press("Escape");
    await page.waitForSelector("#output-messages .msg.note");
    assert.deepEqual(await messages(page, "#output-messages"), ["Cancelled."]);
    assert.equal(await page.isHidden("#progress"), true);
    assert.equal(await page.locator("#saved li").count(), saved, "nothing was saved");
    // The buttons work again.
    assert.equal(await page.isEnabled('ul.downloads button[data-format="perfetto"]'), true);

    await page.goto(`${ui.base}?url=${encodeURIComponent(`${standIn.origin}/slow.trace`)}`);
    await waitUntil(page, `(document.getElementById("progress-label").textContent || "").startsWith("Fetching")`);
    await page.click("#cancel");
    await page.waitForSelector("#messages .msg.note");
    assert.deepEqual(await messages(page, "#messages"), ["Cancelled."]);
  });

  test("trace-convert ui preloads its traces (?url=) and lists them; a dropped file is read", async () => {
    await page.goto(ui.url);
    await page.waitForSelector("#result[data-ready=true]", { timeout: 60_000 });
    assert.equal(await page.textContent("#result-h"), "annotations.trace");
    const a = JSON.parse(cli(trace("go1.26/annotations.trace"), ["--to", "summary", "--json"]).stdout.toString("utf8")) as SummaryJSON;
    assert.equal(Number((await renderedFields(page, "#overview"))["duration"]?.value), a.duration);
    assert.deepEqual(await page.locator("#trace-list button").allTextContents(), ["annotations.trace", "gc.trace"]);
    await page.click('#trace-list button[data-index="1"]');
    await waitUntil(page, `document.getElementById("result-h")?.textContent === "gc.trace" && document.querySelector("#result[data-ready=true]") !== null`);
    await checkSummary(page, JSON.parse(cli(trace("go1.22/gc.trace"), ["--to", "summary", "--json"]).stdout.toString("utf8")) as SummaryJSON);
    assert.equal(await page.getAttribute('#trace-list button[data-index="1"]', "aria-current"), "true");

    // A file dropped on the page (a real DragEvent with a DataTransfer holding a File).
    const first = new URL(ui.url).searchParams.get("url")!;
    await page.evaluate(`document.getElementById("result").removeAttribute("data-ready")`);
    await page.evaluate(`(async () => {
      const blob = await (await fetch(${JSON.stringify(first)})).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], "dropped.trace"));
      document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await waitUntil(page, `document.getElementById("result-h")?.textContent === "dropped.trace" && document.querySelector("#result[data-ready=true]") !== null`);
    assert.equal(Number((await renderedFields(page, "#overview"))["duration"]?.value), a.duration, "the dropped trace's summary");
  });

  test("labelled controls, reachable by keyboard; the page says nothing is sent anywhere", async () => {
    await page.goto(ui.base);
    await page.waitForSelector("body[data-formats]");
    assert.match((await page.textContent("#privacy")) ?? "", /Nothing is sent anywhere/);
    // Tab from the top reaches the file input.
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = (await page.evaluate(`document.activeElement && document.activeElement.id`)) === "file";
    }
    assert.ok(reached, "Tab reaches the file input");
    await loadFile(page, trace("go1.26/annotations.trace"));
    const unlabelled = await page.evaluate<string[]>(`[...document.querySelectorAll("input, select, textarea, progress")].filter((e) => e.labels === null || (e.labels.length === 0 && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby"))).map((e) => e.outerHTML)`);
    assert.deepEqual(unlabelled, [], "every control has a label");
    const nameless = await page.evaluate<string[]>(`[...document.querySelectorAll("button")].filter((b) => (b.textContent || "").trim() === "" && !b.getAttribute("aria-label")).map((b) => b.outerHTML)`);
    assert.deepEqual(nameless, [], "every button has a name");
    const imgs = await page.evaluate<string[]>(`[...document.querySelectorAll("svg[role=img]")].filter((s) => !s.getAttribute("aria-label")).map((s) => s.outerHTML.slice(0, 80))`);
    assert.deepEqual(imgs, [], "every drawing has a text alternative");
    // A task type is picked with the keyboard.
    await page.focus('#tasks-table button.pick[data-type="handoff"]');
    await page.keyboard.press("Enter");
    assert.equal(await page.inputValue("#f-task"), "handoff");
    await page.keyboard.press("Space");
    assert.equal(await page.inputValue("#f-task"), "");
  });

  test("no page errors, no console errors", () => {
    assert.deepEqual(pageErrors, []);
  });
});
