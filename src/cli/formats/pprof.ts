import type { DriveResult } from "../../convert/drive.js";
import { CPU_PERIOD, ProfileBuilder, type ProfileFilter, type ProfileKind } from "../../convert/pprof.js";
import type { Format, FormatContext } from "../format.js";

const SUMMARIES: Record<ProfileKind, string> = {
  net: "network blocking profile (pprof, gzipped), as `go tool trace -pprof=net`",
  sync: "synchronization blocking profile (pprof), as `go tool trace -pprof=sync`",
  syscall: "syscall profile (pprof), as `go tool trace -pprof=syscall`",
  sched: "scheduler latency profile (pprof), as `go tool trace -pprof=sched`",
  cpu: "CPU profile (pprof) from the trace's CPU samples, labelled by goroutine",
};

const EXAMPLES: Record<ProfileKind, string> = {
  net: "trace-convert trace.out --to pprof-net -o net.pb.gz && go tool pprof -top net.pb.gz",
  sync: "trace-convert trace.out --to pprof-sync --region fetch -o sync.pb.gz",
  syscall: "trace-convert trace.out --to pprof-syscall --goroutine 42 -o syscall.pb.gz",
  sched: "trace-convert trace.out --to pprof-sched --labels -o sched.pb.gz && go tool pprof -tagfocus=task=checkout sched.pb.gz",
  cpu: "trace-convert trace.out --to pprof-cpu --labels -o cpu.pb.gz && go tool pprof -tags cpu.pb.gz",
};

function filterOf(ctx: FormatContext): ProfileFilter {
  const o = ctx.opts;
  return { goroutine: o.goroutine, region: o.region, task: o.task, start: o.start, end: o.end, labels: o.labels };
}

async function run(kind: ProfileKind, ctx: FormatContext): Promise<DriveResult> {
  // The encoder (pprof-format, ~25 ms to load) is loaded by the pprof formats only.
  const [{ GzipStream }, { flushEncoder, PIECE_ITEMS, PprofEncoder, writeProfile }] = await Promise.all([import("../../sinks/gzip.js"), import("../../sinks/pprof.js")]);
  const filter = filterOf(ctx);
  const b = new ProfileBuilder(kind, filter);
  const streamed = kind === "cpu" && filter.region === null && filter.task === null;
  let res: DriveResult;
  if (streamed) {
    // One pprof sample per trace sample, written as they come.
    const out = ctx.out();
    const gz = new GzipStream(out);
    const enc = new PprofEncoder(b.stacks, b.info);
    b.onCPUSample = (stack, labels) => enc.sample(stack, 1, CPU_PERIOD, labels);
    res = await ctx.drive((ev, r) => {
      b.event(ev, r.timeBase);
      if (enc.pending >= PIECE_ITEMS) return flushEncoder(enc, gz);
    });
    b.end(res.error === null);
    // A CPU profile says when and how long (go tool pprof prints "Duration: ..., Total samples = ... (x%)").
    enc.times(b.wallStart, b.lastTime - b.firstTime);
    await gz.write(enc.take());
    await gz.end();
  } else {
    res = await ctx.drive((ev, r) => b.event(ev, r.timeBase));
    // Nothing usable (not even one complete generation): no output, the command fails.
    if (res.error !== null && res.completeGenerations === 0) return res;
    b.end(res.error === null);
    await writeProfile(b, ctx.out());
  }
  warnings(kind, b, filter, ctx, res);
  return res;
}

function warnings(kind: ProfileKind, b: ProfileBuilder, f: ProfileFilter, ctx: FormatContext, res: DriveResult): void {
  if (res.reader.stats.events === 0) return;
  if (kind === "cpu" && b.cpuSamples === 0) {
    ctx.warn(
      f.goroutine !== null || f.start !== null || f.end !== null
        ? "no CPU samples match the filters"
        : "the trace has no CPU samples (it was not taken while CPU profiling was on); the profile is empty",
    );
  }
  if ((f.region !== null || f.task !== null) && b.matchedRegions === 0) {
    const what = [f.region !== null ? `region "${f.region}"` : "", f.task !== null ? `task "${f.task}"` : ""].filter((s) => s !== "").join(" in ");
    ctx.warn(`no ${what} in the trace; the profile is empty`);
  }
}

function format(kind: ProfileKind): Format {
  return {
    name: `pprof-${kind}`,
    summary: SUMMARIES[kind],
    example: EXAMPLES[kind],
    binary: true,
    ext: `.pprof-${kind}.pb.gz`,
    writesOutput: true,
    run: (ctx) => run(kind, ctx),
  };
}

// Formats of this family are registered here.
export const formats: Format[] = (["net", "sync", "syscall", "sched", "cpu"] as const).map(format);
