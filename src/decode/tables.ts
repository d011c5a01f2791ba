// Per-generation ID tables: strings, stacks and frames.

/**
 * A table from numeric IDs to values. IDs in traces are small and dense, so
 * they index an array; a Map catches the rest. ID 0 is always present and
 * means "none" / "".
 */
export class IdTable<T> {
  private dense: (T | undefined)[] = [];
  private sparse: Map<number, T> | null = null;
  private readonly zero: T;
  size = 0;

  constructor(zero: T) {
    this.zero = zero;
  }

  /** Inserts; returns false when the ID is already present. */
  insert(id: number, value: T): boolean {
    if (id === 0 || this.has(id)) return false;
    // Dense while IDs stay near the number of entries (a hostile trace cannot
    // make the array much larger than its own size); a Map otherwise.
    if (id > 0 && id <= 2 * this.size + 1024) {
      while (this.dense.length < id) this.dense.push(undefined);
      this.dense[id] = value;
    } else {
      if (this.sparse === null) this.sparse = new Map();
      this.sparse.set(id, value);
    }
    this.size++;
    return true;
  }

  /** Replaces the value of an existing ID. */
  set(id: number, value: T): void {
    if (id > 0 && id < this.dense.length && this.dense[id] !== undefined) this.dense[id] = value;
    else if (this.sparse !== null && this.sparse.has(id)) this.sparse.set(id, value);
  }

  has(id: number): boolean {
    if (id === 0) return true;
    if (id > 0 && id < this.dense.length && this.dense[id] !== undefined) return true;
    return this.sparse !== null && this.sparse.has(id);
  }

  /** Returns the value, or undefined when the ID is unknown (ID 0 gives the zero value). */
  get(id: number): T | undefined {
    if (id === 0) return this.zero;
    if (id > 0 && id < this.dense.length) {
      const v = this.dense[id];
      if (v !== undefined) return v;
    }
    return this.sparse === null ? undefined : this.sparse.get(id);
  }

  forEach(fn: (id: number, value: T) => boolean | void): void {
    for (let i = 1; i < this.dense.length; i++) {
      const v = this.dense[i];
      if (v !== undefined && fn(i, v) === false) return;
    }
    if (this.sparse !== null) {
      for (const [id, v] of this.sparse) if (fn(id, v) === false) return;
    }
  }
}

/** One stack frame, resolved to strings. */
export interface StackFrame {
  pc: number;
  func: string;
  file: string;
  line: number;
}

/**
 * A generation's stack table. Stacks are lists of PCs; frame data is keyed by
 * PC for the whole generation and the first (func, file, line) seen for a PC
 * wins, as in Go's reader.
 */
export class StackTable {
  /** stack ID -> index into `pcs` of [n, pc1..pcn] */
  readonly index = new IdTable<number>(-1);
  pcs: number[] = [];
  /** PC -> frame number */
  readonly frameOfPC = new Map<number, number>();
  frameFunc: number[] = [];
  frameFile: number[] = [];
  frameLine: number[] = [];
  framePC: number[] = [];

  addFrame(pc: number, funcID: number, fileID: number, line: number): void {
    if (this.frameOfPC.has(pc)) return;
    this.frameOfPC.set(pc, this.framePC.length);
    this.framePC.push(pc);
    this.frameFunc.push(funcID);
    this.frameFile.push(fileID);
    this.frameLine.push(line);
  }

  /** Number of frames of stack `id` (0 for id 0 or unknown). */
  depth(id: number): number {
    const at = this.index.get(id);
    return at === undefined || at < 0 ? 0 : this.pcs[at]!;
  }

  /** PC of frame `i` (0 = leaf) of stack `id`. */
  pc(id: number, i: number): number {
    return this.pcs[this.index.get(id)! + 1 + i]!;
  }
}
