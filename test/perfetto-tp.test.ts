// Our Perfetto outputs as Perfetto itself reads them: every fixture's
// protobuf and JSON (and the parts of --split) loaded into Perfetto's trace
// processor (the importer ui.perfetto.dev runs), checked with SQL: no import
// error or data loss; one run slice per stay of a goroutine on a P, one state
// slice per blocked or syscall interval, one slice per task and region, one
// instant per log and CPU sample, one arrow per unblock/creation/task as
// counted from the decoder's events (perfetto-expect.ts); goroutine lifetimes
// at the top of their lanes, states inside them; lanes grouped by start
// function ("main.worker ×12" holds 12 goroutines named after it), system
// goroutines in a group of their own; counters; callstacks in the protobuf
// that resolve to named frames.
//
// Needs the trace processor: TRACE_PROCESSOR, else trace_processor on PATH
// (Perfetto ships it); skips visibly without it. The lane test also needs Go
// (test/lanes writes a trace of 2,000 short goroutines).

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isSystemGoroutine } from "../src/convert/summarizer.js";
import { expectedCounts, fixtures, toJson, toProto, type Counts } from "./perfetto-expect.js";
import { FIXTURES, haveGo, ROOT, runCLI } from "./helpers.js";

/** The trace processor binary: $TRACE_PROCESSOR, else trace_processor on PATH; null when neither. */
export function findTraceProcessor(): string | null {
  const env = process.env["TRACE_PROCESSOR"];
  if (env !== undefined && env !== "") return existsSync(env) ? env : null;
  for (const d of (process.env["PATH"] ?? "").split(delimiter)) {
    for (const n of ["trace_processor", "trace_processor_shell"]) if (d !== "" && existsSync(join(d, n))) return join(d, n);
  }
  return null;
}

const TP = findTraceProcessor();
const skip = TP === null ? "the trace processor was not found (set TRACE_PROCESSOR to Perfetto's trace_processor): skipping the checks in Perfetto's own importer" : false;

/** Parses the CSV the trace processor prints (quoted strings, [NULL]). */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (q) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') q = false;
      else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n") {
      row.push(cell);
      if (row.length > 1 || row[0] !== "") rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (cell !== "" || row.length > 0) rows.push([...row, cell]);
  const head = rows.shift() ?? [];
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ""])));
}

/** Runs SQL over a trace; the rows of each statement that returns rows (one load of the trace). */
function queries(trace: string, sqlFile: string): Promise<Record<string, string>[][]> {
  return new Promise((resolve, reject) => {
    const p = spawn(TP!, ["--query-file", sqlFile, trace], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (b: Buffer) => out.push(b));
    p.stderr.on("data", (b: Buffer) => err.push(b));
    p.on("error", reject);
    p.on("close", (code) => {
      if (code !== 0) reject(new Error(`trace_processor failed on ${trace} (${code}): ${Buffer.concat(err).toString().slice(-2000)}`));
      else resolve(Buffer.concat(out).toString("utf8").split(/\n\n+/).filter((b) => b.trim() !== "").map(parseCsv));
    });
  });
}

async function query(trace: string, sqlFile: string): Promise<Record<string, string>[]> {
  return (await queries(trace, sqlFile))[0]!;
}

/** Track names, parents and processes, the same way for JSON (threads in processes) and protobuf (nested tracks). */
const TRACKS = `
create perfetto table tn as
select t.id, coalesce(t.name, th.name) as name, t.parent_id as parent, coalesce(p1.name, p2.name) as proc
from track t
left join thread_track tt on tt.id = t.id left join thread th on th.utid = tt.utid
left join process_track pt on pt.id = t.id left join process p1 on p1.upid = pt.upid
left join process p2 on p2.upid = th.upid;
create perfetto table sl as
select s.id, s.ts, s.dur, s.depth, s.name, s.category, s.track_id, tn.name as track, tn.proc, tn.parent from slice s join tn on tn.id = s.track_id;
`;

const COUNTS = `${TRACKS}
select
  (select count(*) from stats where severity in ('error', 'data_loss') and value > 0) as errors,
  (select ifnull(group_concat(name || '=' || value, ' '), '') from stats where severity in ('error', 'data_loss') and value > 0) as error_list,
  (select count(*) from sl where proc = 'Procs' and name glob 'G[0-9]*') as runs,
  (select count(*) from sl where (name glob 'blocked*' or name = 'syscall') and category is null and proc != 'Threads') as states,
  (select count(*) from sl where category = 'task') as tasks,
  (select count(*) from sl where category = 'region') as regions,
  (select count(*) from sl where category = 'log') as logs,
  (select count(*) from sl where category = 'cpu') as samples,
  (select count(*) from flow) as flows,
  (select count(*) from sl where name glob 'G[0-9]*' and proc not in ('Procs', 'Threads') and depth != 0) as nested_lifetimes,
  (select count(*) from sl where (name glob 'blocked*' or name = 'syscall') and category is null and proc != 'Threads' and depth = 0) as loose_states,
  (select count(*) from sl where proc = 'Procs' and name glob 'G[0-9]*' and depth != 0) as nested_runs,
  (select count(distinct track_id) from counter) as counter_tracks,
  (select count(*) from counter) as counter_samples,
  (select count(*) from counter where value < 0) as negative_counters,
  (select count(*) from slice where ts < 0 or dur < 0) as bad_times;
`;

