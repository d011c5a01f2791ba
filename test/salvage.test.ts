// Damaged traces with the reader's `salvage` option: the complete generations
// are exactly Go's -d=parsed output, and what is recovered from the damaged
// generation is a correctly ordered subset of that generation's events in the
// undamaged trace the fixture was cut from.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { drive } from "../src/convert/drive.js";
import { TraceError } from "../src/decode/errors.js";
import { TraceReader } from "../src/decode/reader.js";
import { Ev } from "../src/decode/spec.js";
import { formatEvent } from "../src/sinks/text.js";
import { Rand, runSalvageCase } from "./fuzzlib.js";
import { FIXTURES, loadManifest, parsedPath, readMaybeGz } from "./helpers.js";

interface Damaged {
  name: string;
  source: string;
  kind: string;
  offset: number;
}

interface Decoded {
  /** Formatted events (each may span several lines). */
  events: string[];
  /** Index in `events` of each Sync. */
  syncs: number[];
  /** Index of the first event of a damaged generation, -1 when none. */
  damagedAt: number;
  /** Whether the damaged generation had its string table. */
  damagedStrings: boolean;
  error: TraceError | null;
  salvaged: number;
}

function decode(bytes: Uint8Array, salvage: boolean, chunk = 0): Decoded {
  const r = new TraceReader({ salvage });
  const d: Decoded = { events: [], syncs: [], damagedAt: -1, damagedStrings: false, error: null, salvaged: 0 };
  const drain = () => {
    for (let ev = r.next(); ev !== null; ev = r.next()) {
      if (ev.type === Ev.ReaderSync) d.syncs.push(d.events.length);
      if (d.damagedAt < 0 && ev.gen !== null && ev.gen.damaged) {
        d.damagedAt = d.events.length;
        d.damagedStrings = ev.gen.strings.size > 0;
      }
      d.events.push(formatEvent(ev, r.timeBase));
    }
  };
  try {
    if (chunk > 0) {
      for (let i = 0; i < bytes.length; i += chunk) {
        r.push(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
        drain();
      }
    } else r.push(bytes);
    r.end();
    drain();
  } catch (e) {
    if (!(e instanceof TraceError)) throw e;
    d.error = e;
  }
  d.salvaged = r.stats.salvaged;
  return d;
}

/** The first line of a formatted event, with quoted strings emptied when the string table is missing. */
function head(ev: string, strings: boolean): string {
  const line = ev.split("\n", 1)[0]!;
  return strings ? line : line.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

function timeOf(ev: string): number {
  const m = / Time=(-?\d+)/.exec(ev);
  assert.ok(m !== null, `no time in ${ev}`);
  return Number(m[1]);
}

const list = JSON.parse(readFileSync(join(FIXTURES, "traces", "damaged", "damaged.json"), "utf8")) as Damaged[];
const manifest = loadManifest();

describe("salvage: damaged fixtures", () => {
  let totalSalvaged = 0;
  for (const f of list) {
    const entry = manifest.find((e) => e.dir === "damaged" && e.name === f.name);
    test(f.name, { skip: entry === undefined ? "not in the manifest" : false }, () => {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, entry!.trace)));
      const plain = decode(bytes, false);
      const salv = decode(bytes, true);
      const chunked = decode(bytes, true, 4093);
      assert.deepEqual(chunked.events, salv.events, "streamed in chunks: same events");
      assert.equal(chunked.error?.message, salv.error?.message);

      // Same error (message and offset) as without salvage, or, for a
      // version < 26 generation cut at a batch boundary, the truncation.
      if (plain.error === null) assert.equal(salv.error, null);
      else {
        assert.ok(salv.error !== null, "salvage must still report the damage");
        if (salv.error.message !== plain.error.message) {
          assert.match(salv.error.message, /incomplete generation found/);
          assert.ok(salv.error.truncated);
        } else assert.equal(salv.error.offset, plain.error.offset);
      }

      // Complete generations: exactly Go's -d=parsed output.
      const want = readMaybeGz(parsedPath(entry!));
      const upto = salv.damagedAt < 0 ? salv.events.length : salv.syncs.filter((s) => s <= salv.damagedAt).pop()!;
      if (salv.damagedAt < 0) {
        assert.deepEqual(salv.events, plain.events, "nothing salvaged: same as without salvage");
      }
      const prefix = salv.events.slice(0, upto).map((e) => e + "\n").join("");
      assert.equal(want.slice(0, prefix.length), prefix, "complete generations differ from Go's output");
      if (upto > 0 && prefix.length < want.length) assert.ok(want[prefix.length - 1] === "\n");

      if (salv.damagedAt < 0) {
        assert.equal(salv.salvaged, 0);
        return;
      }
      assert.ok(salv.error !== null, "a salvaged generation ends with the error");
      const recovered = salv.events.slice(upto + 1); // after the damaged generation's Sync
      assert.equal(recovered.length, salv.salvaged);
      totalSalvaged += recovered.length;
      // Correctly ordered: time never goes backwards.
      let last = timeOf(salv.events[upto]!);
      for (const ev of recovered) {
        const t = timeOf(ev);
        assert.ok(t >= last, `time goes backwards: ${ev}`);
        last = t;
      }
      // A subset of the source trace's events of the same generation, in the same order.
      const src = decode(new Uint8Array(readFileSync(join(FIXTURES, f.source))), false);
      assert.equal(src.error, null, `source ${f.source}: ${src.error?.message}`);
      const genIdx = salv.syncs.indexOf(upto);
      const from = src.syncs[genIdx]!;
      const to = src.syncs[genIdx + 1] ?? src.events.length;
      const pool = src.events.slice(from + 1, to).map((e) => head(e, salv.damagedStrings));
      let j = 0;
      for (const ev of recovered) {
        const h = head(ev, salv.damagedStrings);
        while (j < pool.length && pool[j] !== h) j++;
        assert.ok(j < pool.length, `recovered event not found (in order) in ${f.source}: ${h}`);
        j++;
      }
    });
  }
  test("something is recovered from the fixtures", () => {
    // Run after the fixture tests (node:test runs them in order).
    if (list.some((f) => f.kind === "no-eog")) assert.ok(totalSalvaged > 0);
  });
});

