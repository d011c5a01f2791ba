// Columnar, chunked storage of the merged events of a Go 1.11-1.21 trace:
// 21 bytes per event (type, time, goroutine, proc, input offset). Arguments
// are not kept: they are decoded again from the input when an event is
// converted.

const SHIFT = 16;
const SIZE = 1 << SHIFT;
const MASK = SIZE - 1;
const BIG_G = 0xffffffff;

/** Flag bits over the type byte (v1 types are below 64). */
export const MOVED = 0x80;
export const SYSCALL_BLOCKED = 0x40;
export const TYPE_MASK = 0x3f;

export class EventStore {
  n = 0;
  readonly typ: Uint8Array[] = [];
  readonly ts: Float64Array[] = [];
  readonly g: Uint32Array[] = [];
  /** Goroutine IDs that do not fit 32 bits (corrupt traces), by event index. */
  private readonly bigG = new Map<number, number>();
  readonly p: Int32Array[] = [];
  readonly off: Uint32Array[] = [];

  push(typ: number, ts: number, g: number, p: number, off: number): void {
    const i = this.n;
    const c = i >>> SHIFT;
    if (c === this.typ.length) {
      this.typ.push(new Uint8Array(SIZE));
      this.ts.push(new Float64Array(SIZE));
      this.g.push(new Uint32Array(SIZE));
      this.p.push(new Int32Array(SIZE));
      this.off.push(new Uint32Array(SIZE));
    }
    const k = i & MASK;
    this.typ[c]![k] = typ;
    this.ts[c]![k] = ts;
    if (g >= 0 && g < BIG_G && g === Math.floor(g)) this.g[c]![k] = g;
    else {
      this.g[c]![k] = BIG_G;
      this.bigG.set(i, g);
    }
    this.p[c]![k] = p;
    this.off[c]![k] = off;
    this.n = i + 1;
  }

  typeAt(i: number): number {
    return this.typ[i >>> SHIFT]![i & MASK]!;
  }
  setType(i: number, t: number): void {
    this.typ[i >>> SHIFT]![i & MASK] = t;
  }
  tsAt(i: number): number {
    return this.ts[i >>> SHIFT]![i & MASK]!;
  }
  setTs(i: number, t: number): void {
    this.ts[i >>> SHIFT]![i & MASK] = t;
  }
  gAt(i: number): number {
    const g = this.g[i >>> SHIFT]![i & MASK]!;
    return g === BIG_G ? this.bigG.get(i)! : g;
  }
  pAt(i: number): number {
    return this.p[i >>> SHIFT]![i & MASK]!;
  }
  setP(i: number, p: number): void {
    this.p[i >>> SHIFT]![i & MASK] = p;
  }
  offAt(i: number): number {
    return this.off[i >>> SHIFT]![i & MASK]!;
  }
  /** Bytes held. */
  get bytes(): number {
    return this.typ.length * SIZE * 21;
  }
}

/**
 * The final event order: the stored order, except that events marked MOVED
 * (syscall exits given their real time) sit before stored index `before[j]`.
 */
export class OrderIter {
  private i = 0;
  private j = 0;
  constructor(
    private readonly store: EventStore,
    private readonly moved: Uint32Array,
    private readonly before: Float64Array,
  ) {}

  reset(): void {
    this.i = 0;
    this.j = 0;
  }

  /** Next stored index in the final order, -1 at the end. */
  next(): number {
    const s = this.store;
    for (;;) {
      if (this.j < this.moved.length && (this.i >= s.n || this.before[this.j]! <= this.i)) {
        return this.moved[this.j++]!;
      }
      if (this.i >= s.n) return -1;
      const i = this.i++;
      if ((s.typeAt(i) & MOVED) === 0) return i;
    }
  }

  /** Copies the position (for look-ahead scans). */
  clone(): OrderIter {
    const o = new OrderIter(this.store, this.moved, this.before);
    o.i = this.i;
    o.j = this.j;
    return o;
  }
}
