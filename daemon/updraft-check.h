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

/* Bytes still to fetch for @checksum, whose commit object is in @repo, as
 * the signed commit declares them (ostree.sizes minus the objects present;
 * a static delta usually needs less). Sets *@out_declared_total to the whole
 * commit's declared size and *@out_largest_object to its largest object,
 * packed or unpacked. -1 when the commit declares no sizes. Used by
 * Check and to bound Download. */
gint64 updraft_check_estimate_download (UpdraftJob *job, OstreeRepo *repo, const char *checksum,
                                        guint64 *out_declared_total, guint64 *out_largest_object);

G_END_DECLS
