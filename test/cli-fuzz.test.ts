// The command itself on hostile input: every format (filters, --json and
// --redact included) over a few hundred mutated fixtures, each run under a
// time limit. A run passes when it ends in time with exit 0, 1 or 3 and says
// nothing on stderr but the command's own one-line messages (no stack, no
// runtime warning). The two reproducers of issue 20 also convert to every
// format promptly, with a message naming the file and the byte offset.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, describe, test } from "node:test";
import { FORMATS } from "../src/cli/formats.js";
import { mutate, Rand } from "./fuzzlib.js";
import { CLI, FIXTURES, loadManifest } from "./helpers.js";

const INPUTS = Number(process.env.CLI_FUZZ_INPUTS ?? 240);
const SEED = Number(process.env.CLI_FUZZ_SEED ?? 20261202);
/** Time limit of one conversion of one small input; a run of n inputs gets n times this (plus start-up). */
const PER_INPUT_MS = 15_000;

interface Run {
  code: number | null;
  signal: string | null;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

function run(args: string[], limitMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.setEncoding("utf8");
    p.stderr.on("data", (d: string) => {
      if (stderr.length < 1 << 20) stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill("SIGKILL");
    }, limitMs);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: performance.now() - t0, timedOut });
    });
  });
}

/** What is wrong with a run's ending, or null. */
function judge(r: Run): string | null {
  if (r.timedOut) return `no result within ${(r.ms / 1000).toFixed(0)} s (killed)`;
  if (r.code === null || ![0, 1, 3].includes(r.code)) return `exit ${r.code ?? r.signal}`;
  for (const line of r.stderr.split("\n")) {
    if (line === "") continue;
    if (!line.startsWith("trace-convert: ")) return `unexpected stderr line: ${line}`;
  }
  if (/\n\s+at |TypeError|RangeError|ReferenceError|Maximum call stack/.test(r.stderr)) return `a stack or runtime error on stderr:\n${r.stderr.slice(0, 2000)}`;
  return null;
}

/** Option sets per format: the plain run and the filters that format takes. */
function variants(format: string): string[][] {
  const window = ["--start", "1ms", "--end", "40ms"];
  if (format === "perfetto" || format === "perfetto-proto") {
    return [[], window, ["--goroutine", "1"], ["--task", "handoff"], ["--annotations-only"], ["--redact"]];
  }
  if (format.startsWith("pprof-")) return [[], ["--labels"], ["--region", "outer"], ["--task", "handoff", "--goroutine", "1"], window];
  // One summary per input (several inputs are otherwise combined into one).
  if (format === "summary") return [["--per-trace"], ["--json", "--per-trace"]];
  if (format === "otlp-json") return [[], ["--start-time", "2026-01-02T03:04:05Z", "--redact"]];
  return [[], ["--redact"]];
}

const dir = mkdtempSync(join(tmpdir(), "cli-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The mutated inputs, written to files. */
function makeInputs(): string[] {
  const corpus = loadManifest()
    .filter((e) => e.dir !== "damaged" && e.bytes < 150_000)
    .map((e) => new Uint8Array(readFileSync(join(FIXTURES, e.trace))));
  const r = new Rand(SEED);
  const inDir = join(dir, "in");
  mkdirSync(inDir);
  const files: string[] = [];
  for (let i = 0; i < INPUTS; i++) {
    const { bytes } = mutate(r.pick(corpus), corpus, r);
    const f = join(inDir, `m${String(i).padStart(4, "0")}.trace`);
    writeFileSync(f, bytes);
    files.push(f);
  }
  return files;
}

const OUTPUT_FORMATS = FORMATS.filter((f) => f.writesOutput).map((f) => f.name);

describe("the command on hostile input", () => {
  test("both reproducers of the hang and the lost event convert to every format promptly, exit 1 or 3 with the byte offset", { timeout: 600_000 }, async () => {
    const repros = ["convert-summary-mmu-hang.trace", "salvage-drops-sync.trace"].map((f) => join(FIXTURES, "fuzz", f));
    for (const f of repros) {
      for (const format of OUTPUT_FORMATS) {
        for (const extra of format === "summary" ? [[], ["--json"]] : [[]]) {
          const r = await run([f, "--to", format, ...extra, "-o", join(dir, "repro.out")], 60_000);
          const what = `${basename(f)} --to ${format} ${extra.join(" ")}`;
          assert.equal(judge(r), null, `${what}: ${judge(r)}`);
          assert.ok(r.code === 1 || r.code === 3, `${what}: exit ${r.code}`);
          assert.match(r.stderr, new RegExp(`${basename(f).replace(".", "\\.")}.*(at )?byte \\d+`), `${what}: the message names neither the file nor the offset: ${r.stderr}`);
        }
      }
    }
  });

  test(`every format and filter over ${INPUTS} mutated fixtures, each input under a time limit`, { timeout: 3_600_000 }, async (t) => {
    const files = makeInputs();
    // Each format's plain run takes every input; each filtered run a quarter of them.
    const jobs: { args: string[]; inputs: string[] }[] = [];
    let k = 0;
    for (const format of OUTPUT_FORMATS) {
      for (const [i, v] of variants(format).entries()) {
        const inputs = i === 0 ? files : files.filter((_f, j) => j % 4 === k % 4);
        k++;
        jobs.push({ args: ["--to", format, ...v], inputs });
      }
    }
    let conversions = 0;
    const failures: string[] = [];
    const t0 = performance.now();
    const one = async (job: { args: string[]; inputs: string[] }, n: number) => {
      const out = join(dir, `out${n}`) + "/";
      const r = await run([...job.inputs, ...job.args, "-q", "-o", out], 20_000 + PER_INPUT_MS * job.inputs.length);
      conversions += job.inputs.length;
      rmSync(out, { recursive: true, force: true });
      const why = judge(r);
      if (why === null) return;
      // Name the input: each alone, under the limit of one.
      for (const f of job.inputs) {
        const r1 = await run([f, ...job.args, "-q", "-o", join(dir, `one${n}.out`)], 20_000 + PER_INPUT_MS);
        const w1 = judge(r1);
        if (w1 !== null) {
          failures.push(`${job.args.join(" ")} on ${f} (seed ${SEED}): ${w1}`);
          return;
        }
      }
      failures.push(`${job.args.join(" ")} over ${job.inputs.length} inputs (seed ${SEED}): ${why} (no single input fails alone)`);
    };
    // Two at a time: the machine's two cores.
    let next = 0;
    const worker = async () => {
      while (next < jobs.length && failures.length === 0) {
        const n = next++;
        await one(jobs[n]!, n);
      }
    };
    await Promise.all([worker(), worker()]);
    t.diagnostic(`${jobs.length} runs, ${conversions} conversions in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    // Failing inputs stay for a look (and for fixtures/fuzz/).
    if (failures.length > 0) {
      const keep = mkdtempSync(join(tmpdir(), "cli-fuzz-fail-"));
      for (const f of files) writeFileSync(join(keep, basename(f)), readFileSync(f));
      assert.fail(`${failures.join("\n")}\ninputs kept in ${keep}`);
    }
  });
});
