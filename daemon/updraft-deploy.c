/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Deployments are written through libostree, which swaps the boot
 * configuration atomically: the system boots either the old list or the new
 * one, never half of either. */
#include "config.h"

#include "updraft-deploy.h"
#include "updraft-download.h"
#include "updraft-error.h"
#include "updraft-sysroot.h"

/* How long to wait for `ostree admin` (or another tool) to release the lock. */
#define LOCK_TIMEOUT_SEC 120

static void
to_deploy_error (GError **error, const char *what)
{
  if (error == NULL || *error == NULL || (*error)->domain == UPDRAFT_ERROR)
    return;
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      updraft_error_normalize (error);
      return;
    }
  (*error)->domain = UPDRAFT_ERROR;
  (*error)->code = UPDRAFT_ERROR_DEPLOY;
  g_prefix_error (error, "%s: ", what);
}

/* After a successful write, a failed cleanup leaves only unused files
 * behind: warn, do not fail. */
static void
cleanup_after_write (UpdraftJob *job, OstreeSysroot *sysroot)
{
  g_autoptr (GError) local_error = NULL;

  updraft_job_post_progress (job, "Cleaning up", 0, 0, 0, TRUE);
  if (!ostree_sysroot_cleanup (sysroot, NULL, &local_error))
    updraft_job_warn (job, "Cleaning up old deployments failed (the new deployment is fine): %s",
                      local_error->message);
}

static gboolean
lock_and_reload (UpdraftJob *job, OstreeSysroot *sysroot, GError **error)
{
  updraft_job_post_progress (job, "Waiting for the sysroot lock", 0, 0, 0, TRUE);
  /* The same lock `ostree admin` takes: nothing else rewrites the
   * deployment list or prunes the repository while we hold it. */
  if (!updraft_sysroot_lock (sysroot, LOCK_TIMEOUT_SEC, job->cancellable, error))
    return FALSE;
  /* What we loaded may be stale by the time we own the lock. */
  if (!ostree_sysroot_load (sysroot, NULL, error))
    {
      ostree_sysroot_unlock (sysroot);
      to_deploy_error (error, "Reloading the sysroot");
      return FALSE;
    }
  return TRUE;
}

static GKeyFile *
copy_origin (OstreeDeployment *merge, GError **error)
{
  GKeyFile *origin = ostree_deployment_get_origin (merge);
  g_autoptr (GKeyFile) copy = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len = 0;

  if (origin == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SYSROOT, "The current deployment has no origin");
      return NULL;
    }
  data = g_key_file_to_data (origin, &len, NULL);
  if (!g_key_file_load_from_data (copy, data, len, G_KEY_FILE_KEEP_COMMENTS, error))
    return NULL;
  /* An unlocked (development) overlay is not carried into the update. */
  ostree_deployment_origin_remove_transient_state (copy);
  return g_steal_pointer (&copy);
}

static gboolean
commit_is_complete (OstreeRepo *repo, const char *checksum, GError **error)
{
  g_autoptr (GVariant) commit = NULL;
  OstreeRepoCommitState state = 0;

  if (!ostree_repo_load_commit (repo, checksum, &commit, &state, NULL) ||
      (state & OSTREE_REPO_COMMIT_STATE_PARTIAL) != 0)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_STATE,
                   "Commit %s is not fully downloaded; run Download again", checksum);
      return FALSE;
    }
  return TRUE;
}

