// Encode time of the pprof outputs, apart from decoding: builds the state
// profiles of a trace in one pass (in memory), then times writeProfile (pprof
// encoding and gzip) on each, median of --reps runs, output thrown away.
// Usage: node dist/bench/pprof-encode.js TRACE [--reps N]

import { readFileSync } from "node:fs";
import { drive } from "../src/convert/drive.js";
import { NO_FILTER, ProfileBuilder, type ProfileFilter, type ProfileKind } from "../src/convert/pprof.js";
import * as sink from "../src/sinks/pprof.js";

const args = process.argv.slice(2);
const path = args[0];
if (path === undefined) {
  console.error("usage: pprof-encode TRACE [--reps N]");
  process.exit(2);
}
const ri = args.indexOf("--reps");
const reps = ri >= 0 ? Number(args[ri + 1]) : 5;

// The gzip implementation, where the encoder takes one (absent before pprof-format).
let gzip: unknown = undefined;
try {
  gzip = (await import("../src/sinks/gzip-node.js" as string)).nodeGzip;
} catch {
  /* the encoder gzips by itself */
}
const writeProfile = sink.writeProfile as (b: ProfileBuilder, out: { write(d: Uint8Array): void }, gz?: unknown) => Promise<void>;

async function* once(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}

const cases: [string, ProfileKind, ProfileFilter][] = [
  ["net", "net", NO_FILTER],
  ["sync", "sync", NO_FILTER],
  ["syscall", "syscall", NO_FILTER],
  ["sched", "sched", NO_FILTER],
  ["sched --labels", "sched", { ...NO_FILTER, labels: true }],
];
const trace = readFileSync(path);
const builders = cases.map(([, k, f]) => new ProfileBuilder(k, f));
const t0 = performance.now();
const res = await drive(once(trace), (ev, r) => {
  for (const b of builders) b.event(ev, r.timeBase);
});
for (const b of builders) b.end(res.error === null);
console.log(`${path}: ${res.reader.stats.events} events, profiles built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log("| profile | records | output bytes | encode+gzip ms (median of " + reps + ") |");
console.log("|---|---|---|---|");
let total = 0;
for (const [i, b] of builders.entries()) {
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < reps + 1; r++) {
    bytes = 0;
    const s = performance.now();
    await writeProfile(b, { write: (d) => void (bytes += d.length) }, gzip);
    if (r > 0) times.push(performance.now() - s); // the first run warms up
  }
  times.sort((a, c) => a - c);
  const med = times[times.length >> 1]!;
  total += med;
  let n = 0;
  for (let j = 0; j < b.records.length; j++) if (b.records.n[j] !== 0) n++;
  console.log(`| ${cases[i]![0]} | ${n} | ${bytes} | ${med.toFixed(1)} |`);
}
console.log(`| all | | | ${total.toFixed(1)} |`);
