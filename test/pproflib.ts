// pprof profiles read back with pprof-format, into a shape that compares
// profiles sample by sample.

import { Profile } from "pprof-format";
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

/** A pprof number (pprof-format decodes varints past 4 bytes as bigint) as a JS number; int64 negatives from their two's complement. */
function num(v: number | bigint): number {
  if (typeof v === "bigint") return Number(v >= 1n << 63n ? v - (1n << 64n) : v);
  return v;
}

/** Decodes a (possibly gzipped) pprof profile with pprof-format. */
export function decodeProfile(data: Uint8Array): DecodedProfile {
  const b = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b ? new Uint8Array(gunzipSync(data)) : data;
  const p = Profile.decode(b);
  const strings = p.stringTable.strings;
  const str = (v: number | bigint): string => {
    const i = num(v);
    if (i < 0 || i >= strings.length) throw new Error(`string index ${i} out of range (${strings.length})`);
    return strings[i]!;
  };
  if (strings.length === 0 || strings[0] !== "") throw new Error("string table must start with the empty string");
  const locs = new Map<number, { address: number; lines: [number, number][] }>();
  for (const l of p.location) locs.set(num(l.id), { address: num(l.address), lines: l.line.map((ln) => [num(ln.functionId), num(ln.line)]) });
  const funcs = new Map<number, { name: number; file: number }>();
  for (const f of p.function) funcs.set(num(f.id), { name: num(f.name), file: num(f.filename) });
  const samples: DecodedSample[] = p.sample.map((s) => {
    const frames: DecodedFrame[] = [];
    for (const lid of s.locationId) {
      const id = num(lid);
      const l = locs.get(id);
      if (l === undefined) throw new Error(`unknown location ${id}`);
      for (const [fid, line] of l.lines) {
        const f = funcs.get(fid);
        if (f === undefined) throw new Error(`unknown function ${fid}`);
        frames.push({ func: str(f.name), file: str(f.file), line, address: l.address });
      }
    }
    const labels = s.label.map((l): [string, string | number] => [str(l.key), num(l.str) !== 0 ? str(l.str) : num(l.num)]);
    return { frames, values: s.value.map(num), labels };
  });
  return {
    sampleTypes: p.sampleType.map((t): [string, string] => [str(t.type), str(t.unit)]),
    periodType: p.periodType === undefined ? null : [str(p.periodType.type), str(p.periodType.unit)],
    period: num(p.period),
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
