// Event types, argument layouts and limits of the Go 1.22+ ("v2") trace format.
// Numbers and names are those of Go's internal/trace/tracev2 package.

export const enum Ev {
  None = 0,
  EventBatch = 1,
  Stacks = 2,
  Stack = 3,
  Strings = 4,
  String = 5,
  CPUSamples = 6,
  CPUSample = 7,
  Frequency = 8,
  ProcsChange = 9,
  ProcStart = 10,
  ProcStop = 11,
  ProcSteal = 12,
  ProcStatus = 13,
  GoCreate = 14,
  GoCreateSyscall = 15,
  GoStart = 16,
  GoDestroy = 17,
  GoDestroySyscall = 18,
  GoStop = 19,
  GoBlock = 20,
  GoUnblock = 21,
  GoSyscallBegin = 22,
  GoSyscallEnd = 23,
  GoSyscallEndBlocked = 24,
  GoStatus = 25,
  STWBegin = 26,
  STWEnd = 27,
  GCActive = 28,
  GCBegin = 29,
  GCEnd = 30,
  GCSweepActive = 31,
  GCSweepBegin = 32,
  GCSweepEnd = 33,
  GCMarkAssistActive = 34,
  GCMarkAssistBegin = 35,
  GCMarkAssistEnd = 36,
  HeapAlloc = 37,
  HeapGoal = 38,
  GoLabel = 39,
  UserTaskBegin = 40,
  UserTaskEnd = 41,
  UserRegionBegin = 42,
  UserRegionEnd = 43,
  UserLog = 44,
  GoSwitch = 45,
  GoSwitchDestroy = 46,
  GoCreateBlocked = 47,
  GoStatusStack = 48,
  ExperimentalBatch = 49,
  Sync = 50,
  ClockSnapshot = 51,
  EndOfGeneration = 52,
  // Experimental events (AllocFree, experiment 1).
  Span = 128,
  SpanAlloc = 129,
  SpanFree = 130,
  HeapObject = 131,
  HeapObjectAlloc = 132,
  HeapObjectFree = 133,
  GoroutineStack = 134,
  GoroutineStackAlloc = 135,
  GoroutineStackFree = 136,
  /** Not a wire type: the reader-generated Sync event. */
  ReaderSync = 256,
}

/** Number of entries in the spec table (types 0..136). */
export const NUM_SPECS = 137;
export const MAX_BATCH_SIZE = 64 << 10;
export const MAX_FRAMES_PER_STACK = 128;
export const MAX_STRING_SIZE = 1 << 10;

/** Trace format versions understood by the v2 reader. */
export const V2_VERSIONS: readonly number[] = [22, 23, 25, 26];
/** Old-format versions (Go 1.11 - 1.21). */
export const V1_VERSIONS: readonly number[] = [11, 19, 21];

export interface EventSpec {
  readonly name: string;
  /** Argument names, including the leading "dt" for timed events. */
  readonly args: readonly string[];
  /** Indices (into args, dt included) of stack-ID arguments; the first is the event's own stack. */
  readonly stackIDs: readonly number[];
  /** Indices (into args, dt included) of string-ID arguments. */
  readonly stringIDs: readonly number[];
  readonly startEv: number;
  readonly timed: boolean;
  readonly experiment: number;
}

const EMPTY: readonly number[] = [];

function spec(
  name: string,
  args: string[],
  opts: { stack?: number[]; str?: number[]; start?: number; timed?: boolean; exp?: number } = {},
): EventSpec {
  return {
    name,
    args,
    stackIDs: opts.stack ?? EMPTY,
    stringIDs: opts.str ?? EMPTY,
    startEv: opts.start ?? 0,
    timed: opts.timed ?? false,
    experiment: opts.exp ?? 0,
  };
}

function timed(name: string, args: string[], opts: { stack?: number[]; str?: number[]; start?: number; exp?: number } = {}): EventSpec {
  return spec(name, ["dt", ...args], { ...opts, timed: true });
}

const NONE_SPEC = spec("", []);

