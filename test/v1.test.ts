// Go 1.11-1.21 traces ("go 1.11/1.19/1.21 trace" headers): `--to text` must
// equal `go tool trace -d=parsed` byte for byte on every old-format fixture
// (whole and streamed in small chunks), damaged ones included; broken old
// traces exit like new ones; random mutations only ever raise TraceError.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Kind } from "../src/decode/spec.js";
import { TraceReader } from "../src/decode/reader.js";
import { RawReader, SKIP_ARGS, SKIP_STRINGS } from "../src/decode/v1/raw.js";
import { mutate, Rand, runCase } from "./fuzzlib.js";
import { decodeToText, FIXTURES, firstLine, haveGo, loadManifest, parsedPath, readMaybeGz, runCLI } from "./helpers.js";

const OLD = ["go 1.11 trace", "go 1.19 trace", "go 1.21 trace"];
const manifest = loadManifest().filter((e) => OLD.includes(e.header));
const tmp = mkdtempSync(join(tmpdir(), "tc-v1-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function firstDiff(a: string, b: string): string {
  const al = a.split("\n");
  const bl = b.split("\n");
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `line ${i + 1}:\n  ours: ${al[i]}\n  go:   ${bl[i]}`;
  }
  return "no difference";
}

describe("old formats: text output equals go tool trace -d=parsed", () => {
  test("the manifest lists fixtures of every old format, and damaged ones", () => {
    const headers = new Set(manifest.map((e) => e.header));
    for (const h of OLD) assert.ok(headers.has(h), `no fixture with header ${h}`);
    assert.ok(manifest.some((e) => e.dir === "damaged"), "no damaged old-format fixture");
  });
  for (const e of manifest) {
    for (const chunk of [0, 4093]) {
      test(`${e.dir}/${e.name}${chunk > 0 ? ` in ${chunk}-byte chunks` : ""}`, () => {
        const bytes = readFileSync(join(FIXTURES, e.trace));
        const want = readMaybeGz(parsedPath(e));
        const got = decodeToText(bytes, chunk);
        if (got.text !== want) assert.fail(`${e.trace}: output differs at ${firstDiff(got.text, want)}`);
        if (e.parsedExit === 0) {
          assert.equal(got.error, null, `unexpected error: ${got.error?.message}`);
        } else {
          assert.ok(got.error !== null, `go tool trace failed (${e.parsedStderr}) but we did not`);
          assert.equal(firstLine(got.error.message), firstLine(e.parsedStderr));
        }
      });
    }
  }
});

describe("old formats: the event model", () => {
  const e = manifest.find((x) => x.dir === "go1.21" && x.name === "annotations");
  test("one generation: a Sync first and last, strictly increasing times, tables resolve", { skip: e === undefined }, () => {
    const r = new TraceReader();
    r.push(readFileSync(join(FIXTURES, e!.trace)));
    r.end();
    const kinds: number[] = [];
    let last = Number.NEGATIVE_INFINITY;
    let logs = 0;
    for (let ev = r.next(); ev !== null; ev = r.next()) {
      kinds.push(ev.kind);
      assert.ok(ev.time > last, `time ${ev.time} after ${last}`);
      last = ev.time;
      if (ev.kind === Kind.Log) {
        logs++;
        assert.notEqual(ev.logCategory() + ev.logMessage(), "");
      }
      const s = ev.stackID();
      if (s > 0) assert.ok(ev.gen!.stackFrames(s).length > 0, "a stack ID with no frames");
    }
    assert.equal(kinds[0], Kind.Sync);
    assert.equal(kinds[kinds.length - 1], Kind.Sync);
    assert.equal(kinds.filter((k) => k === Kind.Sync).length, 2);
    assert.ok(logs > 0);
    assert.equal(r.version, 21);
    assert.equal(r.stats.generations, 1);
  });
});

