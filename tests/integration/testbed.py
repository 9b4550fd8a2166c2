# SPDX-License-Identifier: LGPL-2.1-or-later
"""The integration test bed: real components, nothing installed on the host.

Each test file runs in a private mount namespace (the module re-executes
itself under `unshare --mount`), with copy-on-write overlays over /etc, /usr
and /var and a fresh /run, so the tests can put Updraft's polkit policy,
configuration and keys where a device would have them without touching the
machine. In there, each test gets:

  - a real dbus-daemon acting as the system bus, configured with the
    project's own bus policy file (dbus/org.updraft.Updater1.conf);
  - a real polkitd on that bus, reading the project's actions and the test's
    rules;
  - a real systemd-journald for the audit trail;
  - an update server: an OSTree archive repository, published with the
    real updraft-publish, served by tests/integration/httpd.py on 127.0.0.1;
  - a device: an OSTree sysroot made with `ostree admin init-fs`, `os-init`
    and `deploy`, following that server;
  - the real updraftd from the build directory, and the real updraftctl.

Only logind (for reboots) is a stand-in: python-dbusmock's logind template
on the private bus, recording the Reboot call instead of rebooting.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BUILD_DIR = os.environ.get("UPDRAFT_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE_DIR = os.environ.get("UPDRAFT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
UPDRAFTD = os.path.join(BUILD_DIR, "daemon", "updraftd")
UPDRAFTCTL = os.path.join(BUILD_DIR, "client", "updraftctl")
PUBLISH = os.path.join(BUILD_DIR, "tools", "updraft-publish")
HTTPD = os.path.join(SOURCE_DIR, "tests", "integration", "httpd.py")
PYTHON = "/usr/bin/python3"

BUS_NAME = "org.updraft.Updater1"
OBJECT_PATH = "/org/updraft/Updater1"
IFACE = "org.updraft.Updater1"
ERROR = "org.updraft.Updater1.Error."
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"

OS_NAME = "demo"
REF = "demo/x86_64/stable"
KIOSK_USER = "kiosk"
UNPRIVILEGED_USER = "nobody"

# Timestamps of test commits: distinct, increasing, in the past.
T0 = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400

_namespace_dir = None
_journald = None


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def run(argv, check=True, **kwargs):
    """Runs a command, raising with its output when it fails."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("text", True)
    p = subprocess.run(argv, **kwargs)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s\n%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
    return p


def wait_for(condition, timeout=30, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, message))


