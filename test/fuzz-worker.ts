// A fuzz campaign's cases, run in a worker thread that the watchdog
// (test/watchdog.ts) can stop: before each case the worker publishes its index
// in shared memory, so a case that never returns is seen and named.

import { parentPort, workerData } from "node:worker_threads";
import { CaseSequence, caseName, keepInput, type FuzzKind } from "./fuzz-cases.js";

export interface FuzzJob {
  kind: FuzzKind;
  seed: number;
  /** Cases first .. first+count-1 of the campaign. */
  first: number;
  count: number;
  /** progress[0]: index of the case running (-1 between cases); progress[1]: cases done. */
  progress: SharedArrayBuffer;
  /** For the watchdog's own test: case index that loops forever (-1: none). */
  hangAt: number;
  /** Replay these files instead of mutations (see CaseSequence). */
  files: string[];
}

export interface FuzzStats {
  cases: number;
  ms: number;
  slowestMs: number;
  slowest: string;
  withError: number;
  events: number;
  /** Heap growth over the run (bytes). */
  heapGrowth: number;
}

export type WorkerMessage = { type: "done"; stats: FuzzStats } | { type: "fail"; index: number; message: string; input: string };

async function runJob(job: FuzzJob): Promise<WorkerMessage> {
  const progress = new Int32Array(job.progress);
  const seq = new CaseSequence(job.kind, job.seed, job.files);
  const stats: FuzzStats = { cases: 0, ms: 0, slowestMs: 0, slowest: "", withError: 0, events: 0, heapGrowth: 0 };
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const end = Math.min(job.first + job.count, seq.length);
  if (job.first > 0) seq.at(job.first - 1);
  for (let i = job.first; i < end; i++) {
    const c = seq.take();
    Atomics.store(progress, 0, i);
    const t = performance.now();
    if (i === job.hangAt) for (;;) Atomics.add(progress, 1, 0);
    const res = await c.run();
    const ms = performance.now() - t;
    Atomics.store(progress, 0, -1);
    Atomics.add(progress, 1, 1);
    if (!res.ok) {
      const input = keepInput(job.kind, job.seed, i, c.bytes);
      return { type: "fail", index: i, message: `${caseName(job.kind, job.seed, i, c.how, c.options)}, input in ${input}: ${res.error}`, input };
    }
    stats.cases++;
    if (ms > stats.slowestMs) {
      stats.slowestMs = ms;
      stats.slowest = `case ${i}: ${c.how}, ${res.events} events`;
    }
    if (res.error !== null) stats.withError++;
    stats.events += res.events;
  }
  stats.ms = performance.now() - t0;
  stats.heapGrowth = process.memoryUsage().heapUsed - heap0;
  return { type: "done", stats };
}

if (parentPort !== null) {
  const port = parentPort;
  runJob(workerData as FuzzJob).then(
    (m) => port.postMessage(m),
    (e: unknown) => port.postMessage({ type: "fail", index: -1, message: `the fuzz worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, input: "" }),
  );
}
