/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing the commit a release publishes: from a directory, or by re-issuing
 * an existing commit's tree, with the metadata devices check (version, ref
 * binding, device classes) and ostree.sizes, which devices use to bound what
 * they download. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "updraft-error.h"
#include "updraft-metadata.h"
#include "updraft-publish.h"

#define META_SIZES              "ostree.sizes"
#define META_COLLECTION_BINDING "ostree.collection-binding"

/* ---- ostree.sizes ------------------------------------------------------- */

static gint
compare_entries (gconstpointer a, gconstpointer b)
{
  const OstreeCommitSizesEntry *ea = *(const OstreeCommitSizesEntry *const *) a;
  const OstreeCommitSizesEntry *eb = *(const OstreeCommitSizesEntry *const *) b;

  return strcmp (ea->checksum, eb->checksum);
}

static gboolean
measure_object (OstreeRepo *repo, const char *checksum, OstreeObjectType objtype,
                guint64 *out_archived, guint64 *out_unpacked, GError **error)
{
  g_autoptr (GFileInfo) info = NULL;
  guint64 archived = 0;

  if (!ostree_repo_query_object_storage_size (repo, objtype, checksum, &archived, NULL, error))
    return FALSE;
  *out_archived = archived;
  *out_unpacked = archived;
  if (objtype != OSTREE_OBJECT_TYPE_FILE)
    return TRUE;
  if (!ostree_repo_load_file (repo, checksum, NULL, &info, NULL, NULL, error))
    return FALSE;
  /* A symlink counts the length of its target, as libostree's own
   * GENERATE_SIZES records it (load_file() reports size 0 for it). */
  if (g_file_info_get_file_type (info) == G_FILE_TYPE_SYMBOLIC_LINK)
    *out_unpacked = strlen (g_file_info_get_symlink_target (info));
  else
    *out_unpacked = (guint64) g_file_info_get_size (info);
  return TRUE;
}

GPtrArray *
updraft_publish_compute_sizes (OstreeRepo *repo, const char *checksum, GError **error)
{
  g_autoptr (GHashTable) reachable = NULL;
  g_autoptr (GPtrArray) entries
      = g_ptr_array_new_with_free_func ((GDestroyNotify) ostree_commit_sizes_entry_free);
  GHashTableIter iter;
  GVariant *name;

  /* Depth 0: this commit's objects, not its parents'. */
  if (!ostree_repo_traverse_commit (repo, checksum, 0, &reachable, NULL, error))
    {
      g_prefix_error (error, "listing the objects of %s: ", checksum);
      return NULL;
    }
  g_hash_table_iter_init (&iter, reachable);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
    {
      const char *object = NULL;
      OstreeObjectType objtype;
      guint64 archived = 0;
      guint64 unpacked = 0;

      ostree_object_name_deserialize (name, &object, &objtype);
      /* What libostree lists itself: content and directory objects, not the
       * commit (a device has it before it needs the sizes). */
      if (objtype != OSTREE_OBJECT_TYPE_FILE && objtype != OSTREE_OBJECT_TYPE_DIR_TREE
          && objtype != OSTREE_OBJECT_TYPE_DIR_META)
        continue;
      if (!measure_object (repo, object, objtype, &archived, &unpacked, error))
        {
          g_prefix_error (error, "measuring %s.%s: ", object,
                          ostree_object_type_to_string (objtype));
          return NULL;
        }
      g_ptr_array_add (entries,
                       ostree_commit_sizes_entry_new (object, objtype, unpacked, archived));
    }
  /* Sorted like libostree's own, so a reader may bsearch. */
  g_ptr_array_sort (entries, compare_entries);
  return g_steal_pointer (&entries);
}

/* Unsigned LEB128, libostree's varint. */
static void
append_varuint64 (GByteArray *buf, guint64 value)
{
  do
    {
      guint8 byte = value & 0x7f;

      value >>= 7;
      if (value != 0)
        byte |= 0x80;
      g_byte_array_append (buf, &byte, 1);
    }
  while (value != 0);
}

