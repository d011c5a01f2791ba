// The browser app's page: pick, drop or fetch (?url=) a trace; a Web Worker
// decodes it with the command's own code and sends back the summary; the page
// shows it as tables, hands a Perfetto protobuf to ui.perfetto.dev, and lets
// the user download every format the command writes, with its filters.
//
// Each job runs in a fresh worker; Cancel terminates it. Messages are the
// command's (what it prints on stderr), never a JavaScript stack.

import { fmtDur } from "../../sinks/summary.js";
import type { FormatInfo, JobRequest, JobResult, Progress, WorkerReply } from "../protocol.js";
import { byId, bytes, h, int } from "./dom.js";
import { openPerfetto, perfettoOrigin } from "./perfetto.js";
import { fact, markPicked, renderSummary, type SummaryJSON } from "./summary-view.js";

interface Trace {
  blob: Blob;
  name: string;
  mtime: number | null;
}

/** A trace the user can switch to: a picked or dropped file, or a URL (fetched once, on first use). */
interface Entry {
  label: string;
  get(): Promise<Trace>;
}

class Cancelled extends Error {}

const WORKER_URL = "worker.js";
/** The largest trace handed to Perfetto: it is posted as one ArrayBuffer, held whole by this tab and by Perfetto's. */
const PERFETTO_MAX = 2 ** 31;

let entries: Entry[] = [];
let currentEntry = -1;
let current: Trace | null = null;
let summaryBlob: Blob | null = null;
let formats: FormatInfo[] = [];
let running: { cancel(): void } | null = null;
/** Object URLs of outputs made for the current trace (revoked when another is loaded). */
let objectURLs: string[] = [];

// ---------------------------------------------------------------------------
// Messages and progress

function messageEl(text: string, code: number): HTMLElement {
  const warning = text.startsWith("warning: ");
  const cls = warning ? "msg warning" : code === 0 ? "msg note" : "msg error";
  return h("p", { class: cls, role: warning || code === 0 ? "status" : "alert", "data-code": code }, text);
}

/** Shows a job's messages (the command's stderr lines) in `box`. */
function showMessages(box: HTMLElement, r: JobResult): void {
  box.replaceChildren(...r.messages.map((m) => messageEl(m, r.code)));
}

