// pprof outputs: the four state profiles against `go tool trace -pprof=TYPE`
// sample for sample on every fixture, region-filtered ones against the web
// UI's raw output, the CPU profile against the trace's CPU samples, and
// `go tool pprof -top` on every kind of output.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { test } from "node:test";
import { drive } from "../src/convert/drive.js";
import { NO_FILTER, ProfileBuilder, type ProfileFilter, type ProfileKind } from "../src/convert/pprof.js";
import { GzipStream } from "../src/sinks/gzip.js";
import { flushEncoder, PprofEncoder, writeProfile } from "../src/sinks/pprof.js";
import { FIXTURES, haveGo, loadManifest, parsedPath, readMaybeGz, runCLI } from "./helpers.js";
import { canonicalSamples, decodeProfile } from "./pproflib.js";

const STATE_KINDS = ["net", "sync", "syscall", "sched"] as const;

async function* once(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}

/** Builds profiles in-process in one pass; returns the gzipped bytes of each, and the decode error. */
async function profiles(trace: Uint8Array, kinds: readonly ProfileKind[], filter: ProfileFilter = NO_FILTER): Promise<{ bytes: Uint8Array[]; error: Error | null }> {
  const bs = kinds.map((k) => new ProfileBuilder(k, filter));
  const res = await drive(once(trace), (ev, r) => {
    for (const b of bs) b.event(ev, r.timeBase);
  });
  const bytes: Uint8Array[] = [];
  for (const b of bs) {
    b.end(res.error === null);
    const parts: Uint8Array[] = [];
    await writeProfile(b, { write: (d) => void parts.push(Uint8Array.from(d)) });
    bytes.push(Buffer.concat(parts));
  }
  return { bytes, error: res.error };
}

async function profile(trace: Uint8Array, kind: ProfileKind, filter: ProfileFilter = NO_FILTER): Promise<{ bytes: Uint8Array; error: Error | null }> {
  const { bytes, error } = await profiles(trace, [kind], filter);
  return { bytes: bytes[0]!, error };
}

const NOT_SUPPORTED = /not supported/;

test("state profiles equal go tool trace -pprof=TYPE, sample for sample, on every fixture", async (t) => {
  const entries = loadManifest().filter((e) => e.pprof !== undefined);
  assert.ok(entries.length > 0, "no fixture has expected profiles");
  let compared = 0;
  const skipped: string[] = [];
  for (const e of entries) {
    const trace = readFileSync(join(FIXTURES, e.trace));
    const all = await profiles(trace, STATE_KINDS);
    if (all.error !== null && NOT_SUPPORTED.test(all.error.message)) {
      skipped.push(`${e.dir}/${e.name}`);
      continue;
    }
    for (const [i, kind] of STATE_KINDS.entries()) {
      const exp = e.pprof![kind];
      if (exp === undefined) continue;
      const label = `${e.dir}/${e.name} ${kind}`;
      const want = decodeProfile(readFileSync(join(FIXTURES, exp)));
      const got = decodeProfile(all.bytes[i]!);
      assert.deepEqual(got.sampleTypes, want.sampleTypes, `${label}: sample types`);
      assert.deepEqual(got.periodType, want.periodType, `${label}: period type`);
      assert.equal(got.period, want.period, `${label}: period`);
      assert.deepEqual(canonicalSamples(got), canonicalSamples(want), `${label}: samples`);
      compared++;
    }
  }
  if (skipped.length > 0) {
    t.diagnostic(`skipped ${skipped.length} old-format fixtures (the v1 decoder is not there yet): ${skipped.join(", ")}`);
    console.log(`# pprof: skipped ${skipped.length} old-format (go1.11-1.21) fixtures: decoder says "not supported"`);
  }
  t.diagnostic(`compared ${compared} profiles`);
  console.log(`# pprof: compared ${compared} profiles with go tool trace's`);
  assert.ok(compared >= 40, `only ${compared} profiles compared`);
});

interface RegionCase {
  trace: string;
  region: string;
  kind: string;
  file: string;
}

