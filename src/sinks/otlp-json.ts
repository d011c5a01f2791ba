// OTLP/HTTP JSON request bodies (ExportTraceServiceRequest in the protobuf
// JSON mapping: hex IDs, int64 as decimal strings), written piecewise.

import type { SpanAttr, SpanRec } from "../convert/spans.js";

export const SCOPE_NAME = "trace-convert";

/** SPAN_KIND_INTERNAL */
const KIND_INTERNAL = 1;
/** SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK, SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
/** W3C sampled. */
const SAMPLED = 1;

function valueJson(v: SpanAttr["value"]): string {
  switch (typeof v) {
    case "string":
      return `{"stringValue":${JSON.stringify(v)}}`;
    case "boolean":
      return `{"boolValue":${v}}`;
    default:
      return Number.isInteger(v) ? `{"intValue":"${v}"}` : `{"doubleValue":${Number.isFinite(v) ? v : 0}}`;
  }
}

// Attribute keys are few and fixed: their JSON prefix is made once.
const keyPrefix = new Map<string, string>();

export function attrsJson(attrs: readonly SpanAttr[]): string {
  let s = "[";
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    let k = keyPrefix.get(a.key);
    if (k === undefined) {
      k = `{"key":${JSON.stringify(a.key)},"value":`;
      if (keyPrefix.size < 1000) keyPrefix.set(a.key, k);
    }
    if (i > 0) s += ",";
    s += k + valueJson(a.value) + "}";
  }
  return s + "]";
}

/** One span as OTLP JSON. */
export function spanJson(sp: SpanRec): string {
  let s = `{"traceId":"${sp.traceId}","spanId":"${sp.spanId}"`;
  if (sp.parentSpanId !== "") s += `,"parentSpanId":"${sp.parentSpanId}"`;
  s += `,"flags":${SAMPLED | HAS_IS_REMOTE | (sp.parentRemote ? IS_REMOTE : 0)}`;
  s += `,"name":${JSON.stringify(sp.name)},"kind":${KIND_INTERNAL}`;
  s += `,"startTimeUnixNano":"${sp.start}","endTimeUnixNano":"${sp.end}"`;
  s += `,"attributes":${attrsJson(sp.attrs)}`;
  if (sp.events.length > 0) {
    s += `,"events":[`;
    for (let i = 0; i < sp.events.length; i++) {
      const e = sp.events[i]!;
      if (i > 0) s += ",";
      s += `{"timeUnixNano":"${e.time}","name":${JSON.stringify(e.name)},"attributes":${attrsJson(e.attrs)}}`;
    }
    s += "]";
  }
  if (sp.droppedEvents > 0) s += `,"droppedEventsCount":${sp.droppedEvents}`;
  return s + `,"status":{}}`;
}

export interface JsonSink {
  write(s: string): Promise<void> | void;
}

/**
 * Streams one ExportTraceServiceRequest: spans are written as they come, a
 * new resourceSpans entry every `perResource` spans (so no part of the body
 * grows with the trace).
 */
export class OtlpJsonWriter {
  private inResource = 0;
  private started = false;
  private readonly resourceHead: string;
  /** Spans written. */
  count = 0;

  constructor(
    private readonly out: JsonSink,
    resourceAttrs: readonly SpanAttr[],
    scopeVersion: string,
    private readonly perResource = 1000,
  ) {
    this.resourceHead =
      `{"resource":{"attributes":${attrsJson(resourceAttrs)}},"scopeSpans":[{"scope":{"name":"${SCOPE_NAME}","version":${JSON.stringify(scopeVersion)}},"spans":[`;
  }

  add(sp: SpanRec): Promise<void> | void {
    let s: string;
    if (!this.started) {
      this.started = true;
      s = `{"resourceSpans":[` + this.resourceHead;
    } else if (this.inResource >= this.perResource) {
      this.inResource = 0;
      s = "]}]}," + this.resourceHead;
    } else {
      s = ",";
    }
    this.inResource++;
    this.count++;
    return this.out.write(s + spanJson(sp));
  }

  /** Writes the closing brackets (or an empty request when there was no span). */
  end(): Promise<void> | void {
    return this.out.write(this.started ? "]}]}]}\n" : `{"resourceSpans":[]}\n`);
  }
}
