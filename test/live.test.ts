// Live capture: an http(s) input is fetched from a running Go program's
// /debug/pprof/trace and converted.

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createInterface } from "node:readline";
import { createServer, type AddressInfo } from "node:net";
import { CLI, haveGo, ROOT, runCLI } from "./helpers.js";

const skip = haveGo() ? false : "go is not installed: skipping live capture from a Go server";

describe("live capture from /debug/pprof/trace", { skip }, () => {
  let server: ChildProcess | null = null;
  let base = "";
  const dir = mkdtempSync(join(tmpdir(), "tc-live-srv-"));
  before(async () => {
    const bin = join(dir, "goserver");
    const b = spawnSync("go", ["build", "-o", bin, "."], { cwd: join(ROOT, "test", "goserver"), encoding: "utf8" });
    assert.equal(b.status, 0, b.stderr);
    server = spawn(bin, [], { stdio: ["ignore", "pipe", "inherit"] });
    const rl = createInterface({ input: server.stdout! });
    base = await new Promise<string>((res) => rl.once("line", (l) => res(l.trim())));
  });
  after(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a URL with seconds= is captured and converted", { timeout: 60_000 }, async () => {
    const r = await runAsync(["--to", "text", `${base}/debug/pprof/trace?seconds=1`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.match(lines[0]!, /^M=-1 P=-1 G=-1 Sync Time=\d+ N=1 /);
    assert.ok(lines.some((l) => / StateTransition .*Reason="sync"/.test(l)), "the capture shows the server's mutex contention");
  });

  test("a URL without seconds= gets the default and says so", { timeout: 60_000 }, async () => {
    const r = await runAsync(["--to", "text", `${base}/debug/pprof/trace`, "-o", join(dir, "out.txt")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no seconds= in the URL: capturing 5s/);
  });

  test("an unreachable URL exits 1 with a clear message", async () => {
    const port = await closedPort();
    const r = runCLI(["--to", "text", `http://127.0.0.1:${port}/debug/pprof/trace?seconds=1`]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.toString(), `trace-convert: cannot fetch http://127.0.0.1:${port}/debug/pprof/trace?seconds=1: ECONNREFUSED\n`);
  });
});

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

function runAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [CLI, ...args]);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("close", (code) => res({ code, stdout, stderr }));
  });
}
