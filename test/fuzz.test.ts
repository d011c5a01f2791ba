// A bounded fuzz run over mutated fixtures and generated traces (npm run fuzz
// runs a long one). Findings are kept in fixtures/fuzz/ as regression inputs.

import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { generate, mutate, Rand, runCase } from "./fuzzlib.js";
import { FIXTURES, loadManifest } from "./helpers.js";

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);

function corpus(): Uint8Array[] {
  // Small fixtures of every format, so that each case is quick.
  return loadManifest()
    .filter((e) => e.dir !== "damaged" && e.bytes < 400_000)
    .map((e) => new Uint8Array(readFileSync(join(FIXTURES, e.trace))));
}

describe("fuzz", () => {
  test("regression inputs in fixtures/fuzz decode without crashing", () => {
    const dir = join(FIXTURES, "fuzz");
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".trace"))) {
      const res = runCase(new Uint8Array(readFileSync(join(dir, f))));
      assert.ok(res.ok, `${f}: ${res.error}`);
    }
  });

  test(`${CASES} mutated and generated traces: no crash, no hang, bounded memory`, { timeout: 900_000 }, () => {
    const c = corpus();
    assert.ok(c.length > 0, "no fixtures to mutate");
    const r = new Rand(SEED);
    const heap0 = process.memoryUsage().heapUsed;
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const { bytes, how } = i % 10 === 9 ? { bytes: generate(r), how: "generated" } : mutate(r.pick(c), c, r);
      const res = runCase(bytes, i % 3 === 0 ? 1 + r.int(70_000) : 0);
      if (!res.ok) assert.fail(`case ${i} (seed ${SEED}, ${how}) crashed: ${res.error}`);
      slowest = Math.max(slowest, res.ms);
      assert.ok(res.ms < 10_000, `case ${i} (seed ${SEED}, ${how}) took ${res.ms.toFixed(0)} ms`);
    }
    const grown = process.memoryUsage().heapUsed - heap0;
    assert.ok(grown < 512 * 1024 * 1024, `heap grew by ${(grown / 1e6).toFixed(0)} MB`);
  });
});
