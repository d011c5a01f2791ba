#!/usr/bin/env bash
# Builds (once) the Jaeger v2 binary used by test/jaeger.test.ts and prints its path.
#
# Jaeger v2 releases are published as two tags on one commit: v2.N.M (not
# usable as a Go module version, the module path has no /v2) and v1.(63+N).M,
# which the Go module proxy serves. v1.76.0 is Jaeger v2.13.0 (2025-12-03),
# whose go.mod says go 1.24.6; it builds with the Go installed here (1.26).
#
# The binary goes to ${XDG_CACHE_HOME:-$HOME/.cache}/trace-convert/jaeger-v2.13.0/jaeger,
# outside the repository, and is reused on later runs. Environment:
#   JAEGER_CACHE_DIR   override the directory
#   GOMODCACHE/GOCACHE as usual (the default Go caches are used otherwise)
# Progress goes to stderr; the only stdout line is the binary's path.
set -euo pipefail

JAEGER_VERSION=v2.13.0
JAEGER_MODULE_VERSION=v1.76.0
DIR=${JAEGER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/trace-convert/jaeger-$JAEGER_VERSION}
BIN=$DIR/jaeger

if [ -x "$BIN" ] && [ -f "$DIR/BUILT" ] && [ "$(cat "$DIR/BUILT")" = "$JAEGER_MODULE_VERSION" ]; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "build.sh: go not found on PATH" >&2; exit 3; }

mkdir -p "$DIR"
# One build at a time (two test runs starting together share the result).
exec 9>"$DIR/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ -x "$BIN" ] && [ -f "$DIR/BUILT" ] && [ "$(cat "$DIR/BUILT")" = "$JAEGER_MODULE_VERSION" ]; then
  echo "$BIN"
  exit 0
fi

start=$(date +%s)
echo "build.sh: building Jaeger $JAEGER_VERSION (github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION) into $DIR; the first build downloads and compiles a few hundred modules" >&2
tmp=$(mktemp -d "$DIR/.gobin.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# `go install pkg@version` refuses this module (its go.mod has a replace
# directive), so the module source is downloaded through the module proxy and
# built as the main module, read-only in the module cache, with its own go.sum.
# GOFLAGS from the user's go env (e.g. -buildvcs=false) is replaced;
# GOWORK=off ignores any workspace; GOTOOLCHAIN=local builds with the installed Go.
export GOFLAGS=-mod=readonly GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0
src=$(cd "$tmp" && go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
[ -n "$src" ] && [ -d "$src/cmd/jaeger" ] || { echo "build.sh: could not download github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" >&2; exit 1; }
(cd "$src" && go build -trimpath -ldflags="-s -w" -o "$tmp/jaeger" ./cmd/jaeger) >&2
mv -f "$tmp/jaeger" "$BIN"
echo "$JAEGER_MODULE_VERSION" >"$DIR/BUILT"
echo "build.sh: built $BIN in $(( $(date +%s) - start ))s" >&2
echo "$BIN"
