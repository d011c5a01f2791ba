#!/usr/bin/env bash
# Installs Debian's Chromium for test/viewer.test.ts (the real-viewer check of
# --to perfetto). Idempotent: returns at once when a working chromium is there.
# Needs root (or sudo) and Debian's package archive; no other network.
set -euo pipefail

have_chromium() {
  local exe
  for exe in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$exe" ] && [ -x "$exe" ] && "$exe" --version >/dev/null 2>&1; then
      echo "chromium: $("$exe" --version 2>/dev/null)"
      return 0
    fi
  done
  return 1
}

if have_chromium; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium.sh: no apt-get on this machine; install Chromium by hand or set CHROMIUM=/path/to/chromium" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-chromium.sh: not root and no sudo: cannot install chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-chromium.sh: installing Debian's chromium (apt-get)..."
# The package lists may be missing or stale on a fresh machine: refresh them first.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null

if ! have_chromium; then
  echo "install-chromium.sh: chromium was installed but does not run" >&2
  exit 1
fi
