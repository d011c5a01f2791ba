// Unsigned LEB128 varints as Go's encoding/binary reads them, decoded into JS
// numbers. Values up to 2^53 are exact; 2^64-1 (the format's "none") becomes -1.

/**
 * Position after the last varint read by uvarint(), or a negative status:
 * VARINT_SHORT when the buffer ended first, VARINT_OVERFLOW when the varint is
 * longer than 10 bytes or its 10th byte is greater than 1.
 */
export let vend = 0;
export const VARINT_SHORT = -1;
export const VARINT_OVERFLOW = -2;

const TWO64 = 18446744073709551616;

export function uvarint(b: Uint8Array, p: number, end: number): number {
  if (p < end) {
    const c0 = b[p]!;
    if (c0 < 0x80) {
      vend = p + 1;
      return c0;
    }
  }
  let x = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (p >= end) {
      vend = VARINT_SHORT;
      return 0;
    }
    const c = b[p++]!;
    if (c < 0x80) {
      if (i === 9 && c > 1) {
        vend = VARINT_OVERFLOW;
        return 0;
      }
      x += c * mul;
      vend = p;
      return x >= TWO64 ? -1 : x;
    }
    x += (c & 0x7f) * mul;
    mul *= 128;
  }
  vend = VARINT_OVERFLOW;
  return 0;
}

/** Formats a decoded uint64 (where -1 stands for 2^64-1) as Go prints it. */
export function formatU64(x: number): string {
  return x === -1 ? "18446744073709551615" : String(x);
}
