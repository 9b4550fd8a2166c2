#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmarks for updraftd. Prints figures; passes or fails nothing.

  1. idle memory: updraftd's RSS after start-up, and after a full update;
  2. wall time of check + download + apply through updraftd, against
     `ostree admin upgrade` doing the same update on a twin sysroot, both
     pulling the same static delta from the same HTTP server;
  3. bytes transferred for the update, with and without a static delta;
  4. D-Bus latency: Properties.Get while idle and while a download runs.

Runs in a private mount namespace like the integration tests (root needed).
Usage: bench/bench.py [--rounds N] [--payload-mb M]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import testbed  # noqa: E402
from testbed import DAY, T0  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def get_latencies(tb, count):
    from gi.repository import GLib
    samples = []
    for _ in range(count):
        t = time.perf_counter()
        tb.connection.call_sync(testbed.BUS_NAME, testbed.OBJECT_PATH, "org.freedesktop.DBus.Properties", "Get",
                                GLib.Variant("(ss)", (testbed.IFACE, "Progress")), None, 0, 10000, None)
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def fresh_testbed(payload, delta=True):
    tmp = tempfile.mkdtemp(prefix="updraft-bench-")
    tb = testbed.Testbed(tmp)
    extra = [] if delta else ["--no-delta"]
    v2 = tb.server.publish("2.0", T0 + DAY, payload_size=payload, extra_args=extra)
    return tmp, tb, v2


def close(tmp, tb):
    tb.close()
    testbed.rmtree(tmp)


def twin_sysroot(tb, name):
    twin = testbed.Sysroot(os.path.join(tb.dir, name), tb.server)
    twin.deploy(tb.v1)
    return twin


def time_updraftd(tb):
    t = time.perf_counter()
    for method in ("Check", "Download", "Apply"):
        ok, name, message = tb.do(method, timeout=600)
        if not ok:
            raise RuntimeError("%s failed: %s %s" % (method, name, message))
    return time.perf_counter() - t


def time_ostree_admin(twin):
    t = time.perf_counter()
    testbed.run(["ostree", "admin", "upgrade", "--sysroot=" + twin.path, "--os=" + testbed.OS_NAME])
    return time.perf_counter() - t


def throttle(tb, rate):
    """Limits the server to @rate bytes/s per transfer, as a real link would."""
    if rate:
        tb.server.set_rules([{"match": r"/deltas/.*/[0-9]+$|\.filez$", "action": "slow", "rate": rate}])


def bench_memory_and_time(rounds, payload, rate):
    ours, theirs, rss_idle, rss_after = [], [], [], []
    for i in range(rounds):
        tmp, tb, v2 = fresh_testbed(payload)
        try:
            throttle(tb, rate)
            twin = twin_sysroot(tb, "twin")
            daemon = tb.start_daemon(args=[])
            time.sleep(1.0)
            rss_idle.append(rss_kib(daemon.pid))
            # Alternate the order so neither side always gets a warm cache.
            if i % 2 == 0:
                ours.append(time_updraftd(tb))
                theirs.append(time_ostree_admin(twin))
            else:
                theirs.append(time_ostree_admin(twin))
                ours.append(time_updraftd(tb))
            time.sleep(0.5)
            rss_after.append(rss_kib(daemon.pid))
            assert tb.sysroot.default_commit() == v2 and twin.default_commit() == v2
        finally:
            close(tmp, tb)
    return ours, theirs, rss_idle, rss_after


def bench_bytes(payload):
    """Bytes fetched for a release that changes 64 KiB of a large file."""
    base = os.urandom(payload)
    changed = bytearray(base)
    changed[len(base) // 2:len(base) // 2 + 65536] = os.urandom(65536)
    result = {}
    for delta in (True, False):
        tmp = tempfile.mkdtemp(prefix="updraft-bench-")
        tb = testbed.Testbed(tmp)
        try:
            tb.start_daemon()
            tb.server.publish("1.1", T0 + DAY, payload_size=0, extra_files={"usr/share/big": base})
            tb.do("Update", timeout=600)
            tb.stop_daemon()
            testbed.rmtree("/var/lib/updraft")
            tb.start_daemon()
            extra = [] if delta else ["--no-delta"]
            tb.server.publish("1.2", T0 + 2 * DAY, payload_size=0, extra_files={"usr/share/big": bytes(changed)},
                              extra_args=extra)
            tb.do("Check")
            tb.server.clear_log()
            tb.do("Download", timeout=600)
            result[delta] = sum(max(r["bytes"], 0) for r in tb.server.requests())
        finally:
            close(tmp, tb)
    return result


def bench_latency(payload, count):
    tmp, tb, _ = fresh_testbed(payload)
    try:
        tb.start_daemon()
        idle = get_latencies(tb, count)
        tb.do("Check")
        # A download long enough to measure during (about 20 s): throttled
        # delta parts.
        rate = max(payload // 20, 64 * 1024)
        tb.server.set_rules([{"match": "/deltas/.*/[0-9]+$", "action": "slow", "rate": rate}])
        tb.call("Download")
        tb.wait_state("downloading")
        busy = []
        while tb.prop("State") == "downloading" and len(busy) < count:
            busy.extend(get_latencies(tb, 50))
        tb.wait_finished("download", timeout=600)
        return idle, busy
    finally:
        close(tmp, tb)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--payload-mb", type=int, default=64)
    parser.add_argument("--latency-samples", type=int, default=2000)
    parser.add_argument("--link-mbit", type=float, default=0,
                        help="throttle the update server to this many Mbit/s for the wall-time "
                             "comparison (0: loopback speed)")
    args = parser.parse_args()
    testbed.enter_namespace()
    payload = args.payload_mb * 1024 * 1024

    rate = int(args.link_mbit * 1000 * 1000 / 8)
    ours, theirs, rss_idle, rss_after = bench_memory_and_time(args.rounds, payload, rate)
    transferred = bench_bytes(payload)
    idle, busy = bench_latency(payload, args.latency_samples)

    print("Updraft benchmarks (%d rounds, %d MiB random payload, update 1.0 -> 2.0, server %s)"
          % (args.rounds, args.payload_mb,
             "throttled to %g Mbit/s" % args.link_mbit if rate else "at loopback speed"))
    print("")
    print("updraftd RSS, idle after start-up:   median %d KiB (min %d, max %d)"
          % (statistics.median(rss_idle), min(rss_idle), max(rss_idle)))
    print("updraftd RSS, after a full update:   median %d KiB" % statistics.median(rss_after))
    print("")
    m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
    print("check+download+apply via updraftd:   median %.3f s  (%s)" % (m_ours, ", ".join("%.3f" % t for t in ours)))
    print("ostree admin upgrade (twin sysroot): median %.3f s  (%s)" % (m_theirs, ", ".join("%.3f" % t for t in theirs)))
    print("difference:                          %+.1f %%" % ((m_ours / m_theirs - 1) * 100))
    print("")
    print("bytes transferred for a release changing 64 KiB of a %d MiB file:" % args.payload_mb)
    print("  with a static delta:               %d (%.2f MiB)" % (transferred[True], transferred[True] / 1048576))
    print("  without (changed objects):         %d (%.2f MiB)" % (transferred[False], transferred[False] / 1048576))
    print("")
    print("Properties.Get latency, idle:        median %.3f ms, p99 %.3f ms (%d calls)"
          % (statistics.median(idle), percentile(idle, 99), len(idle)))
    print("Properties.Get latency, downloading: median %.3f ms, p99 %.3f ms, max %.3f ms (%d calls)"
          % (statistics.median(busy), percentile(busy, 99), max(busy), len(busy)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
