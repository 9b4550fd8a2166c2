/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysroot as updraftd sees it. "Current" means booted on a real device;
 * on a sysroot the system was not booted from (an image being prepared, a
 * test) it means the default deployment, so the same code serves both. */
#include "config.h"

#include <string.h>

#include "updraft-error.h"
#include "updraft-sysroot.h"

OstreeSysroot *
updraft_sysroot_open (const char *path, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (OstreeSysroot) sysroot = ostree_sysroot_new (file);

  if (!ostree_sysroot_load (sysroot, cancellable, error))
    {
      g_prefix_error (error, "Loading the OSTree sysroot at %s: ", path);
      if (error != NULL && (*error)->domain != UPDRAFT_ERROR &&
          !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          (*error)->domain = UPDRAFT_ERROR;
          (*error)->code = UPDRAFT_ERROR_SYSROOT;
        }
      return NULL;
    }
  return g_steal_pointer (&sysroot);
}

static gboolean
has_stateroot (OstreeSysroot *sysroot, const char *osname)
{
  GFile *root = ostree_sysroot_get_path (sysroot);
  g_autofree char *path = NULL;

  if (strchr (osname, '/') != NULL || osname[0] == '.' || osname[0] == '\0')
    return FALSE;
  path = g_build_filename (g_file_peek_path (root), "ostree", "deploy", osname, NULL);
  return g_file_test (path, G_FILE_TEST_IS_DIR);
}

char *
updraft_sysroot_resolve_osname (OstreeSysroot *sysroot, const char *requested, GError **error)
{
  OstreeDeployment *booted = ostree_sysroot_get_booted_deployment (sysroot);
  g_autoptr (GPtrArray) deployments = ostree_sysroot_get_deployments (sysroot);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  if (requested != NULL)
    {
      if (!has_stateroot (sysroot, requested))
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SYSROOT,
                       "The sysroot has no stateroot (OS) named “%s”", requested);
          return NULL;
        }
      return g_strdup (requested);
    }
  if (booted != NULL)
    return g_strdup (ostree_deployment_get_osname (booted));

  for (guint i = 0; i < deployments->len; i++)
    g_hash_table_add (names, (gpointer) ostree_deployment_get_osname (deployments->pdata[i]));
  if (g_hash_table_size (names) == 1)
    return g_strdup (ostree_deployment_get_osname (deployments->pdata[0]));
  if (g_hash_table_size (names) == 0)
    g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SYSROOT,
                 "The sysroot has no deployments; deploy an OS first (ostree admin deploy)");
  else
    g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SYSROOT,
                 "The sysroot has %u stateroots and none is booted; choose one with --os",
                 g_hash_table_size (names));
  return NULL;
}

GPtrArray *
updraft_sysroot_list (OstreeSysroot *sysroot, const char *osname)
{
  /* transfer container: the array is ours to free */
  g_autoptr (GPtrArray) all = ostree_sysroot_get_deployments (sysroot);
  GPtrArray *mine = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < all->len; i++)
    if (g_str_equal (ostree_deployment_get_osname (all->pdata[i]), osname))
      g_ptr_array_add (mine, g_object_ref (all->pdata[i]));
  return mine;
}

OstreeDeployment *
updraft_sysroot_get_current (OstreeSysroot *sysroot, const char *osname, GError **error)
{
  OstreeDeployment *booted = ostree_sysroot_get_booted_deployment (sysroot);
  g_autoptr (GPtrArray) mine = NULL;

  if (booted != NULL && g_str_equal (ostree_deployment_get_osname (booted), osname))
    return g_object_ref (booted);

  mine = updraft_sysroot_list (sysroot, osname);
  if (mine->len == 0)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SYSROOT,
                   "The stateroot “%s” has no deployment", osname);
      return NULL;
    }
  return g_object_ref (mine->pdata[0]);
}

OstreeDeployment *
updraft_sysroot_get_rollback_target (OstreeSysroot *sysroot, const char *osname)
{
  g_autoptr (GPtrArray) mine = updraft_sysroot_list (sysroot, osname);
  g_autoptr (OstreeDeployment) current = updraft_sysroot_get_current (sysroot, osname, NULL);

  if (current == NULL || mine->len < 2)
    return NULL;
  /* An update is pending on top of the running system: undo it. */
  if (!ostree_deployment_equal (mine->pdata[0], current))
    return g_object_ref (current);
  return g_object_ref (mine->pdata[1]);
}

gboolean
updraft_deployment_get_refspec (OstreeDeployment *deployment, char **out_refspec,
                                char **out_remote, char **out_ref, GError **error)
{
  GKeyFile *origin = ostree_deployment_get_origin (deployment);
  g_autofree char *refspec = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *ref = NULL;

  if (origin != NULL)
    refspec = g_key_file_get_string (origin, "origin", "refspec", NULL);
  if (refspec == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SYSROOT,
                   "Deployment %s.%d has no origin refspec to follow",
                   ostree_deployment_get_csum (deployment),
                   ostree_deployment_get_deployserial (deployment));
      return FALSE;
    }
  if (!ostree_parse_refspec (refspec, &remote, &ref, error))
    {
      g_prefix_error (error, "Origin of deployment %s: ", ostree_deployment_get_csum (deployment));
      return FALSE;
    }
  if (out_refspec != NULL)
    *out_refspec = g_steal_pointer (&refspec);
  if (out_remote != NULL)
    *out_remote = g_steal_pointer (&remote);
  if (out_ref != NULL)
    *out_ref = g_steal_pointer (&ref);
  return TRUE;
}

