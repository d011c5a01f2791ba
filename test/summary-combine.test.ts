// Several inputs: the combined summary equals the combination of the single
// ones (counts and times add up, percentiles over the union of durations, the
// lowest MMU per window), --per-trace gives the single ones, and inputs
// converted on several workers (--jobs) give the same bytes as on one.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { drive } from "../src/convert/drive.js";
import { latencyOf, SummaryBuilder, type SummaryParts, type TraceSummary } from "../src/convert/summary.js";
import { FIXTURES, runCLI } from "./helpers.js";

const TRACES = ["go1.26/annotations.trace", "go1.26/gc.trace", "go1.25/annotations.trace", "go1.22/many.trace"].map((t) => join(FIXTURES, "traces", t));
const dir = mkdtempSync(join(tmpdir(), "combine-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function summaryOf(args: string[]): TraceSummary & { trace: string } {
  const r = runCLI([...args, "--to", "summary", "--json"]);
  assert.equal(r.status, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString()) as TraceSummary & { trace: string };
}

async function partsOf(file: string): Promise<SummaryParts> {
  const b = new SummaryBuilder();
  async function* src() {
    yield new Uint8Array(readFileSync(file));
  }
  await drive(src(), (ev, r) => b.event(ev, r), { salvage: true });
  return b.parts();
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("several inputs", () => {
  test("the combined summary adds up the single ones; percentiles are those of the union", async () => {
    const all = summaryOf(TRACES);
    const singles = TRACES.map((t) => summaryOf([t]));
    assert.equal(all.trace, `${TRACES.length} traces`);
    assert.deepEqual(all.traces!.map((t) => t.name), TRACES);
    assert.equal(all.duration, sum(singles.map((s) => s.duration)));

    // Goroutine groups by start function: every number adds up.
    const names = new Set(singles.flatMap((s) => s.goroutines.map((g) => g.name)));
    assert.equal(all.goroutines.length, names.size);
    for (const g of all.goroutines) {
      const parts = singles.flatMap((s) => s.goroutines.filter((x) => x.name === g.name));
      for (const k of ["count", "total", "exec", "schedWait", "syncBlock", "networkBlock", "otherBlock", "syscall", "syscallBlock", "unknown", "gc"] as const) {
        assert.equal(g[k], sum(parts.map((p) => p[k])), `${g.name}: ${k}`);
      }
    }

    // GC: cycles and times add up, the pause histogram is the union's.
    assert.equal(all.gc.cycles, sum(singles.map((s) => s.gc.cycles)));
    assert.equal(all.gc.markTime, sum(singles.map((s) => s.gc.markTime)));
    assert.equal(all.gc.pauses.count, sum(singles.map((s) => s.gc.pauses.count)));
    assert.equal(all.gc.pauses.max, Math.max(...singles.map((s) => s.gc.pauses.max)));
    const buckets = new Map<number, number>();
    for (const s of singles) for (const [b, c] of s.gc.pauses.histogram) buckets.set(b, (buckets.get(b) ?? 0) + c);
    assert.deepEqual(all.gc.pauses.histogram, [...buckets.entries()].sort((a, b) => a[0] - b[0]));

    // Tasks by type: counts add up; the latency is that of every duration of every trace.
    const parts = await Promise.all(TRACES.map(partsOf));
    for (const t of all.tasks) {
      const mine = singles.flatMap((s) => s.tasks.filter((x) => x.type === t.type));
      assert.equal(t.count, sum(mine.map((x) => x.count)), `task ${t.type}: count`);
      const durations = parts.flatMap((p) => p.tasks.filter((x) => x.type === t.type).flatMap((x) => Array.from(x.durations)));
      assert.deepEqual(t.latency, latencyOf(durations), `task ${t.type}: latency over the union`);
    }
    for (const r of all.regions) {
      const durations = parts.flatMap((p) => p.regions.filter((x) => x.type === r.type && x.func === r.func && x.file === r.file && x.line === r.line).flatMap((x) => Array.from(x.durations)));
      assert.deepEqual(r.latency, latencyOf(durations), `region ${r.type} at ${r.func}: latency over the union`);
      assert.ok(r.latency.count > 0);
    }
    // The same code traced twice (Go 1.25 and 1.26 builds of one program) is one region row.
    const inner = all.regions.filter((r) => r.type === "inner");
    assert.equal(inner.length, 1);
    assert.equal(inner[0]!.latency.count, sum(singles.flatMap((s) => s.regions.filter((r) => r.type === "inner").map((r) => r.latency.count))));

    // MMU: the lowest of the traces for each window, and which trace it is in.
    for (const m of all.mmu) {
      const cands = singles.map((s, i) => ({ i, m: s.mmu.find((x) => x.window === m.window) })).filter((x) => x.m !== undefined);
      const low = Math.min(...cands.map((c) => c.m!.mmu));
      assert.equal(m.mmu, low, `mmu ${m.window}`);
      assert.equal(singles[TRACES.indexOf(m.trace!)]!.mmu.find((x) => x.window === m.window)!.mmu, low);
    }
  });

  test("--per-trace gives one summary per input, each as it is alone", () => {
    const out = join(dir, "per") + "/";
    const r = runCLI([...TRACES.slice(0, 2), "--to", "summary", "--json", "--per-trace", "-o", out]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(readdirSync(out).length, 2);
    const one = runCLI([TRACES[1]!, "--to", "summary", "--json"]).stdout.toString();
    assert.equal(readFileSync(join(out, "gc.txt"), "utf8"), one);
  });

  test("a combined summary refuses an output directory", () => {
    const r = runCLI([...TRACES.slice(0, 2), "--to", "summary", "-o", dir + "/"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr.toString(), /--per-trace/);
  });

  for (const format of ["summary", "pprof-sync", "perfetto-proto", "otlp-json"]) {
    test(`--jobs 2 and --jobs 1 write the same bytes (--to ${format})`, () => {
      const outs = [1, 2].map((j) => {
        const out = join(dir, `${format}-j${j}`) + (format === "summary" ? ".txt" : "/");
        const r = runCLI([...TRACES, "--to", format, "--jobs", String(j), "-q", "-o", out]);
        assert.equal(r.status, 0, r.stderr.toString());
        return out;
      });
      if (format === "summary") assert.ok(readFileSync(outs[0]!).equals(readFileSync(outs[1]!)));
      else {
        const files = readdirSync(outs[0]!).sort();
        assert.equal(files.length, TRACES.length);
        assert.deepEqual(readdirSync(outs[1]!).sort(), files);
        for (const f of files) assert.ok(readFileSync(join(outs[0]!, f)).equals(readFileSync(join(outs[1]!, f))), `${format}: ${f} differs`);
      }
    });
  }

  test("a damaged and an invalid input among several: exit 3 is kept over 0, 1 over 3, and the others still convert", () => {
    const bad = join(dir, "bad.trace");
    writeFileSync(bad, "not a trace");
    const damaged = join(FIXTURES, "traces", "damaged", "go126-multigen-trunc-midbatch.trace");
    const r = runCLI([TRACES[0]!, damaged, "--to", "summary", "--json", "--jobs", "2"]);
    assert.equal(r.status, 3, r.stderr.toString());
    const s = JSON.parse(r.stdout.toString()) as TraceSummary;
    assert.equal(s.traces!.length, 2);
    const r2 = runCLI([TRACES[0]!, bad, "--to", "summary", "--json", "--jobs", "2"]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr.toString(), /bad\.trace/);
    const s2 = JSON.parse(r2.stdout.toString()) as TraceSummary;
    assert.equal(s2.traces!.length, 1);
  });
});
