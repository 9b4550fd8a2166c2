#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""polkit on every mutating method, and the project's bus policy."""

import testbed
from testbed import DAY, ERROR, KIOSK_USER, T0, UNPRIVILEGED_USER, TestCase

MUTATING = ("Check", "Download", "Apply", "Update", "Cancel", "Rollback")


class UnprivilegedTests(TestCase):
    def test_every_mutating_method_denied(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        # Put the daemon where each method would be legal, so only polkit refuses.
        self.assertTrue(tb.do("Check")[0])
        self.assertTrue(tb.do("Download")[0])
        before = tb.props()
        for method in MUTATING:
            if method == "Cancel":
                continue
            p = tb.gdbus_call(UNPRIVILEGED_USER, method)
            self.assertNotEqual(p.returncode, 0, method)
            self.assertIn(ERROR + "NotAuthorized", p.stderr, method)
        after = tb.props()
        for key in ("State", "AvailableUpdate", "History", "Deployments", "LastError"):
            self.assertEqual(before[key], after[key], key)
        denied = testbed.journal(MESSAGE_ID="18c50bed4fa2488490f0e54e1330b4f5")
        uids = {r.get("UPDRAFT_CALLER_UID") for r in denied}
        self.assertIn("65534", uids)
        ops = {r.get("UPDRAFT_OPERATION") for r in denied}
        self.assertTrue({"check", "download", "apply", "update", "rollback"} <= ops, ops)

    def test_cancel_denied(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=2 * 1024 * 1024)
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": 256 * 1024}])
        tb.call("Download")
        tb.wait_state("downloading")
        p = tb.gdbus_call(UNPRIVILEGED_USER, "Cancel")
        self.assertIn(ERROR + "NotAuthorized", p.stderr)
        self.assertEqual(tb.prop("State"), "downloading")
        tb.server.set_rules([])
        self.assertTrue(tb.wait_finished("download")[0])

    def test_properties_readable_by_anyone(self):
        p = self.tb.as_user(UNPRIVILEGED_USER, ["gdbus", "call", "--system", "--dest", testbed.BUS_NAME,
                                                 "--object-path", testbed.OBJECT_PATH, "--method",
                                                 "org.freedesktop.DBus.Properties.Get", testbed.IFACE, "State"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("idle", p.stdout)

    def test_updraftctl_not_authorized(self):
        p = self.tb.updraftctl("check", user=UNPRIVILEGED_USER)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("Not authorized", p.stderr)
        self.assertIn("[NotAuthorized]", p.stderr)
        self.assertNotIn("GDBus.Error", p.stderr)


class KioskTests(TestCase):
    polkit_rules = testbed.kiosk_rules()

    def test_kiosk_updates_without_password(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        for method in ("Check", "Download", "Apply"):
            start = len(tb.signals)
            p = tb.gdbus_call(KIOSK_USER, method)
            self.assertEqual(p.returncode, 0, "%s: %s" % (method, p.stderr))
            self.assertTrue(tb.wait_finished(method.lower(), start=start)[0], method)
        self.assertEqual(tb.sysroot.default_commit(), v2)
        history = tb.prop("History")
        self.assertEqual({h["caller-uid"] for h in history}, {int(testbed.run(["id", "-u", KIOSK_USER]).stdout)})

    def test_kiosk_update_and_cancel(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=2 * 1024 * 1024)
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": 256 * 1024}])
        p = tb.updraftctl("update", "--no-wait", user=KIOSK_USER)
        self.assertEqual(p.returncode, 0, p.stderr)
        tb.wait_state("downloading")
        p = tb.updraftctl("cancel", user=KIOSK_USER)
        self.assertEqual(p.returncode, 0, p.stderr)
        ok, name, _ = tb.wait_finished("update")
        self.assertEqual(name, ERROR + "Cancelled")

    def test_kiosk_may_not_roll_back(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Update")[0])
        p = tb.gdbus_call(KIOSK_USER, "Rollback")
        self.assertIn(ERROR + "NotAuthorized", p.stderr)
        self.assertEqual(tb.sysroot.deployments()[0][0], tb.prop("Deployments")[0]["commit"])
        self.assertEqual(len(tb.sysroot.deployments()), 2)

    def test_kiosk_may_not_downgrade(self):
        tb = self.tb
        older = tb.server.publish("0.9", T0 - DAY)
        p = tb.gdbus_call(KIOSK_USER, "Check", "{'commit': <'%s'>, 'allow-downgrade': <true>}" % older)
        self.assertIn(ERROR + "NotAuthorized", p.stderr)
        self.assertEqual(tb.prop("State"), "idle")


class TechnicianRuleTests(TestCase):
    """A device maker who wants the kiosk to roll back says so in a rule."""

    polkit_rules = testbed.kiosk_rules() + """
polkit.addRule(function(action, subject) {
    if (action.id == "org.updraft.rollback" && subject.user == "kiosk")
        return polkit.Result.YES;
});
"""

    def test_rollback_allowed_by_a_rule(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Update")[0])
        start = len(tb.signals)
        p = tb.gdbus_call(KIOSK_USER, "Rollback")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(tb.wait_finished("rollback", start=start)[0])
        self.assertEqual([c for c, _ in tb.sysroot.deployments()], [tb.v1, v2])


class BusPolicyTests(TestCase):
    start_daemon = False

    def test_only_root_owns_the_name(self):
        tb = self.tb
        p = tb.as_user(UNPRIVILEGED_USER, [testbed.PYTHON, "-c", """
import sys
from gi.repository import Gio
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM)
r = bus.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                  'RequestName', GLib.Variant('(su)', ('org.updraft.Updater1', 4)), None, 0, -1, None)
""".replace("from gi.repository import Gio", "from gi.repository import Gio, GLib")])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AccessDenied", p.stderr)

    def test_properties_cannot_be_set(self):
        tb = self.tb
        tb.start_daemon()
        p = tb.as_user(UNPRIVILEGED_USER, ["gdbus", "call", "--system", "--dest", testbed.BUS_NAME,
                                            "--object-path", testbed.OBJECT_PATH, "--method",
                                            "org.freedesktop.DBus.Properties.Set", testbed.IFACE, "State",
                                            "<'applied'>"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AccessDenied", p.stderr)
        self.assertEqual(tb.prop("State"), "idle")


if __name__ == "__main__":
    testbed.main()
