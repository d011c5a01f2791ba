// Which files of the watched folder are traces ready to convert: a file is
// taken once its size and modification time have stayed the same for the
// settle time; a Go 1.26+ trace must also end with a complete generation,
// else it is given the (longer) truncated-settle time to grow before it is
// taken as a damaged trace. Temporary names (being written, to be renamed
// into place) are never taken.

import { closeSync, openSync, readdirSync, readSync, statSync, type Stats } from "node:fs";
import { join } from "node:path";

/** Names of files still being written by common tools (and ours: dot files). */
const TEMPORARY = /^\.|\.(tmp|temp|part|partial|crdownload|swp|download)$|~$/i;

export function isTemporaryName(name: string): boolean {
  return TEMPORARY.test(name);
}

export interface Candidate {
  path: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  /** When size and mtime were first seen at these values (ms, monotonic). */
  since: number;
  /** The header check, once made for this size. */
  header: "trace" | "other" | null;
  /** For Go 1.26+: whether the file ends with a complete generation, checked at this size. */
  complete: boolean | null;
}

export interface ScanOptions {
  recursive: boolean;
  /** A file must stay unchanged this long (ms). */
  settleMs: number;
  /** A Go 1.26+ trace that does not end with a complete generation waits this long (ms) before it is taken as damaged. */
  truncatedSettleMs: number;
  /** Folders not to look into (the watcher's own state and spool, output folders). */
  skipDirs: Set<string>;
}

/** Walks the folder, following the files' sizes between calls. */
export class Scanner {
  private readonly seen = new Map<string, Seen>();
  /** Files skipped as not being traces (reported once). */
  readonly notTraces = new Set<string>();
  /** Files seen at the last call that are still settling (changing, or waiting for the end of a generation). */
  unsettled = 0;

  constructor(
    readonly dir: string,
    readonly opts: ScanOptions,
  ) {}

  private list(dir: string, out: { path: string; st: Stats }[]): void {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (isTemporaryName(name)) continue;
      const path = join(dir, name);
      let st: Stats;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (this.opts.recursive && !this.opts.skipDirs.has(path)) this.list(path, out);
      } else if (st.isFile()) out.push({ path, st });
    }
  }

  /** The files that are ready now (each time until the caller stops asking for it: see forget). */
  ready(now: number): Candidate[] {
    const files: { path: string; st: Stats }[] = [];
    this.list(this.dir, files);
    const present = new Set<string>();
    const out: Candidate[] = [];
    let unsettled = 0;
    for (const { path, st } of files) {
      present.add(path);
      let s = this.seen.get(path);
      if (s === undefined || s.size !== st.size || s.mtimeMs !== st.mtimeMs) {
        s = { size: st.size, mtimeMs: st.mtimeMs, since: now, header: null, complete: null };
        this.seen.set(path, s);
        unsettled++;
        continue;
      }
      if (now - s.since < this.opts.settleMs) {
        unsettled++;
        continue;
      }
      if (s.header === null) s.header = headerOf(path);
      if (s.header === "other") {
        this.notTraces.add(path);
        continue;
      }
      if (s.complete === null) s.complete = endsComplete(path, st.size);
      if (!s.complete && now - s.since < this.opts.truncatedSettleMs) {
        unsettled++;
        continue;
      }
      out.push({ path, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino });
    }
    for (const p of this.seen.keys()) if (!present.has(p)) this.seen.delete(p);
    this.unsettled = unsettled;
    return out;
  }
}

function readAt(path: string, pos: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  const fd = openSync(path, "r");
  try {
    const got = readSync(fd, b, 0, n, pos);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function headerOf(path: string): "trace" | "other" {
  const h = readAt(path, 0, 16);
  let s = "";
  for (const c of h) s += String.fromCharCode(c);
  return /^go 1\.\d+ trace\0\0\0$/.test(s) ? "trace" : "other";
}

/**
 * Whether a trace ends where a generation ends. Go 1.26+ traces end each
 * generation with a marker: walk the batch headers (reading only headers) and
 * check that the last thing in the file is one. Older formats have no marker:
 * true (stability alone decides).
 */
export function endsComplete(path: string, size: number): boolean {
  const h = readAt(path, 0, 16);
  const m = /^go 1\.(\d+) trace/.exec(String.fromCharCode(...h));
  if (m === null || Number(m[1]) < 26) return true;
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(64);
    let p = 16;
    let lastWasMarker = false;
    while (p < size) {
      const n = readSync(fd, buf, 0, buf.length, p);
      if (n === 0) return false;
      const typ = buf[0]!;
      if (typ === 0x34) {
        // End of generation.
        lastWasMarker = true;
        p++;
        continue;
      }
      if (typ !== 0x01 && typ !== 0x31) return false;
      // Batch header: type, [flag byte for 0x31], gen, m, time, size (uvarints).
      let q = typ === 0x31 ? 2 : 1;
      let len = 0;
      for (let f = 0; f < 4; f++) {
        let x = 0;
        let mul = 1;
        for (;;) {
          if (q >= n) return false;
          const c = buf[q++]!;
          x += (c & 0x7f) * mul;
          if (c < 0x80) break;
          mul *= 128;
          if (mul > 2 ** 63) return false;
        }
        if (f === 3) len = x;
      }
      lastWasMarker = false;
      p += q + len;
    }
    return lastWasMarker && p === size;
  } finally {
    closeSync(fd);
  }
}
