// The browser app's own numbers, in headless Chromium (Debian's, through
// playwright-core, as test/web.test.ts drives it):
// - bundle size (raw and gzipped) and page load (to the app's "tc-ready" mark:
//   page, scripts and the worker loaded), median of 5;
// - on the bench trace (bench/gen, 100 MB by default; made with Go when missing):
//   the time to read it and show the summary, then to make pprof-sync,
//   otlp-json and perfetto-proto downloads, with the tab's memory (peak RSS of
//   Chromium's renderer process, which holds the page and its worker, sampled
//   every 250 ms from /proc), side by side with the command on the same trace
//   (/usr/bin/time: wall time and peak RSS).
//
// Usage: npm run bench:web [-- --size MB] [--keep DIR] [--formats a,b]

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { findChromium, launchProfile, rendererMemory, setFileByPath, startUi, waitUntil, type Browser, type Page } from "../test/web/harness.js";
import { cliCommand, timed } from "./timed.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const sizeMB = Number(opt("--size", "100"));
const dir = resolve(opt("--keep", join(ROOT, "bench", "out")));
const formats = opt("--formats", "pprof-sync,otlp-json,perfetto-proto").split(",").filter((s) => s !== "");
const cli = join(ROOT, "dist", "src", "cli.js");

const chromium = findChromium();
if (chromium === null) {
  console.error("bench:web: no chromium (test/viewer/install-chromium.sh installs it)");
  process.exit(1);
}

