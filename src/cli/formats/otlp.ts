import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { DriveResult } from "../../convert/drive.js";
import { SpanBuilder, traceResourceAttrs, type SpanAttr, type SpanRec } from "../../convert/spans.js";
import { TraceError } from "../../decode/errors.js";
import { OtlpJsonWriter } from "../../sinks/otlp-json.js";
// The push sink (and the OpenTelemetry SDK under it, ~150 ms to load) is imported only by --to otlp.
import type { OtlpPushSink } from "../../sinks/otlp.js";
import type { Format, FormatContext } from "../format.js";
import { VERSION } from "../version.js";
import { UsageError } from "../options.js";
import { Output } from "../output.js";

export const DEFAULT_SERVICE_NAME = "trace-convert";

/** OTEL_RESOURCE_ATTRIBUTES: comma-separated key=value, values percent-encoded. */
export function parseResourceAttributes(s: string | undefined): SpanAttr[] {
  const out: SpanAttr[] = [];
  if (s === undefined) return out;
  for (const part of s.split(",")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const key = part.slice(0, i).trim();
    let value = part.slice(i + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      /* keep as is */
    }
    if (key !== "") out.push({ key, value });
  }
  return out;
}

/** Resource attributes: service.name (--service-name, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, the program's name, default), the trace's Go version, OTEL_RESOURCE_ATTRIBUTES. */
export function resourceAttrs(serviceName: string | null, version: number, program: string | null, env: NodeJS.ProcessEnv = process.env): SpanAttr[] {
  const fromEnv = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  const name =
    serviceName ??
    (env.OTEL_SERVICE_NAME?.trim() || null) ??
    (fromEnv.find((a) => a.key === "service.name")?.value as string | undefined) ??
    program ??
    DEFAULT_SERVICE_NAME;
  const attrs: SpanAttr[] = [{ key: "service.name", value: name }];
  const seen = new Set(["service.name"]);
  for (const a of traceResourceAttrs(version)) {
    attrs.push(a);
    seen.add(a.key);
  }
  attrs.push({ key: "telemetry.sdk.name", value: "trace-convert" }, { key: "telemetry.sdk.version", value: VERSION });
  seen.add("telemetry.sdk.name").add("telemetry.sdk.version");
  for (const a of fromEnv) if (!seen.has(a.key)) attrs.push(a);
  return attrs;
}

function envInt(name: string): number | undefined {
  const v = process.env[name]?.trim();
  if (!v || !/^\d+$/.test(v) || Number(v) === 0) return undefined;
  return Number(v);
}

function stem(ctx: FormatContext): string {
  if (ctx.input.kind === "stdin") return "stdin";
  if (ctx.input.kind === "url") return "capture";
  return basename(ctx.input.name).replace(/\.(trace|out|bin)$/, "") || "trace";
}

/** Where unsent spans go: -o if given, else <input>.unsent.otlp.json in the working directory (never overwriting). */
function fallbackPath(ctx: FormatContext): string {
  const o = ctx.opts.output;
  let dir = "";
  if (o !== null && o !== "-") {
    let isDir = o.endsWith("/");
    try {
      isDir ||= statSync(o).isDirectory();
    } catch {
      /* a new file */
    }
    if (!isDir) return o;
    dir = o;
  }
  const base = join(dir, `${stem(ctx)}.unsent.otlp.json`);
  let p = base;
  for (let i = 1; existsSync(p); i++) p = base.replace(/\.otlp\.json$/, `.${i}.otlp.json`);
  return p;
}

/**
 * Runs the span conversion over the input, handing each finished span to
 * `sink` (awaiting it when it asks for backpressure). `open` is called once,
 * before the first span, with the resource attributes.
 */
async function convert(
  ctx: FormatContext,
  open: (resource: SpanAttr[]) => { add(s: SpanRec): Promise<void> | void },
): Promise<{ res: DriveResult; builder: SpanBuilder }> {
  const builder = new SpanBuilder({ startTime: ctx.opts.startTime, mtime: ctx.input.mtime, warn: (m) => ctx.warn(m) });
  let sink: { add(s: SpanRec): Promise<void> | void } | null = null;
  const flush = async (spans: SpanRec[]) => {
    for (const s of spans) {
      const p = sink!.add(s);
      if (p !== undefined) await p;
    }
  };
  const drain = (): Promise<void> | void => {
    if (builder.pending === 0) return;
    if (sink === null) sink = open(resourceAttrs(ctx.opts.serviceName, builder.version, builder.programName));
    const spans = builder.takeSpans();
    // Fast path: no backpressure requested.
    for (let i = 0; i < spans.length; i++) {
      const p = sink.add(spans[i]!);
      if (p !== undefined) return p.then(() => flush(spans.slice(i + 1)));
    }
  };
  const res = await ctx.drive((ev, r) => {
    builder.event(ev, r);
    return drain();
  }, { salvage: true });
  builder.finish();
  await drain();
  // Nothing decoded at all (not a trace): no output.
  if (sink === null && !(res.error !== null && res.completeGenerations === 0 && (res.salvagedEvents ?? 0) === 0)) {
    sink = open(resourceAttrs(ctx.opts.serviceName, builder.version, builder.programName));
  }
  return { res, builder };
}

