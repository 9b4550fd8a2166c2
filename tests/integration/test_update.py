#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The main job: check, download and apply an update over D-Bus."""

import os

import testbed
from testbed import DAY, T0, TestCase


class UpdateTests(TestCase):
    def test_initial_properties(self):
        tb = self.tb
        props = tb.props()
        self.assertEqual(props["State"], "idle")
        self.assertEqual(props["Operation"], "")
        self.assertEqual(props["CurrentCommit"], tb.v1)
        self.assertEqual(props["CurrentVersion"], "1.0")
        self.assertEqual(props["Origin"], "origin:" + testbed.REF)
        self.assertTrue(props["RequireSignatures"])
        self.assertEqual(props["AvailableUpdate"], {})
        self.assertEqual(props["LastError"], ("", ""))
        self.assertEqual(len(props["Deployments"]), 1)
        d = props["Deployments"][0]
        self.assertEqual(d["commit"], tb.v1)
        self.assertEqual(d["osname"], testbed.OS_NAME)
        self.assertTrue(d["default"])
        self.assertTrue(d["current"])
        self.assertFalse(d["booted"])
        self.assertFalse(d["rollback"])

    def test_check_download_apply(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY, payload_size=512 * 1024)
        tb.server.clear_log()

        self.assertEqual(tb.do("Check"), (True, "", ""))
        self.assertEqual(tb.prop("State"), "update-available")
        update = tb.prop("AvailableUpdate")
        self.assertEqual(update["commit"], v2)
        self.assertEqual(update["version"], "2.0")
        self.assertEqual(update["timestamp"], T0 + DAY)
        self.assertEqual(update["subject"], "Demo OS 2.0")
        self.assertEqual(update["body"], "Release notes for 2.0")
        self.assertEqual(update["signed-by"], tb.key.key_id)
        self.assertFalse(update["downloaded"])
        self.assertGreater(update["download-size"], 400 * 1024)
        # Check fetched metadata only: no file content, no delta parts.
        fetched = [r["path"] for r in tb.server.requests()]
        self.assertFalse([p for p in fetched if p.endswith(".filez")], fetched)
        self.assertFalse([p for p in fetched if "/deltas/" in p and not p.endswith("superblock")], fetched)
        # ...and the device still points at what it runs.
        self.assertFalse(tb.sysroot.has_commit(v2, complete=True))

        self.assertEqual(tb.do("Download"), (True, "", ""))
        self.assertEqual(tb.prop("State"), "ready")
        self.assertTrue(tb.prop("AvailableUpdate")["downloaded"])
        self.assertTrue(tb.sysroot.has_commit(v2))
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])

        self.assertEqual(tb.do("Apply"), (True, "", ""))
        self.assertEqual(tb.prop("State"), "applied")
        # ostree admin status agrees: the new deployment is the default, the old one kept.
        self.assertEqual([c for c, _ in tb.sysroot.deployments()], [v2, tb.v1])
        deployments = tb.prop("Deployments")
        self.assertEqual([d["commit"] for d in deployments], [v2, tb.v1])
        self.assertTrue(deployments[0]["default"])
        self.assertTrue(deployments[1]["rollback"])
        self.assertEqual(deployments[0]["version"], "2.0")
        self.assertEqual(tb.prop("AvailableUpdate"), {})
        # Not booted: the default deployment is the current one.
        self.assertEqual(tb.prop("CurrentCommit"), v2)

        history = tb.prop("History")
        self.assertEqual([h["operation"] for h in history[:3]], ["apply", "download", "check"])
        self.assertTrue(all(h["success"] for h in history[:3]))
        self.assertEqual(history[0]["from-commit"], tb.v1)
        self.assertEqual(history[0]["to-commit"], v2)
        self.assertEqual(history[0]["to-version"], "2.0")

    def test_update_in_one_call(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        self.assertEqual(tb.do("Update"), (True, "", ""))
        self.assertEqual(tb.prop("State"), "applied")
        self.assertEqual(tb.sysroot.default_commit(), v2)
        tb.pump()
        states = [c["State"] for _, c in tb.changes if "State" in c]
        self.assertEqual(states, ["checking", "downloading", "applying", "applied"])

    def test_no_update(self):
        tb = self.tb
        self.assertEqual(tb.do("Check"), (True, "", ""))
        self.assertEqual(tb.prop("State"), "no-update")
        self.assertEqual(tb.prop("AvailableUpdate"), {})
        self.assertEqual(tb.do("Update"), (True, "", ""))
        self.assertEqual(tb.prop("State"), "no-update")
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])

    def test_older_commit_not_offered(self):
        tb = self.tb
        older = tb.server.publish("0.9", T0 - DAY)
        ok, name, message = tb.do("Check")
        self.assertFalse(ok)
        self.assertEqual(name, testbed.ERROR + "Downgrade")
        self.assertIn(older, message)
        self.assertEqual(tb.prop("State"), "error")
        self.assertEqual(tb.prop("AvailableUpdate"), {})
        self.assertEqual(tb.prop("LastError"), (name, message))
        # Nothing of it was kept where an apply could find it.
        self.assertFalse(tb.sysroot.has_commit(older, complete=False))
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])
        self.assertDBusError(testbed.ERROR + "WrongState", "Download")

    def test_older_version_not_offered(self):
        # A newer timestamp does not make an older version newer.
        tb = self.tb
        tb.server.publish("0.9", T0 + DAY)
        ok, name, _ = tb.do("Check")
        self.assertFalse(ok)
        self.assertEqual(name, testbed.ERROR + "Downgrade")

    def test_download_uses_static_delta(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=256 * 1024)
        self.assertTrue(tb.do("Check")[0])
        tb.server.clear_log()
        self.assertTrue(tb.do("Download")[0])
        fetched = [r["path"] for r in tb.server.requests()]
        self.assertTrue([p for p in fetched if "/deltas/" in p], fetched)
        self.assertFalse([p for p in fetched if p.endswith(".filez")], fetched)

    def test_progress_during_download(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=1024 * 1024)
        self.assertTrue(tb.do("Check")[0])
        # Slow enough to see several progress reports.
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": 400 * 1024}])
        tb.changes.clear()
        self.assertTrue(tb.do("Download")[0])
        progress = [c["Progress"] for _, c in tb.changes if c.get("Progress")]
        downloading = [p for p in progress if p.get("phase") == "Downloading"]
        self.assertGreater(len(downloading), 2, progress)
        self.assertTrue(any(0 < p["percent"] < 100 for p in downloading), downloading)
        self.assertTrue(all(p["bytes-total"] >= 1024 * 1024 for p in downloading if p["bytes-done"] > 0))
        self.assertTrue(any(p["bytes-per-second"] > 0 for p in downloading), downloading)
        self.assertTrue(any(p["seconds-left"] >= 0 for p in downloading), downloading)
        done = [p["bytes-done"] for p in downloading]
        self.assertEqual(done, sorted(done))
        # Progress is cleared once the download ends.
        self.assertEqual(tb.prop("Progress"), {})

    def test_download_resumes(self):
        # Without a delta, a download is many objects; a cancelled one keeps
        # the objects it stored and the next attempt does not fetch them again.
        tb = self.tb
        files = {"usr/share/data/%d" % i: os.urandom(256 * 1024) for i in range(12)}
        tb.server.publish("2.0", T0 + DAY, extra_files=files, extra_args=["--no-delta"])
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": r"\.filez$", "action": "slow", "rate": 128 * 1024}])

        def stored():
            """Content objects the device holds (committed or staged)."""
            found = set()
            for root, _, names in os.walk(tb.sysroot.repo):
                for name in names:
                    if name.endswith(".file"):
                        found.add("/repo/objects/%s/%s.filez" % (os.path.basename(root), name[:-5]))
            return found

        before = stored()
        tb.call("Download")
        testbed.wait_for(lambda: len(stored() - before) >= 2, message="part of the download stored")
        tb.call("Cancel")
        ok, name, _ = tb.wait_finished("download")
        self.assertFalse(ok)
        self.assertEqual(name, testbed.ERROR + "Cancelled")
        kept = stored() - before
        self.assertGreaterEqual(len(kept), 2)

        tb.server.set_rules([])
        tb.server.clear_log()
        self.assertTrue(tb.do("Download")[0])
        again = {r["path"] for r in tb.server.requests() if r["path"].endswith(".filez")}
        self.assertTrue(again, "the second download fetched nothing")
        self.assertFalse(kept & again, "objects kept from the cancelled download were fetched again")
        self.assertTrue(tb.do("Apply")[0])

if __name__ == "__main__":
    testbed.main()
