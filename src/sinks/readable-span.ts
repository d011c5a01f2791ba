// The span model (SpanRec) as the OpenTelemetry SDK's ReadableSpan, which the
// official exporters (OTLP http/json, http/protobuf, gRPC, Zipkin) take.

import { SpanKind, type HrTime } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base";
import type { SpanAttr, SpanRec } from "../convert/spans.js";
import { SCOPE_NAME } from "./otlp-json.js";

function hr(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

export function attrObject(attrs: readonly SpanAttr[]): Record<string, string | number | boolean> {
  const o: Record<string, string | number | boolean> = Object.create(null) as Record<string, string | number | boolean>;
  for (const a of attrs) o[a.key] = a.value;
  return o;
}

function readable(s: SpanRec, resource: Resource, scopeVersion: string, start: bigint, duration: bigint, events: TimedEvent[]): ReadableSpan {
  const ctx = { traceId: s.traceId, spanId: s.spanId, traceFlags: 1 };
  return {
    name: s.name,
    kind: SpanKind.INTERNAL,
    spanContext: () => ctx,
    parentSpanContext: s.parentSpanId === "" ? undefined : { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: 1, isRemote: s.parentRemote },
    startTime: hr(start),
    endTime: hr(start + duration),
    status: { code: 0 },
    attributes: attrObject(s.attrs),
    links: [],
    events,
    duration: hr(duration),
    ended: true,
    resource,
    instrumentationScope: { name: SCOPE_NAME, version: scopeVersion },
    droppedAttributesCount: 0,
    droppedEventsCount: s.droppedEvents,
    droppedLinksCount: 0,
  };
}

/** A finished span as the OTLP exporters take it (times to the nanosecond). */
export function toReadableSpan(s: SpanRec, resource: Resource, scopeVersion: string): ReadableSpan {
  const dur = s.end - s.start;
  const events = s.events.map((e) => ({ time: hr(e.time), name: e.name, attributes: attrObject(e.attrs), droppedAttributesCount: 0 }));
  return readable(s, resource, scopeVersion, s.start, dur < 0n ? 0n : dur, events);
}

function attr(attrs: readonly SpanAttr[], key: string): string | number | boolean | undefined {
  for (const a of attrs) if (a.key === key) return a.value;
  return undefined;
}

/**
 * A finished span as the Zipkin exporter takes it. Zipkin's model is in whole
 * microseconds, and its server refuses a fractional timestamp with 400
 * ("Expected a long"): exporter-zipkin 2.2.0 rounds durations and annotation
 * times (opentelemetry-js #4056, #4165) but sends the span's start as is, so
 * the start is truncated to the microsecond here, and the duration rounded,
 * at least 1 µs for a span that lasts at all (as the OpenTelemetry Zipkin
 * specification asks). An annotation carries only a
 * string, so a log's becomes "category: message" (its message alone when it
 * has no category).
 */
export function toZipkinReadableSpan(s: SpanRec, resource: Resource, scopeVersion: string): ReadableSpan {
  const start = (s.start / 1000n) * 1000n;
  const dur = s.end - s.start;
  let us = dur <= 0n ? 0n : (dur + 500n) / 1000n;
  if (dur > 0n && us === 0n) us = 1n;
  const events = s.events.map((e) => {
    const message = attr(e.attrs, "go.log.message");
    const category = attr(e.attrs, "go.log.category");
    const name = message === undefined ? e.name : category === undefined || category === "" ? String(message) : `${category}: ${message}`;
    return { time: hr(e.time), name, attributes: attrObject(e.attrs), droppedAttributesCount: 0 };
  });
  return readable(s, resource, scopeVersion, start, us * 1000n, events);
}
