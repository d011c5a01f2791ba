// A conversion worker of the pool (pool.ts): takes jobs, runs them as the
// command would in-process, answers with the exit code (and summary parts).

import { parentPort } from "node:worker_threads";
import { runHere, type Job, type JobResult } from "./pool.js";

const port = parentPort!;
port.on("message", (job: Job) => {
  runHere(job).then(
    (r) => port.postMessage(r),
    (e: unknown) => {
      process.stderr.write(`trace-convert: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      port.postMessage({ code: 1, part: null, events: 0, files: [] } satisfies JobResult);
    },
  );
});
