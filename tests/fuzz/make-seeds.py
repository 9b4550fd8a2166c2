#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the fuzzers' seed inputs into tests/fuzz/corpus/ (committed)."""

import os
import subprocess
import tempfile

import gi

gi.require_version("OSTree", "1.0")
from gi.repository import GLib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def variant_bytes(v):
    return v.get_data_as_bytes().get_data()


sig = bytes(range(64))
key = bytes(range(32))
write("fuzz-detached-metadata", "signed", variant_bytes(GLib.Variant("a{sv}", {
    "ostree.sign.ed25519": GLib.Variant("aay", [sig]),
    "updraft.sign.ed25519.keys": GLib.Variant("aay", [key]),
})))
write("fuzz-detached-metadata", "two-signatures", variant_bytes(GLib.Variant("a{sv}", {
    "ostree.sign.ed25519": GLib.Variant("aay", [sig, sig[::-1]]),
})))
write("fuzz-detached-metadata", "wrong-type", variant_bytes(GLib.Variant("a{sv}", {
    "ostree.sign.ed25519": GLib.Variant("ay", sig),
})))
write("fuzz-detached-metadata", "empty", variant_bytes(GLib.Variant("a{sv}", {})))

with tempfile.TemporaryDirectory() as tmp:
    repo = os.path.join(tmp, "repo")
    tree = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(tree, "usr"))
    subprocess.run(["ostree", "--repo=" + repo, "init", "--mode=archive"], check=True)
    subprocess.run(["ostree", "--repo=" + repo, "commit", "-b", "demo/x86_64/stable", "--tree=dir=" + tree,
                    "--add-metadata-string=version=1.0", "-s", "seed"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ostree", "--repo=" + repo, "summary", "-u",
                    "--add-metadata=updraft.expires='2026-12-01T00:00:00Z'"], check=True)
    with open(os.path.join(repo, "summary"), "rb") as f:
        write("fuzz-summary", "summary", f.read())

write("fuzz-summary", "empty-summary", variant_bytes(GLib.Variant("(a(s(taya{sv}))a{sv})", ([], {}))))
write("fuzz-keyfile", "keys", "# publisher keys\nPcDh1f1DmX7c3Q1s1M6p0TbQ0c+MI8JtC9mYmOQ0yJc=\n\n"
      "1+ZaCt7A1rbRXRq0QH1Qx8AbqG0b0uAW3nv6x6pS3fU=\r\n")
write("fuzz-config", "full", "[Daemon]\nIdleTimeoutSec=120\n[Network]\nCheckTimeoutSec=300\n"
      "DownloadTimeoutSec=21600\nStallTimeoutSec=60\nMaxMetadataSize=10M\nMaxDownloadSize=4G\n"
      "[Security]\nRequireSignatures=true\nRequireExpiry=false\nTrustedKeysDir=/etc/updraft/trusted.ed25519.d\n"
      "RevokedKeysDir=/etc/updraft/revoked.ed25519.d\nCompatible=acme-gw-v2\n")
write("fuzz-state-file", "ready", "[Updater]\nState=ready\nBootId=x\nLastErrorName=a\nLastErrorMessage=b\n"
      "[Update]\nRemote=origin\nRef=demo/x86_64/stable\nCommit=" + "ab" * 32 + "\nVersion=2.0\n"
      "Timestamp=1767225600\nDownloadSize=5\nDownloaded=true\nAllowDowngrade=false\n"
      "[History 0]\nOperation=check\nSuccess=true\nTime=1\nCallerUid=0\n")
