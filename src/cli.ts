#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";
import { main } from "./cli/main.js";

// Memory over speed in the garbage collector's heap sizing: a conversion keeps
// little alive (one generation), so the default growth only collects garbage
// later. Measured: peak RSS about a third lower, no slower.
setFlagsFromString("--optimize-for-size");

// A reader that went away (| head) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`trace-convert: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