/** The full spec table, indexed by wire event type. */
export const SPECS: readonly EventSpec[] = (() => {
  const s: EventSpec[] = new Array(NUM_SPECS).fill(NONE_SPEC);
  s[Ev.EventBatch] = spec("EventBatch", ["gen", "m", "time", "size"]);
  s[Ev.Stacks] = spec("Stacks", []);
  s[Ev.Stack] = spec("Stack", ["id", "nframes"]);
  s[Ev.Strings] = spec("Strings", []);
  s[Ev.String] = spec("String", ["id"]);
  s[Ev.CPUSamples] = spec("CPUSamples", []);
  s[Ev.CPUSample] = spec("CPUSample", ["time", "m", "p", "g", "stack"], { stack: [4] });
  s[Ev.Frequency] = spec("Frequency", ["freq"]);
  s[Ev.ExperimentalBatch] = spec("ExperimentalBatch", ["exp", "gen", "m", "time"]);
  s[Ev.Sync] = spec("Sync", []);
  s[Ev.EndOfGeneration] = spec("EndOfGeneration", []);
  s[Ev.ProcsChange] = timed("ProcsChange", ["procs_value", "stack"], { stack: [2] });
  s[Ev.ProcStart] = timed("ProcStart", ["p", "p_seq"]);
  s[Ev.ProcStop] = timed("ProcStop", []);
  s[Ev.ProcSteal] = timed("ProcSteal", ["p", "p_seq", "m"]);
  s[Ev.ProcStatus] = timed("ProcStatus", ["p", "pstatus"]);
  s[Ev.GoCreate] = timed("GoCreate", ["new_g", "new_stack", "stack"], { stack: [3, 2] });
  s[Ev.GoCreateSyscall] = timed("GoCreateSyscall", ["new_g"]);
  s[Ev.GoStart] = timed("GoStart", ["g", "g_seq"]);
  s[Ev.GoDestroy] = timed("GoDestroy", []);
  s[Ev.GoDestroySyscall] = timed("GoDestroySyscall", []);
  s[Ev.GoStop] = timed("GoStop", ["reason_string", "stack"], { stack: [2], str: [1] });
  s[Ev.GoBlock] = timed("GoBlock", ["reason_string", "stack"], { stack: [2], str: [1] });
  s[Ev.GoUnblock] = timed("GoUnblock", ["g", "g_seq", "stack"], { stack: [3] });
  s[Ev.GoSyscallBegin] = timed("GoSyscallBegin", ["p_seq", "stack"], { stack: [2] });
  s[Ev.GoSyscallEnd] = timed("GoSyscallEnd", [], { start: Ev.GoSyscallBegin });
  s[Ev.GoSyscallEndBlocked] = timed("GoSyscallEndBlocked", [], { start: Ev.GoSyscallBegin });
  s[Ev.GoStatus] = timed("GoStatus", ["g", "m", "gstatus"]);
  s[Ev.STWBegin] = timed("STWBegin", ["kind_string", "stack"], { stack: [2], str: [1] });
  s[Ev.STWEnd] = timed("STWEnd", [], { start: Ev.STWBegin });
  s[Ev.GCActive] = timed("GCActive", ["gc_seq"], { start: Ev.GCBegin });
  s[Ev.GCBegin] = timed("GCBegin", ["gc_seq", "stack"], { stack: [2] });
  s[Ev.GCEnd] = timed("GCEnd", ["gc_seq"], { start: Ev.GCBegin });
  s[Ev.GCSweepActive] = timed("GCSweepActive", ["p"], { start: Ev.GCSweepBegin });
  s[Ev.GCSweepBegin] = timed("GCSweepBegin", ["stack"], { stack: [1] });
  s[Ev.GCSweepEnd] = timed("GCSweepEnd", ["swept_value", "reclaimed_value"], { start: Ev.GCSweepBegin });
  s[Ev.GCMarkAssistActive] = timed("GCMarkAssistActive", ["g"], { start: Ev.GCMarkAssistBegin });
  s[Ev.GCMarkAssistBegin] = timed("GCMarkAssistBegin", ["stack"], { stack: [1] });
  s[Ev.GCMarkAssistEnd] = timed("GCMarkAssistEnd", [], { start: Ev.GCMarkAssistBegin });
  s[Ev.HeapAlloc] = timed("HeapAlloc", ["heapalloc_value"]);
  s[Ev.HeapGoal] = timed("HeapGoal", ["heapgoal_value"]);
  s[Ev.GoLabel] = timed("GoLabel", ["label_string"], { str: [1] });
  s[Ev.UserTaskBegin] = timed("UserTaskBegin", ["task", "parent_task", "name_string", "stack"], { stack: [4], str: [3] });
  s[Ev.UserTaskEnd] = timed("UserTaskEnd", ["task", "stack"], { stack: [2] });
  s[Ev.UserRegionBegin] = timed("UserRegionBegin", ["task", "name_string", "stack"], { stack: [3], str: [2] });
  s[Ev.UserRegionEnd] = timed("UserRegionEnd", ["task", "name_string", "stack"], { stack: [3], str: [2], start: Ev.UserRegionBegin });
  s[Ev.UserLog] = timed("UserLog", ["task", "key_string", "value_string", "stack"], { stack: [4], str: [2, 3] });
  s[Ev.GoSwitch] = timed("GoSwitch", ["g", "g_seq"]);
  s[Ev.GoSwitchDestroy] = timed("GoSwitchDestroy", ["g", "g_seq"]);
  s[Ev.GoCreateBlocked] = timed("GoCreateBlocked", ["new_g", "new_stack", "stack"], { stack: [3, 2] });
  s[Ev.GoStatusStack] = timed("GoStatusStack", ["g", "m", "gstatus", "stack"], { stack: [4] });
  s[Ev.ClockSnapshot] = timed("ClockSnapshot", ["mono", "sec", "nsec"]);
  s[Ev.Span] = timed("Span", ["id", "npages_value", "kindclass"], { exp: 1 });
  s[Ev.SpanAlloc] = timed("SpanAlloc", ["id", "npages_value", "kindclass"], { exp: 1 });
  s[Ev.SpanFree] = timed("SpanFree", ["id"], { exp: 1 });
  s[Ev.HeapObject] = timed("HeapObject", ["id", "type"], { exp: 1 });
  s[Ev.HeapObjectAlloc] = timed("HeapObjectAlloc", ["id", "type"], { exp: 1 });
  s[Ev.HeapObjectFree] = timed("HeapObjectFree", ["id"], { exp: 1 });
  s[Ev.GoroutineStack] = timed("GoroutineStack", ["id", "order"], { exp: 1 });
  s[Ev.GoroutineStackAlloc] = timed("GoroutineStackAlloc", ["id", "order"], { exp: 1 });
  s[Ev.GoroutineStackFree] = timed("GoroutineStackFree", ["id"], { exp: 1 });
  return s;
})();

