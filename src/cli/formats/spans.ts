// What the span formats (otlp, otlp-json, zipkin, zipkin-json) share: the
// resource, the spans of the input (a trace, or an OTLP JSON body such as a
// file of unsent spans), and pushing them to a backend with the file of
// unsent spans when it fails.

import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { DriveResult } from "../../convert/drive.js";
import { OtlpJsonError, OtlpJsonSpanReader } from "../../convert/otlp-json-read.js";
import { SpanBuilder, traceResourceAttrs, type SpanAttr, type SpanRec } from "../../convert/spans.js";
import { TraceError } from "../../decode/errors.js";
import { TraceReader } from "../../decode/reader.js";
import type { ExportTarget } from "../../sinks/exporters.js";
import type { FormatContext } from "../format.js";
import { parseKeyValues } from "../export-config.js";
import { Output } from "../output.js";
import { VERSION } from "../version.js";

export const DEFAULT_SERVICE_NAME = "trace-convert";

/** OTEL_RESOURCE_ATTRIBUTES: comma-separated key=value, values percent-encoded. */
export function parseResourceAttributes(s: string | undefined): SpanAttr[] {
  return parseKeyValues(s).map(([key, value]) => ({ key, value }));
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

export function envInt(name: string): number | undefined {
  const v = process.env[name]?.trim();
  if (!v || !/^\d+$/.test(v) || Number(v) === 0) return undefined;
  return Number(v);
}

/** The first chunk of a byte stream, and the whole stream again (that chunk first). */
export async function peekInput(src: AsyncIterable<Uint8Array>): Promise<{ first: Uint8Array | null; all: AsyncIterable<Uint8Array> }> {
  const it = src[Symbol.asyncIterator]();
  let first: Uint8Array | null = null;
  for (;;) {
    const r = await it.next();
    if (r.done === true) break;
    if (r.value.length > 0) {
      first = r.value;
      break;
    }
  }
  async function* all(): AsyncIterable<Uint8Array> {
    if (first === null) return;
    yield first;
    for (;;) {
      const r = await it.next();
      if (r.done === true) return;
      yield r.value;
    }
  }
  return { first, all: all() };
}

/** A JSON object (a trace starts with "go 1."): after an optional byte order mark and white space, "{" (or `open`). */
export function looksLikeJson(b: Uint8Array | null, open = 123): boolean {
  if (b === null) return false;
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length && (b[i] === 32 || b[i] === 10 || b[i] === 13 || b[i] === 9)) i++;
  return b[i] === open;
}

export type SpanSink = { add(s: SpanRec): Promise<void> | void };

/**
 * Hands every span of the input to the sink `open` makes (awaiting it when
 * it asks for backpressure). `open` is called once, before the first span,
 * with the resource attributes; not at all when the input holds nothing.
 * The input is a trace, whose tasks, regions and logs become spans, or an
 * OTLP JSON request body (what --to otlp-json writes, and the file of spans a
 * failed push leaves), whose spans are taken as they are.
 */
export async function inputSpans(ctx: FormatContext, open: (resource: SpanAttr[]) => SpanSink): Promise<{ res: DriveResult; fromJson: boolean }> {
  const { first, all } = await peekInput(ctx.input.open());
  if (looksLikeJson(first)) return { res: await jsonSpans(ctx, all, open), fromJson: true };
  if (looksLikeJson(first, 91)) {
    throw new TraceError("a JSON array (a Zipkin body?) is not an input: the span formats take a trace or an OTLP JSON body (what --to otlp-json writes)", 0);
  }

  const builder = new SpanBuilder({ startTime: ctx.opts.startTime, mtime: ctx.input.mtime, warn: (m) => ctx.warn(m) });
  let sink: SpanSink | null = null;
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
  const res = await ctx.drive(
    (ev, r) => {
      builder.event(ev, r);
      return drain();
    },
    { salvage: true, source: all },
  );
  builder.finish();
  await drain();
  // Nothing decoded at all (not a trace): no output.
  if (sink === null && !(res.error !== null && res.completeGenerations === 0 && (res.salvagedEvents ?? 0) === 0)) {
    sink = open(resourceAttrs(ctx.opts.serviceName, builder.version, builder.programName));
  }
  return { res, fromJson: false };
}

