// trace-convert watch DIR: converts every trace file that appears in a folder,
// once it is complete, exactly once (also across restarts), into files
// (--out DIR2 --formats ...) and/or spans pushed to a backend (--to otlp|zipkin)
// through a bounded on-disk spool, so that a backend that is down loses nothing.
//
// Order of work for a file, so that kill -9 at any point loses nothing and
// repeats at most one file's work: outputs (written under a temporary name,
// renamed), spans into the spool (a whole entry or none), the file recorded
// as done in the journal (fsync), then --delete-after / --move-to. The
// sender pushes spool entries oldest first and removes each once the backend
// has accepted it; a file whose push was cut short is pushed again on
// restart, and since span and trace IDs derive from the trace's content, the
// backend holds each span once.

import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, copyFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { findFormat } from "../formats.js";
import type { Options } from "../options.js";
import { runHere, WorkerPool, type Job, type JobResult } from "../pool.js";
import { WatchLog, type LogFormat } from "./log.js";
import { Scanner, type Candidate } from "./scan.js";
import { Spool, type SpoolEntry } from "./spool.js";
import { StateJournal } from "./state.js";

export interface WatchOptions {
  dir: string;
  recursive: boolean;
  /** The push format (otlp, zipkin), or null. */
  push: string | null;
  outDir: string | null;
  formats: string[];
  stateDir: string;
  spoolMax: number;
  settleMs: number;
  truncatedSettleMs: number;
  pollMs: number;
  jobs: number;
  logFormat: LogFormat;
  deleteAfter: boolean;
  moveTo: string | null;
  /** Convert what is there (and what arrives until all is done), then exit. */
  once: boolean;
  /** Conversion options (filters, --redact, endpoint, headers, service name...). */
  opts: Options;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function sha256(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Spans in an OTLP JSON body. */
function countSpans(path: string): number {
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
    let n = 0;
    for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
    return n;
  } catch {
    return 0;
  }
}

const RESULT = (code: number): "ok" | "partial" | "invalid" => (code === 0 ? "ok" : code === 3 ? "partial" : "invalid");

export class Watcher {
  private readonly log: WatchLog;
  private readonly state: StateJournal;
  private readonly spool: Spool;
  private readonly scanner: Scanner;
  /** Conversions (the sender's pushes run here, beside them). */
  private readonly pool: WorkerPool;
  private stopping = false;
  /** Wakes the sender when the spool gets an entry. */
  private wake: (() => void) | null = null;
  private backendDown = false;
  /** Files converted, spans accepted: for the summary line at the end. */
  readonly totals = { files: 0, events: 0, spans: 0, failed: 0 };

  constructor(readonly o: WatchOptions) {
    this.pool = new WorkerPool(o.jobs);
    if (o.outDir !== null) mkdirSync(o.outDir, { recursive: true });
    if (o.moveTo !== null) mkdirSync(o.moveTo, { recursive: true });
    this.log = new WatchLog(o.logFormat);
    this.state = new StateJournal(join(o.stateDir, "state.jsonl"));
    this.spool = new Spool(join(o.stateDir, "spool"), o.spoolMax);
    const skip = new Set<string>([resolve(o.stateDir)]);
    if (o.outDir !== null) skip.add(resolve(o.outDir));
    if (o.moveTo !== null) skip.add(resolve(o.moveTo));
    this.scanner = new Scanner(resolve(o.dir), { recursive: o.recursive, settleMs: o.settleMs, truncatedSettleMs: o.truncatedSettleMs, skipDirs: skip });
  }

  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Runs until stopped (or, with --once, until everything present is done). Returns the exit code. */
  async run(): Promise<number> {
    const o = this.o;
    this.log.note("info", `watching ${o.dir}${o.recursive ? " (and below)" : ""}: ${[o.push !== null ? `push --to ${o.push}` : "", o.outDir !== null ? `${o.formats.join(", ")} into ${o.outDir}` : ""].filter((x) => x !== "").join("; ")}; ${this.state.size} files done before, ${this.spool.entries().length} spool entries waiting`);
    const sender = o.push !== null ? this.sendLoop() : Promise.resolve();
    let exit = 0;
    const reported = new Set<string>();
    for (;;) {
      const ready = this.scanner.ready(performance.now()).filter((c) => !this.state.doneByIdentity(c));
      for (const p of this.scanner.notTraces) {
        if (reported.has(p)) continue;
        reported.add(p);
        this.log.note("info", `${p}: not a Go trace, skipped`);
      }
      const more = ready.length > 0 ? await this.convertAll(ready) : false;
      if (this.stopping) break;
      if (o.once && ready.length === 0 && this.scanner.unsettled === 0) break;
      // Files left over from this round: on at once.
      if (!more) await sleep(o.pollMs);
    }
    if (o.push !== null) {
      if (o.once && !this.stopping) {
        // Send what is waiting; a backend that stays down leaves it for the next run.
        this.onceDone = true;
        this.wake?.();
        await sender;
        const left = this.spool.entries().length;
        if (left > 0) {
          this.log.note("error", `${left} file${left === 1 ? "'s" : "s'"} spans could not be sent and wait in ${join(o.stateDir, "spool")} for the next run`);
          exit = 1;
        }
      }
    }
    if (this.fatal !== 0) exit = this.fatal;
    await this.pool.close();
    this.state.close();
    const t = this.totals;
    this.log.note("info", `stopped: ${t.files} files converted, ${t.events} events, ${t.spans} spans pushed${t.failed > 0 ? `, ${t.failed} failed` : ""}`);
    return exit;
  }

