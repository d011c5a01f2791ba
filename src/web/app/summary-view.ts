// The summary of a trace as tables: what `trace-convert --to summary` prints
// (the numbers of its --json output, which the worker made), with the latency
// histograms drawn.
//
// Every number cell carries its exact value in data-value (ns for times) and
// the field name in data-field, so that it can be checked against the JSON.

import type { GoroutineGroup, Latency, TraceSummary } from "../../convert/summary.js";
import { fmtDur } from "../../sinks/summary.js";
import { h, int, svg } from "./dom.js";

export type SummaryJSON = TraceSummary & { trace: string };

export interface SummaryHandlers {
  /** A task type was picked (null: the pick was cleared). */
  onTask(type: string | null): void;
  onRegion(type: string | null): void;
}

/** A duration cell: human text, exact ns in data-value and the tooltip. */
function dur(field: string, ns: number): HTMLTableCellElement {
  return h("td", { "data-field": field, "data-value": ns, title: `${int(ns)} ns` }, fmtDur(ns));
}

function num(field: string, n: number): HTMLTableCellElement {
  return h("td", { "data-field": field, "data-value": n }, int(n));
}

function latencyCells(l: Latency): HTMLTableCellElement[] {
  if (l.count === 0) return ["p50", "p90", "p99", "max"].map((f) => h("td", { "data-field": f, "data-value": "" }, "-"));
  return [dur("p50", l.p50), dur("p90", l.p90), dur("p99", l.p99), dur("max", l.max)];
}

function th(text: string, cls?: string): HTMLTableCellElement {
  return h("th", { scope: "col", class: cls }, text);
}

function table(id: string, caption: string, head: HTMLTableCellElement[], rows: HTMLTableRowElement[], note?: string): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h("table", { id }, h("caption", {}, caption, note !== undefined ? h("span", { class: "note" }, " ", note) : null), h("thead", {}, h("tr", {}, head)), h("tbody", {}, rows)),
  );
}

/** One term of a <dl>, with its value: kept together when the list wraps. */
export function fact(term: string, attrs: Record<string, string | number>, ...value: (string | Node)[]): HTMLElement {
  return h("div", {}, h("dt", {}, term), h("dd", attrs, ...value));
}

// ---- histograms ----

const LOG_DIV = Math.log(Math.pow(10, 1 / 5));
/** go tool trace's bucket lower bound (src/convert/summary.ts histogramBucketMin). */
const bucketMin = (b: number) => Math.trunc(Math.exp(b * LOG_DIV));

function bucketOf(lower: number): number {
  let b = Math.max(0, Math.floor(Math.log(Math.max(lower, 1)) / LOG_DIV) - 1);
  while (bucketMin(b) < lower) b++;
  return b;
}

const BAR_W = 6;
const BAR_GAP = 1;
const HIST_H = 20;

/** The latency histogram (go tool trace's buckets, each 10^(1/5) wide) as bars, empty buckets included. */
export function histogram(l: Latency, what: string): HTMLElement | string {
  if (l.histogram.length === 0) return "";
  const buckets = l.histogram.map(([lower, n]) => [bucketOf(lower), n] as const);
  const first = buckets[0]![0];
  const last = buckets[buckets.length - 1]![0];
  const byBucket = new Map(buckets);
  const peak = Math.max(...buckets.map(([, n]) => n));
  const width = (last - first + 1) * (BAR_W + BAR_GAP);
  const bars: SVGElement[] = [];
  for (let b = first; b <= last; b++) {
    const n = byBucket.get(b) ?? 0;
    // An empty bucket is a 1-pixel tick, so the gaps between latencies show.
    const hgt = n === 0 ? 1 : Math.max(2, Math.round((n / peak) * HIST_H));
    bars.push(
      svg(
        "rect",
        { x: (b - first) * (BAR_W + BAR_GAP), y: HIST_H - hgt, width: BAR_W, height: hgt, class: n === 0 ? "empty" : "bar" },
        svg("title", {}, `${fmtDur(bucketMin(b))} to ${fmtDur(bucketMin(b + 1))}: ${int(n)}`),
      ),
    );
  }
  const label = `Histogram of ${int(l.count)} ${what}: from ${fmtDur(bucketMin(first))} to ${fmtDur(bucketMin(last + 1))}, ${buckets.length} non-empty bucket${buckets.length === 1 ? "" : "s"}`;
  return h(
    "figure",
    { class: "hist" },
    svg("svg", { width, height: HIST_H, viewBox: `0 0 ${width} ${HIST_H}`, role: "img", "aria-label": label }, bars),
    h("figcaption", {}, h("span", {}, fmtDur(bucketMin(first))), h("span", {}, fmtDur(bucketMin(last + 1)))),
  );
}

