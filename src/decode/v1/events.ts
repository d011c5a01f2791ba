// Event types of the Go 1.11-1.21 trace format (numbers as in the runtime's
// trace.go of those releases) and what the parser needs to know about each.

export const enum V1 {
  None = 0,
  Batch = 1,
  Frequency = 2,
  Stack = 3,
  Gomaxprocs = 4,
  ProcStart = 5,
  ProcStop = 6,
  GCStart = 7,
  GCDone = 8,
  STWStart = 9,
  STWDone = 10,
  GCSweepStart = 11,
  GCSweepDone = 12,
  GoCreate = 13,
  GoStart = 14,
  GoEnd = 15,
  GoStop = 16,
  GoSched = 17,
  GoPreempt = 18,
  GoSleep = 19,
  GoBlock = 20,
  GoUnblock = 21,
  GoBlockSend = 22,
  GoBlockRecv = 23,
  GoBlockSelect = 24,
  GoBlockSync = 25,
  GoBlockCond = 26,
  GoBlockNet = 27,
  GoSysCall = 28,
  GoSysExit = 29,
  GoSysBlock = 30,
  GoWaiting = 31,
  GoInSyscall = 32,
  HeapAlloc = 33,
  HeapGoal = 34,
  TimerGoroutine = 35,
  FutileWakeup = 36,
  String = 37,
  GoStartLocal = 38,
  GoUnblockLocal = 39,
  GoSysExitLocal = 40,
  GoStartLabel = 41,
  GoBlockGC = 42,
  GCMarkAssistStart = 43,
  GCMarkAssistDone = 44,
  UserTaskCreate = 45,
  UserTaskEnd = 46,
  UserRegion = 47,
  UserLog = 48,
  CPUSample = 49,
  Count = 50,
}

/** Fake Ps the parser moves some events to. */
export const TIMER_P = 1000001;
export const NETPOLL_P = 1000002;
export const SYSCALL_P = 1000003;
export const GC_P = 1000004;
export const PROFILE_P = 1000005;

interface Desc {
  name: string;
  minVersion: number;
  stack: boolean;
  args: string[];
}

function d(name: string, minVersion: number, stack: boolean, args: string[]): Desc {
  return { name, minVersion, stack, args };
}

/** Event descriptions, indexed by type (names and argument names as Go's parser gives them). */
export const DESCS: readonly Desc[] = [
  d("None", 5, false, []),
  d("Batch", 5, false, ["p", "ticks"]),
  d("Frequency", 5, false, ["freq"]),
  d("Stack", 5, false, ["id", "siz"]),
  d("Gomaxprocs", 5, true, ["procs"]),
  d("ProcStart", 5, false, ["thread"]),
  d("ProcStop", 5, false, []),
  d("GCStart", 5, true, ["seq"]),
  d("GCDone", 5, false, []),
  d("GCSTWStart", 5, false, ["kindid"]),
  d("GCSTWDone", 5, false, []),
  d("GCSweepStart", 5, true, []),
  d("GCSweepDone", 5, false, ["swept", "reclaimed"]),
  d("GoCreate", 5, true, ["g", "stack"]),
  d("GoStart", 5, false, ["g", "seq"]),
  d("GoEnd", 5, false, []),
  d("GoStop", 5, true, []),
  d("GoSched", 5, true, []),
  d("GoPreempt", 5, true, []),
  d("GoSleep", 5, true, []),
  d("GoBlock", 5, true, []),
  d("GoUnblock", 5, true, ["g", "seq"]),
  d("GoBlockSend", 5, true, []),
  d("GoBlockRecv", 5, true, []),
  d("GoBlockSelect", 5, true, []),
  d("GoBlockSync", 5, true, []),
  d("GoBlockCond", 5, true, []),
  d("GoBlockNet", 5, true, []),
  d("GoSysCall", 5, true, []),
  d("GoSysExit", 5, false, ["g", "seq", "ts"]),
  d("GoSysBlock", 5, false, []),
  d("GoWaiting", 5, false, ["g"]),
  d("GoInSyscall", 5, false, ["g"]),
  d("HeapAlloc", 5, false, ["mem"]),
  d("HeapGoal", 5, false, ["mem"]),
  d("TimerGoroutine", 5, false, ["g"]),
  d("FutileWakeup", 5, false, []),
  d("String", 7, false, []),
  d("GoStartLocal", 7, false, ["g"]),
  d("GoUnblockLocal", 7, true, ["g"]),
  d("GoSysExitLocal", 7, false, ["g", "ts"]),
  d("GoStartLabel", 8, false, ["g", "seq", "labelid"]),
  d("GoBlockGC", 8, true, []),
  d("GCMarkAssistStart", 9, true, []),
  d("GCMarkAssistDone", 9, false, []),
  d("UserTaskCreate", 11, true, ["taskid", "pid", "typeid"]),
  d("UserTaskEnd", 11, true, ["taskid"]),
  d("UserRegion", 11, true, ["taskid", "mode", "typeid"]),
  d("UserLog", 11, true, ["id", "keyid"]),
  d("CPUSample", 19, true, ["ts", "p", "g"]),
];

/** Number of values (timestamp delta included) each event type must carry. */
export const ARG_NUM: Int8Array = (() => {
  const t = new Int8Array(V1.Count);
  for (let i = 0; i < V1.Count; i++) {
    const s = DESCS[i]!;
    let n = s.args.length + (s.stack ? 1 : 0);
    if (i !== V1.Batch && i !== V1.Frequency && i !== V1.TimerGoroutine) n++;
    t[i] = n;
  }
  return t;
})();

/** The "Local" event types become their ordinary forms once batches are merged. */
export function norm(t: number): number {
  switch (t) {
    case V1.GoStartLocal:
      return V1.GoStart;
    case V1.GoUnblockLocal:
      return V1.GoUnblock;
    case V1.GoSysExitLocal:
      return V1.GoSysExit;
  }
  return t;
}

/** Go's conversion of a uint64 to int32 (our numbers are exact below 2^53; -1 stands for 2^64-1). */
export function toInt32(v: number): number {
  return v | 0;
}

/** Go's conversion of a uint64 to uint32. */
export function toUint32(v: number): number {
  return v >>> 0;
}
