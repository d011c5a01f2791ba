// Per-goroutine state keyed by goroutine ID, for traces with millions of
// goroutines: open addressing (linear probing) over typed arrays, one number
// and three bytes per entry, no object per goroutine. Entries are never
// removed. A slot is valid until the next insert.

export class GTable {
  private keys = new Float64Array(1024);
  private used = new Uint8Array(1024);
  /** Columns: a number (when asked for) and three bytes per entry (0 for new entries). */
  num: Float64Array;
  b0 = new Uint8Array(1024);
  b1 = new Uint8Array(1024);
  b2 = new Uint8Array(1024);
  private mask = 1023;
  private shift = 22;
  size = 0;
  private readonly withNum: boolean;

  constructor(withNum = true) {
    this.withNum = withNum;
    this.num = new Float64Array(withNum ? 1024 : 0);
  }

  private hash(key: number): number {
    let h: number;
    if (key >= 0 && key <= 0x7fffffff) h = key | 0;
    else h = (key % 4294967296 | 0) ^ (Math.floor(key / 4294967296) | 0);
    // Fibonacci hashing: the top bits of the product.
    return Math.imul(h, 0x9e3779b1) >>> this.shift;
  }

  /** Slot of `key`, or -1. */
  find(key: number): number {
    const keys = this.keys;
    const used = this.used;
    const mask = this.mask;
    let i = this.hash(key);
    while (used[i] !== 0) {
      if (keys[i] === key) return i;
      i = (i + 1) & mask;
    }
    return -1;
  }

  /** Slot of `key`, inserted (with zero columns) when absent. */
  slot(key: number): number {
    const s = this.find(key);
    if (s >= 0) return s;
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const keys = this.keys;
    const used = this.used;
    const mask = this.mask;
    let i = this.hash(key);
    while (used[i] !== 0) i = (i + 1) & mask;
    used[i] = 1;
    keys[i] = key;
    if (this.withNum) this.num[i] = 0;
    this.b0[i] = 0;
    this.b1[i] = 0;
    this.b2[i] = 0;
    this.size++;
    return i;
  }

  private grow(): void {
    const { keys, used, num, b0, b1, b2 } = this;
    const cap = (this.mask + 1) * 2;
    this.keys = new Float64Array(cap);
    this.used = new Uint8Array(cap);
    this.num = new Float64Array(this.withNum ? cap : 0);
    this.b0 = new Uint8Array(cap);
    this.b1 = new Uint8Array(cap);
    this.b2 = new Uint8Array(cap);
    this.mask = cap - 1;
    this.shift--;
    for (let j = 0; j < used.length; j++) {
      if (used[j] === 0) continue;
      let i = this.hash(keys[j]!);
      while (this.used[i] !== 0) i = (i + 1) & this.mask;
      this.used[i] = 1;
      this.keys[i] = keys[j]!;
      if (this.withNum) this.num[i] = num[j]!;
      this.b0[i] = b0[j]!;
      this.b1[i] = b1[j]!;
      this.b2[i] = b2[j]!;
    }
  }

  /** Bytes held. */
  get bytes(): number {
    return (this.mask + 1) * (this.withNum ? 21 : 13);
  }
}
