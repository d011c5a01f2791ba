// Messages between the browser app's page and its Web Worker. Each job runs in
// a worker of its own: Cancel terminates the worker.

/** A format the app can produce (the command's formats that write a file). */
export interface FormatInfo {
  name: string;
  summary: string;
  /** The command's file name extension for it (e.g. ".pprof-sync.pb.gz"). */
  ext: string;
  binary: boolean;
}

/** Page -> worker: convert `source` as `trace-convert NAME --to FORMAT ARGS...` would. */
export interface JobRequest {
  type: "job";
  format: string;
  /** Further command-line options (filters), as the command takes them. */
  args: string[];
  source: Blob;
  /** The trace's name, as the command would be given it (messages and the summary name it). */
  name: string;
  /** Modification time of the trace (ms since the epoch), or null. */
  mtime: number | null;
}

/** Page -> worker: which formats are there. */
export interface FormatsRequest {
  type: "formats";
}

export type WorkerRequest = JobRequest | FormatsRequest;

export interface Progress {
  /** Bytes of the trace read so far, and its size. */
  bytes: number;
  total: number;
  generations: number;
  events: number;
  /** Seconds since this pass over the trace began (a format may read the trace twice). */
  secs: number;
}

export interface JobResult {
  /** The output, or null when the format wrote nothing (the input was not a trace). */
  blob: Blob | null;
  /** The command's exit status for the same conversion (0 ok, 1 invalid input, 2 usage, 3 partial). */
  code: number;
  /** What the command would print on stderr (without "trace-convert: "), in order. */
  messages: string[];
  /** Trace format version (e.g. 26 for Go 1.26), 0 when the header was not read. */
  version: number;
  events: number;
  generations: number;
  bytes: number;
  secs: number;
}

export type WorkerReply =
  | { type: "formats"; formats: FormatInfo[] }
  | { type: "progress"; progress: Progress }
  | { type: "done"; result: JobResult }
  /** An error the command does not expect either (a bug): its message, never a stack. */
  | { type: "failed"; message: string };
