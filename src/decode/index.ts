// Public decoder API: bytes -> ordered events, no Node APIs.
export { TraceReader, type ReaderStats, type ReaderOptions } from "./reader.js";
export { Event, type ClockSnapshot, type ExperimentalBatch } from "./event.js";
export { TraceError } from "./errors.js";
export { Generation } from "./generation.js";
export type { StackFrame } from "./tables.js";
export {
  Ev,
  Kind,
  KIND_NAMES,
  GoState,
  GO_STATE_NAMES,
  ProcState,
  PROC_STATE_NAMES,
  ResourceKind,
  RESOURCE_KIND_NAMES,
  NONE,
  NO_TASK,
  BACKGROUND_TASK,
  SPECS,
} from "./spec.js";
export { goQuote } from "./strings.js";
export { readEvents, forEachEvent } from "./iterate.js";
