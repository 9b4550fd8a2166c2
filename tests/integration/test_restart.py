#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""State that survives updraftd being killed and started again."""

import os

import testbed
from testbed import DAY, ERROR, T0, TestCase

KEPT = ("State", "AvailableUpdate", "LastError", "History", "Deployments", "CurrentCommit")


class RestartTests(TestCase):
    def restart(self, kill=True):
        tb = self.tb
        before = {k: tb.prop(k) for k in KEPT}
        code = tb.kill_daemon() if kill else tb.stop_daemon()
        if kill:
            self.assertEqual(code, -9)
        else:
            self.assertEqual(code, 0)
        tb.start_daemon()
        after = {k: tb.prop(k) for k in KEPT}
        return before, after

    def test_update_available_survives_sigkill(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        before, after = self.restart()
        self.assertEqual(after["State"], "update-available")
        self.assertEqual(before, after)
        # And it can carry on from there.
        self.assertTrue(tb.do("Download")[0])
        self.assertTrue(tb.do("Apply")[0])

    def test_ready_survives_sigkill(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        self.assertTrue(tb.do("Download")[0])
        before, after = self.restart()
        self.assertEqual(after["State"], "ready")
        self.assertEqual(before, after)
        self.assertTrue(tb.do("Apply")[0])

    def test_applied_and_history_survive_sigkill(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Update")[0])
        before, after = self.restart()
        self.assertEqual(after["State"], "applied")
        self.assertEqual(before, after)

    def test_last_error_survives_restart(self):
        tb = self.tb
        tb.server.publish("0.9", T0 - DAY)
        self.assertFalse(tb.do("Check")[0])
        before, after = self.restart(kill=False)
        self.assertEqual(after["State"], "error")
        self.assertEqual(after["LastError"][0], ERROR + "Downgrade")
        self.assertEqual(before, after)

    def test_killed_during_download(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=2 * 1024 * 1024)
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": 128 * 1024}])
        tb.call("Download")
        tb.wait_state("downloading")
        tb.kill_daemon()
        tb.start_daemon()
        # Back in the state the download started from; the deployments untouched.
        self.assertEqual(tb.prop("State"), "update-available")
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])
        tb.server.set_rules([])
        self.assertTrue(tb.do("Download")[0])
        self.assertTrue(tb.do("Apply")[0])

    def test_state_file_is_private_and_readable(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        tb.stop_daemon()
        path = "/var/lib/updraft/state"
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat("/var/lib/updraft").st_mode & 0o777, 0o700)
        with open(path) as f:
            text = f.read()
        self.assertIn("State=update-available", text)
        tb.start_daemon()

    def test_finished_only_after_state_is_on_disk(self):
        # Finished is the promise that the result survives a crash: when it
        # arrives, the state file already says so. Every operation adds a
        # history entry, so each round is a fresh chance to catch the file
        # lagging behind the signal.
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        steps = [("Check", "update-available")] * 8 + [("Download", "ready"), ("Apply", "applied")]
        for n, (method, state) in enumerate(steps):
            self.assertTrue(tb.do(method)[0])
            with open("/var/lib/updraft/state") as f:
                text = f.read()
            self.assertIn("State=%s\n" % state, text, method)
            self.assertIn("[History %d]" % n, text, "%s #%d" % (method, n + 1))

    def test_damaged_state_file(self):
        tb = self.tb
        tb.stop_daemon()
        with open("/var/lib/updraft/state", "wb") as f:
            f.write(b"State=ready\n[broken")
        tb.start_daemon()
        self.assertEqual(tb.prop("State"), "idle")
        self.assertIn("Ignoring the saved state", tb.daemon_log_text())


if __name__ == "__main__":
    testbed.main()
