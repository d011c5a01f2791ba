// End to end: a real Zipkin server (io.zipkin:zipkin-server:3.5.1, fetched
// from Maven Central by test/zipkin/fetch.sh into the Maven cache, run on
// Java 17) on a free loopback port receives a fixture through --to zipkin;
// the spans are read back through /api/v2/trace/{id} and compared with what
// trace-convert produced (names, parents, tags, annotations for logs). A
// --to zipkin-json body is posted to it as well.

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { spansOfJson, type NSpan, type ZSpan } from "./collectors.js";
import { CLI, FIXTURES, ROOT, runCLI } from "./helpers.js";

const FETCH = join(ROOT, "test", "zipkin", "fetch.sh");
const java = spawnSync("java", ["-version"], { encoding: "utf8" }).status === 0;
if (!java) console.log("# zipkin.test: SKIPPED: no Java on PATH (Zipkin's server runs on Java 17)");

const tmp = mkdtempSync(join(tmpdir(), "tc-zipkin-"));
let zipkin: ChildProcess | null = null;
after(() => {
  if (zipkin !== null && zipkin.exitCode === null) zipkin.kill("SIGKILL");
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

function runAsync(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...clean, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    p.on("close", (status) => resolve({ status, stderr }));
  });
}

/** What a log event becomes in Zipkin: an annotation "category: message" (the message alone without a category). */
function annotation(e: NSpan["events"][number]): string {
  const c = e.attrs["go.log.category"];
  return c ? `${c}: ${e.attrs["go.log.message"]}` : e.attrs["go.log.message"]!;
}

/** Reads the traces of `want` back from Zipkin until each holds all its spans. */
async function readBack(base: string, want: NSpan[]): Promise<Map<string, ZSpan>> {
  const got = new Map<string, ZSpan>();
  const deadline = Date.now() + 30_000;
  for (const id of new Set(want.map((s) => s.traceId))) {
    const expected = want.filter((s) => s.traceId === id).length;
    for (;;) {
      const r = await fetch(`${base}/api/v2/trace/${id}`);
      if (r.ok) {
        const spans = (await r.json()) as ZSpan[];
        if (new Set(spans.map((s) => s.id)).size >= expected) {
          assert.equal(spans.length, expected, `trace ${id}: each span once`);
          for (const s of spans) got.set(s.id, s);
          break;
        }
      }
      if (Date.now() > deadline) assert.fail(`trace ${id} not complete in Zipkin after 30s (status ${r.status})`);
      await sleep(250);
    }
  }
  return got;
}

