// --redact: stable hashes in place of log messages, non-standard-library
// function names and their file paths, so that a trace can be shared.

const STD = new Set(
  (
    "archive arena bufio builtin bytes cmp compress container context crypto database debug embed encoding errors " +
    "expvar flag fmt go hash html image index internal io iter log maps math mime net os path plugin reflect regexp " +
    "runtime slices sort strconv strings structs sync syscall testing text time unicode unique unsafe vendor weak"
  ).split(" "),
);

/** Whether a function name (as in a stack frame) belongs to Go's standard library. */
export function isStdFunc(fn: string): boolean {
  // The package path ends at the first '.' after the last '/'.
  const slash = fn.lastIndexOf("/", fn.indexOf("(") >= 0 ? fn.indexOf("(") : fn.length);
  const first = fn.slice(0, fn.indexOf("/") >= 0 && fn.indexOf("/") <= slash ? fn.indexOf("/") : fn.indexOf("."));
  if (first.includes(".")) return false; // a module path: example.com/...
  return STD.has(first);
}

/** FNV-1a, 64 bits, over the UTF-16 code units: stable across runs and platforms. */
export function stableHash(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ (c + i), 0x01000193) >>> 0;
  }
  return h2.toString(16).padStart(8, "0") + h1.toString(16).padStart(8, "0");
}

export function redactFunc(fn: string): string {
  return `fn_${stableHash(fn)}`;
}

export function redactFile(file: string): string {
  const dot = file.lastIndexOf(".");
  const ext = dot > file.lastIndexOf("/") ? file.slice(dot) : "";
  return `/redacted/${stableHash(file)}${ext}`;
}

export function redactMessage(msg: string): string {
  return msg === "" ? "" : `msg_${stableHash(msg)}`;
}
