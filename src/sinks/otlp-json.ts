// OTLP/HTTP JSON request bodies (ExportTraceServiceRequest in the protobuf
// JSON mapping: hex IDs, int64 as decimal strings), streamed as bytes
// (JsonBytes) with backpressure.

import type { SpanAttr, SpanRec } from "../convert/spans.js";
import type { BytesWriter } from "./chunks.js";
import { ascii, JsonBytes } from "./json-bytes.js";

export const SCOPE_NAME = "trace-convert";

/** SPAN_KIND_INTERNAL */
const KIND_INTERNAL = 1;
/** SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK, SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
/** W3C sampled. */
const SAMPLED = 1;

const F_TRACE_ID = ascii('{"traceId":"');
const F_SPAN_ID = ascii('","spanId":"');
const F_PARENT = ascii('","parentSpanId":"');
const F_FLAGS = ascii('","flags":');
const F_NAME = ascii(',"name":');
const F_KIND = ascii(`,"kind":${KIND_INTERNAL},"startTimeUnixNano":"`);
const F_END = ascii('","endTimeUnixNano":"');
const F_ATTRS = ascii('","attributes":');
const F_EVENTS = ascii(',"events":[');
const F_EV_TIME = ascii('{"timeUnixNano":"');
const F_EV_NAME = ascii('","name":');
const F_EV_ATTRS = ascii(',"attributes":');
const F_DROPPED = ascii(',"droppedEventsCount":');
const F_STATUS = ascii(',"status":{}}');
const F_STRING = ascii('{"stringValue":');
const F_INT = ascii('{"intValue":"');
const F_DOUBLE = ascii('{"doubleValue":');
const F_TRUE = ascii('{"boolValue":true}');
const F_FALSE = ascii('{"boolValue":false}');

/** Attribute keys are few and fixed: the bytes of `{"key":K,"value":` are made once each. */
const keyPrefix = new Map<string, Uint8Array>();

function keyBytes(k: string): Uint8Array {
  let b = keyPrefix.get(k);
  if (b === undefined) {
    b = ascii(`{"key":${JSON.stringify(k)},"value":`);
    if (keyPrefix.size < 1000) keyPrefix.set(k, b);
  }
  return b;
}

/** Writes OTLP JSON values: spans, attributes. */
class OtlpJsonBytes extends JsonBytes {
  protected attrs(attrs: readonly SpanAttr[]): void {
    this.byte(91); // [
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      if (i > 0) this.byte(44);
      this.bytes(keyBytes(a.key));
      const v = a.value;
      switch (typeof v) {
        case "string":
          this.bytes(F_STRING);
          this.str(v);
          this.byte(125);
          break;
        case "boolean":
          this.bytes(v ? F_TRUE : F_FALSE);
          break;
        default:
          if (Number.isInteger(v)) {
            this.bytes(F_INT);
            this.raw(String(v));
            this.byte(34);
            this.byte(125);
          } else {
            this.bytes(F_DOUBLE);
            this.raw(String(Number.isFinite(v) ? v : 0));
            this.byte(125);
          }
      }
      this.byte(125);
    }
    this.byte(93); // ]
  }

  protected span(sp: SpanRec): void {
    this.bytes(F_TRACE_ID);
    this.raw(sp.traceId);
    this.bytes(F_SPAN_ID);
    this.raw(sp.spanId);
    if (sp.parentSpanId !== "") {
      this.bytes(F_PARENT);
      this.raw(sp.parentSpanId);
    }
    this.bytes(F_FLAGS);
    this.num(SAMPLED | HAS_IS_REMOTE | (sp.parentRemote ? IS_REMOTE : 0));
    this.bytes(F_NAME);
    this.str(sp.name);
    this.bytes(F_KIND);
    this.raw(String(sp.start));
    this.bytes(F_END);
    this.raw(String(sp.end));
    this.bytes(F_ATTRS);
    this.attrs(sp.attrs);
    if (sp.events.length > 0) {
      this.bytes(F_EVENTS);
      for (let i = 0; i < sp.events.length; i++) {
        const e = sp.events[i]!;
        if (i > 0) this.byte(44);
        this.bytes(F_EV_TIME);
        this.raw(String(e.time));
        this.bytes(F_EV_NAME);
        this.str(e.name);
        this.bytes(F_EV_ATTRS);
        this.attrs(e.attrs);
        this.byte(125);
      }
      this.byte(93);
    }
    if (sp.droppedEvents > 0) {
      this.bytes(F_DROPPED);
      this.num(sp.droppedEvents);
    }
    this.bytes(F_STATUS);
  }
}

/** One span as OTLP JSON text (for tests and messages; the writer below streams bytes). */
export function spanJson(sp: SpanRec): string {
  const dec = new TextDecoder();
  let text = "";
  const w = new (class extends OtlpJsonBytes {
    one(s: SpanRec): void {
      this.span(s);
      this.spill(0);
    }
  })({ write: (b) => void (text += dec.decode(b, { stream: true })) });
  w.one(sp);
  return text + dec.decode();
}

/**
 * Streams one ExportTraceServiceRequest: spans are written as they come, a
 * new resourceSpans entry every `perResource` spans (so no part of the body
 * grows with the trace).
 */
export class OtlpJsonWriter extends OtlpJsonBytes {
  private inResource = 0;
  private started = false;
  private readonly resourceHead: Uint8Array;
  private readonly resourceAttrs: readonly SpanAttr[];
  /** Spans written. */
  count = 0;

  constructor(
    out: BytesWriter,
    resourceAttrs: readonly SpanAttr[],
    scopeVersion: string,
    private readonly perResource = 1000,
  ) {
    super(out);
    this.resourceAttrs = resourceAttrs;
    this.resourceHead = ascii(`{"resource":{"attributes":`);
    this.scopeHead = ascii(`},"scopeSpans":[{"scope":{"name":"${SCOPE_NAME}","version":${JSON.stringify(scopeVersion)}},"spans":[`);
  }

  private readonly scopeHead: Uint8Array;

  private resource(): void {
    this.bytes(this.resourceHead);
    this.attrs(this.resourceAttrs);
    this.bytes(this.scopeHead);
  }

  add(sp: SpanRec): Promise<void> | void {
    if (!this.started) {
      this.started = true;
      this.raw(`{"resourceSpans":[`);
      this.resource();
    } else if (this.inResource >= this.perResource) {
      this.inResource = 0;
      this.raw("]}]},");
      this.resource();
    } else {
      this.byte(44);
    }
    this.inResource++;
    this.count++;
    this.span(sp);
    return this.flushChunk();
  }

  /** Writes the closing brackets (or an empty request when there was no span) and everything left. */
  end(): Promise<void> {
    this.raw(this.started ? "]}]}]}\n" : `{"resourceSpans":[]}\n`);
    return this.flushAll();
  }
}