// ---- goroutines ----

const PARTS: [keyof GoroutineGroup, string][] = [
  ["exec", "exec"],
  ["schedWait", "sched"],
  ["syncBlock", "sync"],
  ["networkBlock", "net"],
  ["syscall", "syscall"],
  ["otherBlock", "other"],
];

/** How a group's time was spent, as one stacked bar. */
function breakdown(g: GoroutineGroup): Element | string {
  if (g.total <= 0) return "";
  const W = 120;
  let x = 0;
  const rects: SVGElement[] = [];
  const said: string[] = [];
  for (const [k, name] of PARTS) {
    const v = k === "syscall" ? g.syscall + g.syscallBlock : (g[k] as number);
    if (v <= 0) continue;
    const w = (v / g.total) * W;
    rects.push(svg("rect", { x, y: 0, width: Math.max(w, 0.5), height: 12, class: `part-${name}` }, svg("title", {}, `${name}: ${fmtDur(v)} (${((v / g.total) * 100).toFixed(1)}%)`)));
    said.push(`${name} ${((v / g.total) * 100).toFixed(0)}%`);
    x += w;
  }
  return svg("svg", { width: W, height: 12, viewBox: `0 0 ${W} 12`, role: "img", "aria-label": said.join(", "), class: "breakdown" }, rects);
}

function goroutineSection(s: SummaryJSON): HTMLElement {
  const rows = s.goroutines.map((g) =>
    h(
      "tr",
      { "data-key": g.name },
      h("th", { scope: "row", "data-field": "name", title: g.name }, g.name === "" ? "(no stack seen)" : g.name),
      num("count", g.count),
      dur("total", g.total),
      dur("exec", g.exec),
      dur("schedWait", g.schedWait),
      dur("syncBlock", g.syncBlock),
      dur("networkBlock", g.networkBlock),
      h("td", { "data-field": "syscallAll", "data-value": g.syscall + g.syscallBlock, title: `${int(g.syscall + g.syscallBlock)} ns` }, fmtDur(g.syscall + g.syscallBlock)),
      dur("otherBlock", g.otherBlock),
      dur("gc", g.gc),
      h("td", {}, breakdown(g)),
    ),
  );
  const legend = h(
    "p",
    { class: "legend" },
    PARTS.map(([, name]) => h("span", {}, svg("svg", { width: 10, height: 10, "aria-hidden": "true" }, svg("rect", { width: 10, height: 10, class: `part-${name}` })), ` ${name} `)),
  );
  return h(
    "section",
    { "aria-labelledby": "goroutines-h" },
    h("h3", { id: "goroutines-h" }, "Goroutines by start function"),
    h(
      "p",
      { class: "help" },
      "Times summed over each group. Sched: runnable, waiting to run. Sync / Net / Other: blocked on channels, select and sync primitives / on the network / for other reasons (sleep, GC...). Syscall: in syscalls. GC: in GC work (overlaps the rest).",
    ),
    s.goroutines.length === 0
      ? h("p", {}, "(none)")
      : table(
          "goroutines-table",
          `${int(s.goroutines.length)} groups`,
          [th("Start function"), th("Count", "n"), th("Total", "n"), th("Exec", "n"), th("Sched", "n"), th("Sync", "n"), th("Net", "n"), th("Syscall", "n"), th("Other", "n"), th("GC", "n"), th("Time spent")],
          rows,
        ),
    s.goroutines.length === 0 ? null : legend,
  );
}

