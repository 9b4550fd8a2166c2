#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cancelling operations, and rolling back to the previous deployment."""

import testbed
from testbed import DAY, ERROR, T0, TestCase


class CancelTests(TestCase):
    def test_cancel_during_download(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY, payload_size=2 * 1024 * 1024)
        self.assertTrue(tb.do("Check")[0])
        deployments_before = tb.sysroot.deployments()
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": 128 * 1024}])
        tb.call("Download")
        testbed.wait_for(lambda: tb.prop("Progress").get("bytes-done", 0) > 0, message="download progress")
        tb.call("Cancel")
        ok, name, message = tb.wait_finished("download")
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "Cancelled")
        # Back where it was, deployments untouched, nothing half-downloaded usable.
        self.assertEqual(tb.prop("State"), "update-available")
        self.assertEqual(tb.prop("LastError"), ("", ""))
        self.assertEqual(tb.sysroot.deployments(), deployments_before)
        self.assertFalse(tb.sysroot.has_commit(v2, complete=True))
        self.assertEqual(tb.prop("History")[0]["operation"], "download")
        self.assertFalse(tb.prop("History")[0]["success"])
        self.assertDBusError(ERROR + "WrongState", "Apply")

    def test_cancel_during_check(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        tb.server.set_rules([{"match": "summary$", "action": "stall", "after": 0}])
        tb.call("Check")
        tb.wait_state("checking")
        tb.call("Cancel")
        ok, name, _ = tb.wait_finished("check", timeout=30)
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "Cancelled")
        self.assertEqual(tb.prop("State"), "idle")


class RollbackTests(TestCase):
    def test_rollback_after_apply(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Update")[0])
        self.assertEqual([c for c, _ in tb.sysroot.deployments()], [v2, tb.v1])

        self.assertEqual(tb.do("Rollback"), (True, "", ""))
        self.assertEqual(tb.prop("State"), "applied")
        # ostree admin status agrees: the previous deployment is the default again.
        self.assertEqual([c for c, _ in tb.sysroot.deployments()], [tb.v1, v2])
        self.assertEqual(tb.prop("CurrentCommit"), tb.v1)
        deployments = tb.prop("Deployments")
        self.assertTrue(deployments[0]["default"])
        self.assertEqual(deployments[0]["commit"], tb.v1)
        self.assertTrue(deployments[1]["rollback"])
        entry = tb.prop("History")[0]
        self.assertEqual(entry["operation"], "rollback")
        self.assertEqual(entry["from-commit"], v2)
        self.assertEqual(entry["to-commit"], tb.v1)

        # And forward again: rollback swaps back.
        self.assertTrue(tb.do("Rollback")[0])
        self.assertEqual([c for c, _ in tb.sysroot.deployments()], [v2, tb.v1])

    def test_no_rollback_target(self):
        tb = self.tb
        ok, name, message = tb.do("Rollback")
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "NoRollback")
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])
        self.assertEqual(tb.prop("State"), "error")

    def test_apply_waits_for_the_sysroot_lock(self):
        # While `ostree admin` holds the sysroot lock, updraftd waits for it.
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        self.assertTrue(tb.do("Download")[0])
        import fcntl
        import os
        import time
        # libostree locks with open file description (POSIX-style) locks.
        lock = os.open(os.path.join(tb.sysroot.path, "ostree", "lock"), os.O_RDWR | os.O_CREAT)
        fcntl.lockf(lock, fcntl.LOCK_EX)
        tb.call("Apply")
        testbed.wait_for(lambda: tb.prop("Progress").get("phase") == "Waiting for the sysroot lock",
                         message="waiting for the lock")
        time.sleep(1)
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])
        fcntl.lockf(lock, fcntl.LOCK_UN)
        os.close(lock)
        self.assertTrue(tb.wait_finished("apply")[0])
        self.assertEqual(len(tb.sysroot.deployments()), 2)


if __name__ == "__main__":
    testbed.main()
