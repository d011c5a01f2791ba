// Where trace bytes come from: a file, stdin, or an http(s) URL (live capture
// from net/http/pprof's /debug/pprof/trace).

import { createReadStream, statSync } from "node:fs";
import { TraceError } from "../decode/errors.js";

export interface Input {
  /** Name used in messages. */
  name: string;
  kind: "file" | "stdin" | "url";
  /** Modification time of a file input, else the time the capture ended. */
  mtime: Date | null;
  /** Size in bytes when known. */
  size: number | null;
  open(): AsyncIterable<Uint8Array>;
}

export const DEFAULT_CAPTURE_SECONDS = 5;

/** Resolves an input argument. Returns the input and, for URLs, any note to show the user. */
export function resolveInput(arg: string): { input: Input; note: string | null } {
  if (arg === "-") {
    return {
      input: { name: "<stdin>", kind: "stdin", mtime: null, size: null, open: () => process.stdin as AsyncIterable<Uint8Array> },
      note: null,
    };
  }
  if (/^https?:\/\//i.test(arg)) {
    const url = new URL(arg);
    let note: string | null = null;
    if (url.pathname.endsWith("/debug/pprof/trace") && !url.searchParams.has("seconds")) {
      url.searchParams.set("seconds", String(DEFAULT_CAPTURE_SECONDS));
      note = `no seconds= in the URL: capturing ${DEFAULT_CAPTURE_SECONDS}s (add ?seconds=N to change)`;
    }
    const input: Input = {
      name: url.toString(),
      kind: "url",
      mtime: null,
      size: null,
      open: () => fetchBody(url, input),
    };
    return { input, note };
  }
  let st;
  try {
    st = statSync(arg);
  } catch (e) {
    throw new TraceError(`cannot read ${arg}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`, 0, false, true);
  }
  if (st.isDirectory()) throw new TraceError(`cannot read ${arg}: is a directory`, 0, false, true);
  return {
    input: {
      name: arg,
      kind: "file",
      // Whole milliseconds, rounded down, as a browser's File.lastModified gives it (Node's
      // st.mtime rounds): the browser app then makes the same spans from an old trace.
      mtime: new Date(Math.floor(st.mtimeMs)),
      size: st.size,
      open: () => createReadStream(arg, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>,
    },
    note: null,
  };
}

async function* fetchBody(url: URL, input: Input): AsyncIterable<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new TraceError(`cannot fetch ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, 0, false, true);
  }
  if (!res.ok || res.body === null) {
    let body = "";
    try {
      body = (await res.text()).trim().split("\n")[0] ?? "";
    } catch {
      /* ignore */
    }
    throw new TraceError(`cannot fetch ${url}: HTTP ${res.status} ${res.statusText}${body ? ": " + body : ""}`, 0, false, true);
  }
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) yield chunk;
  input.mtime = new Date();
}
