/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a trusted or revoked public key file. */
#include "config.h"

#include <stdint.h>

#include "updraft-sign.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) keys = updraft_parse_public_keys ((const char *) data, size, "fuzz", &error);

  if (keys == NULL)
    return 0;
  for (guint i = 0; i < keys->len; i++)
    if (g_bytes_get_size (keys->pdata[i]) != UPDRAFT_ED25519_PUBLIC_KEY_LEN)
      __builtin_trap ();
  return 0;
}
