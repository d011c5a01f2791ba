// Conversions of several inputs spread over worker threads, one input at a
// time per worker (each holds one generation of its input: memory is flat per
// worker). Messages a worker prints go to this process's stderr as they come.

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { SummaryParts } from "../convert/summary.js";
import type { Options } from "./options.js";

export interface Job {
  arg: string;
  format: string;
  outPath: string | null;
  opts: Options;
  /** Return the summary's parts instead of writing (several inputs combined). */
  collect: boolean;
  /** Return the messages instead of printing them. */
  capture?: boolean;
}

export interface JobResult {
  code: number;
  /** With `collect`: the parts, or null when nothing was decoded. */
  part: SummaryParts | null;
  /** Events decoded. */
  events: number;
  /** Files the format wrote itself (--split parts), in order. */
  files: string[];
  /** With `capture`: the messages (each a line, without "trace-convert: "). */
  messages?: string[];
}

/** Runs a job here, capturing its messages when it asks to. */
export async function runHere(j: Job): Promise<JobResult> {
  const { convertOne } = await import("./main.js");
  if (j.capture !== true) return convertOne(j.arg, j.format, j.outPath, j.opts, j.collect);
  const messages: string[] = [];
  const r = await convertOne(j.arg, j.format, j.outPath, j.opts, j.collect, (m) => messages.push(m));
  return { ...r, messages };
}

/** The default number of workers: one per core. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Worker threads that run jobs, each one job at a time; started when first
 * needed and kept for the next jobs (a worker costs ~0.1-0.3 s to start and
 * load the command's modules). With one worker, jobs run here instead.
 */
export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private started = 0;

  constructor(readonly size: number) {}

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    if (w !== undefined) return Promise.resolve(w);
    if (this.started < this.size) {
      this.started++;
      return Promise.resolve(new Worker(new URL("./worker.js", import.meta.url)));
    }
    return new Promise((r) => this.waiting.push(r));
  }

  private release(w: Worker): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(w);
    else this.idle.push(w);
  }

  /** Jobs run here (a pool of one) one after the other: this chain. */
  private here: Promise<unknown> = Promise.resolve();

  async run(job: Job): Promise<JobResult> {
    if (this.size <= 1) {
      const r = this.here.then(() => runHere(job));
      this.here = r.catch(() => undefined);
      return r;
    }
    const w = await this.acquire();
    try {
      const r = await new Promise<JobResult>((resolve, reject) => {
        const onMsg = (r: JobResult) => {
          w.off("error", onErr);
          resolve(r);
        };
        const onErr = (e: Error) => {
          w.off("message", onMsg);
          reject(e);
        };
        w.once("message", onMsg);
        w.once("error", onErr);
        w.postMessage(job);
      });
      this.release(w);
      return r;
    } catch (e) {
      // A worker that failed is not reused.
      this.started--;
      void w.terminate();
      throw e;
    }
  }

  /** Stops the idle workers (call once no job runs). */
  async close(): Promise<void> {
    const ws = this.idle.splice(0);
    this.started -= ws.length;
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** Runs `jobs` on up to `n` workers (results in the order of the list). */
export async function runJobs(jobs: Job[], n: number): Promise<JobResult[]> {
  const pool = new WorkerPool(jobs.length <= 1 ? 1 : Math.min(n, jobs.length));
  try {
    return await Promise.all(jobs.map((j) => pool.run(j)));
  } finally {
    await pool.close();
  }
}
