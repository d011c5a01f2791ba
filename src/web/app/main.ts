// The browser app's page: pick, drop or fetch (?url=) a trace; a Web Worker
// decodes it with the command's own code and sends back the summary; the page
// shows it as tables, hands a Perfetto protobuf to ui.perfetto.dev, and lets
// the user download every format the command writes, with its filters.
//
// Each job runs in a fresh worker; Cancel terminates it. Messages are the
// command's (what it prints on stderr), never a JavaScript stack.

import { fmtDur } from "../../sinks/summary.js";
import type { JobResult } from "../protocol.js";
import { byId, bytes, h, int } from "./dom.js";
import { cancelRunning, fetchTrace, loadFormats, runJob, showError, showMessages } from "./jobs.js";
import { pick, renderOutputs } from "./outputs.js";
import { state, type Trace } from "./state.js";
import { fact, renderSummary, type SummaryJSON } from "./summary-view.js";

/** A trace the user can switch to: a picked or dropped file, or a URL (fetched once, on first use). */
interface Entry {
  label: string;
  get(): Promise<Trace>;
}


let entries: Entry[] = [];
let currentEntry = -1;

// ---------------------------------------------------------------------------
// Getting traces

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
  for (const u of state.objectURLs) URL.revokeObjectURL(u);
  state.objectURLs = [];
  state.summaryBlob = null;
  state.current = null;
  const r = byId("result");
  r.hidden = true;
  r.removeAttribute("data-ready");
  r.replaceChildren();
}

async function load(t: Trace): Promise<void> {
  clearResult();
  state.current = t;
  const box = byId("messages");
  box.replaceChildren();
  let r: JobResult;
  try {
    r = await runJob({ type: "job", format: "summary", args: ["--json"], source: t.blob, name: t.name, mtime: t.mtime }, `Reading ${t.name}`);
  } catch (e) {
    if (state.current === t) showError(box, e);
    return;
  }
  if (state.current !== t) return;
  showMessages(box, r);
  if (r.blob === null) return;
  let s: SummaryJSON;
  try {
    s = JSON.parse(await r.blob.text()) as SummaryJSON;
  } catch (e) {
    showError(box, e);
    return;
  }
  state.summaryBlob = r.blob;
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
  byId("cancel").addEventListener("click", () => cancelRunning());
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") cancelRunning();
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
      state.formats = f;
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
