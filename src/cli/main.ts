// The trace-convert command.

import { mkdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { drive, type DriveResult } from "../convert/drive.js";
import { TraceError } from "../decode/errors.js";
import type { FormatContext } from "./format.js";
import { FORMATS, findFormat } from "./formats.js";
import { resolveInput, type Input } from "./input.js";
import { parseArgs, UsageError, type Options } from "./options.js";
import { Output } from "./output.js";
import { helpText } from "./help.js";
import { VERSION } from "./version.js";
import { openInPerfetto, openTempPath, openUsageError } from "./open.js";
import { defaultJobs, runJobs, type Job, type JobResult } from "./pool.js";
import type { SummaryParts } from "../convert/summary.js";
import { driveOutcome, EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, thrownOutcome } from "./outcome.js";
import { defaultThreads, driveFile, type ProgressInfo } from "./decode-parallel.js";

export { EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE } from "./outcome.js";

function err(msg: string): void {
  process.stderr.write(`trace-convert: ${msg}\n`);
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "watch") {
    try {
      const { watchCommand } = await import("./watch/command.js");
      return await watchCommand(argv.slice(1));
    } catch (e) {
      if (e instanceof UsageError) {
        err(`${e.message}\nRun 'trace-convert --help' for usage.`);
        return EXIT_USAGE;
      }
      throw e;
    }
  }
  if (argv[0] === "ui") {
    const { runUi } = await import("./ui.js");
    return runUi(argv.slice(1));
  }
  let opts: Options;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\nRun 'trace-convert --help' for usage.`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(helpText());
    return EXIT_OK;
  }
  if (opts.version) {
    process.stdout.write(`trace-convert ${VERSION}\n`);
    return EXIT_OK;
  }
  if (opts.inputs.length === 0) {
    err("no input trace given\nUsage: trace-convert <trace> --to <format> [-o <file>]; run 'trace-convert --help' for more.");
    return EXIT_USAGE;
  }
  if (opts.to === "") {
    err(`--to is required; formats: ${FORMATS.map((f) => f.name).join(", ")}`);
    return EXIT_USAGE;
  }
  const format = findFormat(opts.to);
  if (format === undefined) {
    err(`unknown format "${opts.to}"; formats: ${FORMATS.map((f) => f.name).join(", ")}`);
    return EXIT_USAGE;
  }
  if (opts.open) {
    const why = openUsageError(format.name, opts.inputs.length);
    if (why !== null) {
      err(`${why}\nRun 'trace-convert --help' for usage.`);
      return EXIT_USAGE;
    }
    if (opts.output === null) opts.output = openTempPath(opts.inputs[0]!, format.ext);
  }
  if (opts.split !== null) {
    if (!format.name.startsWith("perfetto")) {
      err(`--split cuts a Perfetto output into parts: use it with --to perfetto..., not --to ${format.name}\nRun 'trace-convert --help' for usage.`);
      return EXIT_USAGE;
    }
    if (opts.output === null) {
      err("--split writes several files: give -o FILE (the parts are FILE-001.ext, FILE-002.ext, ...)\nRun 'trace-convert --help' for usage.");
      return EXIT_USAGE;
    }
  }
  const many = opts.inputs.length > 1;
  // Several inputs into one output (the combined summary), unless --per-trace.
  const combined = many && format.combine !== undefined && !opts.perTrace;
  if (combined && opts.output !== null && isDir(opts.output)) {
    err(`--to ${format.name} combines several inputs into one output: -o names a file (or use --per-trace for one output per input)`);
    return EXIT_USAGE;
  }
  if (many && format.writesOutput && !combined) {
    if (opts.output === null) {
      err("several inputs need -o DIR/ (a directory to write one output per input)");
      return EXIT_USAGE;
    }
    try {
      mkdirSync(opts.output, { recursive: true });
    } catch (e) {
      err(`cannot create output directory ${opts.output}: ${(e as Error).message}`);
      return EXIT_INPUT;
    }
  }
  if (opts.inputs.filter((i) => i === "-").length > 1) {
    err("stdin (-) can be read only once");
    return EXIT_USAGE;
  }

  const usedNames = new Set<string>();
  const jobs: Job[] = opts.inputs.map((arg) => {
    let outPath: string | null = opts.output;
    if (combined) outPath = null;
    else if (many && opts.output !== null) {
      let stem = outputStem(arg);
      while (usedNames.has(stem)) stem += "_";
      usedNames.add(stem);
      outPath = join(opts.output, stem + format.ext);
    } else if (outPath !== null && isDir(outPath) && format.writesOutput) {
      outPath = join(outPath, outputStem(arg) + format.ext);
    }
    return { arg, format: format.name, outPath, opts, collect: combined };
  });
  // Inputs convert in parallel, a worker per core (stdin and --open: here, one at a time).
  const parallel = many && !opts.open && !opts.inputs.includes("-") ? (opts.jobs ?? defaultJobs()) : 1;
  opts.threads ??= defaultThreads(parallel);
  const results = await runJobs(jobs, parallel);
  let worst = EXIT_OK;
  for (let i = 0; i < jobs.length; i++) {
    let code = results[i]!.code;
    const outPath = jobs[i]!.outPath;
    if (opts.open && outPath !== null && (code === EXIT_OK || code === EXIT_PARTIAL)) code = Math.max(code, await openInPerfetto(results[i]!.files.length > 0 ? results[i]!.files : [outPath], opts.quiet));
    worst = Math.max(worst, code);
  }
  if (combined) {
    const parts = results.flatMap((r, i) => (r.part === null ? [] : [{ name: inputName(opts.inputs[i]!), part: r.part }]));
    if (parts.length === 0) return worst;
    const output = opts.output === null ? Output.stdout() : Output.file(opts.output);
    await format.combine!.write(parts, output, opts);
    await output.close();
  }
  return worst;
}

/** An input's name in messages and combined outputs. */
function inputName(arg: string): string {
  return arg === "-" ? "<stdin>" : arg;
}

/** The name of an input's output (in a directory), without extension: the input's base name without .trace/.out/.bin. */
function outputStem(arg: string): string {
  if (arg === "-") return "stdin";
  return basename(arg.replace(/[?#].*$/, "")).replace(/\.(trace|out|bin)$/, "") || "trace";
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory() || p.endsWith("/");
  } catch {
    return p.endsWith("/");
  }
}

/**
 * Converts one input as the command does: its messages on stderr, its exit
 * code. With `collect`, the format's combine.collect runs instead of run, and
 * its parts come back for a combined output.
 */
export async function convertOne(arg: string, formatName: string, outPath: string | null, opts: Options, collect = false, say: (msg: string) => void = err): Promise<JobResult> {
  let events = 0;
  const files: string[] = [];
  const code = (c: number): JobResult => ({ code: c, part: null, events, files });
  const format = findFormat(formatName)!;
  let input: Input;
  try {
    const r = resolveInput(arg);
    input = r.input;
    if (r.note !== null && !opts.quiet) say(r.note);
  } catch (e) {
    if (e instanceof TraceError) {
      say(e.message);
      return code(EXIT_INPUT);
    }
    throw e;
  }
  if (format.writesOutput && outPath === null && format.binary && process.stdout.isTTY === true) {
    say(`--to ${format.name} writes binary data; not writing it to a terminal. Use -o ${outputStem(arg)}${format.ext} (or pipe it).`);
    return code(EXIT_USAGE);
  }
  let output: Output | null = null;
  const warned = new Set<string>();
  const progress = process.stderr.isTTY === true && !opts.quiet && say === err;
  let started = Date.now();
  let progressShown = false;
  const showProgress = (r: ProgressInfo) => {
    const secs = (Date.now() - started) / 1000;
    if (secs < 1) return;
    progressShown = true;
    const mb = (r.bytesIn / 1e6).toFixed(1);
    const evs = r.stats.events / Math.max(secs, 0.001);
    process.stderr.write(`\r\x1b[K${input.name}: ${mb} MB read, ${r.stats.generations} generations, ${r.stats.events} events (${(evs / 1e6).toFixed(2)} M/s)`);
  };
  const ctx: FormatContext = {
    input,
    opts,
    outPath,
    files,
    out() {
      if (output === null) output = outPath === null ? Output.stdout() : Output.file(outPath);
      return output;
    },
    warn(msg) {
      if (warned.has(msg)) return;
      warned.add(msg);
      if (progressShown) process.stderr.write("\r\x1b[K");
      say(`warning: ${msg}`);
    },
    drive(onEvent, dopts) {
      started = Date.now();
      const salvage = dopts?.salvage === true;
      const o = progress ? { progress: showProgress, redact: opts.redact, salvage } : { redact: opts.redact, salvage };
      // A trace file decodes on a second thread while this one converts (stdin and URLs: here).
      if (input.kind === "file" && dopts?.source === undefined && (opts.threads ?? defaultThreads(1)) >= 2) return driveFile(input.name, onEvent, o);
      return drive(dopts?.source ?? input.open(), onEvent, o);
    },
  };
  let res: DriveResult;
  let part: SummaryParts | null = null;
  try {
    if (collect) ({ res, part } = await format.combine!.collect(ctx));
    else res = await format.run(ctx);
  } catch (e) {
    if (progressShown) process.stderr.write("\r\x1b[K");
    const o = output as Output | null;
    if (o !== null) await o.close().catch(() => undefined);
    const thrown = thrownOutcome(input.name, e);
    if (thrown !== null) {
      say(thrown.message!);
      if (opts.debug && e instanceof TraceError) process.stderr.write(`${e.stack ?? e.message}\n`);
      return code(thrown.code);
    }
    if (!opts.debug && e instanceof Error && (e as NodeJS.ErrnoException).code !== undefined) {
      say(`${e.message}`);
      return code(EXIT_INPUT);
    }
    throw e;
  }
  if (progressShown) process.stderr.write("\r\x1b[K");
  const o = output as Output | null;
  if (o !== null) await o.close();
  events = res.reader.stats.events;
  const outcome = driveOutcome(input.name, res);
  if (opts.debug && res.error !== null) process.stderr.write(`${res.error.stack ?? res.error.message}\n`);
  if (outcome.message !== null) say(outcome.message);
  return { code: outcome.code, part, events, files };
}
