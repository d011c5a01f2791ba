// npm run bench: generates a large trace with the installed Go, then measures,
// side by side in one run, Go's reader and `go tool trace -pprof=sync` against
// trace-convert's decoder and outputs: wall time, events/s, MB/s, peak RSS, and
// ratios against Go. Then the same on a trace twice as long, to show memory
// stays flat. Then both Perfetto outputs of the first trace loaded into
// Perfetto's trace processor (bench/perfetto.ts). Then a third, smaller trace (--viewer-size, 30 MB by default:
// go tool trace needs gigabytes per 10 MB) for the viewer table: time and
// output size of our Perfetto JSON and protobuf against the JSON that
// `go tool trace` serves its viewer at /jsontrace.
// Each measurement of the first trace is the median of --reps rounds (3),
// each ratio the median of ratios to a run of its base just before (see
// run()); the doubled trace is run once (it is there for memory).
// Usage: npm run bench [-- --size MB] [--viewer-size MB] [--reps N] [--keep DIR]

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FORMATS } from "../src/cli/formats.js";
import { fetchGoJsonTrace } from "../test/viewer/harness.js";
import { perfettoBench } from "./perfetto.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const sizeMB = Number(opt("--size", "100"));
const viewerMB = Number(opt("--viewer-size", "30"));
const reps = Math.max(1, Number(opt("--reps", "3")));
const dir = resolve(opt("--keep", join(ROOT, "bench", "out")));
mkdirSync(dir, { recursive: true });

function sh(cmd: string, argv: string[], cwd = ROOT): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, argv, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  return { ok: r.status === 0, out: r.stdout ?? "", err: r.stderr ?? "" };
}

if (!sh("go", ["version"]).ok) {
  console.error("bench: Go is needed (it generates the trace and is the baseline)");
  process.exit(1);
}

interface Row {
  what: string;
  trace: string;
  secs: number;
  rssMB: number;
  events: number;
  bytes: number;
  base?: string;
  /** Median over rounds of base time / this time (> 1: faster than the base). */
  speedup?: number;
  /** Median over rounds of base peak RSS / this one. */
  memRatio?: number;
}

/** Runs a command under /usr/bin/time; returns wall seconds, peak RSS and stdout. */
function measure(argv: string[]): { secs: number; rssMB: number; out: string } {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %M", ...argv], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 26 });
  const m = /TIME ([\d.]+) (\d+)\s*$/.exec(r.stderr ?? "");
  if (r.status !== 0 || m === null) throw new Error(`${argv.join(" ")} failed:\n${r.stderr}`);
  return { secs: Number(m[1]), rssMB: Number(m[2]) / 1024, out: r.stdout };
}

function genTrace(mb: number): string {
  const p = join(dir, `bench-${mb}MB.trace`);
  if (existsSync(p)) return p;
  console.error(`generating a ${mb} MB trace (bench/gen) ...`);
  const r = sh("go", ["run", ".", "-o", p, "-size", String(mb * 1_000_000)], join(ROOT, "bench", "gen"));
  if (!r.ok) throw new Error(r.err);
  return p;
}

console.error("building Go's reader (bench/goreader, golang.org/x/exp/trace) ...");
const goreader = join(dir, "goreader");
const b = sh("go", ["build", "-o", goreader, "."], join(ROOT, "bench", "goreader"));
if (!b.ok) throw new Error(b.err);

const cli = join(ROOT, "dist", "src", "cli.js");
/** The command as an installed trace-convert runs it: node with the options of the script's #! line. */
const cliArgv = (() => {
  const m = /^#!\S*env\s+-S\s+node\s+(.*)$/.exec(readFileSync(cli, "utf8").split("\n", 1)[0]!);
  return [process.execPath, ...(m === null ? [] : m[1]!.trim().split(/\s+/)), cli];
})();
const decode = join(ROOT, "dist", "bench", "decode.js");
const have = (f: string) => FORMATS.some((x) => x.name === f);
const rows: Row[] = [];

interface Job {
  what: string;
  argv: string[];
  /** The job it is compared with: measured again right before it, in every round. */
  base?: Job;
}

const median = (v: number[]) => {
  const w = v.slice().sort((x, y) => x - y);
  return w.length % 2 === 1 ? w[w.length >> 1]! : (w[w.length / 2 - 1]! + w[w.length / 2]!) / 2;
};

/**
 * Measures every job on `trace`, `reps` rounds over. A job compared with a
 * base runs right after its own run of the base, so that each ratio compares
 * two runs a few seconds apart (a shared machine's speed drifts over
 * minutes); the ratio reported is the median of the rounds' ratios, the time
 * the median time, the peak RSS the largest.
 */
