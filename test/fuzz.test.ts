// A bounded fuzz run over mutated fixtures and generated traces (npm run fuzz
// runs a long one). Findings are kept in fixtures/fuzz/ as regression inputs.

import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { generate, mutate, Rand, runCase, runSalvageCase, smallFixtures } from "./fuzzlib.js";
import { FIXTURES } from "./helpers.js";
import { StateTable } from "../src/decode/tables.js";

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
/** Cases run again with the reader's salvage option (each decoded twice: with and without). */
const SALVAGE_CASES = Number(process.env.FUZZ_SALVAGE_CASES ?? Math.min(CASES, 1000));


describe("fuzz", () => {
  test("regression inputs in fixtures/fuzz decode without crashing", () => {
    const dir = join(FIXTURES, "fuzz");
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".trace"))) {
      const res = runCase(new Uint8Array(readFileSync(join(dir, f))));
      assert.ok(res.ok, `${f}: ${res.error}`);
      const sres = runSalvageCase(new Uint8Array(readFileSync(join(dir, f))));
      assert.ok(sres.ok, `${f} (salvage): ${sres.error}`);
    }
  });

  test(`${CASES} mutated and generated traces: no crash, no hang, bounded memory`, { timeout: Math.max(900_000, CASES * 30) }, () => {
    const c = smallFixtures();
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

  test(`${SALVAGE_CASES} cases with salvage: no crash or hang, same complete generations, ordered recovery`, { timeout: Math.max(900_000, SALVAGE_CASES * 60) }, () => {
    const c = smallFixtures();
    const r = new Rand(SEED ^ 0x5a5a5a5a);
    for (let i = 0; i < SALVAGE_CASES; i++) {
      const { bytes, how } = i % 10 === 9 ? { bytes: generate(r), how: "generated" } : mutate(r.pick(c), c, r);
      const res = runSalvageCase(bytes, i % 3 === 0 ? 1 + r.int(70_000) : 0);
      if (!res.ok) assert.fail(`salvage case ${i} (seed ${SEED}, ${how}): ${res.error}`);
      assert.ok(res.ms < 20_000, `salvage case ${i} (seed ${SEED}, ${how}) took ${res.ms.toFixed(0)} ms`);
    }
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
