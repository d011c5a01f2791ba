// npm run bench: trace-convert against Go's own trace readers, side by side in
// one run, on two workload shapes generated with the installed Go by bench/gen
// (-workload mixed: channels, mutexes, select, sleeps, loopback I/O, tasks;
// -workload service: a busy HTTP service, each request a task with regions
// and logs, fan-out goroutines, GC pressure, CPU profiling on), --size MB each
// (100 by default; cached in bench/out as bench-<workload>-<MB>MB.trace).
//
// The base is the faster of Go's two readers, both built from what is
// installed: golang.org/x/exp/trace (bench/goreader) and the installed Go's
// own internal/trace copied into a generated module (bench/goreader-internal.ts);
// each counts the events, and both must count what our decoder counts.
// On each trace, --reps rounds (5), interleaved: every round runs each job
// once, in order: the two Go readers, our decoder (bench/decode.ts) with
// --threads 1 and 2, and the command with --to pprof-sync, perfetto-proto,
// otlp-json and summary (-q -o /dev/null; its threads left at the default).
// Reported: median wall time, events/s, peak RSS (largest of the rounds), and
// the speed ratio to Go's reader (× its events/s, > 1: faster), the median of
// each round's ratio to the base's run in that round. For pprof-sync also its
// time over our decode --threads 2's (target: within 1.2x), and, run once per
// workload (it takes tens of seconds and gigabytes), `go tool trace
// -pprof=sync` with our speed-up over it.
// Then, each section skippable:
//   --no-double    the mixed trace twice as long, one round of every job: peak RSS stays flat
//   --no-perfetto  both Perfetto outputs of each trace loaded into Perfetto's trace processor (bench/perfetto.ts)
//   --no-jobs      several inputs in one command, --jobs 1 against 2 (bench/jobs.ts): 2 mixed + 2 service traces of --jobs-size MB (20)
//   --no-viewer    our Perfetto outputs against the JSON `go tool trace` serves its viewer, on a --viewer-size MB (30) mixed trace
// Tables go to stdout as Markdown, progress to stderr.
// Usage: npm run bench [-- --size MB] [--reps N] [--workloads mixed,service]
//          [--jobs-size MB] [--viewer-size MB] [--keep DIR] [--no-double] [--no-perfetto] [--no-jobs] [--no-viewer]

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FORMATS } from "../src/cli/formats.js";
import { fetchGoJsonTrace } from "../test/viewer/harness.js";
import { buildInternalReader } from "./goreader-internal.js";
import { benchJobs, printJobs } from "./jobs.js";
import { perfettoBench } from "./perfetto.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const flag = (name: string) => args.includes(name);
const sizeMB = Number(opt("--size", "100"));
const viewerMB = Number(opt("--viewer-size", "30"));
const jobsMB = Number(opt("--jobs-size", "20"));
const reps = Math.max(1, Number(opt("--reps", "5")));
const WORKLOADS = ["mixed", "service"] as const;
type Workload = (typeof WORKLOADS)[number];
const workloads = opt("--workloads", WORKLOADS.join(","))
  .split(",")
  .filter((w) => w !== "") as Workload[];
for (const w of workloads) {
  if (!WORKLOADS.includes(w)) {
    console.error(`bench: unknown workload ${w} (${WORKLOADS.join(", ")})`);
    process.exit(2);
  }
}
if (!(sizeMB > 0) || workloads.length === 0) {
  console.error("bench: --size must be > 0 and --workloads not empty");
  process.exit(2);
}
const dir = resolve(opt("--keep", join(ROOT, "bench", "out")));
mkdirSync(dir, { recursive: true });

function sh(cmd: string, argv: string[], cwd = ROOT): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, argv, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  return { ok: r.status === 0, out: r.stdout ?? "", err: r.stderr ?? "" };
}

const goVersion = sh("go", ["version"]);
if (!goVersion.ok) {
  console.error("bench: Go is needed (it generates the traces and is the baseline)");
  process.exit(1);
}

interface Measured {
  secs: number;
  rssMB: number;
  out: string;
}

