// --open: the one-shot local server for ui.perfetto.dev (src/cli/open.ts), and
// the command line that uses it.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PERFETTO_ORIGIN, PERFETTO_PORT, serveForPerfetto } from "../src/cli/open.js";
import { CLI, FIXTURES, runCLI } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "tc-open-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request with full control over the headers (Origin, Host). */
function get(url: string, headers: Record<string, string> = {}, method = "GET", host?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      { host: host ?? u.hostname, port: u.port, path: u.pathname + u.search, method, headers: { Connection: "close", ...headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function fileWith(bytes: number): { path: string; data: Buffer } {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 7919) & 0xff;
  const path = join(tmp, `t${bytes}.pftrace`);
  writeFileSync(path, data);
  return { path, data };
}

describe("serveForPerfetto", () => {
  test("serves the file once, to ui.perfetto.dev only, at an unguessable path on 127.0.0.1", async () => {
    const { path, data } = fileWith(300_000);
    const s = await serveForPerfetto(path, { port: 0, timeoutMs: 20_000 });
    try {
      assert.match(s.url, /^https:\/\/ui\.perfetto\.dev\/#!\/\?url=http:\/\/127\.0\.0\.1:\d+\/[\w-]{20,}\/t300000\.pftrace$/);
      assert.equal(s.url, `${PERFETTO_ORIGIN}/#!/?url=${s.fileURL}`);
      const base = `http://127.0.0.1:${s.port}`;
      const token = new URL(s.fileURL).pathname.split("/")[1]!;

      // Other paths: 404.
      for (const p of ["/", "/t300000.pftrace", `/${token}/`, `/${token}/other.pftrace`, `/x${token}/t300000.pftrace`]) {
        assert.equal((await get(base + p, { Origin: PERFETTO_ORIGIN })).status, 404, p);
      }
      // Another origin: refused, no CORS header.
      const evil = await get(s.fileURL, { Origin: "https://evil.example" });
      assert.equal(evil.status, 403);
      assert.equal(evil.headers["access-control-allow-origin"], undefined);
      assert.equal(evil.body.includes(data.subarray(0, 64)), false);
      // A foreign Host (DNS rebinding): refused.
      assert.equal((await get(s.fileURL, { Origin: PERFETTO_ORIGIN, Host: `evil.example:${s.port}` })).status, 421);
      // Only GET serves the file.
      assert.equal((await get(s.fileURL, { Origin: PERFETTO_ORIGIN }, "POST")).status, 405);
      // Preflight, including Chrome's Private Network Access.
      const pre = await get(s.fileURL, { Origin: PERFETTO_ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Private-Network": "true" }, "OPTIONS");
      assert.equal(pre.status, 204);
      assert.equal(pre.headers["access-control-allow-origin"], PERFETTO_ORIGIN);
      assert.equal(pre.headers["access-control-allow-private-network"], "true");

      // The real fetch.
      const ok = await get(s.fileURL, { Origin: PERFETTO_ORIGIN });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers["access-control-allow-origin"], PERFETTO_ORIGIN);
      assert.ok(ok.body.equals(data), "body is the file");
      assert.equal(await s.done, "fetched");
      // Done: the server is gone.
      await assert.rejects(get(s.fileURL, { Origin: PERFETTO_ORIGIN }), /ECONNREFUSED/);
    } finally {
      s.close();
    }
  });

  test("binds 127.0.0.1 only", async (t) => {
    const { path } = fileWith(10);
    const s = await serveForPerfetto(path, { port: 0, timeoutMs: 20_000 });
    try {
      const other = Object.values(networkInterfaces())
        .flat()
        .find((a) => a !== undefined && a.family === "IPv4" && !a.internal);
      if (other === undefined) {
        t.diagnostic("no non-loopback IPv4 interface to try the other address");
      } else {
        const u = new URL(s.fileURL);
        await assert.rejects(get(`http://${other.address}:${u.port}${u.pathname}`, { Origin: PERFETTO_ORIGIN, Host: `127.0.0.1:${u.port}` }), /ECONNREFUSED/);
      }
      // Without an Origin (curl, a browser tab) the file is served too.
      const r = await get(s.fileURL);
      assert.equal(r.status, 200);
      assert.equal(await s.done, "fetched");
    } finally {
      s.close();
    }
  });

  test("a second fetch while the first is in flight is refused", async () => {
    const { path } = fileWith(4 << 20);
    const s = await serveForPerfetto(path, { port: 0, timeoutMs: 20_000 });
    try {
      const [a, b] = await Promise.allSettled([get(s.fileURL, { Origin: PERFETTO_ORIGIN }), get(s.fileURL, { Origin: PERFETTO_ORIGIN })]);
      const statuses = [a, b].map((x) => (x.status === "fulfilled" ? x.value.status : "refused"));
      assert.equal(statuses.filter((x) => x === 200).length, 1, JSON.stringify(statuses));
      assert.ok(statuses.every((x) => x === 200 || x === 410 || x === "refused"), JSON.stringify(statuses));
      assert.equal(await s.done, "fetched");
    } finally {
      s.close();
    }
  });

  test("serves each part of --split once, a link each; done when every part was fetched", async () => {
    const a = fileWith(1000);
    const b = fileWith(2000);
    const s = await serveForPerfetto([a.path, b.path], { port: 0, timeoutMs: 20_000 });
    try {
      assert.equal(s.urls.length, 2);
      assert.equal(new Set(s.fileURLs).size, 2);
      for (let i = 0; i < 2; i++) assert.equal(s.urls[i], `${PERFETTO_ORIGIN}/#!/?url=${s.fileURLs[i]}`);
      let settled = false;
      void s.done.then(() => (settled = true));
      const r1 = await get(s.fileURLs[0]!, { Origin: PERFETTO_ORIGIN });
      assert.equal(r1.status, 200);
      assert.ok(r1.body.equals(a.data));
      assert.equal((await get(s.fileURLs[0]!, { Origin: PERFETTO_ORIGIN })).status, 410, "each part once");
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(settled, false, "still serving the second part");
      const r2 = await get(s.fileURLs[1]!, { Origin: PERFETTO_ORIGIN });
      assert.ok(r2.body.equals(b.data));
      assert.equal(await s.done, "fetched");
    } finally {
      s.close();
    }
  });

  test("gives up after the timeout, and close() stops it", async () => {
    const { path } = fileWith(10);
    const s = await serveForPerfetto(path, { port: 0, timeoutMs: 150 });
    assert.equal(await s.done, "timeout");
    await assert.rejects(get(s.fileURL, { Origin: PERFETTO_ORIGIN }), /ECONNREFUSED/);
    const s2 = await serveForPerfetto(path, { port: 0, timeoutMs: 20_000 });
    s2.close();
    assert.equal(await s2.done, "closed");
  });

  test(`uses port ${PERFETTO_PORT} (the one ui.perfetto.dev may fetch from), else a random port with a note`, async (t) => {
    const { path } = fileWith(10);
    // Hold 9001 ourselves so the fallback shows; skip if someone else has it.
    const blocker = createServer();
    const held = await new Promise<boolean>((res) => {
      blocker.once("error", () => res(false));
      blocker.listen(PERFETTO_PORT, "127.0.0.1", () => res(true));
    });
    if (!held) {
      t.skip(`port ${PERFETTO_PORT} is in use here`);
      return;
    }
    try {
      const s = await serveForPerfetto(path, { timeoutMs: 20_000 });
      assert.notEqual(s.port, PERFETTO_PORT);
      assert.match(s.note ?? "", /9001/);
      s.close();
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    const s = await serveForPerfetto(path, { timeoutMs: 20_000 });
    try {
      if (s.port === PERFETTO_PORT) assert.equal(s.note, null);
    } finally {
      s.close();
    }
  });
});

describe("--open on the command line", () => {
  const trace = join(FIXTURES, "traces", "go1.26", "annotations.trace");

  test("--open with a non-Perfetto format is a usage error", () => {
    const r = runCLI([trace, "--to", "text", "--open"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr.toString(), /--open .*perfetto/);
    const r2 = runCLI([trace, trace, "--to", "perfetto", "--open", "-o", tmp + "/"]);
    assert.equal(r2.status, 2);
  });

  const help = runCLI(["--help"]).stdout.toString();
  const perfetto = /^ {2}perfetto /m.test(help);
  test("--to perfetto --open prints a link whose file can be fetched once, then exits", { skip: perfetto ? false : "the perfetto format is not registered yet (trace-convert --help does not list it)" }, async () => {
    const out = join(tmp, "cli.json");
    const child = spawn(process.execPath, [CLI, trace, "--to", "perfetto", "-o", out, "--open"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    const timer = setTimeout(() => child.kill(), 15_000);
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (c: Buffer) => {
          stdout += c.toString();
          const nl = stdout.indexOf("\n");
          if (nl >= 0) resolve(stdout.slice(0, nl));
        });
        void exited.then((code) => reject(new Error(`exited ${code} before printing a link: ${stderr}`)));
      });
      const m = /^https:\/\/ui\.perfetto\.dev\/#!\/\?url=(http:\/\/127\.0\.0\.1:\d+\/\S+)$/.exec(line);
      assert.ok(m !== null, line);
      const r = await get(m[1]!, { Origin: PERFETTO_ORIGIN });
      assert.equal(r.status, 200);
      assert.equal(r.headers["access-control-allow-origin"], PERFETTO_ORIGIN);
      assert.ok(r.body.equals(readFileSync(out)), "served the written file");
      assert.equal(await exited, 0, stderr);
      assert.match(stderr, /fetched/);
    } finally {
      clearTimeout(timer);
      child.kill();
    }
  });

  test("--split --open prints a link per part, serves each once, then exits", { skip: perfetto ? false : "the perfetto format is not registered" }, async () => {
    const gc = join(FIXTURES, "traces", "go1.26", "gc.trace");
    const out = join(tmp, "parts.pftrace");
    const child = spawn(process.execPath, [CLI, gc, "--to", "perfetto-proto", "--split", "1MB", "-o", out, "--open"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    const timer = setTimeout(() => child.kill(), 30_000);
    try {
      // The links come first, then the note that says it is serving.
      const links = await new Promise<string[]>((resolve, reject) => {
        child.stderr.on("data", (c: Buffer) => {
          stderr += c.toString();
          if (/serving/.test(stderr)) setTimeout(() => resolve(stdout.trim().split("\n")), 300);
        });
        void exited.then((code) => reject(new Error(`exited ${code} before printing links: ${stderr}`)));
      });
      const parts = readdirSync(tmp).filter((f) => /^parts-\d{3}\.pftrace$/.test(f)).sort();
      assert.ok(parts.length >= 2, `${parts.length} parts`);
      assert.equal(links.length, parts.length, stdout);
      for (let i = 0; i < links.length; i++) {
        const m = /^https:\/\/ui\.perfetto\.dev\/#!\/\?url=(http:\/\/127\.0\.0\.1:\d+\/\S+)$/.exec(links[i]!);
        assert.ok(m !== null, links[i]);
        const r = await get(m[1]!, { Origin: PERFETTO_ORIGIN });
        assert.equal(r.status, 200);
        assert.ok(r.body.equals(readFileSync(join(tmp, parts[i]!))), `link ${i + 1} serves ${parts[i]}`);
      }
      assert.equal(await exited, 0, stderr);
    } finally {
      clearTimeout(timer);
      child.kill();
    }
  });
});
