// The Perfetto part of npm run bench: both Perfetto outputs of a trace, each
// written to a file and loaded into Perfetto's trace processor (what
// ui.perfetto.dev runs in the tab): output bytes and their ratio to the
// input, conversion speed against Go's reader (run just before: × its
// events/s, > 1 faster), the trace
// processor's load time and peak RSS, and its import errors (there must be
// none). The trace processor comes from TRACE_PROCESSOR, else PATH; without
// it the load columns say so.

import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { timed } from "./timed.js";

export interface PerfettoBenchOptions {
  /** The trace to convert. */
  trace: string;
  /** Where outputs go (deleted after they are measured). */
  dir: string;
  /** The command, as an installed trace-convert runs it (node, its options, cli.js). */
  cli: string[];
  /** Go's reader on the trace (the base of the speed ratio). */
  goReader: string[];
  /** Its name, for the table. */
  goReaderName?: string;
  /** The trace's name (its workload), for the table. */
  label?: string;
  /** Working directory for the commands. */
  cwd: string;
}

const measure = (argv: string[], cwd: string) => timed(argv, { cwd });

function traceProcessor(): string | null {
  const env = process.env["TRACE_PROCESSOR"];
  if (env !== undefined && env !== "") return existsSync(env) ? env : null;
  for (const d of (process.env["PATH"] ?? "").split(delimiter)) if (d !== "" && existsSync(join(d, "trace_processor"))) return join(d, "trace_processor");
  return null;
}

const SQL = `select
  (select count(*) from slice) as slices,
  (select count(*) from flow) as flows,
  (select count(*) from track) as tracks,
  (select ifnull(sum(value), 0) from stats where severity in ('error', 'data_loss') and value > 0) as errors;
`;

/** Converts the trace to both Perfetto outputs and loads each into the trace processor; returns a Markdown table. */
export function perfettoBench(o: PerfettoBenchOptions): string {
  const tp = traceProcessor();
  const inBytes = statSync(o.trace).size;
  const sqlFile = join(o.dir, "perfetto-bench.sql");
  writeFileSync(sqlFile, SQL);
  const lines = [
    "",
    `Perfetto outputs of the ${o.label === undefined ? "" : o.label + " "}${(inBytes / 1e6).toFixed(0)} MB trace, each loaded into Perfetto's trace processor${tp === null ? " (not found: set TRACE_PROCESSOR)" : ""}:`,
    "",
    `| output | bytes | × input | conversion s | × Go's reader${o.goReaderName === undefined ? "" : ` (${o.goReaderName})`} events/s | peak RSS MB | trace processor load s | trace processor peak RSS MB | slices | flows | tracks | import errors |`,
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [format, ext] of [
    ["perfetto-proto", "pftrace"],
    ["perfetto", "json"],
  ] as const) {
    const out = join(o.dir, `bench-perfetto.${ext}`);
    console.error(`perfetto: --to ${format} ...`);
    const base = measure(o.goReader, o.cwd);
    const conv = measure([...o.cli, o.trace, "--to", format, "-q", "-o", out], o.cwd);
    const bytes = statSync(out).size;
    let load = ["n/a", "n/a", "", "", "", ""];
    if (tp !== null) {
      console.error(`perfetto: loading ${(bytes / 1e6).toFixed(0)} MB into the trace processor ...`);
      const m = measure([tp, "--query-file", sqlFile, out], o.cwd);
      const rows = m.out.trim().split("\n");
      const v = (rows[rows.length - 1] ?? "").split(",");
      load = [m.secs.toFixed(1), m.rssMB.toFixed(0), Number(v[0]).toLocaleString("en-US"), Number(v[1]).toLocaleString("en-US"), Number(v[2]).toLocaleString("en-US"), v[3] ?? "?"];
    }
    rmSync(out, { force: true });
    lines.push(
      `| --to ${format} | ${(bytes / 1e6).toFixed(0)} MB | ${(bytes / inBytes).toFixed(2)}x | ${conv.secs.toFixed(2)} | ${(base.secs / conv.secs).toFixed(2)}x (Go: ${base.secs.toFixed(2)} s) | ${conv.rssMB.toFixed(0)} | ${load.join(" | ")} |`,
    );
  }
  rmSync(sqlFile, { force: true });
  return lines.join("\n");
}
