/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Check: summary first (signed; it says which commit the ref points at and
 * when the metadata expires), then the commit object alone by checksum.
 * Pulling by checksum rather than by ref keeps the local remote:ref where it
 * was: a commit-only pull by ref would move it to a partial commit. */
#include "config.h"

#include "updraft-check.h"
#include "updraft-error.h"
#include "updraft-metadata.h"
#include "updraft-pull.h"
#include "updraft-sysroot.h"
#include "updraft-verify.h"

/* CheckTimeoutSec bounds the whole check: each transfer gets what is left. */
static guint
seconds_left (UpdraftJob *job)
{
  gint64 left;

  if (job->config->check_timeout_sec == 0)
    return 0;
  left = job->check_deadline - g_get_monotonic_time ();
  return left > G_USEC_PER_SEC ? (guint) (left / G_USEC_PER_SEC) : 1;
}

static UpdraftPullLimits
metadata_limits (UpdraftJob *job)
{
  UpdraftPullLimits limits = { 0 };

  /* Summary, commit and detached metadata, each at most max_metadata_size. */
  limits.max_bytes = 3 * job->config->max_metadata_size;
  limits.timeout_sec = seconds_left (job);
  limits.stall_timeout_sec = job->config->stall_timeout_sec;
  limits.max_metadata_size = job->config->max_metadata_size;
  limits.max_file_size = job->config->max_metadata_size;
  return limits;
}

/* No summary on the server: learn the ref's commit with a commit-only pull by
 * ref, then put the local ref back, so the partial commit never becomes what
 * remote:ref points at. */
static char *
resolve_ref_without_summary (UpdraftJob *job, OstreeRepo *repo, const char *remote,
                             const char *ref, GError **error)
{
  g_autofree char *refspec = g_strdup_printf ("%s:%s", remote, ref);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  const char *refs[] = { ref, NULL };
  UpdraftPullLimits limits = metadata_limits (job);
  GVariantBuilder b;
  gboolean ok;
  g_autoptr (GError) restore_error = NULL;

  if (!ostree_repo_resolve_rev (repo, refspec, TRUE, &before, error))
    return NULL;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "refs", g_variant_new_strv (refs, -1));
  g_variant_builder_add (&b, "{sv}", "flags", g_variant_new_int32 (OSTREE_REPO_PULL_FLAGS_COMMIT_ONLY));
  ok = updraft_pull (repo, remote, g_variant_builder_end (&b), &limits, NULL, NULL,
                     job->cancellable, error);
  if (ok)
    ok = ostree_repo_resolve_rev (repo, refspec, FALSE, &after, error);

  if (!ostree_repo_set_ref_immediate (repo, remote, ref, before, NULL, &restore_error))
    updraft_job_warn (job, "Restoring %s after a check: %s", refspec, restore_error->message);
  if (!ok)
    return NULL;
  return g_steal_pointer (&after);
}

static gboolean
fetch_commit_metadata (UpdraftJob *job, OstreeRepo *repo, const char *remote,
                       const char *checksum, GError **error)
{
  const char *refs[] = { checksum, NULL };
  UpdraftPullLimits limits = metadata_limits (job);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "refs", g_variant_new_strv (refs, -1));
  g_variant_builder_add (&b, "{sv}", "flags", g_variant_new_int32 (OSTREE_REPO_PULL_FLAGS_COMMIT_ONLY));
  return updraft_pull (repo, remote, g_variant_builder_end (&b), &limits, NULL, NULL,
                       job->cancellable, error);
}

static gboolean
commit_is_complete (OstreeRepo *repo, const char *checksum)
{
  OstreeRepoCommitState state = 0;
  g_autoptr (GVariant) commit = NULL;

  if (!ostree_repo_load_commit (repo, checksum, &commit, &state, NULL))
    return FALSE;
  return (state & OSTREE_REPO_COMMIT_STATE_PARTIAL) == 0;
}

gint64
updraft_check_estimate_download (UpdraftJob *job, OstreeRepo *repo, const char *checksum,
                                 guint64 *out_declared_total, guint64 *out_largest_object)
{
  g_autoptr (GVariant) commit = NULL;
  g_autoptr (GPtrArray) sizes = NULL;
  g_autoptr (GError) local_error = NULL;
  guint64 missing = 0;
  guint64 declared = 0;

  *out_declared_total = 0;
  *out_largest_object = 0;
  if (commit_is_complete (repo, checksum))
    return 0;

  /* What the signed commit declares (ostree.sizes): the objects still
   * missing, compressed. A static delta usually fetches less; its real size
   * shows in Progress once Download has read the delta's superblock. (A
   * dry-run pull could measure the delta here, but in libostree 2022.7 it
   * spins forever against servers with indexed deltas.) */
  if (!ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_COMMIT, checksum, &commit, &local_error) ||
      !ostree_commit_get_object_sizes (commit, &sizes, &local_error))
    {
      g_debug ("Commit %s declares no object sizes: %s", checksum, local_error->message);
      return -1;
    }
  for (guint i = 0; i < sizes->len; i++)
    {
      OstreeCommitSizesEntry *e = sizes->pdata[i];
      gboolean have = FALSE;

      declared += e->archived;
      *out_largest_object = MAX (*out_largest_object, MAX (e->archived, e->unpacked));
      if (!ostree_repo_has_object (repo, e->objtype, e->checksum, &have, NULL, NULL) || !have)
        missing += e->archived;
    }
  *out_declared_total = declared;
  return (gint64) missing;
}

