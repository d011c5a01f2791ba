// What the Perfetto outputs must hold, counted from the decoder's events (the
// events `go tool trace -d=parsed` prints), independently of the converter:
// one run slice per stay of a goroutine on a P, one state slice per blocked
// or syscall interval, one slice per task and region, one instant per log and
// CPU sample, one arrow per unblock or creation whose goroutine then runs
// (and per task ended in another run than the one that began it).
// Shared by perfetto.test.ts (our own decoding of the outputs) and
// perfetto-tp.test.ts (Perfetto's trace processor).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TimelineConverter, type TimelineOptions } from "../src/convert/timeline.js";
import { TraceError } from "../src/decode/errors.js";
import type { Event } from "../src/decode/event.js";
import { TraceReader } from "../src/decode/reader.js";
import { Ev, GoState, Kind, ProcState, ResourceKind } from "../src/decode/spec.js";
import { PerfettoProtoSink } from "../src/sinks/perfetto-proto.js";
import { TraceJsonSink } from "../src/sinks/trace-json.js";
import { FIXTURES, loadManifest, type ManifestEntry } from "./helpers.js";

export interface Counts {
  /** Slices on the Proc tracks: a goroutine from when it starts running on a P until it stops, blocks, ends or loses the P. */
  runs: number;
  /** "blocked: <reason>" and "syscall" slices on goroutine lanes. */
  states: number;
  tasks: number;
  regions: number;
  logs: number;
  /** CPU samples (instants). */
  samples: number;
  /** Arrows (unblock, go, task). */
  flows: number;
}

export const ALL: TimelineOptions = { start: null, end: null, goroutine: null, tasks: null, goroutines: null, annotationsOnly: false };

/** Decodes a trace; calls fn per event. Returns the error that stopped it, if any. */
export function decode(bytes: Uint8Array, fn: (ev: Event) => void): TraceError | null {
  const r = new TraceReader();
  try {
    r.push(bytes);
    r.end();
    for (let ev = r.next(); ev !== null; ev = r.next()) fn(ev);
  } catch (e) {
    if (e instanceof TraceError) return e;
    throw e;
  }
  return null;
}

/** The counts for the default options. */
export function expectedCounts(bytes: Uint8Array): { counts: Counts; error: TraceError | null } {
  const c: Counts = { runs: 0, states: 0, tasks: 0, regions: 0, logs: 0, samples: 0, flows: 0 };
  const gState = new Map<number, number>();
  const pState = new Map<number, number>();
  /** Goroutines on a P, and the serial of their current run. */
  const run = new Map<number, number>();
  const pOwner = new Map<number, number>();
  let serial = 0;
  /** An arrow waiting for its goroutine's next run. */
  const pendingFlow = new Set<number>();
  const tasks = new Set<number>();
  const taskSrc = new Map<number, { g: number; serial: number }>();
  const regionDepth = new Map<number, number>();
  const endRun = (g: number) => {
    run.delete(g);
    for (const [p, o] of pOwner) if (o === g) pOwner.delete(p);
  };
  const error = decode(bytes, (ev) => {
    switch (ev.kind) {
      case Kind.StateTransition: {
        if (ev.transitionResourceKind() !== ResourceKind.Goroutine) {
          const p = ev.transitionResource();
          const to = ev.transitionTo();
          if ((pState.get(p) ?? ProcState.Undetermined) === to) break;
          pState.set(p, to);
          const o = pOwner.get(p);
          if (to !== ProcState.Running && o !== undefined) endRun(o);
          break;
        }
        const id = ev.transitionResource();
        const to = ev.transitionTo();
        const from = gState.get(id) ?? GoState.Undetermined;
        if (from === to && to !== GoState.NotExist) break;
        gState.set(id, to);
        if (run.has(id) && to !== GoState.Running && to !== GoState.Syscall) endRun(id);
        if ((ev.type === Ev.GoUnblock || ev.transitionFrom() === GoState.NotExist) && ev.g >= 0 && ev.g !== id && run.has(ev.g)) pendingFlow.add(id);
        if (to === GoState.Running && !run.has(id) && ev.p >= 0) {
          const o = pOwner.get(ev.p);
          if (o !== undefined && o !== id) endRun(o);
          run.set(id, ++serial);
          pOwner.set(ev.p, id);
          c.runs++;
          if (pendingFlow.delete(id)) c.flows++;
        }
        if (to === GoState.Waiting || to === GoState.Syscall) c.states++;
        if (to === GoState.NotExist) {
          pendingFlow.delete(id);
          gState.delete(id);
        }
        break;
      }
      case Kind.TaskBegin: {
        tasks.add(ev.taskID());
        const r = run.get(ev.g);
        if (r !== undefined) taskSrc.set(ev.taskID(), { g: ev.g, serial: r });
        break;
      }
      case Kind.TaskEnd: {
        tasks.add(ev.taskID());
        const src = taskSrc.get(ev.taskID());
        const r = run.get(ev.g);
        if (src !== undefined && r !== undefined && !(src.g === ev.g && src.serial === r)) c.flows++;
        taskSrc.delete(ev.taskID());
        break;
      }
      case Kind.RegionBegin:
        c.regions++;
        regionDepth.set(ev.g, (regionDepth.get(ev.g) ?? 0) + 1);
        break;
      case Kind.RegionEnd: {
        const d = regionDepth.get(ev.g) ?? 0;
        if (d === 0) c.regions++; // began before the trace
        else regionDepth.set(ev.g, d - 1);
        break;
      }
      case Kind.Log:
        c.logs++;
        break;
      case Kind.StackSample:
        if (ev.g >= 0 || ev.p >= 0) c.samples++;
        break;
    }
  });
  c.tasks = tasks.size;
  return { counts: c, error };
}

export async function toJson(bytes: Uint8Array, opts: TimelineOptions = ALL): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const conv = new TimelineConverter(new TraceJsonSink({ write: (b) => void parts.push(b.slice()) }), opts);
  decode(bytes, (ev) => void conv.onEvent(ev));
  await conv.finish();
  return Buffer.concat(parts);
}

export async function toProto(bytes: Uint8Array, opts: TimelineOptions = ALL, internMax?: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  // The sink reuses a buffer once the promise of its write resolves: keep copies.
  const conv = new TimelineConverter(new PerfettoProtoSink({ write: (b) => void parts.push(b.slice()) }, internMax), opts);
  decode(bytes, (ev) => void conv.onEvent(ev));
  await conv.finish();
  return Buffer.concat(parts);
}

/** Every fixture the decoder reads (old formats included), with its bytes. */
export function fixtures(): { e: ManifestEntry; where: string; bytes: Uint8Array }[] {
  return loadManifest().map((e) => ({ e, where: `${e.dir}/${e.name}`, bytes: readFileSync(join(FIXTURES, e.trace)) }));
}
