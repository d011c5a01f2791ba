// What decode-worker.ts (decoding a trace file in a worker thread) and
// decode-parallel.ts (converting its events on the main thread) share: a
// ring of event batches in shared memory, and messages for the rest.

import type { ReaderStats } from "../decode/reader.js";
import type { IdTable, StackTable } from "../decode/tables.js";

/** Events per batch, batches in the ring, and numbers per event (Event's fields; see decode-worker.ts). */
export const BATCH = 1 << 13;
export const SLOTS = 8;
export const FIELDS = 12;
/** The control words: batches written and read so far (Int32), the events in each slot, and whether a slot's batch has a "side" message. */
export const WRITTEN = 0;
export const READ = 1;
export const COUNTS = 2;
export const HAS_STRS = COUNTS + SLOTS;
export const CTRL_WORDS = HAS_STRS + SLOTS;

export interface WorkerInput {
  path: string;
  salvage: boolean;
  redact: boolean;
  /** Int32 control words (CTRL_WORDS of them). */
  ctrl: SharedArrayBuffer;
  /** SLOTS * BATCH * FIELDS float64s. */
  ring: SharedArrayBuffer;
}

/** What the converters read of a Generation (its tables travel by structured clone, then get their classes back). */
export interface GenData {
  gen: number;
  freq: number;
  strings: IdTable<string>;
  stacks: StackTable;
  hasClockSnapshot: boolean;
  snapTime: number;
  snapMono: number;
  snapSec: number;
  snapNsec: number;
  fileOffset: number;
  timeBase: number;
  redacted: boolean;
  damaged: boolean;
}

export interface TraceErrorData {
  message: string;
  offset: number;
  truncated: boolean;
  io: boolean;
}

export type FromWorker =
  /** A generation's tables, before its first event; with the reader's version and time base (a decimal bigint). */
  | { t: "gen"; id: number; gen: GenData; version: number; timeBase: string }
  /**
   * What batch `seq` needs besides its numbers: the `str` of its events that
   * have one (a task end's type, an old trace's log message: event index,
   * string), and strings added to generation `gen`'s table since it was sent
   * (an old trace's strings come as its events are converted: id, string).
   */
  | { t: "side"; seq: number; strs: (number | string)[]; gen: number; strings: (number | string)[] }
  | { t: "progress"; bytes: number; stats: ReaderStats }
  /** After the last batch is in the ring. */
  | { t: "end"; batches: number; error: TraceErrorData | null; completeGenerations: number; salvagedEvents: number; stats: ReaderStats | null; bytes: number }
  | { t: "fail"; message: string; stack: string; code: string | null };
