/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The check phase: find out what the origin offers, fetch its metadata (no
 * file content), verify it, and describe the update. Worker threads only. */
#pragma once

#include <ostree.h>

#include "updraft-job.h"

G_BEGIN_DECLS

/* Sets *@out_update to the verified update, or NULL when the origin offers
 * the current commit. Never offers an older commit unless the request
 * allows a downgrade. */
gboolean updraft_check_run (UpdraftJob *job, OstreeSysroot *sysroot,
                            UpdraftUpdateInfo **out_update, GError **error);

/* Bytes still to fetch for @checksum, whose commit object is in @repo:
 * the static delta's size when the server has one from a commit we have,
 * else the commit's declared object sizes minus what is present. -1 when
 * neither is known. Used by Check and to bound Download. */
gint64 updraft_check_estimate_download (UpdraftJob *job, OstreeRepo *repo, const char *remote,
                                        const char *checksum, guint64 *out_declared_total);

G_END_DECLS
