// A small pprof (profile.proto) decoder for tests, written by hand: enough of
// the schema to compare profiles sample by sample.

import { gunzipSync } from "node:zlib";

export interface DecodedFrame {
  func: string;
  file: string;
  line: number;
  address: number;
}

export interface DecodedSample {
  frames: DecodedFrame[];
  values: number[];
  labels: [string, string | number][];
}

export interface DecodedProfile {
  sampleTypes: [string, string][];
  periodType: [string, string] | null;
  period: number;
  samples: DecodedSample[];
  strings: string[];
  locations: number;
  functions: number;
}

class Rd {
  p = 0;
  constructor(
    readonly b: Uint8Array,
    readonly end = b.length,
    start = 0,
  ) {
    this.p = start;
  }
  varint(): number {
    let x = 0;
    let mul = 1;
    for (;;) {
      if (this.p >= this.end) throw new Error("truncated varint");
      const c = this.b[this.p++]!;
      x += (c & 0x7f) * mul;
      if (c < 0x80) return x;
      mul *= 128;
    }
  }
  /** int64 varint (10-byte two's complement negatives). */
  int64(): number {
    const s = this.p;
    const v = this.varint();
    if (this.p - s === 10 && v >= 2 ** 63) return v - 2 ** 64;
    return v;
  }
  /** Calls fn(field, wire, reader-positioned) for each field; skips what fn does not consume. */
  fields(fn: (field: number, wire: number, r: Rd, len: number) => void): void {
    while (this.p < this.end) {
      const tag = this.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 0) {
        const at = this.p;
        fn(field, wire, this, 0);
        if (this.p === at) this.varint();
      } else if (wire === 2) {
        const len = this.varint();
        const start = this.p;
        fn(field, wire, new Rd(this.b, start + len, start), len);
        this.p = start + len;
      } else if (wire === 1) {
        this.p += 8;
      } else if (wire === 5) {
        this.p += 4;
      } else {
        throw new Error(`unsupported wire type ${wire}`);
      }
    }
  }
  /** Repeated varints, packed (wire 2) or not. */
  repeated(wire: number, r: Rd, out: number[], signed = false): void {
    if (wire === 2) {
      while (r.p < r.end) out.push(signed ? r.int64() : r.varint());
    } else {
      out.push(signed ? r.int64() : r.varint());
    }
  }
}

const dec = new TextDecoder();

/** Decodes a (possibly gzipped) pprof profile. */
export function decodeProfile(data: Uint8Array): DecodedProfile {
  const b = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b ? new Uint8Array(gunzipSync(data)) : data;
  const strings: string[] = [];
  const sampleTypes: [number, number][] = [];
  let periodType: [number, number] | null = null;
  let period = 0;
  const rawSamples: { locs: number[]; values: number[]; labels: [number, number, number][] }[] = [];
  const locs = new Map<number, { address: number; lines: [number, number][] }>();
  const funcs = new Map<number, { name: number; file: number }>();
  const vt = (r: Rd): [number, number] => {
    let t = 0;
    let u = 0;
    r.fields((f, _w, x) => {
      if (f === 1) t = x.varint();
      else if (f === 2) u = x.varint();
    });
    return [t, u];
  };
  new Rd(b).fields((field, wire, r, len) => {
    switch (field) {
      case 1:
        sampleTypes.push(vt(r));
        break;
      case 2: {
        const s = { locs: [] as number[], values: [] as number[], labels: [] as [number, number, number][] };
        r.fields((f, w, x) => {
          if (f === 1) x.repeated(w, x, s.locs);
          else if (f === 2) x.repeated(w, x, s.values, true);
          else if (f === 3) {
            let k = 0;
            let sv = 0;
            let nv = 0;
            x.fields((lf, _lw, y) => {
              if (lf === 1) k = y.varint();
              else if (lf === 2) sv = y.varint();
              else if (lf === 3) nv = y.int64();
            });
            s.labels.push([k, sv, nv]);
          }
        });
        rawSamples.push(s);
        break;
      }
      case 4: {
        let id = 0;
        let address = 0;
        const lines: [number, number][] = [];
        r.fields((f, _w, x) => {
          if (f === 1) id = x.varint();
          else if (f === 3) address = x.varint();
          else if (f === 4) {
            let fn = 0;
            let line = 0;
            x.fields((lf, _lw, y) => {
              if (lf === 1) fn = y.varint();
              else if (lf === 2) line = y.int64();
            });
            lines.push([fn, line]);
          }
        });
        locs.set(id, { address, lines });
        break;
      }
      case 5: {
        let id = 0;
        let name = 0;
        let file = 0;
        r.fields((f, _w, x) => {
          if (f === 1) id = x.varint();
          else if (f === 2) name = x.varint();
          else if (f === 4) file = x.varint();
        });
        funcs.set(id, { name, file });
        break;
      }
      case 6:
        strings.push(dec.decode(r.b.subarray(r.p, r.p + len)));
        break;
      case 11:
        periodType = vt(r);
        break;
      case 12:
        period = r.varint();
        break;
    }
  });
  const str = (i: number): string => {
    if (i < 0 || i >= strings.length) throw new Error(`string index ${i} out of range (${strings.length})`);
    return strings[i]!;
  };
  if (strings.length === 0 || strings[0] !== "") throw new Error("string table must start with the empty string");
  const samples: DecodedSample[] = rawSamples.map((s) => {
    const frames: DecodedFrame[] = [];
    for (const id of s.locs) {
      const l = locs.get(id);
      if (l === undefined) throw new Error(`unknown location ${id}`);
      for (const [fid, line] of l.lines) {
        const f = funcs.get(fid);
        if (f === undefined) throw new Error(`unknown function ${fid}`);
        frames.push({ func: str(f.name), file: str(f.file), line, address: l.address });
      }
    }
    const labels = s.labels.map(([k, sv, nv]): [string, string | number] => [str(k), sv !== 0 ? str(sv) : nv]);
    return { frames, values: s.values, labels };
  });
  const pt = periodType as [number, number] | null;
  return {
    sampleTypes: sampleTypes.map(([t, u]) => [str(t), str(u)]),
    periodType: pt === null ? null : [str(pt[0]), str(pt[1])],
    period,
    samples,
    strings,
    locations: locs.size,
    functions: funcs.size,
  };
}

/** One line per sample: "func file:line <- ... | labels | values", sorted (a multiset). */
export function canonicalSamples(p: DecodedProfile, withLabels = true): string[] {
  return p.samples
    .map((s) => {
      const stack = s.frames.map((f) => `${f.func} ${f.file}:${f.line}`).join(" <- ");
      const labels = withLabels ? s.labels.map(([k, v]) => `${k}=${v}`).sort().join(",") : "";
      return `${stack} | ${labels} | ${s.values.join(" ")}`;
    })
    .sort();
}
