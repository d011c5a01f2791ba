// Spans back from an OTLP/HTTP JSON request body (ExportTraceServiceRequest),
// such as the file of unsent spans that --to otlp and --to zipkin write when
// the backend fails: the command takes that file as its input and sends it.
//
// Streamed: the bytes are scanned as they come (strings, nesting and keys
// only), and each object at resourceSpans[].resource or at
// resourceSpans[].scopeSpans[].spans[] is parsed alone once complete, so
// memory holds one span, whatever the size of the file. Pure TypeScript, no
// Node APIs.

import type { SpanAttr, SpanEventRec, SpanRec } from "./spans.js";

const IS_REMOTE = 0x200;

interface JsonAttr {
  key?: unknown;
  value?: { stringValue?: unknown; intValue?: unknown; doubleValue?: unknown; boolValue?: unknown };
}

function attrsOf(list: unknown): SpanAttr[] {
  const out: SpanAttr[] = [];
  if (!Array.isArray(list)) return out;
  for (const a of list as JsonAttr[]) {
    if (typeof a?.key !== "string" || a.value === undefined || a.value === null) continue;
    const v = a.value;
    if (typeof v.stringValue === "string") out.push({ key: a.key, value: v.stringValue });
    else if (typeof v.boolValue === "boolean") out.push({ key: a.key, value: v.boolValue });
    else if (v.intValue !== undefined) out.push({ key: a.key, value: Number(v.intValue) });
    else if (v.doubleValue !== undefined) out.push({ key: a.key, value: Number(v.doubleValue) });
  }
  return out;
}

function nanos(v: unknown, what: string): bigint {
  if (typeof v === "string" && /^\d+$/.test(v)) return BigInt(v);
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new Error(`${what}: not a time in ns: ${JSON.stringify(v)}`);
}

function hexID(v: unknown, len: number, what: string): string {
  if (v === undefined || v === null || v === "") return "";
  if (typeof v === "string" && v.length === len && /^[0-9a-fA-F]+$/.test(v)) return v.toLowerCase();
  throw new Error(`${what}: not ${len} hex digits: ${JSON.stringify(v)}`);
}

/** One span of OTLP JSON as the span model (trace-clock fields are 0: the file has wall-clock times only). */
export function spanFromOtlpJson(j: Record<string, unknown>): SpanRec {
  const name = typeof j.name === "string" ? j.name : "";
  const events: SpanEventRec[] = [];
  if (Array.isArray(j.events)) {
    for (const e of j.events as Record<string, unknown>[]) {
      events.push({ time: nanos(e.timeUnixNano, `span ${name}: event time`), name: typeof e.name === "string" ? e.name : "", attrs: attrsOf(e.attributes) });
    }
  }
  return {
    traceId: hexID(j.traceId, 32, `span ${name}: traceId`),
    spanId: hexID(j.spanId, 16, `span ${name}: spanId`),
    parentSpanId: hexID(j.parentSpanId, 16, `span ${name}: parentSpanId`),
    parentRemote: (Number(j.flags ?? 0) & IS_REMOTE) !== 0,
    name,
    start: nanos(j.startTimeUnixNano, `span ${name}: startTimeUnixNano`),
    end: nanos(j.endTimeUnixNano, `span ${name}: endTimeUnixNano`),
    startTrace: 0,
    endTrace: 0,
    attrs: attrsOf(j.attributes),
    events,
    droppedEvents: Number(j.droppedEventsCount ?? 0) || 0,
  };
}

