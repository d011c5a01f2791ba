// The fuzz campaigns' case sequences: case i of a (kind, seed) campaign is the
// same bytes and options whoever asks for it (the worker running it, or the
// watchdog replaying the sequence to write out the input of a case that hung).

import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { convertCase, mkCase, optionsText, plainVariant, variant, type Variant } from "./fuzz-convert-lib.js";
import { generate, mutate, Rand, runCase, runSalvageCase, smallFixtures } from "./fuzzlib.js";

/** decode: the decoder alone; salvage: decoded with and without salvage; convert: every converter and encoder. */
export type FuzzKind = "decode" | "salvage" | "convert";
export const FUZZ_KINDS: FuzzKind[] = ["decode", "salvage", "convert"];

export interface FuzzCase {
  bytes: Uint8Array;
  /** How the input was made ("flip 3 bits", "generated"...). */
  how: string;
  /** The options of the run, as text (chunk size, converter options). */
  options: string;
  run(): Promise<{ ok: boolean; error: string | null; events: number }>;
}

/** Draws the cases of one campaign in order (each needs the random numbers of those before it). */
export class CaseSequence {
  private readonly r: Rand;
  private readonly corpus: Uint8Array[];
  /** Index of the next case. */
  next = 0;

  /**
   * With `files`, the cases are those files instead of mutations (for the
   * converters, each file four times: with the plain options, then three
   * random ones).
   */
  constructor(
    readonly kind: FuzzKind,
    readonly seed: number,
    private readonly files: string[] = [],
  ) {
    this.corpus = files.length > 0 ? [] : smallFixtures();
    // The salvage campaign draws from its own stream (as it always has).
    this.r = new Rand(kind === "salvage" ? seed ^ 0x5a5a5a5a : seed);
  }

  /** Number of cases with `files` (else unbounded). */
  get length(): number {
    return this.files.length === 0 ? Infinity : this.files.length * (this.kind === "convert" ? 4 : 1);
  }

  private file(i: number): { bytes: Uint8Array; how: string } {
    const f = this.files[this.kind === "convert" ? i >> 2 : i]!;
    return { bytes: new Uint8Array(readFileSync(f)), how: basename(f) };
  }

  /** Case `this.next`, then advances. */
  take(): FuzzCase {
    const i = this.next++;
    const r = this.r;
    const c = this.corpus;
    const fromFile = this.files.length > 0;
    if (this.kind === "convert") {
      const { bytes, how } = fromFile ? this.file(i) : mkCase(r, c, i);
      const v: Variant = fromFile && i % 4 === 0 ? plainVariant() : variant(r);
      const options = optionsText(v);
      return { bytes, how, options, run: async () => convertCase(bytes, v).then((x) => ({ ok: x.failure === null, error: x.failure ?? x.error, events: x.events })) };
    }
    const { bytes, how } = fromFile ? this.file(i) : i % 10 === 9 ? { bytes: generate(r), how: "generated" } : mutate(r.pick(c), c, r);
    const chunk = !fromFile && i % 3 === 0 ? 1 + r.int(70_000) : 0;
    const options = chunk > 0 ? `pushed in chunks of ${chunk} bytes` : "pushed whole";
    const salvage = this.kind === "salvage";
    return {
      bytes,
      how,
      options,
      run: () => {
        const res = salvage ? runSalvageCase(bytes, chunk) : runCase(bytes, chunk);
        return Promise.resolve({ ok: res.ok, error: res.error, events: res.events });
      },
    };
  }

  /** Case i (i >= next), drawing and dropping those before it. */
  at(i: number): FuzzCase {
    while (this.next < i) this.take();
    return this.take();
  }
}

export function caseName(kind: FuzzKind, seed: number, i: number, how: string, options: string): string {
  return `${kind} case ${i} (seed ${seed}, ${how}, ${options})`;
}

export function keepInput(kind: FuzzKind, seed: number, i: number, bytes: Uint8Array): string {
  const p = join(tmpdir(), `fuzz-${kind}-${seed}-${i}.trace`);
  writeFileSync(p, bytes);
  return p;
}

