import { FORMATS } from "./formats.js";
import { VERSION } from "./version.js";

export function helpText(): string {
  const w = Math.max(...FORMATS.map((f) => f.name.length));
  const formats = FORMATS.map((f) => `  ${f.name.padEnd(w)}  ${f.summary}\n  ${" ".repeat(w)}    $ ${f.example}`).join("\n");
  return `trace-convert ${VERSION}: convert Go execution traces (runtime/trace, go test -trace,
/debug/pprof/trace, the flight recorder) into formats other tools read.

Usage:
  trace-convert <input>... --to <format> [-o <file or dir/>] [options]

Input: a trace file, - for stdin, or an http(s) URL such as
  http://127.0.0.1:6060/debug/pprof/trace?seconds=5   (live capture; 5s when seconds= is missing)
Output: -o FILE, or stdout. With several inputs, -o names a directory.

Formats (--to):
${formats}

Options:
  -o, --output PATH     write here instead of stdout (a directory for several inputs)
  --start D, --end D    keep only this time window, relative to the trace start (e.g. 1.5s, 200ms)
  --goroutine ID        keep only this goroutine
  --task NAME           keep only this task type (its goroutines and annotations)
  --region NAME         keep only time inside regions of this type
  --labels              pprof: add task/region/goroutine labels to samples
  --annotations-only    perfetto: only tasks, regions and logs
  --split SIZE          perfetto: consecutive time parts of at most SIZE each (e.g. 300MB), -o FILE
                        gives FILE-001.ext, FILE-002.ext, ...; each part is a complete trace
  --runnable            perfetto: also draw runnable intervals on goroutine lanes
  --threads             perfetto: also a track per OS thread (M)
  --json                summary: JSON instead of tables
  --endpoint URL        otlp: collector endpoint (default OTEL_EXPORTER_OTLP_ENDPOINT or http://localhost:4318)
  --header K=V          otlp: extra HTTP header (repeatable)
  --service-name NAME   otlp: service.name (default OTEL_SERVICE_NAME or the program name)
  --start-time T        otlp: wall-clock time of the trace start, for traces without a clock snapshot
  --open                perfetto: serve the result (each part) once on 127.0.0.1 and print ui.perfetto.dev links
  --redact              replace log messages, non-stdlib function names and paths with stable hashes
  -q, --quiet           no progress or notes on stderr
  --debug               show internal details of errors
  -h, --help            this help
  -V, --version         print the version

Exit status: 0 ok; 1 unreadable or invalid input; 2 usage error; 3 partial (the input was
truncated or damaged; the output holds everything that could be recovered).
`;
}