/** Runs a command under /usr/bin/time; returns wall seconds, peak RSS and stdout (discarded if `discard`). */
function measure(argv: string[], discard = false): Measured {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %M", ...argv], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 1 << 26,
    stdio: ["ignore", discard ? "ignore" : "pipe", "pipe"],
  });
  const m = /TIME ([\d.]+) (\d+)\s*$/.exec(r.stderr ?? "");
  if (r.status !== 0 || m === null) throw new Error(`${argv.join(" ")} failed:\n${(r.stderr ?? "").slice(-2000)}`);
  return { secs: Number(m[1]), rssMB: Number(m[2]) / 1024, out: r.stdout ?? "" };
}

/** The trace of `workload` at `mb` MB, generated by bench/gen unless already in `dir`. */
function genTrace(workload: Workload, mb: number, tag = ""): string {
  const p = join(dir, `bench-${workload}${tag}-${mb}MB.trace`);
  if (existsSync(p)) return p;
  console.error(`generating a ${mb} MB ${workload} trace (bench/gen) ...`);
  const r = sh("go", ["run", ".", "-workload", workload, "-o", p + ".tmp", "-size", String(Math.round(mb * 1_000_000))], join(ROOT, "bench", "gen"));
  if (!r.ok) throw new Error(r.err);
  spawnSync("mv", [p + ".tmp", p]);
  return p;
}

