// A pattern-defeating quicksort that makes the same comparisons and swaps as
// Go's slices.SortFunc, so that ties between equal elements end up in the same
// order as in Go's trace reader (it sorts CPU samples and, on a slow path, its
// frontier of per-thread cursors with an unstable sort).

type Cmp<T> = (a: T, b: T) => number;

function bitLen(n: number): number {
  return n === 0 ? 0 : 32 - Math.clz32(n);
}

export function goSortFunc<T>(d: T[], cmp: Cmp<T>): void {
  pdq(d, 0, d.length, bitLen(d.length), cmp);
}

function swap<T>(d: T[], i: number, j: number): void {
  const t = d[i]!;
  d[i] = d[j]!;
  d[j] = t;
}

function insertion<T>(d: T[], a: number, b: number, cmp: Cmp<T>): void {
  for (let i = a + 1; i < b; i++) {
    for (let j = i; j > a && cmp(d[j]!, d[j - 1]!) < 0; j--) swap(d, j, j - 1);
  }
}

function siftDown<T>(d: T[], lo: number, hi: number, first: number, cmp: Cmp<T>): void {
  let root = lo;
  for (;;) {
    let child = 2 * root + 1;
    if (child >= hi) return;
    if (child + 1 < hi && cmp(d[first + child]!, d[first + child + 1]!) < 0) child++;
    if (!(cmp(d[first + root]!, d[first + child]!) < 0)) return;
    swap(d, first + root, first + child);
    root = child;
  }
}

function heapSort<T>(d: T[], a: number, b: number, cmp: Cmp<T>): void {
  const first = a;
  const hi = b - a;
  for (let i = Math.trunc((hi - 1) / 2); i >= 0; i--) siftDown(d, i, hi, first, cmp);
  for (let i = hi - 1; i >= 0; i--) {
    swap(d, first, first + i);
    siftDown(d, 0, i, first, cmp);
  }
}

const UNKNOWN = 0;
const INCREASING = 1;
const DECREASING = 2;

function pdq<T>(d: T[], a: number, b: number, limit: number, cmp: Cmp<T>): void {
  let wasBalanced = true;
  let wasPartitioned = true;
  for (;;) {
    const length = b - a;
    if (length <= 12) {
      insertion(d, a, b, cmp);
      return;
    }
    if (limit === 0) {
      heapSort(d, a, b, cmp);
      return;
    }
    if (!wasBalanced) {
      breakPatterns(d, a, b);
      limit--;
    }
    let [pivot, hint] = choosePivot(d, a, b, cmp);
    if (hint === DECREASING) {
      for (let i = a, j = b - 1; i < j; i++, j--) swap(d, i, j);
      pivot = b - 1 - (pivot - a);
      hint = INCREASING;
    }
    if (wasBalanced && wasPartitioned && hint === INCREASING) {
      if (partialInsertion(d, a, b, cmp)) return;
    }
    if (a > 0 && !(cmp(d[a - 1]!, d[pivot]!) < 0)) {
      a = partitionEqual(d, a, b, pivot, cmp);
      continue;
    }
    const [mid, already] = partition(d, a, b, pivot, cmp);
    wasPartitioned = already;
    const leftLen = mid - a;
    const rightLen = b - mid;
    const threshold = Math.trunc(length / 8);
    if (leftLen < rightLen) {
      wasBalanced = leftLen >= threshold;
      pdq(d, a, mid, limit, cmp);
      a = mid + 1;
    } else {
      wasBalanced = rightLen >= threshold;
      pdq(d, mid + 1, b, limit, cmp);
      b = mid;
    }
  }
}

