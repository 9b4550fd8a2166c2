#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""updraftd as a system service: activation, readiness, idle exit, config,
audit trail, and rebooting through logind."""

import os

import testbed
from testbed import DAY, T0, TestCase


class ServiceTests(TestCase):
    start_daemon = False

    def test_ready_and_status_notifications(self):
        tb = self.tb
        tb.start_daemon()
        testbed.wait_for(lambda: "READY=1" in tb.notify_messages, message="READY=1")
        self.assertIn("STATUS=idle", tb.notify_messages)
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        testbed.wait_for(lambda: "STATUS=update-available" in tb.notify_messages, message="STATUS")
        self.assertIn("STATUS=checking: check", tb.notify_messages)
        self.assertEqual(tb.stop_daemon(), 0)
        self.assertIn("STOPPING=1", tb.notify_messages)

    def test_exits_when_idle(self):
        tb = self.tb
        os.makedirs("/etc/updraft/updraft.conf.d")
        with open("/etc/updraft/updraft.conf.d/50-idle.conf", "w") as f:
            f.write("[Daemon]\nIdleTimeoutSec=2\n")
        daemon = tb.start_daemon()
        tb.prop("State")
        self.assertEqual(daemon.wait(30), 0)
        tb.daemon = None
        self.assertIn("Idle for 2 s", tb.daemon_log_text())

    def test_does_not_exit_during_an_operation(self):
        tb = self.tb
        os.makedirs("/etc/updraft")
        with open("/etc/updraft/updraft.conf", "w") as f:
            f.write("[Daemon]\nIdleTimeoutSec=1\n")
        tb.server.publish("2.0", T0 + DAY, payload_size=1024 * 1024)
        daemon = tb.start_daemon()
        tb.server.set_rules([{"match": "summary$", "action": "slow", "rate": 150}])
        tb.call("Check")
        ok, _, _ = tb.wait_finished("check", timeout=60)
        self.assertTrue(ok)
        self.assertIsNone(daemon.poll())

    def test_config_warnings_are_logged(self):
        tb = self.tb
        os.makedirs("/etc/updraft/updraft.conf.d")
        with open("/etc/updraft/updraft.conf", "w") as f:
            f.write("[Daemon]\nIdleTimeoutSec=600\nFlavour=strawberry\n[Mystery]\nA=1\n")
        with open("/etc/updraft/updraft.conf.d/README", "w") as f:
            f.write("notes\n")
        tb.start_daemon()
        log = tb.daemon_log_text()
        self.assertIn("unknown key Flavour in [Daemon]", log)
        self.assertIn("unknown group [Mystery]", log)
        self.assertIn("README: drop-ins must end in .conf", log)

    def test_sigterm_during_download_cancels_cleanly(self):
        tb = self.tb
        tb.start_daemon()
        tb.server.publish("2.0", T0 + DAY, payload_size=2 * 1024 * 1024)
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": 128 * 1024}])
        tb.call("Download")
        tb.wait_state("downloading")
        self.assertEqual(tb.stop_daemon(), 0)
        tb.start_daemon()
        self.assertEqual(tb.prop("State"), "update-available")
        self.assertEqual(tb.prop("History")[0]["error-name"], testbed.ERROR + "Cancelled")


class ActivationTests(TestCase):
    start_daemon = False
    activation = True

    def test_started_by_dbus_activation(self):
        tb = self.tb
        self.assertEqual(tb.prop("State"), "idle")
        self.assertEqual(tb.prop("CurrentCommit"), tb.v1)
        p = tb.updraftctl("status")
        self.assertEqual(p.returncode, 0, p.stderr)


class AuditTests(TestCase):
    def test_audit_records(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Update")[0])
        started = testbed.journal(MESSAGE_ID="d565df446ea04099a672692cce24bd54", UPDRAFT_OPERATION="update")
        self.assertTrue(started)
        self.assertEqual(started[-1]["UPDRAFT_CALLER_UID"], "0")
        self.assertTrue(int(started[-1]["UPDRAFT_CALLER_PID"]) > 0)
        self.assertEqual(started[-1]["UPDRAFT_FROM_COMMIT"], tb.v1)
        done = testbed.journal(MESSAGE_ID="aa047de06bdb4693953817812fe700cb", UPDRAFT_OPERATION="update")
        self.assertEqual(done[-1]["UPDRAFT_RESULT"], "success")
        self.assertEqual(done[-1]["UPDRAFT_TO_COMMIT"], v2)
        self.assertEqual(done[-1]["UPDRAFT_TO_VERSION"], "2.0")
        self.assertEqual(done[-1]["UPDRAFT_FROM_VERSION"], "1.0")
        changed = testbed.journal(MESSAGE_ID="44e3e1c7b87842e59f7eeabfdae3c167", UPDRAFT_TO_COMMIT=v2)
        self.assertTrue(changed)

    def test_failure_is_audited(self):
        tb = self.tb
        tb.server.publish("0.9", T0 - DAY)
        self.assertFalse(tb.do("Check")[0])
        failed = testbed.journal(MESSAGE_ID="4d0d2c0b2aa049119e2c96ba7d84527d", UPDRAFT_OPERATION="check")
        self.assertEqual(failed[-1]["UPDRAFT_ERROR"], testbed.ERROR + "Downgrade")
        self.assertEqual(failed[-1]["PRIORITY"], "3")


class RebootTests(TestCase):
    logind = True

    def test_apply_with_reboot(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        self.assertTrue(tb.do("Download")[0])
        self.assertEqual(tb.do("Apply", {"reboot": testbed_variant(True)}), (True, "", ""))
        calls = [c for c in tb.logind_calls() if "Reboot" in c]
        self.assertEqual(len(calls), 1, tb.logind_calls())
        self.assertIn("False", calls[0])

    def test_apply_without_reboot_does_not_reboot(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Update")[0])
        self.assertFalse([c for c in tb.logind_calls() if "Reboot" in c])


def testbed_variant(value):
    from gi.repository import GLib
    return GLib.Variant("b", value)


if __name__ == "__main__":
    testbed.main()
