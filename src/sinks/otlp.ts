// Pushes spans over OTLP/HTTP with the OpenTelemetry exporter, in batches,
// retrying with backoff; when the collector refuses or disappears for good,
// every span not accepted is written to an otlp-json file instead.

import { diag, DiagLogLevel, SpanKind, type HrTime, type DiagLogger } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { SpanAttr, SpanRec } from "../convert/spans.js";
import type { BytesWriter } from "./chunks.js";
import { OtlpJsonWriter, SCOPE_NAME } from "./otlp-json.js";

export interface PushOptions {
  /** Full URL of the traces endpoint (see resolveEndpoint). */
  url: string;
  /** Extra headers (merged over OTEL_EXPORTER_OTLP_*HEADERS). */
  headers: Record<string, string>;
  resourceAttrs: SpanAttr[];
  scopeVersion: string;
  /** Spans per request. */
  batchSize?: number;
  /** Requests under way at once. */
  maxInFlight?: number;
  /** Retries of a batch after the exporter's own (which covers 429/502/503/504 within its timeout). */
  retries?: number;
  /** First backoff, ms (doubled each retry, with jitter). */
  backoffMs?: number;
  /** Per-request timeout, ms (default OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT or 10 s). */
  timeoutMillis?: number;
  /** Opens the file that receives unsent spans (called at most once). */
  openFallback: () => { sink: BytesWriter; close(): Promise<void>; path: string };
  /** Progress and diagnostics. */
  warn?: (msg: string) => void;
  debug?: boolean;
}

export interface PushReport {
  url: string;
  /** Spans handed to the sink. */
  total: number;
  /** Spans in requests the collector answered with success. */
  sent: number;
  /** Of those, rejected through a partial-success answer. */
  rejected: number;
  /** Spans written to the fallback file. */
  unsent: number;
  fallbackPath: string | null;
  /** Why the export stopped (null when everything was sent). */
  error: string | null;
  /** Messages of partial-success answers. */
  partialMessages: string[];
  requests: number;
  retries: number;
}

/**
 * The traces URL from --endpoint, else the exporter's environment variables
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, OTEL_EXPORTER_OTLP_ENDPOINT +
 * /v1/traces), else http://localhost:4318/v1/traces. An --endpoint without a
 * path gets /v1/traces.
 */
export function resolveEndpoint(endpoint: string | null, env: NodeJS.ProcessEnv = process.env): string {
  const base = (u: string) => (u.endsWith("/") ? u : u + "/") + "v1/traces";
  if (endpoint !== null && endpoint !== "") {
    const u = new URL(endpoint);
    return u.pathname === "/" || u.pathname === "" ? base(u.origin) : u.toString();
  }
  const t = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (t) return new URL(t).toString();
  const g = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (g) return base(new URL(g).toString());
  return "http://localhost:4318/v1/traces";
}

