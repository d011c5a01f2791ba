// `trace-convert ui`: the command that serves the browser app. Its page is
// tested in Chromium by test/web.test.ts; this checks the command itself:
// options, messages and exit codes, what it serves and refuses, --port,
// --perfetto-origin, opening the browser ($BROWSER), and stopping on Ctrl-C.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { CLI, FIXTURES } from "./helpers.js";
import { startUi } from "./web/harness.js";

const TRACE = join(FIXTURES, "traces", "go1.26", "annotations.trace");

function get(url: string, opts: { host?: string; method?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? "GET", headers: opts.host !== undefined ? { host: opts.host } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

describe("trace-convert ui", () => {
  const tmp = mkdtempSync(join(tmpdir(), "tc-ui-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test("--help lists the ui command with an example; ui --help its options", () => {
    const h = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
    assert.match(h.stdout, /trace-convert ui \[TRACE\.\.\.\]/);
    assert.match(h.stdout, /\$ trace-convert ui trace\.out/);
    const u = spawnSync(process.execPath, [CLI, "ui", "--help"], { encoding: "utf8" });
    assert.equal(u.status, 0);
    for (const o of ["--port", "--no-open", "--perfetto-origin"]) assert.ok(u.stdout.includes(o), o);
  });

  test("usage errors exit 2, unreadable traces exit 1", () => {
    const bad = spawnSync(process.execPath, [CLI, "ui", "--bogus"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown flag --bogus/);
    const port = spawnSync(process.execPath, [CLI, "ui", "--port", "http"], { encoding: "utf8" });
    assert.equal(port.status, 2);
    const origin = spawnSync(process.execPath, [CLI, "ui", "--perfetto-origin", "nope"], { encoding: "utf8" });
    assert.equal(origin.status, 2);
    const missing = spawnSync(process.execPath, [CLI, "ui", "--no-open", join(tmp, "missing.trace")], { encoding: "utf8" });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read .*missing\.trace: no such file/);
  });

  test("serves the app and the given traces on 127.0.0.1, and nothing else", async () => {
    const ui = await startUi(CLI, [TRACE]);
    try {
      const u = new URL(ui.url);
      assert.equal(u.hostname, "127.0.0.1");
      const urls = u.searchParams.getAll("url");
      assert.equal(urls.length, 1);
      assert.match(urls[0]!, /^\/t\/[\w-]{16}\/0\/annotations\.trace$/);
      const page = await get(ui.base);
      assert.equal(page.status, 200);
      assert.match(String(page.headers["content-type"]), /^text\/html/);
      assert.match(page.body.toString(), /<meta name="perfetto-origin" content="https:\/\/ui\.perfetto\.dev">/);
      assert.match(page.body.toString(), /Nothing is sent anywhere/);
      for (const f of ["app.js", "worker.js", "style.css"]) assert.equal((await get(ui.base + f)).status, 200, f);
      const t = await get(new URL(urls[0]!, ui.base).href);
      assert.equal(t.status, 200);
      assert.ok(t.body.equals(readFileSync(TRACE)));
      assert.equal(t.headers["last-modified"], statSync(TRACE).mtime.toUTCString());
      assert.equal(t.headers["access-control-allow-origin"], undefined, "no CORS: other sites cannot read the trace");
      assert.equal((await get(new URL(urls[0]!.replace(/\/t\/[\w-]+\//, "/t/wrongtoken/"), ui.base).href)).status, 404);
      assert.equal((await get(ui.base + "../package.json")).status, 404);
      assert.equal((await get(ui.base + "t/")).status, 404);
      assert.equal((await get(ui.base, { host: "evil.example:80" })).status, 421, "DNS rebinding: a foreign Host is refused");
      assert.equal((await get(ui.base, { method: "POST" })).status, 405);
    } finally {
      await ui.stop();
    }
    assert.equal(ui.proc.exitCode, 0, "Ctrl-C (SIGINT) stops it with status 0");
  });

  test("--port and --perfetto-origin", async () => {
    const port = await freePort();
    const ui = await startUi(CLI, ["--port", String(port), "--perfetto-origin", "http://127.0.0.1:9999/some/path"]);
    try {
      assert.equal(ui.url, `http://127.0.0.1:${port}/`);
      const page = await get(ui.base);
      assert.match(page.body.toString(), /<meta name="perfetto-origin" content="http:\/\/127\.0\.0\.1:9999">/);
    } finally {
      await ui.stop();
    }
  });

  test("opens the default browser ($BROWSER) with the URL unless --no-open", async () => {
    const log = join(tmp, "browser.log");
    const fake = join(tmp, "fake-browser.sh");
    writeFileSync(fake, `#!/bin/sh\necho "$1" >> '${log}'\n`);
    chmodSync(fake, 0o755);
    const proc = spawn(process.execPath, [CLI, "ui", TRACE], { env: { ...process.env, BROWSER: fake }, stdio: ["ignore", "pipe", "pipe"] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      proc.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      proc.once("exit", (c) => reject(new Error(`exited ${c}`)));
    });
    try {
      for (let i = 0; i < 100; i++) {
        try {
          if (readFileSync(log, "utf8").includes(url)) break;
        } catch {
          // not yet
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(readFileSync(log, "utf8").trim(), url);
    } finally {
      const done = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGINT");
      await done;
    }
  });
});