describe("salvage: drive", () => {
  const f = list.find((x) => x.kind === "no-eog") ?? list.find((x) => x.kind === "boundary-last");
  test("complete generations and salvaged events are counted", { skip: f === undefined }, async () => {
    const entry = manifest.find((e) => e.dir === "damaged" && e.name === f!.name)!;
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, entry.trace)));
    async function* src() {
      for (let i = 0; i < bytes.length; i += 1000) yield bytes.subarray(i, i + 1000);
    }
    let n = 0;
    const plain = await drive(src(), () => {
      n++;
    });
    let m = 0;
    const salv = await drive(
      src(),
      () => {
        m++;
      },
      { salvage: true },
    );
    assert.ok(plain.error !== null && salv.error !== null);
    assert.equal(plain.salvagedEvents, 0);
    assert.ok((salv.salvagedEvents ?? 0) > 0);
    assert.equal(salv.completeGenerations, plain.completeGenerations);
    assert.ok(m >= n - 1, `${m} events with salvage, ${n} without`);
  });
  test("a generation damaged before any event batch: nothing invented", async () => {
    const entry = manifest.find((e) => e.dir === "damaged" && e.name === "go126-multigen-trunc-midbatch");
    if (entry === undefined) return;
    const d = decode(new Uint8Array(readFileSync(join(FIXTURES, entry.trace))), true);
    const p = decode(new Uint8Array(readFileSync(join(FIXTURES, entry.trace))), false);
    assert.equal(d.salvaged, 0);
    assert.deepEqual(d.events, p.events);
  });
});

describe("salvage: fuzz", () => {
  const CASES = Number(process.env.SALVAGE_CASES ?? 400);
  const SEED = Number(process.env.FUZZ_SEED ?? 20261122) + 1;
  test(`${CASES} truncations and batch drops of fixtures: same complete generations, ordered salvage`, { timeout: 600_000 }, () => {
    const corpus = manifest
      .filter((e) => e.dir !== "damaged" && e.bytes < 200_000 && /^go1\.2[2-9]$/.test(e.dir))
      .map((e) => new Uint8Array(readFileSync(join(FIXTURES, e.trace))));
    assert.ok(corpus.length > 0);
    const r = new Rand(SEED);
    let damagedCases = 0;
    for (let i = 0; i < CASES; i++) {
      const src = r.pick(corpus);
      let bytes: Uint8Array;
      if (i % 2 === 0) bytes = src.subarray(0, 16 + r.int(src.length - 16));
      else {
        // Damage one byte in the second half: a corrupt batch header or event.
        bytes = Uint8Array.from(src);
        const at = (src.length >> 1) + r.int(src.length >> 1);
        bytes[at] = r.int(256);
      }
      const res = runSalvageCase(bytes, i % 3 === 0 ? 1 + r.int(20_000) : 0);
      if (!res.ok) assert.fail(`case ${i} (seed ${SEED}): ${res.error}`);
      if (res.error !== null) damagedCases++;
    }
    assert.ok(damagedCases > 0);
  });
});
