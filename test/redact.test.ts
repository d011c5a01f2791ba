// --redact: log messages, non-standard-library function names and their files
// become stable hashes; everything else stays, and the output stays valid.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { isStdFunc, stableHash } from "../src/decode/redact.js";
import { FIXTURES, loadManifest, parsedPath, readMaybeGz, runCLI } from "./helpers.js";

test("standard library functions are recognised", () => {
  for (const f of ["runtime.gopark", "net/http.(*conn).serve", "internal/poll.(*FD).Read", "sync.(*Mutex).Lock", "runtime/trace.WithRegion"]) {
    assert.ok(isStdFunc(f), f);
  }
  for (const f of ["main.main", "main.worker.func1", "github.com/x/y.(*T).M", "example.com/z.F", "golang.org/x/net/http2.(*Framer).ReadFrame"]) {
    assert.ok(!isStdFunc(f), f);
  }
});

test("hashes are stable", () => {
  assert.equal(stableHash("main.main"), stableHash("main.main"));
  assert.notEqual(stableHash("main.main"), stableHash("main.mai"));
});

test("redacted text hides user code and messages, twice the same", () => {
  const e = loadManifest().find((x) => x.dir === "go1.26" && x.name === "annotations")!;
  const args = [join(FIXTURES, e.trace), "--to", "text", "--redact"];
  const a = runCLI(args);
  assert.equal(a.status, 0, a.stderr.toString());
  const out = a.stdout.toString();
  assert.equal(out, runCLI(args).stdout.toString(), "stable across runs");
  const plain = readMaybeGz(parsedPath(e));
  assert.equal(out.split("\n").length, plain.split("\n").length, "same events");
  assert.doesNotMatch(out, /\bmain\./, "no user function names");
  assert.match(out, /runtime\.gopark|runtime\/trace\./, "standard library frames stay");
  const msgs = out.split("\n").filter((l) => / Log /.test(l));
  assert.ok(msgs.length > 0);
  for (const l of msgs) assert.match(l, /Message="(msg_[0-9a-f]{16})?"$/);
});
