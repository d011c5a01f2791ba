// The watcher's memory of the files it has converted, which survives kill -9:
// a journal of one JSON line per file, each appended and flushed to disk
// (fsync) before the file counts as done. A torn last line (a kill in the
// middle of a write) is ignored on load. A file is done when its path, size,
// modification time and inode match a record, or when its content's hash
// does (the same snapshot under another name, or copied again).

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Candidate } from "./scan.js";

export interface DoneRecord {
  path: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
  /** sha256 of the content, hex. */
  sha256: string;
  /** ok, partial (damaged trace, what could be recovered), invalid (nothing could be read). */
  result: "ok" | "partial" | "invalid";
  /** When it was done (ISO 8601). */
  at: string;
}

export class StateJournal {
  private readonly byPath = new Map<string, DoneRecord>();
  private readonly hashes = new Set<string>();
  private fd: number;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      for (const line of readFileSync(path, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        let r: DoneRecord;
        try {
          r = JSON.parse(line) as DoneRecord;
        } catch {
          continue; // torn write
        }
        if (typeof r.path !== "string" || typeof r.sha256 !== "string") continue;
        this.byPath.set(r.path, r);
        this.hashes.add(r.sha256);
      }
    }
    this.fd = openSync(path, "a");
  }

  get size(): number {
    return this.byPath.size;
  }

  /** Done by identity (path, size, mtime, inode), without reading the file. */
  doneByIdentity(c: Candidate): boolean {
    const r = this.byPath.get(c.path);
    return r !== undefined && r.size === c.size && r.mtimeMs === c.mtimeMs && r.ino === c.ino && r.dev === c.dev;
  }

  doneByHash(sha256: string): boolean {
    return this.hashes.has(sha256);
  }

  /** Records a file as done, durably. */
  add(r: DoneRecord): void {
    const line = JSON.stringify(r) + "\n";
    writeSync(this.fd, line);
    fsyncSync(this.fd);
    this.byPath.set(r.path, r);
    this.hashes.add(r.sha256);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
