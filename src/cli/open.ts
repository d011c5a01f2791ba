// --open: serve written Perfetto files (one, or the parts of --split) once
// each on 127.0.0.1 so that ui.perfetto.dev can load them, and print the link
// that opens each.
//
// Each file is served at an unguessable path, to GET requests only, with CORS
// for https://ui.perfetto.dev alone (other origins are refused), and only to a
// Host of 127.0.0.1/localhost (no DNS rebinding). The server stops once every
// file was downloaded completely, on close(), or after a timeout.
//
// Port: ui.perfetto.dev's Content-Security-Policy lets the page fetch from
// http://127.0.0.1:9001 (the trace_processor port) and not from other local
// ports, so 9001 is tried first; when it is taken, a random port is used and a
// note says the link may be blocked.

import { randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

export const PERFETTO_ORIGIN = "https://ui.perfetto.dev";
/** The local port the Perfetto UI's CSP allows. */
export const PERFETTO_PORT = 9001;

export type OpenResult = "fetched" | "timeout" | "closed";

export interface OpenOptions {
  /** Port to listen on: a number (0 = random), or "perfetto" (9001, else random). Default "perfetto". */
  port?: number | "perfetto";
  /** Give up after this long (ms). Default 5 minutes. */
  timeoutMs?: number;
}

export interface Serving {
  /** The ui.perfetto.dev link that opens the (first) file. */
  url: string;
  /** Where the (first) file itself is served. */
  fileURL: string;
  /** The links and file URLs of every file, in order. */
  urls: string[];
  fileURLs: string[];
  port: number;
  /** A note for the user (e.g. the Perfetto port was busy), or null. */
  note: string | null;
  /** Settles when every file has been fetched once, the timeout passed, or close() was called. */
  done: Promise<OpenResult>;
  close(): void;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off("listening", onListening);
      reject(e);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, "127.0.0.1");
  });
}

/** Serves each file once for the Perfetto UI; resolves once the server listens. */
export async function serveForPerfetto(paths: string | string[], opts: OpenOptions = {}): Promise<Serving> {
  const list = typeof paths === "string" ? [paths] : paths;
  const token = randomBytes(18).toString("base64url");
  const files = list.map((path, i) => ({
    path,
    size: statSync(path).size,
    url: `/${token}/${list.length > 1 ? `${i + 1}/` : ""}${encodeURIComponent(basename(path))}`,
    served: false,
    fetched: false,
  }));
  let settle: (r: OpenResult) => void = () => undefined;
  const done = new Promise<OpenResult>((res) => (settle = res));
  let port = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    const fromPerfetto = origin === PERFETTO_ORIGIN;
    res.setHeader("Vary", "Origin");
    res.setHeader("Cache-Control", "no-store");
    const refuse = (code: number, msg: string) => {
      res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(msg + "\n");
    };
    const host = (req.headers.host ?? "").toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return refuse(421, "wrong host");
    const url = (req.url ?? "").split("?")[0];
    const f = files.find((x) => x.url === url);
    if (f === undefined) return refuse(404, "not found");
    if (origin !== undefined && !fromPerfetto) return refuse(403, "origin not allowed");
    if (req.method === "OPTIONS") {
      // CORS (and Private Network Access) preflight.
      const h: Record<string, string> = {
        "Access-Control-Allow-Origin": PERFETTO_ORIGIN,
        "Access-Control-Allow-Methods": "GET",
        "Access-Control-Max-Age": "600",
      };
      const reqHeaders = req.headers["access-control-request-headers"];
      if (typeof reqHeaders === "string" && /^[\w\-, ]*$/.test(reqHeaders)) h["Access-Control-Allow-Headers"] = reqHeaders;
      if (req.headers["access-control-request-private-network"] === "true") h["Access-Control-Allow-Private-Network"] = "true";
      res.writeHead(204, h);
      res.end();
      return;
    }
    if (req.method !== "GET") return refuse(405, "method not allowed");
    if (f.served) return refuse(410, "already fetched");
    f.served = true;
    const size = f.size;
    res.writeHead(200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(size),
      "Access-Control-Allow-Origin": PERFETTO_ORIGIN,
    });
    // Written by hand rather than piped so that end() follows the last chunk
    // at once: a client that closes as soon as it has Content-Length bytes
    // then always finds the response ended.
    const stream = createReadStream(f.path);
    let sent = 0;
    stream.on("data", (data: string | Buffer) => {
      const chunk = typeof data === "string" ? Buffer.from(data) : data;
      sent += chunk.length;
      const more = res.write(chunk);
      if (sent >= size) {
        res.end();
        stream.destroy();
      } else if (!more) {
        stream.pause();
        res.once("drain", () => stream.resume());
      }
    });
    stream.on("end", () => {
      if (!res.writableEnded) res.end();
    });
    stream.on("error", () => res.destroy());
    res.on("close", () => {
      // The whole file was handed to the connection (the client may close it
      // before "finish"): fetched. Otherwise the download broke off: allow another try.
      if (res.writableEnded) {
        f.fetched = true;
        if (files.every((x) => x.fetched)) finish("fetched");
      } else {
        f.served = false;
        stream.destroy();
      }
    });
  });

  let timer: NodeJS.Timeout | null = null;
  let finished = false;
  const finish = (r: OpenResult) => {
    if (finished) return;
    finished = true;
    if (timer !== null) clearTimeout(timer);
    server.close();
    server.closeAllConnections();
    settle(r);
  };

  let note: string | null = null;
  const want = opts.port ?? "perfetto";
  if (want === "perfetto") {
    try {
      port = await listen(server, PERFETTO_PORT);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
      port = await listen(server, 0);
      note = `port ${PERFETTO_PORT} is in use (trace_processor?); ui.perfetto.dev only fetches from 127.0.0.1:${PERFETTO_PORT}, so the link may be blocked: free the port, or open ${list.join(", ")} in the UI by hand`;
    }
  } else {
    port = await listen(server, want);
  }
  timer = setTimeout(() => finish("timeout"), opts.timeoutMs ?? 5 * 60_000);
  const fileURLs = files.map((f) => `http://127.0.0.1:${port}${f.url}`);
  const urls = fileURLs.map((u) => `${PERFETTO_ORIGIN}/#!/?url=${u}`);
  return {
    url: urls[0]!,
    fileURL: fileURLs[0]!,
    urls,
    fileURLs,
    port,
    note,
    done,
    close: () => finish("closed"),
  };
}

