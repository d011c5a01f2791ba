// `--to text` must equal `go tool trace -d=parsed` byte for byte, on every
// Go 1.22+ fixture (and on damaged ones: the same output and error).

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { decodeToText, FIXTURES, firstLine, haveGo, loadManifest, parsedPath, readMaybeGz, V2_HEADERS, ROOT } from "./helpers.js";

// Old formats (go 1.11/1.19/1.21 headers) are covered by v1.test.ts.
const OLD = ["go 1.11 trace", "go 1.19 trace", "go 1.21 trace"];
const manifest = loadManifest().filter((e) => V2_HEADERS.includes(e.header) || (e.dir === "damaged" && !OLD.includes(e.header)));

function firstDiff(a: string, b: string): string {
  const al = a.split("\n");
  const bl = b.split("\n");
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `line ${i + 1}:\n  ours: ${al[i]}\n  go:   ${bl[i]}`;
  }
  return "no difference";
}

describe("text output equals go tool trace -d=parsed", () => {
  test("the manifest lists Go 1.22+ fixtures of every version", () => {
    const headers = new Set(manifest.map((e) => e.header));
    for (const h of V2_HEADERS) assert.ok(headers.has(h), `no fixture with header ${h}`);
  });
  for (const e of manifest) {
    test(`${e.dir}/${e.name}`, () => {
      const bytes = readFileSync(join(FIXTURES, e.trace));
      const want = readMaybeGz(parsedPath(e));
      // Feed it in odd-sized chunks to exercise the streaming path.
      const got = decodeToText(bytes, 65_537);
      if (got.text !== want) assert.fail(`${e.trace}: output differs at ${firstDiff(got.text, want)}`);
      if (e.parsedExit === 0) {
        assert.equal(got.error, null, `unexpected error: ${got.error?.message}`);
      } else {
        assert.ok(got.error !== null, `go tool trace failed (${e.parsedStderr}) but we did not`);
        assert.equal(firstLine(got.error.message), firstLine(e.parsedStderr));
      }
    });
  }
});

describe("live: fresh traces from the installed Go", () => {
  const skip = haveGo() ? false : "go is not installed: skipping the live comparison";
  test("every freshly generated trace decodes exactly as go tool trace -d=parsed", { skip, timeout: 600_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), "tc-live-"));
    try {
      const gen = spawnSync("bash", [join(ROOT, "fixtures", "gen", "regen.sh"), "--live", dir], { encoding: "utf8", timeout: 540_000 });
      assert.equal(gen.status, 0, `regen.sh --live failed:\n${gen.stderr}`);
      const live = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { trace: string }[];
      const traces = live.map((e) => e.trace);
      assert.ok(traces.length >= 8, `only ${traces.length} traces generated`);
      for (const t of traces) {
        const bytes = readFileSync(join(dir, t));
        const goOut = spawnSync("go", ["tool", "trace", "-d=parsed", join(dir, t)], { maxBuffer: 1 << 30 });
        const want = goOut.stdout.toString("utf8");
        const got = decodeToText(bytes);
        if (got.text !== want) assert.fail(`${t}: output differs at ${firstDiff(got.text, want)}`);
        assert.equal(goOut.status === 0, got.error === null, `${t}: go exit ${goOut.status}, ours ${got.error?.message}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
