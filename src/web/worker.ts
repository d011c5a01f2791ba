// The browser app's Web Worker: answers one request, then the page lets it go
// (or terminates it: that is Cancel).

import { formatList, runJob } from "./job.js";
import type { WorkerReply, WorkerRequest } from "./protocol.js";

/** The parts of DedicatedWorkerGlobalScope used here (this file is compiled without the DOM library). */
interface WorkerScope {
  onmessage: ((e: { data: WorkerRequest }) => void) | null;
  postMessage(msg: WorkerReply): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = (e) => {
  const req = e.data;
  if (req.type === "formats") {
    scope.postMessage({ type: "formats", formats: formatList() });
    return;
  }
  runJob(req, (progress) => scope.postMessage({ type: "progress", progress })).then(
    (result) => scope.postMessage({ type: "done", result }),
    (err: unknown) => scope.postMessage({ type: "failed", message: err instanceof Error ? err.message : String(err) }),
  );
};
