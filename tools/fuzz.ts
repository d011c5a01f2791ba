// Fuzz campaigns (npm run fuzz): the decoder, salvage and converter fuzzers of
// test/ over many cases, every case under the watchdog (test/watchdog.ts),
// spread over worker threads. Prints cases/s; exits 1 on the first failure,
// naming kind, seed and case, with the input written out.
//
//   npm run fuzz -- --seed 777002 --cases 1000000 --convert-cases 50000 --jobs 2
//   npm run fuzz -- --seed 1,2,3 --kinds convert --convert-cases 20000
//   npm run fuzz -- --seed-from-commit     # the seed derived from git HEAD (CI)

import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { FUZZ_KINDS, type FuzzKind } from "../test/fuzz-cases.js";
import { runWatched, type WatchResult } from "../test/watchdog.js";

interface Args {
  seeds: number[];
  cases: number;
  salvageCases: number;
  convertCases: number;
  kinds: FuzzKind[];
  jobs: number;
  deadlineMs: number;
}

function usage(msg: string): never {
  process.stderr.write(`fuzz: ${msg}
usage: npm run fuzz -- [--seed N[,N...] | --seed-from-commit] [--cases N] [--salvage-cases N]
                       [--convert-cases N] [--kinds decode,salvage,convert] [--jobs N] [--deadline-ms N]
`);
  process.exit(2);
}

function seedFromCommit(): number {
  const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  // The first 7 hex digits: a seed that changes per commit and replays from the hash.
  return parseInt(head.slice(0, 7), 16);
}

function parse(argv: string[]): Args {
  const envNum = (k: string, d: number) => (process.env[k] !== undefined ? Number(process.env[k]) : d);
  const a: Args = {
    seeds: [envNum("FUZZ_SEED", 20261122)],
    cases: envNum("FUZZ_CASES", 200_000),
    salvageCases: -1,
    convertCases: envNum("FUZZ_CONVERT_CASES", 5_000),
    kinds: [...FUZZ_KINDS],
    jobs: Math.max(1, availableParallelism()),
    deadlineMs: envNum("FUZZ_DEADLINE_MS", 60_000),
  };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) usage(`${flag} needs a number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const v = argv[i + 1];
    switch (f) {
      case "--seed":
        if (v === undefined) usage("--seed needs a value");
        a.seeds = v.split(",").map((s) => num("--seed", s));
        i++;
        break;
      case "--seed-from-commit":
        a.seeds = [seedFromCommit()];
        break;
      case "--cases":
        a.cases = num(f, v);
        i++;
        break;
      case "--salvage-cases":
        a.salvageCases = num(f, v);
        i++;
        break;
      case "--convert-cases":
        a.convertCases = num(f, v);
        i++;
        break;
      case "--kinds":
        if (v === undefined) usage("--kinds needs a value");
        a.kinds = v.split(",").map((k) => {
          if (!FUZZ_KINDS.includes(k as FuzzKind)) usage(`unknown kind ${k}`);
          return k as FuzzKind;
        });
        i++;
        break;
      case "--jobs":
        a.jobs = Math.max(1, num(f, v));
        i++;
        break;
      case "--deadline-ms":
        a.deadlineMs = num(f, v);
        i++;
        break;
      default:
        usage(`unknown argument ${f}`);
    }
  }
  // Salvage cases decode twice: a tenth of the decoder's by default.
  if (a.salvageCases < 0) a.salvageCases = Math.ceil(a.cases / 10);
  return a;
}

interface Slice {
  kind: FuzzKind;
  seed: number;
  first: number;
  count: number;
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const total = (k: FuzzKind) => (k === "decode" ? a.cases : k === "salvage" ? a.salvageCases : a.convertCases);
  // Each campaign (kind, seed) in slices, so that the workers share the long ones;
  // case i of a campaign is the same whichever slice runs it.
  const slices: Slice[] = [];
  for (const seed of a.seeds) {
    for (const kind of a.kinds) {
      const n = total(kind);
      const per = Math.max(1, Math.ceil(n / (a.jobs * 4)));
      for (let first = 0; first < n; first += per) slices.push({ kind, seed, first, count: Math.min(per, n - first) });
    }
  }
  process.stdout.write(
    `fuzz: seeds ${a.seeds.join(",")}; ${a.kinds.map((k) => `${total(k)} ${k}`).join(", ")} cases per seed; ${a.jobs} workers; deadline ${a.deadlineMs} ms a case\n`,
  );
  const done = new Map<string, { cases: number; ms: number; events: number; withError: number; slowest: number; slowestCase: string }>();
  const t0 = performance.now();
  let failure: WatchResult | null = null;
  let next = 0;
  const worker = async () => {
    while (failure === null && next < slices.length) {
      const s = slices[next++]!;
      const res = await runWatched({ kind: s.kind, seed: s.seed, first: s.first, count: s.count, deadlineMs: a.deadlineMs });
      if (!res.ok) {
        failure ??= res;
        return;
      }
      const key = `${s.kind} seed ${s.seed}`;
      const d = done.get(key) ?? { cases: 0, ms: 0, events: 0, withError: 0, slowest: 0, slowestCase: "" };
      d.cases += res.stats.cases;
      d.ms += res.stats.ms;
      d.events += res.stats.events;
      d.withError += res.stats.withError;
      if (res.stats.slowestMs > d.slowest) {
        d.slowest = res.stats.slowestMs;
        d.slowestCase = res.stats.slowest;
      }
      done.set(key, d);
      const all = [...done.values()].reduce((x, y) => x + y.cases, 0);
      const secs = (performance.now() - t0) / 1000;
      process.stdout.write(`  ${key}: cases ${s.first}-${s.first + s.count - 1} ok; ${all} cases in ${secs.toFixed(0)} s (${(all / secs).toFixed(0)} cases/s)\n`);
    }
  };
  await Promise.all(Array.from({ length: a.jobs }, () => worker()));
  const secs = (performance.now() - t0) / 1000;
  for (const [key, d] of done) {
    process.stdout.write(
      `${key}: ${d.cases} cases, ${(d.cases / (d.ms / 1000)).toFixed(1)} cases/s per worker, ${d.withError} ended in a decoding error, slowest ${d.slowest.toFixed(0)} ms (${d.slowestCase})\n`,
    );
  }
  const all = [...done.values()].reduce((x, y) => x + y.cases, 0);
  process.stdout.write(`fuzz: ${all} cases in ${secs.toFixed(0)} s, ${(all / secs).toFixed(0)} cases/s\n`);
  if (failure !== null) {
    process.stdout.write(`fuzz: FAILED: ${(failure as { message: string }).message}\n`);
    process.exit(1);
  }
}

void main();
