#!/usr/bin/env -S node --optimize-for-size
// --optimize-for-size (in the line above, so that V8 starts with it): memory
// over speed in the garbage collector's heap sizing. A conversion keeps little
// alive (one generation), so the default growth only collects garbage later.
// Measured: peak RSS about a third lower, no slower. Not set at run time with
// v8.setFlagsFromString: changing it after start made about 3 runs in 100
// deadlock at exit (a background compile job waiting for a GC that the
// exiting main thread never ran).
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
