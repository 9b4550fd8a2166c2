/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Download. Interrupted downloads resume at object granularity: what was
 * fetched stays in the repository and the next pull skips it. */
#include "config.h"

#include "updraft-check.h"
#include "updraft-download.h"
#include "updraft-error.h"
#include "updraft-progress.h"
#include "updraft-pull.h"
#include "updraft-sysroot.h"
#include "updraft-verify.h"

/* Slack over the declared size for what ostree.sizes does not list (the
 * commit and its detached metadata) and for delta framing. */
#define DOWNLOAD_SLACK_BYTES (4 * 1024 * 1024)

typedef struct
{
  UpdraftJob *job;
  UpdraftRateMeter meter;
} DownloadProgress;

static void
on_pull_progress (const UpdraftPullStatus *status, gpointer user_data)
{
  DownloadProgress *dp = user_data;

  updraft_rate_meter_add (&dp->meter, g_get_monotonic_time (), status->bytes_done);
  updraft_job_post_progress (dp->job, "Downloading", status->bytes_done, status->bytes_total,
                             updraft_rate_meter_rate (&dp->meter), FALSE);
}

gboolean
updraft_download_verify (UpdraftJob *job, OstreeSysroot *sysroot, const UpdraftUpdateInfo *update,
                         char **out_signed_by, GError **error)
{
  OstreeRepo *repo = ostree_sysroot_repo (sysroot);
  g_autoptr (OstreeDeployment) current = NULL;
  g_autofree char *current_version = NULL;
  UpdraftVerifyContext ctx = { 0 };

  current = updraft_sysroot_get_current (sysroot, job->osname, error);
  if (current == NULL)
    return FALSE;
  ctx.ref = update->ref;
  ctx.current_commit = ostree_deployment_get_csum (current);
  if (!updraft_repo_read_commit_info (repo, ctx.current_commit, &current_version,
                                      &ctx.current_timestamp, NULL, NULL, error))
    return FALSE;
  ctx.current_version = current_version;
  ctx.allow_downgrade = update->allow_downgrade;
  ctx.check_expiry = FALSE; /* freshness was judged when the update was found */
  ctx.now = g_get_real_time () / G_USEC_PER_SEC;
  return updraft_verify_commit (job->config, updraft_job_get_keyring (job), repo, update->commit,
                                &ctx, out_signed_by, error);
}

gboolean
updraft_download_run (UpdraftJob *job, OstreeSysroot *sysroot, UpdraftUpdateInfo *update,
                      GError **error)
{
  OstreeRepo *repo = ostree_sysroot_repo (sysroot);
  const char *refs[] = { update->commit, NULL };
  UpdraftPullLimits limits = { 0 };
  DownloadProgress dp = { 0 };
  g_autofree char *signed_by = NULL;
  g_autoptr (GError) local_error = NULL;
  guint64 declared = 0;
  guint64 largest = 0;
  gint64 remaining;
  GVariantBuilder b;

  updraft_job_post_progress (job, "Preparing the download", 0, 0, 0, TRUE);

  /* Verify before fetching content too: the commit object may have changed
   * on disk since Check (it never should; this costs microseconds). */
  if (!updraft_download_verify (job, sysroot, update, NULL, error))
    {
      updraft_sysroot_discard_commit (sysroot, update->commit);
      return FALSE;
    }

  remaining = updraft_check_estimate_download (job, repo, update->commit, &declared, &largest);
  if (g_cancellable_set_error_if_cancelled (job->cancellable, error))
    return FALSE;

  limits.expected_bytes = remaining > 0 ? (guint64) remaining : 0;
  limits.timeout_sec = job->config->download_timeout_sec;
  limits.stall_timeout_sec = job->config->stall_timeout_sec;
  limits.max_metadata_size = job->config->max_metadata_size;
  /* The signed commit declares its objects' sizes: a server sending much more
   * is sending garbage, and is stopped before it fills the disk. */
  if (declared > 0)
    limits.max_bytes = declared + declared / 4 + DOWNLOAD_SLACK_BYTES;
  if (job->config->max_download_size > 0 &&
      (limits.max_bytes == 0 || job->config->max_download_size < limits.max_bytes))
    limits.max_bytes = job->config->max_download_size;
  /* No file the fetch writes (a downloaded object or delta part, an object
   * unpacked into the repository) can be larger than the update as a whole
   * or than its largest declared object. */
  if (limits.max_bytes > 0 && declared > 0)
    limits.max_file_size = MAX (limits.max_bytes, largest + DOWNLOAD_SLACK_BYTES);
  if (job->config->max_download_size > 0 && remaining > 0 &&
      (guint64) remaining > job->config->max_download_size)
    {
      g_autofree char *need = g_format_size ((guint64) remaining);
      g_autofree char *max = g_format_size (job->config->max_download_size);
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_TOO_LARGE,
                   "The update needs %s, more than MaxDownloadSize (%s)", need, max);
      return FALSE;
    }

  if (remaining != 0)
    {
      dp.job = job;
      updraft_rate_meter_init (&dp.meter);
      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "refs", g_variant_new_strv (refs, -1));
      if (!updraft_pull (repo, update->remote, g_variant_builder_end (&b), &limits,
                         on_pull_progress, &dp, job->cancellable, error))
        return FALSE;
    }

  updraft_job_post_progress (job, "Verifying", limits.expected_bytes, limits.expected_bytes, 0, TRUE);
  if (!updraft_download_verify (job, sysroot, update, &signed_by, &local_error))
    {
      /* A commit that fails verification after the pull must not stay where
       * an apply could pick it up. */
      updraft_sysroot_discard_commit (sysroot, update->commit);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* Point remote:ref at it, as `ostree admin upgrade --pull-only` does, so
   * `ostree admin cleanup` keeps it until it is deployed. */
  if (!ostree_repo_set_ref_immediate (repo, update->remote, update->ref, update->commit, NULL, error))
    {
      g_prefix_error (error, "Recording the downloaded commit: ");
      updraft_error_normalize (error);
      return FALSE;
    }

  g_free (update->signed_by);
  update->signed_by = g_steal_pointer (&signed_by);
  update->downloaded = TRUE;
  update->download_size = 0;
  return TRUE;
}
