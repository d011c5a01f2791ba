// Shared test helpers: fixtures, the manifest, running the CLI, Go detection.

import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { TraceError } from "../src/decode/errors.js";
import { TraceReader } from "../src/decode/reader.js";
import { formatEvent } from "../src/sinks/text.js";

/** Repository root (tests run from dist/test). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURES = join(ROOT, "fixtures");
/** The CLI compiled next to this test (dist/src/cli.js, or a private build directory). */
export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src", "cli.js");

export interface ManifestEntry {
  name: string;
  go: string;
  dir: string;
  trace: string;
  header: string;
  bytes: number;
  parsed?: string;
  parsedExit: number;
  parsedStderr: string;
  events?: number;
  generations?: number;
  pprof?: Record<string, string>;
  notes?: string;
}

export function loadManifest(): ManifestEntry[] {
  const p = join(FIXTURES, "manifest.json");
  if (!existsSync(p)) throw new Error(`missing ${p}: run fixtures/gen/regen.sh`);
  return JSON.parse(readFileSync(p, "utf8")) as ManifestEntry[];
}

/** Path of the expected `go tool trace -d=parsed` output of an entry. */
export function parsedPath(e: ManifestEntry): string {
  if (e.parsed !== undefined) return join(FIXTURES, e.parsed);
  return join(FIXTURES, "expected", e.dir, `${e.name}.parsed.txt.gz`);
}

export function readMaybeGz(p: string): string {
  const b = readFileSync(p);
  return (p.endsWith(".gz") ? gunzipSync(b) : b).toString("utf8");
}

/** Decodes a whole trace in-process into the -d=parsed text, and the error if any. */
export function decodeToText(bytes: Uint8Array, chunk = 0): { text: string; error: TraceError | null } {
  const r = new TraceReader();
  const parts: string[] = [];
  let error: TraceError | null = null;
  const drain = () => {
    for (let ev = r.next(); ev !== null; ev = r.next()) parts.push(formatEvent(ev, r.timeBase) + "\n");
  };
  try {
    if (chunk > 0) {
      for (let i = 0; i < bytes.length; i += chunk) {
        r.push(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
        drain();
      }
    } else {
      r.push(bytes);
    }
    r.end();
    drain();
  } catch (e) {
    if (!(e instanceof TraceError)) throw e;
    error = e;
  }
  return { text: parts.join(""), error };
}

export function runCLI(args: string[], input?: Uint8Array): SpawnSyncReturns<Buffer> {
  return spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 1 << 30, timeout: 120_000 });
}

let goChecked: boolean | null = null;
/** True when a Go toolchain is on PATH. */
export function haveGo(): boolean {
  if (goChecked === null) {
    const r = spawnSync("go", ["version"], { encoding: "utf8" });
    goChecked = r.status === 0;
  }
  return goChecked;
}

export function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return (i < 0 ? s : s.slice(0, i)).trim();
}

export const V2_HEADERS = ["go 1.22 trace", "go 1.23 trace", "go 1.25 trace", "go 1.26 trace"];

/** Byte offsets of batch headers and end-of-generation markers of a 1.22+ trace. */
export function walkBatches(b: Uint8Array): { batches: number[]; markers: number[] } {
  const batches: number[] = [];
  const markers: number[] = [];
  let p = 16;
  const uv = (): number => {
    let x = 0;
    let mul = 1;
    for (;;) {
      const c = b[p++]!;
      x += (c & 0x7f) * mul;
      if (c < 0x80) return x;
      mul *= 128;
    }
  };
  while (p < b.length) {
    const t = b[p]!;
    if (t === 0x34) {
      markers.push(p);
      p++;
      continue;
    }
    batches.push(p);
    p++;
    if (t === 0x31) p++;
    uv();
    uv();
    uv();
    const size = uv();
    p += size;
  }
  return { batches, markers };
}
