/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `updraft-publish verify`: checks a published commit and the summary the
 * way a device does (same library, same verdicts), against public key files
 * the pipeline names, so a release can be checked before devices see it. */
#include "config.h"

#include <sys/stat.h>

#include "updraft-error.h"
#include "updraft-metadata.h"
#include "updraft-publish.h"

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
load_key_file (const char *path, GPtrArray *keys, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr (GPtrArray) parsed = NULL;
  gsize len = 0;
  struct stat st;

  if (stat (path, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > UPDRAFT_KEYFILE_MAX_SIZE)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "%s: not a public key file (a regular file of at most %u bytes)", path,
                   (guint) UPDRAFT_KEYFILE_MAX_SIZE);
      return FALSE;
    }
  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  parsed = updraft_parse_public_keys (data, len, path, error);
  if (parsed == NULL)
    return FALSE;
  g_ptr_array_extend_and_steal (keys, g_steal_pointer (&parsed));
  return TRUE;
}

/* Unlike a device's key directories, a path named on the command line must
 * exist and hold keys: a typo must not turn into "trusts nothing". */
static GPtrArray *
load_public_keys (const char *const *paths, const char *option, GError **error)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (gsize i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GDir) dir = NULL;
      const char *name;

      if (!g_file_test (paths[i], G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s %s: no such file", option,
                       paths[i]);
          return NULL;
        }
      if (!g_file_test (paths[i], G_FILE_TEST_IS_DIR))
        {
          if (!load_key_file (paths[i], found, error))
            return NULL;
        }
      else
        {
          /* A directory of key files, read the way devices read theirs. */
          dir = g_dir_open (paths[i], 0, error);
          if (dir == NULL)
            return NULL;
          while ((name = g_dir_read_name (dir)) != NULL)
            if (name[0] != '.')
              g_ptr_array_add (names, g_build_filename (paths[i], name, NULL));
          g_ptr_array_sort (names, compare_strings);
          for (guint n = 0; n < names->len; n++)
            if (g_file_test (names->pdata[n], G_FILE_TEST_IS_REGULAR)
                && !load_key_file (names->pdata[n], found, error))
              return NULL;
        }
      if (found->len == 0)
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "%s %s: no public keys in it",
                       option, paths[i]);
          return NULL;
        }
      g_ptr_array_extend_and_steal (keys, g_steal_pointer (&found));
    }
  return g_steal_pointer (&keys);
}

/* The verdict is the library's; this only lists every trusted key with a
 * valid signature, for key rotations, where an object carries several. */
