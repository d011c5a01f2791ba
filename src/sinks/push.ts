// Pushes spans to a tracing backend through one of the official exporters
// (exporters.ts: OTLP over http/protobuf, http/json or gRPC; Zipkin), in
// batches, retrying with backoff; when the backend refuses or disappears for
// good, every span not accepted is written to an otlp-json file instead,
// which the command takes back as its input to send them later.

import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { SpanAttr, SpanRec } from "../convert/spans.js";
import type { BytesWriter } from "./chunks.js";
import type { SpanExporterLike } from "./exporters.js";
import { OtlpJsonWriter } from "./otlp-json.js";
import { attrObject } from "./readable-span.js";

export interface PushOptions {
  /** Where the spans go, for messages (the URL). */
  target: string;
  exporter: SpanExporterLike;
  /** The span as the exporter takes it. */
  toSpan: (s: SpanRec, resource: Resource, scopeVersion: string) => ReadableSpan;
  resourceAttrs: SpanAttr[];
  scopeVersion: string;
  /** Spans per request. */
  batchSize?: number;
  /** Requests under way at once. */
  maxInFlight?: number;
  /** Retries of a batch after the exporter's own (the OTLP/HTTP ones retry 429/502/503/504 within their timeout). */
  retries?: number;
  /** First backoff, ms (doubled each retry, with jitter). */
  backoffMs?: number;
  /** A request with no answer after this long (ms) counts as failed (retryable): for exporters without a timeout of their own (Zipkin's). */
  giveUpMs?: number;
  /** Opens the file that receives unsent spans (called at most once). */
  openFallback: () => { sink: BytesWriter; close(): Promise<void>; path: string };
  /** Progress and diagnostics. */
  warn?: (msg: string) => void;
  debug?: boolean;
}

export interface PushReport {
  target: string;
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

const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED", "UND_ERR_SOCKET"]);

/** gRPC status codes (the names gRPC gives them). */
const GRPC_STATUS = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];
/** The ones worth retrying (the OTLP specification's list, with RESOURCE_EXHAUSTED: the collector is busy). */
const GRPC_RETRYABLE = new Set([1, 4, 8, 10, 11, 14, 15]);

/** TLS verification failures: retrying cannot help, a CA certificate may. */
const TLS_CODES = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_.*)$/;

/** A readable reason, and whether trying again may help: HTTP statuses (OTLP/HTTP, Zipkin), gRPC statuses, socket and TLS errors. */
export function describeExportError(e: unknown): { reason: string; retryable: boolean } {
  if (e === undefined || e === null) return { reason: "export failed", retryable: true };
  const err = e as { name?: string; message?: string; code?: unknown; data?: unknown; details?: unknown };
  if (err.name === "OTLPExporterError" && typeof err.code === "number") {
    const body = typeof err.data === "string" ? err.data.trim().split("\n")[0]!.slice(0, 200) : "";
    const st = err.code;
    return { reason: `HTTP ${st}${err.message ? " " + err.message : ""}${body ? ": " + body : ""}`, retryable: st === 429 || st >= 500 };
  }
  if (typeof err.code === "number" && typeof err.details === "string") {
    // A gRPC status (@grpc/grpc-js ServiceError).
    const name = GRPC_STATUS[err.code] ?? `status ${err.code}`;
    // "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:4317. Resolution note: "
    const details = err.details
      .replace(/\s*Resolution note:\s*$/, "")
      .replace(/Last error: (Error: )?/, "last error: ")
      .trim()
      .replace(/\.$/, "");
    return { reason: `gRPC ${name}${details ? ": " + details : ""}`, retryable: GRPC_RETRYABLE.has(err.code) };
  }
  const msg = err.message ?? String(e);
  // The Zipkin exporter's answer to a status >= 400.
  const zs = /^Got unexpected status code from zipkin: (\d+)$/.exec(msg);
  if (zs !== null) {
    const st = Number(zs[1]);
    return { reason: `HTTP ${st}`, retryable: st === 429 || st >= 500 };
  }
  if (msg === "Export failed with retryable status") return { reason: "the collector kept answering 429/502/503/504 (busy or unavailable)", retryable: true };
  if (typeof err.code === "string") {
    if (TLS_CODES.test(err.code)) {
      return { reason: `TLS: ${msg} (${err.code}; OTEL_EXPORTER_OTLP_CERTIFICATE names the CA certificate to trust)`, retryable: false };
    }
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
  if (msg.startsWith("no answer in ")) return { reason: msg, retryable: true };
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

export class SpanPushSink {
  private readonly exporter: SpanExporterLike;
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
    this.exporter = opts.exporter;
    this.report = {
      target: opts.target,
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
    const giveUp = this.opts.giveUpMs;
    return new Promise((res) => {
      let timer: NodeJS.Timeout | null = null;
      if (giveUp !== undefined) {
        timer = setTimeout(() => res({ code: ExportResultCode.FAILED, error: new Error(`no answer in ${(giveUp / 1000).toFixed(1)}s`) }), giveUp);
      }
      this.exporter.export(spans, (r) => {
        if (timer !== null) clearTimeout(timer);
        res(r);
      });
    });
  }

  private async send(b: SpanRec[]): Promise<void> {
    const spans = b.map((s) => this.opts.toSpan(s, this.resource, this.opts.scopeVersion));
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
      this.opts.warn?.(`export to ${this.opts.target}: ${reason}; retrying in ${(wait / 1000).toFixed(1)}s (${attempt + 1}/${this.retries})`);
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
    // Every batch is settled by now; the exporter may still wait for a
    // request it was given up on (Zipkin's waits for its requests): not long.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exporter.shutdown().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    partialHook = null;
    this.report.error = this.failed;
    if (this.fallbackError !== null) {
      this.report.error = `${this.failed ?? "export failed"}; and the unsent spans could not be written: ${this.fallbackError}`;
      this.report.fallbackPath = null;
    }
    return this.report;
  }
}