describe("old formats: broken input on the command line", () => {
  const src = manifest.find((x) => x.dir === "go1.19" && x.name === "netio")!;
  const bytes = readFileSync(join(FIXTURES, src.trace));
  test("truncated: exit 1, the file and the byte offset", () => {
    const p = join(tmp, "old-trunc.trace");
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = runCLI([p, "--to", "text"]);
    assert.equal(r.status, 1, r.stderr.toString());
    assert.match(r.stderr.toString(), /old-trunc\.trace: .*\(at byte \d+\)/);
    assert.equal(r.stdout.length, 0, "nothing is delivered from a broken old trace");
  });
  test("header only: exit 1, no EvFrequency event (as Go)", () => {
    const p = join(tmp, "old-header.trace");
    writeFileSync(p, bytes.subarray(0, 16));
    const r = runCLI([p, "--to", "text"]);
    // Go: no EvFrequency event.
    assert.equal(r.status, 1, r.stderr.toString());
    assert.match(r.stderr.toString(), /old-header\.trace: no EvFrequency event \(at byte 16\)/);
  });
  test("a corrupt event type: exit 1 with Go's message and the offset", () => {
    const b = Uint8Array.from(bytes);
    b[16] = 0x3f; // the first batch header becomes an unknown event type
    const p = join(tmp, "old-corrupt.trace");
    writeFileSync(p, b);
    const r = runCLI([p, "--to", "text"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /old-corrupt\.trace: unknown event type 63 \(at byte 16\)/);
  });
});

/** Offsets of the batch headers of an old-format trace. */
function oldBatches(b: Uint8Array): number[] {
  const rr = new RawReader(21);
  rr.data = b.subarray(16);
  const out: number[] = [];
  while (rr.read(SKIP_ARGS | SKIP_STRINGS)) if (rr.typ === 1) out.push(16 + rr.start);
  out.push(b.length);
  return out;
}

/** Drops, duplicates or moves one whole batch (the per-P ordering must cope). */
function batchMutation(src: Uint8Array, r: Rand): { bytes: Uint8Array; how: string } {
  const at = oldBatches(src);
  if (at.length < 3) return { bytes: src, how: "no batches" };
  const i = r.int(at.length - 1);
  const piece = Array.from(src.subarray(at[i]!, at[i + 1]!));
  const b = Array.from(src);
  const op = r.int(3);
  if (op === 0) b.splice(at[i]!, piece.length);
  else if (op === 1) b.splice(at[i + 1]!, 0, ...piece);
  else {
    b.splice(at[i]!, piece.length);
    b.splice(Math.min(at[r.int(at.length - 1)]!, b.length), 0, ...piece);
  }
  return { bytes: Uint8Array.from(b), how: `batch op ${op} on batch ${i}` };
}

describe("old formats: fuzzing", () => {
  const CASES = Number(process.env.V1_FUZZ_CASES ?? 1500);
  const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
  test("the fixtures split into batches", () => {
    const e = manifest.find((x) => x.dir === "go1.21" && x.name === "many")!;
    assert.ok(oldBatches(new Uint8Array(readFileSync(join(FIXTURES, e.trace)))).length > 3);
  });
  test(`${CASES} mutations of old-format fixtures raise nothing but TraceError`, { timeout: 600_000 }, () => {
    const corpus = manifest.filter((e) => e.dir !== "damaged" && e.bytes < 60_000).map((e) => new Uint8Array(readFileSync(join(FIXTURES, e.trace))));
    assert.ok(corpus.length > 0);
    const r = new Rand(SEED ^ 0x11);
    for (let i = 0; i < CASES; i++) {
      const { bytes, how } = i % 3 === 2 ? batchMutation(r.pick(corpus), r) : mutate(r.pick(corpus), corpus, r);
      const res = runCase(bytes, i % 4 === 0 ? 1 + r.int(20_000) : 0);
      if (!res.ok) assert.fail(`case ${i} (seed ${SEED}, ${how}) crashed: ${res.error}`);
      assert.ok(res.ms < 10_000, `case ${i} (seed ${SEED}, ${how}) took ${res.ms.toFixed(0)} ms`);
    }
  });
});

// A small program for the old toolchains: goroutines, channels, a mutex,
// sleeps, file syscalls, GC, a task with a region and logs.
const LIVE_PROGRAM = `package main

import (
	"context"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	trace.Start(f)
	ctx, task := trace.NewTask(context.Background(), "live")
	trace.Log(ctx, "phase", "start")
	var mu sync.Mutex
	var wg sync.WaitGroup
	ch := make(chan int)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			trace.WithRegion(ctx, "work", func() {
				for j := 0; j < 50; j++ {
					mu.Lock()
					_ = make([]byte, 64<<10)
					mu.Unlock()
					if j%10 == 0 {
						time.Sleep(time.Millisecond)
					}
				}
			})
			ch <- i
		}(i)
	}
	for i := 0; i < 8; i++ {
		<-ch
	}
	wg.Wait()
	tmp, _ := os.CreateTemp("", "v1live")
	for i := 0; i < 20; i++ {
		tmp.Write(make([]byte, 4096))
		tmp.Sync()
	}
	tmp.Close()
	os.Remove(tmp.Name())
	runtime.GC()
	task.End()
	trace.Stop()
	f.Close()
}
`;

describe("old formats: live traces from old toolchains", () => {
  for (const tc of ["go1.20.14", "go1.21.13"]) {
    const env = { ...process.env, GOTOOLCHAIN: tc, GOPROXY: "off", GOFLAGS: "-mod=mod" };
    const have = haveGo() && spawnSync("go", ["version"], { env, encoding: "utf8", timeout: 60_000 }).status === 0;
    const skip = have ? false : `go or the ${tc} toolchain (in the module cache) is not available: skipping`;
    test(`a fresh ${tc} trace decodes exactly as go tool trace -d=parsed`, { skip, timeout: 300_000 }, () => {
      const dir = join(tmp, tc);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "go.mod"), "module v1live\n\ngo 1.19\n");
      writeFileSync(join(dir, "main.go"), LIVE_PROGRAM);
      const out = join(dir, "live.trace");
      const run = spawnSync("go", ["run", ".", out], { cwd: dir, env, encoding: "utf8", timeout: 240_000 });
      assert.equal(run.status, 0, `go run failed:\n${run.stderr}`);
      const goOut = spawnSync("go", ["tool", "trace", "-d=parsed", out], { env: { ...process.env, GOTOOLCHAIN: "local" }, maxBuffer: 1 << 30 });
      const want = goOut.stdout.toString("utf8");
      const got = decodeToText(readFileSync(out), 8191);
      if (got.text !== want) assert.fail(`${tc}: output differs at ${firstDiff(got.text, want)}`);
      assert.equal(goOut.status === 0, got.error === null, `go exit ${goOut.status}, ours ${got.error?.message}`);
    });
  }
});
