#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs one libFuzzer target for a bounded time, from the committed seeds.
# New inputs go to a corpus directory in the build tree; a crash fails the
# run and leaves the input as crash-* in that directory.
#   run-fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS
set -eu
fuzzer=$(readlink -f "$1") seeds=$2 work=$3 seconds=${UPDRAFT_FUZZ_SECONDS:-$4}
mkdir -p "$work/corpus"
cd "$work"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  corpus "$seeds"