GVariant *
updraft_publish_encode_sizes (GPtrArray *entries)
{
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aay"));

  for (guint i = 0; i < entries->len; i++)
    {
      const OstreeCommitSizesEntry *e = entries->pdata[i];
      g_autoptr (GByteArray) buf = g_byte_array_sized_new (OSTREE_SHA256_DIGEST_LEN + 21);
      guint8 csum[OSTREE_SHA256_DIGEST_LEN];
      guint8 objtype = (guint8) e->objtype;
      g_autoptr (GBytes) bytes = NULL;

      ostree_checksum_inplace_to_bytes (e->checksum, csum);
      g_byte_array_append (buf, csum, sizeof csum);
      append_varuint64 (buf, e->archived);
      append_varuint64 (buf, e->unpacked);
      g_byte_array_append (buf, &objtype, 1);
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&buf));
      g_variant_builder_add_value (
          &builder, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
    }
  return g_variant_builder_end (&builder);
}

gboolean
updraft_publish_check_sizes (OstreeRepo *repo, const char *checksum, GPtrArray *entries,
                             GError **error)
{
  g_autoptr (GVariant) commit = NULL;
  g_autoptr (GPtrArray) read_back = NULL;

  if (!ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_COMMIT, checksum, &commit, error))
    return FALSE;
  if (!ostree_commit_get_object_sizes (commit, &read_back, error))
    {
      g_prefix_error (error, "reading back ostree.sizes of %s: ", checksum);
      return FALSE;
    }
  for (guint i = 0; i < MAX (entries->len, read_back->len); i++)
    {
      const OstreeCommitSizesEntry *want = i < entries->len ? entries->pdata[i] : NULL;
      const OstreeCommitSizesEntry *got = i < read_back->len ? read_back->pdata[i] : NULL;

      if (want == NULL || got == NULL || !g_str_equal (want->checksum, got->checksum)
          || want->objtype != got->objtype || want->archived != got->archived
          || want->unpacked != got->unpacked)
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                       "ostree.sizes of %s does not read back as written (entry %u)", checksum, i);
          return FALSE;
        }
    }
  return TRUE;
}

/* libostree generates sizes only in archive repositories and only when asked;
 * devices without them download without a size bound, so make sure. */
static gboolean
check_sizes_generated (OstreeRepo *repo, const char *checksum, GError **error)
{
  g_autoptr (GVariant) commit = NULL;
  g_autoptr (GPtrArray) entries = NULL;

  if (!ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_COMMIT, checksum, &commit, error)
      || !ostree_commit_get_object_sizes (commit, &entries, error))
    {
      g_prefix_error (error, "commit %s: ", checksum);
      return FALSE;
    }
  if (entries->len == 0)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "libostree wrote commit %s without %s", checksum, META_SIZES);
      return FALSE;
    }
  return TRUE;
}

/* ---- the tree ----------------------------------------------------------- */

static gboolean
is_dir (const char *tree, const char *rel)
{
  g_autofree char *path = g_build_filename (tree, rel, NULL);
  struct stat st;

  return lstat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* A kernel where libostree 2022.7 looks for one when deploying. */
static gboolean
has_kernel (const char *tree)
{
  g_autofree char *modules = g_build_filename (tree, "usr", "lib", "modules", NULL);
  g_autoptr (GDir) dir = g_dir_open (modules, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *vmlinuz = g_build_filename (modules, name, "vmlinuz", NULL);
      if (g_file_test (vmlinuz, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  return is_dir (tree, "usr/lib/ostree-boot") || is_dir (tree, "boot");
}

gboolean
updraft_publish_check_tree (const char *tree, GError **error)
{
  struct stat st;

  if (stat (tree, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "--tree %s: not a directory", tree);
      return FALSE;
    }
  /* What `ostree admin deploy` refuses: publishing such a tree would make
   * every device download an update it then cannot install. */
  if (!is_dir (tree, "usr"))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "--tree %s has no usr/ directory; it is not an OS tree a device can deploy",
                   tree);
      return FALSE;
    }
  if (!is_dir (tree, "var"))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "--tree %s has no var/ directory; libostree cannot deploy it", tree);
      return FALSE;
    }
  if (is_dir (tree, "etc") && is_dir (tree, "usr/etc"))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "--tree %s has both etc/ and usr/etc/; libostree refuses to deploy it", tree);
      return FALSE;
    }
  if (!has_kernel (tree))
    updraft_publish_warning ("--tree %s has no kernel (usr/lib/modules/*/vmlinuz); devices will "
                             "fail to deploy it unless it is added elsewhere",
                             tree);
  /* Files are committed with the owners they have on disk, like `ostree
   * commit` does: a tree built as an ordinary user installs as that user. */
  if (st.st_uid != 0)
    updraft_publish_warning ("--tree %s is owned by uid %u, not root; files are committed with "
                             "their owners on disk",
                             tree, (guint) st.st_uid);
  return TRUE;
}

