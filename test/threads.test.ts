// --threads 2 (a trace file decoded on a second thread, decode-parallel.ts)
// must change nothing but the time: for every fixture, damaged ones included,
// every format that writes a file gives the same bytes, exit status and
// messages as --threads 1 (decoding in line). The fixture tests of text and
// pprof (byte-exact against Go) run with the default, which is 2 threads on
// a multi-core machine; this test also holds on a single core.

import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { FORMATS } from "../src/cli/formats.js";
import { defaultThreads } from "../src/cli/decode-parallel.js";
import { convertOne } from "../src/cli/main.js";
import { parseArgs } from "../src/cli/options.js";
import { FIXTURES } from "./helpers.js";

const traces: string[] = [];
for (const d of readdirSync(join(FIXTURES, "traces")).sort()) {
  for (const f of readdirSync(join(FIXTURES, "traces", d)).sort()) if (f.endsWith(".trace")) traces.push(join(FIXTURES, "traces", d, f));
}
const formats = FORMATS.filter((f) => f.writesOutput).map((f) => f.name);

async function run(trace: string, format: string, threads: number, out: string, extra: string[]): Promise<{ code: number; bytes: Buffer; messages: string[] }> {
  const opts = parseArgs([trace, "--to", format, "--threads", String(threads), "-o", out, ...extra]);
  const messages: string[] = [];
  const r = await convertOne(trace, format, out, opts, false, (m) => messages.push(m));
  let bytes = Buffer.alloc(0);
  try {
    bytes = readFileSync(out);
  } catch {
    // no output (an input error)
  }
  rmSync(out, { force: true });
  return { code: r.code, bytes, messages };
}

describe("--threads 2 gives what --threads 1 gives", () => {
  test("by default, a second thread where there are two cores for every conversion running at once", () => {
    assert.equal(defaultThreads(1, 1), 1);
    assert.equal(defaultThreads(1, 2), 2);
    assert.equal(defaultThreads(2, 2), 1);
    assert.equal(defaultThreads(2, 3), 1);
    assert.equal(defaultThreads(4, 8), 2);
    assert.equal(defaultThreads(5, 8), 1);
  });

  test(`${traces.length} fixtures x ${formats.length} formats (and summary --json): same bytes, exit status and messages`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tc-threads-"));
    let compared = 0;
    try {
      for (const trace of traces) {
        const name = trace.slice(FIXTURES.length + 1);
        for (const format of formats) {
          for (const extra of format === "summary" ? [[], ["--json"]] : [[]]) {
            const one = await run(trace, format, 1, join(dir, "out"), extra);
            const two = await run(trace, format, 2, join(dir, "out"), extra);
            const what = `${name} --to ${format} ${extra.join(" ")}`;
            assert.equal(two.code, one.code, `${what}: exit ${two.code} with 2 threads, ${one.code} with 1`);
            assert.deepEqual(two.messages, one.messages, `${what}: messages differ`);
            assert.ok(two.bytes.equals(one.bytes), `${what}: ${two.bytes.length} bytes with 2 threads, ${one.bytes.length} with 1`);
            compared++;
          }
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(compared > 1000, `compared ${compared} outputs`);
  });
});