function hr(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

function attrObject(attrs: readonly SpanAttr[]): Record<string, string | number | boolean> {
  const o: Record<string, string | number | boolean> = Object.create(null) as Record<string, string | number | boolean>;
  for (const a of attrs) o[a.key] = a.value;
  return o;
}

/** A finished span as the SDK's exporters take it. */
export function toReadableSpan(s: SpanRec, resource: Resource, scopeVersion: string): ReadableSpan {
  const ctx = { traceId: s.traceId, spanId: s.spanId, traceFlags: 1 };
  const dur = s.end - s.start;
  return {
    name: s.name,
    kind: SpanKind.INTERNAL,
    spanContext: () => ctx,
    parentSpanContext: s.parentSpanId === "" ? undefined : { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: 1, isRemote: s.parentRemote },
    startTime: hr(s.start),
    endTime: hr(s.end),
    status: { code: 0 },
    attributes: attrObject(s.attrs),
    links: [],
    events: s.events.map((e) => ({ time: hr(e.time), name: e.name, attributes: attrObject(e.attrs), droppedAttributesCount: 0 })),
    duration: hr(dur < 0n ? 0n : dur),
    ended: true,
    resource,
    instrumentationScope: { name: SCOPE_NAME, version: scopeVersion },
    droppedAttributesCount: 0,
    droppedEventsCount: s.droppedEvents,
    droppedLinksCount: 0,
  };
}

const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED", "UND_ERR_SOCKET"]);

/** A readable reason, and whether trying again may help. */
export function describeExportError(e: unknown): { reason: string; retryable: boolean } {
  if (e === undefined || e === null) return { reason: "export failed", retryable: true };
  const err = e as { name?: string; message?: string; code?: unknown; data?: unknown };
  if (err.name === "OTLPExporterError" && typeof err.code === "number") {
    const body = typeof err.data === "string" ? err.data.trim().split("\n")[0]!.slice(0, 200) : "";
    const st = err.code;
    return { reason: `HTTP ${st}${err.message ? " " + err.message : ""}${body ? ": " + body : ""}`, retryable: st === 429 || st >= 500 };
  }
  const msg = err.message ?? String(e);
  if (msg === "Export failed with retryable status") return { reason: "the collector kept answering 429/502/503/504 (busy or unavailable)", retryable: true };
  if (typeof err.code === "string") {
    const friendly: Record<string, string> = {
      ECONNREFUSED: "connection refused",
      ECONNRESET: "connection reset",
      ENOTFOUND: "host not found",
      ETIMEDOUT: "connection timed out",
      EHOSTUNREACH: "host unreachable",
      ENETUNREACH: "network unreachable",
      EPIPE: "connection closed",
    };
    return { reason: `${friendly[err.code] ?? msg} (${err.code})`, retryable: RETRYABLE_CODES.has(err.code) };
  }
  if (msg === "Request Timeout") return { reason: "request timed out", retryable: true };
  return { reason: msg, retryable: false };
}

let partialHook: ((msg: string) => void) | null = null;
let loggerInstalled = false;

/** Installs (once) a diag logger that catches the exporter's partial-success reports. */
function installDiag(debug: boolean): void {
  if (loggerInstalled) return;
  loggerInstalled = true;
  const quiet = () => undefined;
  const logger: DiagLogger = {
    error: debug ? (m, ...a) => process.stderr.write(`otel: ${m} ${a.map(String).join(" ")}\n`) : quiet,
    warn: (m, ...a) => {
      if (m.startsWith("Received Partial Success response")) partialHook?.(String(a[0] ?? ""));
      else if (debug) process.stderr.write(`otel: ${m} ${a.map(String).join(" ")}\n`);
    },
    info: quiet,
    debug: quiet,
    verbose: quiet,
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class OtlpPushSink {
  private readonly exporter: OTLPTraceExporter;
  private readonly resource: Resource;
  private batch: SpanRec[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failed: string | null = null;
  private fallback: { writer: OtlpJsonWriter; close(): Promise<void>; path: string } | null = null;
  private fallbackError: string | null = null;
  private readonly report: PushReport;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(private readonly opts: PushOptions) {
    installDiag(opts.debug === true);
    this.batchSize = opts.batchSize ?? 512;
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 500;
    this.resource = resourceFromAttributes(attrObject(opts.resourceAttrs));
    this.exporter = new OTLPTraceExporter({
      url: opts.url,
      headers: opts.headers,
      concurrencyLimit: Math.max(this.maxInFlight, 1) + 1,
      ...(opts.timeoutMillis !== undefined ? { timeoutMillis: opts.timeoutMillis } : {}),
    });
    this.report = {
      url: opts.url,
      total: 0,
      sent: 0,
      rejected: 0,
      unsent: 0,
      fallbackPath: null,
      error: null,
      partialMessages: [],
      requests: 0,
      retries: 0,
    };
    partialHook = (json) => {
      try {
        const p = JSON.parse(json) as { rejectedSpans?: string | number; errorMessage?: string };
        const n = Number(p.rejectedSpans ?? 0);
        if (Number.isFinite(n) && n > 0) this.report.rejected += n;
        if (p.errorMessage) this.report.partialMessages.push(p.errorMessage);
      } catch {
        this.report.partialMessages.push(json);
      }
    };
  }

  /** Queues a span; resolves when there is room for more (backpressure). */
  add(s: SpanRec): Promise<void> | void {
    this.report.total++;
    if (this.failed !== null) return this.toFallback([s]);
    this.batch.push(s);
    if (this.batch.length >= this.batchSize) return this.flushBatch();
  }

  private async flushBatch(): Promise<void> {
    const b = this.batch;
    this.batch = [];
    if (b.length === 0) return;
    if (this.failed !== null) return this.toFallback(b);
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    if (this.failed !== null) return this.toFallback(b);
    const p = this.send(b).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private exportOnce(spans: ReadableSpan[]): Promise<ExportResult> {
    return new Promise((res) => this.exporter.export(spans, res));
  }

  private async send(b: SpanRec[]): Promise<void> {
    const spans = b.map((s) => toReadableSpan(s, this.resource, this.opts.scopeVersion));
    let delay = this.backoffMs;
    for (let attempt = 0; ; attempt++) {
      if (this.failed !== null) return this.toFallback(b);
      this.report.requests++;
      const r = await this.exportOnce(spans);
      if (r.code === ExportResultCode.SUCCESS) {
        this.report.sent += b.length;
        return;
      }
      const { reason, retryable } = describeExportError(r.error);
      if (!retryable || attempt >= this.retries || this.failed !== null) {
        if (this.failed === null) this.failed = reason;
        return this.toFallback(b);
      }
      this.report.retries++;
      const wait = Math.round(delay * (0.8 + 0.4 * Math.random()));
      this.opts.warn?.(`OTLP export to ${this.opts.url}: ${reason}; retrying in ${(wait / 1000).toFixed(1)}s (${attempt + 1}/${this.retries})`);
      await sleep(wait);
      delay *= 2;
    }
  }

  private toFallback(spans: SpanRec[]): Promise<void> | void {
    if (spans.length === 0) return;
    if (this.fallback === null && this.fallbackError === null) {
      try {
        const f = this.opts.openFallback();
        this.fallback = { writer: new OtlpJsonWriter(f.sink, this.opts.resourceAttrs, this.opts.scopeVersion), close: f.close, path: f.path };
        this.report.fallbackPath = f.path;
      } catch (e) {
        this.fallbackError = (e as Error).message;
      }
    }
    if (this.fallback === null) {
      this.report.unsent += spans.length;
      return;
    }
    const w = this.fallback.writer;
    this.report.unsent += spans.length;
    let chain: Promise<void> | void = undefined;
    for (const s of spans) {
      if (chain !== undefined) chain = chain.then(() => w.add(s));
      else chain = w.add(s);
    }
    return chain;
  }

  /** Sends what is left and waits for every request; then reports. */
  async close(): Promise<PushReport> {
    await this.flushBatch();
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    if (this.fallback !== null) {
      await this.fallback.writer.end();
      try {
        await this.fallback.close();
      } catch (e) {
        this.fallbackError = (e as Error).message;
      }
    }
    try {
      await this.exporter.shutdown();
    } catch {
      /* nothing left to send */
    }
    partialHook = null;
    this.report.error = this.failed;
    if (this.fallbackError !== null) {
      this.report.error = `${this.failed ?? "export failed"}; and the unsent spans could not be written: ${this.fallbackError}`;
      this.report.fallbackPath = null;
    }
    return this.report;
  }
}
