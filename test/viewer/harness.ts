// A real-viewer harness for our trace-event JSON: Catapult's trace viewer, as
// shipped inside the Go installation (the files `go tool trace` serves under
// /static/), opened in a headless Chromium that we drive over the DevTools
// protocol on a pipe (--remote-debugging-pipe: no WebSocket, no npm driver).
//
// Everything is local: the viewer files come from GOROOT, a small HTTP server on
// 127.0.0.1 serves them with our page and the JSON under test.

import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, get as httpGet, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { VIEWER_PAGE } from "./page.js";

// ---------------------------------------------------------------------------
// Finding the pieces

/** The Chromium executable: $CHROMIUM, else the usual system paths; null when absent. */
export function findChromium(): string | null {
  const env = process.env["CHROMIUM"];
  if (env !== undefined && env !== "") return existsSync(env) ? env : null;
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"]) {
    if (existsSync(p)) return p;
  }
  return null;
}

/** Directory holding trace_viewer_full.html and webcomponents.min.js in the Go installation; null when absent. */
export function findViewerStatic(): string | null {
  const r = spawnSync("go", ["env", "GOROOT"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const goroot = r.stdout.trim();
  for (const rel of ["src/internal/trace/traceviewer/static", "src/cmd/trace/static", "misc/trace"]) {
    const d = join(goroot, rel);
    if (existsSync(join(d, "trace_viewer_full.html")) && existsSync(join(d, "webcomponents.min.js"))) return d;
  }
  return null;
}

// ---------------------------------------------------------------------------
// The local HTTP server

export interface ViewerServer {
  /** Base URL, http://127.0.0.1:PORT */
  base: string;
  /** Makes a JSON file loadable; returns the URL of the viewer page for it. */
  pageFor(jsonPath: string): string;
  close(): Promise<void>;
}

export async function startViewerServer(staticDir: string): Promise<ViewerServer> {
  const statics = new Map<string, { body: Buffer; type: string }>([
    ["/static/trace_viewer_full.html", { body: readFileSync(join(staticDir, "trace_viewer_full.html")), type: "text/html; charset=utf-8" }],
    ["/static/webcomponents.min.js", { body: readFileSync(join(staticDir, "webcomponents.min.js")), type: "text/javascript; charset=utf-8" }],
    ["/viewer.html", { body: Buffer.from(VIEWER_PAGE, "utf8"), type: "text/html; charset=utf-8" }],
  ]);
  const files: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const s = statics.get(path);
    if (s !== undefined) {
      res.writeHead(200, { "content-type": s.type, "content-length": s.body.length, "cache-control": "no-store" });
      res.end(s.body);
      return;
    }
    const m = /^\/json\/(\d+)$/.exec(path);
    const file = m !== null ? files[Number(m[1])] : undefined;
    if (file === undefined) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": statSync(file).size, "cache-control": "no-store" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(0, "127.0.0.1", () => res());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    pageFor(jsonPath: string): string {
      files.push(jsonPath);
      return `${base}/viewer.html?json=${encodeURIComponent(`/json/${files.length - 1}`)}`;
    },
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

// ---------------------------------------------------------------------------
// Chromium over the DevTools protocol on a pipe

interface Pending {
  res: (v: any) => void;
  rej: (e: Error) => void;
  method: string;
}

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly chunks: Buffer[] = [];
  private stderrTail = "";
  private exited: string | null = null;
  /** Exceptions and console errors per session id. */
  readonly pageLog = new Map<string, string[]>();

  private constructor(
    private readonly proc: ChildProcess,
    private readonly toChrome: Writable,
    fromChrome: Readable,
    private readonly userDataDir: string,
  ) {
    fromChrome.on("data", (chunk: Buffer) => this.onData(chunk));
    proc.stderr!.on("data", (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString("utf8")).slice(-4000);
    });
    proc.once("exit", (code, signal) => {
      this.exited = `chromium exited (code ${code}, signal ${signal})`;
      for (const p of this.pending.values()) p.rej(new Error(`${this.exited} during ${p.method}; stderr: ${this.stderrTail}`));
      this.pending.clear();
    });
  }

  static async launch(executable: string): Promise<Browser> {
    const userDataDir = mkdtempSync(join(tmpdir(), "tc-viewer-chromium-"));
    const args = [
      "--headless",
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
      "--mute-audio",
      `--user-data-dir=${userDataDir}`,
      "--remote-debugging-pipe",
      "about:blank",
    ];
    const proc = spawn(executable, args, { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
    const b = new Browser(proc, proc.stdio[3] as Writable, proc.stdio[4] as Readable, userDataDir);
    await new Promise<void>((res, rej) => {
      proc.once("error", rej);
      proc.once("spawn", () => res());
    });
    const v = await b.send("Browser.getVersion");
    b.version = String(v.product);
    return b;
  }

  version = "";

  private onData(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const i = chunk.indexOf(0, start);
      if (i < 0) {
        if (start < chunk.length) this.chunks.push(chunk.subarray(start));
        return;
      }
      this.chunks.push(chunk.subarray(start, i));
      start = i + 1;
      const text = Buffer.concat(this.chunks).toString("utf8");
      this.chunks.length = 0;
      this.dispatch(JSON.parse(text));
    }
  }

  private dispatch(msg: any): void {
    if (typeof msg.id === "number") {
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.rej(new Error(`${p.method}: ${msg.error.message} ${msg.error.data ?? ""}`));
      else p.res(msg.result);
      return;
    }
    const sid: string | undefined = msg.sessionId;
    if (sid === undefined) return;
    const log = this.pageLog.get(sid);
    if (log === undefined) return;
    if (msg.method === "Runtime.exceptionThrown") {
      const d = msg.params.exceptionDetails;
      log.push(`exception: ${d?.exception?.description ?? d?.text ?? "?"}`);
    } else if (msg.method === "Runtime.consoleAPICalled" && (msg.params.type === "error" || msg.params.type === "assert")) {
      log.push(`console.${msg.params.type}: ${(msg.params.args ?? []).map((a: any) => a.value ?? a.description ?? "").join(" ")}`);
    } else if (msg.method === "Log.entryAdded" && msg.params.entry?.level === "error") {
      log.push(`log: ${msg.params.entry.text} ${msg.params.entry.url ?? ""}`);
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<any> {
    if (this.exited !== null) return Promise.reject(new Error(`${this.exited}; stderr: ${this.stderrTail}`));
    const id = this.nextId++;
    const msg: Record<string, unknown> = { id, method, params };
    if (sessionId !== undefined) msg["sessionId"] = sessionId;
    return new Promise((res, rej) => {
      this.pending.set(id, { res, rej, method });
      this.toChrome.write(JSON.stringify(msg) + "\0");
    });
  }

  /** Opens a new tab on url; returns its session id. */
  async open(url: string): Promise<{ sessionId: string; targetId: string }> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    this.pageLog.set(sessionId, []);
    await this.send("Runtime.enable", {}, sessionId);
    await this.send("Log.enable", {}, sessionId);
    await this.send("Page.enable", {}, sessionId);
    await this.send("Page.navigate", { url }, sessionId);
    return { sessionId, targetId };
  }

  async evaluate(sessionId: string, expression: string): Promise<unknown> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }, sessionId);
    if (r.exceptionDetails !== undefined) throw new Error(`evaluate: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result?.value;
  }

  async closeTarget(targetId: string): Promise<void> {
    await this.send("Target.closeTarget", { targetId }).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.exited === null) {
      const gone = new Promise<void>((res) => this.proc.once("exit", () => res()));
      this.send("Browser.close").catch(() => undefined);
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(t);
    }
    // Chromium's helper processes may still be writing there for a moment.
    try {
      rmSync(this.userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      // a leftover profile directory in tmp is not worth failing a test for
    }
  }
}

// ---------------------------------------------------------------------------
// Loading one JSON file in the viewer

/** What the viewer made of a JSON trace (see page.ts). */
export interface ViewerResult {
  fatal?: string;
  importError?: string | null;
  renderError?: string | null;
  pageErrors?: string[];
  /** Exceptions and console errors the DevTools protocol reported for the tab. */
  consoleErrors: string[];
  processes: number;
  threads: number;
  /** Slices in the threads' slice groups (X, B/E pairs, thread-scoped instants). */
  slices: number;
  unfinishedSlices: number;
  improperlyNested: number;
  nestingExamples: string[];
  /** Async slices, nested ones included. */
  asyncSlices: number;
  asyncErrors: string[];
  counters: number;
  counterSeries: number;
  counterSamples: number;
  /** Counters with a single sample: the viewer draws an empty row for them. */
  singleSampleCounters: string[];
  processInstants: number;
  globalInstants: number;
  flowEvents: number;
  warnings: { type: string; message: string }[];
  threadNames: number;
  processNames: string[];
  bytes: number;
  fetchMs: number;
  importMs: number;
  renderMs: number;
}

export interface LoadOptions {
  /** Give up after this long (the page may be busy importing: the wait does not depend on it). */
  timeoutMs?: number;
  /** Also hand the model to a timeline view, as Go's page does (default true). */
  render?: boolean;
}

export async function loadInViewer(browser: Browser, server: ViewerServer, jsonPath: string, opts: LoadOptions = {}): Promise<ViewerResult> {
  const timeoutMs = opts.timeoutMs ?? 45_000;
  let url = server.pageFor(jsonPath);
  if (opts.render === false) url += "&render=0";
  const { sessionId, targetId } = await browser.open(url);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, rej) => {
    timer = setTimeout(() => {
      const log = browser.pageLog.get(sessionId) ?? [];
      rej(new Error(`the viewer page did not finish within ${timeoutMs} ms${log.length > 0 ? "; page log: " + log.join(" | ") : ""}`));
    }, timeoutMs);
  });
  try {
    for (;;) {
      // A page busy importing answers only when it is done: race the deadline.
      const v = await Promise.race([browser.evaluate(sessionId, "window.__viewerResult ? JSON.stringify(window.__viewerResult) : ''"), expired]);
      if (typeof v === "string" && v !== "") {
        const r = JSON.parse(v) as ViewerResult;
        r.consoleErrors = browser.pageLog.get(sessionId) ?? [];
        return r;
      }
      await Promise.race([new Promise((res) => setTimeout(res, 100)), expired]);
    }
  } finally {
    clearTimeout(timer);
    browser.pageLog.delete(sessionId);
    await browser.closeTarget(targetId);
  }
}

// ---------------------------------------------------------------------------
// Counting what a trace-event JSON file holds, the way the viewer groups it

export interface JsonCounts {
  events: number;
  /** ph X */
  complete: number;
  /** B/E pairs matched per (pid, tid), innermost first. */
  bePairs: number;
  unmatchedB: number;
  unmatchedE: number;
  /** ph I/i/R with no scope or s:"t": the viewer makes zero-length slices of these. */
  threadInstants: number;
  processInstants: number;
  globalInstants: number;
  /** Nestable async b/e pairs matched per (cat, id) by name, as the viewer matches them. */
  asyncPairs: number;
  /** ph n */
  asyncInstants: number;
  unmatchedAsyncB: number;
  unmatchedAsyncE: number;
  /** Legacy async S/T/p/F events (their slice count depends on steps; reported only). */
  legacyAsync: number;
  counterEvents: number;
  /** Flow events (s/t/f). */
  flowEvents: number;
  /** Arrows the viewer should draw: one per step or end of a flow that has a start. */
  flowArrows: number;
  /** Flow ids with a start and no step or end: no arrow is drawn (the viewer says nothing). */
  danglingFlowStarts: string[];
  metadata: number;
  /** Any other phase, by phase letter. */
  otherPhases: Record<string, number>;
}

/** Slices the viewer should put into thread slice groups. */
export function expectedSlices(c: JsonCounts): number {
  return c.complete + c.bePairs + c.unmatchedB + c.threadInstants;
}

/** Async slices the viewer should build (nested ones included). */
export function expectedAsync(c: JsonCounts): number {
  return c.asyncPairs + c.asyncInstants + c.unmatchedAsyncB + c.unmatchedAsyncE;
}

interface TraceEvent {
  ph?: string;
  ts?: number;
  pid?: unknown;
  tid?: unknown;
  cat?: string;
  name?: string;
  s?: string;
  id?: unknown;
  id2?: { global?: unknown; local?: unknown };
  scope?: string;
  args?: Record<string, unknown>;
  /** Flow v2: a flow bound to the slice itself. */
  bind_id?: number | string;
  flow_in?: boolean;
  flow_out?: boolean;
}

export function countJson(text: string): JsonCounts {
  const doc = JSON.parse(text) as unknown;
  const events: TraceEvent[] = Array.isArray(doc) ? doc : ((doc as { traceEvents?: TraceEvent[] }).traceEvents ?? []);
  const c: JsonCounts = {
    events: events.length,
    complete: 0,
    bePairs: 0,
    unmatchedB: 0,
    unmatchedE: 0,
    threadInstants: 0,
    processInstants: 0,
    globalInstants: 0,
    asyncPairs: 0,
    asyncInstants: 0,
    unmatchedAsyncB: 0,
    unmatchedAsyncE: 0,
    legacyAsync: 0,
    counterEvents: 0,
    flowEvents: 0,
    flowArrows: 0,
    danglingFlowStarts: [],
    metadata: 0,
    otherPhases: {},
  };
  // B/E are matched in file order per thread (the viewer processes them so).
  const open = new Map<string, number>();
  const asyncByKey = new Map<string, { ts: number; seq: number; ph: string; name: string }[]>();
  const flows = new Map<string, { starts: number; rest: number; first: TraceEvent }>();
  // Flow v2 (bind_id on a slice, flow_out / flow_in): producers, then consumers in time order.
  const bound: TraceEvent[] = [];
  let seq = 0;
  for (const e of events) {
    const ph = e.ph ?? "";
    if (e.bind_id !== undefined && (e.flow_in === true || e.flow_out === true)) bound.push(e);
    switch (ph) {
      case "X":
        c.complete++;
        break;
      case "B": {
        const k = `${String(e.pid)}/${String(e.tid)}`;
        open.set(k, (open.get(k) ?? 0) + 1);
        break;
      }
      case "E": {
        const k = `${String(e.pid)}/${String(e.tid)}`;
        const n = open.get(k) ?? 0;
        if (n === 0) c.unmatchedE++;
        else {
          open.set(k, n - 1);
          c.bePairs++;
        }
        break;
      }
      case "I":
      case "i":
      case "R":
        if (e.s === undefined || e.s === "t") c.threadInstants++;
        else if (e.s === "p") c.processInstants++;
        else if (e.s === "g") c.globalInstants++;
        else c.otherPhases[`${ph}/s=${e.s}`] = (c.otherPhases[`${ph}/s=${e.s}`] ?? 0) + 1;
        break;
      case "b":
      case "e":
      case "n": {
        let id: string;
        if (e.id !== undefined) id = `id:${String(e.id)}`;
        else if (e.id2?.global !== undefined) id = `g:${String(e.id2.global)}`;
        else if (e.id2?.local !== undefined) id = `l:${String(e.id2.local)}:${String(e.pid)}`;
        else id = "none";
        const key = `${e.cat ?? ""}\u0000${e.scope ?? ""}\u0000${id}`;
        let list = asyncByKey.get(key);
        if (list === undefined) asyncByKey.set(key, (list = []));
        list.push({ ts: Number(e.ts), seq: seq++, ph, name: e.name ?? "" });
        break;
      }
      case "S":
      case "T":
      case "p":
      case "F":
        c.legacyAsync++;
        break;
      case "C":
        if (e.args !== undefined && Object.keys(e.args).length > 0) c.counterEvents++;
        else c.otherPhases["C/no-args"] = (c.otherPhases["C/no-args"] ?? 0) + 1;
        break;
      case "s":
      case "t":
      case "f": {
        c.flowEvents++;
        const k = `${e.cat ?? ""}\u0000${String(e.id ?? e.id2?.global ?? e.id2?.local)}`;
        let f = flows.get(k);
        if (f === undefined) flows.set(k, (f = { starts: 0, rest: 0, first: e }));
        if (ph === "s") f.starts++;
        else f.rest++;
        break;
      }
      case "M":
        c.metadata++;
        break;
      default:
        c.otherPhases[ph] = (c.otherPhases[ph] ?? 0) + 1;
    }
  }
  for (const n of open.values()) c.unmatchedB += n;
  bound.sort((a, b) => Number(a.ts) - Number(b.ts));
  const producers = new Set<string>();
  for (const e of bound) {
    c.flowEvents++;
    const id = String(e.bind_id);
    if (e.flow_in === true && producers.has(id)) c.flowArrows++;
    if (e.flow_out === true) producers.add(id);
  }
  for (const f of flows.values()) {
    if (f.starts > 0 && f.rest > 0) c.flowArrows += f.rest;
    else if (f.starts > 0) c.danglingFlowStarts.push(`id ${String(f.first.id)} at ts ${f.first.ts} (pid ${String(f.first.pid)} tid ${String(f.first.tid)}${f.first.args !== undefined ? " " + JSON.stringify(f.first.args) : ""})`);
  }
  for (const list of asyncByKey.values()) {
    list.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    const stack: string[] = [];
    for (const a of list) {
      if (a.ph === "n") c.asyncInstants++;
      else if (a.ph === "b") stack.push(a.name);
      else {
        const i = stack.lastIndexOf(a.name);
        if (i < 0) c.unmatchedAsyncE++;
        else {
          // Like the viewer: an end closes its begin and everything opened after it.
          c.asyncPairs++;
          c.unmatchedAsyncB += stack.length - 1 - i;
          stack.length = i;
        }
      }
    }
    c.unmatchedAsyncB += stack.length;
  }
  return c;
}

// ---------------------------------------------------------------------------
// Go's own JSON for a trace, from `go tool trace`'s /jsontrace

/** What one run of `go tool trace` for its JSON took. */
export interface GoJsonRun {
  /** From the start of the process to the last byte of /jsontrace. */
  secs: number;
  /** Seconds until it listened (reading and indexing the trace). */
  listenSecs: number;
  bytes: number;
  /** Peak resident memory of the trace tool (VmHWM), in MB; NaN where /proc is absent. */
  peakRssMB: number;
}

/**
 * Runs `go tool trace -http=127.0.0.1:0 TRACE` and saves its /jsontrace (the whole trace) to
 * outPath (or only counts its bytes when outPath is null). Go 1.25+ builds the trace tool on
 * first use (`go tool -n` builds it into the build cache and prints its path): on a fresh
 * machine that takes a minute or two; that build is not part of the time returned.
 */
export async function fetchGoJsonTrace(tracePath: string, outPath: string | null, timeoutMs = 240_000): Promise<GoJsonRun> {
  const exe = await new Promise<string>((res, rej) => {
    execFile("go", ["tool", "-n", "trace"], { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err !== null) rej(new Error(`go tool -n trace: ${err.message} ${stderr}`));
      else res(stdout.trim());
    });
  });
  const t0 = process.hrtime.bigint();
  const secsSince = () => Number(process.hrtime.bigint() - t0) / 1e9;
  const proc = spawn(exe, ["-http=127.0.0.1:0", tracePath], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, BROWSER: "true" },
  });
  try {
    const addr = await new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error("go tool trace did not start listening in time")), timeoutMs);
      let log = "";
      const rl = createInterface({ input: proc.stderr! });
      rl.on("line", (l) => {
        log += l + "\n";
        const m = /listening on (http:\/\/\S+)/.exec(l);
        if (m !== null) {
          clearTimeout(t);
          res(m[1]!);
        }
      });
      proc.once("exit", (code) => {
        clearTimeout(t);
        rej(new Error(`go tool trace exited ${code}: ${log}`));
      });
    });
    const listenSecs = secsSince();
    const bytes = await new Promise<number>((res, rej) => {
      httpGet(`${addr}/jsontrace`, (resp) => {
        if (resp.statusCode !== 200) {
          rej(new Error(`/jsontrace: HTTP ${resp.statusCode}`));
          resp.resume();
          return;
        }
        let n = 0;
        resp.on("data", (c: Buffer) => (n += c.length));
        if (outPath === null) {
          resp.once("end", () => res(n));
          resp.once("error", rej);
          return;
        }
        const out = createWriteStream(outPath);
        resp.pipe(out);
        out.once("finish", () => res(n));
        out.once("error", rej);
      }).once("error", rej);
    });
    const secs = secsSince();
    let peakRssMB = NaN;
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"));
      if (m !== null) peakRssMB = Number(m[1]) / 1024;
    } catch {
      // no /proc here
    }
    return { secs, listenSecs, bytes, peakRssMB };
  } finally {
    proc.kill();
  }
}
