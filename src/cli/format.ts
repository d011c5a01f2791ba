// What a output format plugs into the command line.

import type { DriveResult } from "../convert/drive.js";
import type { SummaryParts } from "../convert/summary.js";
import type { Event } from "../decode/event.js";
import type { TraceReader } from "../decode/reader.js";
import type { Input } from "./input.js";
import type { Options } from "./options.js";

/**
 * Where a format writes its output: the command's Output (the -o file or
 * stdout), or, in the browser app, the Blob being built. write() returns a
 * promise when the caller should wait before writing more.
 */
export interface OutputSink {
  write(data: Uint8Array | string): Promise<void> | void;
}

export interface FormatContext {
  input: Input;
  opts: Options;
  /** Opens the output (the -o file, or stdout) on first use. */
  out(): OutputSink;
  /** The -o path of this input's output (null: stdout). */
  outPath: string | null;
  /** Files the format wrote itself instead of out() (--split parts), in order: --open serves these. */
  files: string[];
  /** Prints a warning on stderr (once per distinct message). */
  warn(msg: string): void;
  /**
   * Decodes the input, calling onEvent for every event (a reused object).
   * `salvage`: also deliver what can be recovered from a damaged generation
   * (not for text, which stays identical to Go's output). `source`: the
   * input's bytes when the format has already started reading them (see
   * peekInput), instead of opening the input again. A trace file (no
   * `source`) is decoded on a second thread when --threads allows it
   * (decode-parallel.ts): the events, their order and the result are the same.
   */
  drive(
    onEvent: (ev: Event, reader: TraceReader) => void | Promise<void>,
    opts?: { salvage?: boolean; source?: AsyncIterable<Uint8Array> },
  ): Promise<DriveResult>;
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
  /**
   * Formats whose several inputs make one output (unless --per-trace):
   * collect() reads one input (instead of run()), write() writes them all.
   */
  combine?: {
    collect(ctx: FormatContext): Promise<{ res: DriveResult; part: SummaryParts | null }>;
    write(parts: { name: string; part: SummaryParts }[], out: OutputSink, opts: Options): Promise<void>;
  };
}