gboolean
updraft_repo_read_commit_info (OstreeRepo *repo, const char *checksum, char **out_version,
                               guint64 *out_timestamp, char **out_subject, char **out_body,
                               GError **error)
{
  g_autoptr (GVariant) commit = NULL;
  g_autoptr (GVariant) metadata = NULL;
  const char *version = NULL;

  if (!ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_COMMIT, checksum, &commit, error))
    return FALSE;
  metadata = g_variant_get_child_value (commit, 0);
  if (!g_variant_lookup (metadata, OSTREE_COMMIT_META_KEY_VERSION, "&s", &version))
    version = "";
  if (out_version != NULL)
    *out_version = g_strdup (version);
  if (out_timestamp != NULL)
    *out_timestamp = ostree_commit_get_timestamp (commit);
  if (out_subject != NULL)
    g_variant_get_child (commit, 3, "s", out_subject);
  if (out_body != NULL)
    g_variant_get_child (commit, 4, "s", out_body);
  return TRUE;
}

UpdraftSysrootInfo *
updraft_sysroot_describe (OstreeSysroot *sysroot, const char *osname, GError **error)
{
  g_autoptr (UpdraftSysrootInfo) info = g_new0 (UpdraftSysrootInfo, 1);
  g_autoptr (GPtrArray) mine = updraft_sysroot_list (sysroot, osname);
  g_autoptr (OstreeDeployment) current = NULL;
  g_autoptr (OstreeDeployment) rollback = NULL;
  OstreeDeployment *booted = ostree_sysroot_get_booted_deployment (sysroot);
  OstreeRepo *repo = ostree_sysroot_repo (sysroot);

  info->osname = g_strdup (osname);
  info->booted = booted != NULL;
  info->deployments = g_ptr_array_new_with_free_func ((GDestroyNotify) updraft_deployment_info_free);
  info->origin = g_strdup ("");

  current = updraft_sysroot_get_current (sysroot, osname, error);
  if (current == NULL)
    return NULL;
  rollback = updraft_sysroot_get_rollback_target (sysroot, osname);

  for (guint i = 0; i < mine->len; i++)
    {
      OstreeDeployment *d = mine->pdata[i];
      UpdraftDeploymentInfo *di = g_new0 (UpdraftDeploymentInfo, 1);
      g_autoptr (GError) local_error = NULL;

      di->osname = g_strdup (osname);
      di->commit = g_strdup (ostree_deployment_get_csum (d));
      di->serial = ostree_deployment_get_deployserial (d);
      di->booted = booted != NULL && ostree_deployment_equal (d, booted);
      di->is_default = i == 0;
      di->current = ostree_deployment_equal (d, current);
      di->rollback = rollback != NULL && ostree_deployment_equal (d, rollback);
      di->pinned = ostree_deployment_is_pinned (d);
      di->staged = ostree_deployment_is_staged (d);
      if (!updraft_deployment_get_refspec (d, &di->origin, NULL, NULL, NULL))
        di->origin = g_strdup ("");
      /* A deployment whose commit was pruned still counts; show what we can. */
      if (!updraft_repo_read_commit_info (repo, di->commit, &di->version, &di->timestamp, NULL,
                                          NULL, &local_error))
        {
          g_debug ("Reading commit %s: %s", di->commit, local_error->message);
          di->version = g_strdup ("");
        }
      g_ptr_array_add (info->deployments, di);

      if (di->current)
        {
          info->current_commit = g_strdup (di->commit);
          info->current_version = g_strdup (di->version);
          info->current_timestamp = di->timestamp;
          g_free (info->origin);
          info->origin = g_strdup (di->origin);
        }
      if (di->is_default)
        info->default_commit = g_strdup (di->commit);
      if (di->booted)
        info->booted_commit = g_strdup (di->commit);
    }

  /* A missing or odd origin is not fatal for describing the system; Check
   * reports it when it needs the refspec. */
  if (info->origin[0] != '\0')
    {
      g_autoptr (GError) local_error = NULL;
      if (!ostree_parse_refspec (info->origin, &info->remote, &info->ref, &local_error))
        g_debug ("Origin %s: %s", info->origin, local_error->message);
    }
  return g_steal_pointer (&info);
}

void
updraft_sysroot_discard_commit (OstreeSysroot *sysroot, const char *checksum)
{
  /* transfer container: the array is ours to free */
  g_autoptr (GPtrArray) all = ostree_sysroot_get_deployments (sysroot);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < all->len; i++)
    if (g_str_equal (ostree_deployment_get_csum (all->pdata[i]), checksum))
      return;
  if (!ostree_repo_delete_object (ostree_sysroot_repo (sysroot), OSTREE_OBJECT_TYPE_COMMIT,
                                  checksum, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Could not remove rejected commit %s: %s", checksum, error->message);
}

#define LOCK_POLL_USEC (100 * 1000)

gboolean
updraft_sysroot_lock (OstreeSysroot *sysroot, guint timeout_sec, GCancellable *cancellable,
                      GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_sec * G_USEC_PER_SEC;

  for (;;)
    {
      gboolean acquired = FALSE;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!ostree_sysroot_try_lock (sysroot, &acquired, error))
        return FALSE;
      if (acquired)
        return TRUE;
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_BUSY,
                       "The sysroot is locked by another process (ostree admin?) "
                       "and was not released within %u s", timeout_sec);
          return FALSE;
        }
      g_usleep (LOCK_POLL_USEC);
    }
}
