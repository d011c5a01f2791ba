// End to end: a real Jaeger v2 (built from the Go module proxy by
// test/jaeger/build.sh, cached outside the repository) on loopback receives
// a fixture over each OTLP protocol (http/protobuf, http/json, grpc: a fresh
// Jaeger for each, listening on both of its OTLP ports); the spans are read
// back through Jaeger's /api/v3/traces API and compared with what
// trace-convert produced.

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CLI, FIXTURES, ROOT, haveGo, runCLI } from "./helpers.js";

const BUILD = join(ROOT, "test", "jaeger", "build.sh");
const CONFIG = join(ROOT, "test", "jaeger", "config.yaml");
const go = haveGo();
if (!go) console.log("# jaeger.test: SKIPPED: no Go toolchain on PATH (needed to build Jaeger v2 from the Go module proxy)");

const tmp = mkdtempSync(join(tmpdir(), "tc-jaeger-"));
let jaeger: ChildProcess | null = null;
after(() => {
  if (jaeger !== null && jaeger.exitCode === null) jaeger.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runAsync(args: string[], extraEnv: Record<string, string> = {}): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_"))), ...extraEnv };
    const p = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    p.on("close", (status) => resolve({ status, stderr }));
  });
}

interface OtlpAttr {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpAttr[];
  events?: { name: string; attributes?: OtlpAttr[] }[];
}
interface OtlpBody {
  resourceSpans?: { resource?: { attributes?: OtlpAttr[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/** Jaeger's JSON may carry IDs in base64 (protobuf JSON for bytes) or hex (OTLP JSON): hex either way. */
function hexID(s: string | undefined, len: number): string {
  if (s === undefined || s === "") return "";
  if (new RegExp(`^[0-9a-f]{${len}}$`, "i").test(s)) return s.toLowerCase();
  return Buffer.from(s, "base64").toString("hex");
}

function attrs(a: OtlpAttr[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const x of a ?? []) m.set(x.key, String(x.value.stringValue ?? x.value.intValue ?? x.value.boolValue));
  return m;
}

function flatten(b: OtlpBody): { span: OtlpSpan; resource: Map<string, string> }[] {
  return (b.resourceSpans ?? []).flatMap((r) =>
    (r.scopeSpans ?? []).flatMap((s) => (s.spans ?? []).map((span) => ({ span, resource: attrs(r.resource?.attributes) }))),
  );
}

interface Jaeger {
  otlpHttp: string;
  otlpGrpc: string;
  query: string;
  stop(): Promise<void>;
}

let bin = "";

/** Starts a Jaeger with in-memory storage on free loopback ports; resolves once its query API answers. */
async function startJaeger(t: { diagnostic(m: string): void }): Promise<Jaeger> {
  const [otlpPort, otlpGrpcPort, httpPort, grpcPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const cfg = readFileSync(CONFIG, "utf8")
    .replaceAll("${OTLP_PORT}", String(otlpPort))
    .replaceAll("${OTLP_GRPC_PORT}", String(otlpGrpcPort))
    .replaceAll("${QUERY_HTTP_PORT}", String(httpPort))
    .replaceAll("${QUERY_GRPC_PORT}", String(grpcPort));
  const cfgPath = join(tmp, `config-${otlpPort}.yaml`);
  writeFileSync(cfgPath, cfg);
  let log = "";
  const j = spawn(bin, ["--config", `file:${cfgPath}`], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
  jaeger = j;
  j.stdout!.on("data", (c: Buffer) => (log += c.toString()));
  j.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  const query = `http://127.0.0.1:${httpPort}`;
  const ready = Date.now();
  for (;;) {
    if (j.exitCode !== null) assert.fail(`jaeger exited with ${j.exitCode}:\n${log.slice(-3000)}`);
    try {
      const r = await fetch(`${query}/api/v3/services`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() - ready > 60_000) assert.fail(`jaeger not ready after 60s:\n${log.slice(-3000)}`);
    await sleep(200);
  }
  t.diagnostic(`jaeger up in ${Date.now() - ready} ms (otlp http :${otlpPort}, grpc :${otlpGrpcPort}, query :${httpPort})`);
  return {
    otlpHttp: `http://127.0.0.1:${otlpPort}`,
    otlpGrpc: `http://127.0.0.1:${otlpGrpcPort}`,
    query,
    stop: () =>
      new Promise((r) => {
        if (j.exitCode !== null) return r();
        j.on("exit", () => r());
        j.kill("SIGTERM");
        setTimeout(() => j.kill("SIGKILL"), 5000).unref();
      }),
  };
}

describe("jaeger v2 end to end", { skip: go ? false : "no Go toolchain on PATH" }, () => {
  before(
    () => {
      // Build (or reuse) the binary.
      const t0 = Date.now();
      const b = spawnSync("bash", [BUILD], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 40 * 60_000 });
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      if (b.status !== 0) assert.fail(`test/jaeger/build.sh failed (exit ${b.status}) after ${secs}s:\n${(b.stderr ?? "").split("\n").slice(-30).join("\n")}`);
      bin = b.stdout.trim().split("\n").pop()!;
      console.log(`jaeger binary ${bin} ready in ${secs}s`);
    },
    { timeout: 45 * 60_000 },
  );

  // What we send, as otlp-json.
  const trace = join(FIXTURES, "traces", "go1.26", "annotations.trace");
  const service = `tc-e2e-${process.pid}`;

  for (const protocol of ["http/protobuf", "http/json", "grpc"] as const) {
    test(`push a fixture over OTLP ${protocol}, read it back from /api/v3/traces`, { timeout: 5 * 60_000 }, async (t) => {
      const ref = join(tmp, "ref.json");
      const rj = runCLI([trace, "--to", "otlp-json", "-o", ref, "--service-name", service]);
      assert.equal(rj.status, 0, rj.stderr.toString());
      const want = flatten(JSON.parse(readFileSync(ref, "utf8")) as OtlpBody).map((x) => x.span);
      assert.equal(want.length, 190);

      const j = await startJaeger(t);
      try {
        // Push it, twice, the second time gzipped (deterministic IDs: the second push adds nothing new).
        const endpoint = protocol === "grpc" ? j.otlpGrpc : j.otlpHttp;
        for (const env of [{}, { OTEL_EXPORTER_OTLP_COMPRESSION: "gzip" }] as Record<string, string>[]) {
          const r = await runAsync([trace, "--to", "otlp", "--protocol", protocol, "--endpoint", endpoint, "--service-name", service], env);
          assert.equal(r.status, 0, r.stderr);
          assert.match(r.stderr, new RegExp(`OTLP \\(${protocol.replace("/", "\\/")}\\): 190 spans sent to .*, all accepted`));
        }
        await readBack(j.query, want, service);
      } finally {
        await j.stop();
      }
    });
  }
});

/** Reads every trace of `want` back from Jaeger and compares it span by span. */
async function readBack(query: string, want: OtlpSpan[], service: string): Promise<void> {
  // Read every trace back.
  const traceIds = [...new Set(want.map((s) => s.traceId))];
  const got = new Map<string, { span: OtlpSpan; resource: Map<string, string> }>();
  const deadline = Date.now() + 30_000;
  for (const id of traceIds) {
    for (;;) {
      const r = await fetch(`${query}/api/v3/traces/${id}`);
      if (r.ok) {
        const body = (await r.json()) as { result: OtlpBody };
        const spans = flatten(body.result);
        const expected = want.filter((s) => s.traceId === id).length;
        const distinct = new Set(spans.map((x) => hexID(x.span.spanId, 16)));
        if (distinct.size >= expected) {
          assert.equal(spans.length, expected, `trace ${id}: no duplicates after pushing twice`);
          for (const x of spans) got.set(hexID(x.span.spanId, 16), x);
          break;
        }
      }
      if (Date.now() > deadline) assert.fail(`trace ${id} not complete in jaeger after 30s (status ${r.status})`);
      await sleep(250);
    }
  }
  assert.equal(got.size, want.length, "every span is in jaeger");

  // Names, parents, attributes, events.
  for (const w of want) {
    const g = got.get(w.spanId);
    assert.ok(g !== undefined, `span ${w.name} ${w.spanId} in jaeger`);
    assert.equal(g.span.name, w.name);
    assert.equal(hexID(g.span.traceId, 32), w.traceId);
    assert.equal(hexID(g.span.parentSpanId, 16), w.parentSpanId ?? "", `parent of ${w.name}`);
    assert.equal(String(g.span.startTimeUnixNano), w.startTimeUnixNano, `start of ${w.name}`);
    assert.equal(String(g.span.endTimeUnixNano), w.endTimeUnixNano, `end of ${w.name}`);
    const ga = attrs(g.span.attributes);
    for (const [k, v] of attrs(w.attributes)) assert.equal(ga.get(k), v, `${w.name}: attribute ${k}`);
    assert.equal((g.span.events ?? []).length, (w.events ?? []).length, `${w.name}: events`);
    assert.equal(g.resource.get("service.name"), service);
    assert.equal(g.resource.get("go.version"), "go1.26");
  }
  // Spot checks of the mapping as Jaeger shows it.
  const byName = (n: string) => [...got.values()].filter((x) => x.span.name === n);
  const root = byName("root")[0]!;
  assert.equal(hexID(root.span.parentSpanId, 16), "");
  for (const x of byName("subtask-0")) assert.equal(hexID(x.span.parentSpanId, 16), hexID(root.span.spanId, 16));
  const inner = byName("inner")[0]!;
  const parent = got.get(hexID(inner.span.parentSpanId, 16))!;
  assert.equal(parent.span.name, "outer");
  const ia = attrs(inner.span.attributes);
  assert.match(ia.get("code.function") ?? "", /^main\./);
  assert.ok(Number(ia.get("go.goroutine.id")) > 0);
  assert.ok(Number(ia.get("go.time.running_ns")) >= 0);

  // The services list knows us.
  const sv = (await (await fetch(`${query}/api/v3/services`)).json()) as { services?: string[] };
  assert.ok(sv.services?.includes(service), JSON.stringify(sv));
}
