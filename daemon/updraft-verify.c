/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verification policy. The bytes that are verified are the bytes that are
 * interpreted: the commit object file is read raw, checked against its
 * signature, and only then parsed (untrusted, normal form) for metadata. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "updraft-error.h"
#include "updraft-metadata.h"
#include "updraft-verify.h"
#include "updraft-version.h"

UpdraftKeyring *
updraft_verify_load_keyring (UpdraftConfig *config, const char *root, GPtrArray *warnings)
{
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();

  updraft_keyring_load_ostree_defaults (keyring, root, warnings);
  if (config->trusted_keys_dir != NULL)
    updraft_keyring_load_lenient (keyring, config->trusted_keys_dir, FALSE, warnings);
  if (config->revoked_keys_dir != NULL)
    updraft_keyring_load_lenient (keyring, config->revoked_keys_dir, TRUE, warnings);
  return g_steal_pointer (&keyring);
}

/* Reads a metadata object file; ENOENT gives *out = NULL and TRUE. */
static gboolean
read_object_file (OstreeRepo *repo, const char *checksum, const char *suffix, guint64 max_size,
                  GBytes **out, GError **error)
{
  g_autofree char *relpath = g_strdup_printf ("objects/%.2s/%s.%s", checksum, checksum + 2, suffix);
  g_autofree char *data = NULL;
  struct stat st;
  gsize done = 0;
  int fd;

  *out = NULL;
  fd = openat (ostree_repo_get_dfd (repo), relpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "Opening %s: %s", relpath,
                   g_strerror (errno));
      return FALSE;
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID, "%s is not a regular file",
                   relpath);
      return FALSE;
    }
  if ((guint64) st.st_size > max_size)
    {
      close (fd);
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "The %s of commit %s is %" G_GUINT64_FORMAT " bytes, over the %" G_GUINT64_FORMAT
                   "-byte limit",
                   suffix, checksum, (guint64) st.st_size, max_size);
      return FALSE;
    }
  data = g_malloc (st.st_size + 1);
  while (done < (gsize) st.st_size)
    {
      ssize_t n = read (fd, data + done, st.st_size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;
          close (fd);
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "Reading %s: %s", relpath,
                       n == 0 ? "unexpected end of file" : g_strerror (saved));
          return FALSE;
        }
      done += (gsize) n;
    }
  close (fd);
  *out = g_bytes_new_take (g_steal_pointer (&data), done);
  return TRUE;
}

gboolean
updraft_verify_read_commit (OstreeRepo *repo, const char *checksum, guint64 max_size,
                            GBytes **out_commit_bytes, GVariant **out_commit,
                            GVariant **out_detached, GError **error)
{
  g_autoptr (GBytes) commit_bytes = NULL;
  g_autoptr (GBytes) detached_bytes = NULL;
  g_autoptr (GVariant) commit = NULL;
  g_autoptr (GVariant) detached = NULL;

  if (!read_object_file (repo, checksum, "commit", max_size, &commit_bytes, error))
    return FALSE;
  if (commit_bytes == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "Commit %s is not in the repository",
                   checksum);
      return FALSE;
    }
  commit = g_variant_ref_sink (g_variant_new_from_bytes (OSTREE_COMMIT_GVARIANT_FORMAT, commit_bytes, FALSE));
  if (!g_variant_is_normal_form (commit))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "Commit %s is not a well-formed commit object", checksum);
      return FALSE;
    }

  if (!read_object_file (repo, checksum, "commitmeta", max_size, &detached_bytes, error))
    return FALSE;
  if (detached_bytes != NULL)
    {
      detached = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, detached_bytes, FALSE));
      if (!g_variant_is_normal_form (detached))
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                       "The detached metadata of commit %s is not a well-formed a{sv}", checksum);
          return FALSE;
        }
    }

  if (out_commit_bytes != NULL)
    *out_commit_bytes = g_steal_pointer (&commit_bytes);
  if (out_commit != NULL)
    *out_commit = g_steal_pointer (&commit);
  if (out_detached != NULL)
    *out_detached = g_steal_pointer (&detached);
  return TRUE;
}

static gboolean
check_expiry (const char *what, gint64 expires, gint64 now, GError **error)
{
  g_autoptr (GDateTime) when = NULL;
  g_autofree char *text = NULL;

  if (expires == 0 || now < expires)
    return TRUE;
  when = g_date_time_new_from_unix_utc (expires);
  text = when != NULL ? g_date_time_format_iso8601 (when) : g_strdup ("?");
  g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_EXPIRED,
               "The %s expired at %s; the update server is not publishing fresh metadata "
               "(or someone is replaying old metadata)",
               what, text);
  return FALSE;
}

