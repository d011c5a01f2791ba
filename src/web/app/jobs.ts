// Jobs: each conversion runs in a fresh Web Worker (Cancel terminates it),
// fetching a ?url= trace, the progress bar, and messages (the command's
// stderr lines, or "Cancelled.", never a stack).

import type { FormatInfo, JobRequest, JobResult, Progress, WorkerReply } from "../protocol.js";
import { byId, bytes, h, int } from "./dom.js";
import type { Trace } from "./state.js";

export class Cancelled extends Error {}

const WORKER_URL = "worker.js";

let running: { cancel(): void } | null = null;

/** Cancels the job or fetch under way, if any; true if there was one. */
export function cancelRunning(): boolean {
  if (running === null) return false;
  running.cancel();
  return true;
}

function messageEl(text: string, code: number): HTMLElement {
  const warning = text.startsWith("warning: ");
  const cls = warning ? "msg warning" : code === 0 ? "msg note" : "msg error";
  return h("p", { class: cls, role: warning || code === 0 ? "status" : "alert", "data-code": code }, text);
}

/** Shows a job's messages (the command's stderr lines) in `box`. */
export function showMessages(box: HTMLElement, r: JobResult): void {
  box.replaceChildren(...r.messages.map((m) => messageEl(m, r.code)));
}

export function showError(box: HTMLElement, e: unknown): void {
  if (e instanceof Cancelled) {
    box.replaceChildren(h("p", { class: "msg note", role: "status" }, "Cancelled."));
    return;
  }
  // A message, never a stack.
  const msg = e instanceof Error ? e.message : String(e);
  box.replaceChildren(h("p", { class: "msg error", role: "alert" }, msg.startsWith("cannot ") ? msg : `internal error: ${msg}`));
}

function showProgress(label: string, p: Progress | null): void {
  byId("progress").hidden = false;
  byId("progress-label").textContent = label;
  const bar = byId<HTMLProgressElement>("progress-bar");
  const text = byId("progress-text");
  if (p === null) {
    bar.removeAttribute("value");
    text.textContent = "starting…";
    return;
  }
  bar.max = Math.max(1, p.total);
  bar.value = Math.min(p.bytes, p.total);
  const rate = p.secs > 0 ? ` · ${(p.events / p.secs / 1e6).toFixed(2)} M events/s` : "";
  text.textContent = `${bytes(p.bytes)} of ${bytes(p.total)} · ${int(p.generations)} generations · ${int(p.events)} events${rate}`;
}

function hideProgress(): void {
  byId("progress").hidden = true;
}

function setBusy(on: boolean): void {
  document.body.classList.toggle("busy", on);
  for (const b of document.querySelectorAll<HTMLButtonElement>("button.needs-idle")) b.disabled = on;
}

/** Runs one conversion in a fresh worker, showing its progress; Cancel rejects with Cancelled. */
export function runJob(req: JobRequest, label: string): Promise<JobResult> {
  running?.cancel();
  return new Promise<JobResult>((resolve, reject) => {
    const w = new Worker(WORKER_URL);
    const finish = () => {
      w.terminate();
      if (running === job) running = null;
      hideProgress();
      setBusy(false);
    };
    const job = {
      cancel() {
        finish();
        reject(new Cancelled("cancelled"));
      },
    };
    running = job;
    setBusy(true);
    showProgress(label, null);
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      const m = e.data;
      if (m.type === "progress") showProgress(label, m.progress);
      else if (m.type === "done") {
        finish();
        resolve(m.result);
      } else if (m.type === "failed") {
        finish();
        reject(new Error(m.message));
      }
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      finish();
      reject(new Error(e.message || "the worker stopped (out of memory?)"));
    };
    w.postMessage(req);
  });
}

/** Asks a worker for the formats it writes (the command's registry). */
export function loadFormats(): Promise<FormatInfo[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_URL);
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      if (e.data.type === "formats") resolve(e.data.formats);
      w.terminate();
    };
    w.onerror = (e) => {
      e.preventDefault();
      w.terminate();
      reject(new Error(e.message || "the worker could not start"));
    };
    w.postMessage({ type: "formats" });
  });
}

/** Reads a URL into a Blob (in 16 MB pieces), with progress. */
export async function fetchTrace(url: string): Promise<Trace> {
  const abs = new URL(url, location.href);
  const name = decodeURIComponent(abs.pathname.slice(abs.pathname.lastIndexOf("/") + 1)) || "trace";
  const ctl = new AbortController();
  running?.cancel();
  let rejectCancel: (e: Error) => void = () => undefined;
  const cancelled = new Promise<never>((_, rej) => (rejectCancel = rej));
  const job = {
    cancel() {
      ctl.abort();
      rejectCancel(new Cancelled("cancelled"));
    },
  };
  running = job;
  setBusy(true);
  const label = `Fetching ${abs.href}`;
  showProgress(label, null);
  try {
    const work = (async () => {
      let res: Response;
      try {
        res = await fetch(abs, { signal: ctl.signal });
      } catch (e) {
        if (ctl.signal.aborted) throw new Cancelled("cancelled");
        throw new Error(`cannot fetch ${abs.href}: ${(e as Error).message} (unreachable, or the server does not allow this page to read it: CORS)`);
      }
      if (!res.ok || res.body === null) throw new Error(`cannot fetch ${abs.href}: HTTP ${res.status} ${res.statusText}`);
      const total = Number(res.headers.get("content-length") ?? "0");
      const reader = res.body.getReader();
      const parts: Blob[] = [];
      let chunks: Uint8Array[] = [];
      let inChunks = 0;
      let got = 0;
      const t0 = performance.now();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        inChunks += value.length;
        got += value.length;
        if (inChunks >= 16 << 20) {
          parts.push(new Blob(chunks as BlobPart[]));
          chunks = [];
          inChunks = 0;
        }
        showProgress(label, { bytes: got, total: Math.max(total, got), generations: 0, events: 0, secs: (performance.now() - t0) / 1000 });
      }
      parts.push(new Blob(chunks as BlobPart[]));
      const lm = Date.parse(res.headers.get("last-modified") ?? "");
      return { blob: new Blob(parts), name, mtime: Number.isNaN(lm) ? Date.now() : lm };
    })();
    return await Promise.race([work, cancelled]);
  } finally {
    if (running === job) running = null;
    hideProgress();
    setBusy(false);
  }
}

