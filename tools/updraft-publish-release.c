/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A release, in the order that keeps devices safe: everything is checked
 * before anything is written; the commit is written, signed and given its
 * static deltas while no ref points at it; only then does the ref move and
 * the signed summary announce it. A failure before the ref moves publishes
 * nothing. */
#include "config.h"

#include "updraft-error.h"
#include "updraft-metadata.h"
#include "updraft-publish.h"
#include "updraft-version.h"

/* The defaults of `ostree static-delta generate`, spelled out so that what is
 * published does not change with libostree's defaults. Sizes are in MB. */
static GVariant *
delta_params (void)
{
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_variant_builder_add (&builder, "{sv}", "min-fallback-size", g_variant_new_uint32 (4));
  g_variant_builder_add (&builder, "{sv}", "max-bsdiff-size", g_variant_new_uint32 (128));
  g_variant_builder_add (&builder, "{sv}", "max-chunk-size", g_variant_new_uint32 (32));
  g_variant_builder_add (&builder, "{sv}", "bsdiff-enabled", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&builder, "{sv}", "inline-parts", g_variant_new_boolean (FALSE));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* The commits to make deltas from: --delta-from, or else the ref's previous
 * commit. Resolved before anything is written so a typo costs nothing. */
static GPtrArray *
resolve_delta_sources (OstreeRepo *repo, const UpdraftPublishRelease *release, const char *parent,
                       GError **error)
{
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local_error = NULL;

  if (release->no_delta)
    return g_steal_pointer (&sources);
  if (release->delta_from != NULL && release->delta_from[0] != NULL)
    {
      for (gsize i = 0; release->delta_from[i] != NULL; i++)
        {
          g_autofree char *from
              = updraft_publish_resolve_commit (repo, release->delta_from[i], NULL, error);

          if (from == NULL || !updraft_publish_require_complete (repo, from, error))
            {
              g_prefix_error (error, "--delta-from: ");
              return NULL;
            }
          if (!g_ptr_array_find_with_equal_func (sources, from, g_str_equal, NULL))
            g_ptr_array_add (sources, g_steal_pointer (&from));
        }
      return g_steal_pointer (&sources);
    }
  if (parent == NULL)
    return g_steal_pointer (&sources);
  /* The previous commit may be only partly here (a repository that was
   * mirrored with a depth): no delta then, but no reason to fail either. */
  if (!updraft_publish_require_complete (repo, parent, &local_error))
    {
      updraft_publish_warning ("no static delta from the previous commit: %s",
                               local_error->message);
      return g_steal_pointer (&sources);
    }
  g_ptr_array_add (sources, g_strdup (parent));
  return g_steal_pointer (&sources);
}

/* Devices refuse commits older than the one they run, by timestamp or by
 * version; publishing one is allowed (to test exactly that), but never
 * silently. */
static void
warn_if_downgrade (OstreeRepo *repo, const char *parent, guint64 timestamp, const char *version)
{
  g_autoptr (GVariant) commit = NULL;
  g_autoptr (GVariant) metadata = NULL;
  g_autofree char *when = NULL;
  g_autofree char *parent_when = NULL;
  const char *parent_version = NULL;
  guint64 parent_timestamp;

  if (parent == NULL
      || !ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_COMMIT, parent, &commit, NULL))
    return;
  parent_timestamp = ostree_commit_get_timestamp (commit);
  if (timestamp < parent_timestamp)
    {
      when = updraft_publish_format_time ((gint64) timestamp);
      parent_when = updraft_publish_format_time ((gint64) parent_timestamp);
      updraft_publish_warning ("the commit time %s is older than that of the previous commit %s "
                               "(%s); devices will refuse it as a downgrade",
                               when, parent, parent_when);
    }
  metadata = g_variant_get_child_value (commit, 0);
  if (version == NULL || !g_variant_lookup (metadata, UPDRAFT_META_VERSION, "&s", &parent_version))
    return;
  if (updraft_version_compare (version, parent_version) < 0)
    updraft_publish_warning ("version %s is older than the previous commit's %s; devices will "
                             "refuse it as a downgrade",
                             version, parent_version);
  else if (g_str_equal (version, parent_version))
    updraft_publish_warning ("version %s is the same as the previous commit's", version);
}

