// Large output buffers handed to a writer and reused once written, so a
// streamed encoder allocates a few buffers for the whole output rather than
// one per chunk. Pure TypeScript, no Node APIs.

/** Where bytes go: Output.write's contract (a promise when the caller should wait). */
export interface BytesWriter {
  write(b: Uint8Array): Promise<void> | void;
}

export class ChunkRecycler {
  private readonly pool: Uint8Array[] = [];
  private pending: Promise<void> | undefined = undefined;

  /** `size` should be at least the writer's own buffer limit, so that each write is written through. */
  constructor(
    private readonly out: BytesWriter,
    readonly size: number,
  ) {}

  /** A buffer of at least `min` bytes: a pooled one of `size` bytes when that is enough. */
  get(min = 0): Uint8Array {
    if (min > this.size) return new Uint8Array(min);
    return this.pool.pop() ?? new Uint8Array(this.size);
  }

  /**
   * Writes buf[0, len). The buffer goes back to the pool once the writer's
   * promise resolves (the writer has written it by then); a writer that returns
   * no promise may still hold it, so it is not reused.
   */
  put(buf: Uint8Array, len: number): void {
    if (len === 0) {
      if (buf.length === this.size) this.pool.push(buf);
      return;
    }
    const p = this.out.write(buf.subarray(0, len));
    if (p === undefined) return;
    const q = buf.length === this.size ? p.then(() => void this.pool.push(buf)) : p;
    const prev = this.pending;
    this.pending = prev === undefined ? q : Promise.all([prev, q]).then(() => undefined);
  }

  /** What to wait for before producing more (then forgotten). */
  take(): Promise<void> | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }
}