describe("zipkin server end to end", { skip: java ? false : "no Java on PATH" }, () => {
  let base = "";
  let log = "";

  before(
    async () => {
      const f = spawnSync("bash", [FETCH], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10 * 60_000 });
      if (f.status !== 0) assert.fail(`test/zipkin/fetch.sh failed (exit ${f.status}):\n${(f.stderr ?? "").split("\n").slice(-30).join("\n")}`);
      const jar = f.stdout.trim().split("\n").pop()!;
      const port = await freePort();
      const t0 = Date.now();
      // Loopback only, on the port given; in-memory storage (the default); a small heap and the quick JIT tier: it starts sooner.
      zipkin = spawn(
        "java",
        ["-Xms64m", "-Xmx512m", "-XX:TieredStopAtLevel=1", "-jar", jar, `--server.port=${port}`, "--armeria.ports[0].ip=127.0.0.1", `--armeria.ports[0].port=${port}`, "--armeria.ports[0].protocols[0]=http"],
        { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] },
      );
      zipkin.stdout!.on("data", (c: Buffer) => (log += c.toString()));
      zipkin.stderr!.on("data", (c: Buffer) => (log += c.toString()));
      base = `http://127.0.0.1:${port}`;
      for (;;) {
        if (zipkin.exitCode !== null) assert.fail(`zipkin exited with ${zipkin.exitCode}:\n${log.slice(-3000)}`);
        try {
          const r = await fetch(`${base}/health`);
          if (r.ok) break;
        } catch {
          /* not yet */
        }
        if (Date.now() - t0 > 120_000) assert.fail(`zipkin not ready after 120s:\n${log.slice(-3000)}`);
        await sleep(250);
      }
      console.log(`zipkin ${jar} up on ${base} in ${Date.now() - t0} ms`);
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    const z = zipkin;
    if (z === null || z.exitCode !== null) return;
    await new Promise((r) => {
      z.on("exit", r);
      z.kill("SIGTERM");
      setTimeout(() => z.kill("SIGKILL"), 5000).unref();
    });
  });

  test("--to zipkin: names, parents, tags and logs as annotations, read back from /api/v2/trace/{id}", { timeout: 5 * 60_000 }, async () => {
    const trace = join(FIXTURES, "traces", "go1.26", "annotations.trace");
    const service = `tc-zipkin-${process.pid}`;
    const ref = join(tmp, "ref.json");
    const rj = runCLI([trace, "--to", "otlp-json", "-o", ref, "--service-name", service]);
    assert.equal(rj.status, 0, rj.stderr.toString());
    const want = spansOfJson(JSON.parse(readFileSync(ref, "utf8")));
    assert.equal(want.length, 190);

    const r = await runAsync([trace, "--to", "zipkin", "--service-name", service], { OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${base}/api/v2/spans`, OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "64" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Zipkin: 190 spans sent to .*\/api\/v2\/spans, all accepted \(3 requests\)/);

    const got = await readBack(base, want);
    assert.equal(got.size, 190, "every span is in Zipkin");
    let annotations = 0;
    for (const w of want) {
      const g = got.get(w.spanId);
      assert.ok(g !== undefined, `span ${w.name} ${w.spanId} in zipkin`);
      assert.equal(g.traceId, w.traceId);
      // Zipkin keeps names in lower case.
      assert.equal(g.name, w.name.toLowerCase());
      assert.equal(g.parentId ?? "", w.parentSpanId, `parent of ${w.name}`);
      assert.equal(g.localEndpoint?.serviceName, service);
      assert.equal(g.timestamp, Number(BigInt(w.start) / 1000n), `start of ${w.name}`);
      const dur = BigInt(w.end) - BigInt(w.start);
      if (dur > 0n) assert.ok(Math.abs((g.duration ?? 0) - Number(dur) / 1000) <= 1, `duration of ${w.name}: ${g.duration} µs for ${dur} ns`);
      for (const [k, v] of Object.entries(w.attrs)) assert.equal(g.tags?.[k], v, `${w.name}: tag ${k}`);
      assert.equal(g.tags?.["go.version"], "go1.26", "resource attributes are tags");
      assert.deepEqual((g.annotations ?? []).map((a) => a.value).sort(), w.events.map(annotation).sort(), `${w.name}: annotations`);
      annotations += (g.annotations ?? []).length;
    }
    assert.ok(annotations > 10, `${annotations} annotations`);
    const inner = [...got.values()].find((s) => s.name === "inner")!;
    assert.equal(got.get(inner.parentId!)!.name, "outer");

    const sv = (await (await fetch(`${base}/api/v2/services`)).json()) as string[];
    assert.ok(sv.includes(service), JSON.stringify(sv));
  });

  test("--to zipkin-json: a body Zipkin accepts, with the same spans", { timeout: 5 * 60_000 }, async () => {
    const trace = join(FIXTURES, "traces", "go1.25", "annotations.trace");
    const service = `tc-zipkin-json-${process.pid}`;
    const ref = join(tmp, "ref-json.json");
    assert.equal(runCLI([trace, "--to", "otlp-json", "-o", ref, "--service-name", service]).status, 0);
    const want = spansOfJson(JSON.parse(readFileSync(ref, "utf8")));
    const j = runCLI([trace, "--to", "zipkin-json", "--service-name", service]);
    assert.equal(j.status, 0, j.stderr.toString());
    const r = await fetch(`${base}/api/v2/spans`, { method: "POST", headers: { "content-type": "application/json" }, body: j.stdout });
    assert.equal(r.status, 202, await r.text());
    const got = await readBack(base, want);
    assert.equal(got.size, want.length);
    for (const w of want) assert.equal(got.get(w.spanId)!.name, w.name.toLowerCase());
  });
});
