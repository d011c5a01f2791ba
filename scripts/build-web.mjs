// Builds the browser app (src/web/) into static files in dist/web/ with esbuild:
// index.html, style.css, app.js (the page) and worker.js (the Web Worker that
// runs the command's own decode/convert/sinks code). No server logic: any
// static host can serve dist/web/.
//
// The worker bundles the command's format registry (src/cli/formats.ts). The
// few Node-only things reachable from it are never called in the browser (the
// --to otlp push sink and its OpenTelemetry SDK, the unsent-spans fallback file,
// process.env defaults): they are replaced by stubs that throw if called.

import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src", "web");
const OUT = join(ROOT, "dist", "web");

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Node built-ins and the OpenTelemetry exporters and SDK (only the --to otlp
 * and --to zipkin pushes use them) become a stub that throws when used. The
 * API, core and resources packages and the Zipkin exporter's transform run in
 * browsers and are bundled: --to zipkin-json is made by that transform.
 */
const STUBBED = /^@opentelemetry\/(exporter-trace-otlp-|exporter-zipkin$|sdk-trace-|otlp-)|^@grpc\//;
const nodeStubs = {
  name: "node-stubs",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (builtins.has(args.path) || STUBBED.test(args.path)) {
        return { path: args.path, namespace: "unavailable" };
      }
      return undefined;
    });
    // A CommonJS module whose every property is a function that throws: named
    // imports of it bundle, and fail only if called.
    b.onLoad({ filter: /.*/, namespace: "unavailable" }, (args) => ({
      contents: `module.exports = new Proxy({}, { get(_, k) {
        if (k === "__esModule") return false;
        if (k === "default") return module.exports;
        return function () { throw new Error(${JSON.stringify(args.path)} + "." + String(k) + " is not available in the browser"); };
      } });`,
      loader: "js",
    }));
  },
};

/** The version module reads package.json at run time; the bundle gets the version itself. */
const pkgVersion = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
const versionInline = {
  name: "version-inline",
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]cli[\\/]version\.ts$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(pkgVersion)};`, loader: "ts" }));
  },
};

const common = {
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2022", "chrome105", "firefox110", "safari16"],
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env": "{}" },
};

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
await Promise.all([
  build({ ...common, entryPoints: [join(SRC, "worker.ts")], outfile: join(OUT, "worker.js"), plugins: [versionInline, nodeStubs] }),
  build({ ...common, entryPoints: [join(SRC, "app", "main.ts")], outfile: join(OUT, "app.js") }),
]);
copyFileSync(join(SRC, "app", "index.html"), join(OUT, "index.html"));
copyFileSync(join(SRC, "app", "style.css"), join(OUT, "style.css"));

const files = ["index.html", "style.css", "app.js", "worker.js"];
let raw = 0;
let gz = 0;
const sizes = {};
for (const f of files) {
  const b = readFileSync(join(OUT, f));
  const z = gzipSync(b, { level: 9 }).length;
  sizes[f] = { bytes: b.length, gzip: z };
  raw += b.length;
  gz += z;
}
if (process.argv.includes("--sizes")) {
  for (const f of files) console.log(`${f.padEnd(11)} ${String(sizes[f].bytes).padStart(8)} B  ${String(sizes[f].gzip).padStart(7)} B gzipped`);
  console.log(`${"total".padEnd(11)} ${String(raw).padStart(8)} B  ${String(gz).padStart(7)} B gzipped`);
}