function genTrace(mb: number): string {
  // The same trace as npm run bench's (bench/gen's mixed workload).
  const p = join(dir, `bench-mixed-${mb}MB.trace`);
  if (existsSync(p)) return p;
  mkdirSync(dir, { recursive: true });
  console.error(`generating a ${mb} MB trace (bench/gen) ...`);
  const r = spawnSync("go", ["run", ".", "-workload", "mixed", "-o", p + ".tmp", "-size", String(mb * 1_000_000)], { cwd: join(ROOT, "bench", "gen"), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench/gen: ${r.stderr}`);
  renameSync(p + ".tmp", p);
  return p;
}

/** The command under /usr/bin/time, output to /dev/null: wall seconds and peak RSS (MB). */
const cliRun = (argv: string[]) => timed([...cliCommand(cli), ...argv, "-q", "-o", "/dev/null"], { ok: [0, 3] });

/**
 * Samples the tab's renderer (the renderer with the most CPU time: it runs
 * the page and its workers) while `work` runs: its largest RSS seen (every
 * 250 ms) and its peak (VmHWM) after, in MB.
 */
async function sampled<T>(browser: Browser, work: () => Promise<T>): Promise<{ value: T; secs: number; peakMB: number; hwmMB: number }> {
  const peaks = new Map<number, number>();
  const sample = async () => {
    for (const p of await rendererMemory(browser)) peaks.set(p.pid, Math.max(peaks.get(p.pid) ?? 0, p.rssMB));
  };
  let stop = false;
  const sampler = (async () => {
    while (!stop) {
      await sample();
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const t0 = performance.now();
  try {
    const value = await work();
    const secs = (performance.now() - t0) / 1000;
    stop = true;
    await sampler;
    await sample();
    const tab = (await rendererMemory(browser))[0];
    if (tab === undefined) throw new Error("no renderer process found");
    return { value, secs, peakMB: peaks.get(tab.pid) ?? tab.rssMB, hwmMB: tab.peakMB };
  } finally {
    stop = true;
    await sampler;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// ---- bundle ----
const web = join(ROOT, "dist", "web");
let raw = 0;
let gz = 0;
const files: string[] = [];
for (const f of ["index.html", "style.css", "app.js", "worker.js"]) {
  const b = readFileSync(join(web, f));
  const z = gzipSync(b, { level: 9 }).length;
  raw += b.length;
  gz += z;
  files.push(`${f} ${(b.length / 1024).toFixed(1)} kB (${(z / 1024).toFixed(1)} kB gzipped)`);
}

const trace = genTrace(sizeMB);
const traceBytes = statSync(trace).size;
const ui = await startUi(cli, []);
// A normal profile, as a user has: the browser may keep big Blobs on disk.
const profile = await launchProfile(chromium);
const browser = profile.browser;
const lines: string[] = [];
try {
  // ---- page load ----
  const loads: { ready: number; dcl: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const page = await profile.context.newPage();
    await page.goto(ui.base);
    await waitUntil(page, `performance.getEntriesByName("tc-ready").length > 0`, 30_000);
    const t = await page.evaluate<{ ready: number; dcl: number }>(
      `({ ready: performance.getEntriesByName("tc-ready")[0].startTime, dcl: performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd })`,
    );
    loads.push(t);
    await page.close();
  }

  // ---- the trace ----
  const dlDir = join(dir, "web-downloads");
  rmSync(dlDir, { recursive: true, force: true });
  mkdirSync(dlDir, { recursive: true });
  const page: Page = await profile.context.newPage();
  await page.goto(ui.base);
  await waitUntil(page, `document.body.hasAttribute("data-formats")`, 30_000);
  console.error(`reading the ${(traceBytes / 1e6).toFixed(0)} MB trace in the page ...`);
  const summary = await sampled(browser, async () => {
    await setFileByPath(page, "#file", trace);
    await waitUntil(page, `document.querySelector("#result[data-ready=true]") !== null || document.querySelector("#messages .msg.error") !== null`, 30 * 60_000);
  });
  const err = await page.locator("#messages .msg").allTextContents();
  if (err.length > 0) throw new Error(`the page said: ${err.join(" | ")}`);
  const events = Number(await page.getAttribute('#overview [data-field="events"]', "data-value"));
  const cliSummary = cliRun([trace, "--to", "summary", "--json"]);
  const rows: string[] = [];
  const row = (what: string, out: number | null, b: { secs: number; peakMB: number; hwmMB: number }, c: { secs: number; rssMB: number }) => {
    console.error(`  ${what}: page ${b.secs.toFixed(1)} s, ${b.peakMB.toFixed(0)} MB (VmHWM so far ${b.hwmMB.toFixed(0)} MB); command ${c.secs.toFixed(1)} s, ${c.rssMB.toFixed(0)} MB`);
    rows.push(
      `| ${what} | ${b.secs.toFixed(1)} s (${(events / b.secs / 1e6).toFixed(2)} M events/s) | ${b.peakMB.toFixed(0)} MB (${b.hwmMB.toFixed(0)} MB) | ${out === null ? "" : out < 1e6 ? `${(out / 1e3).toFixed(1)} kB` : `${(out / 1e6).toFixed(1)} MB`} | ${c.secs.toFixed(1)} s, ${c.rssMB.toFixed(0)} MB | ${(b.secs / c.secs).toFixed(2)}x |`,
    );
  };
  row("read, summary shown", null, summary, cliSummary);

  for (const f of formats) {
    console.error(`${f} in the page ...`);
    // Timed to the download's start: the conversion (the Blob is complete by then), not the saving of the file.
    const r = await sampled(browser, async () => {
      const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 60 * 60_000 }), page.click(`ul.downloads button[data-format="${f}"]`)]);
      return dl;
    });
    const path = join(dlDir, r.value.suggestedFilename());
    await r.value.saveAs(path);
    const size = statSync(path).size;
    rmSync(path, { force: true });
    const c = cliRun([trace, "--to", f]);
    row(`--to ${f}`, size, r, c);
  }

  lines.push(
    `Browser app, headless ${(await browser.version()).trim()} on this machine (${cpus().length} x ${cpus()[0]?.model.trim() ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}):`,
    "",
    `- bundle: ${(raw / 1024).toFixed(0)} kB, ${(gz / 1024).toFixed(0)} kB gzipped (${files.join(", ")})`,
    `- page load to ready (page, scripts and worker; served by trace-convert ui on 127.0.0.1), median of 5: ${median(loads.map((l) => l.ready)).toFixed(0)} ms (DOMContentLoaded ${median(loads.map((l) => l.dcl)).toFixed(0)} ms)`,
    "",
    `${(traceBytes / 1e6).toFixed(0)} MB trace (bench/gen), ${(events / 1e6).toFixed(1)} M events; time and tab memory (the renderer process that runs the page and its worker) in the page, against the command on the same trace:`,
    "",
    "| step | in the page | tab memory: largest RSS seen (VmHWM so far) | output | the command (time, peak RSS) | page / command |",
    "|---|---|---|---|---|---|",
    ...rows,
  );
  rmSync(dlDir, { recursive: true, force: true });
} finally {
  await profile.close();
  await ui.stop();
}
console.log(lines.join("\n"));