gboolean
updraft_check_run (UpdraftJob *job, OstreeSysroot *sysroot, UpdraftUpdateInfo **out_update,
                   GError **error)
{
  OstreeRepo *repo = ostree_sysroot_repo (sysroot);
  g_autoptr (OstreeDeployment) current = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *ref = NULL;
  g_autofree char *target = NULL;
  g_autofree char *current_version = NULL;
  g_autofree char *signed_by = NULL;
  g_autoptr (UpdraftUpdateInfo) update = NULL;
  g_autoptr (GBytes) summary = NULL;
  g_autoptr (GBytes) signature = NULL;
  UpdraftVerifyContext ctx = { 0 };
  guint64 current_timestamp = 0;
  guint64 declared = 0;
  guint64 largest = 0;

  *out_update = NULL;
  job->check_deadline = g_get_monotonic_time () + (gint64) job->config->check_timeout_sec * G_USEC_PER_SEC;
  updraft_job_post_progress (job, "Fetching metadata", 0, 0, 0, TRUE);

  current = updraft_sysroot_get_current (sysroot, job->osname, error);
  if (current == NULL)
    return FALSE;
  if (!updraft_deployment_get_refspec (current, NULL, &remote, &ref, error))
    return FALSE;
  if (remote == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SYSROOT,
                   "The current deployment follows the local ref “%s”, which has no remote to "
                   "check for updates",
                   ref);
      return FALSE;
    }
  if (!updraft_repo_read_commit_info (repo, ostree_deployment_get_csum (current), &current_version,
                                      &current_timestamp, NULL, NULL, error))
    return FALSE;

  ctx.ref = ref;
  ctx.current_commit = ostree_deployment_get_csum (current);
  ctx.current_version = current_version;
  ctx.current_timestamp = current_timestamp;
  ctx.allow_downgrade = job->request->allow_downgrade;
  ctx.check_expiry = TRUE;
  ctx.now = g_get_real_time () / G_USEC_PER_SEC;

  /* 1. The summary: which commit the ref points at, and its freshness. */
  if (!updraft_fetch_summary (repo, remote, seconds_left (job), job->config->max_metadata_size,
                              job->cancellable, &summary, &signature, error))
    return FALSE;
  if (summary != NULL)
    {
      g_autoptr (GVariant) parsed = NULL;

      if (!updraft_verify_summary (job->config, updraft_job_get_keyring (job), summary, signature,
                                   ctx.now, &ctx.summary_expires, NULL, error))
        return FALSE;
      parsed = updraft_summary_parse (summary, error);
      if (parsed == NULL)
        return FALSE;
      if (job->request->commit == NULL &&
          !updraft_summary_lookup_ref (parsed, ref, &target, NULL, NULL, error))
        return FALSE;
    }
  else if (job->request->commit == NULL)
    {
      g_debug ("Remote %s has no summary; resolving %s with a commit-only pull", remote, ref);
      target = resolve_ref_without_summary (job, repo, remote, ref, error);
      if (target == NULL)
        return FALSE;
    }
  if (job->request->commit != NULL)
    target = g_strdup (job->request->commit);

  if (g_str_equal (target, ctx.current_commit))
    return TRUE; /* nothing newer */

  /* 2. The commit object and its signatures, nothing else. */
  if (!fetch_commit_metadata (job, repo, remote, target, error))
    return FALSE;
  if (!updraft_verify_commit (job->config, updraft_job_get_keyring (job), repo, target, &ctx,
                              &signed_by, error))
    {
      updraft_sysroot_discard_commit (sysroot, target);
      return FALSE;
    }

  update = updraft_update_info_new ();
  update->remote = g_strdup (remote);
  update->ref = g_strdup (ref);
  update->commit = g_strdup (target);
  update->signed_by = g_steal_pointer (&signed_by);
  update->allow_downgrade = job->request->allow_downgrade;
  if (!updraft_repo_read_commit_info (repo, target, &update->version, &update->timestamp,
                                      &update->subject, &update->body, error))
    return FALSE;

  /* 3. How much is left to fetch. */
  update->download_size = updraft_check_estimate_download (job, repo, target, &declared, &largest);
  update->downloaded = update->download_size == 0;
  if (g_cancellable_set_error_if_cancelled (job->cancellable, error))
    return FALSE;

  *out_update = g_steal_pointer (&update);
  return TRUE;
}
