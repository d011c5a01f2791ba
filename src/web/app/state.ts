// What the page holds: the trace shown, its summary JSON, the formats the
// worker offers, the object URLs made for the trace's outputs.

import type { FormatInfo } from "../protocol.js";

export interface Trace {
  blob: Blob;
  name: string;
  mtime: number | null;
}

export const state = {
  current: null as Trace | null,
  /** The summary --json made on loading (it does not depend on the filters). */
  summaryBlob: null as Blob | null,
  formats: [] as FormatInfo[],
  /** Object URLs of outputs made for the current trace (revoked when another is loaded). */
  objectURLs: [] as string[],
};
