// A bounded fuzz run over mutated fixtures and generated traces, each case
// under the watchdog's deadline (test/watchdog.ts; npm run fuzz runs long
// campaigns). Findings are kept in fixtures/fuzz/ as regression inputs.

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Rand } from "./fuzzlib.js";
import { FIXTURES } from "./helpers.js";
import { StateTable } from "../src/decode/tables.js";
import { deadlineFromEnv, runWatched } from "./watchdog.js";

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
/** Cases run again with the reader's salvage option (each decoded twice: with and without). */
const SALVAGE_CASES = Number(process.env.FUZZ_SALVAGE_CASES ?? Math.min(CASES, 1000));
/** A case past this is a hang (the slowest take about 2 s with the other core busy). */
const DEADLINE_MS = deadlineFromEnv(30_000);


describe("fuzz", () => {
  test("regression inputs in fixtures/fuzz decode without crashing or hanging, with and without salvage", { timeout: 600_000 }, async () => {
    const dir = join(FIXTURES, "fuzz");
    const files = readdirSync(dir).filter((f) => f.endsWith(".trace")).sort().map((f) => join(dir, f));
    assert.ok(files.length > 0, "no regression inputs");
    for (const kind of ["decode", "salvage"] as const) {
      const res = await runWatched({ kind, seed: SEED, count: Infinity, files, deadlineMs: DEADLINE_MS });
      if (!res.ok) assert.fail(res.message);
    }
  });

  test(`${CASES} mutated and generated traces under a watchdog: no crash, no hang, bounded memory`, { timeout: Math.max(900_000, CASES * 30) }, async (t) => {
    const res = await runWatched({ kind: "decode", seed: SEED, count: CASES, deadlineMs: DEADLINE_MS });
    if (!res.ok) assert.fail(res.message);
    const s = res.stats;
    t.diagnostic(`${s.cases} cases in ${(s.ms / 1000).toFixed(1)} s (${((s.cases * 1000) / s.ms).toFixed(0)} cases/s; slowest ${s.slowestMs.toFixed(0)} ms, ${s.slowest}), ${s.withError} with a decoding error`);
    assert.ok(s.heapGrowth < 512 * 1024 * 1024, `heap grew by ${(s.heapGrowth / 1e6).toFixed(0)} MB`);
  });

  test(`${SALVAGE_CASES} cases with salvage: no crash or hang, same complete generations, ordered recovery, never less than without`, { timeout: Math.max(900_000, SALVAGE_CASES * 60) }, async (t) => {
    const res = await runWatched({ kind: "salvage", seed: SEED, count: SALVAGE_CASES, deadlineMs: 2 * DEADLINE_MS });
    if (!res.ok) assert.fail(res.message);
    const s = res.stats;
    t.diagnostic(`${s.cases} cases in ${(s.ms / 1000).toFixed(1)} s (slowest ${s.slowestMs.toFixed(0)} ms, ${s.slowest})`);
  });

  test("the ordering's state table agrees with a Map under random inserts and removes", () => {
    const r = new Rand(SEED);
    const t = new StateTable();
    const ref = new Map<number, { status: number; seq: number }>();
    // Dense goroutine-like IDs, a few huge ones, and clustered ones that collide.
    const key = () => {
      const k = r.int(10);
      if (k === 0) return 2 ** 40 + r.int(1000) * 2 ** 20;
      if (k === 1) return r.int(64) * 1024;
      return r.int(5000);
    };
    for (let i = 0; i < 200_000; i++) {
      const k = key();
      const slot = t.find(k);
      const want = ref.get(k);
      assert.equal(slot >= 0, want !== undefined, `op ${i}: presence of ${k}`);
      if (want !== undefined) {
        assert.equal(t.status(slot), want.status, `op ${i}: status of ${k}`);
        assert.equal(t.seq(slot), want.seq, `op ${i}: seq of ${k}`);
        if (r.int(3) === 0) {
          t.remove(slot);
          ref.delete(k);
        } else {
          const st = r.int(5);
          t.setStatus(slot, st);
          t.setSeq(slot, 1, i);
          want.status = st;
          want.seq = i;
        }
      } else {
        const st = r.int(5);
        t.insert(k, st, 1, i);
        ref.set(k, { status: st, seq: i });
      }
      assert.equal(t.size, ref.size);
    }
  });
});