const LANES = `
select coalesce(g.name, sl.proc) as grp, g.proc as top, sl.name, sl.track_id as lane
from sl left join tn g on g.id = sl.parent
where sl.name glob 'G[0-9]*' and sl.proc not in ('Procs', 'Threads');
`;

const STACKS = `
select
  (select count(*) from __intrinsic_track_event_callstacks) as callstacks,
  (select count(*) from __intrinsic_track_event_callstacks c
     join stack_profile_callsite cs on cs.id = coalesce(c.callsite_id, c.end_callsite_id)
     join stack_profile_frame f on f.id = cs.frame_id
   where f.name is not null and f.name != '') as named;
`;

const num = (r: Record<string, string>, k: string): number => Number(r[k]);

function countsOf(r: Record<string, string>): Counts {
  return { runs: num(r, "runs"), states: num(r, "states"), tasks: num(r, "tasks"), regions: num(r, "regions"), logs: num(r, "logs"), samples: num(r, "samples"), flows: num(r, "flows") };
}

/** Checks the grouping: each group named "fn ×N" holds N lifetimes named "G<id> fn"; system goroutines apart. */
function checkLanes(rows: Record<string, string>[], where: string, proto: boolean): { lifetimes: number; lanes: number } {
  const byGroup = new Map<string, Record<string, string>[]>();
  for (const r of rows) {
    let l = byGroup.get(r["grp"]!);
    if (l === undefined) byGroup.set(r["grp"]!, (l = []));
    l.push(r);
  }
  const lanes = new Set<string>();
  for (const [grp, l] of byGroup) {
    const m = /^(.*) ×([\d,]+)$/.exec(grp);
    assert.ok(m !== null, `${where}: group "${grp}" is not named "fn ×N"`);
    const fn = m[1]!;
    assert.equal(Number(m[2]!.replace(/,/g, "")), l.length, `${where}: group ${grp} holds ${l.length} goroutines`);
    for (const r of l) {
      lanes.add(r["lane"]!);
      const unknown = fn === "(start function unknown)";
      assert.ok(unknown ? /^G\d+$/.test(r["name"]!) : r["name"]!.endsWith(` ${fn}`), `${where}: ${r["name"]} in group ${grp}`);
      if (proto) assert.equal(r["top"], isSystemGoroutine(unknown ? "" : fn) ? "System goroutines" : "Goroutines", `${where}: group ${grp} under ${r["top"]}`);
    }
  }
  return { lifetimes: rows.length, lanes: lanes.size };
}

