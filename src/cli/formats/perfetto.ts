// --to perfetto (trace-event JSON) and --to perfetto-proto (Perfetto's TracePacket protobuf),
// with --split (consecutive time parts, each a complete trace) and a warning when an output
// grows past what a browser tab can load.

import { basename, dirname, extname, join } from "node:path";
import { TaskCollector, TimelineConverter, type TimelineOptions } from "../../convert/timeline.js";
import type { TimelineSink } from "../../convert/timeline-model.js";
import type { DriveResult } from "../../convert/drive.js";
import type { BytesWriter } from "../../sinks/chunks.js";
import { PerfettoProtoSink } from "../../sinks/perfetto-proto.js";
import { TraceJsonSink } from "../../sinks/trace-json.js";
import type { Format, FormatContext } from "../format.js";
import { UsageError } from "../options.js";
import { Output } from "../output.js";

/**
 * Outputs past this size get a warning: the trace processor (what
 * ui.perfetto.dev runs in the tab) needs about 2.8x the protobuf's bytes and
 * 2.7x the JSON's (measured on bench/gen traces), so 600 MB is about 1.6 GB
 * in the tab, near what a browser tab holds.
 */
export const BROWSER_LIMIT = 600e6;

async function timelineOptions(ctx: FormatContext): Promise<TimelineOptions> {
  const o = ctx.opts;
  const t: TimelineOptions = {
    start: o.start,
    end: o.end,
    goroutine: o.goroutine,
    tasks: null,
    goroutines: null,
    annotationsOnly: o.annotationsOnly,
    runnable: o.runnable,
    threads: o.osThreads,
  };
  if (o.task !== null) {
    if (ctx.input.kind !== "file") throw new UsageError("--task needs a trace file, not a stream (it reads the trace twice)");
    const c = new TaskCollector(o.task);
    const r = await ctx.drive((ev) => c.onEvent(ev), { salvage: true });
    if (c.tasks.size === 0 && r.error === null) ctx.warn(`no task named "${o.task}" in the trace`);
    t.tasks = c.tasks;
    t.goroutines = c.goroutines;
  }
  return t;
}

/** The path of part i (from 1) of an output: trace.pftrace -> trace-001.pftrace. */
export function partPath(path: string, i: number): string {
  const ext = extname(path);
  const stem = basename(path, ext);
  return join(dirname(path), `${stem}-${String(i).padStart(3, "0")}${ext}`);
}

const mb = (n: number): string => `${Math.round(n / 1e6).toLocaleString("en-US")} MB`;

/** The warning for outputs (or --split parts) of these sizes, or null. */
export function sizeWarning(sizes: number[], split: number | null, name: string, limit = BROWSER_LIMIT): string | null {
  if (split !== null) {
    const over = sizes.filter((n) => n > split);
    if (over.length > 0) return `${over.length} of the ${sizes.length} parts passed --split ${mb(split)} (up to ${mb(Math.max(...over))}): the slices open across each cut take that room; use a larger --split`;
    const big = sizes.filter((n) => n > limit);
    if (big.length > 0) return `${big.length} of the ${sizes.length} parts are past ${mb(limit)}, more than a browser tab can load in ui.perfetto.dev: use a smaller --split (500MB)`;
    return null;
  }
  const big = sizes.filter((n) => n > limit);
  if (big.length === 0) return null;
  return (
    `${name} is ${mb(big[0]!)}: more than a browser tab can load in ui.perfetto.dev (about ${mb(limit)} of trace); ` +
    `cut it into parts with --split 500MB, or keep a window (--start/--end), a goroutine (--goroutine) or a task (--task)`
  );
}

async function run(ctx: FormatContext, mk: (out: BytesWriter) => TimelineSink): Promise<DriveResult> {
  const topts = await timelineOptions(ctx);
  const limit = ctx.opts.split;
  /** Bytes of each output (each part), for the warning. */
  const sizes: number[] = [];
  let conv: TimelineConverter;
  let partOut: Output | null = null;
  if (limit === null) {
    conv = new TimelineConverter(mk(ctx.out()), topts);
  } else {
    const path = ctx.outPath!;
    let part = 0;
    const open = (): TimelineSink => {
      part++;
      const p = partPath(path, part);
      ctx.files.push(p);
      partOut = Output.file(p);
      return mk(partOut);
    };
    topts.split = {
      limit,
      next: async () => {
        sizes.push(conv.sink.size());
        await partOut!.close();
        return open();
      },
    };
    conv = new TimelineConverter(open(), topts);
  }
  const res = await ctx.drive((ev) => conv.onEvent(ev), { salvage: true });
  await conv.finish();
  sizes.push(conv.sink.size());
  if (partOut !== null) await (partOut as Output).close();
  const w = sizeWarning(sizes, limit, ctx.outPath ?? "the output");
  if (w !== null) ctx.warn(w);
  return res;
}

export const formats: Format[] = [
  {
    name: "perfetto",
    summary: "Chrome trace-event JSON for ui.perfetto.dev (procs, goroutines grouped by start function, tasks, GC, counters, flows)",
    example: "trace-convert trace.out --to perfetto -o trace.json   # then open it in https://ui.perfetto.dev",
    binary: false,
    ext: ".json",
    writesOutput: true,
    run: (ctx) => run(ctx, (out) => new TraceJsonSink(out)),
  },
  {
    name: "perfetto-proto",
    summary: "Perfetto's native protobuf trace (.pftrace) with callstacks: a third of the JSON's size, for big traces",
    example: "trace-convert trace.out --to perfetto-proto -o trace.pftrace",
    binary: true,
    ext: ".pftrace",
    writesOutput: true,
    run: (ctx) => run(ctx, (out) => new PerfettoProtoSink(out)),
  },
];
