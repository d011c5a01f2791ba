// Drives the browser app in a real headless Chromium (Debian's, found by
// findChromium) through playwright-core with an executablePath: Playwright
// never downloads a browser here. Used by test/web.test.ts and bench/web.ts.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { findChromium } from "../viewer/harness.js";

export { findChromium };

/** The flags the brief gives for Debian's chromium (Playwright adds --headless and a fresh profile). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
];

export async function launchBrowser(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/**
 * Chromium with a normal, on-disk profile, as a user has (Playwright's own
 * contexts are incognito ones): started here with a fresh --user-data-dir and
 * driven over CDP. `context` is the profile's default context.
 */
export async function launchProfile(executablePath: string): Promise<{ browser: Browser; context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), "tc-web-profile-"));
  const proc = spawn(executablePath, ["--headless", ...CHROMIUM_ARGS, `--user-data-dir=${userDataDir}`, "--remote-debugging-port=0", "about:blank"], { stdio: ["ignore", "ignore", "pipe"] });
  const ws = await new Promise<string>((resolve, reject) => {
    let err = "";
    const t = setTimeout(() => reject(new Error(`chromium did not start: ${err}`)), 60_000);
    proc.stderr!.on("data", (b: Buffer) => {
      err += b.toString("utf8");
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m !== null) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    proc.once("exit", (c) => reject(new Error(`chromium exited (${c}): ${err}`)));
  });
  const browser = await chromium.connectOverCDP(ws);
  const context = browser.contexts()[0]!;
  return {
    browser,
    context,
    async close() {
      await browser.close().catch(() => undefined);
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once("exit", r));
        proc.kill();
        await gone;
      }
      try {
        rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      } catch {
        // Chromium's helpers may still be writing there: a leftover temporary directory is no failure
      }
    },
  };
}

/** A running `trace-convert ui --no-open`. */
export interface UiProcess {
  /** The URL it printed (with ?url= for preloaded traces). */
  url: string;
  /** http://127.0.0.1:PORT/ */
  base: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startUi(cli: string, args: string[], cwd?: string): Promise<UiProcess> {
  const proc = spawn(process.execPath, [cli, "ui", "--no-open", "-q", ...args], { stdio: ["ignore", "pipe", "pipe"], cwd });
  let stderr = "";
  proc.stderr!.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`trace-convert ui printed no URL within 20 s; stderr: ${stderr}`)), 20_000);
    createInterface({ input: proc.stdout! }).once("line", (l) => {
      clearTimeout(t);
      resolve(l.trim());
    });
    proc.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`trace-convert ui exited (${code}): ${stderr}`));
    });
  });
  const u = new URL(url);
  return {
    url,
    base: `${u.origin}/`,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGINT");
      }),
  };
}

/** What the stand-in Perfetto page received. */
export interface Received {
  bytes: Buffer;
  title: string;
  fileName: string;
  /** Origin of the page that posted the trace. */
  from: string;
  /** PINGs seen before the stand-in was ready to answer. */
  pings: number;
}

/**
 * A stand-in for ui.perfetto.dev on 127.0.0.1 that speaks its postMessage
 * protocol: it answers PING with PONG (only after a delay, as the real UI does
 * once it has loaded), and posts the trace it is sent back to this server.
 * Also serves /slow.trace, which never finishes (for Cancel during ?url=).
 */
export interface StandIn {
  origin: string;
  /** Resolves with the next trace posted. */
  next(): Promise<Received>;
  close(): Promise<void>;
}