/* ---- metadata ----------------------------------------------------------- */

static char *
join_strv_variant (GVariant *strv)
{
  g_autofree const char **items = g_variant_get_strv (strv, NULL);

  return g_strjoinv (", ", (char **) items);
}

/* Re-issuing a commit bound to other refs would let one ref's build be
 * published under another by mistake: a testing build as stable, one
 * product's image as another's. Unbound commits (no key, or the empty list
 * `ostree commit --orphan` writes) are free to publish. */
static gboolean
check_binding (GVariant *metadata, const char *checksum, const char *ref, GError **error)
{
  g_autoptr (GVariant) binding = g_variant_lookup_value (metadata, UPDRAFT_META_REF_BINDING, NULL);
  g_autofree const char **refs = NULL;
  g_autofree char *bound = NULL;

  if (binding == NULL)
    return TRUE;
  if (!g_variant_is_of_type (binding, G_VARIANT_TYPE_STRING_ARRAY))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "commit %s: %s has type %s, not as", checksum, UPDRAFT_META_REF_BINDING,
                   g_variant_get_type_string (binding));
      return FALSE;
    }
  refs = g_variant_get_strv (binding, NULL);
  if (refs[0] == NULL || g_strv_contains (refs, ref))
    return TRUE;
  bound = join_strv_variant (binding);
  g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET,
               "commit %s is bound to %s, not to %s; refusing to publish it under %s", checksum,
               bound, ref, ref);
  return FALSE;
}

static GVariant *
compatible_variant (const char *const *compatible)
{
  g_autoptr (GPtrArray) unique = g_ptr_array_new ();

  for (gsize i = 0; compatible[i] != NULL; i++)
    if (!g_ptr_array_find_with_equal_func (unique, compatible[i], g_str_equal, NULL))
      g_ptr_array_add (unique, (gpointer) compatible[i]);
  if (unique->len == 1)
    return g_variant_new_string (unique->pdata[0]);
  return g_variant_new_strv ((const char *const *) unique->pdata, unique->len);
}

/* The new commit's metadata: @old's keys (re-issue) except those this
 * release sets, then those. */