// ---- tasks and regions ----

function pickButton(kind: "task" | "region", type: string, onPick: (t: string | null) => void): HTMLButtonElement {
  const label = type === "" ? '""' : type;
  const b = h("button", { type: "button", class: "pick", "aria-pressed": "false", "data-type": type, title: `Filter the outputs to ${kind} ${label}` }, label);
  b.addEventListener("click", () => onPick(b.getAttribute("aria-pressed") === "true" ? null : type));
  return b;
}

function taskSection(s: SummaryJSON, onTask: (t: string | null) => void): HTMLElement {
  const rows = s.tasks.map((t) =>
    h(
      "tr",
      { "data-key": t.type },
      h("th", { scope: "row", "data-field": "type" }, pickButton("task", t.type, onTask)),
      num("count", t.count),
      num("complete", t.latency.count),
      latencyCells(t.latency),
      h("td", {}, histogram(t.latency, `complete ${t.type === "" ? '""' : t.type} tasks`)),
    ),
  );
  return h(
    "section",
    { "aria-labelledby": "tasks-h" },
    h("h3", { id: "tasks-h" }, "Tasks by type"),
    s.tasks.length === 0
      ? h("p", {}, "(none: the program made no runtime/trace tasks)")
      : [
          h("p", { class: "help" }, "Latency of complete tasks. Pick a task type to filter the outputs below (Perfetto and the downloads) to that task."),
          table("tasks-table", `${int(s.tasks.length)} task types`, [th("Type"), th("Count", "n"), th("Complete", "n"), th("p50", "n"), th("p90", "n"), th("p99", "n"), th("Max", "n"), th("Latency histogram")], rows),
        ],
  );
}

