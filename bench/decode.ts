// Decode-only pass: read every event of a trace with trace-convert's decoder
// and print the event count. --threads 1 (the default): drive() on the main
// thread, the file streamed as the command streams it; --threads 2 or more:
// driveFile(), the decoding in a worker thread (src/cli/decode-worker.ts) and
// the events handed back to the main thread, as the command does on a
// multi-core machine.
// Usage: node dist/bench/decode.js TRACE [--threads N]
import { createReadStream } from "node:fs";
import { driveFile } from "../src/cli/decode-parallel.js";
import { drive, type DriveResult } from "../src/convert/drive.js";

const args = process.argv.slice(2);
let threads = 1;
let path: string | undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--threads") threads = Number(args[++i]);
  else if (path === undefined) path = args[i];
  else path = "";
}
if (path === undefined || path === "" || !Number.isInteger(threads) || threads < 1) {
  process.stderr.write("usage: decode TRACE [--threads N]\n");
  process.exit(2);
}
let n = 0;
const onEvent = () => {
  n++;
};
const res: DriveResult =
  threads >= 2 ? await driveFile(path, onEvent, {}) : await drive(createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>, onEvent);
if (res.error !== null) {
  process.stderr.write(`${path}: ${res.error.message}\n`);
  process.exit(1);
}
process.stdout.write(`${n}\n`);
