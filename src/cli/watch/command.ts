// `trace-convert watch DIR ...`: the command line of the watcher.

import { statSync } from "node:fs";
import { join } from "node:path";
import { FORMATS, findFormat } from "../formats.js";
import { parseArgs, parseDuration, parseSize, splitFlag, takeValue, UsageError, type Options } from "../options.js";
import { defaultJobs } from "../pool.js";
import { defaultThreads } from "../decode-parallel.js";
import type { LogFormat } from "./log.js";
import { Watcher, type WatchOptions } from "./watch.js";

export const WATCH_USAGE = `Usage: trace-convert watch DIR [--to otlp|zipkin [--endpoint URL]] [--out DIR2 --formats F1,F2]
  [--recursive] [--state DIR] [--spool-max SIZE] [--settle D] [--poll D] [--jobs N]
  [--log-format text|json] [--delete-after | --move-to DIR3] [--once] [conversion options]`;

export const WATCH_HELP = `trace-convert watch: convert every Go trace that appears in a folder, once it is complete and
exactly once (also across restarts and kill -9), into spans pushed to a backend and/or files.

${WATCH_USAGE}

  --to otlp|zipkin      push the spans (every --to otlp / --to zipkin option and OTEL_* variable applies:
                        --endpoint, --protocol, --header, --service-name...), through an on-disk spool
  --out DIR2 --formats F1,F2   also write these formats into DIR2 (named after each trace)
  -r, --recursive       also the folders below DIR
  --state DIR           the journal of done files and the spool (default DIR/.trace-convert)
  --spool-max SIZE      bound of the spool (default 1GB); past it the oldest spans are dropped, with a warning
  --settle D            a file is taken once unchanged this long (default 2s)
  --settle-truncated D  a Go 1.26+ trace not ending with a complete generation waits this long, then is
                        converted as damaged (default 5x --settle, at least 10s)
  --poll D              how often DIR is looked at (default 1s)
  -j, --jobs N          worker threads (default: one per core)
  --log-format F        text (default) or json: one line per file on stderr
  --delete-after        delete each trace once converted;  --move-to DIR3: move it there
  --once                convert what is there, then exit (1 when spans are left in the spool)

SIGTERM or Ctrl-C finishes the current files and exits 0.
Example:
  trace-convert watch /var/traces --recursive --to otlp --endpoint http://collector:4318 --move-to /var/traces-done
`;

/** The watcher's own flags, taken out of argv; the rest are the conversion's. */
export function parseWatchArgs(argv: string[]): WatchOptions | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const rest: string[] = [];
  let recursive = false;
  let outDir: string | null = null;
  let formats: string[] = [];
  let stateDir: string | null = null;
  let spoolMax = 1 << 30;
  let settleMs = 2000;
  let truncatedSettleMs: number | null = null;
  let pollMs = 1000;
  let logFormat: LogFormat = "text";
  let deleteAfter = false;
  let moveTo: string | null = null;
  let once = false;
  const args = [...argv];
  const value = (flag: string, inline: string | undefined): string => takeValue(args, flag, inline);
  while (args.length > 0) {
    const a = args.shift()!;
    const { flag, inline } = splitFlag(a);
    switch (flag) {
      case "-r":
      case "--recursive":
        recursive = true;
        break;
      case "--out":
        outDir = value(flag, inline);
        break;
      case "--formats":
        formats = value(flag, inline)
          .split(",")
          .map((f) => f.trim())
          .filter((f) => f !== "");
        break;
      case "--state":
        stateDir = value(flag, inline);
        break;
      case "--spool-max":
        spoolMax = parseSize(value(flag, inline), flag);
        break;
      case "--settle":
        settleMs = parseDuration(value(flag, inline), flag) / 1e6;
        break;
      case "--settle-truncated":
        truncatedSettleMs = parseDuration(value(flag, inline), flag) / 1e6;
        break;
      case "--poll":
        pollMs = Math.max(10, parseDuration(value(flag, inline), flag) / 1e6);
        break;
      case "--log-format": {
        const v = value(flag, inline);
        if (v !== "text" && v !== "json") throw new UsageError(`--log-format: text or json, not "${v}"`);
        logFormat = v;
        break;
      }
      case "--delete-after":
        deleteAfter = true;
        break;
      case "--move-to":
        moveTo = value(flag, inline);
        break;
      case "--once":
        once = true;
        break;
      default:
        rest.push(a);
    }
  }
  const opts: Options = parseArgs(rest);
  if (opts.inputs.length !== 1) throw new UsageError(`watch takes one folder (got ${opts.inputs.length === 0 ? "none" : opts.inputs.join(" ")})\n${WATCH_USAGE}`);
  const dir = opts.inputs[0]!;
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* below */
  }
  if (!isDir) throw new UsageError(`watch: ${dir} is not a folder`);
  let push: string | null = null;
  if (opts.to !== "") {
    const f = findFormat(opts.to);
    if (f === undefined || f.writesOutput) {
      const pushes = FORMATS.filter((x) => !x.writesOutput).map((x) => x.name);
      throw new UsageError(`watch --to takes a push format (${pushes.join(", ")}); files go through --out DIR --formats ${opts.to}`);
    }
    push = f.name;
  }
  if (outDir !== null && formats.length === 0) throw new UsageError("watch --out needs --formats (e.g. --formats perfetto-proto,pprof-sync)");
  if (outDir === null && formats.length > 0) throw new UsageError("watch --formats needs --out DIR");
  for (const f of formats) {
    const ff = findFormat(f);
    if (ff === undefined || !ff.writesOutput) throw new UsageError(`watch --formats: "${f}" is not a file format (${FORMATS.filter((x) => x.writesOutput).map((x) => x.name).join(", ")})`);
  }
  if (push === null && outDir === null) throw new UsageError(`watch needs something to do: --to otlp (push spans) and/or --out DIR --formats ...\n${WATCH_USAGE}`);
  if (deleteAfter && moveTo !== null) throw new UsageError("--delete-after and --move-to exclude each other");
  if (opts.output !== null) throw new UsageError("watch writes files with --out DIR (not -o)");
  const jobs = opts.jobs ?? defaultJobs();
  opts.threads ??= defaultThreads(jobs);
  return {
    dir,
    recursive,
    push,
    outDir,
    formats,
    stateDir: stateDir ?? join(dir, ".trace-convert"),
    spoolMax,
    settleMs,
    truncatedSettleMs: truncatedSettleMs ?? Math.max(settleMs * 5, 10_000),
    pollMs,
    jobs,
    logFormat,
    deleteAfter,
    moveTo,
    once,
    opts,
  };
}

/** Runs the watcher until SIGTERM/SIGINT (which finish the current file and exit 0), or --once is done. */
export async function watchCommand(argv: string[]): Promise<number> {
  const o = parseWatchArgs(argv);
  if (o === "help") {
    process.stdout.write(WATCH_HELP);
    return 0;
  }
  const w = new Watcher(o);
  const stop = () => w.stop();
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  try {
    return await w.run();
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
  }
}
