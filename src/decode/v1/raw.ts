// Reading one raw record of a Go 1.11-1.21 trace: the type byte (low 6 bits
// type, top 2 bits argument count, 3 = length-prefixed), then varints. Errors
// are Go's parser's words; the offset is where the record starts.

import { TraceError } from "../errors.js";
import { decodeString } from "../strings.js";
import type { IdTable } from "../tables.js";
import { uvarint, vend } from "../varint.js";
import { ARG_NUM, DESCS, V1 } from "./events.js";

export const SKIP_ARGS = 1;
export const SKIP_STRINGS = 2;

const MALFORMED = "malformatted base-128 varint";
const MAX_INT32 = 2147483647;
const MAX_U64 = "18446744073709551615";

export class RawReader {
  data: Uint8Array = new Uint8Array(0);
  /** Offset in the input of data[0]. */
  base = 0;
  off = 0;
  /** Offset (in data) of the record just read. */
  start = 0;
  typ = 0;
  argc = 0;
  args = new Float64Array(64);
  /** EvBatch: its P (-1 for the global buffer). */
  batchPid = 0;
  /** EvUserLog read without SKIP_ARGS: the inline message's bytes. */
  msgStart = 0;
  msgEnd = 0;
  readonly version: number;
  /** Strings are inserted here when read without SKIP_STRINGS. */
  strings: IdTable<string> | null = null;
  maxStringId = 0;

  constructor(version: number) {
    this.version = version;
  }

  fail(msg: string, truncated = false): never {
    // Truncation is reported where the input ends, other problems where the record starts.
    throw new TraceError(msg, this.base + (truncated ? this.data.length : this.start), truncated);
  }

  private val(): number {
    const v = uvarint(this.data, this.off, this.data.length);
    if (vend < 0) this.fail(MALFORMED, vend === -1);
    this.off = vend;
    return v;
  }

  private push(v: number): void {
    if (this.argc === this.args.length) {
      const a = new Float64Array(this.args.length * 2);
      a.set(this.args);
      this.args = a;
    }
    this.args[this.argc++] = v;
  }

  /** Skips n bytes; false when they are not there. */
  private discard(n: number): boolean {
    if (n < 0 || this.off + n > this.data.length) return false;
    this.off += n;
    return true;
  }

  /** Checks that n bytes are there (Go's readFull) and skips them. */
  private full(n: number): void {
    const len = this.data.length;
    if (this.off >= len || n < 0 || this.off + n > len) this.fail("failed to read trace: unexpected EOF", true);
    this.off += n;
  }

  /**
   * Reads the record at `off`. Returns false at the end of the data (or, as
   * Go does, when a skipped log message runs past it). typ is None after a
   * string record.
   */
  read(flags: number): boolean {
    const data = this.data;
    if (this.off >= data.length) return false;
    this.start = this.off;
    const b = data[this.off++]!;
    const typ = b & 0x3f;
    const narg = (b >> 6) + 1;
    this.argc = 0;
    if (typ === V1.None || typ >= V1.Count || DESCS[typ]!.minVersion > this.version) this.fail(`unknown event type ${typ}`);
    this.typ = typ;
    if (typ === V1.String) {
      this.typ = V1.None;
      if ((flags & SKIP_STRINGS) !== 0) {
        this.val();
        const ln = this.val();
        if (!this.discard(ln)) this.fail("failed to read trace: EOF", true);
        return true;
      }
      const id = this.val();
      if (id === 0) this.fail("string has invalid id 0");
      const st = this.strings!;
      if (st.has(id)) this.fail(`string has duplicate id ${id < 0 ? MAX_U64 : id}`);
      const ln = this.val();
      if (ln === 0) this.fail("string has invalid length 0");
      if (ln > 1e6 || ln < 0) this.fail(`string has too large length ${ln < 0 ? MAX_U64 : ln}`);
      const s = this.off;
      this.full(ln);
      st.insert(id, decodeString(data, s, s + ln));
      if (id > this.maxStringId) this.maxStringId = id;
      return true;
    }
    if (typ === V1.Batch) {
      if (narg !== 2) this.fail(`EvBatch has wrong number of arguments: got ${narg}, want 2`);
      const pid = this.val();
      if (pid !== -1 && pid > MAX_INT32) this.fail(`processor ID ${pid} is larger than maximum of ${MAX_U64}`);
      this.batchPid = pid === -1 ? -1 : pid;
      const ticks = this.val();
      this.push(pid);
      this.push(ticks);
      return true;
    }
    if (narg <= 3) {
      for (let i = 0; i < narg; i++) {
        const v = uvarint(data, this.off, data.length);
        if (vend < 0) this.fail(`failed to read event ${typ} argument: ${MALFORMED}`, vend === -1);
        this.off = vend;
        if ((flags & SKIP_ARGS) === 0) this.push(v);
      }
      return true;
    }
    const v = uvarint(data, this.off, data.length);
    if (vend < 0) this.fail(`failed to read event ${typ} argument: ${MALFORMED}`, vend === -1);
    this.off = vend;
    if (v > 2048 || v < 0) {
      this.fail(`failed to read event ${typ} argument: length-prefixed argument too big: ${v < 0 ? MAX_U64 : v} bytes, limit is 2048`);
    }
    if ((flags & SKIP_ARGS) === 0 || typ === V1.CPUSample) {
      const s = this.off;
      this.full(v);
      const e = s + v;
      let p = s;
      while (p < e) {
        const x = uvarint(data, p, e);
        if (vend < 0) this.fail(MALFORMED);
        p = vend;
        this.push(x);
      }
    } else if (!this.discard(v)) {
      this.fail("failed to read trace: EOF", true);
    }
    if (typ === V1.UserLog) {
      if ((flags & SKIP_ARGS) === 0) {
        const sz = this.val();
        if (sz > 1e6 || sz < 0) this.fail(`string is too large (len=${sz < 0 ? MAX_U64 : sz})`);
        this.msgStart = this.off;
        if (sz !== 0) this.full(sz);
        this.msgEnd = this.off;
      } else {
        const sz = this.val();
        if (!this.discard(sz)) return false;
      }
    }
    return true;
  }

  /** The inline message of the UserLog just read. */
  message(): string {
    return decodeString(this.data, this.msgStart, this.msgEnd);
  }

  /** Go's argNum check for an ordinary event; fails with Go's message. */
  checkArgs(): void {
    const t = this.typ;
    const want = t === V1.Stack ? this.argc : ARG_NUM[t]!;
    if (this.argc !== want) this.fail(`${DESCS[t]!.name} has wrong number of arguments: want ${want}, got ${this.argc}`);
  }
}

// Decoded arguments of an ordinary event, as Go's parser lays them out
// (Args[0..3] after the timestamp delta, the stack ID apart).
export let A0 = 0;
export let A1 = 0;
export let A2 = 0;
export let A3 = 0;
export let STK = 0;

/** Splits rr's raw values (timestamp delta first) into A0..A3 and STK. */
export function splitArgs(rr: RawReader): void {
  const t = rr.typ;
  const n = rr.argc;
  const stack = DESCS[t]!.stack;
  const a = rr.args;
  A0 = A1 = A2 = A3 = STK = 0;
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    if (i === n - 1 && stack) STK = v >>> 0;
    else if (i === 1) A0 = v;
    else if (i === 2) A1 = v;
    else if (i === 3) A2 = v;
    else if (i === 4) A3 = v;
  }
}
