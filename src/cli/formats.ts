// The registry of output formats, in the order --help lists them. Each family
// of formats lives in its own module under formats/.

import type { Format } from "./format.js";
import { formats as otlp } from "./formats/otlp.js";
import { formats as perfetto } from "./formats/perfetto.js";
import { formats as pprof } from "./formats/pprof.js";
import { formats as summary } from "./formats/summary.js";
import { formats as text } from "./formats/text.js";
import { formats as zipkin } from "./formats/zipkin.js";

export const FORMATS: Format[] = [...perfetto, ...pprof, ...otlp, ...zipkin, ...summary, ...text];

export function findFormat(name: string): Format | undefined {
  return FORMATS.find((f) => f.name === name);
}
