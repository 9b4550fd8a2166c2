#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Update this device the way an HMI or kiosk application would.

Drives updraftd over D-Bus: Check, then Download (showing progress), then
Apply, reacting to the outcome of each step. The D-Bus interface is described
in dbus-api.md, installed next to this example.

Run it as root, or as a user that polkit allows to check, download and update
(see polkit.md and the kiosk rules example).

Exit status: 0 when the device is up to date or the update has been applied,
1 when an operation failed, 3 when polkit refused, 130 when interrupted.
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = "org.updraft.Updater1"
OBJECT_PATH = "/org/updraft/Updater1"
INTERFACE = "org.updraft.Updater1"
ERROR_PREFIX = "org.updraft.Updater1.Error."

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_AUTHORIZED = 3
EXIT_INTERRUPTED = 130

# What to tell the operator for each error updraftd reports (short names; the
# full D-Bus name is org.updraft.Updater1.Error.<name>). See dbus-api.md.
ADVICE = {
    "Network": "The update server could not be reached. Check the network and try again later.",
    "Timeout": "The transfer stalled or took too long. Try again later; a download resumes where it stopped.",
    "Busy": "Another update operation is running. Wait for it to finish.",
    "WrongState": "This step is not possible now (see the message).",
    "NotAuthorized": "This user may not do this. Ask an administrator.",
    "Cancelled": "The operation was cancelled.",
    "TooLarge": "The update is larger than this device accepts. Contact the device maker.",
    "SignatureMissing": "The update is not signed. It was refused; contact the device maker.",
    "SignatureInvalid": "The update's signature is wrong. It was refused; contact the device maker.",
    "UntrustedKey": "The update is signed by an unknown key. It was refused; contact the device maker.",
    "KeyRevoked": "The update is signed by a revoked key. It was refused; contact the device maker.",
    "MetadataExpired": "The update server's information is out of date. Try again later.",
    "MetadataInvalid": "The update server sent damaged data. Try again later.",
    "WrongTarget": "The update server offers an update for another device. Contact the device maker.",
    "Downgrade": "The update server offers an older version. It was refused.",
    "Sysroot": "The system's deployments cannot be read. Contact service.",
    "Deploy": "Installing the update failed. The system is unchanged; contact service.",
}


def short_name(error_name):
    """'org.updraft.Updater1.Error.Busy' -> 'Busy'."""
    return error_name.rsplit(".", 1)[-1]


def split_dbus_error(error):
    """(D-Bus error name, message without the 'GDBus.Error:name: ' prefix)."""
    name = Gio.DBusError.get_remote_error(error) or ""
    message = error.message
    prefix = "GDBus.Error:%s: " % name
    if name and message.startswith(prefix):
        message = message[len(prefix):]
    return name, message


