// The watcher's log: one line per trace file (and a few about the watcher
// itself), as text or as JSON lines for log pipelines.

export type LogFormat = "text" | "json";

export interface FileLine {
  file: string;
  /** ok, partial (damaged trace: what could be recovered), invalid (nothing read), failed (output or push failed). */
  result: "ok" | "partial" | "invalid" | "failed";
  events: number;
  /** Spans the backend accepted (push), or null without a push. */
  spans: number | null;
  /** Seconds from the file being taken to its last output (push included). */
  seconds: number;
  /** Outputs written (--out). */
  outputs: string[];
  /** The conversion's messages (damage, warnings). */
  message: string;
}

export class WatchLog {
  constructor(
    readonly format: LogFormat,
    private readonly write: (line: string) => void = (l) => process.stderr.write(l + "\n"),
  ) {}

  file(l: FileLine): void {
    if (this.format === "json") {
      this.write(JSON.stringify({ time: new Date().toISOString(), level: l.result === "ok" ? "info" : "warn", event: "file", ...l }));
      return;
    }
    const parts = [`${l.events} events`];
    if (l.spans !== null) parts.push(`${l.spans} spans pushed`);
    if (l.outputs.length > 0) parts.push(`${l.outputs.length} output${l.outputs.length === 1 ? "" : "s"}`);
    parts.push(`${l.seconds.toFixed(2)} s`);
    this.write(`trace-convert: watch: ${l.file}: ${l.result}, ${parts.join(", ")}${l.message !== "" ? ` (${l.message})` : ""}`);
  }

  /** A message about the watcher (start, backend state, spool, stop). */
  note(level: "info" | "warn" | "error", message: string, fields: Record<string, unknown> = {}): void {
    if (this.format === "json") {
      this.write(JSON.stringify({ time: new Date().toISOString(), level, event: "watcher", message, ...fields }));
      return;
    }
    this.write(`trace-convert: watch: ${level === "info" ? "" : level === "warn" ? "warning: " : "error: "}${message}`);
  }
}
