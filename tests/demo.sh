#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo, from a fresh Debian 12 machine: installs the build dependencies,
# builds Updraft, and runs its main job (tests/demo.py). Run as root.
set -eu
cd "$(dirname "$0")/.."
tests/install-deps.sh
if [ -d build ]; then
  meson setup --reconfigure build --prefix=/usr >/dev/null
else
  meson setup build --prefix=/usr >/dev/null
fi
meson compile -C build >/dev/null
exec /usr/bin/python3 tests/demo.py
