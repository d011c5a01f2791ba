// The benchmark's several-inputs section: the bench traces converted in one
// command, on one worker (--jobs 1) and on one per core (--jobs 2 here),
// interleaved, median of `reps` rounds: wall time and peak RSS of the whole
// process (its worker threads included).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timed } from "./timed.js";

export interface JobsRow {
  format: string;
  jobs: number;
  secs: number;
  rssMB: number;
}

const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length === 0 ? NaN : a[Math.floor((a.length - 1) / 2)]!;
};

/**
 * Runs `cli` over `traces` for each format with --jobs 1 and --jobs N, `reps`
 * rounds interleaved; `node` is the node command with its flags (as the #! line).
 */
export function benchJobs(node: string[], cli: string, traces: string[], formats: string[], n: number, reps: number): JobsRow[] {
  const rows: JobsRow[] = [];
  const out = mkdtempSync(join(tmpdir(), "tc-bench-jobs-"));
  try {
    for (const format of formats) {
      const times = new Map<number, { secs: number[]; rss: number[] }>([
        [1, { secs: [], rss: [] }],
        [n, { secs: [], rss: [] }],
      ]);
      for (let r = 0; r < reps; r++) {
        for (const j of [1, n]) {
          // The combined summary goes to one file; the others, one per input.
          const o = format === "summary" ? join(out, "summary.txt") : join(out, `${format}-${j}`) + "/";
          const m = timed([...node, cli, ...traces, "--to", format, "--jobs", String(j), "-q", "-o", o], { ok: [0, 3] });
          times.get(j)!.secs.push(m.secs);
          times.get(j)!.rss.push(m.rssMB);
          rmSync(o, { recursive: true, force: true });
        }
      }
      for (const [j, t] of times) rows.push({ format, jobs: j, secs: median(t.secs), rssMB: median(t.rss) });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
}

export function printJobs(rows: JobsRow[], traces: string[], n: number): void {
  console.log(`\nSeveral inputs in one command (${traces.length} traces: ${traces.map((t) => t.split("/").pop()).join(", ")}), --jobs 1 against --jobs ${n}:\n`);
  console.log("| output | --jobs 1 wall | --jobs 1 peak RSS | --jobs " + n + " wall | --jobs " + n + " peak RSS | speed-up |");
  console.log("|---|---|---|---|---|---|");
  const formats = [...new Set(rows.map((r) => r.format))];
  for (const f of formats) {
    const a = rows.find((r) => r.format === f && r.jobs === 1)!;
    const b = rows.find((r) => r.format === f && r.jobs === n)!;
    console.log(`| \`--to ${f}\` | ${a.secs.toFixed(2)} s | ${a.rssMB.toFixed(0)} MB | ${b.secs.toFixed(2)} s | ${b.rssMB.toFixed(0)} MB | ${(a.secs / b.secs).toFixed(2)}x |`);
  }
}
