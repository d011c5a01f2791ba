// Command-line options shared by every format.

export interface Options {
  to: string;
  output: string | null;
  inputs: string[];
  /** Time window, ns relative to the first event of the trace. */
  start: number | null;
  end: number | null;
  goroutine: number | null;
  task: string | null;
  region: string | null;
  labels: boolean;
  annotationsOnly: boolean;
  /** Perfetto: parts of at most this many bytes (null: one output). */
  split: number | null;
  /** Perfetto: runnable intervals on goroutine lanes too. */
  runnable: boolean;
  /** Perfetto: a track per OS thread (M). */
  osThreads: boolean;
  /** Threads for one conversion: 2 decodes a trace file on a second thread (null: defaultThreads(), 2 where the cores allow two for every conversion running at once). */
  threads: number | null;
  json: boolean;
  open: boolean;
  debug: boolean;
  redact: boolean;
  quiet: boolean;
  endpoint: string | null;
  /** --protocol (otlp): http/protobuf, http/json or grpc. */
  protocol: string | null;
  headers: [string, string][];
  serviceName: string | null;
  startTime: Date | null;
  help: boolean;
  version: boolean;
  /** Worker threads for several inputs (null: one per core). */
  jobs: number | null;
  /** Several inputs to --to summary: one summary each instead of the combined one. */
  perTrace: boolean;
}

export class UsageError extends Error {}

const DURATION = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?$/;
const UNIT: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parses "1.5s", "200ms", "750us", "42ns" (a bare number means seconds). */
export function parseDuration(s: string, flag: string): number {
  const m = DURATION.exec(s.trim());
  if (m === null) throw new UsageError(`${flag}: cannot parse duration "${s}" (use e.g. 1.5s, 200ms, 750us)`);
  return Math.round(Number(m[1]) * UNIT[m[2] ?? "s"]!);
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?$/i;
const SIZE_UNIT: Record<string, number> = { b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };

/** Parses "300MB", "1.5GB", "512KiB", "1000" (bytes). */
export function parseSize(s: string, flag: string): number {
  const m = SIZE.exec(s.trim());
  if (m === null) throw new UsageError(`${flag}: cannot parse size "${s}" (use e.g. 300MB, 1GB, 512KiB)`);
  return Math.round(Number(m[1]) * SIZE_UNIT[(m[2] ?? "b").toLowerCase()]!);
}

/** "--flag=value" split into the flag and its inline value (none for "-x" or a bare "--flag"). */
export function splitFlag(a: string): { flag: string; inline: string | undefined } {
  const eq = a.startsWith("--") ? a.indexOf("=") : -1;
  return eq >= 0 ? { flag: a.slice(0, eq), inline: a.slice(eq + 1) } : { flag: a, inline: undefined };
}

/** A flag's value: the inline one, else the next argument (taken off `args`). */
export function takeValue(args: string[], flag: string, inline: string | undefined): string {
  if (inline !== undefined) return inline;
  const v = args.shift();
  if (v === undefined) throw new UsageError(`${flag} needs a value`);
  return v;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    to: "",
    output: null,
    inputs: [],
    start: null,
    end: null,
    goroutine: null,
    task: null,
    region: null,
    labels: false,
    annotationsOnly: false,
    split: null,
    runnable: false,
    osThreads: false,
    threads: null,
    json: false,
    open: false,
    debug: false,
    redact: false,
    quiet: false,
    endpoint: null,
    protocol: null,
    headers: [],
    serviceName: null,
    startTime: null,
    help: false,
    version: false,
    jobs: null,
    perTrace: false,
  };
  const args = [...argv];
  const value = (flag: string, inline: string | undefined): string => takeValue(args, flag, inline);
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === "--") {
      o.inputs.push(...args.splice(0));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      o.inputs.push(a);
      continue;
    }
    const { flag, inline } = splitFlag(a);
    switch (flag) {
      case "-h":
      case "--help":
        o.help = true;
        break;
      case "-V":
      case "--version":
        o.version = true;
        break;
      case "-t":
      case "--to":
        o.to = value(flag, inline);
        break;
      case "-o":
      case "--output":
        o.output = value(flag, inline);
        break;
      case "--start":
        o.start = parseDuration(value(flag, inline), flag);
        break;
      case "--end":
        o.end = parseDuration(value(flag, inline), flag);
        break;
      case "--goroutine": {
        const v = value(flag, inline);
        if (!/^\d+$/.test(v)) throw new UsageError(`--goroutine: expected a goroutine ID, got "${v}"`);
        o.goroutine = Number(v);
        break;
      }
      case "--task":
        o.task = value(flag, inline);
        break;
      case "--region":
        o.region = value(flag, inline);
        break;
      case "--labels":
        o.labels = true;
        break;
      case "--annotations-only":
        o.annotationsOnly = true;
        break;
      case "--split":
        o.split = parseSize(value(flag, inline), flag);
        if (o.split < 1e6) throw new UsageError(`${flag}: ${o.split} bytes is too small (a part holds at least 1MB)`);
        break;
      case "--runnable":
        o.runnable = true;
        break;
      case "--os-threads":
        o.osThreads = true;
        break;
      case "--threads": {
        const v = value(flag, inline);
        if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`--threads: expected a number of threads (1 or more), got "${v}"`);
        // One thread decodes and one converts: more than 2 take nothing more (yet).
        o.threads = Number(v);
        break;
      }
      case "--json":
        o.json = true;
        break;
      case "--open":
        o.open = true;
        break;
      case "--debug":
        o.debug = true;
        break;
      case "--redact":
        o.redact = true;
        break;
      case "-q":
      case "--quiet":
        o.quiet = true;
        break;
      case "--endpoint":
        o.endpoint = value(flag, inline);
        break;
      case "--protocol":
        o.protocol = value(flag, inline);
        break;
      case "--header": {
        const v = value(flag, inline);
        const i = v.indexOf("=");
        if (i <= 0) throw new UsageError(`--header: expected key=value, got "${v}"`);
        o.headers.push([v.slice(0, i).trim(), v.slice(i + 1).trim()]);
        break;
      }
      case "--service-name":
        o.serviceName = value(flag, inline);
        break;
      case "--start-time": {
        const v = value(flag, inline);
        const d = /^\d+(\.\d+)?$/.test(v) ? new Date(Number(v) * 1000) : new Date(v);
        if (Number.isNaN(d.getTime())) throw new UsageError(`--start-time: cannot parse "${v}" (use RFC 3339, e.g. 2026-01-02T15:04:05Z, or Unix seconds)`);
        o.startTime = d;
        break;
      }
      case "-j":
      case "--jobs": {
        const v = value(flag, inline);
        if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`--jobs: expected a number of workers (1 or more), got "${v}"`);
        o.jobs = Number(v);
        break;
      }
      case "--per-trace":
        o.perTrace = true;
        break;
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  if (o.start !== null && o.end !== null && o.end <= o.start) throw new UsageError("--end must be after --start");
  return o;
}