function partition<T>(d: T[], a: number, b: number, pivot: number, cmp: Cmp<T>): [number, boolean] {
  swap(d, a, pivot);
  let i = a + 1;
  let j = b - 1;
  while (i <= j && cmp(d[i]!, d[a]!) < 0) i++;
  while (i <= j && !(cmp(d[j]!, d[a]!) < 0)) j--;
  if (i > j) {
    swap(d, j, a);
    return [j, true];
  }
  swap(d, i, j);
  i++;
  j--;
  for (;;) {
    while (i <= j && cmp(d[i]!, d[a]!) < 0) i++;
    while (i <= j && !(cmp(d[j]!, d[a]!) < 0)) j--;
    if (i > j) break;
    swap(d, i, j);
    i++;
    j--;
  }
  swap(d, j, a);
  return [j, false];
}

function partitionEqual<T>(d: T[], a: number, b: number, pivot: number, cmp: Cmp<T>): number {
  swap(d, a, pivot);
  let i = a + 1;
  let j = b - 1;
  for (;;) {
    while (i <= j && !(cmp(d[a]!, d[i]!) < 0)) i++;
    while (i <= j && cmp(d[a]!, d[j]!) < 0) j--;
    if (i > j) break;
    swap(d, i, j);
    i++;
    j--;
  }
  return i;
}

function partialInsertion<T>(d: T[], a: number, b: number, cmp: Cmp<T>): boolean {
  let i = a + 1;
  for (let step = 0; step < 5; step++) {
    while (i < b && !(cmp(d[i]!, d[i - 1]!) < 0)) i++;
    if (i === b) return true;
    if (b - a < 50) return false;
    swap(d, i, i - 1);
    // Go shifts down to index 1 (not a+1) here; keep that.
    if (i - a >= 2) {
      for (let j = i - 1; j >= 1; j--) {
        if (!(cmp(d[j]!, d[j - 1]!) < 0)) break;
        swap(d, j, j - 1);
      }
    }
    if (b - i >= 2) {
      for (let j = i + 1; j < b; j++) {
        if (!(cmp(d[j]!, d[j - 1]!) < 0)) break;
        swap(d, j, j - 1);
      }
    }
  }
  return false;
}

const MASK64 = (1n << 64n) - 1n;

function breakPatterns<T>(d: T[], a: number, b: number): void {
  const length = b - a;
  if (length < 8) return;
  let r = BigInt(length);
  const modulus = 2 ** bitLen(length);
  for (let idx = a + Math.trunc(length / 4) * 2 - 1; idx <= a + Math.trunc(length / 4) * 2 + 1; idx++) {
    r ^= (r << 13n) & MASK64;
    r ^= r >> 7n;
    r ^= (r << 17n) & MASK64;
    let other = Number(r & BigInt(modulus - 1));
    if (other >= length) other -= length;
    swap(d, idx, a + other);
  }
}

function choosePivot<T>(d: T[], a: number, b: number, cmp: Cmp<T>): [number, number] {
  const l = b - a;
  const sw = { n: 0 };
  let i = a + Math.trunc(l / 4) * 1;
  let j = a + Math.trunc(l / 4) * 2;
  let k = a + Math.trunc(l / 4) * 3;
  if (l >= 8) {
    if (l >= 50) {
      i = median(d, i - 1, i, i + 1, sw, cmp);
      j = median(d, j - 1, j, j + 1, sw, cmp);
      k = median(d, k - 1, k, k + 1, sw, cmp);
    }
    j = median(d, i, j, k, sw, cmp);
  }
  if (sw.n === 0) return [j, INCREASING];
  if (sw.n === 12) return [j, DECREASING];
  return [j, UNKNOWN];
}

function median<T>(d: T[], a: number, b: number, c: number, sw: { n: number }, cmp: Cmp<T>): number {
  if (cmp(d[b]!, d[a]!) < 0) {
    sw.n++;
    [a, b] = [b, a];
  }
  if (cmp(d[c]!, d[b]!) < 0) {
    sw.n++;
    [b, c] = [c, b];
  }
  if (cmp(d[b]!, d[a]!) < 0) {
    sw.n++;
    [a, b] = [b, a];
  }
  void c;
  return b;
}
