/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a commit's detached metadata (or summary.sig), as
 * fetched from an update server, through signature verification. */
#include "config.h"

#include <stdint.h>

#include "updraft-sign.h"

static UpdraftKeyring *keyring;

static void
setup (void)
{
  static const guint8 trusted[32] = { 0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a, 0x92, 0xb7, 0x0a,
                                      0xa7, 0x4d, 0x1b, 0x7e, 0xbc, 0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4,
                                      0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c };
  static const guint8 revoked[32] = { 0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
                                      0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
                                      0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a };
  g_autoptr (GBytes) t = g_bytes_new_static (trusted, sizeof trusted);
  g_autoptr (GBytes) r = g_bytes_new_static (revoked, sizeof revoked);

  keyring = updraft_keyring_new ();
  updraft_keyring_add_trusted (keyring, t);
  updraft_keyring_add_revoked (keyring, r);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GBytes) signed_data = g_bytes_new_static ("the commit object", 17);
  g_autoptr (GVariant) metadata = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *key_id = NULL;

  if (keyring == NULL)
    setup ();
  metadata = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  /* Verification must reject everything here (no valid signature can be
   * made without the key) without crashing or leaking. */
  if (updraft_verify_signatures (keyring, signed_data, metadata, "fuzz", &key_id, &error))
    __builtin_trap ();
  return 0;
}