  private onceDone = false;
  /** Exit code when the watcher had to stop by itself. */
  private fatal = 0;

  private stem(path: string): string {
    const rel = relative(resolve(this.o.dir), resolve(path));
    return rel.replace(/[/\\]/g, "_").replace(/\.(trace|out|bin)$/, "") || "trace";
  }

  /** Converts some of the ready files (as many as there are workers, twice); true when some are left. */
  private async convertAll(ready: Candidate[]): Promise<boolean> {
    const o = this.o;
    const batch = ready.slice(0, Math.max(1, o.jobs * 2));
    const work = await Promise.all(
      batch.map(async (c) => ({ c, sha: await sha256(c.path).catch(() => null) })),
    );
    const files: { c: Candidate; sha: string; t0: number; jobs: Job[]; outs: string[]; spoolFile: string | null }[] = [];
    for (const { c, sha } of work) {
      if (sha === null) continue; // gone meanwhile
      if (this.state.doneByHash(sha)) {
        // The same content under another name (or touched): done already.
        this.state.add({ path: c.path, size: c.size, mtimeMs: c.mtimeMs, dev: c.dev, ino: c.ino, sha256: sha, result: "ok", at: new Date().toISOString() });
        continue;
      }
      const jobs: Job[] = [];
      const outs: string[] = [];
      if (o.outDir !== null) {
        for (const f of o.formats) {
          const out = join(o.outDir, this.stem(c.path) + findFormat(f)!.ext);
          outs.push(out);
          jobs.push({ arg: c.path, format: f, outPath: out + ".partial", opts: { ...o.opts, quiet: true }, collect: false, capture: true });
        }
      }
      let spoolFile: string | null = null;
      if (o.push !== null && !this.spool.has(sha)) {
        spoolFile = join(o.stateDir, `tmp-spans-${sha.slice(0, 16)}.otlp.json`);
        jobs.push({ arg: c.path, format: "otlp-json", outPath: spoolFile, opts: { ...o.opts, quiet: true }, collect: false, capture: true });
      }
      files.push({ c, sha, t0: performance.now(), jobs, outs, spoolFile });
    }
    // Each file is finished (spooled, recorded) as soon as its own jobs are done.
    await Promise.all(files.map(async (f) => this.finishFile(f, await Promise.all(f.jobs.map((j) => this.pool.run(j))))));
    return batch.length < ready.length;
  }

  private async finishFile(
    f: { c: Candidate; sha: string; t0: number; jobs: Job[]; outs: string[]; spoolFile: string | null },
    rs: JobResult[],
  ): Promise<void> {
    const o = this.o;
    const worst = rs.reduce((a, r) => (r.code === 1 || a === 1 ? 1 : Math.max(a, r.code)), 0);
    const events = rs.reduce((a, r) => Math.max(a, r.events), 0);
    const messages = [...new Set(rs.flatMap((r) => r.messages ?? []))].map((m) => m.replace(/^warning: /, ""));
    const result = RESULT(worst);
    // Outputs: in place once complete.
    const outs: string[] = [];
    for (let i = 0; i < f.outs.length; i++) {
      const tmp = f.jobs[i]!.outPath!;
      if ((rs[i]!.code === 0 || rs[i]!.code === 3) && existsSync(tmp)) {
        renameSync(tmp, f.outs[i]!);
        outs.push(f.outs[i]!);
      } else rmSync(tmp, { force: true });
    }
    let spooled: SpoolEntry | null = null;
    if (f.spoolFile !== null) {
      const tmp = f.spoolFile;
      const r = rs[rs.length - 1]!;
      if ((r.code === 0 || r.code === 3) && existsSync(tmp)) {
        const spans = countSpans(tmp);
        spooled = await this.spool.add(
          { path: f.c.path, sha256: f.sha, result, events, spans, accepted: 0, convertSeconds: (performance.now() - f.t0) / 1000, message: messages.join("; ") },
          async (file) => renameSync(tmp, file),
        );
        for (const d of this.spool.enforceBound()) {
          this.log.note("warn", `spool over --spool-max: dropped the spans of ${d.meta.path} (${d.meta.spans - d.meta.accepted} spans, the oldest waiting)`);
        }
      }
      rmSync(tmp, { force: true });
    }
    this.state.add({ path: f.c.path, size: f.c.size, mtimeMs: f.c.mtimeMs, dev: f.c.dev, ino: f.c.ino, sha256: f.sha, result, at: new Date().toISOString() });
    this.totals.files++;
    this.totals.events += events;
    if (result === "invalid") this.totals.failed++;
    this.afterwards(f.c.path);
    if (spooled !== null) {
      // The line comes once the backend has the spans.
      this.wake?.();
      return;
    }
    this.log.file({ file: f.c.path, result, events, spans: o.push !== null ? 0 : null, seconds: (performance.now() - f.t0) / 1000, outputs: outs, message: messages.join("; ") });
  }

