#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The state machine over D-Bus: illegal calls, bad options, one operation at a time."""

import threading

from gi.repository import GLib

import testbed
from testbed import DAY, ERROR, INVALID_ARGS, T0, TestCase


class WrongStateTests(TestCase):
    def assertRefusedWithoutChange(self, expected, method, options=None):
        before = self.tb.props()
        message = self.assertDBusError(expected, method, options)
        after = self.tb.props()
        for key in ("State", "AvailableUpdate", "LastError", "History", "Deployments"):
            self.assertEqual(before[key], after[key], key)
        return message

    def test_download_before_check(self):
        msg = self.assertRefusedWithoutChange(ERROR + "WrongState", "Download")
        self.assertIn("Check", msg)

    def test_apply_before_download(self):
        self.tb.server.publish("2.0", T0 + DAY)
        self.assertRefusedWithoutChange(ERROR + "WrongState", "Apply")
        self.assertTrue(self.tb.do("Check")[0])
        msg = self.assertRefusedWithoutChange(ERROR + "WrongState", "Apply")
        self.assertIn("Download", msg)
        self.assertEqual(self.tb.prop("State"), "update-available")

    def test_cancel_when_idle(self):
        self.assertRefusedWithoutChange(ERROR + "WrongState", "Cancel")

    def test_check_after_apply(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Update")[0])
        self.assertRefusedWithoutChange(ERROR + "WrongState", "Check")
        self.assertRefusedWithoutChange(ERROR + "WrongState", "Update")
        self.assertRefusedWithoutChange(ERROR + "WrongState", "Apply")
        self.assertRefusedWithoutChange(ERROR + "WrongState", "Download")

    def test_download_when_ready_is_a_no_op(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        self.assertTrue(tb.do("Download")[0])
        tb.server.clear_log()
        self.assertTrue(tb.do("Download")[0])
        self.assertEqual(tb.prop("State"), "ready")
        self.assertFalse([r for r in tb.server.requests() if "/objects/" in r["path"] or "/deltas/" in r["path"]])

    def test_retry_download_from_error(self):
        # A failed download leaves the update known: Download may be retried.
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": "/deltas/|\\.filez$", "action": "status", "code": 500}])
        ok, name, _ = tb.do("Download")
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "Network")
        self.assertEqual(tb.prop("State"), "error")
        self.assertNotEqual(tb.prop("AvailableUpdate"), {})
        self.assertDBusError(ERROR + "WrongState", "Apply")
        tb.server.set_rules([])
        self.assertTrue(tb.do("Download")[0])
        self.assertEqual(tb.prop("LastError"), ("", ""))
        self.assertTrue(tb.do("Apply")[0])


class OptionTests(TestCase):
    def assertInvalid(self, method, options, fragment):
        before = self.tb.props()
        message = self.assertDBusError(INVALID_ARGS, method, options)
        self.assertIn(fragment, message)
        after = self.tb.props()
        self.assertEqual(before["State"], after["State"])
        self.assertEqual(before["History"], after["History"])

    def test_unknown_key(self):
        for method in ("Check", "Download", "Apply", "Update", "Cancel", "Rollback"):
            self.assertInvalid(method, {"colour": GLib.Variant("s", "blue")}, "colour")

    def test_key_of_another_method(self):
        self.assertInvalid("Download", {"reboot": GLib.Variant("b", True)}, "reboot")
        self.assertInvalid("Apply", {"commit": GLib.Variant("s", "0" * 64)}, "commit")

    def test_wrong_type(self):
        self.assertInvalid("Apply", {"reboot": GLib.Variant("s", "yes")}, "reboot")
        self.assertInvalid("Check", {"commit": GLib.Variant("i", 3)}, "commit")
        self.assertInvalid("Update", {"allow-downgrade": GLib.Variant("u", 1)}, "allow-downgrade")

    def test_malformed_commit(self):
        self.assertInvalid("Check", {"commit": GLib.Variant("s", "not-a-checksum")}, "commit")
        self.assertInvalid("Check", {"commit": GLib.Variant("s", "A" * 64)}, "commit")

    def test_downgrade_needs_commit(self):
        self.assertInvalid("Check", {"allow-downgrade": GLib.Variant("b", True)}, "commit")

    def test_wrong_signature(self):
        # Not a{sv} at all: the bus layer refuses it before updraftd's code runs.
        tb = self.tb
        try:
            tb.connection.call_sync(testbed.BUS_NAME, testbed.OBJECT_PATH, testbed.IFACE, "Check",
                                    GLib.Variant("(s)", ("x",)), None, 0, 10000, None)
        except GLib.Error as e:
            self.assertIn("InvalidArgs", str(e))
        else:
            self.fail("a call with the wrong signature succeeded")


class ConcurrencyTests(TestCase):
    def slow_download(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=2 * 1024 * 1024)
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": 256 * 1024}])
        tb.call("Download")
        tb.wait_state("downloading")

    def test_second_operation_is_busy(self):
        tb = self.tb
        self.slow_download()
        before = tb.prop("AvailableUpdate")
        for method in ("Check", "Apply", "Update", "Rollback"):
            self.assertDBusError(ERROR + "Busy", method)
        # The same operation joins the running one.
        tb.call("Download")
        self.assertEqual(tb.prop("State"), "downloading")
        self.assertEqual(tb.prop("Operation"), "download")
        self.assertEqual(tb.prop("AvailableUpdate"), before)
        tb.server.set_rules([])
        ok, _, _ = tb.wait_finished("download")
        self.assertTrue(ok)
        tb.pump(0.5)
        self.assertFalse([s for s in tb.signals if s[0] == "download"], "joined call produced a second Finished")

    def test_concurrent_callers(self):
        # Two clients race to start a check: one starts it, the other joins or
        # is told it is busy; exactly one check runs.
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        tb.server.set_rules([{"match": "summary$", "action": "slow", "rate": 200}])
        results = []

        def client():
            p = tb.gdbus_call("root", "Check")
            results.append(p)

        threads = [threading.Thread(target=client) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for p in results:
            self.assertEqual(p.returncode, 0, p.stderr)
        tb.server.set_rules([])
        self.assertTrue(tb.wait_finished("check")[0])
        self.assertEqual([h["operation"] for h in tb.prop("History")], ["check"])


if __name__ == "__main__":
    testbed.main()
