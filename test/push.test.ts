// Pushing spans (--to otlp on every protocol, --to zipkin) to backends the
// test runs on loopback (collectors.ts): settings from flags and OTEL_*
// variables, retries, compression, headers, TLS, timeouts, and a backend
// that refuses then disappears: no span is lost, the unsent ones are in a
// file, and that file sent again with the command the message gives.
// The real Jaeger and Zipkin: jaeger.test.ts, zipkin.test.ts.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { otlpTarget, resolveEndpoint, resolveHeaders, resolveProtocol, resolveZipkinEndpoint, zipkinTarget } from "../src/cli/export-config.js";
import { parseArgs } from "../src/cli/options.js";
import { describeExportError } from "../src/sinks/push.js";
import { otlpGrpcCollector, otlpHttpCollector, spansOfJson, zipkinCollector, type Answer, type Backend, type NSpan } from "./collectors.js";
import { CLI, FIXTURES, runCLI } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "tc-push-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const annPath = join(FIXTURES, "traces", "go1.26", "annotations.trace");
const PROTOCOLS = ["http/protobuf", "http/json", "grpc"] as const;
type Protocol = (typeof PROTOCOLS)[number];

/** Runs the CLI without blocking this process's event loop (the backends live here), with no OTEL_* from outside. */
function run(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ status: number | null; stderr: string; stdout: string; secs: number }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));
    const t0 = Date.now();
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"], ...(cwd !== undefined ? { cwd } : {}) });
    let stderr = "";
    let stdout = "";
    p.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    p.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 120_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, stdout, secs: (Date.now() - t0) / 1000 });
    });
  });
}

/** What the trace gives as otlp-json: the reference every backend must receive. */
const refPath = join(tmp, "ref.json");
function reference(service: string): NSpan[] {
  const r = runCLI([annPath, "--to", "otlp-json", "-o", refPath, "--service-name", service]);
  assert.equal(r.status, 0, r.stderr.toString());
  return spansOfJson(JSON.parse(readFileSync(refPath, "utf8")));
}

const byId = (a: NSpan, b: NSpan) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);