/** Highest wire type valid in each trace version (for names in error messages). */
export function lastTypeOfVersion(version: number): number {
  switch (version) {
    case 22:
      return Ev.UserLog;
    case 23:
      return Ev.ExperimentalBatch;
    case 25:
      return Ev.ClockSnapshot;
    default:
      return NUM_SPECS - 1;
  }
}

/** Name of an event type as Go's version table gives it (used in error messages). */
export function eventName(version: number, typ: number): string {
  if (typ === Ev.ReaderSync) return "Sync";
  const last = lastTypeOfVersion(version);
  if (typ <= last && typ < NUM_SPECS && SPECS[typ]!.name !== "") return SPECS[typ]!.name;
  return `Invalid(${typ})`;
}

export const EXPERIMENTS: readonly string[] = ["None", "AllocFree"];

// High-level event kinds, numbered as Go's trace.EventKind.
export const enum Kind {
  Bad = 0,
  Sync = 1,
  Metric = 2,
  Label = 3,
  StackSample = 4,
  RangeBegin = 5,
  RangeActive = 6,
  RangeEnd = 7,
  TaskBegin = 8,
  TaskEnd = 9,
  RegionBegin = 10,
  RegionEnd = 11,
  Log = 12,
  StateTransition = 13,
  Experimental = 14,
}

export const KIND_NAMES: readonly string[] = [
  "Bad",
  "Sync",
  "Metric",
  "Label",
  "StackSample",
  "RangeBegin",
  "RangeActive",
  "RangeEnd",
  "TaskBegin",
  "TaskEnd",
  "RegionBegin",
  "RegionEnd",
  "Log",
  "StateTransition",
  "Experimental",
];

