// A real Jaeger v2 for the end-to-end tests: built from the Go module proxy by
// test/jaeger/build.sh (cached outside the repository), started on loopback
// ports, read back through its /api/v3 API.

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT } from "./helpers.js";

const BUILD = join(ROOT, "test", "jaeger", "build.sh");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds (or reuses) the Jaeger binary; its path. */
export function buildJaeger(): string {
  const t0 = Date.now();
  const b = spawnSync("bash", [BUILD], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 40 * 60_000 });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (b.status !== 0) assert.fail(`test/jaeger/build.sh failed (exit ${b.status}) after ${secs}s:\n${(b.stderr ?? "").split("\n").slice(-30).join("\n")}`);
  const bin = b.stdout.trim().split("\n").pop()!;
  console.log(`jaeger binary ${bin} ready in ${secs}s`);
  return bin;
}

export interface JaegerPorts {
  otlp: number;
  otlpGrpc: number;
  queryHttp: number;
  queryGrpc: number;
}

/** Four distinct free ports: all held open at once, so none is handed out twice. */
export async function freePorts(): Promise<JaegerPorts> {
  const servers = await Promise.all(
    [0, 1, 2, 3].map(
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.on("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const [otlp, otlpGrpc, queryHttp, queryGrpc] = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return { otlp, otlpGrpc, queryHttp, queryGrpc };
}

export interface Jaeger {
  otlpHttp: string;
  otlpGrpc: string;
  query: string;
  process: ChildProcess;
  /** SIGTERM, and waits for the exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Starts a Jaeger; resolves once its query API answers. `storageDir`: Badger
 * storage there (spans survive a restart on the same folder), else in memory.
 */
export async function startJaeger(bin: string, workDir: string, o: { ports?: JaegerPorts; storageDir?: string; log?: (m: string) => void } = {}): Promise<Jaeger> {
  // A port found free can be taken by another process before Jaeger binds it
  // (CI saw it once): start again, on fresh ports or, when the caller fixed
  // them, on the same ones a moment later.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startJaegerOnce(bin, workDir, { ...o, ports: o.ports ?? (await freePorts()) });
    } catch (e) {
      if (attempt >= 5 || !/address already in use/.test(String((e as Error).message))) throw e;
      o.log?.(`jaeger: a port was taken (attempt ${attempt}), starting again`);
      await sleep(500 * attempt);
    }
  }
}

async function startJaegerOnce(bin: string, workDir: string, o: { ports: JaegerPorts; storageDir?: string; log?: (m: string) => void }): Promise<Jaeger> {
  const ports = o.ports;
  const template = join(ROOT, "test", "jaeger", o.storageDir !== undefined ? "config-badger.yaml" : "config.yaml");
  const cfg = readFileSync(template, "utf8")
    .replaceAll("${OTLP_PORT}", String(ports.otlp))
    .replaceAll("${OTLP_GRPC_PORT}", String(ports.otlpGrpc))
    .replaceAll("${QUERY_HTTP_PORT}", String(ports.queryHttp))
    .replaceAll("${QUERY_GRPC_PORT}", String(ports.queryGrpc))
    .replaceAll("${STORAGE_DIR}", o.storageDir ?? "");
  const cfgPath = join(workDir, `jaeger-${ports.otlp}.yaml`);
  writeFileSync(cfgPath, cfg);
  let log = "";
  const j = spawn(bin, ["--config", `file:${cfgPath}`], { cwd: workDir, stdio: ["ignore", "pipe", "pipe"] });
  j.stdout!.on("data", (c: Buffer) => (log += c.toString()));
  j.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  const query = `http://127.0.0.1:${ports.queryHttp}`;
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
  o.log?.(`jaeger up in ${Date.now() - ready} ms (otlp http :${ports.otlp}, grpc :${ports.otlpGrpc}, query :${ports.queryHttp})`);
  return {
    otlpHttp: `http://127.0.0.1:${ports.otlp}`,
    otlpGrpc: `http://127.0.0.1:${ports.otlpGrpc}`,
    query,
    process: j,
    stop: () =>
      new Promise((r) => {
        if (j.exitCode !== null || j.signalCode !== null) return r();
        j.on("exit", () => r());
        j.kill("SIGTERM");
        setTimeout(() => j.kill("SIGKILL"), 5000).unref();
      }),
  };
}

export interface OtlpAttr {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpAttr[];
  events?: { name: string; attributes?: OtlpAttr[] }[];
}
export interface OtlpBody {
  resourceSpans?: { resource?: { attributes?: OtlpAttr[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/** Jaeger's JSON may carry IDs in base64 (protobuf JSON for bytes) or hex (OTLP JSON): hex either way. */
export function hexID(s: string | undefined, len: number): string {
  if (s === undefined || s === "") return "";
  if (new RegExp(`^[0-9a-f]{${len}}$`, "i").test(s)) return s.toLowerCase();
  return Buffer.from(s, "base64").toString("hex");
}

export function attrs(a: OtlpAttr[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const x of a ?? []) m.set(x.key, String(x.value.stringValue ?? x.value.intValue ?? x.value.boolValue));
  return m;
}

export function flatten(b: OtlpBody): { span: OtlpSpan; resource: Map<string, string> }[] {
  return (b.resourceSpans ?? []).flatMap((r) =>
    (r.scopeSpans ?? []).flatMap((s) => (s.spans ?? []).map((span) => ({ span, resource: attrs(r.resource?.attributes) }))),
  );
}

/** The spans Jaeger holds for a trace ID (none when it does not know it). */
export async function traceSpans(query: string, traceId: string): Promise<{ span: OtlpSpan; resource: Map<string, string> }[]> {
  const r = await fetch(`${query}/api/v3/traces/${traceId}`);
  if (!r.ok) return [];
  const body = (await r.json()) as { result?: OtlpBody };
  return body.result === undefined ? [] : flatten(body.result);
}
