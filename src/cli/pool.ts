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
 * Runs `jobs` on `n` workers (in order of the list; results in the same order).
 * `inProcess` runs one job here instead (used when a pool is not worth it).
 */
export async function runJobs(jobs: Job[], n: number, inProcess: (j: Job) => Promise<JobResult> = runHere): Promise<JobResult[]> {
  const results: JobResult[] = new Array(jobs.length);
  if (n <= 1 || jobs.length <= 1) {
    for (let i = 0; i < jobs.length; i++) results[i] = await inProcess(jobs[i]!);
    return results;
  }
  let next = 0;
  const one = async () => {
    const w = new Worker(new URL("./worker.js", import.meta.url));
    try {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await new Promise<JobResult>((resolve, reject) => {
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
          w.postMessage(jobs[i]);
        });
      }
    } finally {
      await w.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, () => one()));
  return results;
}
