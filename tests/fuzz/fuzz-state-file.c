/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: /var/lib/updraft/state, read at every start. */
#include "config.h"

#include <stdint.h>

#include "updraft-store.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (UpdraftPersisted) p = updraft_store_parse ((const char *) data, size, &error);

  if (p != NULL && updraft_state_is_running (p->state))
    __builtin_trap ();
  return 0;
}
