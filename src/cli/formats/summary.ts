import { combineSummaries, report, SummaryBuilder, type SummaryParts, type TraceSummary } from "../../convert/summary.js";
import { summaryJSON, summaryText } from "../../sinks/summary.js";
import type { Format, FormatContext, OutputSink } from "../format.js";
import type { Options } from "../options.js";

/** Reads one input into the summary's parts (null when nothing could be decoded). */
async function collect(ctx: FormatContext): Promise<{ res: Awaited<ReturnType<FormatContext["drive"]>>; part: SummaryParts | null }> {
  const b = new SummaryBuilder();
  const res = await ctx.drive((ev, r) => b.event(ev, r), { salvage: true });
  // Nothing decoded: the error is the whole story.
  if (res.error !== null && res.completeGenerations === 0 && (res.salvagedEvents ?? 0) === 0) return { res, part: null };
  const part = b.parts();
  for (const n of part.notes) ctx.warn(`${ctx.input.name}: ${n}`);
  return { res, part };
}

async function write(s: TraceSummary, name: string, out: OutputSink, opts: Options): Promise<void> {
  if (opts.json) {
    await out.write(summaryJSON(s, name));
  } else {
    for (const line of summaryText(s, name)) {
      const p = out.write(line + "\n");
      if (p !== undefined) await p;
    }
  }
}

export const formats: Format[] = [
  {
    name: "summary",
    summary: "the tables of go tool trace's web UI: goroutines by start function, task and region latency, GC pauses and MMU (--json for JSON); several inputs give one combined summary (--per-trace: one each)",
    example: "trace-convert trace.out --to summary   # or --to summary --json | jq .goroutines; or a/*.trace --to summary",
    binary: false,
    ext: ".txt",
    writesOutput: true,
    async run(ctx) {
      const { res, part } = await collect(ctx);
      if (part !== null) await write(report(part), ctx.input.name, ctx.out(), ctx.opts);
      return res;
    },
    combine: {
      collect,
      async write(parts, out, opts) {
        const s = report(combineSummaries(parts));
        await write(s, `${parts.length} traces`, out, opts);
      },
    },
  },
];
