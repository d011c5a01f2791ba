// The browser app's worker code, run in Node: src/web/job.ts converts a Blob
// with the command's own format code. Its output must be the command's, byte
// for byte, with the same exit status and messages, for every format, on good,
// damaged and invalid inputs. (test/web.test.ts checks the same in Chromium;
// this runs everywhere, fast.) Also: the gzip and the Blob output the browser
// shares with the command.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { GzipStream } from "../src/sinks/gzip.js";
import { BlobOutput } from "../src/web/blob-output.js";
import { formatList, runJob } from "../src/web/job.js";
import { CLI, FIXTURES } from "./helpers.js";

function cli(path: string, args: string[]) {
  const r = spawnSync(process.execPath, [CLI, basename(path), ...args], { cwd: dirname(path), maxBuffer: 1 << 28 });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.replace(/^trace-convert: /, "")),
  };
}

async function job(path: string, format: string, args: string[]) {
  const bytes = readFileSync(path);
  // As a browser gives File.lastModified: whole milliseconds.
  const mtime = Math.trunc(statSync(path).mtimeMs);
  const r = await runJob({ type: "job", format, args, source: new Blob([bytes]), name: basename(path), mtime }, () => undefined);
  return { ...r, out: r.blob === null ? Buffer.alloc(0) : Buffer.from(await r.blob.arrayBuffer()) };
}

async function same(path: string, format: string, args: string[]): Promise<void> {
  const got = await job(path, format, args);
  const want = cli(path, ["--to", format, ...args]);
  const what = `${basename(path)} --to ${format} ${args.join(" ")}`;
  assert.equal(got.code, want.status, `${what}: exit status`);
  // A usage error: the command adds "Run 'trace-convert --help' for usage.", which is no help in a page.
  assert.deepEqual(got.messages, got.code === 2 ? want.stderr.slice(0, 1) : want.stderr, `${what}: messages`);
  assert.ok(got.out.equals(want.stdout), `${what}: ${got.out.length} bytes, the command wrote ${want.stdout.length}`);
}

const trace = (rel: string) => join(FIXTURES, "traces", rel);

describe("the browser app's job runner equals the command", () => {
  test("the formats offered are the command's formats that write a file", () => {
    const names = formatList().map((f) => f.name);
    assert.ok(names.includes("perfetto") && names.includes("perfetto-proto") && names.includes("otlp-json") && names.includes("summary") && names.includes("text"));
    assert.ok(names.filter((n) => n.startsWith("pprof-")).length >= 5, names.join(", "));
    assert.ok(!names.includes("otlp"), "otlp pushes to a collector: not a download");
  });

  for (const fx of ["go1.26/annotations.trace", "go1.22/netio.trace", "damaged/go126-multigen-trunc-midbatch.trace"]) {
    test(`${fx}: every format`, async () => {
      for (const f of formatList()) await same(trace(fx), f.name, []);
      await same(trace(fx), "summary", ["--json"]);
    });
  }

  test("filters, other versions, damaged and invalid inputs", async () => {
    const noise = Buffer.alloc(8192);
    for (let i = 0, x = 7; i < noise.length; i++) noise[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    const cases: [string, string, string[]][] = [
      ["go1.15/annotations.trace", "pprof-sched", ["--task", "handoff"]],
      ["go1.15/annotations.trace", "perfetto-proto", ["--start", "5ms", "--end", "40ms"]],
      ["go1.26/annotations.trace", "perfetto", ["--task", "root", "--annotations-only"]],
      ["go1.26/annotations.trace", "pprof-sync", ["--region", "inner", "--labels"]],
      ["go1.26/annotations.trace", "otlp-json", ["--service-name", "api", "--redact"]],
      ["go1.26/cpuprof.trace", "pprof-cpu", ["--labels"]],
      ["go1.26/gc.trace", "summary", []],
      ["damaged/go115-netio-trunc.trace", "summary", ["--json"]],
      ["damaged/go124-multigen-trunc-boundary.trace", "pprof-sync", []],
      ["damaged/go126-bad-header.trace", "perfetto-proto", []],
      ["damaged/empty.trace", "summary", ["--json"]],
      ["go1.26/annotations.trace", "pprof-sync", ["--goroutine", "x"]],
      ["go1.26/annotations.trace", "perfetto", ["--start", "2s", "--end", "1s"]],
    ];
    for (const [fx, f, a] of cases) await same(trace(fx), f, a);
    // Not a trace at all.
    const r = await runJob({ type: "job", format: "summary", args: ["--json"], source: new Blob([noise]), name: "noise.bin", mtime: null }, () => undefined);
    assert.equal(r.code, 1);
    assert.equal(r.blob, null);
    assert.match(r.messages[0]!, /^noise\.bin: .* \(at byte \d+\)$/);
  });

  test("progress: bytes, generations, events", async () => {
    const bytes = readFileSync(trace("go1.26/gc.trace"));
    const seen: { bytes: number; total: number; generations: number; events: number }[] = [];
    const r = await runJob({ type: "job", format: "summary", args: [], source: new Blob([bytes]), name: "gc.trace", mtime: null }, (p) => seen.push(p));
    assert.equal(r.code, 0);
    assert.ok(seen.length > 0, "progress was reported");
    const last = seen[seen.length - 1]!;
    assert.equal(last.total, bytes.length);
    assert.equal(last.bytes, bytes.length);
    assert.equal(last.events, r.events);
    assert.ok(last.generations >= 1);
  });
});

describe("gzip and the Blob output, shared by the command and the browser", () => {
  test("GzipStream: the same bytes however the input is split; gunzip gives it back; no time in the header", async () => {
    const input = Buffer.from(readFileSync(trace("go1.26/annotations.trace")));
    const run = async (piece: number) => {
      const out: Uint8Array[] = [];
      const gz = new GzipStream({ write: (c) => void out.push(c) });
      for (let i = 0; i < input.length; i += piece) await gz.write(input.subarray(i, i + piece));
      await gz.end();
      return Buffer.concat(out);
    };
    const a = await run(input.length);
    for (const piece of [1, 1000, 65536, 100_000]) assert.ok((await run(piece)).equals(a), `pieces of ${piece}`);
    assert.ok(gunzipSync(a).equals(input));
    assert.equal(a.readUInt32LE(4), 0, "mtime 0");
  });

  test("BlobOutput: text and bytes, in order, past its 16 MB pieces", async () => {
    const o = new BlobOutput();
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const s = `line ${i} ${"é".repeat(i % 7)}\n`;
      o.write(s);
      parts.push(Buffer.from(s));
      const b = Buffer.alloc(100_000 + i, i & 255);
      const p = o.write(b);
      if (p !== undefined) await p;
      b.fill(0); // the writer may reuse its buffer once write() settles
      parts.push(Buffer.alloc(100_000 + i, i & 255));
    }
    const blob = o.finish();
    assert.ok(Buffer.from(await blob.arrayBuffer()).equals(Buffer.concat(parts)));
    assert.equal(o.written, blob.size);
  });
});
