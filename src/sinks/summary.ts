// Renders a TraceSummary: terminal tables, or JSON (all times in ns).

import type { Latency, TraceSummary } from "../convert/summary.js";

/** A short human duration: 3 significant digits, unit ns/µs/ms/s. */
export function fmtDur(ns: number): string {
  if (ns === 0) return "0";
  const a = Math.abs(ns);
  const [v, u] = a < 1e3 ? [ns, "ns"] : a < 1e6 ? [ns / 1e3, "µs"] : a < 1e9 ? [ns / 1e6, "ms"] : [ns / 1e9, "s"];
  if (u === "ns") return `${Math.round(v)}ns`;
  const av = Math.abs(v);
  const s = av >= 100 ? v.toFixed(0) : av >= 10 ? v.toFixed(1) : v.toFixed(2);
  return s + u;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Shortens a string to `max` characters, keeping its head and tail. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const tail = Math.ceil((max - 1) * 0.6);
  return s.slice(0, max - 1 - tail) + "…" + s.slice(s.length - tail);
}

function baseName(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

/** Lays out rows as columns: the first `left` columns left-aligned, the rest right-aligned. */
function table(header: string[], rows: string[][], left = 1, indent = "  "): string[] {
  const w = header.map((h) => h.length);
  for (const r of rows) r.forEach((c, i) => (w[i] = Math.max(w[i]!, c.length)));
  const line = (r: string[]) =>
    indent +
    r
      .map((c, i) => (i < left ? c.padEnd(w[i]!) : c.padStart(w[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function latCols(l: Latency): string[] {
  if (l.count === 0) return ["-", "-", "-", "-"];
  return [fmtDur(l.p50), fmtDur(l.p90), fmtDur(l.p99), fmtDur(l.max)];
}

/** The text report, as lines (each without its newline). */
export function summaryText(s: TraceSummary, name: string): string[] {
  const out: string[] = [];
  const nG = s.goroutines.reduce((a, g) => a + g.count, 0);
  out.push(`${name}: ${fmtDur(s.duration)} traced, ${nG} goroutines, ${s.tasks.length} task types, ${s.regions.length} region types, ${s.gc.cycles} GC cycles`);
  out.push("");

  out.push("Goroutines by start function (times summed over each group)");
  out.push("  Sched: runnable, waiting to run. Sync / Net / Other: blocked on channels, select and sync primitives /");
  out.push("  on the network / for other reasons (sleep, GC...). Syscall: in syscalls. GC: in GC work (overlaps the rest).");
  if (s.goroutines.length === 0) out.push("  (none)");
  else {
    const rows = s.goroutines.map((g) => [
      clip(g.name === "" ? "(no stack seen)" : g.name, 40),
      String(g.count),
      fmtDur(g.total),
      fmtDur(g.exec),
      fmtDur(g.schedWait),
      fmtDur(g.syncBlock),
      fmtDur(g.networkBlock),
      fmtDur(g.syscall + g.syscallBlock),
      fmtDur(g.otherBlock),
      fmtDur(g.gc),
    ]);
    out.push(...table(["Start function", "Count", "Total", "Exec", "Sched", "Sync", "Net", "Syscall", "Other", "GC"], rows));
  }
  out.push("");

  out.push("Tasks by type (latency of complete tasks)");
  if (s.tasks.length === 0) out.push("  (none)");
  else {
    const rows = s.tasks.map((t) => [t.type === "" ? '""' : t.type, String(t.count), String(t.latency.count), ...latCols(t.latency)]);
    out.push(...table(["Type", "Count", "Complete", "p50", "p90", "p99", "Max"], rows));
  }
  out.push("");

  out.push("Regions by type and start location (latency)");
  if (s.regions.length === 0) out.push("  (none)");
  else {
    const rows = s.regions.map((r) => [
      clip(JSON.stringify(r.type), 32),
      r.func === "" ? "(unknown)" : clip(`${r.func} ${baseName(r.file)}:${r.line}`, 56),
      String(r.latency.count),
      ...latCols(r.latency),
    ]);
    out.push(...table(["Type", "Start location", "Count", "p50", "p90", "p99", "Max"], rows, 2));
  }
  out.push("");

  const gc = s.gc;
  out.push("Garbage collection");
  const markShare = s.duration > 0 ? ` (${pct(gc.markTime / s.duration)} of the trace)` : "";
  out.push(`  Cycles: ${gc.cycles}, concurrent mark phase ${fmtDur(gc.markTime)}${markShare}`);
  out.push(`  Mark assist: ${fmtDur(gc.assistTime)} total, incremental sweep: ${fmtDur(gc.sweepTime)} total (goroutine time)`);
  if (gc.stwByReason.length > 0) {
    const rows = gc.stwByReason.map((r) => [r.reason, String(r.latency.count), fmtDur(r.latency.total), ...latCols(r.latency)]);
    const p = gc.pauses;
    if (p.count > 0) rows.push(["all GC pauses", String(p.count), fmtDur(p.total), ...latCols(p)]);
    out.push(...table(["Stop-the-world pause", "Count", "Total", "p50", "p90", "p99", "Max"], rows));
  } else {
    out.push("  No stop-the-world pauses");
  }
  if (s.mmu.length === 0) {
    if (s.duration > 0) out.push("  Minimum mutator utilization: not available (the trace does not record GOMAXPROCS)");
  } else {
    out.push("  Minimum mutator utilization (STW, background mark workers, mark assist):");
    const rows = s.mmu.map((m) => [fmtDur(m.window).replace(/\.0+(?=[a-zµ])/, ""), pct(m.mmu), m.mmu < 1 ? `at +${fmtDur(m.at)}${m.trace !== undefined ? ` in ${baseName(m.trace)}` : ""}` : ""]);
    out.push(...table(["Window", "MMU", "Worst window"], rows, 0, "    "));
  }
  return out;
}

/** The JSON report (times in ns, relative to the first event for `mmu[].at`). */
export function summaryJSON(s: TraceSummary, name: string): string {
  return JSON.stringify({ trace: name, ...s }, null, 2) + "\n";
}