function showError(box: HTMLElement, e: unknown): void {
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

// ---------------------------------------------------------------------------
// Jobs in workers

/** Runs one conversion in a fresh worker, showing its progress; Cancel rejects with Cancelled. */
function runJob(req: JobRequest, label: string): Promise<JobResult> {
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
function loadFormats(): Promise<FormatInfo[]> {
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

// ---------------------------------------------------------------------------
// Getting traces

/** Reads a URL into a Blob (in 16 MB pieces), with progress. */
async function fetchTrace(url: string): Promise<Trace> {
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

function setEntries(list: Entry[]): void {
  entries = list;
  const nav = byId("traces");
  nav.hidden = list.length < 2;
  byId("trace-list").replaceChildren(
    ...list.map((e, i) => {
      const b = h("button", { type: "button", "data-index": i }, e.label);
      b.addEventListener("click", () => void openEntry(i));
      return h("li", {}, b);
    }),
  );
}

async function openEntry(i: number): Promise<void> {
  const e = entries[i];
  if (e === undefined) return;
  currentEntry = i;
  for (const b of byId("trace-list").querySelectorAll("button")) {
    if (Number(b.dataset["index"]) === i) b.setAttribute("aria-current", "true");
    else b.removeAttribute("aria-current");
  }
  const box = byId("messages");
  box.replaceChildren();
  clearResult();
  let t: Trace;
  try {
    t = await e.get();
  } catch (err) {
    if (currentEntry === i) showError(box, err);
    return;
  }
  if (currentEntry === i) await load(t);
}

function filesToEntries(files: FileList | File[]): Entry[] {
  return [...files].map((f) => ({ label: f.name, get: async () => ({ blob: f, name: f.name, mtime: f.lastModified }) }));
}

function urlEntries(urls: string[]): Entry[] {
  return urls.map((u) => {
    let cached: Promise<Trace> | null = null;
    const label = decodeURIComponent(new URL(u, location.href).pathname.split("/").pop() || u);
    return {
      label,
      get() {
        if (cached === null) {
          cached = fetchTrace(u);
          cached.catch(() => (cached = null));
        }
        return cached;
      },
    };
  });
}

// ---------------------------------------------------------------------------
// Loading a trace: the summary

function clearResult(): void {
  for (const u of objectURLs) URL.revokeObjectURL(u);
  objectURLs = [];
  summaryBlob = null;
  current = null;
  const r = byId("result");
  r.hidden = true;
  r.removeAttribute("data-ready");
  r.replaceChildren();
}

async function load(t: Trace): Promise<void> {
  clearResult();
  current = t;
  const box = byId("messages");
  box.replaceChildren();
  let r: JobResult;
  try {
    r = await runJob({ type: "job", format: "summary", args: ["--json"], source: t.blob, name: t.name, mtime: t.mtime }, `Reading ${t.name}`);
  } catch (e) {
    if (current === t) showError(box, e);
    return;
  }
  if (current !== t) return;
  showMessages(box, r);
  if (r.blob === null) return;
  let s: SummaryJSON;
  try {
    s = JSON.parse(await r.blob.text()) as SummaryJSON;
  } catch (e) {
    showError(box, e);
    return;
  }
  summaryBlob = r.blob;
  renderResult(t, s, r);
}

function versionText(v: number): string {
  return v === 0 ? "unknown" : `go 1.${v} trace`;
}

function renderResult(t: Trace, s: SummaryJSON, r: JobResult): void {
  const root = byId("result");
  const goroutines = s.goroutines.reduce((a, g) => a + g.count, 0);
  const rate = r.secs > 0 ? `${(r.events / r.secs / 1e6).toFixed(2)} M events/s` : "";
  const heading = h("h2", { id: "result-h", tabindex: "-1" }, t.name);
  const overview = h(
    "dl",
    { class: "facts", id: "overview" },
    fact("Format", { "data-field": "version", "data-value": r.version }, versionText(r.version)),
    fact("Size", { "data-field": "bytes", "data-value": t.blob.size }, bytes(t.blob.size)),
    fact("Traced", { "data-field": "duration", "data-value": s.duration, title: `${int(s.duration)} ns` }, fmtDur(s.duration)),
    fact("Events", { "data-field": "events", "data-value": r.events }, int(r.events)),
    fact("Generations", { "data-field": "generations", "data-value": r.generations }, int(r.generations)),
    fact("Goroutines", { "data-field": "goroutines", "data-value": goroutines }, int(goroutines)),
    fact("Read in", { "data-field": "secs", "data-value": r.secs.toFixed(3) }, `${r.secs.toFixed(2)} s`, rate !== "" ? ` (${rate})` : ""),
  );
  const outputs = renderOutputs(t, s);
  const summary = renderSummary(s, {
    onTask: (type) => pick("task", type),
    onRegion: (type) => pick("region", type),
  });
  root.replaceChildren(
    heading,
    overview,
    h("p", { class: "skip" }, h("a", { href: "#outputs" }, "Skip to the outputs: Open in Perfetto, downloads")),
    h("h2", {}, "Summary"),
    h("p", { class: "help" }, "What ", h("code", {}, "trace-convert --to summary"), " prints: the numbers of go tool trace's /goroutines, /usertasks, /userregions and /mmu pages."),
    summary,
    outputs,
  );
  root.hidden = false;
  root.setAttribute("data-ready", "true");
  heading.focus();
}

// ---------------------------------------------------------------------------
// Outputs: filters, Perfetto, downloads

interface Field {
  id: string;
  flag: string;
  label: string;
  help: string;
  kind: "text" | "check";
  placeholder?: string;
  list?: string;
}

const FIELDS: Field[] = [
  { id: "f-start", flag: "--start", label: "From", help: "start of a time window, from the trace start (e.g. 1.5s, 200ms)", kind: "text", placeholder: "e.g. 1.5s" },
  { id: "f-end", flag: "--end", label: "To", help: "end of the window", kind: "text", placeholder: "e.g. 2s" },
  { id: "f-goroutine", flag: "--goroutine", label: "Goroutine", help: "only this goroutine ID", kind: "text", placeholder: "ID" },
  { id: "f-task", flag: "--task", label: "Task", help: "only this task type: its subtasks, goroutines and annotations", kind: "text", list: "task-types" },
  { id: "f-region", flag: "--region", label: "Region", help: "pprof: only time inside regions of this type", kind: "text", list: "region-types" },
  { id: "f-service", flag: "--service-name", label: "Service name", help: "OTLP: service.name (default: the program's name)", kind: "text" },
  { id: "f-labels", flag: "--labels", label: "pprof labels", help: "add goroutine, task and region labels to pprof samples", kind: "check" },
  { id: "f-annotations", flag: "--annotations-only", label: "Annotations only", help: "Perfetto: only tasks, regions and logs", kind: "check" },
  { id: "f-redact", flag: "--redact", label: "Redact", help: "replace log messages, non-standard-library function names and paths with stable hashes", kind: "check" },
];

/** The filters as the command's options. */
function filterArgs(): string[] {
  const args: string[] = [];
  for (const f of FIELDS) {
    const el = document.getElementById(f.id) as HTMLInputElement | null;
    if (el === null) continue;
    if (f.kind === "check") {
      if (el.checked) args.push(f.flag);
    } else if (el.value.trim() !== "") {
      args.push(f.flag, f.id === "f-task" || f.id === "f-region" || f.id === "f-service" ? el.value : el.value.trim());
    }
  }
  return args;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function stem(name: string): string {
  return name.replace(/\.(trace|out|bin)$/, "") || "trace";
}

function commandLine(name: string, format: string, args: string[], file: string | null): string {
  return ["trace-convert", name, "--to", format, ...args, ...(file !== null ? ["-o", file] : [])].map(shellQuote).join(" ");
}

function updateOptionsLine(): void {
  const el = document.getElementById("cmd-options");
  if (el === null) return;
  const a = filterArgs();
  el.textContent = a.length === 0 ? "(none)" : a.map(shellQuote).join(" ");
  markPicked(byId("result"), "tasks-table", (document.getElementById("f-task") as HTMLInputElement | null)?.value ?? null);
  markPicked(byId("result"), "regions-table", (document.getElementById("f-region") as HTMLInputElement | null)?.value ?? null);
  const task = (document.getElementById("f-task") as HTMLInputElement | null)?.value ?? "";
  const chip = document.getElementById("task-chip");
  if (chip !== null) chip.textContent = task === "" ? "" : `Outputs are filtered to task type "${task}".`;
}

function pick(kind: "task" | "region", type: string | null): void {
  const el = document.getElementById(kind === "task" ? "f-task" : "f-region") as HTMLInputElement | null;
  if (el === null) return;
  el.value = type ?? "";
  updateOptionsLine();
}

interface DownloadKind {
  format: FormatInfo;
  /** Options of this download besides the filters. */
  extra: string[];
  label: string;
  file: (stem: string) => string;
}

function downloadKinds(): DownloadKind[] {
  const out: DownloadKind[] = [];
  for (const f of formats) {
    if (f.name === "summary") {
      out.push({ format: f, extra: [], label: "summary", file: (s) => `${s}.summary.txt` });
      out.push({ format: { ...f, summary: "the same summary as JSON (--json), all times in ns" }, extra: ["--json"], label: "summary --json", file: (s) => `${s}.summary.json` });
    } else {
      out.push({ format: f, extra: [], label: f.name, file: (s) => s + f.ext });
    }
  }
  return out;
}

function renderOutputs(t: Trace, s: SummaryJSON): HTMLElement {
  const origin = perfettoOrigin();
  const fields = FIELDS.map((f) => {
    const helpId = `${f.id}-help`;
    if (f.kind === "check") {
      return h(
        "div",
        { class: "field check" },
        h("input", { type: "checkbox", id: f.id, name: f.flag, "aria-describedby": helpId }),
        h("label", { for: f.id }, f.label, " ", h("code", {}, f.flag)),
        h("span", { class: "help", id: helpId }, f.help),
      );
    }
    return h(
      "div",
      { class: "field" },
      h("label", { for: f.id }, f.label, " ", h("code", {}, f.flag)),
      h("input", { type: "text", id: f.id, name: f.flag, placeholder: f.placeholder ?? null, list: f.list ?? null, "aria-describedby": helpId, autocomplete: "off", spellcheck: "false" }),
      h("span", { class: "help", id: helpId }, f.help),
    );
  });
  const form = h(
    "form",
    { id: "filters" },
    h("fieldset", {}, h("legend", {}, "Filters: the command's options"), fields),
    h("datalist", { id: "task-types" }, s.tasks.map((x) => h("option", { value: x.type }))),
    h("datalist", { id: "region-types" }, [...new Set(s.regions.map((x) => x.type))].map((x) => h("option", { value: x }))),
    h("p", { class: "cmd" }, "Options: ", h("code", { id: "cmd-options" }, "(none)")),
    h("p", { id: "task-chip", class: "chip", role: "status" }),
  );
  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("input", updateOptionsLine);
  form.addEventListener("change", updateOptionsLine);

  const msgs = h("div", { id: "output-messages", "aria-live": "polite" });
  const saved = h("ul", { id: "saved" });
  const savedBox = h("div", { id: "saved-box", hidden: true }, h("h3", {}, "Made in this tab"), saved);

  const perfettoBtn = h("button", { type: "button", id: "perfetto-btn", class: "primary needs-idle" }, "Open in Perfetto");
  perfettoBtn.addEventListener("click", () => void openInPerfetto(t, origin, msgs));

  const list = h(
    "ul",
    { class: "downloads" },
    downloadKinds().map((k) => {
      const b = h("button", { type: "button", class: "needs-idle", "data-format": k.format.name, "data-extra": k.extra.join(" ") }, k.label);
      b.addEventListener("click", () => void download(t, k, msgs, saved, savedBox));
      return h("li", {}, b, " ", h("span", { class: "help" }, k.format.summary));
    }),
  );
  return h(
    "section",
    { id: "outputs", "aria-labelledby": "outputs-h" },
    h("h2", { id: "outputs-h" }, "Outputs"),
    h("p", { class: "help" }, "Made in this tab by the command's own code, byte for byte what ", h("code", {}, "trace-convert"), " writes for the same trace and options."),
    form,
    h(
      "div",
      { class: "perfetto" },
      perfettoBtn,
      h("p", { class: "help" }, "Converts the trace to Perfetto's protobuf here and hands it to ", h("strong", { id: "perfetto-origin" }, origin), " in a new tab (postMessage from this tab to that one; nothing is uploaded)."),
    ),
    h("h3", {}, "Download"),
    list,
    msgs,
    savedBox,
  );
}

function saveBlob(blob: Blob, file: string): string {
  const url = URL.createObjectURL(blob);
  objectURLs.push(url);
  const a = h("a", { href: url, download: file, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  return url;
}

async function download(t: Trace, k: DownloadKind, msgs: HTMLElement, saved: HTMLElement, savedBox: HTMLElement): Promise<void> {
  const args = [...filterArgs(), ...k.extra];
  const file = k.file(stem(t.name));
  msgs.replaceChildren();
  let r: JobResult;
  if (k.format.name === "summary" && k.extra.includes("--json") && summaryBlob !== null) {
    // The summary does not depend on the filters: the one made on loading is the file.
    r = { blob: summaryBlob, code: 0, messages: [], version: 0, events: 0, generations: 0, bytes: 0, secs: 0 };
  } else {
    try {
      r = await runJob({ type: "job", format: k.format.name, args, source: t.blob, name: t.name, mtime: t.mtime }, `Converting ${t.name} to ${k.label}`);
    } catch (e) {
      showError(msgs, e);
      return;
    }
  }
  if (current !== t) return;
  showMessages(msgs, r);
  if (r.blob === null) return;
  const url = saveBlob(r.blob, file);
  savedBox.hidden = false;
  saved.prepend(
    h(
      "li",
      { "data-format": k.format.name },
      h("a", { href: url, download: file }, file),
      ` (${bytes(r.blob.size)}${r.secs > 0 ? `, ${r.secs.toFixed(2)} s` : ""}) `,
      h("code", { class: "cmd" }, commandLine(t.name, k.format.name, args, file)),
    ),
  );
}

async function openInPerfetto(t: Trace, origin: string, msgs: HTMLElement): Promise<void> {
  // Opened in the click, before anything is awaited: pop-up blockers allow only that.
  const handoff = openPerfetto(origin);
  msgs.replaceChildren();
  if (handoff === null) {
    msgs.replaceChildren(h("p", { class: "msg error", role: "alert" }, `The browser blocked the new window: allow pop-ups for this page, or download perfetto-proto and open the file at ${origin}.`));
    return;
  }
  const args = filterArgs();
  let r: JobResult;
  try {
    r = await runJob({ type: "job", format: "perfetto-proto", args, source: t.blob, name: t.name, mtime: t.mtime }, `Converting ${t.name} for Perfetto`);
  } catch (e) {
    handoff.abort();
    showError(msgs, e);
    return;
  }
  showMessages(msgs, r);
  if (r.blob === null) {
    handoff.abort();
    return;
  }
  if (r.blob.size > PERFETTO_MAX) {
    handoff.abort();
    msgs.append(
      h(
        "p",
        { class: "msg error", role: "alert" },
        `The Perfetto trace is ${bytes(r.blob.size)}: too big to hand to ${origin} in one piece. Narrow it with the filters (a time window, a goroutine, a task, annotations only), or download perfetto-proto and open it with Perfetto's trace_processor.`,
      ),
    );
    return;
  }
  const status = h("p", { class: "msg note", role: "status", id: "perfetto-status" }, `Waiting for ${origin} to be ready…`);
  msgs.append(status);
  try {
    const buf = await r.blob.arrayBuffer();
    const title = args.length === 0 ? t.name : `${t.name} (${args.join(" ")})`;
    await handoff.send(buf, title, `${stem(t.name)}.pftrace`);
    status.textContent = `Sent ${bytes(r.blob.size)} to ${origin}.`;
    status.setAttribute("data-sent", String(r.blob.size));
  } catch (e) {
    handoff.abort();
    status.remove();
    msgs.append(h("p", { class: "msg error", role: "alert" }, e instanceof Error ? e.message : String(e)));
  }
}

// ---------------------------------------------------------------------------
// Start

function start(): void {
  const input = byId<HTMLInputElement>("file");
  input.addEventListener("change", () => {
    if (input.files === null || input.files.length === 0) return;
    setEntries(filesToEntries(input.files));
    // Cleared, so that picking the same file again reads it again.
    input.value = "";
    void openEntry(0);
  });
  byId("cancel").addEventListener("click", () => running?.cancel());
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && running !== null) running.cancel();
  });
  let depth = 0;
  document.addEventListener("dragenter", (e) => {
    if (!e.dataTransfer?.types.includes("Files")) return;
    depth++;
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove("dragging");
  });
  document.addEventListener("dragover", (e) => {
    if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
  });
  document.addEventListener("drop", (e) => {
    depth = 0;
    document.body.classList.remove("dragging");
    const files = e.dataTransfer?.files;
    if (files === undefined || files.length === 0) return;
    e.preventDefault();
    setEntries(filesToEntries(files));
    void openEntry(0);
  });
  // Errors of the page itself: a message, never a stack.
  window.addEventListener("error", (e) => showError(byId("messages"), e.error ?? e.message));
  window.addEventListener("unhandledrejection", (e) => showError(byId("messages"), e.reason));

  loadFormats().then(
    (f) => {
      formats = f;
      document.body.setAttribute("data-formats", String(f.length));
      // The app is ready (its worker loaded and answered): bench/web.ts reads this mark.
      performance.mark("tc-ready");
      const urls = new URLSearchParams(location.search).getAll("url").filter((u) => u !== "");
      if (urls.length > 0) {
        setEntries(urlEntries(urls));
        void openEntry(0);
      }
    },
    (e) => showError(byId("messages"), e),
  );
}

start();
