#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole test suite, from a fresh Debian 12 machine: installs the build
# dependencies, builds, and runs the unit and integration tests, then the
# same suite under AddressSanitizer and UndefinedBehaviorSanitizer, then each
# fuzzer for a bounded time. Run as root (the integration tests use mount
# namespaces, polkitd and setpriv). .ci/run calls exactly this script.
set -eu
cd "$(dirname "$0")/.."

tests/install-deps.sh

# Meson reconfigures an existing build directory instead of failing.
setup() {
  dir=$1
  shift
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

setup build --prefix=/usr
meson compile -C build
meson test -C build --print-errorlogs --num-processes 2

setup build-asan --prefix=/usr -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-asan
meson test -C build-asan --setup=sanitizers --print-errorlogs --num-processes 2

export CC=clang
setup build-fuzz --prefix=/usr -Dfuzzing=true
meson compile -C build-fuzz
meson test -C build-fuzz --suite fuzz --print-errorlogs