export const formats: Format[] = [
  {
    name: "otlp",
    summary: "tasks, regions and logs as OpenTelemetry spans, pushed over OTLP/HTTP (Jaeger, Tempo, any collector)",
    example: "trace-convert trace.out --to otlp --endpoint http://localhost:4318 --service-name api",
    binary: false,
    ext: ".unsent.otlp.json",
    writesOutput: false,
    async run(ctx) {
      const { OtlpPushSink, resolveEndpoint } = await import("../../sinks/otlp.js");
      let url: string;
      try {
        url = resolveEndpoint(ctx.opts.endpoint);
      } catch {
        throw new UsageError(`--endpoint: not a URL: "${ctx.opts.endpoint}" (use e.g. http://localhost:4318)`);
      }
      const proto = (process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim();
      if (proto && proto !== "http/json") ctx.warn(`OTEL_EXPORTER_OTLP_PROTOCOL=${proto} is not supported: sending OTLP/HTTP with JSON (http/json)`);
      let push: OtlpPushSink | null = null;
      let file: Output | null = null;
      const { res } = await convert(ctx, (resource) => {
        push = new OtlpPushSink({
          url,
          headers: Object.fromEntries(ctx.opts.headers),
          resourceAttrs: resource,
          scopeVersion: VERSION,
          batchSize: envInt("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") ?? 512,
          debug: ctx.opts.debug,
          warn: ctx.opts.quiet ? undefined : (m) => ctx.warn(m),
          openFallback: () => {
            const path = fallbackPath(ctx);
            file = Output.file(path);
            const f = file;
            return { sink: f, close: () => f.close(), path };
          },
        });
        return push;
      });
      if (push === null) return res;
      const report = await (push as OtlpPushSink).close();
      const accepted = report.sent - report.rejected;
      if (report.error === null && report.rejected === 0) {
        if (!ctx.opts.quiet) {
          process.stderr.write(`trace-convert: OTLP: ${accepted} span${accepted === 1 ? "" : "s"} sent to ${url}, all accepted (${report.requests} request${report.requests === 1 ? "" : "s"})\n`);
        }
        return res;
      }
      let msg: string;
      if (report.error === null) {
        msg = `OTLP export to ${url}: the collector rejected ${report.rejected} of ${report.total} spans${report.partialMessages.length > 0 ? ": " + report.partialMessages[0] : ""}`;
      } else {
        msg = `OTLP export to ${url} failed: ${report.error}; ${accepted} of ${report.total} spans were accepted`;
        if (report.fallbackPath !== null) {
          msg += `, the other ${report.unsent} are in ${report.fallbackPath} (OTLP/HTTP JSON; send it later with: curl -H 'Content-Type: application/json' --data-binary @${report.fallbackPath} ${url})`;
        } else {
          msg += `, ${report.unsent} were not sent`;
        }
      }
      if (res.error !== null) msg += `; besides, the trace is damaged at byte ${res.error.offset}: ${res.error.message.split("\n")[0]}`;
      return { ...res, error: new TraceError(msg, 0, false, true), completeGenerations: 0 };
    },
  },
  {
    name: "otlp-json",
    summary: "the same spans as an OTLP/HTTP JSON request body (ExportTraceServiceRequest), for files and pipelines",
    example: "trace-convert trace.out --to otlp-json -o spans.json && curl -H 'Content-Type: application/json' --data-binary @spans.json http://localhost:4318/v1/traces",
    binary: false,
    ext: ".otlp.json",
    writesOutput: true,
    async run(ctx) {
      let writer: OtlpJsonWriter | null = null;
      const { res } = await convert(ctx, (resource) => {
        writer = new OtlpJsonWriter(ctx.out(), resource, VERSION);
        return writer;
      });
      if (writer !== null) await (writer as OtlpJsonWriter).end();
      return res;
    },
  },
];
