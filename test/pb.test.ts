import assert from "node:assert/strict";
import { test } from "node:test";
import { PbWriter, putFixed64, putVarint } from "../src/sinks/pb.js";

function hex(w: PbWriter): string {
  return Buffer.from(w.bytes()).toString("hex");
}

test("varints, negative int64, fixed64", () => {
  const w = new PbWriter(4);
  w.uint(1, 150);
  w.uint(2, 0); // skipped
  w.uintAlways(2, 0);
  w.uint(3, 2 ** 53 - 1);
  w.uint(4, -1);
  w.fixed64(6, 2 ** 32 + 5);
  assert.equal(hex(w), "089601" + "1000" + "18ffffffffffffff0f" + "20ffffffffffffffffff01" + "310500000001000000");
});

test("strings and nested messages patch their lengths: padded when short, shifted when long", () => {
  const w = new PbWriter(8);
  w.string(1, "");
  w.string(2, "héllo");
  w.begin(3);
  w.uint(1, 1);
  w.end();
  const long = "x".repeat(20000);
  w.begin(4);
  w.string(1, long);
  w.end();
  const b = Buffer.from(w.bytes());
  // field 3: the 2-byte reservation holds the length 2 as a padded varint (0x82 0x00).
  assert.equal(b.subarray(0, 15).toString("hex"), "0a00" + "1206" + Buffer.from("héllo").toString("hex") + "1a82000801");
  // field 4: tag 0x22, len = 1 (tag) + 3 (len varint of 20000) + 20000: needs 3 bytes, shifted
  assert.equal(b[15], 0x22);
  assert.equal(b.subarray(16, 19).toString("hex"), "a49c01");
  assert.equal(b.length, 19 + 20004);
  assert.equal(b.subarray(19, 23).toString("hex"), "0aa09c01");
});

test("putVarint and putFixed64 write what PbWriter's varint and fixed64 write", () => {
  for (const v of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35 + 7, 2 ** 53 - 1]) {
    const w = new PbWriter(16);
    w.varint(v);
    const b = new Uint8Array(16);
    const n = putVarint(b, 0, v);
    assert.deepEqual(b.subarray(0, n), w.bytes(), `varint ${v}`);
    const f = new PbWriter(16);
    f.fixed64(1, v);
    const g = new Uint8Array(16);
    assert.equal(putFixed64(g, 0, v), 8);
    assert.deepEqual(g.subarray(0, 8), f.bytes().subarray(1), `fixed64 ${v}`);
  }
});