/** The command's side: serve, print the link of each file on stdout, wait. Returns the exit code. */
export async function openInPerfetto(paths: string[], quiet: boolean): Promise<number> {
  const timeoutMs = 5 * 60_000;
  const s = await serveForPerfetto(paths, { timeoutMs });
  const what = paths.length === 1 ? paths[0]! : `${paths.length} parts (${paths[0]} ...)`;
  if (s.note !== null) process.stderr.write(`trace-convert: warning: ${s.note}\n`);
  process.stdout.write(s.urls.map((u) => `${u}\n`).join(""));
  if (!quiet) {
    const links = paths.length === 1 ? "the link above" : "each link above (one per part)";
    process.stderr.write(`trace-convert: open ${links}; serving ${what} once on 127.0.0.1:${s.port} (Ctrl-C to stop, gives up after ${timeoutMs / 60_000} minutes)\n`);
  }
  const r = await s.done;
  if (r === "timeout") process.stderr.write(`trace-convert: not everything of ${what} was fetched within ${timeoutMs / 60_000} minutes; stopped serving (the files stay)\n`);
  else if (!quiet && r === "fetched") process.stderr.write(`trace-convert: ${what} ${paths.length === 1 ? "was" : "were"} fetched; done\n`);
  return 0;
}

/** Why --open cannot be used with this command line, or null. */
export function openUsageError(format: string, inputs: number): string | null {
  if (!format.startsWith("perfetto")) return `--open serves a Perfetto file to ui.perfetto.dev: use it with --to perfetto..., not --to ${format}`;
  if (inputs !== 1) return "--open takes a single input";
  return null;
}

/** Where --open writes the output when -o is not given: a fresh temporary directory. */
export function openTempPath(input: string, ext: string): string {
  const stem = input === "-" ? "stdin" : basename(input.replace(/[?#].*$/, "")).replace(/\.(trace|out|bin)$/, "") || "trace";
  return join(mkdtempSync(join(tmpdir(), "trace-convert-")), stem + ext);
}
