// One conversion in the browser app's worker: the command's own format code
// (src/cli/formats/) over a Blob, with the command's options parsed by the
// command's parser, its messages and its exit status. No DOM: this runs in a
// Web Worker, and in Node for tests.

import type { FormatContext } from "../cli/format.js";
import { FORMATS, findFormat } from "../cli/formats.js";
import type { Input } from "../cli/input.js";
import { parseArgs } from "../cli/options.js";
import { driveOutcome, EXIT_INPUT, EXIT_USAGE, thrownOutcome } from "../cli/outcome.js";
import { drive, type DriveResult } from "../convert/drive.js";
import type { TraceReader } from "../decode/reader.js";
import { BlobOutput } from "./blob-output.js";
import type { FormatInfo, JobRequest, JobResult, Progress } from "./protocol.js";

/** Bytes handed to the decoder at a time (the command reads files in 1 MiB chunks too). */
const READ_CHUNK = 1 << 20;

/** The formats the app offers: every format of the command that writes an output. */
export function formatList(): FormatInfo[] {
  return FORMATS.filter((f) => f.writesOutput).map((f) => ({ name: f.name, summary: f.summary, ext: f.ext, binary: f.binary }));
}

/** Reads a Blob in chunks of READ_CHUNK bytes. */
export async function* readBlob(blob: Blob): AsyncIterable<Uint8Array> {
  for (let off = 0; off < blob.size; off += READ_CHUNK) {
    yield new Uint8Array(await blob.slice(off, off + READ_CHUNK).arrayBuffer());
  }
}

const MIME: Record<string, string> = { ".json": "application/json", ".txt": "text/plain;charset=utf-8" };

function mimeOf(ext: string, binary: boolean): string {
  if (binary) return ext.endsWith(".gz") ? "application/gzip" : "application/octet-stream";
  return MIME[ext.slice(ext.lastIndexOf("."))] ?? "application/octet-stream";
}

/**
 * Converts req.source as `trace-convert NAME --to FORMAT ARGS...` would and
 * returns the output with the command's exit status and messages.
 */
export async function runJob(req: JobRequest, onProgress: (p: Progress) => void): Promise<JobResult> {
  const t0 = performance.now();
  const messages: string[] = [];
  let reader: TraceReader | null = null;
  const result = (blob: Blob | null, code: number): JobResult => ({
    blob,
    code,
    messages,
    version: reader?.version ?? 0,
    events: reader?.stats.events ?? 0,
    generations: reader?.stats.generations ?? 0,
    bytes: reader?.bytesIn ?? 0,
    secs: (performance.now() - t0) / 1000,
  });
  const format = findFormat(req.format);
  if (format === undefined || !format.writesOutput) {
    messages.push(`unknown format "${req.format}"; formats: ${formatList().map((f) => f.name).join(", ")}`);
    return result(null, EXIT_USAGE);
  }
  let opts;
  try {
    // "--" so that a trace named like a flag stays the input.
    opts = parseArgs([...req.args, "--to", format.name, "--", req.name]);
  } catch (e) {
    const o = thrownOutcome(req.name, e);
    if (o === null) throw e;
    messages.push(o.message!);
    return result(null, o.code);
  }
  const source = req.source;
  const input: Input = {
    name: req.name,
    kind: "file",
    mtime: req.mtime === null ? null : new Date(req.mtime),
    size: source.size,
    open: () => readBlob(source),
  };
  let output: BlobOutput | null = null;
  const warned = new Set<string>();
  const ctx: FormatContext = {
    input,
    opts,
    outPath: null,
    files: [],
    out() {
      if (output === null) output = new BlobOutput();
      return output;
    },
    warn(msg) {
      if (warned.has(msg)) return;
      warned.add(msg);
      messages.push(`warning: ${msg}`);
    },
    drive(onEvent, dopts) {
      const started = performance.now();
      const progress = (r: TraceReader) => {
        reader = r;
        onProgress({ bytes: r.bytesIn, total: source.size, generations: r.stats.generations, events: r.stats.events, secs: (performance.now() - started) / 1000 });
      };
      return drive(input.open(), onEvent, { progress, redact: opts.redact, salvage: dopts?.salvage === true }).then((res) => {
        reader = res.reader;
        return res;
      });
    },
  };
  let res: DriveResult;
  try {
    res = await format.run(ctx);
  } catch (e) {
    const o = thrownOutcome(req.name, e);
    if (o === null) throw e;
    messages.push(o.message!);
    return result(null, o.code);
  }
  const outcome = driveOutcome(req.name, res);
  if (outcome.message !== null) messages.push(outcome.message);
  const out = output as BlobOutput | null;
  if (out === null) return result(null, outcome.code);
  const blob = out.finish(mimeOf(format.ext, format.binary));
  if (!(await out.readable())) {
    messages.push(
      `the browser could not keep the ${(blob.size / 1e6).toFixed(0)} MB output (its storage for page data is full): narrow it with the filters, or run the command`,
    );
    return result(null, EXIT_INPUT);
  }
  return result(blob, outcome.code);
}
