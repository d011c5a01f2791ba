// npm run bench:watch: a small simulation of a fleet's snapshots arriving at
// one watcher. N producers write distinct trace files (the fixtures of every
// Go version) into a watched folder, each at its own pace and half of them
// through a temporary name renamed into place, while `trace-convert watch`
// converts them and pushes their spans to a real Jaeger v2 (built from the Go
// module proxy, as the tests do; without Go, to --out files only). Reports
// files/s and spans/s from the first file written to the last span accepted.
//
// Usage: npm run bench:watch [-- --producers 4] [--jobs 2] [--gap-ms 50]

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadManifest } from "../test/helpers.js";
import { buildJaeger, sleep, startJaeger, type Jaeger } from "../test/jaeger-harness.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "dist", "src", "cli.js");
const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const producers = Number(opt("--producers", "4"));
const jobs = Number(opt("--jobs", String(availableParallelism())));
const gapMs = Number(opt("--gap-ms", "50"));

const haveGo = spawnSync("go", ["version"]).status === 0;
const tmp = mkdtempSync(join(tmpdir(), "tc-watch-sim-"));
const dir = join(tmp, "incoming");
const state = join(tmp, "state");
mkdirSync(dir);

// Distinct traces: every undamaged fixture, each a different run.
const files = loadManifest()
  .filter((e) => e.dir !== "damaged" && e.bytes > 0)
  .map((e) => ({ name: `${e.dir}-${basename(e.trace)}`, bytes: readFileSync(join(ROOT, "fixtures", e.trace)) }));
const totalBytes = files.reduce((a, f) => a + f.bytes.length, 0);

// The spans each trace makes (what the backend should receive).
let expectSpans = 0;
for (const f of files) {
  const p = join(tmp, "ref.trace");
  writeFileSync(p, f.bytes);
  const r = spawnSync(process.execPath, [CLI, p, "--to", "otlp-json", "-q"], { maxBuffer: 1 << 28 });
  const doc = JSON.parse(r.stdout.toString() || "{}") as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
  for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) expectSpans += ss.spans?.length ?? 0;
}

let jaeger: Jaeger | null = null;
const watchArgs = ["watch", dir, "--state", state, "--settle", "300ms", "--poll", "100ms", "--jobs", String(jobs), "-q"];
if (haveGo) {
  jaeger = await startJaeger(buildJaeger(), tmp, {});
  watchArgs.push("--to", "otlp", "--endpoint", jaeger.otlpHttp);
} else {
  console.log("watch-sim: no Go: no Jaeger; the watcher writes perfetto-proto files instead of pushing spans");
  watchArgs.push("--out", join(tmp, "out"), "--formats", "perfetto-proto");
}
const watcher = spawn(process.execPath, [CLI, ...watchArgs], { stdio: ["ignore", "ignore", "pipe"] });
let log = "";
watcher.stderr!.on("data", (c: Buffer) => (log += c.toString()));
await sleep(500);

// The producers: file i goes to producer i % N; each writes its files `gapMs` apart.
const t0 = performance.now();
await Promise.all(
  Array.from({ length: producers }, async (_, p) => {
    for (let i = p; i < files.length; i += producers) {
      const f = files[i]!;
      const dest = join(dir, f.name);
      if (i % 2 === 0) {
        writeFileSync(dest + ".tmp", f.bytes);
        renameSync(dest + ".tmp", dest);
      } else writeFileSync(dest, f.bytes);
      await sleep(gapMs);
    }
  }),
);
const tWritten = performance.now();

// Done when every file is in the journal and the spool is empty.
const journalCount = () => {
  try {
    return new Set(readFileSync(join(state, "state.jsonl"), "utf8").split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { path: string }).path)).size;
  } catch {
    return 0;
  }
};
const spoolCount = () => {
  try {
    return readdirSync(join(state, "spool")).filter((n) => /^\d+-/.test(n)).length;
  } catch {
    return 0;
  }
};
for (;;) {
  if (journalCount() >= files.length && spoolCount() === 0) break;
  if (watcher.exitCode !== null) throw new Error(`watcher exited:\n${log}`);
  await sleep(50);
}
const secs = (performance.now() - t0) / 1000;
watcher.kill("SIGTERM");
await new Promise((r) => watcher.on("close", r));
await jaeger?.stop();
rmSync(tmp, { recursive: true, force: true });

const cpu = cpus()[0]?.model ?? "?";
console.log(`\nwatch simulation: ${producers} producers, ${files.length} traces (${(totalBytes / 1e6).toFixed(1)} MB), watcher --jobs ${jobs}, ${availableParallelism()} cores (${cpu}), Node ${process.version}`);
console.log(`| files | spans | written in | all converted${jaeger !== null ? " and pushed" : ""} in | files/s | spans/s | MB/s |`);
console.log(`|---|---|---|---|---|---|---|`);
console.log(`| ${files.length} | ${jaeger !== null ? expectSpans : "-"} | ${((tWritten - t0) / 1000).toFixed(1)} s | ${secs.toFixed(1)} s | ${(files.length / secs).toFixed(1)} | ${jaeger !== null ? (expectSpans / secs).toFixed(0) : "-"} | ${(totalBytes / 1e6 / secs).toFixed(2)} |`);