  /** --delete-after / --move-to. */
  private afterwards(path: string): void {
    const o = this.o;
    try {
      if (o.moveTo !== null) {
        const dest = join(o.moveTo, relative(resolve(o.dir), resolve(path)));
        mkdirSync(join(dest, ".."), { recursive: true });
        try {
          renameSync(path, dest);
        } catch {
          copyFileSync(path, dest); // another file system
          rmSync(path);
        }
      } else if (o.deleteAfter) rmSync(path);
    } catch (e) {
      this.log.note("warn", `${path}: ${o.moveTo !== null ? "cannot move it" : "cannot delete it"}: ${(e as Error).message}`);
    }
  }

  /** Pushes spool entries, oldest first, backing off while the backend fails. */
  private async sendLoop(): Promise<void> {
    const o = this.o;
    let backoff = 1000;
    for (;;) {
      if (this.stopping) return;
      const e = this.spool.entries()[0];
      if (e === undefined) {
        if (this.onceDone) return;
        await new Promise<void>((r) => {
          this.wake = r;
          setTimeout(r, o.pollMs);
        });
        this.wake = null;
        continue;
      }
      const t0 = performance.now();
      const unsent = join(e.dir, "unsent.otlp.json");
      rmSync(unsent, { force: true });
      const before = e.meta.spans - e.meta.accepted;
      // Here, not in a worker: the push waits on the network, not the CPU.
      const r = await runHere({ arg: e.spans, format: o.push!, outPath: null, opts: { ...o.opts, output: unsent, quiet: true }, collect: false, capture: true });
      if (this.stopping) return;
      if (r.code === 0) {
        if (this.backendDown) this.log.note("info", `backend is back: sending the spool`);
        this.backendDown = false;
        backoff = 1000;
        this.spool.remove(e);
        this.totals.spans += e.meta.spans;
        this.log.file({
          file: e.meta.path,
          result: e.meta.result,
          events: e.meta.events,
          spans: e.meta.spans,
          seconds: e.meta.convertSeconds + (performance.now() - t0) / 1000,
          outputs: [],
          message: e.meta.message,
        });
        continue;
      }
      if (r.code === 2) {
        // A usage error (a bad endpoint...): retrying cannot help.
        this.log.note("error", `cannot push: ${(r.messages ?? []).join("; ")}`);
        this.fatal = 2;
        this.stop();
        return;
      }
      if (!existsSync(unsent)) {
        // Answered, but some spans refused for good (a partial success): retrying cannot help.
        this.spool.remove(e);
        this.totals.spans += e.meta.spans;
        this.log.file({ file: e.meta.path, result: "failed", events: e.meta.events, spans: e.meta.spans, seconds: e.meta.convertSeconds + (performance.now() - t0) / 1000, outputs: [], message: (r.messages ?? []).join("; ") });
        continue;
      }
      const left = countSpans(unsent);
      this.spool.keepUnsent(e, unsent, before - left);
      const why = (r.messages ?? []).find((m) => !m.startsWith("warning: export")) ?? `exit ${r.code}`;
      if (!this.backendDown || o.once) this.log.note("warn", `backend failed (${why.replace(/^warning: /, "")}); ${left} spans of ${basename(e.meta.path)} stay in the spool, retrying with backoff`);
      this.backendDown = true;
      if (o.once && this.onceDone) return;
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 60_000);
    }
  }
}
