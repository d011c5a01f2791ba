// Zipkin v2 JSON (the body of POST /api/v2/spans: an array of spans), made by
// the Zipkin exporter's own transform from the same ReadableSpans that
// --to zipkin sends, so the file and the push agree; streamed, one span at a
// time.

import { defaultStatusCodeTagName, defaultStatusErrorTagName, toZipkinSpan } from "@opentelemetry/exporter-zipkin/build/src/transform.js";
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import type { SpanAttr, SpanRec } from "../convert/spans.js";
import { attrObject, toZipkinReadableSpan } from "./readable-span.js";

/** What the Zipkin exporter calls a service without service.name. */
const DEFAULT_SERVICE = "OpenTelemetry Service";

export interface TextWriter {
  write(text: string): Promise<void> | void;
}

export class ZipkinJsonWriter {
  private readonly resource: Resource;
  private readonly service: string;
  /** Spans written. */
  count = 0;

  constructor(
    private readonly out: TextWriter,
    resourceAttrs: readonly SpanAttr[],
    private readonly scopeVersion: string,
  ) {
    this.resource = resourceFromAttributes(attrObject(resourceAttrs));
    this.service = String(this.resource.attributes["service.name"] || DEFAULT_SERVICE);
  }

  add(s: SpanRec): Promise<void> | void {
    const rs = toZipkinReadableSpan(s, this.resource, this.scopeVersion);
    const z = toZipkinSpan(rs, String(rs.attributes["service.name"] || this.service), defaultStatusCodeTagName, defaultStatusErrorTagName);
    return this.out.write((this.count++ === 0 ? "[" : ",\n") + JSON.stringify(z));
  }

  end(): Promise<void> | void {
    return this.out.write(this.count === 0 ? "[]\n" : "]\n");
  }
}
