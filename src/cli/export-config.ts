// Where and how --to otlp and --to zipkin send spans: the command-line flags
// over the OpenTelemetry exporter environment variables
// (https://opentelemetry.io/docs/specs/otel/protocol/exporter/), resolved and
// checked in one place so that every protocol gets the same settings.

import { readFileSync } from "node:fs";
import { OTLP_PROTOCOLS, type ExportTarget, type OtlpProtocol } from "../sinks/exporters.js";
import { UsageError, type Options } from "./options.js";

export const DEFAULT_PROTOCOL: OtlpProtocol = "http/protobuf";
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_ZIPKIN_URL = "http://localhost:9411/api/v2/spans";

type Env = NodeJS.ProcessEnv;

function get(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
}

/** OTEL_EXPORTER_OTLP_TRACES_<name>, else OTEL_EXPORTER_OTLP_<name>: the variable that is set, and its value. */
function otlpEnv(env: Env, name: string): { name: string; value: string } | undefined {
  for (const n of [`OTEL_EXPORTER_OTLP_TRACES_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const v = get(env, n);
    if (v !== undefined) return { name: n, value: v };
  }
  return undefined;
}

/** --protocol, else OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
export function resolveProtocol(flag: string | null, env: Env = process.env): OtlpProtocol {
  const from = flag !== null ? { name: "--protocol", value: flag.trim() } : otlpEnv(env, "PROTOCOL");
  if (from === undefined) return DEFAULT_PROTOCOL;
  if ((OTLP_PROTOCOLS as readonly string[]).includes(from.value)) return from.value as OtlpProtocol;
  throw new UsageError(`${from.name}: unknown protocol "${from.value}" (use ${OTLP_PROTOCOLS.join(", ")})`);
}

function parseURL(s: string, what: string, example: string): URL {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new UsageError(`${what}: not a URL: "${s}" (use e.g. ${example})`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`${what}: not an http(s) URL: "${s}" (use e.g. ${example})`);
  return u;
}

const withPath = (u: URL, path: string) => (u.pathname === "/" || u.pathname === "" ? u.origin + path : u.toString());

/**
 * The URL spans are sent to.
 * - http/protobuf, http/json: --endpoint (a URL without a path gets /v1/traces),
 *   else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT
 *   + /v1/traces, else http://localhost:4318/v1/traces.
 * - grpc: --endpoint, else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
 *   OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4317; scheme, host and
 *   port only (a path is ignored, with a warning); host:port without a scheme
 *   is allowed (then TLS unless OTEL_EXPORTER_OTLP_INSECURE=true).
 */
export function resolveEndpoint(protocol: OtlpProtocol, endpoint: string | null, env: Env = process.env, warn: (m: string) => void = () => undefined): string {
  if (protocol === "grpc") {
    const from = endpoint !== null && endpoint !== "" ? { name: "--endpoint", value: endpoint } : otlpEnv(env, "ENDPOINT");
    if (from === undefined) return "http://localhost:4317";
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(from.value)) {
      // host:port
      let u: URL;
      try {
        u = new URL(`https://${from.value}`);
      } catch {
        throw new UsageError(`${from.name}: not a host:port or URL: "${from.value}" (use e.g. http://localhost:4317)`);
      }
      if (u.pathname !== "/") warn(`${from.name}: gRPC ignores the path of "${from.value}"`);
      return u.host;
    }
    const u = parseURL(from.value, from.name, "http://localhost:4317");
    if (u.pathname !== "/" || u.search !== "") warn(`${from.name}: gRPC ignores the path of ${from.value}: sending to ${u.origin}`);
    return u.origin;
  }
  if (endpoint !== null && endpoint !== "") return withPath(parseURL(endpoint, "--endpoint", "http://localhost:4318"), "/v1/traces");
  const t = get(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (t !== undefined) return parseURL(t, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://localhost:4318/v1/traces").toString();
  const g = get(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  if (g !== undefined) {
    const s = parseURL(g, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318").toString();
    return (s.endsWith("/") ? s : s + "/") + "v1/traces";
  }
  return "http://localhost:4318/v1/traces";
}

/** --endpoint (a URL without a path gets /api/v2/spans), else OTEL_EXPORTER_ZIPKIN_ENDPOINT, else http://localhost:9411/api/v2/spans. */
export function resolveZipkinEndpoint(endpoint: string | null, env: Env = process.env): string {
  if (endpoint !== null && endpoint !== "") return withPath(parseURL(endpoint, "--endpoint", "http://localhost:9411/api/v2/spans"), "/api/v2/spans");
  const e = get(env, "OTEL_EXPORTER_ZIPKIN_ENDPOINT");
  if (e !== undefined) return parseURL(e, "OTEL_EXPORTER_ZIPKIN_ENDPOINT", DEFAULT_ZIPKIN_URL).toString();
  return DEFAULT_ZIPKIN_URL;
}

/** A list of key=value pairs separated by commas, values percent-encoded (the OTEL_EXPORTER_OTLP_HEADERS format). */
export function parseKeyValues(s: string | undefined): [string, string][] {
  const out: [string, string][] = [];
  if (s === undefined) return out;
  for (const part of s.split(",")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const key = part.slice(0, i).trim();
    let value = part.slice(i + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      /* keep as is */
    }
    if (key !== "") out.push([key, value]);
  }
  return out;
}

/** OTEL_EXPORTER_OTLP_HEADERS, then OTEL_EXPORTER_OTLP_TRACES_HEADERS, then --header: a later one wins. */
export function resolveHeaders(flags: [string, string][], env: Env = process.env, otlp = true): Record<string, string> {
  const h: Record<string, string> = {};
  const put = (k: string, v: string) => {
    for (const old of Object.keys(h)) if (old.toLowerCase() === k.toLowerCase()) delete h[old];
    h[k] = v;
  };
  if (otlp) {
    for (const [k, v] of parseKeyValues(get(env, "OTEL_EXPORTER_OTLP_HEADERS"))) put(k, v);
    for (const [k, v] of parseKeyValues(get(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"))) put(k, v);
  }
  for (const [k, v] of flags) put(k, v);
  return h;
}

function timeout(env: Env, names: string[], warn: (m: string) => void): number {
  for (const n of names) {
    const v = get(env, n);
    if (v === undefined) continue;
    if (/^\d+$/.test(v) && Number(v) > 0) return Number(v);
    warn(`${n}=${v} is not a timeout in milliseconds: using ${DEFAULT_TIMEOUT_MS}`);
    return DEFAULT_TIMEOUT_MS;
  }
  return DEFAULT_TIMEOUT_MS;
}

function readPem(env: Env, name: string): Uint8Array | undefined {
  const e = otlpEnv(env, name);
  if (e === undefined) return undefined;
  try {
    return readFileSync(e.value);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${e.name}: cannot read ${e.value}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}

/** Everything --to otlp sends with: protocol, URL, headers, timeout, compression, TLS. */
export function otlpTarget(opts: Options, env: Env = process.env, warn: (m: string) => void = () => undefined): ExportTarget {
  const protocol = resolveProtocol(opts.protocol, env);
  const url = resolveEndpoint(protocol, opts.endpoint, env, warn);
  if (/^https?:\/\/[^/]+:4317(\/|$)/.test(url) && protocol !== "grpc") warn(`port 4317 is OTLP's gRPC port: add --protocol grpc if the collector expects gRPC there`);
  if (/:4318$/.test(url) && protocol === "grpc") warn(`port 4318 is OTLP's HTTP port: the gRPC receiver listens on 4317 by default`);
  let compression: "gzip" | "none" = "none";
  const c = otlpEnv(env, "COMPRESSION");
  if (c !== undefined) {
    if (c.value === "gzip" || c.value === "none") compression = c.value;
    else warn(`${c.name}=${c.value} is not supported (gzip or none): sending uncompressed`);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  const insecureEnv = otlpEnv(env, "INSECURE")?.value.toLowerCase() === "true";
  const ca = readPem(env, "CERTIFICATE");
  const cert = readPem(env, "CLIENT_CERTIFICATE");
  const key = readPem(env, "CLIENT_KEY");
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go together: set both or neither");
  return {
    protocol,
    url,
    headers: resolveHeaders(opts.headers, env),
    timeoutMillis: timeout(env, ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"], warn),
    compression,
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    insecure: scheme === "http" || (scheme === undefined && insecureEnv),
  };
}

/** Everything --to zipkin sends with: URL, headers (--header), timeout (OTEL_EXPORTER_ZIPKIN_TIMEOUT). */
export function zipkinTarget(opts: Options, env: Env = process.env, warn: (m: string) => void = () => undefined): ExportTarget {
  if (opts.protocol !== null) warn(`--protocol ${opts.protocol} is for --to otlp: Zipkin gets JSON over HTTP`);
  const url = resolveZipkinEndpoint(opts.endpoint, env);
  return {
    protocol: "zipkin",
    url,
    headers: resolveHeaders(opts.headers, env, false),
    timeoutMillis: timeout(env, ["OTEL_EXPORTER_ZIPKIN_TIMEOUT"], warn),
    compression: "none",
    insecure: url.startsWith("http:"),
  };
}