/** Wire type -> high-level kind. Index 256 is the reader's Sync. */
export const TYPE_KIND: Uint8Array = (() => {
  const k = new Uint8Array(257);
  const set = (kind: number, ...types: number[]) => {
    for (const t of types) k[t] = kind;
  };
  set(Kind.StackSample, Ev.CPUSample);
  set(Kind.Metric, Ev.ProcsChange, Ev.HeapAlloc, Ev.HeapGoal);
  set(
    Kind.StateTransition,
    Ev.ProcStart, Ev.ProcStop, Ev.ProcSteal, Ev.ProcStatus,
    Ev.GoCreate, Ev.GoCreateSyscall, Ev.GoStart, Ev.GoDestroy, Ev.GoDestroySyscall,
    Ev.GoStop, Ev.GoBlock, Ev.GoUnblock, Ev.GoSyscallBegin, Ev.GoSyscallEnd,
    Ev.GoSyscallEndBlocked, Ev.GoStatus, Ev.GoSwitch, Ev.GoSwitchDestroy,
    Ev.GoCreateBlocked, Ev.GoStatusStack,
  );
  set(Kind.RangeBegin, Ev.STWBegin, Ev.GCBegin, Ev.GCSweepBegin, Ev.GCMarkAssistBegin);
  set(Kind.RangeActive, Ev.GCActive, Ev.GCSweepActive, Ev.GCMarkAssistActive);
  set(Kind.RangeEnd, Ev.STWEnd, Ev.GCEnd, Ev.GCSweepEnd, Ev.GCMarkAssistEnd);
  set(Kind.Label, Ev.GoLabel);
  set(Kind.TaskBegin, Ev.UserTaskBegin);
  set(Kind.TaskEnd, Ev.UserTaskEnd);
  set(Kind.RegionBegin, Ev.UserRegionBegin);
  set(Kind.RegionEnd, Ev.UserRegionEnd);
  set(Kind.Log, Ev.UserLog);
  set(
    Kind.Experimental,
    Ev.Span, Ev.SpanAlloc, Ev.SpanFree, Ev.HeapObject, Ev.HeapObjectAlloc,
    Ev.HeapObjectFree, Ev.GoroutineStack, Ev.GoroutineStackAlloc, Ev.GoroutineStackFree,
  );
  set(Kind.Sync, Ev.ReaderSync);
  return k;
})();

// Wire status enums.
export const enum GoStatus {
  Bad = 0,
  Runnable = 1,
  Running = 2,
  Syscall = 3,
  Waiting = 4,
}
export const enum ProcStatus {
  Bad = 0,
  Running = 1,
  Idle = 2,
  Syscall = 3,
  SyscallAbandoned = 4,
}

// High-level states (Go's trace.GoState / trace.ProcState).
export const enum GoState {
  Undetermined = 0,
  NotExist = 1,
  Runnable = 2,
  Running = 3,
  Waiting = 4,
  Syscall = 5,
}
export const enum ProcState {
  Undetermined = 0,
  NotExist = 1,
  Running = 2,
  Idle = 3,
}

export const GO_STATE_NAMES: readonly string[] = ["Undetermined", "NotExist", "Runnable", "Running", "Waiting", "Syscall"];
export const PROC_STATE_NAMES: readonly string[] = ["Undetermined", "NotExist", "Running", "Idle"];
export const GO_STATUS_NAMES: readonly string[] = ["Bad", "Runnable", "Running", "Syscall", "Waiting"];
export const PROC_STATUS_NAMES: readonly string[] = ["Bad", "Running", "Idle", "Syscall", "Bad"];

/** wire gstatus -> GoState */
export const GO_STATUS_TO_STATE: readonly number[] = [GoState.Undetermined, GoState.Runnable, GoState.Running, GoState.Syscall, GoState.Waiting];
/** wire pstatus -> ProcState */
export const PROC_STATUS_TO_STATE: readonly number[] = [ProcState.Undetermined, ProcState.Running, ProcState.Idle, ProcState.Running, ProcState.Idle];

export const enum ResourceKind {
  None = 0,
  Goroutine = 1,
  Proc = 2,
  Thread = 3,
}
export const RESOURCE_KIND_NAMES: readonly string[] = ["None", "Goroutine", "Proc", "Thread"];

/** ID meaning "none" for goroutines, procs and threads (Go's -1). */
export const NONE = -1;
/** Task ID 0: the background task. */
export const BACKGROUND_TASK = 0;
/**
 * The "no task" ID is 2^64-1 on the wire; as a JS number it is stored as -1
 * and printed as 18446744073709551615.
 */
export const NO_TASK = -1;

/** Number of wire arguments (dt included) of each timed event type, -1 for other types. */
export const TIMED_NARGS: Int8Array = (() => {
  const t = new Int8Array(NUM_SPECS).fill(-1);
  for (let i = 0; i < NUM_SPECS; i++) {
    const s = SPECS[i]!;
    if (s.timed && s.args.length > 0) t[i] = s.args.length;
  }
  return t;
})();

/** Argument slots (0-based, after dt) holding stack IDs / string IDs, per type; -1 = none. */
function slots(pick: (s: EventSpec) => readonly number[]): Int8Array {
  const t = new Int8Array(NUM_SPECS * 2).fill(-1);
  for (let i = 0; i < NUM_SPECS; i++) {
    const ids = pick(SPECS[i]!);
    for (let k = 0; k < ids.length && k < 2; k++) t[i * 2 + k] = ids[k]! - 1;
  }
  return t;
}
export const STACK_SLOTS: Int8Array = slots((s) => s.stackIDs);
export const STRING_SLOTS: Int8Array = slots((s) => s.stringIDs);
