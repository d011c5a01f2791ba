// The fuzz watchdog: runs a campaign's cases in a worker thread with a deadline
// per case. A case still running past the deadline is a hang: the worker is
// stopped, and the failure names the kind, seed, case and options, with the
// input written out (replayed from the case sequence) for fixtures/fuzz/.

import { Worker } from "node:worker_threads";
import { CaseSequence, caseName, keepInput, type FuzzKind } from "./fuzz-cases.js";
import type { FuzzJob, FuzzStats, WorkerMessage } from "./fuzz-worker.js";

export interface WatchOptions {
  kind: FuzzKind;
  seed: number;
  first?: number;
  count: number;
  /** A case running longer than this is a hang (ms). */
  deadlineMs: number;
  /** Test of the watchdog itself: this case loops forever. */
  hangAt?: number;
  /** Replay these files instead of mutations (count: as many as there are cases). */
  files?: string[];
  /** Called every ~second with the cases done so far. */
  onProgress?: (done: number) => void;
}

export type WatchResult = { ok: true; stats: FuzzStats } | { ok: false; hang: boolean; index: number; message: string; input: string };

/** Deadline per case from FUZZ_DEADLINE_MS, else `dflt`. */
export function deadlineFromEnv(dflt: number): number {
  const v = Number(process.env.FUZZ_DEADLINE_MS);
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

export function runWatched(o: WatchOptions): Promise<WatchResult> {
  const progress = new SharedArrayBuffer(8);
  const p = new Int32Array(progress);
  p[0] = -1;
  const job: FuzzJob = { kind: o.kind, seed: o.seed, first: o.first ?? 0, count: o.count, progress, hangAt: o.hangAt ?? -1, files: o.files ?? [] };
  const worker = new Worker(new URL("./fuzz-worker.js", import.meta.url), { workerData: job });
  return new Promise<WatchResult>((resolve) => {
    let settled = false;
    let running = -1;
    let since = performance.now();
    let lastReport = since;
    const finish = (r: WatchResult) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      void worker.terminate().then(() => resolve(r));
    };
    const timer = setInterval(() => {
      const now = performance.now();
      const i = Atomics.load(p, 0);
      if (i !== running) {
        running = i;
        since = now;
      } else if (i >= 0 && now - since > o.deadlineMs) {
        // Stop the worker first: replaying the sequence takes a while.
        settled = true;
        clearInterval(timer);
        void worker.terminate().then(() => {
          const c = new CaseSequence(o.kind, o.seed, o.files).at(i);
          const input = keepInput(o.kind, o.seed, i, c.bytes);
          resolve({
            ok: false,
            hang: true,
            index: i,
            input,
            message: `${caseName(o.kind, o.seed, i, c.how, c.options)} did not finish within ${o.deadlineMs} ms (a hang, or far too slow); input in ${input}`,
          });
        });
        return;
      }
      if (o.onProgress !== undefined && now - lastReport >= 1000) {
        lastReport = now;
        o.onProgress(Atomics.load(p, 1));
      }
    }, Math.min(250, Math.max(10, o.deadlineMs / 8)));
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "done") finish({ ok: true, stats: m.stats });
      else finish({ ok: false, hang: false, index: m.index, message: m.message, input: m.input });
    });
    worker.on("error", (e) => finish({ ok: false, hang: false, index: Atomics.load(p, 0), message: `the fuzz worker died: ${e.stack ?? e.message}`, input: "" }));
    worker.on("exit", (code) => finish({ ok: false, hang: false, index: Atomics.load(p, 0), message: `the fuzz worker exited (${code}) before reporting`, input: "" }));
  });
}