static gboolean
generate_deltas (OstreeRepo *repo, GPtrArray *sources, const char *to, GError **error)
{
  g_autoptr (GVariant) params = delta_params ();

  for (guint i = 0; i < sources->len; i++)
    {
      const char *from = sources->pdata[i];

      if (g_str_equal (from, to))
        continue;
      updraft_publish_info ("Generating the static delta %s-%s", from, to);
      if (!ostree_repo_static_delta_generate (repo, OSTREE_STATIC_DELTA_GENERATE_OPT_MAJOR, from,
                                              to, NULL, params, NULL, error))
        {
          g_prefix_error (error, "generating the static delta %s-%s: ", from, to);
          return FALSE;
        }
    }
  return TRUE;
}

/* Everything that needs no writing: the previous commit, the source commit
 * or tree, the delta sources. */
static gboolean
prepare_release (OstreeRepo *repo, const UpdraftPublishRelease *release, char **out_parent,
                 char **out_source, GPtrArray **out_delta_sources, GError **error)
{
  g_autofree char *parent = NULL;
  g_autofree char *source = NULL;

  if (!ostree_repo_resolve_rev (repo, release->ref, TRUE, &parent, error))
    return FALSE;
  if (release->commit != NULL)
    {
      source = updraft_publish_resolve_commit (repo, release->commit, NULL, error);
      if (source == NULL || !updraft_publish_require_complete (repo, source, error))
        {
          g_prefix_error (error, "--commit: ");
          return FALSE;
        }
    }
  else if (!updraft_publish_check_tree (release->tree, error))
    return FALSE;
  *out_delta_sources = resolve_delta_sources (repo, release, parent, error);
  if (*out_delta_sources == NULL)
    return FALSE;
  *out_parent = g_steal_pointer (&parent);
  *out_source = g_steal_pointer (&source);
  return TRUE;
}

/* A failure before the ref moves: say what state the repository is in. */
static char *
unpublished (const UpdraftPublishRelease *release, const char *parent, const char *checksum)
{
  updraft_publish_warning ("nothing was published: %s still points at %s, and commit %s is "
                           "unreferenced (`ostree prune --refs-only` removes it)",
                           release->ref, parent != NULL ? parent : "nothing", checksum);
  return NULL;
}

char *
updraft_publish_release (OstreeRepo *repo, GPtrArray *keys, const UpdraftPublishRelease *release,
                         GError **error)
{
  g_autofree char *parent = NULL;
  g_autofree char *source = NULL;
  g_autoptr (GPtrArray) delta_sources = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *signers = NULL;
  UpdraftPublishCommit spec = { 0 };
  gboolean changed = FALSE;

  if (!prepare_release (repo, release, &parent, &source, &delta_sources, error))
    return NULL;

  spec.ref = release->ref;
  spec.tree = release->tree;
  spec.from_commit = source;
  spec.parent = parent;
  spec.version = release->version;
  spec.subject = release->subject;
  spec.body = release->body;
  spec.compatible = release->compatible;
  spec.timestamp = release->have_timestamp ? release->timestamp
                                           : (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  warn_if_downgrade (repo, parent, spec.timestamp, release->version);

  checksum = updraft_publish_write_commit (repo, &spec, error);
  if (checksum == NULL)
    return NULL;
  updraft_publish_info ("Wrote commit %s", checksum);

  /* Signed before the deltas: a delta's superblock carries its target's
   * detached metadata as it is when the delta is made. */
  if (!updraft_publish_sign_commit (repo, checksum, keys, &changed, error))
    return unpublished (release, parent, checksum);
  signers = updraft_publish_describe_keys (keys);
  updraft_publish_info ("Signed commit %s with %s", checksum, signers);
  if (!generate_deltas (repo, delta_sources, checksum, error))
    return unpublished (release, parent, checksum);

  if (!ostree_repo_set_ref_immediate (repo, NULL, release->ref, checksum, NULL, error))
    {
      g_prefix_error (error, "moving %s to %s: ", release->ref, checksum);
      return NULL;
    }
  updraft_publish_info ("%s now points at %s", release->ref, checksum);

  if (!updraft_publish_update_summary (repo, keys, release->expires_in, error))
    {
      updraft_publish_warning ("%s points at %s, but devices will not see it until the summary is "
                               "regenerated and signed (`updraft-publish renew`)",
                               release->ref, checksum);
      return NULL;
    }
  return g_steal_pointer (&checksum);
}
