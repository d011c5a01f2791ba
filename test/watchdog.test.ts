// The fuzz watchdog sees a case that never returns: it stops the worker and
// names the case, and the input it writes out is that case's.

import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { describe, test } from "node:test";
import { CaseSequence } from "./fuzz-cases.js";
import { runWatched } from "./watchdog.js";

describe("fuzz watchdog", () => {
  for (const kind of ["decode", "convert"] as const) {
    test(`an injected hang in a ${kind} campaign fails the run, naming seed, case and options, with its input written out`, { timeout: 120_000 }, async () => {
      const seed = 4242;
      const t0 = performance.now();
      const res = await runWatched({ kind, seed, count: 20, hangAt: 6, deadlineMs: 1500 });
      const ms = performance.now() - t0;
      assert.equal(res.ok, false, "the hang went unnoticed");
      if (res.ok) return;
      assert.equal(res.hang, true, res.message);
      assert.equal(res.index, 6);
      assert.match(res.message, new RegExp(`^${kind} case 6 \\(seed ${seed}, .+\\) did not finish within 1500 ms`));
      assert.ok(existsSync(res.input), `no input written (${res.input})`);
      const want = new CaseSequence(kind, seed).at(6);
      assert.ok(Buffer.from(readFileSync(res.input)).equals(Buffer.from(want.bytes)), "the input written out is not case 6's");
      if (kind === "convert") assert.ok(res.message.includes(want.options), "the options are not named");
      rmSync(res.input);
      // Stopped soon after the deadline, not after the test's own timeout.
      assert.ok(ms < 60_000, `the watchdog took ${ms.toFixed(0)} ms`);
    });
  }

  test("a campaign without a hang reports its cases", { timeout: 120_000 }, async () => {
    const res = await runWatched({ kind: "salvage", seed: 7, count: 30, deadlineMs: 30_000 });
    if (!res.ok) assert.fail(res.message);
    assert.equal(res.stats.cases, 30);
  });
});