function baseName(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

function regionSection(s: SummaryJSON, onRegion: (t: string | null) => void): HTMLElement {
  const rows = s.regions.map((r) =>
    h(
      "tr",
      { "data-key": `${r.type}\u0000${r.func}\u0000${r.file}:${r.line}` },
      h("th", { scope: "row", "data-field": "type" }, pickButton("region", r.type, onRegion)),
      h("td", { "data-field": "location", title: r.func === "" ? "" : `${r.func} ${r.file}:${r.line}` }, r.func === "" ? "(unknown)" : `${r.func} ${baseName(r.file)}:${r.line}`),
      num("count", r.latency.count),
      latencyCells(r.latency),
      h("td", {}, histogram(r.latency, `"${r.type}" regions`)),
    ),
  );
  return h(
    "section",
    { "aria-labelledby": "regions-h" },
    h("h3", { id: "regions-h" }, "Regions by type and start location"),
    s.regions.length === 0
      ? h("p", {}, "(none: the program made no runtime/trace regions)")
      : [
          h("p", { class: "help" }, "Pick a region type to limit the pprof downloads to time inside regions of that type (--region)."),
          table("regions-table", `${int(s.regions.length)} region types`, [th("Type"), th("Start location"), th("Count", "n"), th("p50", "n"), th("p90", "n"), th("p99", "n"), th("Max", "n"), th("Latency histogram")], rows),
        ],
  );
}

// ---- GC and MMU ----

function gcSection(s: SummaryJSON): HTMLElement {
  const gc = s.gc;
  const share = s.duration > 0 ? ` (${((gc.markTime / s.duration) * 100).toFixed(1)}% of the trace)` : "";
  const rows = gc.stwByReason.map((r) =>
    h(
      "tr",
      { "data-key": r.reason },
      h("th", { scope: "row", "data-field": "reason" }, r.reason),
      num("count", r.latency.count),
      dur("total", r.latency.total),
      latencyCells(r.latency),
      h("td", {}, histogram(r.latency, `"${r.reason}" pauses`)),
    ),
  );
  if (gc.pauses.count > 0) {
    rows.push(
      h(
        "tr",
        { "data-key": "all GC pauses", class: "total" },
        h("th", { scope: "row", "data-field": "reason" }, "all GC pauses"),
        num("count", gc.pauses.count),
        dur("total", gc.pauses.total),
        latencyCells(gc.pauses),
        h("td", {}, histogram(gc.pauses, "GC pauses")),
      ),
    );
  }
  const facts = h(
    "dl",
    { class: "facts", id: "gc-facts" },
    fact("GC cycles", { "data-field": "cycles", "data-value": gc.cycles }, int(gc.cycles)),
    fact("Concurrent mark phase", { "data-field": "markTime", "data-value": gc.markTime, title: `${int(gc.markTime)} ns` }, fmtDur(gc.markTime), share),
    fact("Mark assist (goroutine time)", { "data-field": "assistTime", "data-value": gc.assistTime, title: `${int(gc.assistTime)} ns` }, fmtDur(gc.assistTime)),
    fact("Incremental sweep (goroutine time)", { "data-field": "sweepTime", "data-value": gc.sweepTime, title: `${int(gc.sweepTime)} ns` }, fmtDur(gc.sweepTime)),
  );
  return h(
    "section",
    { "aria-labelledby": "gc-h" },
    h("h3", { id: "gc-h" }, "Garbage collection and pauses"),
    facts,
    gc.stwByReason.length === 0
      ? h("p", {}, "No stop-the-world pauses.")
      : table("pauses-table", "Stop-the-world pauses by reason", [th("Reason"), th("Count", "n"), th("Total", "n"), th("p50", "n"), th("p90", "n"), th("p99", "n"), th("Max", "n"), th("Histogram")], rows),
  );
}

function mmuSection(s: SummaryJSON): HTMLElement {
  let body: HTMLElement;
  if (s.mmu.length === 0) {
    body = h("p", {}, s.duration > 0 ? "Not available: the trace does not record GOMAXPROCS (Go gives no MMU for traces before Go 1.22 either)." : "Not available.");
  } else {
    const rows = s.mmu.map((m) =>
      h(
        "tr",
        { "data-key": String(m.window) },
        h("th", { scope: "row", "data-field": "window", "data-value": m.window }, fmtDur(m.window).replace(/\.0+(?=[a-zµ])/, "")),
        h(
          "td",
          { "data-field": "mmu", "data-value": m.mmu },
          h("meter", { min: 0, max: 1, value: m.mmu, "aria-label": `MMU over ${fmtDur(m.window)} windows` }),
          ` ${(m.mmu * 100).toFixed(1)}%`,
        ),
        h("td", { "data-field": "at", "data-value": m.at, title: `${int(m.at)} ns` }, m.mmu < 1 ? `at +${fmtDur(m.at)}` : ""),
      ),
    );
    body = table("mmu-table", "Minimum mutator utilization (STW, background mark workers, mark assist)", [th("Window"), th("MMU"), th("Worst window")], rows);
  }
  return h("section", { "aria-labelledby": "mmu-h" }, h("h3", { id: "mmu-h" }, "Minimum mutator utilization"), body);
}

/** The summary's tables; the pick buttons call the handlers. */
export function renderSummary(s: SummaryJSON, handlers: SummaryHandlers): HTMLElement {
  return h(
    "div",
    { class: "summary" },
    taskSection(s, handlers.onTask),
    regionSection(s, handlers.onRegion),
    goroutineSection(s),
    gcSection(s),
    mmuSection(s),
  );
}

/** Marks the picked task or region type (aria-pressed). */
export function markPicked(root: HTMLElement, table: "tasks-table" | "regions-table", type: string | null): void {
  for (const b of root.querySelectorAll<HTMLButtonElement>(`#${table} button.pick`)) {
    const on = type !== null && b.dataset["type"] === type;
    b.setAttribute("aria-pressed", on ? "true" : "false");
    b.closest("tr")?.classList.toggle("picked", on);
  }
}