/** A body that is not OTLP JSON; `offset`: the byte where that shows. */
export class OtlpJsonError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Where an object sits: the containers and keys above it ("{}" an object, "[]" an array, else a member's key). */
const RESOURCE_PATH = ["{}", "resourceSpans", "[]", "{}", "resource"];
const SPAN_PATH = ["{}", "resourceSpans", "[]", "{}", "scopeSpans", "[]", "{}", "spans", "[]"];

const enum St {
  /** Expecting a value. */
  Value,
  /** In an object, expecting a key or }. */
  Key,
  /** After a key, expecting :. */
  Colon,
  /** After a value, expecting , or the container's end. */
  After,
  /** In a number, true, false or null. */
  Scalar,
}

/** What an entry of the path is. */
const enum K {
  Obj,
  Arr,
  Key,
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/**
 * Incremental reader: push(bytes) as they come, then end(). onResource is
 * called with each resource's attributes when it is read, which is before
 * that resource's spans in what trace-convert writes (and in the usual
 * order); onSpan with each span.
 */
export class OtlpJsonSpanReader {
  private readonly path: string[] = [];
  private readonly kinds: K[] = [];
  private st = St.Value;
  private inStr = false;
  private esc = false;
  /** Bytes of the key being read (null: the string is a value). */
  private key: number[] | null = null;
  /** Capturing an object: its nesting depth, and its bytes so far. */
  private capKind: "resource" | "span" | null = null;
  private capDepth = 0;
  private capParts: Uint8Array[] = [];
  private offset = 0;
  private readonly dec = new TextDecoder();
  private done = false;
  private sawResourceSpans = false;
  /** Spans and resources read. */
  spans = 0;
  resources = 0;

  constructor(
    private readonly onResource: (attrs: SpanAttr[]) => void,
    private readonly onSpan: (s: SpanRec) => void,
  ) {}

  private fail(msg: string, at: number): never {
    throw new OtlpJsonError(`not an OTLP JSON request body: ${msg}`, this.offset + at);
  }

  private matches(p: readonly string[]): boolean {
    const q = this.path;
    if (q.length !== p.length) return false;
    for (let i = 0; i < p.length; i++) if (q[i] !== p[i]) return false;
    return true;
  }

  private open(kind: K, name: string): void {
    this.path.push(name);
    this.kinds.push(kind);
  }

  private pop(): K | undefined {
    this.path.pop();
    return this.kinds.pop();
  }

  private finishCapture(): void {
    let text = "";
    for (const p of this.capParts) text += this.dec.decode(p, { stream: true });
    text += this.dec.decode();
    this.capParts = [];
    const kind = this.capKind;
    this.capKind = null;
    const j = JSON.parse(text) as Record<string, unknown>;
    if (kind === "resource") {
      this.resources++;
      this.onResource(attrsOf(j.attributes));
    }
    else {
      this.spans++;
      this.onSpan(spanFromOtlpJson(j));
    }
  }

  /** A value ended: the container it is in expects , or its end. */
  private valueDone(): void {
    this.st = St.After;
    if (this.path.length === 0) this.done = true;
  }

  /** } or ] at byte i. */
  private close(c: number, i: number): void {
    // An object member's key goes first.
    if (c === 125 && this.kinds[this.kinds.length - 1] === K.Key) this.pop();
    const k = this.pop();
    if (k !== (c === 125 ? K.Obj : K.Arr)) this.fail(`unexpected '${String.fromCharCode(c)}'`, i);
    this.valueDone();
  }

  push(b: Uint8Array): void {
    let capStart = this.capKind !== null ? 0 : -1;
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (this.capKind !== null) {
        // Inside a captured object: strings and nesting only.
        if (this.inStr) {
          if (this.esc) this.esc = false;
          else if (c === 92) this.esc = true;
          else if (c === 34) this.inStr = false;
        } else if (c === 34) this.inStr = true;
        else if (c === 123 || c === 91) this.capDepth++;
        else if ((c === 125 || c === 93) && --this.capDepth === 0) {
          this.capParts.push(b.subarray(capStart, i + 1));
          capStart = -1;
          this.pop();
          try {
            this.finishCapture();
          } catch (e) {
            if (e instanceof OtlpJsonError) throw e;
            this.fail(`${(e as Error).message}`, i);
          }
          this.valueDone();
        }
        continue;
      }
      if (this.inStr) {
        if (this.esc) this.esc = false;
        else if (c === 92) this.esc = true;
        else if (c === 34) {
          this.inStr = false;
          if (this.key !== null) {
            const k = JSON.parse(this.dec.decode(new Uint8Array([34, ...this.key, 34]))) as string;
            if (k === "resourceSpans" && this.path.length === 1) this.sawResourceSpans = true;
            this.open(K.Key, k);
            this.key = null;
            this.st = St.Colon;
          } else this.valueDone();
        } else if (this.key !== null) this.key.push(c);
        continue;
      }
      if (this.st === St.Scalar) {
        if (!(isSpace(c) || c === 44 || c === 125 || c === 93)) continue;
        this.valueDone();
      }
      if (isSpace(c)) continue;
      if (this.offset + i === 0 && c === 0xef) {
        i += 2; // a UTF-8 byte order mark
        continue;
      }
      if (this.done) this.fail("data after the request body", i);
      switch (this.st) {
        case St.Key:
          if (c === 34) {
            this.inStr = true;
            this.key = [];
          } else if (c === 125) this.close(c, i);
          else this.fail("expected a key", i);
          break;
        case St.Colon:
          if (c !== 58) this.fail("expected ':'", i);
          this.st = St.Value;
          break;
        case St.After:
          if (c === 44) {
            if (this.kinds[this.kinds.length - 1] === K.Key) {
              this.pop();
              this.st = St.Key;
            } else this.st = St.Value;
          } else if (c === 125 || c === 93) this.close(c, i);
          else this.fail("expected ',' or the end of an object or array", i);
          break;
        default:
          if (this.path.length === 0 && c !== 123) this.fail("expected '{'", i);
          if (c === 123) {
            const kind = this.matches(SPAN_PATH) ? "span" : this.matches(RESOURCE_PATH) ? "resource" : null;
            this.open(K.Obj, "{}");
            if (kind !== null) {
              this.capKind = kind;
              this.capDepth = 1;
              capStart = i;
            } else this.st = St.Key;
          } else if (c === 91) {
            this.open(K.Arr, "[]");
            this.st = St.Value;
          } else if (c === 93) {
            this.close(c, i); // an empty array
          } else if (c === 34) {
            this.inStr = true;
          } else {
            this.st = St.Scalar;
          }
      }
    }
    if (capStart >= 0 && this.capKind !== null) this.capParts.push(b.slice(capStart));
    this.offset += b.length;
  }

  /** Checks that the body is complete. */
  end(): void {
    if (this.st === St.Scalar) this.valueDone();
    if (!this.done || this.capKind !== null || this.inStr) this.fail("truncated", 0);
    if (!this.sawResourceSpans) this.fail("no resourceSpans", 0);
  }
}
