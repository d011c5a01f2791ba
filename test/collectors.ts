// Loopback backends the push tests run themselves, on real sockets: an OTLP
// collector over HTTP (protobuf or JSON bodies, gzip or not, TLS or not), one
// over gRPC (@grpc/grpc-js's server), and a Zipkin-like /api/v2/spans. They
// decode what they receive on their own (protobufjs against
// test/otlp/trace.proto, not the exporters' code) and answer each request as
// the test says: accept, refuse (503 / UNAVAILABLE), and so on, or disappear.

import * as grpc from "@grpc/grpc-js";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import protobuf from "protobufjs";
import { ROOT } from "./helpers.js";

/** What a backend does with request n: accept; busy (429 / RESOURCE_EXHAUSTED); refuse (503 / UNAVAILABLE); bad (400 / INVALID_ARGUMENT); die: close down; hang: never answer. */
export type Answer = "ok" | "busy" | "refuse" | "bad" | "die" | "hang";

/** A span as received, normalized (IDs in hex, times and values as strings). */
export interface NSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  start: string;
  end: string;
  attrs: Record<string, string>;
  events: { name: string; time: string; attrs: Record<string, string> }[];
  service: string;
}

export interface Received {
  spans: NSpan[];
  requests: number;
  contentTypes: string[];
  encodings: string[];
  headers: Record<string, string | string[] | undefined>[];
}

interface JsonAttr {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: JsonAttr[];
  events?: { name: string; timeUnixNano: string; attributes?: JsonAttr[] }[];
}
interface JsonBody {
  resourceSpans?: { resource?: { attributes?: JsonAttr[] }; scopeSpans?: { spans?: JsonSpan[] }[] }[];
}

function attrMap(a: JsonAttr[] | undefined): Record<string, string> {
  const m: Record<string, string> = {};
  for (const x of a ?? []) m[x.key] = String(x.value.stringValue ?? x.value.intValue ?? x.value.boolValue ?? x.value.doubleValue);
  return m;
}

/** The spans of an OTLP JSON body (a request, or an otlp-json file), normalized. */
export function spansOfJson(b: JsonBody): NSpan[] {
  return (b.resourceSpans ?? []).flatMap((r) => {
    const service = attrMap(r.resource?.attributes)["service.name"] ?? "";
    return (r.scopeSpans ?? []).flatMap((s) =>
      (s.spans ?? []).map((x) => ({
        traceId: x.traceId,
        spanId: x.spanId,
        parentSpanId: x.parentSpanId ?? "",
        name: x.name,
        start: String(x.startTimeUnixNano),
        end: String(x.endTimeUnixNano),
        attrs: attrMap(x.attributes),
        events: (x.events ?? []).map((e) => ({ name: e.name, time: String(e.timeUnixNano), attrs: attrMap(e.attributes) })),
        service,
      })),
    );
  });
}

let requestType: protobuf.Type | null = null;

/** The spans of a protobuf ExportTraceServiceRequest, normalized. */
export function spansOfProtobuf(body: Uint8Array): NSpan[] {
  requestType ??= protobuf.loadSync(join(ROOT, "test", "otlp", "trace.proto")).lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest");
  const o = requestType.toObject(requestType.decode(body), { longs: String, bytes: String, arrays: true, oneofs: false }) as {
    resourceSpans: {
      resource?: { attributes: JsonAttr[] };
      scopeSpans: {
        spans: (Omit<JsonSpan, "parentSpanId"> & { parentSpanId: string; events: { name: string; timeUnixNano: string; attributes: JsonAttr[] }[] })[];
      }[];
    }[];
  };
  const hex = (b64: string) => Buffer.from(b64, "base64").toString("hex");
  for (const r of o.resourceSpans) {
    for (const s of r.scopeSpans) {
      for (const sp of s.spans) {
        sp.traceId = hex(sp.traceId);
        sp.spanId = hex(sp.spanId);
        sp.parentSpanId = hex(sp.parentSpanId ?? "");
      }
    }
  }
  return spansOfJson(o as unknown as JsonBody);
}

export interface Backend {
  /** http(s)://127.0.0.1:port */
  url: string;
  got: Received;
  close(): Promise<void>;
}

interface Tls {
  key: Uint8Array;
  cert: Uint8Array;
}

const HTTP_STATUS: Record<Exclude<Answer, "die" | "hang">, number> = { ok: 200, busy: 429, refuse: 503, bad: 400 };

