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
import { driveFile, type ProgressInfo } from "./decode-parallel.js";

export const EXIT_OK = 0;
export const EXIT_INPUT = 1;
export const EXIT_USAGE = 2;
export const EXIT_PARTIAL = 3;

function err(msg: string): void {
  process.stderr.write(`trace-convert: ${msg}\n`);
}

export async function main(argv: string[]): Promise<number> {
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
  if (many && format.writesOutput) {
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

  let worst = EXIT_OK;
  const usedNames = new Set<string>();
  for (const arg of opts.inputs) {
    let outPath: string | null = opts.output;
    if (many && opts.output !== null) {
      let stem = outputStem(arg);
      while (usedNames.has(stem)) stem += "_";
      usedNames.add(stem);
      outPath = join(opts.output, stem + format.ext);
    } else if (outPath !== null && isDir(outPath) && format.writesOutput) {
      outPath = join(outPath, outputStem(arg) + format.ext);
    }
    const files: string[] = [];
    let code = await convertOne(arg, format.name, outPath, opts, files);
    if (opts.open && outPath !== null && (code === EXIT_OK || code === EXIT_PARTIAL)) code = Math.max(code, await openInPerfetto(files.length > 0 ? files : [outPath], opts.quiet));
    worst = Math.max(worst, code);
  }
  return worst;
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

async function convertOne(arg: string, formatName: string, outPath: string | null, opts: Options, files: string[]): Promise<number> {
  const format = findFormat(formatName)!;
  let input: Input;
  try {
    const r = resolveInput(arg);
    input = r.input;
    if (r.note !== null && !opts.quiet) err(r.note);
  } catch (e) {
    if (e instanceof TraceError) {
      err(e.message);
      return EXIT_INPUT;
    }
    throw e;
  }
  if (format.writesOutput && outPath === null && format.binary && process.stdout.isTTY === true) {
    err(`--to ${format.name} writes binary data; not writing it to a terminal. Use -o ${outputStem(arg)}${format.ext} (or pipe it).`);
    return EXIT_USAGE;
  }
  let output: Output | null = null;
  const warned = new Set<string>();
  const progress = process.stderr.isTTY === true && !opts.quiet;
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
      err(`warning: ${msg}`);
    },
    drive(onEvent, dopts) {
      started = Date.now();
      const salvage = dopts?.salvage === true;
      return drive(input.open(), onEvent, progress ? { progress: showProgress, redact: opts.redact, salvage } : { redact: opts.redact, salvage });
    },
    driveFile(onEvent, dopts) {
      if (input.kind !== "file") return null;
      started = Date.now();
      const salvage = dopts?.salvage === true;
      return driveFile(input.name, onEvent, progress ? { progress: showProgress, redact: opts.redact, salvage } : { redact: opts.redact, salvage });
    },
  };
  let res: DriveResult;
  try {
    res = await format.run(ctx);
  } catch (e) {
    if (progressShown) process.stderr.write("\r\x1b[K");
    const o = output as Output | null;
    if (o !== null) await o.close().catch(() => undefined);
    if (e instanceof TraceError) {
      err(`${input.name}: ${firstLine(e.message)}${e.offset > 0 ? ` (at byte ${e.offset})` : ""}`);
      if (opts.debug) process.stderr.write(`${e.stack ?? e.message}\n`);
      return EXIT_INPUT;
    }
    if (e instanceof UsageError) {
      err(e.message);
      return EXIT_USAGE;
    }
    if (!opts.debug && e instanceof Error && (e as NodeJS.ErrnoException).code !== undefined) {
      err(`${e.message}`);
      return EXIT_INPUT;
    }
    throw e;
  }
  if (progressShown) process.stderr.write("\r\x1b[K");
  const o = output as Output | null;
  if (o !== null) await o.close();
  if (res.error === null) return EXIT_OK;
  const e = res.error;
  if (opts.debug) process.stderr.write(`${e.stack ?? e.message}\n`);
  const salvaged = e.io ? 0 : (res.salvagedEvents ?? 0);
  if (res.completeGenerations > 0 || salvaged > 0) {
    const what = e.truncated ? "trace is truncated" : "trace is damaged";
    const gens = res.completeGenerations;
    const held =
      gens > 0
        ? `the output holds the ${gens} complete generation${gens === 1 ? "" : "s"} before it`
        : "the output holds no complete generation";
    const rec = salvaged > 0 ? `${gens > 0 ? " and" : ", only"} ${salvaged} event${salvaged === 1 ? "" : "s"} recovered from the damaged one` : "";
    err(`warning: ${input.name}: ${what} at byte ${e.offset}: ${firstLine(e.message)}; ${held}${rec}`);
    return EXIT_PARTIAL;
  }
  if (e.io) err(firstLine(e.message));
  else err(`${input.name}: ${firstLine(e.message)} (at byte ${e.offset})`);
  return EXIT_INPUT;
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i < 0 ? s : s.slice(0, i);
}
