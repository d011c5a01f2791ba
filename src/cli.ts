#!/usr/bin/env -S node --heap-growing-percent=20 --max-semi-space-size=4
// V8 options (in the line above, so that V8 starts with them): the heap grows
// by 20% at a time and the young generation stays at 4 MB. A conversion keeps
// little alive (one generation), so V8's default growth only collects garbage
// later. Measured on the bench's 100 MB service trace (2026-12-08, one run
// each; default / these / --optimize-for-size, which this line had before):
// summary 8.5 s 414 MB / 12.1 s 246 MB / 17.6 s 209 MB; otlp-json 20.4 s
// 287 MB / 24.1 s 161 MB / 36.9 s 141 MB; perfetto-proto 10.8 s 308 MB /
// 10.6 s 204 MB / 14.8 s 179 MB; pprof-sync 6.2 s 208 MB / 4.4 s 164 MB /
// 6.8 s 141 MB. (--optimize-for-size also keeps big functions from being
// optimized.) Not set at run time with v8.setFlagsFromString: changing flags
// after start made about 3 runs in 100 deadlock at exit (a background compile
// job waiting for a GC that the exiting main thread never ran).
import { main } from "./cli/main.js";

// A reader that went away (| head) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is written by now. A request the command gave up on (a
    // backend that never answers, a Zipkin exporter with no timeout) must not
    // keep it running: exit at the latest 2 s later.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`trace-convert: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
