// The command-line contract: formats, -o, stdin, exit codes 0/1/2/3, --help, --version.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, test, after } from "node:test";
import { CLI, FIXTURES, loadManifest, parsedPath, readMaybeGz, runCLI, walkBatches } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "tc-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const manifest = loadManifest();
const multigen = manifest.find((e) => e.header === "go 1.26 trace" && e.name === "multigen");
const small = manifest.filter((e) => e.header === "go 1.26 trace").sort((a, b) => a.bytes - b.bytes)[0];

describe("command line", () => {
  test("--help lists every format with an example", () => {
    const r = runCLI(["--help"]);
    assert.equal(r.status, 0);
    const out = r.stdout.toString();
    for (const f of ["text"]) assert.match(out, new RegExp(`^  ${f} `, "m"));
    assert.match(out, /\$ trace-convert /);
    assert.match(out, /Exit status/);
  });
  test("--version prints the package version", () => {
    const r = runCLI(["--version"]);
    assert.equal(r.status, 0);
    const pkg = JSON.parse(readFileSync(join(FIXTURES, "..", "package.json"), "utf8")) as { version: string };
    assert.equal(r.stdout.toString().trim(), `trace-convert ${pkg.version}`);
  });
  test("the built command runs as a file, with its V8 options from its #! line (never set at run time)", { skip: process.platform === "win32" ? "no #! on Windows" : false }, () => {
    // v8.setFlagsFromString(...) after start deadlocked about 3 exits in 100.
    const src = readFileSync(CLI, "utf8");
    const first = src.split("\n", 1)[0]!;
    assert.match(first, /^#!\/usr\/bin\/env -S node --heap-growing-percent=20 --max-semi-space-size=4$/);
    assert.doesNotMatch(src, /setFlagsFromString\(/);
    // Run the file itself, as npx and an installed bin do: it must be executable (npm run build
    // sets the bit, so a rebuild under an existing npx link still runs) and its #! line must work.
    const r = spawnSync(CLI, ["--version"], {
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` },
    });
    assert.equal(r.status, 0, String(r.error ?? r.stderr));
    assert.match(r.stdout.toString(), /^trace-convert /);
  });
  test("usage errors exit 2", () => {
    assert.equal(runCLI([]).status, 2);
    assert.equal(runCLI(["x.trace"]).status, 2, "missing --to");
    assert.equal(runCLI(["x.trace", "--to", "nope"]).status, 2);
    assert.equal(runCLI(["x.trace", "--to", "text", "--bogus"]).status, 2);
    const r = runCLI(["a", "b", "--to", "text"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr.toString(), /-o DIR/);
  });
  test("a missing file exits 1 and names it", () => {
    const r = runCLI(["/nonexistent/x.trace", "--to", "text"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /\/nonexistent\/x\.trace/);
  });
  test("not a trace: exit 1 with the offset", () => {
    const p = join(tmp, "not.trace");
    writeFileSync(p, "hello, this is not a trace at all\n");
    const r = runCLI([p, "--to", "text"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /not\.trace: bad file format: not a Go execution trace\?/);
  });
  test("stdin in, -o file out", { skip: small === undefined }, () => {
    const bytes = readFileSync(join(FIXTURES, small!.trace));
    const o = join(tmp, "out.txt");
    const r = runCLI(["-", "--to", "text", "-o", o], bytes);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(readFileSync(o, "utf8"), readMaybeGz(parsedPath(small!)));
  });
  test("several inputs into a directory", { skip: small === undefined }, () => {
    const dir = join(tmp, "many");
    const a = join(FIXTURES, small!.trace);
    const r = runCLI([a, a, "--to", "text", "-o", dir + "/"]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(readdirSync(dir).length, 2);
  });
});

describe("damaged input", { skip: multigen === undefined ? "no go1.26 multigen fixture" : false }, () => {
  const bytes = multigen === undefined ? new Uint8Array(0) : readFileSync(join(FIXTURES, multigen.trace));
  const { batches, markers } = walkBatches(bytes);
  test("the fixture has several generations", () => assert.ok(markers.length >= 3, `${markers.length} generations`));
  test("truncated inside the last generation: complete generations, a warning with the offset, exit 3", () => {
    const cut = markers[markers.length - 1]! - 3;
    const p = join(tmp, "trunc.trace");
    writeFileSync(p, bytes.subarray(0, cut));
    const r = runCLI([p, "--to", "text"]);
    assert.equal(r.status, 3, r.stderr.toString());
    const err = r.stderr.toString();
    assert.match(err, /warning: .*trunc\.trace: trace is truncated at byte \d+/);
    assert.match(err, new RegExp(`the output holds the ${markers.length - 1} complete generations`));
    const syncs = r.stdout.toString().split("\n").filter((l) => / Sync Time=/.test(l)).length;
    assert.equal(syncs, markers.length, "a Sync per complete generation plus the one before the error");
  });
  test("truncated inside the first generation: exit 1", () => {
    const p = join(tmp, "trunc1.trace");
    writeFileSync(p, bytes.subarray(0, Math.floor(markers[0]! / 2)));
    const r = runCLI([p, "--to", "text"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /trunc1\.trace: .*\(at byte \d+\)/);
  });
  test("a corrupt batch header: exit 1 with the byte offset", () => {
    const b = Uint8Array.from(bytes);
    const at = batches[2]!;
    b[at] = 0x07;
    const p = join(tmp, "corrupt.trace");
    writeFileSync(p, b);
    const r = runCLI([p, "--to", "text"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), new RegExp(`expected batch event, got event 7 \\(at byte ${at}\\)`));
  });
  test("a corrupt batch in a later generation: exit 3", () => {
    const b = Uint8Array.from(bytes);
    const at = batches.find((x) => x > markers[1]!)!;
    b[at] = 0x07;
    const p = join(tmp, "corrupt2.trace");
    writeFileSync(p, b);
    const r = runCLI([p, "--to", "text"]);
    assert.equal(r.status, 3);
    assert.match(r.stderr.toString(), /trace is damaged at byte \d+: expected batch event/);
  });
});
