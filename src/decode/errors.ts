/**
 * The only error type that leaves the decoder.
 *
 * `message` is Go's own wording for the same problem where Go has one, so that
 * messages can be compared with `go tool trace`. `offset` is the byte offset in
 * the input where the problem was found (the start of the batch or event, or
 * the end of the data for truncation). `truncated` is true when the input ended
 * early rather than holding wrong bytes.
 */
export class TraceError extends Error {
  readonly offset: number;
  readonly truncated: boolean;
  /** True when the input could not be read at all (file, stdin or URL), rather than holding bad bytes. */
  readonly io: boolean;
  constructor(message: string, offset: number, truncated = false, io = false) {
    super(message);
    this.name = "TraceError";
    this.offset = offset;
    this.truncated = truncated;
    this.io = io;
  }
}