class HmiUpdater:
    def __init__(self, reboot, interactive):
        self.reboot = reboot
        self.loop = GLib.MainLoop()
        self.exit_code = EXIT_FAILED
        self.operation = None       # the operation we are waiting for
        self.cancelling = False
        self.progress_drawn = False
        self.last_progress = None   # (percent, phase) last printed to a log
        self.tty = sys.stdout.isatty()

        # A caller that can show an authentication dialog (a polkit agent runs
        # in its session) sets this flag; a kiosk without one must not, or a
        # refused call would wait for a dialog nobody sees. Authentication can
        # take a while, so the reply timeout is then unlimited.
        if interactive:
            self.call_flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION
            self.call_timeout = GLib.MAXINT
        else:
            self.call_flags = Gio.DBusCallFlags.NONE
            self.call_timeout = -1

        # Creating the proxy starts updraftd by D-Bus activation if it is not
        # running (it exits again when idle). The proxy follows the well-known
        # name, so it keeps working when updraftd restarts.
        self.proxy = Gio.DBusProxy.new_for_bus_sync(
            Gio.BusType.SYSTEM, Gio.DBusProxyFlags.NONE, None,
            BUS_NAME, OBJECT_PATH, INTERFACE, None)

        # Subscribe BEFORE calling anything: a short operation can finish, and
        # emit Finished, before our call's reply has even been processed.
        self.proxy.connect("g-signal", self.on_signal)
        self.proxy.connect("g-properties-changed", self.on_properties_changed)
        self.proxy.connect("notify::g-name-owner", self.on_name_owner)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, self.on_interrupt)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, self.on_interrupt)

    # -- reading properties --

    def get(self, name):
        """Reads a property from updraftd itself, not from the proxy's cache.

        Finished can arrive before the PropertiesChanged signal that carries
        the new State, so right after Finished the cache may still be stale.
        """
        reply = self.proxy.get_connection().call_sync(
            BUS_NAME, OBJECT_PATH, "org.freedesktop.DBus.Properties", "Get",
            GLib.Variant("(ss)", (INTERFACE, name)), GLib.VariantType("(v)"),
            Gio.DBusCallFlags.NONE, -1, None)
        return reply.unpack()[0]

    # -- calling methods --

    def call(self, method, options=None):
        """Starts an operation; its outcome arrives in the Finished signal."""
        self.operation = method.lower()   # Finished names it in lower case
        params = GLib.Variant("(a{sv})", (options or {},))
        self.proxy.call(method, params, self.call_flags, self.call_timeout, None,
                        self.on_reply, method)

    def on_reply(self, proxy, result, method):
        # The reply only says whether the operation started (or joined one
        # already running). Refusals arrive here: InvalidArgs, WrongState,
        # Busy, NotAuthorized.
        try:
            proxy.call_finish(result)
        except GLib.Error as e:
            name, message = split_dbus_error(e)
            self.fail(method.lower(), name, message)

    # -- signals --

    def on_signal(self, proxy, sender, signal_name, parameters):
        if signal_name != "Finished":
            return
        operation, success, error_name, message = parameters.unpack()
        # Finished is emitted for every operation, whoever started it.
        if operation != self.operation:
            return
        self.end_progress()
        if not success:
            self.fail(operation, error_name, message)
            return
        self.guarded(self.next_step, operation)

    def on_properties_changed(self, proxy, changed, invalidated):
        changed = changed.unpack()
        progress = changed.get("Progress")
        if progress and self.operation is not None:
            self.show_progress(progress)

    def on_name_owner(self, proxy, pspec):
        # updraftd went away in the middle of our operation (stopped or
        # crashed). Its state is saved; a new call starts it again.
        if proxy.get_name_owner() is None and self.operation is not None:
            self.fail(self.operation, ERROR_PREFIX + "Failed",
                      "updraftd stopped during the operation; run this again")

    def on_interrupt(self):
        if self.operation is None or self.cancelling:
            self.quit(EXIT_INTERRUPTED)
            return GLib.SOURCE_CONTINUE
        # First Ctrl-C: cancel what we started, then wait for its Finished
        # (with Cancelled), so we exit knowing how it ended.
        self.cancelling = True
        self.end_progress()
        print("Cancelling… (Ctrl-C again to stop waiting)", file=sys.stderr)
        self.proxy.call("Cancel", GLib.Variant("(a{sv})", ({},)), Gio.DBusCallFlags.NONE,
                        -1, None, self.on_cancel_reply, None)
        return GLib.SOURCE_CONTINUE

    def on_cancel_reply(self, proxy, result, user_data):
        try:
            proxy.call_finish(result)
        except GLib.Error as e:
            # Typically WrongState: the operation ended just now. Its Finished
            # signal still tells how.
            print("Could not cancel: %s" % split_dbus_error(e)[1], file=sys.stderr)

    # -- the update flow --

    def start(self):
        state = self.get("State")
        if state == "applied":
            print("An update has already been applied; it takes effect at the next boot.")
            self.quit(EXIT_OK)
            return
        print("Checking for updates…")
        self.call("Check")

    def next_step(self, operation):
        state = self.get("State")
        if operation == "check":
            if state == "no-update":
                print("The system is up to date (version %s)." % (self.get("CurrentVersion") or "unknown"))
                self.quit(EXIT_OK)
                return
            self.describe_update()
            if state == "ready":          # downloaded earlier: nothing to fetch
                self.apply()
            else:                         # update-available
                print("Downloading…")
                self.call("Download")
        elif operation == "download":
            self.apply()
        elif operation == "apply":
            version = self.get("Deployments")[0].get("version") or "(no version)"
            if self.reboot:
                print("Version %s is installed; the device is rebooting." % version)
            else:
                print("Version %s is installed; it takes effect at the next boot." % version)
            self.quit(EXIT_OK)

    def apply(self):
        print("Installing…")
        self.call("Apply", {"reboot": GLib.Variant("b", self.reboot)})

    def describe_update(self):
        update = self.get("AvailableUpdate")
        print("Update available: version %s" % (update.get("version") or "(no version)"))
        if "download-size" in update and not update.get("downloaded"):
            print("  %s to download" % GLib.format_size(update["download-size"]))
        if update.get("subject"):
            print("  %s" % update["subject"])
        if update.get("body"):
            for line in update["body"].splitlines():
                print("    " + line)

    def show_progress(self, progress):
        percent = progress.get("percent", 0)
        phase = progress.get("phase", "")
        done = progress.get("bytes-done", 0)
        total = progress.get("bytes-total", 0)
        left = progress.get("seconds-left", -1)
        text = "%3d%%  %s" % (percent, phase)
        if total > 0:
            text += "  %s of %s" % (GLib.format_size(done), GLib.format_size(total))
        if left >= 0:
            text += ", %d s left" % left
        if self.tty:
            # Redraw one line in place.
            sys.stdout.write("\r" + text + "\033[K")
            sys.stdout.flush()
            self.progress_drawn = True
        elif (percent, phase) != self.last_progress:
            # Not a terminal (a log): one line per percent step or phase.
            self.last_progress = (percent, phase)
            print(text, flush=True)

    def end_progress(self):
        if self.progress_drawn:
            sys.stdout.write("\n")
            self.progress_drawn = False

    def fail(self, operation, error_name, message):
        self.end_progress()
        name = short_name(error_name)
        print("%s failed: %s [%s]" % (operation.capitalize(), message, name), file=sys.stderr)
        if name in ADVICE:
            print(ADVICE[name], file=sys.stderr)
        if name == "NotAuthorized":
            self.quit(EXIT_NOT_AUTHORIZED)
        elif name == "Cancelled" or self.cancelling:
            self.quit(EXIT_INTERRUPTED)
        else:
            self.quit(EXIT_FAILED)

    def quit(self, code):
        self.exit_code = code
        self.operation = None
        self.loop.quit()

    def guarded(self, step, *args):
        """Runs a step; a D-Bus error while reading properties ends the run."""
        try:
            step(*args)
        except GLib.Error as e:
            name, message = split_dbus_error(e)
            self.fail(self.operation or "update", name or ERROR_PREFIX + "Failed", message)
        return GLib.SOURCE_REMOVE

    def run(self):
        GLib.idle_add(self.guarded, self.start)
        self.loop.run()
        return self.exit_code


def main():
    parser = argparse.ArgumentParser(
        description="Check for a system update, download it with progress, and install it "
                    "(through updraftd).")
    parser.add_argument("--reboot", action="store_true",
                        help="reboot once the update is installed")
    parser.add_argument("--interactive", action="store_true",
                        help="allow polkit to ask for a password (needs a polkit agent)")
    args = parser.parse_args()

    try:
        updater = HmiUpdater(args.reboot, args.interactive)
    except GLib.Error as e:
        # No system bus, or updraftd could not be started.
        print("Cannot reach updraftd: %s" % e.message, file=sys.stderr)
        return EXIT_FAILED
    return updater.run()


if __name__ == "__main__":
    sys.exit(main())
