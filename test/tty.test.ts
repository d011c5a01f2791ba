// The command on a terminal: binary output refused with a hint, progress on
// stderr while converting, and none of either when not on a terminal. The
// terminal is a pseudo-terminal from util-linux's `script`.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CLI, FIXTURES } from "./helpers.js";

const haveScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
if (!haveScript) console.log("# tty.test: SKIPPED: util-linux `script` (a pseudo-terminal) is not installed");

const TRACE = join(FIXTURES, "traces", "go1.26", "many.trace");

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Runs a shell command line on a pseudo-terminal; returns what the terminal showed and the exit status. */
function onTerminal(cmd: string): { status: number | null; screen: string } {
  const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, screen: r.stdout };
}

/** The trace, fed to stdin slowly (the conversion takes over a second: progress shows after one). */
function slowly(path: string): string {
  return `(head -c 20000 ${sh(path)}; sleep 1.5; tail -c +20001 ${sh(path)})`;
}

describe("on a terminal", { skip: haveScript ? false : "no `script` command" }, () => {
  test("binary output to the terminal is refused with a hint (exit 2)", () => {
    const r = onTerminal(`${sh(process.execPath)} ${sh(CLI)} ${sh(TRACE)} --to pprof-sync`);
    assert.equal(r.status, 2, r.screen);
    assert.match(r.screen, /--to pprof-sync writes binary data; not writing it to a terminal\. Use -o many\.pprof-sync\.pb\.gz/);
  });

  test("text output to the terminal is written", () => {
    const r = onTerminal(`${sh(process.execPath)} ${sh(CLI)} ${sh(TRACE)} --to summary`);
    assert.equal(r.status, 0, r.screen);
    assert.match(r.screen, /Goroutines/);
  });

  test("progress (bytes, generations, events/s) on stderr while converting, cleared at the end", () => {
    const r = onTerminal(`${slowly(TRACE)} | ${sh(process.execPath)} ${sh(CLI)} - --to text -o /dev/null`);
    assert.equal(r.status, 0, r.screen);
    assert.match(r.screen, /<stdin>: [\d.]+ MB read, \d+ generations, \d+ events \([\d.]+ M\/s\)/);
    assert.match(r.screen, /\r\x1b\[K$/, "the progress line is cleared");
  });

  test("-q: no progress", () => {
    const r = onTerminal(`${slowly(TRACE)} | ${sh(process.execPath)} ${sh(CLI)} - --to text -q -o /dev/null`);
    assert.equal(r.status, 0, r.screen);
    assert.doesNotMatch(r.screen, /MB read/);
  });

  test("stderr not a terminal: no progress", () => {
    const r = onTerminal(`${slowly(TRACE)} | ${sh(process.execPath)} ${sh(CLI)} - --to text -o /dev/null 2>/dev/null; echo "status $?"`);
    assert.match(r.screen, /status 0/);
    assert.doesNotMatch(r.screen, /MB read/);
  });
});