function run(trace: string, label: string, double: boolean, reps: number) {
  const bytes = statSync(trace).size;
  const goReader: Job = { what: "Go reader (x/exp/trace)", argv: [goreader, trace] };
  const goTool: Job = { what: "go tool trace -pprof=sync", argv: ["go", "tool", "trace", "-pprof=sync", trace] };
  const jobs: Job[] = [{ what: "ours: decode only", argv: [process.execPath, decode, trace], base: goReader }];
  for (const f of ["pprof-sync", "perfetto", "perfetto-proto", "otlp-json"]) {
    if (!have(f)) {
      console.error(`(--to ${f} is not available in this build: skipped)`);
      continue;
    }
    if (double && f === "otlp-json") continue;
    // Outputs go to /dev/null: the cost of producing them is measured, not the disk (JSON of a
    // 100 MB trace is several GB).
    jobs.push({
      what: `ours: --to ${f}`,
      argv: [...cliArgv, trace, "--to", f, "-q", "-o", "/dev/null"],
      base: f === "pprof-sync" && !double ? goTool : goReader,
    });
  }
  const all = [goReader, ...(double ? [] : [goTool]), ...jobs];
  const secs = new Map<Job, number[]>(all.map((j) => [j, []]));
  const rss = new Map<Job, number>(all.map((j) => [j, 0]));
  const ratios = new Map<Job, number[]>(jobs.map((j) => [j, []]));
  const rssRatios = new Map<Job, number[]>(jobs.map((j) => [j, []]));
  let events = -1;
  const once = (j: Job) => {
    const m = measure(j.argv);
    secs.get(j)!.push(m.secs);
    rss.set(j, Math.max(rss.get(j)!, m.rssMB));
    const n = Number(m.out.trim());
    if (j === goReader) events = n;
    else if (j === jobs[0] && n !== events) throw new Error(`decode-only read ${n} events, Go's reader ${events}`);
    return m;
  };
  for (let rep = 0; rep < reps; rep++) {
    console.error(`${label}: round ${rep + 1} of ${reps} ...`);
    for (const j of jobs) {
      const b = once(j.base!);
      const m = once(j);
      ratios.get(j)!.push(b.secs / m.secs);
      rssRatios.get(j)!.push(b.rssMB / m.rssMB);
    }
  }
  for (const j of all) {
    const row: Row = { what: j.what, trace: label, secs: median(secs.get(j)!), rssMB: rss.get(j)!, events, bytes };
    if (j.base !== undefined) {
      row.base = j.base.what;
      row.speedup = median(ratios.get(j)!);
      row.memRatio = median(rssRatios.get(j)!);
    }
    rows.push(row);
  }
}

const t1 = genTrace(sizeMB);
run(t1, `${sizeMB} MB`, false, reps);
const t2 = genTrace(sizeMB * 2);
run(t2, `${sizeMB * 2} MB`, true, 1);

const lines = [
  `Machine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${sh("go", ["version"]).out.trim()}`,
  `Wall time: median of ${reps} rounds on the ${sizeMB} MB trace, one on the ${sizeMB * 2} MB one; ratios: median of each round's ratio to a run of the base just before; peak RSS: the largest.`,
  "",
  "| trace | tool | wall s | events/s | MB/s | peak RSS MB | time vs Go | RSS vs Go |",
  "|---|---|---|---|---|---|---|---|",
];
for (const r of rows) {
  const ratio = (x: number, more: string, less: string) => (x >= 1 ? `${x.toFixed(2)}x ${more}` : `${(1 / x).toFixed(2)}x ${less}`);
  const vs = r.base !== undefined ? ` than ${r.base === "go tool trace -pprof=sync" ? "go tool trace" : "Go's reader"}` : "";
  const tr = r.speedup !== undefined ? ratio(r.speedup, "faster", "slower") + vs : "";
  const mr = r.memRatio !== undefined ? ratio(r.memRatio, "less", "more") : "";
  lines.push(
    `| ${r.trace} | ${r.what} | ${r.secs.toFixed(2)} | ${(r.events / r.secs / 1e6).toFixed(2)} M | ${(r.bytes / 1e6 / r.secs).toFixed(1)} | ${r.rssMB.toFixed(0)} | ${tr} | ${mr} |`,
  );
}
console.log(lines.join("\n"));

// ---- both Perfetto outputs of the first trace in Perfetto's trace processor (bench/perfetto.ts) ----

console.log(perfettoBench({ trace: t1, dir, cli: cliArgv, goReader: [goreader, t1], cwd: ROOT }));

// ---- the viewer table: our Perfetto outputs against go tool trace's JSON ----

const t3 = genTrace(viewerMB);
const t3bytes = statSync(t3).size;
const t3events = Number(measure([goreader, t3]).out.trim());
console.error(`viewer table: go tool trace -http ... /jsontrace on the ${viewerMB} MB trace ...`);
const gj = await fetchGoJsonTrace(t3, null, 30 * 60_000);
const vrows: { what: string; secs: number; bytes: number; rssMB: number }[] = [
  { what: "go tool trace: parse, then its /jsontrace", secs: gj.secs, bytes: gj.bytes, rssMB: gj.peakRssMB },
];
for (const [f, ext] of [
  ["perfetto", "json"],
  ["perfetto-proto", "pftrace"],
] as const) {
  const out = join(dir, `viewer.${ext}`);
  const m = measure([...cliArgv, t3, "--to", f, "-q", "-o", out]);
  vrows.push({ what: `ours: --to ${f}`, secs: m.secs, bytes: statSync(out).size, rssMB: m.rssMB });
  rmSync(out, { force: true });
}
const vl = [
  "",
  `Viewer outputs, ${(t3bytes / 1e6).toFixed(0)} MB trace (${(t3events / 1e6).toFixed(1)} M events); go tool trace listened after ${gj.listenSecs.toFixed(1)} s:`,
  "",
  "| output | wall s | output MB | peak RSS MB | time vs go tool trace | size vs go tool trace |",
  "|---|---|---|---|---|---|",
];
const g0 = vrows[0]!;
for (const r of vrows) {
  const vs = r === g0 ? ["", ""] : [`${(g0.secs / r.secs).toFixed(1)}x faster`, `${(r.bytes / g0.bytes).toFixed(2)}x`];
  vl.push(`| ${r.what} | ${r.secs.toFixed(2)} | ${(r.bytes / 1e6).toFixed(0)} | ${r.rssMB.toFixed(0)} | ${vs[0]} | ${vs[1]} |`);
}
console.log(vl.join("\n"));
