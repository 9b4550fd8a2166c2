/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The download phase: pull the checked commit (by static delta when the
 * server has one), verify it again, and pin it with the origin's ref so a
 * cleanup cannot prune it before Apply. Worker threads only. */
#pragma once

#include <ostree.h>

#include "updraft-job.h"

G_BEGIN_DECLS

gboolean updraft_download_run (UpdraftJob *job, OstreeSysroot *sysroot, UpdraftUpdateInfo *update,
                               GError **error);

/* Verifies @update's commit as it is now in the repository, against the
 * sysroot's current deployment (Download and Apply both call this). */
gboolean updraft_download_verify (UpdraftJob *job, OstreeSysroot *sysroot,
                                  const UpdraftUpdateInfo *update, char **out_signed_by,
                                  GError **error);

G_END_DECLS
