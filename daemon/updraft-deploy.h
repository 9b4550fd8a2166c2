/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing deployments: Apply (the downloaded commit becomes the default,
 * the current one is kept for rollback) and Rollback (the previous
 * deployment becomes the default again). Both hold the sysroot lock while
 * they work. Worker threads only. */
#pragma once

#include <ostree.h>

#include "updraft-job.h"

G_BEGIN_DECLS

gboolean updraft_deploy_apply (UpdraftJob *job, OstreeSysroot *sysroot,
                               const UpdraftUpdateInfo *update, GError **error);

/* Fills *@out_from and *@out_to with the commits of the default before and
 * after, for the audit trail. */
gboolean updraft_deploy_rollback (UpdraftJob *job, OstreeSysroot *sysroot, char **out_from,
                                  char **out_to, GError **error);

G_END_DECLS
