#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""updraftctl, the administrator's client, against the real daemon."""

import json
import os
import pty
import select
import signal
import subprocess
import time

import testbed
from testbed import DAY, T0, TestCase

COMMANDS = ("status", "check", "download", "apply", "update", "rollback", "cancel", "monitor")


class CliTests(TestCase):
    def test_help_for_every_command(self):
        overview = self.tb.updraftctl("--help")
        self.assertEqual(overview.returncode, 0)
        for command in COMMANDS:
            self.assertIn(command, overview.stdout)
            p = self.tb.updraftctl(command, "--help")
            self.assertEqual(p.returncode, 0, command)
            self.assertIn("updraftctl " + command, p.stdout)
            self.assertIn("--json", p.stdout)
        self.assertIn("--reboot", self.tb.updraftctl("apply", "--help").stdout)
        self.assertIn("--commit", self.tb.updraftctl("check", "--help").stdout)
        self.assertIn("--no-wait", self.tb.updraftctl("download", "--help").stdout)

    def test_usage_errors(self):
        self.assertEqual(self.tb.updraftctl("frobnicate").returncode, 2)
        self.assertEqual(self.tb.updraftctl("check", "--bogus").returncode, 2)
        self.assertEqual(self.tb.updraftctl("check", "extra").returncode, 2)
        self.assertEqual(self.tb.updraftctl().returncode, 2)

    def test_full_cycle(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY, payload_size=512 * 1024)
        p = tb.updraftctl("status")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("State:       idle", p.stdout)
        self.assertIn("1.0", p.stdout)

        p = tb.updraftctl("check")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Update available: version 2.0", p.stdout)

        p = tb.updraftctl("download")
        self.assertEqual(p.returncode, 0, p.stderr)
        # Not a terminal: plain progress lines, no bar.
        self.assertIn("progress:", p.stdout)
        self.assertNotIn("\r", p.stdout)
        self.assertIn("downloaded and verified", p.stdout)

        p = tb.updraftctl("apply")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("2.0 is now the default deployment", p.stdout)
        self.assertEqual(tb.sysroot.default_commit(), v2)

        p = tb.updraftctl("status")
        self.assertIn("State:       applied", p.stdout)
        self.assertIn("(current, default)", p.stdout)
        self.assertIn("(rollback)", p.stdout)

    def test_json(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        status = json.loads(tb.updraftctl("status", "--json").stdout)
        self.assertEqual(status["State"], "idle")
        self.assertEqual(status["CurrentCommit"], tb.v1)
        self.assertEqual(status["LastError"], ["", ""])
        result = json.loads(tb.updraftctl("check", "--json").stdout)
        self.assertEqual(result["operation"], "check")
        self.assertTrue(result["success"])
        self.assertEqual(result["state"], "update-available")
        self.assertEqual(result["available-update"]["commit"], v2)
        self.assertEqual(result["available-update"]["signed-by"], tb.key.key_id)

    def test_json_failure(self):
        tb = self.tb
        tb.server.publish("0.9", T0 - DAY)
        p = tb.updraftctl("check", "--json")
        self.assertEqual(p.returncode, 1)
        result = json.loads(p.stdout)
        self.assertFalse(result["success"])
        self.assertEqual(result["error-name"], testbed.ERROR + "Downgrade")
        self.assertEqual(result["state"], "error")

    def test_error_message_without_dbus_noise(self):
        p = self.tb.updraftctl("download")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.startswith("updraftctl: download: No update to download"), p.stderr)
        self.assertIn("[WrongState]", p.stderr)
        self.assertNotIn("GDBus.Error", p.stderr)

    def test_no_wait(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        p = tb.updraftctl("check", "--no-wait")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(tb.wait_finished("check")[0])

    def test_progress_bar_on_a_terminal(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=1024 * 1024)
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": 512 * 1024}])
        out = run_on_terminal([testbed.UPDRAFTCTL, "download"], tb.env)
        self.assertIn(b"\r[", out)
        self.assertIn(b"% ", out)
        self.assertIn(b"/s", out)
        self.assertIn(b"left", out)

    def test_ctrl_c_cancels_its_download(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, payload_size=2 * 1024 * 1024)
        self.assertTrue(tb.do("Check")[0])
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": 128 * 1024}])
        p = subprocess.Popen([testbed.UPDRAFTCTL, "download"], env=tb.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        tb.wait_state("downloading")
        testbed.wait_for(lambda: tb.prop("Progress").get("bytes-done", 0) > 0, message="progress")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("Cancelling", err)
        self.assertEqual(tb.prop("State"), "update-available")
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])

    def test_monitor(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        p = subprocess.Popen([testbed.UPDRAFTCTL, "monitor", "--json"], env=tb.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        self.assertTrue(tb.do("Check")[0])
        time.sleep(1)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0)
        events = [json.loads(line) for line in out.splitlines()]
        states = [e["properties"]["State"] for e in events if e["event"] == "changed" and "State" in e["properties"]]
        self.assertIn("checking", states)
        self.assertIn("update-available", states)
        finished = [e for e in events if e["event"] == "finished"]
        self.assertEqual(finished[0]["operation"], "check")
        self.assertTrue(finished[0]["success"])

    def test_rollback_and_reboot_options(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertEqual(tb.updraftctl("update").returncode, 0)
        p = tb.updraftctl("rollback")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(tb.sysroot.default_commit(), tb.v1)


def run_on_terminal(argv, env, timeout=120):
    """Runs argv with a pseudo-terminal as stdout; returns everything it wrote."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
    os.waitpid(pid, 0)
    return out


if __name__ == "__main__":
    testbed.main()