test("region-filtered profiles equal the web UI's /region* raw output", async (t) => {
  const idx = join(FIXTURES, "expected", "regions", "index.json");
  if (!existsSync(idx)) {
    t.skip("fixtures/expected/regions/index.json missing: run fixtures/gen/regionprof.sh");
    return;
  }
  const cases = JSON.parse(readFileSync(idx, "utf8")) as RegionCase[];
  const traces = new Set<string>();
  const skipped = new Set<string>();
  let nonEmpty = 0;
  for (const c of cases) {
    const trace = readFileSync(join(FIXTURES, c.trace));
    const { bytes, error } = await profile(trace, c.kind as ProfileKind, { ...NO_FILTER, region: c.region });
    if (error !== null && NOT_SUPPORTED.test(error.message)) {
      skipped.add(c.trace);
      continue;
    }
    assert.equal(error, null, `${c.trace}: ${error?.message}`);
    const want = decodeProfile(readFileSync(join(FIXTURES, c.file)));
    const got = decodeProfile(bytes);
    assert.deepEqual(canonicalSamples(got), canonicalSamples(want), `${c.trace} region "${c.region}" ${c.kind}`);
    traces.add(c.trace);
    if (want.samples.length > 0) nonEmpty++;
  }
  if (skipped.size > 0) {
    t.diagnostic(`skipped old-format traces (decoder says "not supported"): ${[...skipped].join(", ")}`);
    console.log(`# pprof: region profiles of ${skipped.size} old-format traces skipped: decoder says "not supported"`);
  }
  assert.ok(traces.size >= 2, "region cases cover fewer than two traces");
  assert.ok(nonEmpty >= 4, `only ${nonEmpty} non-empty region profiles`);
});

/** CPU samples of a -d=parsed text: "G=<id>|frames" per sample. */
function cpuSamplesFromParsed(text: string): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.includes(" StackSample ")) continue;
    const g = /\bG=(-?\d+)/.exec(l)![1]!;
    const frames: string[] = [];
    let j = i + 1;
    if (lines[j] === "Stack=") {
      j++;
      while (j + 1 < lines.length && lines[j]!.startsWith("\t") && !lines[j]!.startsWith("\t\t")) {
        const fn = lines[j]!.trim().replace(/ @ 0x[0-9a-f]+$/, "");
        const loc = lines[j + 1]!.trim();
        frames.push(`${fn} ${loc}`);
        j += 2;
      }
    }
    out.push(`${g === "-1" ? "" : `goroutine=${g}`} | ${frames.join(" <- ")}`);
  }
  return out.sort();
}

test("CPU profile: one sample per trace CPU sample, with its stack and goroutine", async (t) => {
  const entries = loadManifest().filter((e) => e.name === "cpuprof" && existsSync(parsedPath(e)));
  let checked = 0;
  for (const e of entries) {
    const trace = readFileSync(join(FIXTURES, e.trace));
    const { bytes, error } = await profile(trace, "cpu");
    if (error !== null && NOT_SUPPORTED.test(error.message)) {
      t.diagnostic(`skipped ${e.dir}/${e.name}: ${error.message}`);
      continue;
    }
    assert.equal(error, null);
    // Go 1.15 traces have no CPU samples (they came in 1.19): then the profile is empty.
    const want = cpuSamplesFromParsed(readMaybeGz(parsedPath(e)));
    const p = decodeProfile(bytes);
    assert.deepEqual(p.sampleTypes, [
      ["samples", "count"],
      ["cpu", "nanoseconds"],
    ]);
    assert.deepEqual(p.periodType, ["cpu", "nanoseconds"]);
    // In-process the samples are aggregated per (stack, goroutine): expand the counts.
    const got: string[] = [];
    for (const s of p.samples) {
      assert.equal(s.values[1], s.values[0]! * p.period);
      const key = `${s.labels.map(([k, v]) => `${k}=${v}`).join(",")} | ${s.frames.map((f) => `${f.func} ${f.file}:${f.line}`).join(" <- ")}`;
      for (let k = 0; k < s.values[0]!; k++) got.push(key);
    }
    assert.deepEqual(got.sort(), want, `${e.dir}: CPU samples`);
    if (want.length > 0) checked++;
  }
  assert.ok(checked >= 3, `only ${checked} cpuprof fixtures checked`);
});

