// A bounded fuzz run of every converter (not only the decoder) over damaged and
// hostile traces (the case itself: test/fuzz-convert-lib.ts), each case under
// the watchdog's deadline (test/watchdog.ts). Regression inputs in
// fixtures/fuzz/ are replayed too.

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { FIXTURES } from "./helpers.js";
import { deadlineFromEnv, runWatched } from "./watchdog.js";

const CASES = Number(process.env.FUZZ_CONVERT_CASES ?? 300);
const SEED = Number(process.env.FUZZ_CONVERT_SEED ?? 20261207);
/**
 * Per case (decoding, every converter and encoder, the output checks): the
 * largest cases (~50k events) take ~1 s alone, ~3 s with another fuzz run on
 * the same two cores; a hang goes far past this.
 */
const DEADLINE_MS = deadlineFromEnv(30_000);

describe("fuzz the converters", () => {
  test("regression inputs in fixtures/fuzz convert without crashing or hanging, outputs valid", { timeout: 600_000 }, async () => {
    const dir = join(FIXTURES, "fuzz");
    const files = readdirSync(dir).filter((f) => f.endsWith(".trace")).sort().map((f) => join(dir, f));
    assert.ok(files.length > 0, "no regression inputs");
    const res = await runWatched({ kind: "convert", seed: SEED, count: Infinity, files, deadlineMs: DEADLINE_MS });
    if (!res.ok) assert.fail(res.message);
  });

  test(`${CASES} mutated and generated traces through every converter under a watchdog: no crash, no hang, valid outputs`, { timeout: Math.max(900_000, CASES * 500) }, async (t) => {
    const res = await runWatched({ kind: "convert", seed: SEED, count: CASES, deadlineMs: DEADLINE_MS });
    if (!res.ok) assert.fail(res.message);
    const s = res.stats;
    t.diagnostic(`${s.cases} cases in ${(s.ms / 1000).toFixed(1)} s (${((s.cases * 1000) / s.ms).toFixed(1)} cases/s; slowest ${s.slowestMs.toFixed(0)} ms, ${s.slowest}), ${s.withError} with a decoding error, ${s.events} events`);
  });
});
