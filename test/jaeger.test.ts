// End to end: a real Jaeger v2 (built from the Go module proxy by
// test/jaeger/build.sh, cached outside the repository) on loopback receives
// a fixture over each OTLP protocol (http/protobuf, http/json, grpc: a fresh
// Jaeger for each, listening on both of its OTLP ports); the spans are read
// back through Jaeger's /api/v3/traces API and compared with what
// trace-convert produced.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CLI, FIXTURES, haveGo, runCLI } from "./helpers.js";
import { attrs, buildJaeger, flatten, hexID, sleep, startJaeger, type OtlpBody, type OtlpSpan } from "./jaeger-harness.js";

const go = haveGo();
if (!go) console.log("# jaeger.test: SKIPPED: no Go toolchain on PATH (needed to build Jaeger v2 from the Go module proxy)");

const tmp = mkdtempSync(join(tmpdir(), "tc-jaeger-"));
let jaeger: ChildProcess | null = null;
after(() => {
  if (jaeger !== null && jaeger.exitCode === null) jaeger.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

function runAsync(args: string[], extraEnv: Record<string, string> = {}): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_"))), ...extraEnv };
    const p = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    p.on("close", (status) => resolve({ status, stderr }));
  });
}

let bin = "";

describe("jaeger v2 end to end", { skip: go ? false : "no Go toolchain on PATH" }, () => {
  before(
    () => {
      bin = buildJaeger();
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

      const j = await startJaeger(bin, tmp, { log: (m) => t.diagnostic(m) });
      jaeger = j.process;
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
