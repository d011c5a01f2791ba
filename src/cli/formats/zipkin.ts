// --to zipkin (push to a Zipkin server) and --to zipkin-json.

import type { ZipkinJsonWriter } from "../../sinks/zipkin-json.js";
import type { Format } from "../format.js";
import { VERSION } from "../version.js";
import { inputSpans, pushSpans } from "./spans.js";

export const formats: Format[] = [
  {
    name: "zipkin",
    summary: "the same spans pushed to a Zipkin server (its /api/v2/spans; logs become annotations)",
    example: "trace-convert trace.out --to zipkin --endpoint http://localhost:9411/api/v2/spans --service-name api",
    binary: false,
    ext: ".unsent.otlp.json",
    writesOutput: false,
    async run(ctx) {
      const [{ zipkinTarget }, { toZipkinReadableSpan }] = await Promise.all([import("../export-config.js"), import("../../sinks/readable-span.js")]);
      const target = zipkinTarget(ctx.opts, process.env, (m) => ctx.warn(m));
      return pushSpans(ctx, target, toZipkinReadableSpan);
    },
  },
  {
    name: "zipkin-json",
    summary: "the same spans as a Zipkin v2 JSON body (what --to zipkin sends), for files and pipelines",
    example:
      "trace-convert trace.out --to zipkin-json -o spans.json && curl -H 'Content-Type: application/json' --data-binary @spans.json http://localhost:9411/api/v2/spans",
    binary: false,
    ext: ".zipkin.json",
    writesOutput: true,
    async run(ctx) {
      const { ZipkinJsonWriter } = await import("../../sinks/zipkin-json.js");
      let writer: ZipkinJsonWriter | null = null;
      const { res } = await inputSpans(ctx, (resource) => {
        writer = new ZipkinJsonWriter(ctx.out(), resource, VERSION);
        return writer;
      });
      if (writer !== null) await (writer as ZipkinJsonWriter).end();
      return res;
    },
  },
];
