// The text form of events that `go tool trace -d=parsed` prints (Go's
// trace.Event.String), byte for byte.

import { Event } from "../decode/event.js";
import type { Generation } from "../decode/generation.js";
import {
  Kind,
  KIND_NAMES,
  GO_STATE_NAMES,
  PROC_STATE_NAMES,
  ResourceKind,
  RESOURCE_KIND_NAMES,
} from "../decode/spec.js";
import { goQuote } from "../decode/strings.js";
import { formatU64 } from "../decode/varint.js";

function resource(kind: number, id: number): string {
  return kind === ResourceKind.None ? "None" : `${RESOURCE_KIND_NAMES[kind]}(${id})`;
}

function value(v: number): string {
  return `Value{Uint64(${formatU64(v)})}`;
}

function hexPC(pc: number): string {
  return pc === -1 ? "ffffffffffffffff" : pc.toString(16);
}

const stackCache = new WeakMap<Generation, Map<number, string>>();

/** Frames of a stack, each as "\t<func> @ 0x<pc>\n\t\t<file>:<line>\n". */
function stackText(gen: Generation | null, id: number): string {
  if (gen === null || id <= 0) return "";
  let m = stackCache.get(gen);
  if (m === undefined) stackCache.set(gen, (m = new Map()));
  let s = m.get(id);
  if (s !== undefined) return s;
  s = "";
  for (const f of gen.stackFrames(id)) {
    s += `\t${f.func} @ 0x${hexPC(f.pc)}\n\t\t${f.file}:${formatU64(f.line)}\n`;
  }
  m.set(id, s);
  return s;
}

const pad2 = (n: number) => (n < 10 ? "0" : "") + n;

/** time.Unix(sec, nsec).Format(time.RFC3339Nano) in the local time zone. */
export function formatWall(sec: number, nsec: number): string {
  sec += Math.floor(nsec / 1e9);
  nsec = nsec % 1e9;
  const offMin = -new Date(sec * 1000).getTimezoneOffset();
  const d = new Date((sec + offMin * 60) * 1000);
  const y = d.getUTCFullYear();
  let s = `${y < 1000 ? String(y).padStart(4, "0") : y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  if (nsec !== 0) s += "." + String(nsec).padStart(9, "0").replace(/0+$/, "");
  if (offMin === 0) return s + "Z";
  const a = Math.abs(offMin);
  return s + (offMin < 0 ? "-" : "+") + pad2(Math.floor(a / 60)) + ":" + pad2(a % 60);
}

/** One event as Go's Event.String() renders it (without the final newline). */
export function formatEvent(ev: Event, timeBase: bigint): string {
  const time = timeBase === 0n ? String(ev.time) : String(timeBase + BigInt(ev.time));
  const kind = ev.kind;
  let s = `M=${ev.m} P=${ev.p} G=${ev.g} ${KIND_NAMES[kind]} Time=${time}`;
  switch (kind) {
    case Kind.Metric:
      s += ` Name=${goQuote(ev.metricName())} Value=${value(ev.metricValue())}`;
      break;
    case Kind.Label:
      s += ` Label=${goQuote(ev.label())} Resource=${resource(ResourceKind.Goroutine, ev.g)}`;
      break;
    case Kind.RangeBegin:
    case Kind.RangeActive:
    case Kind.RangeEnd:
      s += ` Name=${goQuote(ev.rangeName())} Scope=${resource(ev.rangeScopeKind(), ev.rangeScopeID())}`;
      if (kind === Kind.RangeEnd) {
        s += " Attributes=[" + ev.rangeAttributes().map((a) => `${goQuote(a.name)}=${value(a.value)}`).join(" ") + "]";
      }
      break;
    case Kind.TaskBegin:
    case Kind.TaskEnd:
      s += ` ID=${formatU64(ev.taskID())} Parent=${formatU64(ev.taskParent())} Type=${goQuote(ev.taskType())}`;
      break;
    case Kind.RegionBegin:
    case Kind.RegionEnd:
      s += ` Task=${formatU64(ev.regionTask())} Type=${goQuote(ev.regionType())}`;
      break;
    case Kind.Log:
      s += ` Task=${formatU64(ev.logTask())} Category=${goQuote(ev.logCategory())} Message=${goQuote(ev.logMessage())}`;
      break;
    case Kind.StateTransition: {
      const rk = ev.transitionResourceKind();
      const names = rk === ResourceKind.Goroutine ? GO_STATE_NAMES : PROC_STATE_NAMES;
      const from = names[ev.transitionFrom()] ?? "Bad";
      const to = names[ev.transitionTo()] ?? "Bad";
      s += `${rk === ResourceKind.Goroutine ? " GoID=" : " ProcID="}${ev.transitionResource()} ${from}->${to}`;
      s += ` Reason=${goQuote(ev.transitionReason())}`;
      const ts = ev.transitionStackID();
      if (ts >= 0) s += "\nTransitionStack=\n" + stackText(ev.gen, ts);
      break;
    }
    case Kind.Experimental: {
      const names = ev.experimentalArgNames();
      s += ` Name=${ev.experimentalName()} Args=[`;
      for (let i = 0; i < names.length; i++) {
        if (i !== 0) s += ", ";
        const n = names[i]!;
        s += `${n}=${n.endsWith("string") ? ev.string(ev.arg(i)) : value(ev.arg(i))}`;
      }
      s += "]";
      break;
    }
    case Kind.Sync: {
      s += ` N=${ev.syncN()}`;
      const cs = ev.clockSnapshot();
      if (cs !== null) {
        const t = timeBase === 0n ? String(cs.trace) : String(timeBase + BigInt(cs.trace));
        s += ` Trace=${t} Mono=${formatU64(cs.mono)} Wall=${formatWall(cs.sec, cs.nsec)}`;
      }
      break;
    }
  }
  const st = ev.stackID();
  if (st >= 0) s += "\nStack=\n" + stackText(ev.gen, st);
  return s;
}
