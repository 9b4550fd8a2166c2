#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A server that is down, broken, slow or hostile gives a clear error, in bounded
time and space, and changes nothing on the device."""

import os
import shutil

import testbed
from testbed import DAY, ERROR, T0, TestCase


def repo_tmp_size(tb):
    total = 0
    for root, _, files in os.walk(os.path.join(tb.sysroot.repo, "tmp")):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


class UnreachableTests(TestCase):
    def test_server_unreachable(self):
        tb = self.tb
        tb.server.stop()
        ok, name, message = tb.do("Check")
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "Network")
        self.assertIn("127.0.0.1:%d" % tb.server.port, message)
        self.assertEqual(tb.prop("State"), "error")
        self.assertEqual(tb.prop("LastError"), (name, message))
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])
        p = tb.updraftctl("check")
        self.assertEqual(p.returncode, 1)
        self.assertIn("[Network]", p.stderr)

    def test_missing_ref(self):
        tb = self.tb
        testbed.run(["ostree", "--repo=" + tb.server.repo, "refs", "--delete", testbed.REF])
        testbed.run([testbed.PUBLISH, "renew", "--repo", tb.server.repo, "--key", tb.key.secret])
        ok, name, message = tb.do("Check")
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "WrongTarget")
        self.assertIn(testbed.REF, message)


class EndlessDataTests(TestCase):
    """A server that streams garbage forever: stopped by size, whatever the speed."""

    config = "[Network]\nCheckTimeoutSec=30\n"

    def test_endless_delta_part(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=256 * 1024)
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "garbage"}])
        ok, name, message = tb.do("Download", timeout=120)
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "TooLarge", message)
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])
        self.assertLess(repo_tmp_size(tb), 64 * 1024 * 1024)

    def test_endless_content_object(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=256 * 1024, extra_args=["--no-delta"])
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": r"\.filez$", "action": "garbage"}])
        ok, name, message = tb.do("Download", timeout=120)
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "TooLarge", message)
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])
        self.assertLess(repo_tmp_size(tb), 64 * 1024 * 1024)

    def test_endless_summary(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        tb.server.set_rules([{"match": "summary$", "action": "garbage"}])
        ok, name, message = tb.do("Check", timeout=120)
        self.assertFalse(ok)
        self.assertIn(name, (ERROR + "TooLarge", ERROR + "MetadataInvalid", ERROR + "Network", ERROR + "Timeout"),
                      message)
        self.assertEqual(tb.prop("AvailableUpdate"), {})


class StallTests(TestCase):
    """A server that stops sending: stopped by time."""

    config = "[Network]\nStallTimeoutSec=3\nCheckTimeoutSec=10\n"

    def test_stalled_download(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=512 * 1024)
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "stall", "after": 100}])
        ok, name, message = tb.do("Download", timeout=120)
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "Timeout", message)
        self.assertEqual(tb.prop("State"), "error")
        # The bus kept answering throughout.
        self.assertEqual(tb.prop("Operation"), "")

    def test_stalled_summary(self):
        tb = self.tb
        tb.server.set_rules([{"match": "summary$", "action": "stall", "after": 0}])
        ok, name, message = tb.do("Check", timeout=120)
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "Timeout", message)

    def test_server_error_status(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        tb.server.set_rules([{"match": r"\.commit$", "action": "status", "code": 500}])
        ok, name, message = tb.do("Check")
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "Network")


class NoSummaryTests(TestCase):
    def test_server_without_summary_needs_signatures_only_on_commits(self):
        # Without a summary the ref is resolved by a commit-only pull, and the
        # local remote:ref must not move to the partial commit.
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        for name in ("summary", "summary.sig"):
            os.unlink(os.path.join(tb.server.repo, name))
        shutil.rmtree(os.path.join(tb.server.repo, "delta-indexes"), ignore_errors=True)
        self.assertTrue(tb.do("Check")[0])
        self.assertEqual(tb.prop("AvailableUpdate")["commit"], v2)
        ref = testbed.run(["ostree", "--repo=" + tb.sysroot.repo, "rev-parse", "origin:" + testbed.REF]).stdout.strip()
        self.assertEqual(ref, tb.v1)
        self.assertTrue(tb.do("Download")[0])
        self.assertTrue(tb.do("Apply")[0])
        self.assertEqual(tb.sysroot.default_commit(), v2)


if __name__ == "__main__":
    testbed.main()