test("damaged traces: the profiles of the complete generations, as go tool trace gives them", async (t) => {
  if (!haveGo()) {
    t.skip("go is not installed: skipping the live comparison on damaged traces");
    return;
  }
  const names = ["trunc-midbatch", "trunc-boundary", "bad-batch-size", "trunc-no-eog"];
  for (const n of names) {
    const path = join(FIXTURES, "traces", "damaged", `go126-multigen-${n}.trace`);
    const trace = readFileSync(path);
    for (const kind of STATE_KINDS) {
      const g = spawnSync("go", ["tool", "trace", `-pprof=${kind}`, path], { maxBuffer: 1 << 26, timeout: 60_000 });
      assert.equal(g.status, 0, `go tool trace -pprof=${kind} ${n}: ${g.stderr}`);
      const { bytes, error } = await profile(trace, kind);
      assert.notEqual(error, null, `${n}: expected a decode error`);
      assert.deepEqual(canonicalSamples(decodeProfile(bytes)), canonicalSamples(decodeProfile(g.stdout)), `${n} ${kind}`);
    }
  }
  // CLI: exit 3 (partial) with the profile written.
  const r = runCLI([join(FIXTURES, "traces/damaged/go126-multigen-trunc-midbatch.trace"), "--to", "pprof-sched"]);
  assert.equal(r.status, 3, r.stderr.toString());
  assert.ok(decodeProfile(r.stdout).samples.length > 0);
});

