import { FORMATS } from "./formats.js";
import { VERSION } from "./version.js";

export function helpText(): string {
  const w = Math.max(...FORMATS.map((f) => f.name.length));
  const formats = FORMATS.map((f) => `  ${f.name.padEnd(w)}  ${f.summary}\n  ${" ".repeat(w)}    $ ${f.example}`).join("\n");
  return `trace-convert ${VERSION}: convert Go execution traces (runtime/trace, go test -trace,
/debug/pprof/trace, the flight recorder) into formats other tools read.

Usage:
  trace-convert <input>... --to <format> [-o <file or dir/>] [options]
  trace-convert ui [TRACE...] [--port N] [--no-open]
  trace-convert watch DIR [--to otlp|zipkin] [--out DIR2 --formats F1,F2] [options]

Input: a trace file, - for stdin, or an http(s) URL such as
  http://127.0.0.1:6060/debug/pprof/trace?seconds=5   (live capture; 5s when seconds= is missing).
  The span formats (otlp, otlp-json, zipkin, zipkin-json) also take an OTLP JSON body, such as the
  file of unsent spans a failed push leaves: trace-convert spans.unsent.otlp.json --to otlp
Output: -o FILE, or stdout. With several inputs, -o names a directory.

Formats (--to):
${formats}

Commands:
  ui  the browser app, served on 127.0.0.1 and opened in the default browser: drop a
      trace, read its summary, open it in Perfetto, download every format above
        $ trace-convert ui trace.out     (trace-convert ui --help for its options)
  watch  converts every trace file that appears in a folder, once complete and exactly once
         (also across restarts), pushing its spans through a bounded on-disk spool and/or
         writing files; --recursive, --settle D, --spool-max SIZE, --log-format json,
         --delete-after | --move-to DIR, --jobs N, --once
        $ trace-convert watch /var/traces --to otlp --endpoint http://collector:4318   (watch --help)

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
  --os-threads          perfetto: also a track per OS thread (M)
  --json                summary: JSON instead of tables
  --per-trace           summary of several inputs: one per input (-o DIR/) instead of one combined
  -j, --jobs N          several inputs: convert on N worker threads (default: one per core)
  --threads N           threads for one conversion: 2 decodes a trace file on a second thread while
                        the first converts (default: 2 where there are two cores for every
                        conversion running at once, else 1)
  --protocol P          otlp: http/protobuf (default), http/json or grpc (default OTEL_EXPORTER_OTLP_PROTOCOL)
  --endpoint URL        otlp: collector (default OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318,
                        or http://localhost:4317 for grpc); zipkin: its /api/v2/spans (default
                        OTEL_EXPORTER_ZIPKIN_ENDPOINT, else http://localhost:9411/api/v2/spans)
  --header K=V          otlp, zipkin: extra HTTP header, gRPC metadata for grpc (repeatable)
  --service-name NAME   otlp, zipkin: service.name (default OTEL_SERVICE_NAME or the program name)
  --start-time T        otlp, zipkin: wall-clock time of the trace start, for traces without a clock snapshot
  --open                perfetto: serve the result (each part) once on 127.0.0.1 and print ui.perfetto.dev links
  --redact              replace log messages, non-stdlib function names and paths with stable hashes
  -q, --quiet           no progress or notes on stderr
  --debug               show internal details of errors
  -h, --help            this help
  -V, --version         print the version

Environment (otlp): OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL, _ENDPOINT, _HEADERS, _TIMEOUT (ms),
  _COMPRESSION (gzip), _CERTIFICATE (CA file for https://), _CLIENT_CERTIFICATE, _CLIENT_KEY,
  _INSECURE (grpc without a scheme); OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE. (zipkin): OTEL_EXPORTER_ZIPKIN_ENDPOINT, _TIMEOUT (ms).

Exit status: 0 ok; 1 unreadable or invalid input; 2 usage error; 3 partial (the input was
truncated or damaged; the output holds everything that could be recovered).
`;
}
