/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the OSTree sysroot: which OS, which deployment is current, what the
 * deployment list looks like, and taking the sysroot lock. Worker threads
 * only: an OstreeSysroot is never shared between threads. */
#pragma once

#include <ostree.h>

#include "updraft-types.h"

G_BEGIN_DECLS

OstreeSysroot *updraft_sysroot_open (const char *path, GCancellable *cancellable, GError **error);

/* The OS to manage: @requested when given (it must exist), else the booted
 * deployment's, else the only stateroot. */
char *updraft_sysroot_resolve_osname (OstreeSysroot *sysroot, const char *requested,
                                      GError **error);

/* The deployments of @osname in boot order (new references). */
GPtrArray *updraft_sysroot_list (OstreeSysroot *sysroot, const char *osname);

/* The current deployment: the booted one, or the default one when the
 * system was not booted from this sysroot. */
OstreeDeployment *updraft_sysroot_get_current (OstreeSysroot *sysroot, const char *osname,
                                               GError **error);

/* The deployment Rollback makes default: the current one when an update is
 * pending on top of it, else the one after it. NULL when there is none. */
OstreeDeployment *updraft_sysroot_get_rollback_target (OstreeSysroot *sysroot, const char *osname);

UpdraftSysrootInfo *updraft_sysroot_describe (OstreeSysroot *sysroot, const char *osname,
                                              GError **error);

/* Reads the refspec of @deployment's origin and splits it. @out_remote is NULL
 * for a local ref. */
gboolean updraft_deployment_get_refspec (OstreeDeployment *deployment, char **out_refspec,
                                         char **out_remote, char **out_ref, GError **error);

/* Commit metadata updraftd shows and compares. Any out argument may be NULL. */
gboolean updraft_repo_read_commit_info (OstreeRepo *repo, const char *checksum, char **out_version,
                                        guint64 *out_timestamp, char **out_subject,
                                        char **out_body, GError **error);

/* Deletes the commit object @checksum, which failed verification, so no
 * later apply can pick it up, unless a deployment uses it (a deployed commit
 * stays: removing it would break that deployment). */
void updraft_sysroot_discard_commit (OstreeSysroot *sysroot, const char *checksum);

/* Takes the sysroot lock that `ostree admin` also takes, waiting up to
 * @timeout_sec for another holder; honours @cancellable while waiting. */
gboolean updraft_sysroot_lock (OstreeSysroot *sysroot, guint timeout_sec,
                               GCancellable *cancellable, GError **error);


G_END_DECLS
