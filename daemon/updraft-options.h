/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation of the a{sv} options every method takes. */
#pragma once

#include <glib.h>

#include "updraft-types.h"

G_BEGIN_DECLS

/* Turns @options (a{sv}) for @op into a request. Unknown keys, values of the
 * wrong type and malformed values fail with UPDRAFT_ERROR_INVALID_ARGS and a
 * message naming the key. The caller fills in request->caller. */
UpdraftRequest *updraft_options_parse (UpdraftOperation op, GVariant *options, GError **error);

/* "reboot, commit" for messages and docs; "" when @op takes none. */
char *updraft_options_describe (UpdraftOperation op);

/* TRUE for 64 lowercase hex digits. */
gboolean updraft_is_commit_checksum (const char *text);

G_END_DECLS
