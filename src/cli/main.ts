import { createReadStream, createWriteStream } from "node:fs";
import { TraceReader } from "../decode/reader.js";
import { TraceError } from "../decode/errors.js";
import { formatEvent } from "../sinks/text.js";

export async function main(args: string[]): Promise<number> {
  const input = args[0]!;
  const out = createWriteStream("/dev/stdout");
  const r = new TraceReader();
  let pending: string[] = [];
  let size = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const s = pending.join("");
    pending = [];
    size = 0;
    if (!out.write(s)) await new Promise<void>((res) => out.once("drain", () => res()));
  };
  const drain = async () => {
    for (let ev = r.next(); ev !== null; ev = r.next()) {
      const s = formatEvent(ev, r.timeBase) + "\n";
      pending.push(s);
      size += s.length;
      if (size > 1 << 16) await flush();
    }
  };
  try {
    for await (const chunk of createReadStream(input, { highWaterMark: 1 << 20 })) {
      r.push(chunk as Uint8Array);
      await drain();
    }
    r.end();
    await drain();
    await flush();
  } catch (e) {
    await flush();
    if (e instanceof TraceError) {
      process.stderr.write(`${input}: offset ${e.offset}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  await new Promise<void>((res) => out.end(() => res()));
  return 0;
}
