/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a summary file from an update server: parsing, ref
 * lookup and the expiry in its metadata. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "updraft-metadata.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GVariant) summary = NULL;
  g_autoptr (GVariant) metadata = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *version = NULL;
  guint64 timestamp = 0;
  gint64 expires = 0;

  summary = updraft_summary_parse (bytes, &error);
  if (summary == NULL)
    return 0;
  if (updraft_summary_lookup_ref (summary, "demo/x86_64/stable", &checksum, &timestamp, &version, &error) &&
      (checksum == NULL || strlen (checksum) != 64))
    __builtin_trap ();
  g_clear_error (&error);
  metadata = updraft_summary_get_metadata (summary);
  (void) updraft_metadata_get_expiry (metadata, &expires, &error);
  g_clear_error (&error);
  (void) updraft_metadata_check_target (metadata, "demo/x86_64/stable", "gw-v2", "summary", &error);
  return 0;
}
