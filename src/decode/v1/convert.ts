// Go 1.11-1.21 traces: parsed whole (the format has no generations) and
// converted into the same event model as the 1.22+ format.

import { TraceError } from "../errors.js";
import type { Event } from "../event.js";

export class V1Converter {
  parsed = false;
  lastTs = 0;
  readonly version: number;
  constructor(version: number) {
    this.version = version;
  }
  parse(_bytes: Uint8Array, offset: number): void {
    throw new TraceError(`reading go 1.${this.version} traces (Go 1.11-1.21) is not supported by this version of trace-convert`, offset);
  }
  peekTime(): number | null {
    return null;
  }
  next(): Event | null {
    return null;
  }
}
