#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Updraft's main job, end to end, on a throwaway system.

Sets up, in a private mount namespace so nothing on this machine changes:
an update server on 127.0.0.1 publishing a signed version 1.0 and 2.0 of a
small OS; a device (an OSTree sysroot) running 1.0; a private system bus with
polkit; and updraftd. Then drives the update with updraftctl, as an admin
would: status, check, download (with progress), apply, status.
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
import testbed  # noqa: E402

STEPS = [
    ("status", "What the device runs now"),
    ("check", "Ask the update server (metadata only; signatures verified)"),
    ("download", "Fetch the update as a static delta (throttled to 2 MB/s so progress shows)"),
    ("apply", "Make it the default deployment; 1.0 stays for rollback"),
    ("status", "After the update"),
]


def banner(text):
    print("\n\033[1m== %s\033[0m" % text if sys.stdout.isatty() else "\n== %s" % text, flush=True)


def main():
    testbed.enter_namespace()
    tmp = tempfile.mkdtemp(prefix="updraft-demo-")
    tb = None
    try:
        banner("Setting up: update server, device on version 1.0, system bus, polkit, updraftd")
        tb = testbed.Testbed(tmp)
        v2 = tb.server.publish("2.0", int(time.time()) - 60, payload_size=8 * 1024 * 1024)
        print("Update server: %s" % tb.server.url)
        print("Published 2.0 as commit %s, signed by key %s" % (v2[:12], tb.key.key_id))
        print("Device sysroot: %s (following origin:%s)" % (tb.sysroot.path, testbed.REF))
        tb.start_daemon()
        tb.server.set_rules([{"match": r"/deltas/.*/[0-9]+$|[.]filez$", "action": "slow", "rate": 2 * 1024 * 1024}])

        for command, what in STEPS:
            banner("%s  —  updraftctl %s" % (what, command))
            code = subprocess.run([testbed.UPDRAFTCTL, command], env=tb.env).returncode
            if code != 0:
                print("updraftctl %s failed with exit status %d" % (command, code))
                return 1

        banner("ostree admin status agrees")
        subprocess.run(["ostree", "admin", "--sysroot=" + tb.sysroot.path, "status"])
        if tb.sysroot.default_commit() != v2:
            print("The default deployment is not 2.0")
            return 1
        banner("Done: 2.0 is the default deployment and boots next; 1.0 is kept for rollback.")
        return 0
    finally:
        if tb is not None:
            tb.close()
        testbed.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