describe("Perfetto's trace processor reads our outputs", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tc-tp-"));
  const sql = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const countsSql = sql("counts.sql", COUNTS);
  const lanesSql = sql("lanes.sql", `${TRACKS}${LANES}`);
  const jsonSql = sql("json.sql", `${COUNTS}${LANES}`);
  const protoSql = sql("proto.sql", `${COUNTS}${LANES}${STACKS}`);
  const all = fixtures();
  const results = new Map<string, { json: Record<string, string>; proto: Record<string, string>; jsonLanes: Record<string, string>[]; protoLanes: Record<string, string>[]; stacks: Record<string, string> }>();

  before(async () => {
    // Two trace processors at a time.
    let next = 0;
    const work = async () => {
      for (;;) {
        const i = next++;
        if (i >= all.length) return;
        const { where, bytes } = all[i]!;
        const base = join(dir, where.replace("/", "_"));
        writeFileSync(`${base}.json`, await toJson(bytes));
        writeFileSync(`${base}.pftrace`, await toProto(bytes));
        const [json, proto] = await Promise.all([queries(`${base}.json`, jsonSql), queries(`${base}.pftrace`, protoSql)]);
        results.set(where, { json: json[0]![0]!, proto: proto[0]![0]!, jsonLanes: json[1] ?? [], protoLanes: proto[1] ?? [], stacks: proto[2]![0]! });
        rmSync(`${base}.json`);
        rmSync(`${base}.pftrace`);
      }
    };
    await Promise.all([work(), work()]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const { where, bytes, e } of all) {
    test(where, () => {
      const r = results.get(where)!;
      const { counts: want } = expectedCounts(bytes);
      for (const [fmt, row, lanes] of [
        ["JSON", r.json, r.jsonLanes],
        ["protobuf", r.proto, r.protoLanes],
      ] as const) {
        assert.equal(row["errors"], "0", `${where} ${fmt}: import errors: ${row["error_list"]}`);
        assert.deepEqual(countsOf(row), want, `${where} ${fmt}: counts`);
        assert.equal(row["nested_lifetimes"], "0", `${where} ${fmt}: goroutine lifetimes not at the top of their lanes`);
        assert.equal(row["loose_states"], "0", `${where} ${fmt}: states outside a goroutine lifetime`);
        assert.equal(row["nested_runs"], "0", `${where} ${fmt}: runs nested on a P`);
        assert.equal(row["negative_counters"], "0", `${where} ${fmt}: negative counter values`);
        assert.equal(row["bad_times"], "0", `${where} ${fmt}: negative times`);
        if (want.runs > 0) assert.ok(num(row, "counter_tracks") >= 3 && num(row, "counter_samples") > 0, `${where} ${fmt}: counters`);
        const l = checkLanes(lanes, `${where} ${fmt}`, fmt === "protobuf");
        if (want.states > 0) assert.ok(l.lifetimes > 0, `${where} ${fmt}: no goroutine lanes`);
      }
      if (e.dir !== "damaged" && want.states > 0) {
        assert.ok(num(r.stacks, "callstacks") > 0, `${where}: no callstacks in the protobuf`);
        assert.equal(r.stacks["named"], r.stacks["callstacks"], `${where}: callstacks whose leaf frame has no name`);
      }
    });
  }

  test("lanes are reused: 2,000 short goroutines, at most 8 alive at once, share a few lanes of one group", { skip: haveGo() ? false : "go is not installed: skipping the lane test (it writes a fresh trace)" }, async () => {
    const trace = join(dir, "lanes.trace");
    const g = spawnSync("go", ["run", ".", trace], { cwd: join(ROOT, "test", "lanes"), encoding: "utf8", timeout: 300_000 });
    assert.equal(g.status, 0, g.stderr);
    for (const [fmt, ext] of [
      ["perfetto-proto", ".pftrace"],
      ["perfetto", ".json"],
    ] as const) {
      const out = join(dir, `lanes${ext}`);
      const r = runCLI([trace, "--to", fmt, "-o", out]);
      assert.equal(r.status, 0, r.stderr.toString());
      const [counts, lanes] = await queries(out, fmt === "perfetto" ? jsonSql : protoSql);
      assert.equal(counts![0]!["errors"], "0", counts![0]!["error_list"]);
      checkLanes(lanes!, `lanes ${fmt}`, fmt === "perfetto-proto");
      const mine = lanes!.filter((x) => x["grp"] === "main.main.func1 ×2,000");
      const used = new Set(mine.map((x) => x["lane"])).size;
      assert.equal(mine.length, 2000, `${fmt}: goroutines in the group`);
      assert.ok(used <= 16, `${fmt}: 2,000 goroutines on ${used} lanes`);
    }
  });

  test("--split parts each load without errors and together hold every run", async () => {
    const trace = join(FIXTURES, "traces", "go1.26", "gc.trace");
    const { counts: want } = expectedCounts((await import("node:fs")).readFileSync(trace));
    for (const [fmt, ext] of [
      ["perfetto-proto", ".pftrace"],
      ["perfetto", ".json"],
    ] as const) {
      const r = runCLI([trace, "--to", fmt, "--split", "1MB", "-o", join(dir, `split${ext}`)]);
      assert.equal(r.status, 0, r.stderr.toString());
      const parts = readdirSync(dir).filter((f) => f.startsWith("split-") && f.endsWith(ext)).sort();
      assert.ok(parts.length >= 2, `${fmt}: ${parts.length} parts`);
      let runs = 0;
      let prevEnd = -1;
      for (const f of parts) {
        const row = (await query(join(dir, f), countsSql))[0]!;
        assert.equal(row["errors"], "0", `${f}: import errors: ${row["error_list"]}`);
        assert.equal(row["nested_lifetimes"], "0", `${f}: lifetimes not at the top of their lanes`);
        assert.equal(row["loose_states"], "0", `${f}: states outside a lifetime`);
        checkLanes(await query(join(dir, f), lanesSql), f, fmt === "perfetto-proto");
        runs += num(row, "runs");
        const span = (await query(join(dir, f), sql("span.sql", "select min(ts) as a, max(ts + dur) as b from slice;")))[0]!;
        assert.ok(num(span, "a") >= prevEnd, `${f} begins before the previous part ends`);
        prevEnd = num(span, "b");
      }
      assert.ok(runs >= want.runs, `${fmt}: ${runs} runs in the parts, ${want.runs} in the trace`);
    }
  });
});

// Visible in the test log when the trace processor is missing.
if (skip !== false) test("trace processor checks", { skip }, () => undefined);
