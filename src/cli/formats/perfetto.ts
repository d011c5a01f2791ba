// --to perfetto (trace-event JSON) and --to perfetto-proto (Perfetto's TracePacket protobuf).

import { TaskCollector, TimelineConverter, type TimelineOptions } from "../../convert/timeline.js";
import type { TimelineSink } from "../../convert/timeline-model.js";
import type { DriveResult } from "../../convert/drive.js";
import { PerfettoProtoSink } from "../../sinks/perfetto-proto.js";
import { TraceJsonSink } from "../../sinks/trace-json.js";
import type { Format, FormatContext } from "../format.js";
import { UsageError } from "../options.js";

async function timelineOptions(ctx: FormatContext): Promise<TimelineOptions> {
  const o = ctx.opts;
  const t: TimelineOptions = {
    start: o.start,
    end: o.end,
    goroutine: o.goroutine,
    tasks: null,
    goroutines: null,
    annotationsOnly: o.annotationsOnly,
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

async function run(ctx: FormatContext, mk: (ctx: FormatContext) => TimelineSink): Promise<DriveResult> {
  const topts = await timelineOptions(ctx);
  const conv = new TimelineConverter(mk(ctx), topts);
  const res = await ctx.drive((ev) => conv.onEvent(ev), { salvage: true });
  await conv.finish();
  return res;
}

export const formats: Format[] = [
  {
    name: "perfetto",
    summary: "Chrome trace-event JSON for ui.perfetto.dev (procs, goroutines, threads, tasks, GC, counters, flows)",
    example: "trace-convert trace.out --to perfetto -o trace.json   # then open it in https://ui.perfetto.dev",
    binary: false,
    ext: ".json",
    writesOutput: true,
    run: (ctx) => run(ctx, (c) => new TraceJsonSink(c.out())),
  },
  {
    name: "perfetto-proto",
    summary: "Perfetto's native protobuf trace (.pftrace) with interned callstacks: smaller and faster to load than JSON",
    example: "trace-convert trace.out --to perfetto-proto -o trace.pftrace",
    binary: true,
    ext: ".pftrace",
    writesOutput: true,
    run: (ctx) => run(ctx, (c) => new PerfettoProtoSink(c.out())),
  },
];