function collector(p: Protocol, answer: (n: number) => Answer): Promise<Backend> {
  return p === "grpc" ? otlpGrpcCollector(answer) : otlpHttpCollector(answer);
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("export settings: flags over OTEL_* variables", () => {
  test("protocol: --protocol, else OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf", () => {
    assert.equal(resolveProtocol(null, {}), "http/protobuf");
    assert.equal(resolveProtocol(null, { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }), "http/json");
    assert.equal(resolveProtocol(null, { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" }), "grpc");
    assert.equal(resolveProtocol("http/json", { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" }), "http/json");
    assert.throws(() => resolveProtocol("thrift", {}), /--protocol: unknown protocol "thrift"/);
    assert.throws(() => resolveProtocol(null, { OTEL_EXPORTER_OTLP_PROTOCOL: "http" }), /OTEL_EXPORTER_OTLP_PROTOCOL: unknown protocol "http"/);
  });

  test("endpoint per protocol", () => {
    assert.equal(resolveEndpoint("http/protobuf", "http://h:4318", {}), "http://h:4318/v1/traces");
    assert.equal(resolveEndpoint("http/json", "http://h:4318/", {}), "http://h:4318/v1/traces");
    assert.equal(resolveEndpoint("http/protobuf", "http://h:4318/custom/path", {}), "http://h:4318/custom/path");
    assert.equal(resolveEndpoint("http/protobuf", null, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://e:1" }), "http://e:1/v1/traces");
    assert.equal(resolveEndpoint("http/protobuf", null, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://e:1", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t:2/x" }), "http://t:2/x");
    assert.equal(resolveEndpoint("http/protobuf", null, {}), "http://localhost:4318/v1/traces");
    assert.equal(resolveEndpoint("grpc", null, {}), "http://localhost:4317");
    assert.equal(resolveEndpoint("grpc", "http://c:4317", {}), "http://c:4317");
    assert.equal(resolveEndpoint("grpc", "https://c:4317", {}), "https://c:4317");
    assert.equal(resolveEndpoint("grpc", "c:4317", {}), "c:4317");
    assert.equal(resolveEndpoint("grpc", null, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://e:1" }), "http://e:1");
    const warned: string[] = [];
    assert.equal(resolveEndpoint("grpc", "http://c:4317/v1/traces", {}, (m) => warned.push(m)), "http://c:4317");
    assert.match(warned[0]!, /gRPC ignores the path/);
    assert.throws(() => resolveEndpoint("http/json", "localhost:4318", {}), /not an http\(s\) URL/);
    assert.equal(resolveZipkinEndpoint("http://z:9411", {}), "http://z:9411/api/v2/spans");
    assert.equal(resolveZipkinEndpoint(null, { OTEL_EXPORTER_ZIPKIN_ENDPOINT: "http://z:1/x" }), "http://z:1/x");
    assert.equal(resolveZipkinEndpoint(null, {}), "http://localhost:9411/api/v2/spans");
  });

  test("headers, timeout, compression, TLS files", () => {
    assert.deepEqual(resolveHeaders([["X-A", "flag"]], { OTEL_EXPORTER_OTLP_HEADERS: "x-a=env,x-b=b%20c", OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-b=traces" }), { "X-A": "flag", "x-b": "traces" });
    const opts = parseArgs(["t", "--to", "otlp", "--protocol", "grpc", "--endpoint", "https://c:4317"]);
    const env = { OTEL_EXPORTER_OTLP_TIMEOUT: "2500", OTEL_EXPORTER_OTLP_COMPRESSION: "gzip", OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "1500" };
    const t = otlpTarget(opts, env);
    assert.equal(t.timeoutMillis, 1500);
    assert.equal(t.compression, "gzip");
    assert.equal(t.insecure, false);
    assert.equal(otlpTarget(parseArgs(["t", "--to", "otlp", "--protocol", "grpc", "--endpoint", "c:4317"]), { OTEL_EXPORTER_OTLP_INSECURE: "true" }).insecure, true);
    assert.equal(otlpTarget(parseArgs(["t", "--to", "otlp", "--protocol", "grpc"]), {}).insecure, true, "http://localhost:4317");
    const warned: string[] = [];
    assert.equal(otlpTarget(opts, { OTEL_EXPORTER_OTLP_COMPRESSION: "zstd", OTEL_EXPORTER_OTLP_TIMEOUT: "soon" }, (m) => warned.push(m)).compression, "none");
    assert.equal(warned.length, 2);
    assert.throws(() => otlpTarget(opts, { OTEL_EXPORTER_OTLP_CERTIFICATE: join(tmp, "missing.pem") }), /OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read .*missing\.pem: no such file/);
    assert.equal(zipkinTarget(parseArgs(["t", "--to", "zipkin"]), { OTEL_EXPORTER_ZIPKIN_TIMEOUT: "700", OTEL_EXPORTER_OTLP_HEADERS: "x=1" }).timeoutMillis, 700);
    assert.deepEqual(zipkinTarget(parseArgs(["t", "--to", "zipkin"]), { OTEL_EXPORTER_OTLP_HEADERS: "x=1" }).headers, {}, "OTLP headers are not Zipkin's");
  });

  test("error classification: HTTP, gRPC, Zipkin, sockets, TLS", () => {
    assert.equal(describeExportError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })).retryable, true);
    assert.equal(describeExportError({ name: "OTLPExporterError", code: 500, message: "Internal" }).retryable, true);
    assert.equal(describeExportError({ name: "OTLPExporterError", code: 429, message: "" }).retryable, true);
    assert.equal(describeExportError({ name: "OTLPExporterError", code: 400, message: "Bad Request" }).retryable, false);
    assert.deepEqual(describeExportError(Object.assign(new Error("14 UNAVAILABLE: x"), { code: 14, details: "x", metadata: {} })), { reason: "gRPC UNAVAILABLE: x", retryable: true });
    assert.equal(describeExportError(Object.assign(new Error("3 INVALID_ARGUMENT"), { code: 3, details: "" })).retryable, false);
    assert.deepEqual(describeExportError(new Error("Got unexpected status code from zipkin: 503")), { reason: "HTTP 503", retryable: true });
    assert.equal(describeExportError(new Error("Got unexpected status code from zipkin: 400")).retryable, false);
    const tls = describeExportError(Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }));
    assert.equal(tls.retryable, false);
    assert.match(tls.reason, /^TLS: .*OTEL_EXPORTER_OTLP_CERTIFICATE/);
  });

  test("the CLI: an unknown protocol is a usage error (exit 2)", async () => {
    const r = await run([annPath, "--to", "otlp", "--protocol", "http/xml"]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--protocol: unknown protocol "http\/xml" \(use http\/protobuf, http\/json, grpc\)/);
    const r2 = await run([annPath, "--to", "otlp"], { OTEL_EXPORTER_OTLP_PROTOCOL: "udp" });
    assert.equal(r2.status, 2, r2.stderr);
  });
});

describe("--to otlp on every protocol", () => {
  const want = reference("svc-push");
  assert.equal(want.length, 190);

  test("the default protocol is http/protobuf; OTEL_EXPORTER_OTLP_PROTOCOL and OTEL_EXPORTER_OTLP_TRACES_PROTOCOL choose another", async () => {
    const http = await otlpHttpCollector(() => "ok");
    const g = await otlpGrpcCollector(() => "ok");
    try {
      const r = await run([annPath, "--to", "otlp", "--endpoint", http.url]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /OTLP \(http\/protobuf\): 190 spans sent to .*\/v1\/traces, all accepted/);
      assert.deepEqual([...new Set(http.got.contentTypes)], ["application/x-protobuf"]);
      const r2 = await run([annPath, "--to", "otlp", "--endpoint", http.url], { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
      assert.equal(r2.status, 0, r2.stderr);
      assert.equal(http.got.contentTypes.at(-1), "application/json");
      const r3 = await run([annPath, "--to", "otlp"], { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: g.url });
      assert.equal(r3.status, 0, r3.stderr);
      assert.match(r3.stderr, /OTLP \(grpc\): 190 spans sent/);
      assert.equal(g.got.spans.length, 190);
    } finally {
      await http.close();
      await g.close();
    }
  });

  for (const p of PROTOCOLS) {
    test(`${p}: a busy collector, then every span arrives as otlp-json has it; gzip, headers and service name from flags and env`, async () => {
      const c = await collector(p, (n) => (n === 0 ? "busy" : "ok"));
      try {
        const r = await run([annPath, "--to", "otlp", "--protocol", p, "--endpoint", c.url, "--header", "x-team=core"], {
          OTEL_EXPORTER_OTLP_HEADERS: "x-env=1",
          OTEL_SERVICE_NAME: "svc-push",
          OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "100",
        });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, new RegExp(`OTLP \\(${esc(p)}\\): 190 spans sent to ${esc(c.url)}.*, all accepted \\(\\d+ requests\\)`));
        assert.ok(c.got.requests >= 3, `the busy answer was retried (${c.got.requests} requests)`);
        assert.deepEqual(c.got.spans.sort(byId), [...want].sort(byId), "the same spans as otlp-json: IDs, parents, names, times, attributes, events, service");
        if (p === "grpc") {
          const md = (c as Awaited<ReturnType<typeof otlpGrpcCollector>>).metadata;
          assert.deepEqual(md[0]!["x-team"], "core");
          assert.deepEqual(md[0]!["x-env"], "1");
        } else {
          assert.deepEqual([...new Set(c.got.contentTypes)], [p === "http/json" ? "application/json" : "application/x-protobuf"]);
          assert.deepEqual([...new Set(c.got.encodings)], ["gzip"]);
          assert.equal(c.got.headers[0]!["x-team"], "core");
          assert.equal(c.got.headers[0]!["x-env"], "1");
        }
      } finally {
        await c.close();
      }
    });

    test(`${p}: a collector that refuses, then disappears, loses no span; the file of unsent spans goes through the same command`, async () => {
      // Batches of 40: two accepted, then a refusal, then the collector is gone.
      const c = await collector(p, (n) => (n < 2 ? "ok" : n === 2 ? "refuse" : "die"));
      const unsent = join(tmp, `unsent-${p.replace("/", "-")}.json`);
      let resend: string[];
      try {
        const r = await run([annPath, "--to", "otlp", "--protocol", p, "--endpoint", c.url, "-o", unsent, "--service-name", "svc-push"], { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "40" });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /retrying in/);
        const m = new RegExp(`failed: .*; 80 of 190 spans were accepted, the other 110 are in ${esc(unsent)} \\(OTLP JSON; send them later with: (trace-convert .*)\\)\\n`).exec(r.stderr);
        assert.ok(m !== null, r.stderr);
        resend = m[1]!.split(" ").slice(1);
        assert.deepEqual(resend.slice(1, 5), ["--to", "otlp", "--protocol", p]);
      } finally {
        await c.close();
      }
      const inFile = spansOfJson(JSON.parse(readFileSync(unsent, "utf8")));
      assert.equal(c.got.spans.length, 80);
      assert.equal(inFile.length, 110);
      assert.deepEqual([...c.got.spans, ...inFile].sort(byId), [...want].sort(byId), "every span either accepted or in the file, once");
      // The collector is back (on another port): the command the message gave sends the rest.
      const c2 = await collector(p, () => "ok");
      try {
        resend[resend.indexOf("--endpoint") + 1] = c2.url;
        const r = await run(resend);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /110 spans sent to .*, all accepted/);
        assert.deepEqual([...c.got.spans, ...c2.got.spans].sort(byId), [...want].sort(byId), "every span arrived once");
      } finally {
        await c2.close();
      }
    });
  }

  test("a collector that refuses the request (400 / INVALID_ARGUMENT) is not retried", async () => {
    for (const p of ["http/protobuf", "grpc"] as const) {
      const c = await collector(p, () => "bad");
      try {
        const out = join(tmp, `bad-${p.replace("/", "-")}.json`);
        const r = await run([annPath, "--to", "otlp", "--protocol", p, "--endpoint", c.url, "-o", out]);
        assert.equal(r.status, 1);
        assert.match(r.stderr, p === "grpc" ? /gRPC INVALID_ARGUMENT/ : /HTTP 400/);
        assert.equal(c.got.requests, 1);
        assert.equal(spansOfJson(JSON.parse(readFileSync(out, "utf8"))).length, 190);
      } finally {
        await c.close();
      }
    }
  });

  test("no collector at all: exit 1, every span in a file named after the input", async () => {
    const c = await otlpHttpCollector(() => "ok");
    const url = c.url;
    await c.close();
    const cwd = mkdtempSync(join(tmp, "cwd-"));
    const r = await run([annPath, "--to", "otlp", "--endpoint", url], {}, cwd);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /connection refused \(ECONNREFUSED\); 0 of 190 spans were accepted, the other 190 are in annotations\.unsent\.otlp\.json/);
    assert.equal(spansOfJson(JSON.parse(readFileSync(join(cwd, "annotations.unsent.otlp.json"), "utf8"))).length, 190);
  });

  test("a collector that never answers: OTEL_EXPORTER_OTLP_TIMEOUT, then the spans are in the file and the command ends", async () => {
    for (const p of ["http/protobuf", "grpc"] as const) {
      const c = await collector(p, () => "hang");
      try {
        const out = join(tmp, `hang-${p.replace("/", "-")}.json`);
        const r = await run([annPath, "--to", "otlp", "--protocol", p, "--endpoint", c.url, "-o", out], { OTEL_EXPORTER_OTLP_TIMEOUT: "300" });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, p === "grpc" ? /gRPC DEADLINE_EXCEEDED/ : /request timed out/);
        assert.equal(spansOfJson(JSON.parse(readFileSync(out, "utf8"))).length, 190);
        assert.ok(r.secs < 30, `${p}: took ${r.secs} s`);
      } finally {
        await c.close();
      }
    }
  });
});

/** A self-signed certificate for 127.0.0.1 (openssl), or null. */
function selfSigned(): { key: Uint8Array; cert: Uint8Array; certPath: string } | null {
  const key = join(tmp, "key.pem");
  const cert = join(tmp, "cert.pem");
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  return { key: readFileSync(key), cert: readFileSync(cert), certPath: cert };
}

describe("TLS (https:// endpoints, OTEL_EXPORTER_OTLP_CERTIFICATE)", () => {
  const tls = selfSigned();
  if (tls === null) console.log("# push.test: TLS tests SKIPPED: openssl is not installed (it makes the test certificate)");
  for (const p of PROTOCOLS) {
    test(`${p} over TLS: refused without the CA certificate, sent with it`, { skip: tls === null ? "no openssl" : false }, async () => {
      const c = p === "grpc" ? await otlpGrpcCollector(() => "ok", tls!) : await otlpHttpCollector(() => "ok", tls!);
      try {
        assert.match(c.url, /^https:/);
        const out = join(tmp, `tls-${p.replace("/", "-")}.json`);
        const r = await run([annPath, "--to", "otlp", "--protocol", p, "--endpoint", c.url, "-o", out], { OTEL_EXPORTER_OTLP_TIMEOUT: "3000" });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, p === "grpc" ? /gRPC UNAVAILABLE: .*self[- ]signed/i : /TLS: self[- ]signed certificate/i);
        assert.equal(c.got.spans.length, 0);
        const r2 = await run([annPath, "--to", "otlp", "--protocol", p, "--endpoint", c.url], { OTEL_EXPORTER_OTLP_CERTIFICATE: tls!.certPath });
        assert.equal(r2.status, 0, r2.stderr);
        assert.equal(c.got.spans.length, 190);
      } finally {
        await c.close();
      }
    });
  }
});

describe("--to zipkin and --to zipkin-json", () => {
  test("zipkin-json is what --to zipkin sends; every span arrives after a busy answer; --header", async () => {
    const z = await zipkinCollector((n) => (n === 0 ? "busy" : "ok"));
    try {
      const r = await run([annPath, "--to", "zipkin", "--endpoint", z.url, "--header", "x-team=core", "--service-name", "svc-z"], { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "100" });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`Zipkin: 190 spans sent to ${esc(z.url)}/api/v2/spans, all accepted`));
      assert.ok(z.got.requests >= 3, "the busy answer was retried");
      assert.equal(z.got.headers[0]!["x-team"], "core");
      const j = runCLI([annPath, "--to", "zipkin-json", "--service-name", "svc-z"]);
      assert.equal(j.status, 0, j.stderr.toString());
      const file = JSON.parse(j.stdout.toString()) as typeof z.zipkin;
      const ord = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      assert.deepEqual([...z.zipkin].sort(ord), [...file].sort(ord));
      // The model as Zipkin takes it: whole microseconds, parents, tags, logs as annotations.
      const want = reference("svc-z");
      const ids = new Map(want.map((s) => [s.spanId, s]));
      for (const s of file) {
        const w = ids.get(s.id)!;
        assert.ok(w !== undefined, `span ${s.id}`);
        assert.equal(s.traceId, w.traceId);
        assert.equal(s.parentId ?? "", w.parentSpanId);
        assert.equal(s.name, w.name);
        assert.ok(Number.isSafeInteger(s.timestamp), `integer timestamp ${s.timestamp}`);
        assert.equal(s.timestamp, Number(BigInt(w.start) / 1000n));
        assert.equal(s.localEndpoint!.serviceName, "svc-z");
        for (const [k, v] of Object.entries(w.attrs)) assert.equal(s.tags![k], v, `${s.name}: tag ${k}`);
        assert.deepEqual(
          (s.annotations ?? []).map((a) => a.value),
          w.events.map((e) => (e.attrs["go.log.category"] ? `${e.attrs["go.log.category"]}: ${e.attrs["go.log.message"]}` : e.attrs["go.log.message"])),
        );
      }
      assert.ok(file.some((s) => (s.annotations ?? []).length > 0));
    } finally {
      await z.close();
    }
  });

  test("a Zipkin server that refuses, then disappears, loses no span; the unsent file goes through the same command", async () => {
    const want = reference("svc-push");
    const z = await zipkinCollector((n) => (n < 2 ? "ok" : n === 2 ? "refuse" : "die"));
    const unsent = join(tmp, "unsent-zipkin.json");
    let resend: string[];
    try {
      const r = await run([annPath, "--to", "zipkin", "--endpoint", z.url, "-o", unsent, "--service-name", "svc-push"], { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "40" });
      assert.equal(r.status, 1, r.stderr);
      const m = new RegExp(`Zipkin export to .* failed: .*; 80 of 190 spans were accepted, the other 110 are in ${esc(unsent)} \\(OTLP JSON; send them later with: (trace-convert .*)\\)\\n`).exec(r.stderr);
      assert.ok(m !== null, r.stderr);
      resend = m[1]!.split(" ").slice(1);
    } finally {
      await z.close();
    }
    const inFile = spansOfJson(JSON.parse(readFileSync(unsent, "utf8")));
    assert.equal(z.got.spans.length, 80);
    assert.equal(inFile.length, 110);
    const ids = (l: NSpan[]) => l.map((s) => s.spanId).sort();
    assert.deepEqual([...ids(z.got.spans), ...ids(inFile)].sort(), ids(want));
    const z2 = await zipkinCollector(() => "ok");
    try {
      resend[resend.indexOf("--endpoint") + 1] = z2.url;
      const r = await run(resend);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual([...ids(z.got.spans), ...ids(z2.got.spans)].sort(), ids(want), "every span arrived once");
    } finally {
      await z2.close();
    }
  });

  test("a Zipkin server that never answers: OTEL_EXPORTER_ZIPKIN_TIMEOUT, then the spans are in the file and the command ends", async () => {
    const z = await zipkinCollector(() => "hang");
    try {
      const out = join(tmp, "hang-zipkin.json");
      const r = await run([annPath, "--to", "zipkin", "--endpoint", z.url, "-o", out], { OTEL_EXPORTER_ZIPKIN_TIMEOUT: "300" });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /no answer in 0\.3s/);
      assert.equal(spansOfJson(JSON.parse(readFileSync(out, "utf8"))).length, 190);
      assert.ok(r.secs < 30, `took ${r.secs} s`);
    } finally {
      await z.close();
    }
  });
});
