// Strings from the trace are bytes. They are decoded as UTF-8; a byte that is
// not part of a valid sequence (by Go's rules) becomes the lone surrogate
// U+DC80+byte, so that nothing is lost and Go's quoting can be reproduced.

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeString(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return "";
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    if (n <= 64) {
      let s = "";
      for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
      return s;
    }
    return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }
  try {
    return utf8.decode(b.subarray(start, end));
  } catch {
    return decodeLoose(b, start, end);
  }
}

function decodeLoose(b: Uint8Array, start: number, end: number): string {
  let out = "";
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    let cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    }
    let ok = need > 0 && i + need < end;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const x = b[i + k];
        if (x === undefined || x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (x & 0x3f);
      }
    }
    if (!ok) {
      out += String.fromCharCode(0xdc00 + c);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const plain = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const HEX = "0123456789abcdef";

function hex(n: number, width: number): string {
  let s = "";
  for (let i = width - 1; i >= 0; i--) s += HEX[(n >>> (i * 4)) & 15];
  return s;
}

/** Quotes a string exactly as Go's strconv.Quote (and fmt's %q) does. */
export function goQuote(s: string): string {
  if (plain.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    } else if (cp >= 0xdc80 && cp <= 0xdcff) {
      out += "\\x" + hex(cp - 0xdc00, 2);
      continue;
    }
    if (cp === 0x22 || cp === 0x5c) {
      out += "\\" + String.fromCharCode(cp);
      continue;
    }
    const ch = String.fromCodePoint(cp);
    if (cp < 0xd800 || cp > 0xdfff) {
      if (printable.test(ch)) {
        out += ch;
        continue;
      }
    }
    switch (cp) {
      case 7:
        out += "\\a";
        continue;
      case 8:
        out += "\\b";
        continue;
      case 12:
        out += "\\f";
        continue;
      case 10:
        out += "\\n";
        continue;
      case 13:
        out += "\\r";
        continue;
      case 9:
        out += "\\t";
        continue;
      case 11:
        out += "\\v";
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2);
    else if (cp >= 0xd800 && cp <= 0xdfff) out += "\\ufffd";
    else if (cp < 0x10000) out += "\\u" + hex(cp, 4);
    else out += "\\U" + hex(cp, 8);
  }
  return out + '"';
}
