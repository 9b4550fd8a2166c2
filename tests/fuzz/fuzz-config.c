/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: updraft.conf and its drop-ins. */
#include "config.h"

#include <stdint.h>

#include "updraft-config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (UpdraftConfig) config = updraft_config_new ();
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);

  updraft_config_merge_data (config, (const char *) data, size, "fuzz.conf", warnings);
  /* Whatever the input, the secure defaults it did not set stay. */
  if (config->max_metadata_size > 256 * 1024 * 1024)
    __builtin_trap ();
  return 0;
}
