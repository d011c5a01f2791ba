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

/** Rarely used per-resource data of a StateTable entry. */
export interface StateExtra {
  /** Active user regions: task IDs and names. */
  regionTask: number[];
  regionName: string[];
  /** In-flight ranges, encoded as startType + 256 * descStringID. */
  ranges: number[];
}

/**
 * Scheduler state of goroutines or procs, keyed by ID: an open-addressing
 * hash table (linear probing, backward-shift deletion) over typed arrays, so
 * that the ordering's hot path neither allocates nor goes through a Map, and
 * memory follows the number of live entries. Slots move on insert (growth)
 * and on remove: never keep a slot across either.
 */
export class StateTable {
  private keys = new Float64Array(64);
  /** status + 1; 0 marks an empty slot. */
  private st = new Int8Array(64);
  private seqGenArr = new Float64Array(64);
  private seqArr = new Float64Array(64);
  private ext = new Int32Array(64);
  private mask = 63;
  private shift = 26;
  size = 0;
  private readonly extras: (StateExtra | null)[] = [null];
  private readonly freeExtras: number[] = [];

  private hash(key: number): number {
    let h: number;
    if (key >= 0 && key <= 0x7fffffff) h = key | 0;
    else h = (key % 4294967296) ^ Math.floor(key / 4294967296);
    return Math.imul(h, 0x9e3779b1) >>> this.shift;
  }

  /** Slot of `key`, or -1. */
  find(key: number): number {
    const keys = this.keys;
    const st = this.st;
    const mask = this.mask;
    let i = this.hash(key);
    for (;;) {
      if (st[i] === 0) return -1;
      if (keys[i] === key) return i;
      i = (i + 1) & mask;
    }
  }

  /** Inserts a key known to be absent; returns its slot. */
  insert(key: number, status: number, seqGen: number, seq: number): number {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const keys = this.keys;
    const st = this.st;
    const mask = this.mask;
    let i = this.hash(key);
    while (st[i] !== 0) i = (i + 1) & mask;
    keys[i] = key;
    st[i] = status + 1;
    this.seqGenArr[i] = seqGen;
    this.seqArr[i] = seq;
    this.ext[i] = 0;
    this.size++;
    return i;
  }

  remove(slot: number): void {
    const e = this.ext[slot]!;
    if (e !== 0) {
      this.extras[e] = null;
      this.freeExtras.push(e);
    }
    const keys = this.keys;
    const st = this.st;
    const mask = this.mask;
    let hole = slot;
    let i = slot;
    for (;;) {
      i = (i + 1) & mask;
      if (st[i] === 0) break;
      const home = this.hash(keys[i]!);
      // Move i into the hole unless its home lies cyclically in (hole, i].
      const inRange = hole <= i ? home > hole && home <= i : home > hole || home <= i;
      if (inRange) continue;
      keys[hole] = keys[i]!;
      st[hole] = st[i]!;
      this.seqGenArr[hole] = this.seqGenArr[i]!;
      this.seqArr[hole] = this.seqArr[i]!;
      this.ext[hole] = this.ext[i]!;
      hole = i;
    }
    st[hole] = 0;
    this.ext[hole] = 0;
    this.size--;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldSt = this.st;
    const oldSeqGen = this.seqGenArr;
    const oldSeq = this.seqArr;
    const oldExt = this.ext;
    const cap = (this.mask + 1) * 2;
    this.keys = new Float64Array(cap);
    this.st = new Int8Array(cap);
    this.seqGenArr = new Float64Array(cap);
    this.seqArr = new Float64Array(cap);
    this.ext = new Int32Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    for (let j = 0; j < oldSt.length; j++) {
      if (oldSt[j] === 0) continue;
      let i = this.hash(oldKeys[j]!);
      while (this.st[i] !== 0) i = (i + 1) & this.mask;
      this.keys[i] = oldKeys[j]!;
      this.st[i] = oldSt[j]!;
      this.seqGenArr[i] = oldSeqGen[j]!;
      this.seqArr[i] = oldSeq[j]!;
      this.ext[i] = oldExt[j]!;
    }
  }

  key(slot: number): number {
    return this.keys[slot]!;
  }
  status(slot: number): number {
    return this.st[slot]! - 1;
  }
  setStatus(slot: number, status: number): void {
    this.st[slot] = status + 1;
  }
  seqGen(slot: number): number {
    return this.seqGenArr[slot]!;
  }
  seq(slot: number): number {
    return this.seqArr[slot]!;
  }
  setSeq(slot: number, seqGen: number, seq: number): void {
    this.seqGenArr[slot] = seqGen;
    this.seqArr[slot] = seq;
  }
  /** True when the entry's sequence is `gen`/`n - 1` (Go's "succeeds"). */
  succeeds(slot: number, gen: number, n: number): boolean {
    return this.seqGenArr[slot] === gen && n === this.seqArr[slot]! + 1;
  }

  /** The entry's extra data, created on first use. */
  extra(slot: number): StateExtra {
    let e = this.ext[slot]!;
    if (e === 0) {
      const x: StateExtra = { regionTask: [], regionName: [], ranges: [] };
      if (this.freeExtras.length > 0) {
        e = this.freeExtras.pop()!;
        this.extras[e] = x;
      } else {
        e = this.extras.length;
        this.extras.push(x);
      }
      this.ext[slot] = e;
      return x;
    }
    return this.extras[e]!;
  }
}