gboolean
updraft_verify_summary (UpdraftConfig *config, UpdraftKeyring *keyring, GBytes *summary,
                        GBytes *summary_sig, gint64 now, gint64 *out_expires,
                        char **out_signed_by, GError **error)
{
  g_autoptr (GVariant) parsed = NULL;
  g_autoptr (GVariant) metadata = NULL;
  g_autoptr (GVariant) sig = NULL;
  g_autofree char *signed_by = NULL;
  gint64 expires = 0;

  *out_expires = 0;
  parsed = updraft_summary_parse (summary, error);
  if (parsed == NULL)
    return FALSE;

  if (config->require_signatures)
    {
      if (summary_sig != NULL)
        {
          sig = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, summary_sig, FALSE));
          if (!g_variant_is_normal_form (sig))
            {
              g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                           "summary.sig is not a well-formed a{sv}");
              return FALSE;
            }
        }
      if (!updraft_verify_signatures (keyring, summary, sig, "summary", &signed_by, error))
        return FALSE;
    }

  metadata = updraft_summary_get_metadata (parsed);
  if (!updraft_metadata_get_expiry (metadata, &expires, error))
    {
      g_prefix_error (error, "summary: ");
      return FALSE;
    }
  if (!check_expiry ("update server's signed summary", expires, now, error))
    return FALSE;

  *out_expires = expires;
  if (out_signed_by != NULL)
    *out_signed_by = g_steal_pointer (&signed_by);
  return TRUE;
}

gboolean
updraft_verify_not_downgrade (const char *what, guint64 timestamp, const char *version,
                              const UpdraftVerifyContext *ctx, GError **error)
{
  gboolean older_time = timestamp < ctx->current_timestamp;
  gboolean older_version = version != NULL && version[0] != '\0' && ctx->current_version != NULL &&
                           ctx->current_version[0] != '\0' &&
                           updraft_version_compare (version, ctx->current_version) < 0;

  if (ctx->allow_downgrade || (!older_time && !older_version))
    return TRUE;
  g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_DOWNGRADE,
               "%s (version %s, %" G_GUINT64_FORMAT ") is older than the current %s (version %s, %"
               G_GUINT64_FORMAT "); refusing to downgrade",
               what, version != NULL && version[0] != '\0' ? version : "unset", timestamp,
               ctx->current_commit, ctx->current_version[0] != '\0' ? ctx->current_version : "unset",
               ctx->current_timestamp);
  return FALSE;
}

gboolean
updraft_verify_commit (UpdraftConfig *config, UpdraftKeyring *keyring, OstreeRepo *repo,
                       const char *checksum, const UpdraftVerifyContext *ctx,
                       char **out_signed_by, GError **error)
{
  g_autoptr (GBytes) commit_bytes = NULL;
  g_autoptr (GVariant) commit = NULL;
  g_autoptr (GVariant) detached = NULL;
  g_autoptr (GVariant) metadata = NULL;
  g_autofree char *what = g_strdup_printf ("commit %s", checksum);
  g_autofree char *signed_by = NULL;
  const char *version = NULL;
  gint64 expires = 0;

  if (!updraft_verify_read_commit (repo, checksum, config->max_metadata_size, &commit_bytes,
                                   &commit, &detached, error))
    return FALSE;

  if (config->require_signatures &&
      !updraft_verify_signatures (keyring, commit_bytes, detached, what, &signed_by, error))
    return FALSE;

  /* From here on the commit's contents are signed (or signatures are off). */
  metadata = g_variant_get_child_value (commit, 0);
  if (!updraft_metadata_check_target (metadata, ctx->ref, config->compatible, what, error))
    return FALSE;

  if (ctx->check_expiry)
    {
      if (!updraft_metadata_get_expiry (metadata, &expires, error))
        {
          g_prefix_error (error, "%s: ", what);
          return FALSE;
        }
      /* The summary's expiry is the renewable one and wins when present. */
      if (ctx->summary_expires != 0)
        expires = ctx->summary_expires;
      else if (!check_expiry ("signed metadata of the update", expires, ctx->now, error))
        return FALSE;
      if (expires == 0 && config->require_expiry)
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_EXPIRED,
                       "Neither the summary nor %s carries an expiry (%s), and this device "
                       "requires one (RequireExpiry=true)",
                       what, UPDRAFT_META_EXPIRES);
          return FALSE;
        }
    }

  if (!g_variant_lookup (metadata, UPDRAFT_META_VERSION, "&s", &version))
    version = "";
  if (!updraft_verify_not_downgrade (what, ostree_commit_get_timestamp (commit), version, ctx, error))
    return FALSE;

  if (out_signed_by != NULL)
    *out_signed_by = g_steal_pointer (&signed_by);
  return TRUE;
}
