// Decode-only pass: read every event of a trace with trace-convert's decoder
// (streamed from the file, as the command does) and print the event count.
import { createReadStream } from "node:fs";
import { drive } from "../src/convert/drive.js";

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write("usage: decode TRACE\n");
  process.exit(2);
}
let n = 0;
const res = await drive(createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>, () => {
  n++;
});
if (res.error !== null) {
  process.stderr.write(`${path}: ${res.error.message}\n`);
  process.exit(1);
}
process.stdout.write(`${n}\n`);
