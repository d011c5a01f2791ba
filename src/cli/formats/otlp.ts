// --to otlp (push over OTLP: http/protobuf, http/json or gRPC) and --to otlp-json.

import { OtlpJsonWriter } from "../../sinks/otlp-json.js";
import type { Format } from "../format.js";
import { VERSION } from "../version.js";
import { inputSpans, pushSpans } from "./spans.js";

export const formats: Format[] = [
  {
    name: "otlp",
    summary:
      "tasks, regions and logs as OpenTelemetry spans, pushed over OTLP (--protocol http/protobuf, the default, http/json or grpc) to Jaeger, Tempo or any collector",
    example: "trace-convert trace.out --to otlp --endpoint http://localhost:4318 --service-name api",
    binary: false,
    ext: ".unsent.otlp.json",
    writesOutput: false,
    async run(ctx) {
      const [{ otlpTarget }, { toReadableSpan }] = await Promise.all([import("../export-config.js"), import("../../sinks/readable-span.js")]);
      const target = otlpTarget(ctx.opts, process.env, (m) => ctx.warn(m));
      return pushSpans(ctx, target, toReadableSpan);
    },
  },
  {
    name: "otlp-json",
    summary: "the same spans as an OTLP/HTTP JSON request body (ExportTraceServiceRequest), for files and pipelines",
    example: "trace-convert trace.out --to otlp-json -o spans.json && curl -H 'Content-Type: application/json' --data-binary @spans.json http://localhost:4318/v1/traces",
    binary: false,
    ext: ".otlp.json",
    writesOutput: true,
    async run(ctx) {
      let writer: OtlpJsonWriter | null = null;
      const { res } = await inputSpans(ctx, (resource) => {
        writer = new OtlpJsonWriter(ctx.out(), resource, VERSION);
        return writer;
      });
      if (writer !== null) await (writer as OtlpJsonWriter).end();
      return res;
    },
  },
];
