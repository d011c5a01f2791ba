import { SummaryBuilder } from "../../convert/summary.js";
import { summaryJSON, summaryText } from "../../sinks/summary.js";
import type { Format } from "../format.js";

export const formats: Format[] = [
  {
    name: "summary",
    summary: "the tables of go tool trace's web UI: goroutines by start function, task and region latency, GC pauses and MMU (--json for JSON)",
    example: "trace-convert trace.out --to summary   # or --to summary --json | jq .goroutines",
    binary: false,
    ext: ".txt",
    writesOutput: true,
    async run(ctx) {
      const b = new SummaryBuilder();
      const res = await ctx.drive((ev, r) => b.event(ev, r), { salvage: true });
      // Nothing decoded: the error is the whole story.
      if (res.error !== null && res.completeGenerations === 0 && (res.salvagedEvents ?? 0) === 0) return res;
      const s = b.finish();
      for (const n of s.notes) ctx.warn(`${ctx.input.name}: ${n}`);
      const out = ctx.out();
      if (ctx.opts.json) {
        await out.write(summaryJSON(s, ctx.input.name));
      } else {
        for (const line of summaryText(s, ctx.input.name)) {
          const p = out.write(line + "\n");
          if (p !== undefined) await p;
        }
      }
      return res;
    },
  },
];
