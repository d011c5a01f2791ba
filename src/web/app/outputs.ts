// The outputs of a loaded trace: the command's filters as form controls,
// Open in Perfetto, and a download for every format the worker offers.

import type { FormatInfo, JobResult } from "../protocol.js";
import { byId, bytes, h } from "./dom.js";
import { runJob, showError, showMessages } from "./jobs.js";
import { openPerfetto, perfettoOrigin } from "./perfetto.js";
import { state, type Trace } from "./state.js";
import { markPicked, type SummaryJSON } from "./summary-view.js";

/** The largest trace handed to Perfetto: it is posted as one ArrayBuffer, held whole by this tab and by Perfetto's. */
const PERFETTO_MAX = 2 ** 31;

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

export function pick(kind: "task" | "region", type: string | null): void {
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
  for (const f of state.formats) {
    if (f.name === "summary") {
      out.push({ format: f, extra: [], label: "summary", file: (s) => `${s}.summary.txt` });
      out.push({ format: { ...f, summary: "the same summary as JSON (--json), all times in ns" }, extra: ["--json"], label: "summary --json", file: (s) => `${s}.summary.json` });
    } else {
      out.push({ format: f, extra: [], label: f.name, file: (s) => s + f.ext });
    }
  }
  return out;
}

export function renderOutputs(t: Trace, s: SummaryJSON): HTMLElement {
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
  state.objectURLs.push(url);
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
  if (k.format.name === "summary" && k.extra.includes("--json") && state.summaryBlob !== null) {
    // The summary does not depend on the filters: the one made on loading is the file.
    r = { blob: state.summaryBlob, code: 0, messages: [], version: 0, events: 0, generations: 0, bytes: 0, secs: 0 };
  } else {
    try {
      r = await runJob({ type: "job", format: k.format.name, args, source: t.blob, name: t.name, mtime: t.mtime }, `Converting ${t.name} to ${k.label}`);
    } catch (e) {
      showError(msgs, e);
      return;
    }
  }
  if (state.current !== t) return;
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