static char *
describe_signers (GPtrArray *trusted, UpdraftKeyring *keyring, GBytes *data, GVariant *metadata,
                  const char *verdict_key_id)
{
  g_autoptr (GString) out = g_string_new (verdict_key_id);
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (seen, g_strdup (verdict_key_id));
  for (guint i = 0; i < trusted->len; i++)
    {
      g_autoptr (UpdraftKeyring) one = updraft_keyring_new ();
      g_autofree char *id = NULL;

      if (!updraft_keyring_is_trusted (keyring, trusted->pdata[i]))
        continue;
      updraft_keyring_add_trusted (one, trusted->pdata[i]);
      if (!updraft_verify_signatures (one, data, metadata, "object", &id, NULL))
        continue;
      if (g_ptr_array_find_with_equal_func (seen, id, g_str_equal, NULL))
        continue;
      g_string_append_printf (out, ", %s", id);
      g_ptr_array_add (seen, g_steal_pointer (&id));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
verify_commit (OstreeRepo *repo, UpdraftKeyring *keyring, GPtrArray *trusted, const char *rev,
               GError **error)
{
  g_autofree char *checksum = NULL;
  g_autofree char *what = NULL;
  g_autofree char *key_id = NULL;
  g_autofree char *signers = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GVariant) commit = NULL;
  g_autoptr (GVariant) detached = NULL;
  g_autoptr (GVariant) metadata = NULL;
  gboolean is_ref = FALSE;

  checksum = updraft_publish_resolve_commit (repo, rev, &is_ref, error);
  if (checksum == NULL)
    return FALSE;
  what = g_strdup_printf ("commit %s", checksum);
  bytes = updraft_publish_read_commit_bytes (repo, checksum, error);
  if (bytes == NULL)
    return FALSE;
  if (!ostree_repo_read_commit_detached_metadata (repo, checksum, &detached, NULL, error))
    {
      g_prefix_error (error, "reading the detached metadata of %s: ", what);
      return FALSE;
    }
  if (!updraft_verify_signatures (keyring, bytes, detached, what, &key_id, error))
    return FALSE;

  /* Named by ref: a device following that ref checks the binding too. */
  if (is_ref)
    {
      g_autofree char *remote = NULL;
      g_autofree char *ref = NULL;

      commit = g_variant_ref_sink (
          g_variant_new_from_bytes (OSTREE_COMMIT_GVARIANT_FORMAT, bytes, FALSE));
      metadata = g_variant_get_child_value (commit, 0);
      if (!ostree_parse_refspec (rev, &remote, &ref, error)
          || !updraft_metadata_check_target (metadata, ref, NULL, what, error))
        return FALSE;
    }

  signers = describe_signers (trusted, keyring, bytes, detached, key_id);
  g_print ("commit %s: signed by %s\n", checksum, signers);
  return TRUE;
}

static gboolean
verify_summary (OstreeRepo *repo, UpdraftKeyring *keyring, GPtrArray *trusted, GError **error)
{
  g_autoptr (GBytes) summary = NULL;
  g_autoptr (GBytes) sig_bytes = NULL;
  g_autoptr (GVariant) sig = NULL;
  g_autoptr (GVariant) parsed = NULL;
  g_autoptr (GVariant) metadata = NULL;
  g_autofree char *key_id = NULL;
  g_autofree char *signers = NULL;
  g_autofree char *expiry = NULL;
  gint64 expires = 0;

  if (!updraft_publish_read_repo_file (repo, "summary", &summary, error))
    return FALSE;
  if (summary == NULL)
    return TRUE;
  if (!updraft_publish_read_repo_file (repo, "summary.sig", &sig_bytes, error))
    return FALSE;
  if (sig_bytes != NULL)
    {
      sig = g_variant_ref_sink (
          g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, sig_bytes, FALSE));
      if (!g_variant_is_normal_form (sig))
        {
          g_set_error_literal (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                               "summary.sig is not a well-formed a{sv}");
          return FALSE;
        }
    }
  if (!updraft_verify_signatures (keyring, summary, sig, "summary", &key_id, error))
    return FALSE;

  parsed = updraft_summary_parse (summary, error);
  if (parsed == NULL)
    return FALSE;
  metadata = updraft_summary_get_metadata (parsed);
  if (!updraft_metadata_get_expiry (metadata, &expires, error))
    {
      g_prefix_error (error, "summary: ");
      return FALSE;
    }
  if (expires != 0)
    expiry = updraft_publish_format_time (expires);
  /* Devices refuse an expired summary; so does a pipeline check. */
  if (expires != 0 && expires <= g_get_real_time () / G_USEC_PER_SEC)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_EXPIRED,
                   "the summary expired at %s; devices refuse it (`updraft-publish renew` "
                   "renews it)",
                   expiry);
      return FALSE;
    }

  signers = describe_signers (trusted, keyring, summary, sig, key_id);
  if (expiry != NULL)
    g_print ("summary: signed by %s, expires %s\n", signers, expiry);
  else
    g_print ("summary: signed by %s, never expires\n", signers);
  return TRUE;
}

gboolean
updraft_publish_verify (OstreeRepo *repo, const char *rev, const char *const *trusted,
                        const char *const *revoked, GError **error)
{
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GPtrArray) trusted_keys = NULL;
  g_autoptr (GPtrArray) revoked_keys = NULL;

  trusted_keys = load_public_keys (trusted, "--trusted", error);
  if (trusted_keys == NULL)
    return FALSE;
  revoked_keys = load_public_keys (revoked, "--revoked", error);
  if (revoked_keys == NULL)
    return FALSE;
  for (guint i = 0; i < trusted_keys->len; i++)
    updraft_keyring_add_trusted (keyring, trusted_keys->pdata[i]);
  for (guint i = 0; i < revoked_keys->len; i++)
    updraft_keyring_add_revoked (keyring, revoked_keys->pdata[i]);

  /* The first failure is the answer; stdout holds only what verified. */
  return verify_commit (repo, keyring, trusted_keys, rev, error)
         && verify_summary (repo, keyring, trusted_keys, error);
}
