#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what building Updraft and running its tests and demo need, on
# Debian 12. Run as root.
set -eu

packages="
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev
  libglib2.0-dev libglib2.0-bin libostree-dev ostree gir1.2-ostree-1.0
  libssl-dev openssl libsystemd-dev systemd libpolkit-gobject-1-dev polkitd
  dbus-daemon dbus-bin python3 python3-gi python3-dbusmock
  util-linux passwd e2fsprogs grub-common git
"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $missing
fi