const STAND_IN_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Perfetto stand-in</title></head>
<body><p id="state">loading</p>
<script>
let pings = 0;
let ready = false;
// The real UI answers only once it has loaded: ignore PINGs for a while.
setTimeout(() => { ready = true; document.getElementById('state').textContent = 'ready'; }, 400);
window.addEventListener('message', async (e) => {
  if (e.data === 'PING') {
    pings++;
    if (ready) e.source.postMessage('PONG', '*');
    return;
  }
  const p = e.data && e.data.perfetto;
  if (!p) return;
  const q = new URLSearchParams({ title: String(p.title), fileName: String(p.fileName || ''), from: e.origin, pings: String(pings) });
  await fetch('/received?' + q, { method: 'POST', body: p.buffer });
  document.getElementById('state').textContent = 'received ' + p.buffer.byteLength;
});
</script></body></html>`;

export async function startStandIn(): Promise<StandIn> {
  const waiting: ((r: Received) => void)[] = [];
  const got: Received[] = [];
  const open = new Set<import("node:net").Socket>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && url.pathname === "/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      res.end(STAND_IN_PAGE);
      return;
    }
    if (req.method === "GET" && url.pathname === "/slow.trace") {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Access-Control-Allow-Origin": "*", "Content-Length": String(1 << 20) });
      res.write(Buffer.from("go 1.26 trace\0\0\0"));
      return; // never ends
    }
    if (req.method === "POST" && url.pathname === "/received") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(204);
        res.end();
        const r: Received = {
          bytes: Buffer.concat(chunks),
          title: url.searchParams.get("title") ?? "",
          fileName: url.searchParams.get("fileName") ?? "",
          from: url.searchParams.get("from") ?? "",
          pings: Number(url.searchParams.get("pings")),
        };
        const w = waiting.shift();
        if (w !== undefined) w(r);
        else got.push(r);
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  server.on("connection", (s) => {
    open.add(s);
    s.once("close", () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    next: () => {
      const r = got.shift();
      if (r !== undefined) return Promise.resolve(r);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One table row as the page renders it: data-key, and per data-field its data-value and text. */
export interface RenderedRow {
  key: string;
  cells: Record<string, { value: string | null; text: string }>;
  /** Non-empty histogram bars drawn in the row. */
  bars: number;
}

export async function renderedRows(page: Page, tableId: string): Promise<RenderedRow[]> {
  // A string, not a function: the tests are compiled without the DOM library.
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(`#${tableId} tbody tr`)})].map((tr) => ({
    key: tr.dataset.key ?? "",
    cells: Object.fromEntries([...tr.querySelectorAll("[data-field]")].map((c) => [c.dataset.field, { value: c.dataset.value ?? null, text: (c.textContent ?? "").trim() }])),
    bars: tr.querySelectorAll("rect.bar").length,
  }))`);
}

/** data-field -> data-value of the elements under a selector (the overview, the GC facts). */
export async function renderedFields(page: Page, selector: string): Promise<Record<string, { value: string | null; text: string }>> {
  return page.evaluate(`(() => {
    const root = document.querySelector(${JSON.stringify(selector)});
    if (root === null) return {};
    return Object.fromEntries([...root.querySelectorAll("[data-field]")].map((c) => [c.dataset.field, { value: c.dataset.value ?? null, text: (c.textContent ?? "").trim() }]));
  })()`);
}

/** Texts of the messages in a box (#messages, #output-messages). */
export async function messages(page: Page, box: string): Promise<string[]> {
  return page.locator(`${box} .msg`).allTextContents();
}

/** Clicks a button that makes a download and returns the downloaded bytes and file name. */
export async function downloadBy(page: Page, selector: string, timeoutMs = 120_000): Promise<{ bytes: Buffer; name: string }> {
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: timeoutMs }), page.click(selector)]);
  const path = await dl.path();
  return { bytes: readFileSync(path), name: dl.suggestedFilename() };
}

/**
 * Waits until a JavaScript expression is true in the page. Polled over the
 * DevTools protocol: Playwright's waitForFunction evaluates its predicate with
 * eval(), which the app's Content-Security-Policy forbids.
 */
export async function waitUntil(page: Page, expr: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await page.evaluate<boolean>(`Boolean(${expr})`)) === true) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Sets a file input to a local file by path (DOM.setFileInputFiles: the
 * browser reads the file itself, however big; Playwright's setInputFiles
 * copies files over its connection and refuses big ones on CDP connections).
 */
export async function setFileByPath(page: Page, selector: string, path: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = (await cdp.send("DOM.getDocument", { depth: 0 })) as { root: { nodeId: number } };
    const { nodeId } = (await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector })) as { nodeId: number };
    await cdp.send("DOM.setFileInputFiles", { nodeId, files: [path] });
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** Loads a file through the page's file input and waits until the summary or a message shows. */
export async function loadFile(page: Page, path: string, timeoutMs = 120_000): Promise<void> {
  // Forget the last result, so that the wait below is for this file's.
  await page.evaluate(`document.getElementById("result").removeAttribute("data-ready"); document.getElementById("messages").replaceChildren();`);
  await page.setInputFiles("#file", path);
  await waitUntil(page, `document.querySelector("#result[data-ready=true]") !== null || document.querySelector("#messages .msg.error") !== null`, timeoutMs);
}

/** Text on the page that looks like a JavaScript stack trace, or null. */
export async function stackOnPage(page: Page): Promise<string | null> {
  const text = await page.evaluate<string>("document.body.innerText");
  const m = /(^|\n)\s*at \S+ \(|\bat \S+\.js:\d+:\d+|\w+Error: .*\n\s+at /.exec(text);
  return m === null ? null : text.slice(Math.max(0, m.index - 80), m.index + 160);
}

/**
 * Chromium's renderer processes with their CPU time (s), peak and current
 * resident memory (MB, from /proc). The tab's renderer (which also runs its
 * workers) is the one that has done the work: the most CPU time.
 */
export async function rendererMemory(browser: Browser): Promise<{ pid: number; cpuSecs: number; peakMB: number; rssMB: number }[]> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = (await cdp.send("SystemInfo.getProcessInfo")) as { processInfo: { type: string; id: number; cpuTime: number }[] };
    const out: { pid: number; cpuSecs: number; peakMB: number; rssMB: number }[] = [];
    for (const p of info.processInfo) {
      if (p.type !== "renderer") continue;
      try {
        const st = readFileSync(`/proc/${p.id}/status`, "utf8");
        const hwm = /VmHWM:\s+(\d+) kB/.exec(st);
        const rss = /VmRSS:\s+(\d+) kB/.exec(st);
        out.push({ pid: p.id, cpuSecs: p.cpuTime, peakMB: Number(hwm?.[1] ?? NaN) / 1024, rssMB: Number(rss?.[1] ?? NaN) / 1024 });
      } catch {
        // gone, or no /proc
      }
    }
    return out.sort((a, b) => b.cpuSecs - a.cpuSecs);
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** Runs the CLI in `cwd` (so that the input name matches the page's file name); stdout as bytes. */
export function cliIn(cli: string, cwd: string, args: string[]): { status: number | null; stdout: Buffer; stderrLines: string[] } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, maxBuffer: 1 << 30 });
  const stderrLines = r.stderr
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.replace(/^trace-convert: /, ""));
  return { status: r.status, stdout: r.stdout, stderrLines };
}

export type { Browser, BrowserContext, Page };
