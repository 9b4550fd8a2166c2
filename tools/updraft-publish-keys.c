/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The publisher's keys: generating a key pair, loading the secret keys a
 * command is given, and turning them into signatures in OSTree's format.
 * Keys are read only through updraft_secret_key_load(); secret material is
 * wiped after use and never printed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/crypto.h>

#include "updraft-error.h"
#include "updraft-publish.h"

/* A string that held secret material: wiped before it is freed. */
typedef char UpdraftSecretString;

static void
secret_string_free (UpdraftSecretString *s)
{
  if (s == NULL)
    return;
  OPENSSL_cleanse (s, strlen (s));
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftSecretString, secret_string_free)

static gboolean
write_all (int fd, const char *data, gsize len, const char *path, GError **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "writing %s: %s", path,
                       g_strerror (errsv));
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Creates @path, which must not exist (O_EXCL, so two keygens cannot both
 * think they made it, and a symlink planted there is not followed). */
static gboolean
create_new_file (const char *path, const char *data, int mode, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  gboolean ok;

  if (fd < 0)
    {
      int errsv = errno;
      if (errsv == EEXIST)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                     "%s already exists; not overwriting a key (use --force to replace it)", path);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "creating %s: %s", path,
                     g_strerror (errsv));
      return FALSE;
    }
  ok = write_all (fd, data, strlen (data), path, error);
  if (ok && fsync (fd) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "writing %s: %s", path,
                   g_strerror (errsv));
      ok = FALSE;
    }
  close (fd);
  if (!ok)
    (void) g_unlink (path);
  return ok;
}

static gboolean
write_key_file (const char *path, const char *data, int mode, gboolean force, GError **error)
{
  if (!force)
    return create_new_file (path, data, mode, error);
  /* A temporary file created with @mode, then renamed: the secret is never
   * readable by others, not even for a moment, and an old file's mode does not
   * carry over. */
  if (!g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, error))
    {
      g_prefix_error (error, "writing %s: ", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
refuse_existing (const char *path, GError **error)
{
  struct stat st;

  if (lstat (path, &st) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "%s already exists; not overwriting a key (use --force to replace it)", path);
      return FALSE;
    }
  return TRUE;
}

char *
updraft_publish_keygen (const char *prefix, gboolean force, GError **error)
{
  g_autofree char *secret_path = g_strconcat (prefix, ".secret", NULL);
  g_autofree char *public_path = g_strconcat (prefix, ".pub", NULL);
  g_autoptr (UpdraftSecretKey) key = NULL;
  g_autoptr (UpdraftSecretKey) reloaded = NULL;
  g_autoptr (UpdraftSecretString) secret = NULL;
  g_autoptr (GBytes) public_key = NULL;
  g_autoptr (GBytes) reloaded_public = NULL;
  g_autofree char *public_b64 = NULL;
  g_autofree char *public_line = NULL;

  /* Both checked before either is written, so a refusal leaves nothing behind. */
  if (!force && (!refuse_existing (secret_path, error) || !refuse_existing (public_path, error)))
    return NULL;

  key = updraft_secret_key_generate (error);
  if (key == NULL)
    return NULL;
  secret = updraft_secret_key_to_base64 (key);
  public_key = updraft_secret_key_get_public (key);
  public_b64 = g_base64_encode (g_bytes_get_data (public_key, NULL), g_bytes_get_size (public_key));
  public_line = g_strconcat (public_b64, "\n", NULL);

  if (!write_key_file (secret_path, secret, 0600, force, error))
    return NULL;
  if (!write_key_file (public_path, public_line, 0644, force, error))
    {
      /* Without its public half the new secret is of no use; an old pair
       * (--force) has already lost its secret, so say so. */
      if (!force)
        (void) g_unlink (secret_path);
      else
        g_prefix_error (error, "%s was replaced but: ", secret_path);
      return NULL;
    }

  /* Read back through the one loader every command uses: proves the file is
   * in a form it accepts, with a mode it accepts. */
  reloaded = updraft_secret_key_load (secret_path, error);
  if (reloaded == NULL)
    return NULL;
  reloaded_public = updraft_secret_key_get_public (reloaded);
  if (!g_bytes_equal (reloaded_public, public_key))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "%s does not read back as the key just generated", secret_path);
      return NULL;
    }

  updraft_publish_info ("Wrote %s (keep it secret; mode 0600) and %s", secret_path, public_path);
  return updraft_key_id (g_bytes_get_data (public_key, NULL));
}

GPtrArray *
updraft_publish_load_secret_keys (const char *const *paths, GError **error)
{
  g_autoptr (GPtrArray) keys
      = g_ptr_array_new_with_free_func ((GDestroyNotify) updraft_secret_key_free);
  g_autoptr (GPtrArray) publics = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (gsize i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autoptr (UpdraftSecretKey) key = updraft_secret_key_load (paths[i], error);
      g_autoptr (GBytes) public_key = NULL;

      if (key == NULL)
        return NULL;
      public_key = updraft_secret_key_get_public (key);
      if (g_ptr_array_find_with_equal_func (publics, public_key, (GEqualFunc) g_bytes_equal, NULL))
        continue;
      g_ptr_array_add (publics, g_steal_pointer (&public_key));
      g_ptr_array_add (keys, g_steal_pointer (&key));
    }
  if (keys->len == 0)
    {
      g_set_error_literal (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                           "no signing key given (--key)");
      return NULL;
    }
  return g_steal_pointer (&keys);
}

char *
updraft_publish_describe_keys (GPtrArray *keys)
{
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; i < keys->len; i++)
    {
      g_autoptr (GBytes) public_key = updraft_secret_key_get_public (keys->pdata[i]);
      g_autofree char *id = updraft_key_id (g_bytes_get_data (public_key, NULL));

      g_string_append_printf (out, "%s%s", i > 0 ? ", " : (keys->len > 1 ? "keys " : "key "), id);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

GVariant *
updraft_publish_sign_data (GPtrArray *keys, GBytes *data, GVariant *metadata, const char *what,
                           GError **error)
{
  g_autoptr (GVariant) current = metadata != NULL ? g_variant_ref (metadata) : NULL;
  g_autoptr (GVariant) sigs = NULL;

  for (guint i = 0; i < keys->len; i++)
    {
      g_autoptr (GBytes) signature = updraft_secret_key_sign (keys->pdata[i], data, error);
      g_autoptr (GBytes) public_key = updraft_secret_key_get_public (keys->pdata[i]);
      g_autoptr (GVariant) next = NULL;

      if (signature == NULL)
        {
          g_prefix_error (error, "signing %s: ", what);
          return NULL;
        }
      next = updraft_metadata_add_signature (current, signature, public_key);
      g_clear_pointer (&current, g_variant_unref);
      current = g_steal_pointer (&next);
    }

  /* Devices refuse an object with more signatures than this as an attack;
   * better to stop here than to publish something no device installs. */
  sigs = g_variant_lookup_value (current, UPDRAFT_SIGN_ED25519_KEY, G_VARIANT_TYPE ("aay"));
  if (sigs != NULL && g_variant_n_children (sigs) > UPDRAFT_SIGN_MAX_SIGNATURES)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "%s would carry %" G_GSIZE_FORMAT " signatures; devices accept at most %u", what,
                   g_variant_n_children (sigs), (guint) UPDRAFT_SIGN_MAX_SIGNATURES);
      return NULL;
    }
  return g_steal_pointer (&current);
}
