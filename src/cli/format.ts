// What a output format plugs into the command line.

import type { DriveResult } from "../convert/drive.js";
import type { Event } from "../decode/event.js";
import type { TraceReader } from "../decode/reader.js";
import type { Input } from "./input.js";
import type { Options } from "./options.js";
import type { Output } from "./output.js";

export interface FormatContext {
  input: Input;
  opts: Options;
  /** Opens the output (the -o file, or stdout) on first use. */
  out(): Output;
  /** The -o path of this input's output (null: stdout). */
  outPath: string | null;
  /** Files the format wrote itself instead of out() (--split parts), in order: --open serves these. */
  files: string[];
  /** Prints a warning on stderr (once per distinct message). */
  warn(msg: string): void;
  /**
   * Decodes the input, calling onEvent for every event (a reused object).
   * `salvage`: also deliver what can be recovered from a damaged generation
   * (not for text, which stays identical to Go's output).
   */
  drive(onEvent: (ev: Event, reader: TraceReader) => void | Promise<void>, opts?: { salvage?: boolean }): Promise<DriveResult>;
  /**
   * The same, decoding on another thread (decode-parallel.ts): for a trace
   * file only (null otherwise, then use drive()).
   */
  driveFile(onEvent: (ev: Event) => void | Promise<void>, opts?: { salvage?: boolean }): Promise<DriveResult> | null;
}

export interface Format {
  name: string;
  /** One line for --help. */
  summary: string;
  /** A full example command for --help. */
  example: string;
  /** Binary output is refused on a terminal. */
  binary: boolean;
  /** File name extension for outputs written into a directory. */
  ext: string;
  /** Whether the format writes to -o/stdout at all. */
  writesOutput: boolean;
  run(ctx: FormatContext): Promise<DriveResult>;
}
