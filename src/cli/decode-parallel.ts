// drive() with the decoding on a second core: a worker thread
// (decode-worker.ts) reads and decodes the trace file and writes its events in
// batches of numbers into a ring in shared memory; here they become Events
// again (one reused object, as the reader's) for the converter. The command
// uses it for every format when --threads allows (defaultThreads): the wall
// time comes down to the longer of decoding and converting, plus the handing
// over (which makes decoding alone slower: see README, Memory and speed).
// Files only (stdin and URLs use drive()).

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { DriveResult } from "../convert/drive.js";
import { TraceError } from "../decode/errors.js";
import { Event } from "../decode/event.js";
import { Generation } from "../decode/generation.js";
import { TraceReader, type ReaderStats } from "../decode/reader.js";
import { IdTable, StackTable } from "../decode/tables.js";
import { BATCH, COUNTS, CTRL_WORDS, FIELDS, HAS_STRS, READ, SLOTS, WRITTEN, type FromWorker, type GenData, type WorkerInput } from "./decode-protocol.js";

export interface ProgressInfo {
  bytesIn: number;
  stats: ReaderStats;
}

export interface ParallelOptions {
  salvage?: boolean;
  redact?: boolean;
  progress?: (p: ProgressInfo) => void;
}

/** A generation from the worker: its tables, with their classes back. */
function rehydrate(d: GenData): Generation {
  const g = Object.create(Generation.prototype) as Generation;
  Object.assign(g, d);
  Object.setPrototypeOf(g.strings, IdTable.prototype);
  Object.setPrototypeOf(g.stacks, StackTable.prototype);
  Object.setPrototypeOf(g.stacks.index, IdTable.prototype);
  return g;
}

/**
 * Threads for each of `concurrent` conversions running at once, by default:
 * a second one for decoding where the cores allow two for every conversion.
 */
export function defaultThreads(concurrent: number, cores = availableParallelism()): number {
  return cores >= 2 * concurrent ? 2 : 1;
}

/**
 * Decodes the trace file in a worker thread and calls onEvent for each event,
 * in order, as drive() does (the same events, result and errors). The reader
 * given to onEvent has the trace's version and time base, and at the end its
 * stats; it reads nothing itself.
 */
export async function driveFile(path: string, onEvent: (ev: Event, reader: TraceReader) => void | Promise<void>, opts: ParallelOptions = {}): Promise<DriveResult> {
  const ctrlBuf = new SharedArrayBuffer(4 * CTRL_WORDS);
  const ringBuf = new SharedArrayBuffer(8 * SLOTS * BATCH * FIELDS);
  const ctrl = new Int32Array(ctrlBuf);
  const ring = new Float64Array(ringBuf);
  const data: WorkerInput = { path, salvage: opts.salvage === true, redact: opts.redact === true, ctrl: ctrlBuf, ring: ringBuf };
  const worker = new Worker(new URL("./decode-worker.js", import.meta.url), { workerData: data });
  const gens: Generation[] = [];
  const reader = new TraceReader();
  const sides = new Map<number, Extract<FromWorker, { t: "side" }>>();
  let end: Extract<FromWorker, { t: "end" }> | null = null;
  let failure: Error | null = null;
  let exited = false;
  let notify: (() => void) | null = null;
  const wakeUp = () => {
    if (notify !== null) {
      const n = notify;
      notify = null;
      n();
    }
  };
  worker.on("message", (m: FromWorker) => {
    switch (m.t) {
      case "gen":
        gens[m.id] = rehydrate(m.gen);
        if (reader.version === 0) {
          reader.version = m.version;
          reader.timeBase = BigInt(m.timeBase);
        }
        break;
      case "side":
        sides.set(m.seq, m);
        break;
      case "progress":
        opts.progress?.({ bytesIn: m.bytes, stats: m.stats });
        break;
      case "end":
        end = m;
        break;
      case "fail": {
        const e = new Error(m.message) as NodeJS.ErrnoException;
        if (m.code !== null) e.code = m.code;
        e.stack = m.stack;
        failure = e;
        break;
      }
    }
    wakeUp();
  });
  worker.on("error", (e: Error) => {
    failure = e;
    wakeUp();
  });
  worker.on("exit", () => {
    exited = true;
    wakeUp();
  });
  /** Waits for a message, or for the written count to pass `count` (checked again after at most 50 ms). */
  const waitFor = async (count: number): Promise<void> => {
    const msg = new Promise<void>((res) => (notify = res));
    const w = waitAsync(ctrl, WRITTEN, count, 50);
    // Not waiting (the count already passed): let the messages in first (a macrotask, not a microtask loop).
    await Promise.race([msg, w.async ? (w.value as Promise<string>) : new Promise<void>((res) => setImmediate(res))]);
    notify = null;
  };
  const ev = new Event();
  let read = 0;
  try {
    for (;;) {
      if (failure !== null) throw failure;
      const written = Atomics.load(ctrl, WRITTEN);
      if (read === written) {
        const e = end as Extract<FromWorker, { t: "end" }> | null;
        if (e !== null && e.batches === read) {
          if (e.stats !== null) Object.assign(reader.stats, e.stats);
          const x = e.error;
          const error = x === null ? null : new TraceError(x.message, x.offset, x.truncated, x.io);
          return { reader, error, completeGenerations: e.completeGenerations, salvagedEvents: e.salvagedEvents };
        }
        if (exited) throw new Error("the decoding thread stopped unexpectedly");
        await waitFor(written);
        continue;
      }
      const slot = read % SLOTS;
      const n = Atomics.load(ctrl, COUNTS + slot);
      const base = slot * BATCH * FIELDS;
      // The tables and strings a batch refers to come as messages sent before it: let them arrive.
      const lastGen = ring[base + (n - 1) * FIELDS + 11]!;
      while (lastGen >= 0 && gens[lastGen] === undefined && failure === null) await waitFor(-1);
      if (!sides.has(read) && Atomics.load(ctrl, HAS_STRS + slot) === 1) {
        while (!sides.has(read) && failure === null) await waitFor(-1);
      }
      const side = sides.get(read);
      sides.delete(read);
      const ss = side?.strs;
      if (side !== undefined && side.strings.length > 0) {
        const table = gens[side.gen]!.strings;
        for (let i = 0; i < side.strings.length; i += 2) table.insert(side.strings[i] as number, side.strings[i + 1] as string);
      }
      let si = 0;
      for (let i = 0; i < n; i++) {
        const o = base + i * FIELDS;
        ev.type = ring[o]!;
        ev.time = ring[o + 1]!;
        ev.m = ring[o + 2]!;
        ev.p = ring[o + 3]!;
        ev.g = ring[o + 4]!;
        ev.a0 = ring[o + 5]!;
        ev.a1 = ring[o + 6]!;
        ev.a2 = ring[o + 7]!;
        ev.a3 = ring[o + 8]!;
        ev.aux = ring[o + 9]!;
        ev.offset = ring[o + 10]!;
        const gi = ring[o + 11]!;
        ev.gen = gi < 0 ? null : gens[gi]!;
        if (ss !== undefined && si < ss.length && ss[si] === i) {
          ev.str = ss[si + 1] as string;
          si += 2;
        } else ev.str = "";
        const p = onEvent(ev, reader);
        if (p !== undefined) await p;
      }
      read++;
      Atomics.store(ctrl, READ, read);
      Atomics.notify(ctrl, READ);
    }
  } finally {
    await worker.terminate();
  }
}

/** Atomics.waitAsync (Node 16+; not in TypeScript's ES2022 library). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string } }).waitAsync;
