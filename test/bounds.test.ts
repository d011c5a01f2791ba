// Computations whose work could follow values read from a trace (timestamps,
// counts) stay bounded by the input: the MMU search on timestamps past 2^53 ns
// (the summary-hang reproducer), its step budget, and GOMAXPROCS.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { MAX_PROCS, MMUCurve, MutatorUtilization, nextUp, UtilSeries } from "../src/convert/mmu.js";
import type { Event } from "../src/decode/event.js";
import { Kind } from "../src/decode/spec.js";

/** The utilization series of fixtures/fuzz/convert-summary-mmu-hang.trace (times past 2^59 ns). */
function hangSeries(): UtilSeries {
  const t = [10598522539968, 576471350826006900, 576471350826007000, 576471350826016500, 576471350826016600, 576471350826107000, 576471350826150400, 576471350826178000, 576471350826220300, 576471350826244100, 576471350826332400, 576471350826343200, 576471350826428800, 576471350826440100, 576471350826620900, 576471350826622000, 576471350827331100, 576471350827607600, 576471350827743000, 576471350828038900];
  const u = [1, 0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1, 0.5, 0, 0.5, 1, 0.5, 1, 0];
  const s = new UtilSeries();
  for (let i = 0; i < t.length; i++) s.add(t[i]!, u[i]!);
  return s;
}

describe("bounded computations", () => {
  test("nextUp gives the next float64", () => {
    assert.equal(nextUp(1), 1 + Number.EPSILON);
    assert.ok(nextUp(576471350825006800) > 576471350825006800);
    assert.equal(nextUp(0), Number.MIN_VALUE);
    assert.ok(nextUp(-1) > -1);
  });

  test("the MMU of timestamps past 2^53 ns ends, with values in [0, 1] (it looped forever)", { timeout: 120_000 }, () => {
    // In a child process with a time limit: a regression would loop forever.
    const s = hangSeries();
    const script = `
      import { MMUCurve, UtilSeries } from ${JSON.stringify(new URL("../src/convert/mmu.js", import.meta.url).href)};
      const s = new UtilSeries();
      const t = ${JSON.stringify(Array.from(s.time.subarray(0, s.length)))};
      const u = ${JSON.stringify(Array.from(s.util.subarray(0, s.length)))};
      for (let i = 0; i < t.length; i++) s.add(t[i], u[i]);
      const curve = new MMUCurve([s]);
      const out = [1e6, 10e6, 100e6, 1e9].map((w) => [curve.mmu(w), curve.examples(w, 1).length]);
      console.log(JSON.stringify({ out, approximate: curve.approximate }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, `no answer within 60 s (${r.signal ?? r.stderr})`);
    const res = JSON.parse(r.stdout) as { out: [number, number][]; approximate: boolean };
    for (const [mmu, n] of res.out) {
      assert.ok(mmu >= 0 && mmu <= 1, `mmu ${mmu}`);
      assert.ok(n <= 1);
    }
    assert.equal(res.approximate, false);
  });

  test("the MMU search stops at its step budget and says so; its answer is then an upper bound", () => {
    const s = new UtilSeries();
    for (let i = 0; i < 20_000; i++) s.add(i * 1000, (i * 7919) % 13 === 0 ? 0 : ((i * 31) % 10) / 10);
    const exact = new MMUCurve([s]);
    const want = exact.mmu(50_000);
    assert.equal(exact.approximate, false);
    const capped = new MMUCurve([s], 10);
    const got = capped.mmu(50_000);
    assert.equal(capped.approximate, true);
    assert.ok(got >= want, `bounded answer ${got} below the exact ${want}`);
  });

  test("a GOMAXPROCS of 2^53 counts MAX_PROCS Ps and says so", { timeout: 60_000 }, () => {
    const mu = new MutatorUtilization();
    const ev = {
      kind: Kind.Metric,
      time: 1000,
      p: 0,
      g: 1,
      metricName: () => "/sched/gomaxprocs:threads",
      metricValue: () => 2 ** 53,
    } as unknown as Event;
    mu.event(ev);
    assert.equal(mu.procsCapped, true);
    const series = mu.finish();
    assert.equal(series.length, 1);
    assert.ok(MAX_PROCS <= 1 << 16);
  });
});