const median = (v: number[]) => {
  const w = v.slice().sort((x, y) => x - y);
  return w.length % 2 === 1 ? w[w.length >> 1]! : (w[w.length / 2 - 1]! + w[w.length / 2]!) / 2;
};
const fmtRate = (perSec: number) => (perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)} M` : `${(perSec / 1e3).toFixed(0)} k`);
const ratio = (x: number) => `${x.toFixed(2)}x`;

// ---- the machine, the readers, the command ----

const cpuList = cpus();
const header = [
  `Machine: ${cpuList.length} cores used (os.cpus; ${availableParallelism()} available to this process), ${cpuList[0]?.model.trim() ?? "cpu"}, ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${goVersion.out.trim()}; load average at start ${loadavg()[0]!.toFixed(2)}.`,
];
console.log(header.join("\n"));

console.error("building Go's readers (bench/goreader: golang.org/x/exp/trace; bench/out/goreader-internal: the installed Go's internal/trace) ...");
const goreaderExp = join(dir, "goreader");
const b = sh("go", ["build", "-o", goreaderExp, "."], join(ROOT, "bench", "goreader"));
if (!b.ok) throw new Error(b.err);
const goreaderInternal = buildInternalReader(dir, ROOT);
const goVer = sh("go", ["env", "GOVERSION"]).out.trim();
// go tool trace, run as its binary (not through the go command, which may build it first).
const goTraceTool = (() => {
  const r = sh("go", ["tool", "-n", "trace"]);
  return r.ok && r.out.trim() !== "" ? [r.out.trim()] : ["go", "tool", "trace"];
})();

const cli = join(ROOT, "dist", "src", "cli.js");
/** The command as an installed trace-convert runs it: node with the options of the script's #! line. */
const cliArgv = (() => {
  const m = /^#!\S*env\s+-S\s+node\s+(.*)$/.exec(readFileSync(cli, "utf8").split("\n", 1)[0]!);
  return [process.execPath, ...(m === null ? [] : m[1]!.trim().split(/\s+/)), cli];
})();
const decode = join(ROOT, "dist", "bench", "decode.js");
const have = (f: string) => FORMATS.some((x) => x.name === f);
const OUTPUTS = ["pprof-sync", "perfetto-proto", "otlp-json", "summary"].filter((f) => {
  if (!have(f)) console.error(`(--to ${f} is not available in this build: skipped)`);
  return have(f);
});

interface Job {
  what: string;
  argv: string[];
  /** It prints an event count (Go's readers, our decode). */
  counts: boolean;
}

function jobsFor(trace: string): { goExp: Job; goInt: Job; dec1: Job; dec2: Job; all: Job[]; outputs: Map<string, Job> } {
  const goExp: Job = { what: "Go reader: x/exp/trace", argv: [goreaderExp, trace], counts: true };
  const goInt: Job = { what: `Go reader: ${goVer} internal/trace`, argv: [goreaderInternal, trace], counts: true };
  const dec1: Job = { what: "ours: decode --threads 1", argv: [process.execPath, decode, trace, "--threads", "1"], counts: true };
  const dec2: Job = { what: "ours: decode --threads 2", argv: [process.execPath, decode, trace, "--threads", "2"], counts: true };
  const outputs = new Map<string, Job>();
  // Outputs go to /dev/null: the cost of producing them is measured, not the disk's.
  for (const f of OUTPUTS) outputs.set(f, { what: `ours: --to ${f}`, argv: [...cliArgv, trace, "--to", f, "-q", "-o", "/dev/null"], counts: false });
  return { goExp, goInt, dec1, dec2, outputs, all: [goExp, goInt, dec1, dec2, ...outputs.values()] };
}

interface Result {
  workload: Workload;
  label: string;
  trace: string;
  bytes: number;
  events: number;
  rounds: number;
  jobs: ReturnType<typeof jobsFor>;
  secs: Map<Job, number[]>;
  rss: Map<Job, number>;
  /** The faster Go reader, by median wall time. */
  base: Job;
}

/** `rounds` interleaved rounds of every job on `trace`; each count must be the same. */
function runRounds(workload: Workload, trace: string, rounds: number): Result {
  const bytes = statSync(trace).size;
  const label = `${workload} ${(bytes / 1e6).toFixed(0)} MB`;
  const jobs = jobsFor(trace);
  const secs = new Map<Job, number[]>(jobs.all.map((j) => [j, []]));
  const rss = new Map<Job, number>(jobs.all.map((j) => [j, 0]));
  let events = -1;
  for (let r = 0; r < rounds; r++) {
    console.error(`${label}: round ${r + 1} of ${rounds} ...`);
    for (const j of jobs.all) {
      const m = measure(j.argv, !j.counts);
      secs.get(j)!.push(m.secs);
      rss.set(j, Math.max(rss.get(j)!, m.rssMB));
      if (j.counts) {
        const n = Number(m.out.trim());
        if (events < 0) events = n;
        else if (n !== events) throw new Error(`${label}: ${j.what} read ${n} events, ${jobs.goExp.what} ${events}`);
      }
    }
  }
  const base = median(secs.get(jobs.goInt)!) < median(secs.get(jobs.goExp)!) ? jobs.goInt : jobs.goExp;
  return { workload, label, trace, bytes, events, rounds, jobs, secs, rss, base };
}

/** Median over the rounds of a's wall time over b's in the same round. */
const perRound = (res: Result, a: Job, b: Job) => median(res.secs.get(a)!.map((s, i) => s / res.secs.get(b)![i]!));

// ---- the main rounds, per workload ----

const results: Result[] = [];
const goTool = new Map<Result, Measured | string>();
for (const w of workloads) {
  const res = runRounds(w, genTrace(w, sizeMB), reps);
  results.push(res);
  console.error(`${res.label}: go tool trace -pprof=sync (once) ...`);
  try {
    goTool.set(res, measure([...goTraceTool, "-pprof=sync", res.trace], true));
  } catch (e) {
    goTool.set(res, `failed: ${String(e).split("\n").slice(-2).join(" ").slice(0, 200)}`);
  }
}

const out: string[] = [
  `Wall: median of ${reps} interleaved round${reps === 1 ? "" : "s"} per trace (every job once per round); peak RSS: largest of the rounds.`,
  "× Go: speed against the faster of Go's two readers (by median wall), as the median of each round's ratio to its run in that round (> 1: faster than Go).",
  "",
  "| trace | job | wall s | events/s | peak RSS MB | × Go's reader events/s |",
  "|---|---|---|---|---|---|",
];
for (const res of results) {
  res.jobs.all.forEach((j, i) => {
    const s = median(res.secs.get(j)!);
    const vs = j === res.base ? "1.00x (base)" : ratio(perRound(res, res.base, j));
    const tr = i === 0 ? `${res.label}, ${(res.events / 1e6).toFixed(1)} M events` : "";
    out.push(`| ${tr} | ${j.what} | ${s.toFixed(2)} | ${fmtRate(res.events / s)} | ${res.rss.get(j)!.toFixed(0)} | ${vs} |`);
  });
}
const pprofRows = results.filter((r) => r.jobs.outputs.has("pprof-sync"));
if (pprofRows.length > 0) {
  out.push(
    "",
    "`--to pprof-sync` against our decode and against `go tool trace -pprof=sync` (run once per trace):",
    "",
    "| trace | ours wall s | ÷ decode --threads 2 wall (target ≤ 1.2) | ours peak RSS MB | go tool trace wall s | its peak RSS MB | ours × faster |",
    "|---|---|---|---|---|---|---|",
  );
  for (const res of pprofRows) {
    const p = res.jobs.outputs.get("pprof-sync")!;
    const s = median(res.secs.get(p)!);
    const g = goTool.get(res)!;
    const gcols = typeof g === "string" ? [g, "", ""] : [g.secs.toFixed(2), g.rssMB.toFixed(0), ratio(g.secs / s)];
    out.push(`| ${res.label} | ${s.toFixed(2)} | ${ratio(perRound(res, p, res.jobs.dec2))} | ${res.rss.get(p)!.toFixed(0)} | ${gcols.join(" | ")} |`);
  }
}
console.log("\n" + out.join("\n"));

// ---- the doubled trace: one round of every job, for peak RSS ----

if (!flag("--no-double")) {
  const w: Workload = workloads.includes("mixed") ? "mixed" : workloads[0]!;
  const first = results.find((r) => r.workload === w)!;
  const res = runRounds(w, genTrace(w, sizeMB * 2), 1);
  const dl = [
    "",
    `Peak RSS on the ${w} trace twice as long (one round) against the ${first.label} one:`,
    "",
    `| job | ${res.label} wall s | events/s | peak RSS MB | ${first.label} peak RSS MB | RSS ratio |`,
    "|---|---|---|---|---|---|",
  ];
  res.jobs.all.forEach((j, i) => {
    const s = res.secs.get(j)![0]!;
    const r0 = first.rss.get(first.jobs.all[i]!)!;
    dl.push(`| ${j.what} | ${s.toFixed(2)} | ${fmtRate(res.events / s)} | ${res.rss.get(j)!.toFixed(0)} | ${r0.toFixed(0)} | ${ratio(res.rss.get(j)! / r0)} |`);
  });
  console.log(dl.join("\n"));
}

// ---- both Perfetto outputs of each trace in Perfetto's trace processor (bench/perfetto.ts) ----

if (!flag("--no-perfetto")) {
  for (const res of results) {
    console.log(perfettoBench({ trace: res.trace, label: res.workload, dir, cli: cliArgv, goReader: res.base.argv, goReaderName: res.base.what.replace(/^Go reader: /, ""), cwd: ROOT }));
  }
}

// ---- several inputs in one command: --jobs 1 against 2 (bench/jobs.ts) ----

if (!flag("--no-jobs")) {
  const traces = (["mixed", "service"] as const).flatMap((w) => [1, 2].map((k) => genTrace(w, jobsMB, `-jobs${k}`)));
  const formats = ["summary", "pprof-sync", "perfetto-proto"].filter(have);
  console.error(`jobs: ${traces.length} traces, --to ${formats.join(", ")}, --jobs 1 and 2, 3 rounds ...`);
  printJobs(benchJobs(cliArgv.slice(0, -1), cli, traces, formats, 2, 3), traces, 2);
}

// ---- the viewer table: our Perfetto outputs against go tool trace's JSON ----

if (!flag("--no-viewer")) {
  const t3 = genTrace("mixed", viewerMB);
  const t3bytes = statSync(t3).size;
  const t3events = Number(measure([goreaderExp, t3]).out.trim());
  console.error(`viewer table: go tool trace -http ... /jsontrace on the ${viewerMB} MB trace ...`);
  const gj = await fetchGoJsonTrace(t3, null, 30 * 60_000);
  const vrows: { what: string; secs: number; bytes: number; rssMB: number }[] = [
    { what: "go tool trace: parse, then its /jsontrace", secs: gj.secs, bytes: gj.bytes, rssMB: gj.peakRssMB },
  ];
  for (const [f, ext] of [
    ["perfetto", "json"],
    ["perfetto-proto", "pftrace"],
  ] as const) {
    const o = join(dir, `viewer.${ext}`);
    const m = measure([...cliArgv, t3, "--to", f, "-q", "-o", o]);
    vrows.push({ what: `ours: --to ${f}`, secs: m.secs, bytes: statSync(o).size, rssMB: m.rssMB });
    rmSync(o, { force: true });
  }
  const vl = [
    "",
    `Viewer outputs, mixed ${(t3bytes / 1e6).toFixed(0)} MB trace (${(t3events / 1e6).toFixed(1)} M events); go tool trace listened after ${gj.listenSecs.toFixed(1)} s:`,
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
}
