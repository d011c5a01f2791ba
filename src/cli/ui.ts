// `trace-convert ui [TRACE...]`: serves the browser app (dist/web/, built by
// `npm run build`) on 127.0.0.1, with the given traces preloaded, prints the
// URL and opens the default browser.
//
// The traces are served at an unguessable path, read-only, to a Host of
// 127.0.0.1/localhost only (no DNS rebinding), with no CORS headers (other
// sites cannot read them). The page converts them itself: the server has no
// other logic, so dist/web/ works on any static host too.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT_INPUT, EXIT_OK, EXIT_USAGE } from "./outcome.js";
import { splitFlag, takeValue, UsageError } from "./options.js";

export const UI_USAGE = "trace-convert ui [TRACE...] [--port N] [--no-open]";

export interface UiOptions {
  traces: string[];
  /** 0: a random free port. */
  port: number;
  open: boolean;
  /** Where Open in Perfetto goes (default https://ui.perfetto.dev); another origin for tests. */
  perfettoOrigin: string | null;
  quiet: boolean;
  help: boolean;
}

export function parseUiArgs(argv: string[]): UiOptions {
  const o: UiOptions = { traces: [], port: 0, open: true, perfettoOrigin: null, quiet: false, help: false };
  const args = [...argv];
  const value = (flag: string, inline: string | undefined): string => takeValue(args, flag, inline);
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === "--") {
      o.traces.push(...args.splice(0));
      break;
    }
    if (!a.startsWith("-")) {
      o.traces.push(a);
      continue;
    }
    const { flag, inline } = splitFlag(a);
    switch (flag) {
      case "--port": {
        const v = value(flag, inline);
        if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port: expected a port number, got "${v}"`);
        o.port = Number(v);
        break;
      }
      case "--no-open":
        o.open = false;
        break;
      case "--perfetto-origin": {
        const v = value(flag, inline);
        let u: URL;
        try {
          u = new URL(v);
        } catch {
          throw new UsageError(`--perfetto-origin: not a URL: "${v}"`);
        }
        if (u.protocol !== "https:" && u.protocol !== "http:") throw new UsageError(`--perfetto-origin: expected an http(s) origin, got "${v}"`);
        o.perfettoOrigin = u.origin;
        break;
      }
      case "-q":
      case "--quiet":
        o.quiet = true;
        break;
      case "-h":
      case "--help":
        o.help = true;
        break;
      default:
        throw new UsageError(`ui: unknown flag ${flag} (usage: ${UI_USAGE})`);
    }
  }
  return o;
}

/** dist/web/ next to this module's dist/src/cli/. */
export function webRoot(): string {
  return fileURLToPath(new URL("../../web/", import.meta.url));
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export interface UiServer {
  /** http://127.0.0.1:PORT/ */
  base: string;
  /** The page, with the traces preloaded (?url=...). */
  url: string;
  close(): Promise<void>;
}

/** Starts serving the app and the traces. */
export async function startUiServer(o: Pick<UiOptions, "traces" | "port" | "perfettoOrigin">, root = webRoot()): Promise<UiServer> {
  if (!existsSync(join(root, "index.html"))) throw new Error(`the browser app is not built (no ${join(root, "index.html")}): run npm run build`);
  // The app's files, read once (a few hundred kB).
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const f of readdirSync(root)) {
    const ext = f.slice(f.lastIndexOf("."));
    const type = TYPES[ext];
    if (type === undefined) continue;
    let body = readFileSync(join(root, f));
    if (f === "index.html" && o.perfettoOrigin !== null) {
      body = Buffer.from(body.toString("utf8").replace(/(<meta name="perfetto-origin" content=")[^"]*(")/, `$1${o.perfettoOrigin}$2`));
    }
    files.set(`/${f}`, { body, type });
  }
  files.set("/", files.get("/index.html")!);
  const token = randomBytes(12).toString("base64url");
  const traces = o.traces.map((p, i) => ({ path: p, url: `/t/${token}/${i}/${encodeURIComponent(basename(p))}` }));
  let port = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const refuse = (code: number, msg: string) => {
      res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(msg + "\n");
    };
    const host = (req.headers.host ?? "").toLowerCase();
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return refuse(421, "wrong host");
    if (req.method !== "GET" && req.method !== "HEAD") return refuse(405, "method not allowed");
    const path = (req.url ?? "/").split("?")[0]!;
    const common = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" };
    const f = files.get(path);
    if (f !== undefined) {
      res.writeHead(200, { ...common, "Content-Type": f.type, "Content-Length": String(f.body.length) });
      res.end(req.method === "HEAD" ? undefined : f.body);
      return;
    }
    const t = traces.find((x) => x.url === path);
    if (t === undefined) return refuse(404, "not found");
    let st;
    try {
      st = statSync(t.path);
    } catch (e) {
      return refuse(404, `cannot read ${t.path}: ${(e as Error).message}`);
    }
    res.writeHead(200, { ...common, "Content-Type": "application/octet-stream", "Content-Length": String(st.size), "Last-Modified": st.mtime.toUTCString() });
    if (req.method === "HEAD") return void res.end();
    const s = createReadStream(t.path);
    s.on("error", () => res.destroy());
    s.pipe(res);
  });
  port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  const base = `http://127.0.0.1:${port}/`;
  const q = traces.map((t) => `url=${encodeURIComponent(t.url)}`).join("&");
  return {
    base,
    url: q === "" ? base : `${base}?${q}`,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

/** Opens url in the default browser ($BROWSER, else the platform's opener); returns an error message or null. */
export function openBrowser(url: string): Promise<string | null> {
  const env = process.env["BROWSER"]?.trim();
  let cmd: string;
  let args: string[];
  if (env) {
    cmd = env;
    args = [url];
  } else if (process.platform === "darwin") {
    cmd = "open";
    args = [url];
  } else if (process.platform === "win32") {
    cmd = "cmd";
    args = ["/c", "start", '""', url.replace(/&/g, "^&")];
  } else {
    cmd = "xdg-open";
    args = [url];
  }
  return new Promise((resolve) => {
    try {
      const p = spawn(cmd, args, { stdio: "ignore", detached: true });
      p.once("error", (e) => resolve(`could not start ${cmd}: ${e.message}`));
      p.once("spawn", () => {
        p.unref();
        resolve(null);
      });
    } catch (e) {
      resolve(`could not start ${cmd}: ${(e as Error).message}`);
    }
  });
}

export function uiHelp(): string {
  return `Usage: ${UI_USAGE}

Serves trace-convert's browser app on 127.0.0.1 (a random port unless --port),
with the given traces preloaded, prints its URL and opens the default browser
($BROWSER, else xdg-open/open/start). The traces are read and converted inside
the browser tab; this command only serves the files. Ctrl-C stops it.

  --port N                listen on this port (default: a free one)
  --no-open               do not open a browser, only print the URL
  --perfetto-origin URL   where "Open in Perfetto" goes (default https://ui.perfetto.dev)
  -q, --quiet             print only the URL

Example:
  trace-convert ui trace.out
`;
}

/** The command's side: serve until interrupted. Returns the exit code. */
export async function runUi(argv: string[]): Promise<number> {
  let o: UiOptions;
  try {
    o = parseUiArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`trace-convert: ${e.message}\nRun 'trace-convert ui --help' for usage.\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (o.help) {
    process.stdout.write(uiHelp());
    return EXIT_OK;
  }
  for (const t of o.traces) {
    let st;
    try {
      st = statSync(t);
    } catch (e) {
      process.stderr.write(`trace-convert: cannot read ${t}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}\n`);
      return EXIT_INPUT;
    }
    if (st.isDirectory()) {
      process.stderr.write(`trace-convert: cannot read ${t}: is a directory\n`);
      return EXIT_INPUT;
    }
  }
  let server: UiServer;
  try {
    server = await startUiServer(o);
  } catch (e) {
    process.stderr.write(`trace-convert: ui: ${(e as Error).message}\n`);
    return EXIT_INPUT;
  }
  process.stdout.write(`${server.url}\n`);
  if (!o.quiet) {
    const what = o.traces.length === 0 ? "the browser app" : `the browser app with ${o.traces.length === 1 ? o.traces[0] : `${o.traces.length} traces`}`;
    process.stderr.write(`trace-convert: serving ${what} on ${server.base} (Ctrl-C to stop); the traces are converted in the browser, nothing leaves this machine\n`);
  }
  if (o.open) {
    const err = await openBrowser(server.url);
    if (err !== null) process.stderr.write(`trace-convert: ${err}; open the URL above in a browser\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  return EXIT_OK;
}
