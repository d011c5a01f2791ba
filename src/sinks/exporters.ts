// The official OpenTelemetry JS exporters, one per protocol, configured from
// an ExportTarget (resolved by the command from flags and OTEL_* variables).
// Each is imported only when used: the gRPC one brings @grpc/grpc-js.

import type { ExportResult } from "@opentelemetry/core";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";

export type OtlpProtocol = "http/protobuf" | "http/json" | "grpc";
export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ["http/protobuf", "http/json", "grpc"];
export type Protocol = OtlpProtocol | "zipkin";

/** Where and how spans are sent. */
export interface ExportTarget {
  protocol: Protocol;
  /** http: the full traces URL; grpc: the collector's URL (scheme, host, port); zipkin: the full spans URL. */
  url: string;
  /** HTTP headers (gRPC metadata). */
  headers: Record<string, string>;
  /** Per request. */
  timeoutMillis: number;
  compression: "gzip" | "none";
  /** TLS: the trusted CA certificates (PEM) instead of the system's, and a client certificate and key for mTLS. */
  ca?: Uint8Array;
  cert?: Uint8Array;
  key?: Uint8Array;
  /** gRPC: plaintext (an http:// URL, or OTEL_EXPORTER_OTLP_INSECURE=true without a scheme). */
  insecure: boolean;
}

/** What the push sink needs of an exporter (the SDK's SpanExporter). */
export interface SpanExporterLike {
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export async function createExporter(t: ExportTarget, concurrencyLimit: number): Promise<SpanExporterLike> {
  const tls = { ...(t.ca ? { ca: Buffer.from(t.ca) } : {}), ...(t.cert ? { cert: Buffer.from(t.cert) } : {}), ...(t.key ? { key: Buffer.from(t.key) } : {}) };
  const compression = t.compression as never;
  switch (t.protocol) {
    case "http/json":
    case "http/protobuf": {
      const { OTLPTraceExporter } =
        t.protocol === "http/json" ? await import("@opentelemetry/exporter-trace-otlp-http") : await import("@opentelemetry/exporter-trace-otlp-proto");
      return new OTLPTraceExporter({
        url: t.url,
        headers: t.headers,
        timeoutMillis: t.timeoutMillis,
        compression,
        concurrencyLimit,
        httpAgentOptions: { keepAlive: true, ...tls },
      });
    }
    case "grpc": {
      const [{ OTLPTraceExporter }, grpc] = await Promise.all([import("@opentelemetry/exporter-trace-otlp-grpc"), import("@grpc/grpc-js")]);
      const metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(t.headers)) metadata.set(k, v);
      const credentials = t.insecure
        ? grpc.credentials.createInsecure()
        : grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
      return new OTLPTraceExporter({ url: t.url, metadata, credentials, timeoutMillis: t.timeoutMillis, compression, concurrencyLimit });
    }
    case "zipkin": {
      const { ZipkinExporter } = await import("@opentelemetry/exporter-zipkin");
      return new ZipkinExporter({ url: t.url, headers: t.headers });
    }
  }
}
