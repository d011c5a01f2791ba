// Interned data of the Perfetto protobuf: event names, categories, annotation
// names, and callstacks (frames, function names, source paths). Definitions
// are gathered in a PbWriter and go into the next packet's interned_data.
// Cleared at every trace generation and when it grows past its bound (the
// packet says SEQ_INCREMENTAL_STATE_CLEARED and defines again what it uses),
// so memory stays bounded.

import type { Generation } from "../decode/generation.js";
import type { NameRef } from "../convert/timeline-model.js";
import { PbWriter } from "./pb.js";

// InternedData fields.
const ID_EVENT_CATEGORIES = 1;
const ID_EVENT_NAMES = 2;
const ID_DEBUG_ANNOTATION_NAMES = 3;
const ID_FUNCTION_NAMES = 5;
const ID_FRAMES = 6;
const ID_CALLSTACKS = 7;
const ID_MAPPING_PATHS = 17;
const ID_SOURCE_PATHS = 18;
const ID_MAPPINGS = 19;

class Table {
  readonly map = new Map<string, number>();
  next = 1;
}

export class Interner {
  /** Definitions for the next packet. */
  readonly w = new PbWriter(1 << 12);
  private names = new Table();
  private cats = new Table();
  private anames = new Table();
  private funcs = new Table();
  private paths = new Table();
  private frames = new Map<number, number>();
  private nextFrame = 1;
  private callstacks = new Map<number, number>();
  private nextCallstack = 1;
  private stackGen: Generation | null = null;
  private mappingDone = false;
  private readonly frameIds: number[] = [];
  /** Changes at each clear (NameRefs of an older epoch are defined again). */
  private epoch = 0;
  /** Entries defined since the last clear (names, frames, callstacks). */
  private defined = 0;

  constructor(private readonly max: number) {}

  /** Entries held (to clear them before they grow past the bound). */
  get size(): number {
    return this.defined;
  }

  get full(): boolean {
    return this.defined >= this.max;
  }

  clear(): void {
    this.names = new Table();
    this.cats = new Table();
    this.anames = new Table();
    this.funcs = new Table();
    this.paths = new Table();
    this.frames = new Map();
    this.nextFrame = 1;
    this.callstacks = new Map();
    this.nextCallstack = 1;
    this.stackGen = null;
    this.mappingDone = false;
    this.w.reset();
    this.epoch++;
    this.defined = 0;
  }

  private intern(t: Table, field: number, s: string): number {
    let id = t.map.get(s);
    if (id !== undefined) return id;
    id = t.next++;
    t.map.set(s, id);
    if (t === this.names) this.defined++;
    const w = this.w;
    w.begin(field);
    w.uintAlways(1, id);
    w.string(2, s); // `str` is bytes in InternedString: the same wire encoding
    w.end();
    return id;
  }

  name(s: string): number {
    return this.intern(this.names, ID_EVENT_NAMES, s);
  }

  /** An event name kept on its NameRef (no table lookup: goroutine labels are many, each used a few times). */
  nameRef(r: NameRef): number {
    if (r.epoch === this.epoch) return r.iid;
    const id = this.names.next++;
    this.defined++;
    r.iid = id;
    r.epoch = this.epoch;
    const w = this.w;
    w.begin(ID_EVENT_NAMES);
    w.uintAlways(1, id);
    w.goLabel(2, r.g, r.fnBytes);
    w.end();
    return id;
  }

  category(s: string): number {
    return this.intern(this.cats, ID_EVENT_CATEGORIES, s);
  }

  annotationName(s: string): number {
    return this.intern(this.anames, ID_DEBUG_ANNOTATION_NAMES, s);
  }

  callstack(gen: Generation | null, sid: number): number {
    if (gen === null || sid <= 0) return 0;
    if (gen !== this.stackGen) {
      // A different generation's stack IDs: forget the per-ID cache (frames stay, keyed by PC).
      if (this.stackGen !== null) this.callstacks = new Map();
      this.stackGen = gen;
    }
    let cs = this.callstacks.get(sid);
    if (cs !== undefined) return cs;
    const st = gen.stacks;
    const n = st.depth(sid);
    if (n === 0) return 0;
    const w = this.w;
    if (!this.mappingDone) {
      this.mappingDone = true;
      w.begin(ID_MAPPING_PATHS);
      w.uintAlways(1, 1);
      w.string(2, "go");
      w.end();
      w.begin(ID_MAPPINGS);
      w.uintAlways(1, 1);
      w.uintAlways(7, 1); // path_string_ids: repeated, not packed (as Perfetto declares it)
      w.end();
    }
    const ids = this.frameIds;
    ids.length = 0;
    // Callstack.frame_ids are outermost first; trace stacks are leaf first.
    for (let i = n - 1; i >= 0; i--) {
      const pc = st.pc(sid, i);
      let fid = this.frames.get(pc);
      if (fid === undefined) {
        const f = st.frameOfPC.get(pc);
        const fn = f === undefined ? "" : (gen.strings.get(st.frameFunc[f]!) ?? "");
        const file = f === undefined ? "" : (gen.strings.get(st.frameFile[f]!) ?? "");
        const line = f === undefined ? 0 : st.frameLine[f]!;
        const fnId = this.intern(this.funcs, ID_FUNCTION_NAMES, fn);
        const pathId = file === "" ? 0 : this.intern(this.paths, ID_SOURCE_PATHS, file);
        fid = this.nextFrame++;
        this.frames.set(pc, fid);
        this.defined++;
        w.begin(ID_FRAMES);
        w.uintAlways(1, fid);
        w.uint(2, fnId);
        w.uint(3, 1);
        w.uint(4, pc);
        w.uint(5, pathId);
        // line_number is a uint32: a damaged trace's line outside it (-1 is 2^64-1) is unknown (0), not truncated.
        w.uint(6, line > 0 && line <= 0xffffffff ? line : 0);
        w.end();
      }
      ids.push(fid);
    }
    cs = this.nextCallstack++;
    this.callstacks.set(sid, cs);
    this.defined++;
    w.begin(ID_CALLSTACKS);
    w.uintAlways(1, cs);
    // frame_ids: repeated, not packed (as Perfetto declares it; its decoder reads it so).
    for (let i = 0; i < ids.length; i++) w.uintAlways(2, ids[i]!);
    w.end();
    return cs;
  }
}
