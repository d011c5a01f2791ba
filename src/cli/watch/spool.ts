// The spool: spans converted from a trace wait here, on disk, until the
// backend has accepted them. One entry per trace file, a folder named by
// arrival order and content hash holding the spans (OTLP JSON) and what the
// log line needs. An entry is written into a temporary folder and renamed
// into place, so a kill leaves either a whole entry or none; a partly pushed
// entry keeps only the spans not accepted yet. The spool is bounded: past
// its limit the oldest entries are dropped, with a warning.

import { existsSync, fsyncSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface SpoolMeta {
  /** The trace file. */
  path: string;
  sha256: string;
  result: "ok" | "partial" | "invalid";
  events: number;
  /** Spans in the entry when it was made. */
  spans: number;
  /** Spans accepted so far (by earlier, partial pushes). */
  accepted: number;
  /** Conversion time, s. */
  convertSeconds: number;
  /** The conversion's message (damage, warnings), if any. */
  message: string;
}

export interface SpoolEntry {
  dir: string;
  meta: SpoolMeta;
  /** The spans, OTLP/HTTP JSON. */
  spans: string;
  bytes: number;
}

export const SPANS_FILE = "spans.otlp.json";
const META_FILE = "meta.json";

function fsyncPath(p: string): void {
  const fd = openSync(p, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class Spool {
  private seq = 0;

  constructor(
    readonly dir: string,
    /** Bytes the spool may hold (0: no bound). */
    readonly maxBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      // Entries a kill interrupted before they were complete.
      if (name.startsWith("tmp-")) rmSync(join(dir, name), { recursive: true, force: true });
      const m = /^(\d+)-/.exec(name);
      if (m !== null) this.seq = Math.max(this.seq, Number(m[1]));
    }
  }

  private names(): string[] {
    return readdirSync(this.dir)
      .filter((n) => /^\d+-[0-9a-f]+$/.test(n))
      .sort();
  }

  /** True when an entry for this content is waiting already. */
  has(sha256: string): boolean {
    return this.names().some((n) => n.endsWith("-" + sha256.slice(0, 16)));
  }

  /**
   * Makes an entry: `write(file)` writes the spans into `file`; returns the
   * entry, durable on disk, or null when `write` made no spans.
   */
  async add(meta: SpoolMeta, write: (file: string) => Promise<void>): Promise<SpoolEntry | null> {
    const tmp = join(this.dir, `tmp-${meta.sha256.slice(0, 16)}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    const spans = join(tmp, SPANS_FILE);
    await write(spans);
    if (!existsSync(spans) || statSync(spans).size === 0) {
      rmSync(tmp, { recursive: true, force: true });
      return null;
    }
    writeFileSync(join(tmp, META_FILE), JSON.stringify(meta));
    fsyncPath(spans);
    fsyncPath(join(tmp, META_FILE));
    fsyncPath(tmp);
    const name = `${String(++this.seq).padStart(10, "0")}-${meta.sha256.slice(0, 16)}`;
    renameSync(tmp, join(this.dir, name));
    fsyncPath(this.dir);
    return this.entry(name);
  }

  private entry(name: string): SpoolEntry | null {
    const dir = join(this.dir, name);
    try {
      const meta = JSON.parse(readFileSync(join(dir, META_FILE), "utf8")) as SpoolMeta;
      const spans = join(dir, SPANS_FILE);
      return { dir, meta, spans, bytes: statSync(spans).size };
    } catch {
      return null;
    }
  }

  /** The waiting entries, oldest first. */
  entries(): SpoolEntry[] {
    const out: SpoolEntry[] = [];
    for (const n of this.names()) {
      const e = this.entry(n);
      if (e !== null) out.push(e);
    }
    return out;
  }

  /** After a partial push: the entry keeps only the spans in `unsent` (a file, moved in). */
  keepUnsent(e: SpoolEntry, unsent: string, acceptedNow: number): void {
    renameSync(unsent, e.spans);
    e.meta.accepted += acceptedNow;
    writeFileSync(join(e.dir, META_FILE), JSON.stringify(e.meta));
    fsyncPath(e.spans);
    fsyncPath(join(e.dir, META_FILE));
    e.bytes = statSync(e.spans).size;
  }

  remove(e: SpoolEntry): void {
    rmSync(e.dir, { recursive: true, force: true });
  }

  /** Drops the oldest entries past the bound; returns those dropped. */
  enforceBound(): SpoolEntry[] {
    if (this.maxBytes <= 0) return [];
    const all = this.entries();
    let total = all.reduce((a, e) => a + e.bytes, 0);
    const dropped: SpoolEntry[] = [];
    for (const e of all) {
      if (total <= this.maxBytes) break;
      total -= e.bytes;
      this.remove(e);
      dropped.push(e);
    }
    return dropped;
  }
}
