import { formatEvent } from "../../sinks/text.js";
import type { Format } from "../format.js";

export const formats: Format[] = [
  {
    name: "text",
    summary: "every event as `go tool trace -d=parsed` prints it (byte for byte)",
    example: "trace-convert trace.out --to text | less",
    binary: false,
    ext: ".txt",
    writesOutput: true,
    async run(ctx) {
      const out = ctx.out();
      return ctx.drive((ev, r) => out.write(formatEvent(ev, r.timeBase) + "\n"));
    },
  },
];