test("CLI: every pprof kind is valid for go tool pprof -top (no errors, no warnings)", (t) => {
  if (!haveGo()) {
    t.skip("go is not installed: skipping go tool pprof checks");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "pprof-test-"));
  try {
    const cases: [string, string, string[]][] = [
      ["traces/go1.26/contention.trace", "sync", []],
      ["traces/go1.26/netio.trace", "net", []],
      ["traces/go1.26/syscalls.trace", "syscall", []],
      ["traces/go1.26/many.trace", "sched", []],
      ["traces/go1.26/cpuprof.trace", "cpu", []],
      ["traces/go1.26/cpuprof.trace", "cpu", ["--labels"]],
      ["traces/go1.26/annotations.trace", "sched", ["--labels"]],
      ["traces/go1.26/annotations.trace", "sync", ["--region", "produce"]],
      ["traces/go1.26/contention.trace", "sched", ["--start", "10ms", "--end", "200ms", "--goroutine", "1"]],
    ];
    for (const [tr, kind, extra] of cases) {
      const out = join(dir, `${kind}.pb.gz`);
      const r = runCLI([join(FIXTURES, tr), "--to", `pprof-${kind}`, "-o", out, ...extra]);
      assert.equal(r.status, 0, `${tr} ${kind}: ${r.stderr.toString()}`);
      const p = spawnSync("go", ["tool", "pprof", "-top", out], { encoding: "utf8", timeout: 60_000 });
      assert.equal(p.status, 0, `${tr} ${kind} ${extra.join(" ")}: go tool pprof failed: ${p.stderr}`);
      assert.equal(p.stderr, "", `${tr} ${kind}: go tool pprof wrote to stderr: ${p.stderr}`);
      assert.doesNotMatch(p.stdout, /warn|error|fail/i, `${tr} ${kind}: ${p.stdout}`);
      assert.match(p.stdout, /^Type: (contentions|delay|samples|cpu)$/m);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CLI: streamed CPU profile has one pprof sample per trace sample, labelled", () => {
  const r = runCLI([join(FIXTURES, "traces/go1.26/cpuprof.trace"), "--to", "pprof-cpu", "--labels"]);
  assert.equal(r.status, 0, r.stderr.toString());
  const p = decodeProfile(r.stdout);
  assert.ok(p.samples.length > 0);
  for (const s of p.samples) {
    assert.deepEqual(s.values, [1, 10_000_000]);
  }
  const want = cpuSamplesFromParsed(readMaybeGz(join(FIXTURES, "expected/go1.26/cpuprof.parsed.txt.gz")));
  assert.equal(p.samples.length, want.length);
  assert.ok(p.samples.some((s) => s.labels.some(([k]) => k === "goroutine")));
});

test("filters: goroutine, window and labels partition the unfiltered profile", async () => {
  const trace = readFileSync(join(FIXTURES, "traces/go1.26/contention.trace"));
  const all = decodeProfile((await profile(trace, "sync")).bytes);
  const total = all.samples.reduce((a, s) => a + s.values[1]!, 0);
  const labelled = decodeProfile((await profile(trace, "sync", { ...NO_FILTER, labels: true })).bytes);
  assert.equal(labelled.samples.reduce((a, s) => a + s.values[1]!, 0), total, "labels change no totals");
  // Per goroutine: sums of the goroutine-filtered profiles equal the total.
  const gs = new Set<number>();
  for (const s of labelled.samples) for (const [k, v] of s.labels) if (k === "goroutine") gs.add(Number(v));
  assert.ok(gs.size > 1);
  let sum = 0;
  for (const g of gs) {
    const p = decodeProfile((await profile(trace, "sync", { ...NO_FILTER, goroutine: g })).bytes);
    sum += p.samples.reduce((a, s) => a + s.values[1]!, 0);
  }
  assert.equal(sum, total, "goroutine filters partition the profile");
  // Windows: [0, x] + [x, end] = whole.
  const a = decodeProfile((await profile(trace, "sync", { ...NO_FILTER, end: 100e6 })).bytes);
  const b = decodeProfile((await profile(trace, "sync", { ...NO_FILTER, start: 100e6 })).bytes);
  const da = a.samples.reduce((x, s) => x + s.values[1]!, 0);
  const db = b.samples.reduce((x, s) => x + s.values[1]!, 0);
  assert.ok(da > 0 && db > 0, `window halves: ${da} ${db}`);
  assert.equal(da + db, total);
});


test("output decodes with protobufjs against proto/profile.proto (the schema subset we write)", async () => {
  const protobuf = (await import("protobufjs")).default;
  const root = await protobuf.load(join(FIXTURES, "..", "proto", "profile.proto"));
  const P = root.lookupType("perftools.profiles.Profile");
  const trace = readFileSync(join(FIXTURES, "traces/go1.26/annotations.trace"));
  const { bytes } = await profile(trace, "sched", { ...NO_FILTER, labels: true });
  const m = P.toObject(P.decode(gunzipSync(bytes)), { longs: Number, arrays: true }) as {
    sample: { locationId: number[]; value: number[]; label?: { key: number; str: number }[] }[];
    stringTable: string[];
    location: { id: number; line: { functionId: number }[] }[];
    function: { id: number; name: number }[];
    period: number;
  };
  const mine = decodeProfile(bytes);
  assert.equal(m.sample.length, mine.samples.length);
  assert.deepEqual(m.stringTable, mine.strings);
  assert.equal(m.stringTable[0], "");
  assert.equal(m.period, 1);
  const locIDs = new Set(m.location.map((l) => l.id));
  const fnIDs = new Set(m.function.map((f) => f.id));
  for (const s of m.sample) {
    for (const id of s.locationId) assert.ok(locIDs.has(id), `dangling location ${id}`);
    assert.equal(s.value.length, 2);
    for (const l of s.label ?? []) assert.ok(l.key < m.stringTable.length && l.str < m.stringTable.length);
  }
  for (const l of m.location) for (const ln of l.line) assert.ok(fnIDs.has(ln.functionId));
  assert.ok(m.sample.some((s) => (s.label ?? []).some((l) => m.stringTable[l.key] === "task")), "task labels");
  assert.ok(m.sample.some((s) => (s.label ?? []).some((l) => m.stringTable[l.key] === "region")), "region labels");
});

test("a profile written in many pieces (one sample per piece) decodes to the same profile as in one piece", async () => {
  const trace = readFileSync(join(FIXTURES, "traces/go1.26/annotations.trace"));
  const b = new ProfileBuilder("sched", { ...NO_FILTER, labels: true });
  const res = await drive(once(trace), (ev, r) => b.event(ev, r.timeBase));
  b.end(res.error === null);
  const whole: Uint8Array[] = [];
  await writeProfile(b, { write: (d) => void whole.push(Uint8Array.from(d)) });
  const parts: Uint8Array[] = [];
  const gz = new GzipStream({ write: (d) => void parts.push(Uint8Array.from(d)) });
  const enc = new PprofEncoder(b.stacks, b.info);
  let pieces = 0;
  const r = b.records;
  for (let i = 0; i < r.length; i++) {
    if (r.n[i] === 0) continue;
    const l = r.labels[i]!;
    enc.sample(r.stack[i]!, r.n[i]!, r.d[i]!, l >= 0 ? r.labelSets[l]! : null);
    await flushEncoder(enc, gz, 1);
    pieces++;
  }
  await gz.write(enc.take());
  await gz.end();
  assert.ok(pieces > 20, `${pieces} pieces`);
  const a = decodeProfile(Buffer.concat(whole));
  const p = decodeProfile(Buffer.concat(parts));
  assert.deepEqual(p, a);
});