static GVariant *
build_metadata (OstreeRepo *repo, GVariant *old, const UpdraftPublishCommit *spec, GVariant *sizes)
{
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  gboolean set_compatible = spec->compatible != NULL && spec->compatible[0] != NULL;
  const char *collection_id = ostree_repo_get_collection_id (repo);
  const char *binding[] = { spec->ref, NULL };

  if (old != NULL)
    {
      GVariantIter iter;
      const char *key;
      GVariant *value;

      g_variant_iter_init (&iter, old);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
        {
          gboolean replaced
              = g_str_equal (key, UPDRAFT_META_REF_BINDING) || g_str_equal (key, META_SIZES)
                || (spec->version != NULL && g_str_equal (key, UPDRAFT_META_VERSION))
                || (set_compatible && g_str_equal (key, UPDRAFT_META_COMPATIBLE))
                || (collection_id != NULL && g_str_equal (key, META_COLLECTION_BINDING));
          if (!replaced)
            g_variant_builder_add (&builder, "{sv}", key, value);
          g_variant_unref (value);
        }
    }
  if (spec->version != NULL)
    g_variant_builder_add (&builder, "{sv}", UPDRAFT_META_VERSION,
                           g_variant_new_string (spec->version));
  g_variant_builder_add (&builder, "{sv}", UPDRAFT_META_REF_BINDING,
                         g_variant_new_strv (binding, -1));
  /* What `ostree commit` adds in a repository with a collection ID, so that
   * pulls that check collection bindings accept the commit. */
  if (collection_id != NULL)
    g_variant_builder_add (&builder, "{sv}", META_COLLECTION_BINDING,
                           g_variant_new_string (collection_id));
  if (set_compatible)
    g_variant_builder_add (&builder, "{sv}", UPDRAFT_META_COMPATIBLE,
                           compatible_variant (spec->compatible));
  if (sizes != NULL)
    g_variant_builder_add (&builder, "{sv}", META_SIZES, sizes);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* ---- writing ------------------------------------------------------------ */

static gboolean
write_tree (OstreeRepo *repo, const char *tree, GFile **out_root, GError **error)
{
  g_autoptr (OstreeMutableTree) mtree = ostree_mutable_tree_new ();
  g_autoptr (GFile) dir = g_file_new_for_path (tree);
  /* GENERATE_SIZES makes libostree record every object of the tree, and
   * write_commit then adds ostree.sizes to the metadata. */
  g_autoptr (OstreeRepoCommitModifier) modifier = ostree_repo_commit_modifier_new (
      OSTREE_REPO_COMMIT_MODIFIER_FLAGS_GENERATE_SIZES, NULL, NULL, NULL);

  if (!ostree_repo_write_directory_to_mtree (repo, dir, mtree, modifier, NULL, error)
      || !ostree_repo_write_mtree (repo, mtree, out_root, NULL, error))
    {
      g_prefix_error (error, "committing %s: ", tree);
      return FALSE;
    }
  return TRUE;
}

/* Everything written in one transaction, so a failure leaves no half-written
 * objects behind (the caller aborts it). */
static gboolean
write_in_transaction (OstreeRepo *repo, const UpdraftPublishCommit *spec, GVariant *metadata,
                      GFile *root, const char *subject, const char *body, char **out_checksum,
                      GError **error)
{
  g_autoptr (GFile) tree_root = NULL;

  if (spec->tree != NULL)
    {
      if (!write_tree (repo, spec->tree, &tree_root, error))
        return FALSE;
      root = tree_root;
    }
  if (!ostree_repo_write_commit_with_time (repo, spec->parent, subject, body, metadata,
                                           OSTREE_REPO_FILE (root), spec->timestamp, out_checksum,
                                           NULL, error))
    {
      g_prefix_error (error, "writing the commit: ");
      return FALSE;
    }
  return ostree_repo_commit_transaction (repo, NULL, NULL, error);
}

char *
updraft_publish_write_commit (OstreeRepo *repo, const UpdraftPublishCommit *spec, GError **error)
{
  g_autoptr (GVariant) old_commit = NULL;
  g_autoptr (GVariant) old_metadata = NULL;
  g_autoptr (GPtrArray) sizes = NULL;
  g_autoptr (GVariant) metadata = NULL;
  g_autoptr (GFile) root = NULL;
  g_autofree char *checksum = NULL;
  const char *subject = spec->subject;
  const char *body = spec->body;

  g_return_val_if_fail ((spec->tree == NULL) != (spec->from_commit == NULL), NULL);

  if (spec->from_commit != NULL)
    {
      if (!ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_COMMIT, spec->from_commit,
                                     &old_commit, error))
        return NULL;
      old_metadata = g_variant_get_child_value (old_commit, 0);
      if (!check_binding (old_metadata, spec->from_commit, spec->ref, error))
        return NULL;
      /* Same root, so the same objects: measured here, not by libostree,
       * because nothing is written that it could measure. */
      sizes = updraft_publish_compute_sizes (repo, spec->from_commit, error);
      if (sizes == NULL)
        return NULL;
      if (!ostree_repo_read_commit (repo, spec->from_commit, &root, NULL, NULL, error))
        return NULL;
      if (subject == NULL)
        g_variant_get_child (old_commit, 3, "&s", &subject);
      if (body == NULL)
        g_variant_get_child (old_commit, 4, "&s", &body);
    }
  metadata = build_metadata (repo, old_metadata, spec,
                             sizes != NULL ? updraft_publish_encode_sizes (sizes) : NULL);

  if (!ostree_repo_prepare_transaction (repo, NULL, NULL, error))
    return NULL;
  if (!write_in_transaction (repo, spec, metadata, root, subject != NULL ? subject : "",
                             body != NULL ? body : "", &checksum, error))
    {
      (void) ostree_repo_abort_transaction (repo, NULL, NULL);
      return NULL;
    }

  if (sizes != NULL && !updraft_publish_check_sizes (repo, checksum, sizes, error))
    return NULL;
  if (sizes == NULL && !check_sizes_generated (repo, checksum, error))
    return NULL;
  return g_steal_pointer (&checksum);
}
