// How a conversion ended, in the command's words: the exit status and the
// message it prints (without the "trace-convert: " prefix). Shared by the
// command and the browser app, which shows the same messages.

import type { DriveResult } from "../convert/drive.js";
import { TraceError } from "../decode/errors.js";
import { UsageError } from "./options.js";

export const EXIT_OK = 0;
export const EXIT_INPUT = 1;
export const EXIT_USAGE = 2;
export const EXIT_PARTIAL = 3;

export interface Outcome {
  code: number;
  /** What the command prints on stderr after "trace-convert: ", or null. */
  message: string | null;
}

export function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i < 0 ? s : s.slice(0, i);
}

/** The outcome of a conversion that ran to its end (possibly stopped by damage). */
export function driveOutcome(name: string, res: DriveResult): Outcome {
  if (res.error === null) return { code: EXIT_OK, message: null };
  const e = res.error;
  const salvaged = e.io ? 0 : (res.salvagedEvents ?? 0);
  if (res.completeGenerations > 0 || salvaged > 0) {
    const what = e.truncated ? "trace is truncated" : "trace is damaged";
    const gens = res.completeGenerations;
    const held =
      gens > 0
        ? `the output holds the ${gens} complete generation${gens === 1 ? "" : "s"} before it`
        : "the output holds no complete generation";
    const rec = salvaged > 0 ? `${gens > 0 ? " and" : ", only"} ${salvaged} event${salvaged === 1 ? "" : "s"} recovered from the damaged one` : "";
    return { code: EXIT_PARTIAL, message: `warning: ${name}: ${what} at byte ${e.offset}: ${firstLine(e.message)}; ${held}${rec}` };
  }
  if (e.io) return { code: EXIT_INPUT, message: firstLine(e.message) };
  return { code: EXIT_INPUT, message: `${name}: ${firstLine(e.message)} (at byte ${e.offset})` };
}

/** The outcome of an error thrown by a conversion; null for an error the command does not expect. */
export function thrownOutcome(name: string, e: unknown): Outcome | null {
  if (e instanceof TraceError) return { code: EXIT_INPUT, message: `${name}: ${firstLine(e.message)}${e.offset > 0 ? ` (at byte ${e.offset})` : ""}` };
  if (e instanceof UsageError) return { code: EXIT_USAGE, message: e.message };
  return null;
}