static gboolean
apply_locked (UpdraftJob *job, OstreeSysroot *sysroot, const UpdraftUpdateInfo *update,
              GError **error)
{
  OstreeRepo *repo = ostree_sysroot_repo (sysroot);
  g_autoptr (OstreeDeployment) merge = NULL;
  g_autoptr (OstreeDeployment) new_deployment = NULL;
  g_autoptr (GKeyFile) origin = NULL;
  gboolean booted = ostree_sysroot_get_booted_deployment (sysroot) != NULL;

  if (!commit_is_complete (repo, update->commit, error))
    return FALSE;
  /* Nothing unverified is deployed: check the commit once more, under the lock. */
  updraft_job_post_progress (job, "Verifying", 0, 0, 0, TRUE);
  if (!updraft_download_verify (job, sysroot, update, NULL, error))
    return FALSE;

  merge = updraft_sysroot_get_current (sysroot, job->osname, error);
  if (merge == NULL)
    return FALSE;
  origin = copy_origin (merge, error);
  if (origin == NULL)
    return FALSE;

  /* Last point where Cancel is honoured: from here the deployment is written. */
  if (g_cancellable_set_error_if_cancelled (job->cancellable, error))
    return FALSE;
  updraft_job_post_progress (job, "Deploying", 0, 0, 0, TRUE);

  if (booted)
    {
      /* On a running system the deployment is staged and finalized by
       * ostree-finalize-staged.service at shutdown, so /etc changes made
       * until then are carried over. */
      if (!ostree_sysroot_stage_tree (sysroot, job->osname, update->commit, origin, merge, NULL,
                                      &new_deployment, NULL, error))
        {
          to_deploy_error (error, "Staging the deployment");
          return FALSE;
        }
    }
  else
    {
      if (!ostree_sysroot_deploy_tree (sysroot, job->osname, update->commit, origin, merge, NULL,
                                       &new_deployment, NULL, error))
        {
          to_deploy_error (error, "Deploying");
          return FALSE;
        }
      /* Keeps the merge (current) deployment as rollback, drops older ones
       * unless pinned. NO_CLEAN: cleanup failures must not fail the apply. */
      if (!ostree_sysroot_simple_write_deployment (sysroot, job->osname, new_deployment, merge,
                                                   OSTREE_SYSROOT_SIMPLE_WRITE_DEPLOYMENT_FLAGS_NO_CLEAN,
                                                   NULL, error))
        {
          to_deploy_error (error, "Writing the deployment list");
          return FALSE;
        }
    }
  job->applied = TRUE;
  cleanup_after_write (job, sysroot);
  return TRUE;
}

gboolean
updraft_deploy_apply (UpdraftJob *job, OstreeSysroot *sysroot, const UpdraftUpdateInfo *update,
                      GError **error)
{
  gboolean ok;

  if (!lock_and_reload (job, sysroot, error))
    return FALSE;
  ok = apply_locked (job, sysroot, update, error);
  ostree_sysroot_unlock (sysroot);
  return ok;
}

static gboolean
rollback_locked (UpdraftJob *job, OstreeSysroot *sysroot, char **out_from, char **out_to,
                 GError **error)
{
  /* transfer container: the array is ours to free */
  g_autoptr (GPtrArray) all = ostree_sysroot_get_deployments (sysroot);
  g_autoptr (OstreeDeployment) target = updraft_sysroot_get_rollback_target (sysroot, job->osname);
  g_autoptr (GPtrArray) mine = updraft_sysroot_list (sysroot, job->osname);
  g_autoptr (GPtrArray) new_list = g_ptr_array_new_with_free_func (g_object_unref);
  OstreeSysrootWriteDeploymentsOpts write_opts = { .do_postclean = FALSE };
  OstreeDeployment *old_default;

  if (target == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_NO_ROLLBACK,
                   "There is no previous deployment of %s to roll back to", job->osname);
      return FALSE;
    }
  old_default = mine->pdata[0];

  if (g_cancellable_set_error_if_cancelled (job->cancellable, error))
    return FALSE;
  updraft_job_post_progress (job, "Deploying", 0, 0, 0, TRUE);

  /* The target goes first: index 0 is the default. A staged deployment
   * being rolled back over is dropped, which unstages it. */
  g_ptr_array_add (new_list, g_object_ref (target));
  for (guint i = 0; i < all->len; i++)
    {
      OstreeDeployment *d = all->pdata[i];

      if (ostree_deployment_equal (d, target))
        continue;
      if (ostree_deployment_is_staged (d) && ostree_deployment_equal (d, old_default))
        continue;
      g_ptr_array_add (new_list, g_object_ref (d));
    }

  /* No post-clean inside the write: a cleanup failure must not fail it. */
  if (!ostree_sysroot_write_deployments_with_options (sysroot, new_list, &write_opts, NULL, error))
    {
      to_deploy_error (error, "Writing the deployment list");
      return FALSE;
    }
  *out_from = g_strdup (ostree_deployment_get_csum (old_default));
  *out_to = g_strdup (ostree_deployment_get_csum (target));
  job->applied = TRUE;
  cleanup_after_write (job, sysroot);
  return TRUE;
}

gboolean
updraft_deploy_rollback (UpdraftJob *job, OstreeSysroot *sysroot, char **out_from, char **out_to,
                         GError **error)
{
  gboolean ok;

  if (!lock_and_reload (job, sysroot, error))
    return FALSE;
  ok = rollback_locked (job, sysroot, out_from, out_to, error);
  ostree_sysroot_unlock (sysroot);
  return ok;
}