/** The spans of an OTLP JSON body, streamed; --service-name replaces the file's service.name. */
async function jsonSpans(ctx: FormatContext, src: AsyncIterable<Uint8Array>, open: (resource: SpanAttr[]) => SpanSink): Promise<DriveResult> {
  let sink: SpanSink | null = null;
  let first: string | null = null;
  const queue: SpanRec[] = [];
  const reader = new OtlpJsonSpanReader(
    (attrs) => {
      if (ctx.opts.serviceName !== null) attrs = [{ key: "service.name", value: ctx.opts.serviceName }, ...attrs.filter((a) => a.key !== "service.name")];
      const key = JSON.stringify(attrs);
      if (sink === null) {
        first = key;
        sink = open(attrs);
      } else if (key !== first) {
        ctx.warn(`${ctx.input.name} has spans of more than one resource: all are sent with the first one's attributes`);
      }
    },
    (s) => queue.push(s),
  );
  const flush = async () => {
    if (queue.length > 0 && sink === null) throw new OtlpJsonError("not an OTLP JSON request body: spans before their resource", 0);
    for (const s of queue.splice(0)) {
      const p = sink!.add(s);
      if (p !== undefined) await p;
    }
  };
  try {
    for await (const chunk of src) {
      reader.push(chunk);
      await flush();
    }
    reader.end();
    await flush();
  } catch (e) {
    if (e instanceof OtlpJsonError) throw new TraceError(e.message, e.offset);
    throw e;
  }
  return { reader: new TraceReader(), error: null, completeGenerations: 0 };
}

function stem(ctx: FormatContext): string {
  if (ctx.input.kind === "stdin") return "stdin";
  if (ctx.input.kind === "url") return "capture";
  return basename(ctx.input.name).replace(/(\.unsent(\.\d+)?)?\.otlp\.json$|\.json$|\.(trace|out|bin)$/, "") || "trace";
}

/** Where unsent spans go: -o if given, else <input>.unsent.otlp.json in the working directory (never overwriting). */
export function fallbackPath(ctx: FormatContext): string {
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

/** How to send the unsent spans again: the same command with the file as its input. */
function resendCommand(ctx: FormatContext, target: ExportTarget, path: string): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const parts = ["trace-convert", q(path), "--to", ctx.opts.to];
  if (target.protocol !== "zipkin") parts.push("--protocol", target.protocol);
  parts.push("--endpoint", q(target.url));
  return parts.join(" ") + (ctx.opts.headers.length > 0 ? " and your --header options" : "");
}

/**
 * Pushes the input's spans to `target` through its official exporter; on
 * failure, writes the spans not accepted to a file (fallbackPath) and
 * returns an error naming it and the command that sends it later.
 */
export async function pushSpans(ctx: FormatContext, target: ExportTarget, toSpan: (s: SpanRec, resource: Resource, scopeVersion: string) => ReadableSpan): Promise<DriveResult> {
  const [{ createExporter }, { SpanPushSink }] = await Promise.all([import("../../sinks/exporters.js"), import("../../sinks/push.js")]);
  const maxInFlight = 2;
  const exporter = await createExporter(target, maxInFlight + 1);
  const what = target.protocol === "zipkin" ? "Zipkin" : `OTLP (${target.protocol})`;
  let push: InstanceType<typeof SpanPushSink> | null = null;
  const { res, fromJson } = await inputSpans(ctx, (resource) => {
    push = new SpanPushSink({
      target: target.url,
      exporter,
      toSpan,
      resourceAttrs: resource,
      scopeVersion: VERSION,
      batchSize: envInt("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") ?? 512,
      maxInFlight,
      // Zipkin's exporter has no timeout; the OTLP ones give up by themselves (after their own retries).
      giveUpMs: target.protocol === "zipkin" ? target.timeoutMillis : target.timeoutMillis * 2 + 5000,
      debug: ctx.opts.debug,
      warn: ctx.opts.quiet ? undefined : (m) => ctx.warn(m),
      openFallback: () => {
        const path = fallbackPath(ctx);
        const f = Output.file(path);
        return { sink: f, close: () => f.close(), path };
      },
    });
    return push;
  });
  if (push === null) {
    await exporter.shutdown().catch(() => undefined);
    if (fromJson && !ctx.opts.quiet) process.stderr.write(`trace-convert: ${ctx.input.name} holds no span: nothing sent\n`);
    return res;
  }
  const report = await (push as InstanceType<typeof SpanPushSink>).close();
  const accepted = report.sent - report.rejected;
  if (report.error === null && report.rejected === 0) {
    if (!ctx.opts.quiet) {
      process.stderr.write(`trace-convert: ${what}: ${accepted} span${accepted === 1 ? "" : "s"} sent to ${target.url}, all accepted (${report.requests} request${report.requests === 1 ? "" : "s"})\n`);
    }
    return res;
  }
  let msg: string;
  if (report.error === null) {
    msg = `${what} export to ${target.url}: the collector rejected ${report.rejected} of ${report.total} spans${report.partialMessages.length > 0 ? ": " + report.partialMessages[0] : ""}`;
  } else {
    msg = `${what} export to ${target.url} failed: ${report.error}; ${accepted} of ${report.total} spans were accepted`;
    if (report.fallbackPath !== null) {
      msg += `, the other ${report.unsent} are in ${report.fallbackPath} (OTLP JSON; send them later with: ${resendCommand(ctx, target, report.fallbackPath)})`;
    } else {
      msg += `, ${report.unsent} were not sent`;
    }
  }
  if (res.error !== null) msg += `; besides, the trace is damaged at byte ${res.error.offset}: ${res.error.message.split("\n")[0]}`;
  return { ...res, error: new TraceError(msg, 0, false, true), completeGenerations: 0 };
}