def rmtree(path):
    """Deployments are marked immutable (chattr +i); clear that first."""
    if os.path.exists(path):
        subprocess.run(["chattr", "-R", "-i", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------
# The private mount namespace


def enter_namespace():
    """Re-executes the test under unshare, then sets up the overlays once."""
    global _namespace_dir, _journald
    if os.geteuid() != 0:
        print("1..0 # SKIP integration tests need root (mount namespaces, setpriv, polkitd)")
        sys.exit(77)
    if os.environ.get("UPDRAFT_TEST_NAMESPACE") != str(os.getpid()):
        env = dict(os.environ)
        # unshare execs python in place: the pid stays the same.
        env["UPDRAFT_TEST_NAMESPACE"] = str(os.getpid())
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", PYTHON] + sys.argv, env)

    _namespace_dir = tempfile.mkdtemp(prefix="updraft-test-ns-")
    for top in ("/etc", "/usr", "/var"):
        name = top.strip("/")
        upper = os.path.join(_namespace_dir, name + "-upper")
        work = os.path.join(_namespace_dir, name + "-work")
        os.makedirs(upper)
        os.makedirs(work)
        run(["mount", "-t", "overlay", "overlay", "-o",
             "lowerdir=%s,upperdir=%s,workdir=%s" % (top, upper, work), top])
    run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run"])
    atexit.register(_leave_namespace)

    # Users the authorization tests act as.
    if run(["getent", "passwd", KIOSK_USER], check=False).returncode != 0:
        run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", KIOSK_USER])

    # The project's polkit actions, where polkitd looks for them.
    shutil.copy(os.path.join(SOURCE_DIR, "policy", "org.updraft.policy"), "/usr/share/polkit-1/actions/")

    # A real journal for the audit trail.
    os.makedirs("/run/systemd/journal", exist_ok=True)
    rmtree("/var/log/journal")
    _journald = subprocess.Popen(["/lib/systemd/systemd-journald"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    wait_for(lambda: os.path.exists("/run/systemd/journal/socket"), message="journald")


def _leave_namespace():
    if _journald is not None:
        _journald.terminate()
        _journald.wait()
    for top in ("/run", "/var", "/usr", "/etc"):
        subprocess.run(["umount", "-l", top], stderr=subprocess.DEVNULL)
    if _namespace_dir is not None:
        rmtree(_namespace_dir)


def journal(**fields):
    """Journal records matching all @fields, oldest first."""
    run(["journalctl", "--sync"], check=False)
    argv = ["journalctl", "--no-pager", "-o", "json"]
    argv += ["%s=%s" % (k, v) for k, v in fields.items()]
    p = run(argv, check=False)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


# ---------------------------------------------------------------------------
# The update server


class UpdateServer:
    """An archive repository published with updraft-publish and served over HTTP."""

    def __init__(self, root, key, ref=REF):
        self.root = root
        self.repo = os.path.join(root, "repo")
        self.key = key
        self.ref = ref
        self.trees = os.path.join(root, "trees")
        self.log_file = os.path.join(root, "http.log")
        self.log_since = 0.0
        self.rules_file = os.path.join(root, "rules.json")
        os.makedirs(self.trees)
        run(["ostree", "--repo=" + self.repo, "init", "--mode=archive"])
        self.set_rules([])
        port_file = os.path.join(root, "port")
        self.process = subprocess.Popen([PYTHON, HTTPD, root, port_file, self.log_file, self.rules_file],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(port_file), message="HTTP server")
        with open(port_file) as f:
            self.port = int(f.read())
        self.url = "http://127.0.0.1:%d/repo" % self.port

    def stop(self):
        self.process.kill()
        self.process.wait()

    def make_tree(self, version, payload_size=64 * 1024, extra_files=None):
        """A minimal bootable tree; payload_size random bytes make the download measurable."""
        tree = os.path.join(self.trees, version)
        rmtree(tree)
        for d in ("usr/lib/modules/6.1.0", "usr/bin", "usr/etc", "var"):
            os.makedirs(os.path.join(tree, d))
        with open(os.path.join(tree, "usr/lib/modules/6.1.0/vmlinuz"), "w") as f:
            f.write("kernel\n")
        with open(os.path.join(tree, "usr/lib/modules/6.1.0/initramfs.img"), "w") as f:
            f.write("initramfs\n")
        with open(os.path.join(tree, "usr/lib/os-release"), "w") as f:
            f.write('NAME=Demo\nID=demo\nPRETTY_NAME="Demo OS %s"\nVERSION_ID=%s\n' % (version, version))
        with open(os.path.join(tree, "usr/etc/demo-version"), "w") as f:
            f.write(version + "\n")
        with open(os.path.join(tree, "usr/bin/payload-" + version), "wb") as f:
            f.write(os.urandom(payload_size))
        for name, content in (extra_files or {}).items():
            path = os.path.join(tree, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(content)
        return tree

    def publish(self, version, timestamp, payload_size=64 * 1024, key=None, extra_args=(), ref=None,
                extra_files=None):
        """Commits a new version with updraft-publish release; returns its checksum."""
        tree = self.make_tree(version, payload_size, extra_files)
        argv = [PUBLISH, "release", "--repo", self.repo, "--ref", ref or self.ref,
                "--key", key or self.key.secret, "--tree", tree, "--version", version,
                "--subject", "Demo OS " + version, "--body", "Release notes for " + version,
                "--timestamp", iso(timestamp)]
        argv += list(extra_args)
        return run(argv).stdout.strip()

    def rev_parse(self, rev):
        return run(["ostree", "--repo=" + self.repo, "rev-parse", rev]).stdout.strip()

    def set_rules(self, rules):
        tmp = self.rules_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rules, f)
        os.rename(tmp, self.rules_file)

    def requests(self):
        """The requests made since the last clear_log()."""
        if not os.path.exists(self.log_file):
            return []
        with open(self.log_file) as f:
            entries = [json.loads(line) for line in f if line.strip()]
        return [e for e in entries if e["started"] >= self.log_since]

    def file_size(self, url_path):
        return os.path.getsize(os.path.join(self.root, url_path.lstrip("/")))

    def clear_log(self):
        # A request is logged when it ends, so one still being served (say,
        # the tail of a throttled transfer a client already gave up on) can
        # be logged after this; requests() leaves out what started before.
        self.log_since = time.time()
        open(self.log_file, "w").close()


class Key:
    """A publisher key made with updraft-publish keygen."""

    def __init__(self, directory, name="publisher"):
        prefix = os.path.join(directory, name)
        self.key_id = run([PUBLISH, "keygen", "--output", prefix]).stdout.strip()
        self.secret = prefix + ".secret"
        self.public = prefix + ".pub"
        with open(self.public) as f:
            self.public_base64 = f.read().strip()


# ---------------------------------------------------------------------------
# The device


class Sysroot:
    """An OSTree sysroot following the update server, deployed at one commit."""

    def __init__(self, path, server):
        self.path = path
        self.repo = os.path.join(path, "ostree", "repo")
        os.makedirs(path)
        run(["ostree", "admin", "init-fs", "--modern", path])
        run(["ostree", "admin", "--sysroot=" + path, "os-init", OS_NAME])
        run(["ostree", "--repo=" + self.repo, "remote", "add", "--set=gpg-verify=false", "origin", server.url])

    def deploy(self, checksum):
        run(["ostree", "--repo=" + self.repo, "pull", "origin", checksum])
        run(["ostree", "--repo=" + self.repo, "refs", "--force", "--create=origin:" + REF, checksum])
        run(["ostree", "admin", "--sysroot=" + self.path, "deploy", "--os=" + OS_NAME, "origin:" + REF])

    def deployments(self):
        """[(checksum, serial)] in boot order, as `ostree admin status` reports them."""
        out = run(["ostree", "admin", "--sysroot=" + self.path, "status"]).stdout
        result = []
        for line in out.splitlines():
            tokens = line.split()
            if tokens and tokens[0] == "*":
                tokens = tokens[1:]
            if len(tokens) >= 2 and tokens[0] == OS_NAME:
                csum, serial = tokens[1].rsplit(".", 1)
                result.append((csum, int(serial)))
        return result

    def default_commit(self):
        return self.deployments()[0][0]

    def has_commit(self, checksum, complete=True):
        p = run(["ostree", "--repo=" + self.repo, "show", checksum], check=False)
        if p.returncode != 0:
            return False
        if not complete:
            return True
        return not os.path.exists(os.path.join(self.repo, "state", checksum + ".commitpartial"))


# ---------------------------------------------------------------------------
# The private system bus, polkit, and updraftd


BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path={socket}</listen>
  {servicedir}
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <!-- The project's own policy, as installed on a device. -->
  <include>{project_policy}</include>
  <include ignore_missing="yes">/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
  <include ignore_missing="yes">/usr/share/dbus-1/system.d/org.freedesktop.login1.conf</include>
</busconfig>
"""


class Testbed:
    """Everything one test needs; see the module docstring."""

    def __init__(self, tmp, polkit_rules=None, config=None, trusted=True, logind=False,
                 activation=False, initial_version="1.0"):
        from gi.repository import Gio, GLib  # noqa: F401  (imported once gi is usable)

        self.dir = tmp
        os.chmod(self.dir, 0o755)
        self.processes = []
        self.daemon = None
        self.daemon_log = os.path.join(self.dir, "updraftd.log")
        self.notify_messages = []
        self.signals = []
        self.changes = []
        self._reset_device_dirs()

        # Configuration, as a device maker would ship it.
        if config:
            os.makedirs("/etc/updraft", exist_ok=True)
            with open("/etc/updraft/updraft.conf", "w") as f:
                f.write(config)

        self.key = Key(self.dir)
        if trusted:
            self.trust(self.key)

        self.server = UpdateServer(os.path.join(self.dir, "srv"), self.key)
        self.processes.append(self.server.process)
        self.v1 = self.server.publish(initial_version, T0)
        self.sysroot = Sysroot(os.path.join(self.dir, "sysroot"), self.server)
        self.sysroot.deploy(self.v1)

        self._start_bus(activation)
        # The socket file appears when dbus-daemon binds it, a moment before
        # it listens: retry refused connections briefly.
        self.connection = wait_for(self._try_connect, timeout=10, message="connecting to the bus")
        self._start_polkit(polkit_rules)
        self.logind = self._start_logind() if logind else None
        self._start_notify_socket()

    # -- set-up helpers --

    @staticmethod
    def _reset_device_dirs():
        for d in ("/etc/updraft", "/var/lib/updraft", "/etc/ostree", "/usr/share/ostree",
                  "/usr/lib/updraft"):
            rmtree(d)
        for name in os.listdir("/etc/polkit-1/rules.d"):
            if "updraft" in name:
                os.unlink(os.path.join("/etc/polkit-1/rules.d", name))

    def trust(self, key, where="/etc/ostree/trusted.ed25519.d"):
        os.makedirs(where, exist_ok=True)
        shutil.copy(key.public, os.path.join(where, os.path.basename(key.public) + "-" + key.key_id))

    def revoke(self, key, where="/etc/ostree/revoked.ed25519.d"):
        self.trust(key, where)

    def _start_bus(self, activation):
        self.bus_socket = os.path.join(self.dir, "system_bus_socket")
        servicedir = ""
        if activation:
            self.service_dir = os.path.join(self.dir, "services")
            os.makedirs(self.service_dir)
            with open(os.path.join(self.service_dir, BUS_NAME + ".service"), "w") as f:
                f.write("[D-BUS Service]\nName=%s\nExec=%s --sysroot=%s\nUser=root\n"
                        % (BUS_NAME, UPDRAFTD, self.sysroot.path))
            servicedir = "<servicedir>%s</servicedir>" % self.service_dir
        config = os.path.join(self.dir, "bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(socket=self.bus_socket, servicedir=servicedir,
                                      project_policy=os.path.join(SOURCE_DIR, "dbus", BUS_NAME + ".conf")))
        with open(os.path.join(self.dir, "bus.log"), "w") as log:
            p = subprocess.Popen(["dbus-daemon", "--config-file=" + config, "--nofork", "--nopidfile"],
                                 stdout=subprocess.DEVNULL, stderr=log)
        self.processes.append(p)
        wait_for(lambda: os.path.exists(self.bus_socket), message="dbus-daemon")
        self.bus_address = "unix:path=" + self.bus_socket
        self.env = dict(os.environ)
        self.env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address
        self.env.pop("DBUS_SESSION_BUS_ADDRESS", None)

    def _start_polkit(self, rules):
        if rules:
            with open("/etc/polkit-1/rules.d/50-updraft-test.rules", "w") as f:
                f.write(rules)
        with open(os.path.join(self.dir, "polkitd.log"), "w") as log:
            p = subprocess.Popen(["/usr/lib/polkit-1/polkitd", "--no-debug"], env=self.env,
                                 stdout=subprocess.DEVNULL, stderr=log)
        self.processes.append(p)
        self._wait_for_name("org.freedesktop.PolicyKit1")

    def _start_logind(self):
        log = os.path.join(self.dir, "logind.log")
        p = subprocess.Popen([PYTHON, "-m", "dbusmock", "--system", "--template", "logind", "-l", log],
                             env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(p)
        self._wait_for_name("org.freedesktop.login1")
        return log

    def logind_calls(self):
        if self.logind is None or not os.path.exists(self.logind):
            return []
        with open(self.logind) as f:
            return [line.strip() for line in f if line.strip()]

    def _start_notify_socket(self):
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._notify.bind(self.notify_path)
        self._notify.settimeout(0.2)
        self._notify_stop = False

        def reader():
            while not self._notify_stop:
                try:
                    data = self._notify.recv(4096)
                except socket.timeout:
                    continue
                except OSError:
                    return
                self.notify_messages.append(data.decode())

        self._notify_thread = threading.Thread(target=reader, daemon=True)
        self._notify_thread.start()

    def _connect(self):
        from gi.repository import Gio

        c = Gio.DBusConnection.new_for_address_sync(
            self.bus_address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            None, None)
        c.signal_subscribe(None, IFACE, "Finished", OBJECT_PATH, None, Gio.DBusSignalFlags.NONE,
                           self._on_finished)
        c.signal_subscribe(None, "org.freedesktop.DBus.Properties", "PropertiesChanged", OBJECT_PATH, None,
                           Gio.DBusSignalFlags.NONE, self._on_properties_changed)
        return c

    def _try_connect(self):
        from gi.repository import GLib
        try:
            return self._connect()
        except GLib.Error:
            return None

    def _on_finished(self, conn, sender, path, iface, name, params):
        self.signals.append(tuple(params.unpack()))

    def _on_properties_changed(self, conn, sender, path, iface, name, params):
        iface_name, changed, _ = params.unpack()
        if iface_name == IFACE:
            self.changes.append((time.monotonic(), changed))

    def _name_has_owner(self, name):
        from gi.repository import GLib

        reply = self.connection.call_sync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
            GLib.Variant("(s)", (name,)), None, 0, -1, None)
        return reply.unpack()[0]

    def _wait_for_name(self, name, timeout=30):
        wait_for(lambda: self._name_has_owner(name), timeout=timeout, message="bus name " + name)

    # -- updraftd --

    def start_daemon(self, args=(), env=None, wait=True):
        daemon_env = dict(self.env)
        daemon_env["NOTIFY_SOCKET"] = self.notify_path
        daemon_env.update(env or {})
        with open(self.daemon_log, "a") as log:
            # GLib writes debug and info messages to stdout, warnings to stderr.
            self.daemon = subprocess.Popen([UPDRAFTD, "--sysroot", self.sysroot.path, "--verbose"] + list(args),
                                           env=daemon_env, stdout=log, stderr=log)
        if wait:
            self._wait_for_name(BUS_NAME)
        return self.daemon

    def stop_daemon(self, sig=signal.SIGTERM, timeout=60):
        """Stops updraftd; returns its exit status (negative: killed by a signal)."""
        if self.daemon is None:
            return None
        if self.daemon.poll() is None:
            self.daemon.send_signal(sig)
        try:
            code = self.daemon.wait(timeout)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            code = self.daemon.wait()
            raise AssertionError("updraftd did not exit within %ss of signal %d" % (timeout, sig))
        self.daemon = None
        if sig != signal.SIGKILL:
            self.assert_no_sanitizer_reports()
        return code

    def kill_daemon(self):
        return self.stop_daemon(signal.SIGKILL)

    def daemon_log_text(self):
        with open(self.daemon_log, errors="replace") as f:
            return f.read()

    def assert_no_sanitizer_reports(self):
        text = self.daemon_log_text() if os.path.exists(self.daemon_log) else ""
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "CRITICAL **", "GLib-CRITICAL", "Bail out!"):
            if marker in text:
                raise AssertionError("updraftd reported %r:\n%s" % (marker, text[-6000:]))

    # -- talking to updraftd --

    def call(self, method, options=None, interactive=False, timeout=30):
        """Calls a method as root; raises GLib.Error on a D-Bus error."""
        from gi.repository import Gio, GLib

        flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION if interactive else Gio.DBusCallFlags.NONE
        return self.connection.call_sync(BUS_NAME, OBJECT_PATH, IFACE, method,
                                         GLib.Variant("(a{sv})", (options or {},)),
                                         None, flags, timeout * 1000, None)

    def call_error(self, method, options=None):
        """Calls a method that must fail; returns (error name, message)."""
        from gi.repository import Gio, GLib

        try:
            self.call(method, options)
        except GLib.Error as e:
            return Gio.DBusError.get_remote_error(e), e.message
        raise AssertionError("%s unexpectedly succeeded" % method)

    def prop(self, name):
        from gi.repository import GLib

        reply = self.connection.call_sync(BUS_NAME, OBJECT_PATH, "org.freedesktop.DBus.Properties", "Get",
                                          GLib.Variant("(ss)", (IFACE, name)), None, 0, 10000, None)
        return reply.unpack()[0]

    def props(self):
        from gi.repository import GLib

        reply = self.connection.call_sync(BUS_NAME, OBJECT_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                                          GLib.Variant("(s)", (IFACE,)), None, 0, 10000, None)
        return reply.unpack()[0]

    def pump(self, seconds=0.0):
        """Dispatches pending D-Bus signals for a while."""
        from gi.repository import GLib

        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + seconds
        while True:
            while ctx.pending():
                ctx.iteration(False)
            if time.monotonic() >= deadline:
                return
            time.sleep(0.01)

    def wait_finished(self, operation, timeout=120, start=0):
        """Waits for Finished(operation, ...) and returns (success, error_name, message)."""
        from gi.repository import GLib

        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + timeout
        # Block in the main context (woken by the signal itself, or by a
        # short timer to re-check the deadline) rather than poll with sleeps,
        # so timings measured through this are not rounded up.
        tick = GLib.timeout_add(100, lambda: True)
        try:
            while True:
                for s in self.signals[start:]:
                    if s[0] == operation:
                        self.signals.remove(s)
                        return s[1], s[2], s[3]
                if time.monotonic() > deadline:
                    raise AssertionError("timed out after %ss waiting for Finished(%s)" % (timeout, operation))
                ctx.iteration(True)
        finally:
            GLib.source_remove(tick)

    def do(self, method, options=None, timeout=120):
        """Calls a method and waits for its Finished signal."""
        self.pump()
        start = len(self.signals)
        self.call(method, options)
        return self.wait_finished(method.lower(), timeout, start)

    def wait_state(self, state, timeout=60):
        return wait_for(lambda: self.prop("State") == state, timeout=timeout, message="state " + state)

    # -- clients under other identities --

    def as_user(self, user, argv, **kwargs):
        """Runs argv as @user (no supplementary groups beyond the user's own)."""
        prefix = ["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups"]
        if user == UNPRIVILEGED_USER:
            prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        return run(prefix + list(argv), check=False, env=self.env, **kwargs)

    def gdbus_call(self, user, method, options="{}"):
        """Calls a method with the gdbus tool as @user; returns the CompletedProcess."""
        argv = ["gdbus", "call", "--system", "--dest", BUS_NAME, "--object-path", OBJECT_PATH,
                "--method", IFACE + "." + method, options]
        if user == "root":
            return run(argv, check=False, env=self.env)
        return self.as_user(user, argv)

    def updraftctl(self, *args, user="root", **kwargs):
        argv = [UPDRAFTCTL] + list(args)
        if user == "root":
            return run(argv, check=False, env=self.env, **kwargs)
        return self.as_user(user, argv, **kwargs)

    # -- tear-down --

    def close(self):
        try:
            if self.daemon is not None:
                self.stop_daemon()
        finally:
            self._notify_stop = True
            self._notify.close()
            for p in reversed(self.processes):
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()


class TestCase(unittest.TestCase):
    """A test with a fresh test bed; updraftd is started unless start_daemon is False."""

    start_daemon = True
    polkit_rules = None
    config = None
    logind = False
    activation = False

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="updraft-test-")
        self.addCleanup(rmtree, self.tmp)
        self.tb = Testbed(self.tmp, polkit_rules=self.polkit_rules, config=self.config,
                          logind=self.logind, activation=self.activation)
        self.addCleanup(self.tb.close)
        if self.start_daemon:
            self.tb.start_daemon()

    def assertDBusError(self, expected, method, options=None):
        name, message = self.tb.call_error(method, options)
        self.assertEqual(name, expected, message)
        return message


def main():
    enter_namespace()
    unittest.main(verbosity=2)


def kiosk_rules():
    with open(os.path.join(SOURCE_DIR, "policy", "50-updraft-kiosk.rules.example")) as f:
        return f.read()
