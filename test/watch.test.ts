// trace-convert watch: files appear in a folder as services write them (at
// once, slowly in pieces, renamed into place, cut short); the watcher is
// killed with SIGKILL twice and the backend, a real Jaeger v2 with storage on
// disk, is stopped for a while; in the end Jaeger holds every span of every
// trace exactly once. Without a backend: outputs, --once, --move-to and
// --delete-after, the bounded spool, JSON logs, SIGTERM.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, describe, test } from "node:test";
import { CLI, FIXTURES, haveGo, runCLI } from "./helpers.js";
import { buildJaeger, flatten, freePorts, hexID, sleep, startJaeger, traceSpans, type Jaeger, type OtlpBody } from "./jaeger-harness.js";

const go = haveGo();
const tmp = mkdtempSync(join(tmpdir(), "tc-watch-"));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

interface Watcher {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startWatcher(args: string[]): Watcher {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));
  const proc = spawn(process.execPath, [CLI, "watch", ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  children.push(proc);
  const lines: string[] = [];
  let buf = "";
  proc.stderr!.on("data", (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((r) => proc.on("close", (code) => r(code)));
  return { proc, lines, exited };
}

async function kill9(w: Watcher): Promise<void> {
  w.proc.kill("SIGKILL");
  await w.exited;
}

function fixture(rel: string): Buffer {
  return readFileSync(join(FIXTURES, "traces", rel));
}

/** Writes `bytes` to `path` in `n` pieces, `gapMs` apart. */
async function writeSlowly(path: string, bytes: Buffer, n: number, gapMs: number): Promise<void> {
  const step = Math.ceil(bytes.length / n);
  writeFileSync(path, bytes.subarray(0, step));
  for (let i = step; i < bytes.length; i += step) {
    await sleep(gapMs);
    appendFileSync(path, bytes.subarray(i, i + step));
  }
}

/** The spans trace-convert makes of `bytes` (the reference), as "trace/span name parent". */
function expectedSpans(bytes: Buffer, name: string): Map<string, Set<string>> {
  const p = join(tmp, `ref-${name}`);
  writeFileSync(p, bytes);
  const r = runCLI([p, "--to", "otlp-json", "-q"]);
  assert.ok(r.status === 0 || r.status === 3, `${name}: ${r.stderr.toString()}`);
  const byTrace = new Map<string, Set<string>>();
  for (const { span } of flatten(JSON.parse(r.stdout.toString()) as OtlpBody)) {
    let s = byTrace.get(span.traceId);
    if (s === undefined) byTrace.set(span.traceId, (s = new Set()));
    s.add(`${span.spanId} ${span.name} ${span.parentSpanId ?? ""}`);
  }
  return byTrace;
}

function journal(stateDir: string): { path: string; result: string }[] {
  const p = join(stateDir, "state.jsonl");
  if (!existsSync(p)) return [];
  return readFileSync(p, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { path: string; result: string });
}

function spoolEntries(stateDir: string): string[] {
  const d = join(stateDir, "spool");
  return existsSync(d) ? readdirSync(d).filter((n) => /^\d+-/.test(n)) : [];
}

describe("trace-convert watch", () => {
  test(
    "20 traces written as services write them, the watcher killed twice, the backend down a while: Jaeger ends with every span exactly once",
    { skip: go ? false : "no Go toolchain on PATH (needed to build Jaeger v2)", timeout: 50 * 60_000 },
    async (t) => {
      const bin = buildJaeger();
      const dir = join(tmp, "incoming");
      const state = join(tmp, "state");
      const storage = join(tmp, "jaeger-data");
      mkdirSync(dir);
      mkdirSync(storage);

      // The 20 traces: every Go version's annotations, the flight-recorder snapshots, procs and
      // gotest traces; one of them cut short in its last generation.
      const sources = [
        ...["1.15", "1.19", "1.20", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27"].map((v) => `go${v}/annotations.trace`),
        "go1.25/flightrec.trace",
        "go1.26/flightrec.trace",
        "go1.27/flightrec.trace",
        "go1.22/procs8.trace",
        "go1.23/procs8.trace",
        "go1.24/procs1.trace",
        "go1.25/procs8.trace",
        "go1.26/procs1.trace",
        "go1.22/gotest.trace",
      ];
      const files: { name: string; bytes: Buffer }[] = sources.map((s) => ({ name: s.replace("/", "-"), bytes: fixture(s) }));
      const cut = fixture("go1.26/multigen.trace");
      files.push({ name: "go1.26-multigen-truncated.trace", bytes: cut.subarray(0, Math.floor(cut.length * 0.8)) });
      assert.equal(files.length, 20);
      const want = new Map<string, Set<string>>();
      for (const f of files) for (const [id, spans] of expectedSpans(f.bytes, f.name)) want.set(id, spans);
      const wantSpans = [...want.values()].reduce((a, s) => a + s.size, 0);
      t.diagnostic(`${files.length} traces, ${want.size} trace IDs, ${wantSpans} spans expected`);

      const ports = await freePorts();
      let jaeger: Jaeger | null = await startJaeger(bin, tmp, { ports, storageDir: storage, log: (m) => t.diagnostic(m) });
      children.push(jaeger.process);
      const args = [dir, "--to", "otlp", "--endpoint", jaeger.otlpHttp, "--state", state, "--settle", "700ms", "--settle-truncated", "4s", "--poll", "100ms", "--jobs", "2"];
      const logs: string[][] = [];
      let w = startWatcher(args);
      logs.push(w.lines);

      const put = (i: number) => writeFileSync(join(dir, files[i]!.name), files[i]!.bytes);
      // At once.
      for (let i = 0; i < 5; i++) {
        put(i);
        await sleep(250);
      }
      // Slowly, in pieces (each gap shorter than the settle time).
      await Promise.all([5, 6, 7].map((i) => writeSlowly(join(dir, files[i]!.name), files[i]!.bytes, 5, 250)));
      // Killed mid-way, restarted.
      await sleep(400);
      await kill9(w);
      t.diagnostic(`watcher killed (1), journal has ${journal(state).length} files, spool ${spoolEntries(state).length} entries`);
      w = startWatcher(args);
      logs.push(w.lines);
      // Written under a temporary name, slowly (gaps longer than the settle time), then renamed into place.
      const tmpName = join(dir, files[8]!.name + ".tmp");
      await writeSlowly(tmpName, files[8]!.bytes, 3, 1200);
      renameSync(tmpName, join(dir, files[8]!.name));
      // Cut short: it stops growing in the middle of a generation.
      put(19);
      for (let i = 9; i < 12; i++) put(i);
      await sleep(1500);

      // The backend goes away; traces keep coming.
      await jaeger.stop();
      jaeger = null;
      t.diagnostic("jaeger stopped");
      for (let i = 12; i < 16; i++) {
        put(i);
        await sleep(300);
      }
      await sleep(2500);
      await kill9(w);
      t.diagnostic(`watcher killed (2), journal has ${journal(state).length} files, spool ${spoolEntries(state).length} entries`);
      w = startWatcher(args);
      logs.push(w.lines);
      for (let i = 16; i < 19; i++) put(i);
      await sleep(3000);
      const waiting = spoolEntries(state).length;
      assert.ok(waiting > 0, "with the backend down, spans wait in the spool");
      jaeger = await startJaeger(bin, tmp, { ports, storageDir: storage, log: (m) => t.diagnostic(m) });
      children.push(jaeger.process);
      t.diagnostic(`jaeger back, ${waiting} spool entries waiting`);

      // Everything converted and sent.
      const deadline = Date.now() + 5 * 60_000;
      for (;;) {
        const done = new Set(journal(state).map((r) => basename(r.path)));
        if (done.size === files.length && spoolEntries(state).length === 0) break;
        if (Date.now() > deadline) {
          assert.fail(`not done after 5 min: ${done.size}/${files.length} files, ${spoolEntries(state).length} spool entries\n${logs.flat().slice(-30).join("\n")}`);
        }
        await sleep(250);
      }
      // SIGTERM: the watcher stops cleanly.
      w.proc.kill("SIGTERM");
      assert.equal(await w.exited, 0, "exit status after SIGTERM");

      const byName = new Map(journal(state).map((r) => [basename(r.path), r.result]));
      assert.equal(byName.get("go1.26-multigen-truncated.trace"), "partial", "the truncated trace is converted as damaged");
      for (const f of files) if (!f.name.includes("truncated")) assert.equal(byName.get(f.name), "ok", f.name);

      // Jaeger holds every span of every trace, once.
      let got = 0;
      for (const [id, spans] of want) {
        let have: string[] = [];
        for (let k = 0; k < 40; k++) {
          have = (await traceSpans(jaeger.query, id)).map((x) => `${hexID(x.span.spanId, 16)} ${x.span.name} ${hexID(x.span.parentSpanId, 16)}`);
          if (have.length >= spans.size) break;
          await sleep(250);
        }
        assert.equal(have.length, new Set(have).size, `trace ${id}: a span is in Jaeger twice`);
        assert.deepEqual(new Set(have), spans, `trace ${id}: the spans in Jaeger`);
        got += have.length;
      }
      assert.equal(got, wantSpans);
      t.diagnostic(`jaeger holds all ${got} spans of ${want.size} traces, each once`);
      const all = logs.flat();
      assert.ok(all.some((l) => /backend failed/.test(l)), "the backend's absence is logged");
      assert.ok(!all.some((l) => /not a Go trace/.test(l) && l.includes(".tmp")), "a temporary name is never looked at");
      await jaeger.stop();
    },
  );

  test("--out with formats, --once, --move-to, not-traces skipped, JSON log lines; the same files again are not converted twice", { timeout: 300_000 }, () => {
    const dir = join(tmp, "once");
    const out = join(tmp, "once-out");
    const done = join(tmp, "once-done");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "a.trace"), fixture("go1.26/annotations.trace"));
    writeFileSync(join(dir, "sub", "b.trace"), fixture("go1.22/procs8.trace"));
    writeFileSync(join(dir, "notes.txt"), "not a trace");
    const args = ["watch", dir, "--recursive", "--out", out, "--formats", "perfetto-proto,pprof-sync", "--move-to", done, "--settle", "200ms", "--poll", "50ms", "--once", "--log-format", "json"];
    const r = runCLI(args);
    assert.equal(r.status, 0, r.stderr.toString());
    const lines = r.stderr
      .toString()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; file?: string; result?: string; events?: number; outputs?: string[]; message?: string });
    const fileLines = lines.filter((l) => l.event === "file");
    assert.equal(fileLines.length, 2);
    for (const l of fileLines) {
      assert.equal(l.result, "ok");
      assert.ok(l.events! > 0);
      assert.equal(l.outputs!.length, 2);
    }
    assert.ok(lines.some((l) => l.event === "watcher" && /notes\.txt: not a Go trace/.test(l.message ?? "")));
    assert.deepEqual(readdirSync(out).sort(), ["a.pftrace", "a.pprof-sync.pb.gz", "sub_b.pftrace", "sub_b.pprof-sync.pb.gz"]);
    // Byte for byte what the command writes.
    const one = runCLI([join(done, "a.trace"), "--to", "pprof-sync", "-o", join(tmp, "a-sync.pb.gz")]);
    assert.equal(one.status, 0);
    assert.ok(readFileSync(join(out, "a.pprof-sync.pb.gz")).equals(readFileSync(join(tmp, "a-sync.pb.gz"))));
    assert.ok(existsSync(join(done, "sub", "b.trace")) && !existsSync(join(dir, "sub", "b.trace")), "moved");
    // The same content comes back: not converted again.
    writeFileSync(join(dir, "again.trace"), fixture("go1.26/annotations.trace"));
    const r2 = runCLI(args);
    assert.equal(r2.status, 0, r2.stderr.toString());
    assert.ok(!r2.stderr.toString().includes('"event":"file"'), r2.stderr.toString());
  });

  test("usage: --help, and exit 2 for a missing folder, a file format given to --to, nothing to do", () => {
    const h = runCLI(["watch", "--help"]);
    assert.equal(h.status, 0);
    assert.match(h.stdout.toString(), /--spool-max SIZE/);
    assert.match(runCLI(["--help"]).stdout.toString(), /\$ trace-convert watch /);
    for (const args of [["watch", join(tmp, "nope"), "--to", "otlp"], ["watch", tmp, "--to", "perfetto"], ["watch", tmp], ["watch", tmp, "--out", tmp + "/o"]]) {
      const r = runCLI(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr.toString()}`);
    }
  });

  test("the backend unreachable: spans wait in a bounded spool (oldest dropped, with a warning); --once says what waits and exits 1", { timeout: 300_000 }, async () => {
    const dir = join(tmp, "spool");
    mkdirSync(dir);
    for (const v of ["1.22", "1.24", "1.26"]) writeFileSync(join(dir, `a${v}.trace`), fixture(`go${v}/annotations.trace`));
    const { otlp } = await freePorts(); // nothing listens there
    const state = join(tmp, "spool-state");
    const r = runCLI(["watch", dir, "--to", "otlp", "--protocol", "http/json", "--endpoint", `http://127.0.0.1:${otlp}`, "--state", state, "--spool-max", "500KB", "--settle", "200ms", "--poll", "50ms", "--jobs", "1", "--once"]);
    const err = r.stderr.toString();
    assert.equal(r.status, 1, err);
    assert.match(err, /spool over --spool-max: dropped the spans of .*a1\.22\.trace/);
    assert.match(err, /backend failed/);
    assert.match(err, /spans could not be sent and wait in/);
    const left = spoolEntries(state);
    assert.ok(left.length >= 1 && left.length < 3, `spool entries: ${left.join(", ")}`);
  });
});
