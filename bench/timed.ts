// What the benchmarks share: a command timed under /usr/bin/time (wall time
// and peak RSS of the whole process), and the command line that runs
// trace-convert as an installed one does (node with its #! line's V8 options).

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface Timed {
  secs: number;
  rssMB: number;
  out: string;
  err: string;
}

export interface TimedOptions {
  cwd?: string;
  /** Stdout not kept (outputs of gigabytes). */
  discardOut?: boolean;
  /** Exit statuses that count as success (default: 0). */
  ok?: number[];
}

/** Runs `argv` under /usr/bin/time; throws, with the end of its stderr, when it fails. */
export function timed(argv: string[], o: TimedOptions = {}): Timed {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %M", ...argv], {
    cwd: o.cwd,
    encoding: "utf8",
    maxBuffer: 1 << 26,
    stdio: ["ignore", o.discardOut === true ? "ignore" : "pipe", "pipe"],
  });
  const err = r.stderr ?? "";
  const m = /TIME ([\d.]+) (\d+)\s*$/.exec(err);
  if (m === null || r.status === null || !(o.ok ?? [0]).includes(r.status)) throw new Error(`${argv.join(" ")} failed (status ${r.status}):\n${err.slice(-2000)}`);
  return { secs: Number(m[1]), rssMB: Number(m[2]) / 1024, out: r.stdout ?? "", err };
}

/** node, the V8 options of cli.js's #! line, cli.js: the command as an installed trace-convert runs it. */
export function cliCommand(cli: string): string[] {
  const m = /^#!\S*env\s+-S\s+node\s+(.*)$/.exec(readFileSync(cli, "utf8").split("\n", 1)[0]!);
  return [process.execPath, ...(m === null ? [] : m[1]!.trim().split(/\s+/)), cli];
}
