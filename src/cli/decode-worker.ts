// The decoding half of decode-parallel.ts, in a worker thread: reads the
// trace file, decodes it (drive()), and writes its events into a ring of
// batches in shared memory (the fields of each Event as numbers); each
// generation's string and stack tables go as a message before its first
// event. When the ring is full, the worker waits for the main thread.

import { createReadStream } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { drive } from "../convert/drive.js";
import type { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import type { TraceReader } from "../decode/reader.js";
import { TraceError } from "../decode/errors.js";
import { BATCH, COUNTS, FIELDS, HAS_STRS, READ, SLOTS, WRITTEN, type FromWorker, type WorkerInput } from "./decode-protocol.js";

const port = parentPort!;
const input = workerData as WorkerInput;
const ctrl = new Int32Array(input.ctrl);
const ring = new Float64Array(input.ring);

/** Batches written so far; the slot being filled is written % SLOTS. */
let written = 0;
let nums = ring.subarray(0, BATCH * FIELDS);
let n = 0;
/** Event index and its `str` (a task end's type, an old trace's log message). */
let strs: (number | string)[] = [];
let lastGen: Generation | null = null;
let genId = -1;

function post(m: FromWorker): void {
  port.postMessage(m);
}

/** The strings of the current generation sent so far: how many, and the largest id. */
let sentStrings = 0;
let sentMaxId = 0;

/** Strings added to the current generation's table since it was sent (id, string). */
function newStrings(): (number | string)[] {
  const g = lastGen;
  if (g === null || g.strings.size === sentStrings) return [];
  const want = g.strings.size - sentStrings;
  const out: (number | string)[] = [];
  // Added strings take the next ids (an old trace's converter numbers them on): look there first.
  for (let id = sentMaxId + 1; out.length < 2 * want && id <= sentMaxId + want; id++) {
    const v = g.strings.get(id);
    if (v !== undefined) out.push(id, v);
  }
  if (out.length < 2 * want) {
    out.length = 0;
    g.strings.forEach((id, v) => void out.push(id, v));
  }
  for (let i = 0; i < out.length; i += 2) sentMaxId = Math.max(sentMaxId, out[i] as number);
  sentStrings = g.strings.size;
  return out;
}

/** Publishes the batch being filled, and waits for a free slot for the next one. */
function sendBatch(): void {
  if (n === 0) return;
  const added = newStrings();
  const side = strs.length > 0 || added.length > 0;
  if (side) post({ t: "side", seq: written, strs, gen: genId, strings: added });
  Atomics.store(ctrl, HAS_STRS + (written % SLOTS), side ? 1 : 0);
  Atomics.store(ctrl, COUNTS + (written % SLOTS), n);
  written++;
  Atomics.store(ctrl, WRITTEN, written);
  Atomics.notify(ctrl, WRITTEN);
  n = 0;
  strs = [];
  // The main thread is SLOTS batches behind: wait (a worker may block).
  for (;;) {
    const read = Atomics.load(ctrl, READ);
    if (written - read < SLOTS) break;
    Atomics.wait(ctrl, READ, read);
  }
  const slot = written % SLOTS;
  nums = ring.subarray(slot * BATCH * FIELDS, (slot + 1) * BATCH * FIELDS);
}

function onEvent(ev: Event, r: TraceReader): Promise<void> | undefined {
  const g = ev.gen;
  if (g !== lastGen) {
    if (n > 0) sendBatch(); // a batch's strings are those of one generation
    lastGen = g;
    if (g !== null) {
      // The tables are complete before a generation's first event (the reader reads a generation
      // whole), but for an old trace's strings, sent with the batches that use them (newStrings).
      genId++;
      sentStrings = g.strings.size;
      sentMaxId = 0;
      g.strings.forEach((id) => void (sentMaxId = Math.max(sentMaxId, id)));
      post({
        t: "gen",
        id: genId,
        version: r.version,
        timeBase: r.timeBase.toString(),
        gen: {
          gen: g.gen,
          freq: g.freq,
          strings: g.strings,
          stacks: g.stacks,
          hasClockSnapshot: g.hasClockSnapshot,
          snapTime: g.snapTime,
          snapMono: g.snapMono,
          snapSec: g.snapSec,
          snapNsec: g.snapNsec,
          fileOffset: g.fileOffset,
          timeBase: g.timeBase,
          redacted: g.redacted,
          damaged: g.damaged,
        },
      });
    }
  }
  const o = n * FIELDS;
  nums[o] = ev.type;
  nums[o + 1] = ev.time;
  nums[o + 2] = ev.m;
  nums[o + 3] = ev.p;
  nums[o + 4] = ev.g;
  nums[o + 5] = ev.a0;
  nums[o + 6] = ev.a1;
  nums[o + 7] = ev.a2;
  nums[o + 8] = ev.a3;
  nums[o + 9] = ev.aux;
  nums[o + 10] = ev.offset;
  nums[o + 11] = g === null ? -1 : genId;
  if (ev.str !== "") strs.push(n, ev.str);
  if (++n === BATCH) sendBatch();
  return undefined;
}

try {
  const res = await drive(createReadStream(input.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>, onEvent, {
    salvage: input.salvage,
    redact: input.redact,
    progress: (r) => post({ t: "progress", bytes: r.bytesIn, stats: { ...r.stats } }),
  });
  sendBatch();
  const e = res.error;
  post({
    t: "end",
    batches: written,
    error: e === null ? null : { message: e.message, offset: e.offset, truncated: e.truncated, io: e.io },
    completeGenerations: res.completeGenerations,
    salvagedEvents: res.salvagedEvents ?? 0,
    stats: { ...res.reader.stats },
    bytes: res.reader.bytesIn,
  });
} catch (e) {
  sendBatch();
  if (e instanceof TraceError) post({ t: "end", batches: written, error: { message: e.message, offset: e.offset, truncated: e.truncated, io: e.io }, completeGenerations: 0, salvagedEvents: 0, stats: null, bytes: 0 });
  else post({ t: "fail", message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? (e.stack ?? "") : "", code: (e as NodeJS.ErrnoException).code ?? null });
}