/** An HTTP server that answers by `answer(n)` and hands accepted bodies to `accept`. */
async function httpBackend(answer: (n: number) => Answer, accept: (body: Buffer, req: IncomingMessage, got: Received) => void, okStatus: number, tls?: Tls): Promise<Backend> {
  const got: Received = { spans: [], requests: 0, contentTypes: [], encodings: [], headers: [] };
  const sockets = new Set<Socket>();
  let n = 0;
  let server: Server;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const a = answer(n++);
      got.requests++;
      if (a === "hang") return;
      if (a === "die") {
        for (const s of sockets) s.destroy();
        server.close();
        return;
      }
      if (a === "ok") {
        let body = Buffer.concat(chunks);
        const enc = String(req.headers["content-encoding"] ?? "");
        got.encodings.push(enc);
        if (enc === "gzip") body = gunzipSync(body);
        got.contentTypes.push(String(req.headers["content-type"]));
        got.headers.push(req.headers);
        accept(body, req, got);
        const json = /json/.test(String(req.headers["content-type"]));
        res.writeHead(okStatus, { "content-type": json ? "application/json" : "application/x-protobuf" }).end(json && okStatus === 200 ? "{}" : "");
      } else {
        res.writeHead(HTTP_STATUS[a], { "content-type": "text/plain" }).end(`answer: ${a}`);
      }
    });
  };
  server = tls !== undefined ? createHttpsServer({ key: Buffer.from(tls.key), cert: Buffer.from(tls.cert) }, handler) : createHttpServer(handler);
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls !== undefined ? "https" : "http"}://127.0.0.1:${port}`,
    got,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return r();
        server.close(() => r());
      }),
  };
}

/** An OTLP/HTTP collector (protobuf and JSON bodies, by Content-Type). */
export function otlpHttpCollector(answer: (n: number) => Answer, tls?: Tls): Promise<Backend> {
  return httpBackend(
    answer,
    (body, req, got) => {
      const spans = /json/.test(String(req.headers["content-type"])) ? spansOfJson(JSON.parse(body.toString("utf8")) as JsonBody) : spansOfProtobuf(body);
      got.spans.push(...spans);
    },
    200,
    tls,
  );
}

/** A Zipkin span as received. */
export interface ZSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  timestamp: number;
  duration?: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
  annotations?: { timestamp: number; value: string }[];
}

/** A Zipkin-like POST /api/v2/spans (JSON), accepting with 202 as Zipkin does. */
export async function zipkinCollector(answer: (n: number) => Answer): Promise<Backend & { zipkin: ZSpan[] }> {
  const zipkin: ZSpan[] = [];
  const b = await httpBackend(
    answer,
    (body, _req, got) => {
      const spans = JSON.parse(body.toString("utf8")) as ZSpan[];
      zipkin.push(...spans);
      for (const s of spans) {
        got.spans.push({ traceId: s.traceId, spanId: s.id, parentSpanId: s.parentId ?? "", name: s.name, start: String(s.timestamp), end: "", attrs: s.tags ?? {}, events: [], service: s.localEndpoint?.serviceName ?? "" });
      }
    },
    202,
  );
  return { ...b, zipkin };
}

const GRPC_STATUS: Record<Exclude<Answer, "ok" | "die" | "hang">, grpc.status> = {
  busy: grpc.status.RESOURCE_EXHAUSTED,
  refuse: grpc.status.UNAVAILABLE,
  bad: grpc.status.INVALID_ARGUMENT,
};

/** An OTLP/gRPC collector (the TraceService/Export method, request bytes decoded by the test's schema). */
export async function otlpGrpcCollector(answer: (n: number) => Answer, tls?: Tls): Promise<Backend & { metadata: Record<string, unknown>[] }> {
  const got: Received = { spans: [], requests: 0, contentTypes: [], encodings: [], headers: [] };
  const metadata: Record<string, unknown>[] = [];
  const server = new grpc.Server();
  const raw = (b: Buffer) => b;
  let n = 0;
  server.addService(
    {
      Export: {
        path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const a = answer(n++);
        got.requests++;
        if (a === "hang") return;
        if (a === "die") {
          server.forceShutdown();
          return;
        }
        if (a !== "ok") {
          cb({ code: GRPC_STATUS[a], details: `answer: ${a}` });
          return;
        }
        metadata.push(call.metadata.getMap());
        got.spans.push(...spansOfProtobuf(call.request));
        cb(null, Buffer.alloc(0));
      },
    },
  );
  const creds = tls !== undefined ? grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) }]) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", creds, (e, p) => (e ? reject(e) : resolve(p))));
  return {
    url: `${tls !== undefined ? "https" : "http"}://127.0.0.1:${port}`,
    got,
    metadata,
    close: async () => server.forceShutdown(),
  };
}
