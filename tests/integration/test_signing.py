#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Signed updates: nothing reaches a deployment unless a trusted key signed it.

One test per attack of the TUF/Uptane threat list, adapted to OSTree; each
fails if the defence it names is removed."""

import os
import shutil
import subprocess

import testbed
from testbed import DAY, ERROR, KIOSK_USER, T0, Key, TestCase, run

import gi

gi.require_version("OSTree", "1.0")
from gi.repository import Gio, GLib, OSTree  # noqa: E402


def open_repo(path):
    repo = OSTree.Repo.new(Gio.File.new_for_path(path))
    repo.open(None)
    return repo


def get_detached(repo_path, checksum):
    _, meta = open_repo(repo_path).read_commit_detached_metadata(checksum, None)
    return meta.unpack() if meta is not None else {}


def set_detached(repo_path, checksum, entries):
    """Writes a commit's detached metadata; @entries maps keys to GLib.Variants."""
    open_repo(repo_path).write_commit_detached_metadata(checksum, GLib.Variant("a{sv}", entries), None)


def commit_file(repo_path, checksum):
    return os.path.join(repo_path, "objects", checksum[:2], checksum[2:] + ".commit")


class Attacks(TestCase):
    """The arbitrary-software attacks: the commit's signature is the defence."""

    def check_refused(self, expected, *fragments):
        tb = self.tb
        ok, name, message = tb.do("Check")
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + expected, message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual(tb.prop("State"), "error")
        self.assertEqual(tb.prop("AvailableUpdate"), {})
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])
        return message

    def publish_unsigned(self, version, timestamp):
        """A commit made with plain `ostree commit`, summary re-signed as usual."""
        tb = self.tb
        tree = tb.server.make_tree(version)
        checksum = run(["ostree", "--repo=" + tb.server.repo, "commit", "-b", testbed.REF,
                        "--tree=dir=" + tree, "--add-metadata-string=version=" + version,
                        "--timestamp=" + testbed.iso(timestamp), "--generate-sizes",
                        "--bind-ref=" + testbed.REF, "-s", version]).stdout.strip()
        run([testbed.PUBLISH, "renew", "--repo", tb.server.repo, "--key", tb.key.secret])
        return checksum

    def test_unsigned_commit(self):
        c = self.publish_unsigned("2.0", T0 + DAY)
        self.check_refused("SignatureMissing", c)
        self.assertFalse(self.tb.sysroot.has_commit(c, complete=False))

    def test_signed_by_unknown_key(self):
        stranger = Key(self.tmp, "stranger")
        c = self.tb.server.publish("2.0", T0 + DAY, key=stranger.secret)
        # The summary is signed by the stranger too; re-sign it with the real key
        # so it is the commit signature that is judged.
        run([testbed.PUBLISH, "sign-summary", "--repo", self.tb.server.repo, "--key", self.tb.key.secret])
        self.check_refused("UntrustedKey", c, stranger.key_id)

    def test_valid_signature_over_other_bytes(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        v3 = tb.server.publish("3.0", T0 + 2 * DAY)
        # v2's genuine signature, presented as v3's.
        set_detached(tb.server.repo, v3, {k: GLib.Variant("aay", v) for k, v in get_detached(tb.server.repo, v2).items()})
        self.check_refused("SignatureInvalid", v3, tb.key.key_id)

    def test_truncated_signature(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        meta = get_detached(tb.server.repo, v2)
        sig = meta["ostree.sign.ed25519"][0]
        set_detached(tb.server.repo, v2, {"ostree.sign.ed25519": GLib.Variant("aay", [sig[:63]]),
                                          "updraft.sign.ed25519.keys": GLib.Variant("aay", meta["updraft.sign.ed25519.keys"])})
        self.check_refused("SignatureInvalid", v2)

    def test_garbled_signature(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        meta = get_detached(tb.server.repo, v2)
        sig = bytearray(meta["ostree.sign.ed25519"][0])
        sig[10] ^= 0x40
        set_detached(tb.server.repo, v2, {"ostree.sign.ed25519": GLib.Variant("aay", [bytes(sig)]),
                                          "updraft.sign.ed25519.keys": GLib.Variant("aay", meta["updraft.sign.ed25519.keys"])})
        self.check_refused("SignatureInvalid", v2)

    def test_commit_swapped_after_signing(self):
        # The attacker replaces the signed commit with another one, carrying
        # the genuine signature along.
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        meta = get_detached(tb.server.repo, v2)
        evil = self.publish_unsigned("2.0", T0 + DAY)
        set_detached(tb.server.repo, evil, {k: GLib.Variant("aay", v) for k, v in meta.items()})
        self.check_refused("SignatureInvalid", evil)

    def test_commit_object_replaced_in_place(self):
        # Same name, other bytes: the content no longer hashes to its name.
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        other = tb.server.publish("3.0", T0 + 2 * DAY)
        run(["ostree", "--repo=" + tb.server.repo, "reset", testbed.REF, v2])
        run([testbed.PUBLISH, "renew", "--repo", tb.server.repo, "--key", tb.key.secret])
        shutil.copy(commit_file(tb.server.repo, other), commit_file(tb.server.repo, v2))
        ok, name, message = tb.do("Check")
        self.assertFalse(ok)
        self.assertIn(name, (ERROR + "MetadataInvalid", ERROR + "SignatureInvalid"), message)
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])

    def test_detached_metadata_of_wrong_type(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        set_detached(tb.server.repo, v2, {"ostree.sign.ed25519": GLib.Variant("as", ["not", "bytes"])})
        self.check_refused("MetadataInvalid", v2)

    def test_too_many_signatures(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        set_detached(tb.server.repo, v2, {"ostree.sign.ed25519": GLib.Variant("aay", [os.urandom(64)] * 1000)})
        self.check_refused("MetadataInvalid")

    def test_revoked_key(self):
        tb = self.tb
        tb.revoke(tb.key)
        c = tb.server.publish("2.0", T0 + DAY)
        self.check_refused("KeyRevoked", tb.key.key_id)
        self.assertFalse(tb.sysroot.has_commit(c, complete=False))

    def test_unsigned_summary(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        os.unlink(os.path.join(tb.server.repo, "summary.sig"))
        self.check_refused("SignatureMissing", "summary")

    def test_summary_signed_by_unknown_key(self):
        tb = self.tb
        stranger = Key(self.tmp, "stranger")
        tb.server.publish("2.0", T0 + DAY)
        run([testbed.PUBLISH, "sign-summary", "--repo", tb.server.repo, "--key", stranger.secret])
        self.check_refused("UntrustedKey", "summary")

    def test_summary_tampered(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        sig = os.path.join(tb.server.repo, "summary.sig")
        saved = open(sig, "rb").read()
        run(["ostree", "--repo=" + tb.server.repo, "summary", "-u"])  # rewrites summary, drops the sig
        with open(sig, "wb") as f:
            f.write(saved)
        self.check_refused("SignatureInvalid", "summary")


class LargeMetadata(TestCase):
    config = "[Network]\nMaxMetadataSize=1M\n"

    def test_absurd_detached_metadata(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        meta = get_detached(tb.server.repo, v2)
        entries = {k: GLib.Variant("aay", v) for k, v in meta.items()}
        entries["padding"] = GLib.Variant("ay", os.urandom(3 * 1024 * 1024))
        set_detached(tb.server.repo, v2, entries)
        ok, name, message = tb.do("Check")
        self.assertFalse(ok)
        self.assertIn(name, (ERROR + "MetadataInvalid", ERROR + "TooLarge"), message)
        self.assertEqual(tb.prop("AvailableUpdate"), {})


class Verification(TestCase):
    def test_apply_refuses_tampered_download(self):
        # Download verified the commit; someone alters its signature on disk
        # before Apply: Apply verifies again and refuses.
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        self.assertTrue(tb.do("Download")[0])
        meta = get_detached(tb.sysroot.repo, v2)
        sig = bytearray(meta["ostree.sign.ed25519"][0])
        sig[0] ^= 1
        set_detached(tb.sysroot.repo, v2, {"ostree.sign.ed25519": GLib.Variant("aay", [bytes(sig)]),
                                           "updraft.sign.ed25519.keys": GLib.Variant("aay", meta["updraft.sign.ed25519.keys"])})
        ok, name, _ = tb.do("Apply")
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "SignatureInvalid")
        self.assertEqual(tb.sysroot.deployments(), [(tb.v1, 0)])

    def test_download_verifies_after_pull(self):
        # The server swaps the signature between Check and Download.
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        set_detached(tb.sysroot.repo, v2, {"ostree.sign.ed25519": GLib.Variant("aay", [os.urandom(64)])})
        ok, name, _ = tb.do("Download")
        self.assertFalse(ok)
        self.assertIn(name, (ERROR + "UntrustedKey", ERROR + "SignatureInvalid"))
        self.assertFalse(tb.sysroot.has_commit(v2, complete=False))
        self.assertDBusError(ERROR + "WrongState", "Apply")

    def test_signed_by_is_shown(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Check")[0])
        self.assertEqual(tb.prop("AvailableUpdate")["signed-by"], tb.key.key_id)
        p = tb.updraftctl("status")
        self.assertIn("signed by key " + tb.key.key_id, p.stdout)

    def test_key_rotation(self):
        # Two trusted keys at once; a commit signed only by the new one passes,
        # and so does one signed by both after the old one is revoked.
        tb = self.tb
        new = Key(self.tmp, "new")
        tb.trust(new, "/etc/updraft/trusted.ed25519.d")
        tb.server.publish("2.0", T0 + DAY, key=new.secret)
        run([testbed.PUBLISH, "sign-summary", "--repo", tb.server.repo, "--key", tb.key.secret])
        self.assertTrue(tb.do("Check")[0])
        self.assertEqual(tb.prop("AvailableUpdate")["signed-by"], new.key_id)
        self.assertTrue(tb.do("Download")[0])
        self.assertTrue(tb.do("Apply")[0])

    def test_old_key_revoked_during_rotation(self):
        tb = self.tb
        new = Key(self.tmp, "new")
        tb.trust(new, "/etc/updraft/trusted.ed25519.d")
        tb.revoke(tb.key, "/etc/updraft/revoked.ed25519.d")
        c = tb.server.publish("2.0", T0 + DAY, key=tb.key.secret)
        run([testbed.PUBLISH, "sign", "--repo", tb.server.repo, "--key", new.secret, c])
        run([testbed.PUBLISH, "sign-summary", "--repo", tb.server.repo, "--key", new.secret])
        self.assertTrue(tb.do("Check")[0])
        self.assertEqual(tb.prop("AvailableUpdate")["signed-by"], new.key_id)


class Downgrade(TestCase):
    polkit_rules = testbed.kiosk_rules()

    def test_signed_older_commit_refused(self):
        tb = self.tb
        older = tb.server.publish("0.9", T0 - DAY)
        ok, name, _ = tb.do("Check")
        self.assertEqual(name, ERROR + "Downgrade")
        # Naming the commit is not enough on its own.
        ok, name, _ = tb.do("Check", {"commit": GLib.Variant("s", older)})
        self.assertEqual(name, ERROR + "Downgrade")

    def test_explicit_downgrade_by_authorized_caller(self):
        tb = self.tb
        v2 = tb.server.publish("2.0", T0 + DAY)
        self.assertTrue(tb.do("Update")[0])
        # Start over on 2.0, as after a reboot into it.
        tb.stop_daemon()
        testbed.rmtree("/var/lib/updraft")
        tb.start_daemon()
        self.assertEqual(tb.prop("CurrentCommit"), v2)
        older = tb.v1
        options = "{'commit': <'%s'>, 'allow-downgrade': <true>}" % older
        p = tb.gdbus_call(KIOSK_USER, "Check", options)
        self.assertIn(ERROR + "NotAuthorized", p.stderr)
        self.assertEqual(tb.prop("State"), "idle")
        self.assertTrue(tb.do("Check", {"commit": GLib.Variant("s", older),
                                        "allow-downgrade": GLib.Variant("b", True)})[0])
        update = tb.prop("AvailableUpdate")
        self.assertEqual(update["commit"], older)
        self.assertTrue(update["downgrade"])
        # What an administrator approved, the kiosk may install.
        for method in ("Download", "Apply"):
            start = len(tb.signals)
            p = tb.gdbus_call(KIOSK_USER, method)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(tb.wait_finished(method.lower(), start=start)[0], method)
        self.assertEqual(tb.sysroot.default_commit(), older)


class Freshness(TestCase):
    def expire_summary(self, when):
        tb = self.tb
        run(["ostree", "--repo=" + tb.server.repo, "summary", "-u",
             "--add-metadata=updraft.expires='%s'" % testbed.iso(when)])
        run([testbed.PUBLISH, "sign-summary", "--repo", tb.server.repo, "--key", tb.key.secret])

    def test_expired_summary_refused_and_renewal_fixes_it(self):
        tb = self.tb
        import time
        tb.server.publish("2.0", T0 + DAY)
        self.expire_summary(time.time() - 3600)
        ok, name, message = tb.do("Check")
        self.assertFalse(ok)
        self.assertEqual(name, ERROR + "MetadataExpired", message)
        self.assertIn("expired", message)
        # The publisher renews the expiry without a new commit.
        run([testbed.PUBLISH, "renew", "--repo", tb.server.repo, "--key", tb.key.secret, "--expires-in", "7d"])
        self.assertTrue(tb.do("Check")[0])

    def test_replayed_old_summary(self):
        # An attacker keeps serving yesterday's signed summary to hide today's
        # release: once it expires, the device notices.
        tb = self.tb
        import time
        tb.server.publish("2.0", T0 + DAY)
        self.expire_summary(time.time() + 2)
        old_summary = open(os.path.join(tb.server.repo, "summary"), "rb").read()
        old_sig = open(os.path.join(tb.server.repo, "summary.sig"), "rb").read()
        self.assertTrue(tb.do("Check")[0])
        tb.server.publish("3.0", T0 + 2 * DAY)
        with open(os.path.join(tb.server.repo, "summary"), "wb") as f:
            f.write(old_summary)
        with open(os.path.join(tb.server.repo, "summary.sig"), "wb") as f:
            f.write(old_sig)
        time.sleep(3)
        ok, name, _ = tb.do("Check")
        self.assertEqual(name, ERROR + "MetadataExpired")

    def test_expiry_cannot_be_forged(self):
        # Changing the expiry means changing the summary, which breaks its signature.
        tb = self.tb
        import time
        tb.server.publish("2.0", T0 + DAY)
        self.expire_summary(time.time() - 3600)
        sig = open(os.path.join(tb.server.repo, "summary.sig"), "rb").read()
        run(["ostree", "--repo=" + tb.server.repo, "summary", "-u",
             "--add-metadata=updraft.expires='%s'" % testbed.iso(time.time() + 86400)])
        with open(os.path.join(tb.server.repo, "summary.sig"), "wb") as f:
            f.write(bytes(sig))
        ok, name, _ = tb.do("Check")
        self.assertEqual(name, ERROR + "SignatureInvalid")


class RequireExpiry(TestCase):
    config = "[Security]\nRequireExpiry=true\n"

    def test_metadata_without_expiry_refused(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, extra_args=["--expires-in", "never"])
        ok, name, message = tb.do("Check")
        self.assertEqual(name, ERROR + "MetadataExpired", message)
        self.assertIn("RequireExpiry", message)
        run([testbed.PUBLISH, "renew", "--repo", tb.server.repo, "--key", tb.key.secret])
        self.assertTrue(tb.do("Check")[0])


class WrongTarget(TestCase):
    config = "[Security]\nCompatible=acme-gw-v2\n"

    def test_commit_for_another_ref(self):
        # Mix and match: a genuine commit for another ref, served under ours.
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, ref="demo/aarch64/stable", extra_args=["--compatible", "acme-gw-v2"])
        other = tb.server.rev_parse("demo/aarch64/stable")
        run(["ostree", "--repo=" + tb.server.repo, "reset", testbed.REF, other])
        run([testbed.PUBLISH, "renew", "--repo", tb.server.repo, "--key", tb.key.secret])
        ok, name, message = tb.do("Check")
        self.assertEqual(name, ERROR + "WrongTarget", message)
        self.assertIn("demo/aarch64/stable", message)

    def test_commit_for_another_device_class(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, extra_args=["--compatible", "acme-gw-v1"])
        ok, name, message = tb.do("Check")
        self.assertEqual(name, ERROR + "WrongTarget", message)
        self.assertIn("acme-gw-v1", message)

    def test_commit_without_device_class(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY)
        ok, name, _ = tb.do("Check")
        self.assertEqual(name, ERROR + "WrongTarget")

    def test_matching_device_class(self):
        tb = self.tb
        tb.server.publish("2.0", T0 + DAY, extra_args=["--compatible", "acme-gw-v1", "--compatible", "acme-gw-v2"])
        self.assertTrue(tb.do("Check")[0])


class OwnKeyDirectory(TestCase):
    """Updraft's own key directory works alone, without OSTree's locations."""

    start_daemon = False

    def test_trusted_keys_dir(self):
        tb = self.tb
        testbed.rmtree("/etc/ostree")
        os.makedirs("/usr/local/share/acme-keys", exist_ok=True)
        self.addCleanup(testbed.rmtree, "/usr/local/share/acme-keys")
        os.makedirs("/etc/updraft", exist_ok=True)
        with open("/etc/updraft/updraft.conf", "w") as f:
            f.write("[Security]\nTrustedKeysDir=/usr/local/share/acme-keys\n")
        tb.start_daemon()
        tb.server.publish("2.0", T0 + DAY)
        self.assertEqual(tb.do("Check")[1], ERROR + "UntrustedKey")
        tb.trust(tb.key, "/usr/local/share/acme-keys")
        self.assertTrue(tb.do("Check")[0])


class SignaturesOff(TestCase):
    config = "[Security]\nRequireSignatures=false\n"

    def test_warned_and_visible(self):
        tb = self.tb
        self.assertFalse(tb.prop("RequireSignatures"))
        self.assertIn("NOT REQUIRED", tb.updraftctl("status").stdout)
        warnings = testbed.journal(MESSAGE_ID="e039e0267dae409b8016b4f1f6c077ed")
        self.assertTrue(warnings)
        self.assertIn("RequireSignatures=false", warnings[-1]["MESSAGE"])
        # Unsigned commits are then accepted.
        tree = tb.server.make_tree("2.0")
        run(["ostree", "--repo=" + tb.server.repo, "commit", "-b", testbed.REF, "--tree=dir=" + tree,
             "--add-metadata-string=version=2.0", "--timestamp=" + testbed.iso(T0 + DAY)])
        run(["ostree", "--repo=" + tb.server.repo, "summary", "-u"])
        self.assertTrue(tb.do("Update")[0])


class CrossCheck(TestCase):
    """Interoperability with an independent Ed25519 implementation (the openssl CLI)."""

    def test_openssl_signed_commit_verifies(self):
        tb = self.tb
        key_pem = os.path.join(self.tmp, "ossl.pem")
        run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key_pem])
        der = subprocess.run(["openssl", "pkey", "-in", key_pem, "-pubout", "-outform", "DER"],
                             stdout=subprocess.PIPE, check=True).stdout
        pub = os.path.join(self.tmp, "ossl.pub")
        import base64
        with open(pub, "w") as f:
            f.write(base64.b64encode(der[-32:]).decode() + "\n")
        os.makedirs("/etc/ostree/trusted.ed25519.d", exist_ok=True)
        shutil.copy(pub, "/etc/ostree/trusted.ed25519.d/ossl.pub")

        # A commit made and signed without Updraft's tools, as upstream
        # `ostree sign` would store it: the signature over the commit file.
        tree = tb.server.make_tree("2.0")
        c = run(["ostree", "--repo=" + tb.server.repo, "commit", "-b", testbed.REF, "--tree=dir=" + tree,
                 "--add-metadata-string=version=2.0", "--timestamp=" + testbed.iso(T0 + DAY)]).stdout.strip()
        sig_file = os.path.join(self.tmp, "commit.sig")
        run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key_pem, "-in",
             commit_file(tb.server.repo, c), "-out", sig_file])
        set_detached(tb.server.repo, c, {"ostree.sign.ed25519": GLib.Variant("aay", [open(sig_file, "rb").read()])})
        run(["ostree", "--repo=" + tb.server.repo, "summary", "-u"])
        run([testbed.PUBLISH, "sign-summary", "--repo", tb.server.repo, "--key", tb.key.secret])

        self.assertTrue(tb.do("Check")[0])
        import hashlib
        self.assertEqual(tb.prop("AvailableUpdate")["signed-by"], hashlib.sha256(der[-32:]).hexdigest()[:16])
        self.assertTrue(tb.do("Download")[0])
        self.assertTrue(tb.do("Apply")[0])

    def test_publisher_signature_verifies_with_openssl(self):
        tb = self.tb
        c = tb.server.publish("2.0", T0 + DAY)
        sig = get_detached(tb.server.repo, c)["ostree.sign.ed25519"][0]
        self.assertEqual(len(sig), 64)
        sig_file = os.path.join(self.tmp, "sig")
        with open(sig_file, "wb") as f:
            f.write(bytes(sig))
        import base64
        raw = base64.b64decode(tb.key.public_base64)
        pub_pem = os.path.join(self.tmp, "pub.pem")
        der = bytes.fromhex("302a300506032b6570032100") + raw
        with open(pub_pem, "w") as f:
            f.write("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n")
        ok = subprocess.run(["openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pub_pem,
                             "-in", commit_file(tb.server.repo, c), "-sigfile", sig_file],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        # And it really checks: other bytes fail.
        bad = subprocess.run(["openssl", "pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pub_pem,
                              "-in", commit_file(tb.server.repo, tb.v1), "-sigfile", sig_file],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertNotEqual(bad.returncode, 0)


if __name__ == "__main__":
    testbed.main()
