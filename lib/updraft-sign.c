/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ed25519 in OSTree's format: public key files and the keyring, the verdict on
 * an object's signatures, and the publisher's secret key.
 *
 * Everything read here is hostile until proven otherwise: detached metadata
 * and summary.sig come from the network, key files from a disk an attacker
 * may have written to. Sizes are bounded before anything is allocated or
 * looped over, GVariant types are checked before values are used, and base64
 * is decoded strictly. Secret key material is wiped when freed and never
 * appears in a message. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "updraft-error.h"
#include "updraft-openssl.h"
#include "updraft-sign.h"

/* Length of the padded base64 encoding of @n bytes. */
#define BASE64_LEN(n) ((((n) + 2) / 3) * 4)

#define OSTREE_SECRET_KEY_LEN (UPDRAFT_ED25519_SEED_LEN + UPDRAFT_ED25519_PUBLIC_KEY_LEN)

/* ---- small helpers ------------------------------------------------------- */

typedef int UpdraftFd;

static void
close_fd (UpdraftFd *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UpdraftFd, close_fd)

/* A key file's bytes. Wiped on free, since it may hold a secret key. */
typedef struct
{
  char *data;
  gsize len;
  gsize allocated;
} KeyFileContents;

static void
key_file_contents_free (KeyFileContents *contents)
{
  if (contents == NULL)
    return;
  if (contents->data != NULL)
    OPENSSL_cleanse (contents->data, contents->allocated);
  g_free (contents->data);
  g_free (contents);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KeyFileContents, key_file_contents_free)

static char *
key_id_of_bytes (GBytes *public_key)
{
  g_assert (g_bytes_get_size (public_key) == UPDRAFT_ED25519_PUBLIC_KEY_LEN);
  return updraft_key_id (g_bytes_get_data (public_key, NULL));
}

static void
strip_span (const char **text, gsize *len)
{
  while (*len > 0 && g_ascii_isspace ((*text)[0]))
    {
      (*text)++;
      (*len)--;
    }
  while (*len > 0 && g_ascii_isspace ((*text)[*len - 1]))
    (*len)--;
}

static gint
base64_value (guchar c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* g_base64_decode() skips characters outside the alphabet and decodes any
 * length, so a garbled line would still become "a key". Key material must be
 * the canonical, padded encoding of exactly @out_len bytes: right length,
 * alphabet only, '=' only as padding, unused trailing bits zero. Decoding here
 * rather than through GLib also keeps secret bytes out of heap copies. */
static gboolean
base64_decode_exact (const char *text, gsize text_len, guint8 *out, gsize out_len)
{
  gsize n_pad = (3 - out_len % 3) % 3;
  guint32 acc = 0;
  guint bits = 0;
  gsize o = 0;

  if (text_len != BASE64_LEN (out_len))
    return FALSE;
  for (gsize i = 0; i < text_len; i++)
    {
      gint v;

      if (i >= text_len - n_pad)
        {
          if (text[i] != '=')
            return FALSE;
          continue;
        }
      v = base64_value ((guchar)text[i]);
      if (v < 0)
        return FALSE;
      acc = (acc << 6) | (guint32)v;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          if (o >= out_len)
            return FALSE;
          out[o++] = (guint8)(acc >> bits);
        }
    }
  if ((acc & ((1u << bits) - 1)) != 0)
    return FALSE;
  return o == out_len;
}

/* Reads a key file without trusting it: regular files only (a FIFO or a device
 * would block or never end), at most UPDRAFT_KEYFILE_MAX_SIZE bytes, and for a
 * secret key no access at all for group or others. Checks are made on the
 * opened descriptor so the file cannot be swapped between check and read. */
static KeyFileContents *
read_key_file (const char *path, gboolean secret, GError **error)
{
  gint code = secret ? UPDRAFT_ERROR_CONFIG : UPDRAFT_ERROR_METADATA_INVALID;
  g_autoptr (KeyFileContents) contents = g_new0 (KeyFileContents, 1);
  g_auto (UpdraftFd) fd = -1;
  struct stat st;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", path,
                   g_strerror (errsv));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, UPDRAFT_ERROR, code, "%s: not a regular file", path);
      return NULL;
    }
  if (secret && (st.st_mode & 077) != 0)
    {
      g_set_error (error, UPDRAFT_ERROR, code,
                   "%s: secret key is accessible by group or others (mode %04o); "
                   "refusing it, chmod it to 0600",
                   path, (guint)(st.st_mode & 07777));
      return NULL;
    }
  if (st.st_size > UPDRAFT_KEYFILE_MAX_SIZE)
    {
      g_set_error (error, UPDRAFT_ERROR, code, "%s: larger than %u bytes", path,
                   (guint)UPDRAFT_KEYFILE_MAX_SIZE);
      return NULL;
    }

  /* One byte more than allowed, to notice a file that grew after fstat(). */
  contents->allocated = UPDRAFT_KEYFILE_MAX_SIZE + 1;
  contents->data = g_malloc (contents->allocated);
  while (contents->len < contents->allocated)
    {
      ssize_t n = read (fd, contents->data + contents->len, contents->allocated - contents->len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "reading %s: %s", path,
                       g_strerror (errsv));
          return NULL;
        }
      if (n == 0)
        break;
      contents->len += (gsize)n;
    }
  if (contents->len > UPDRAFT_KEYFILE_MAX_SIZE)
    {
      g_set_error (error, UPDRAFT_ERROR, code, "%s: larger than %u bytes", path,
                   (guint)UPDRAFT_KEYFILE_MAX_SIZE);
      return NULL;
    }
  return g_steal_pointer (&contents);
}

/* ---- public key files ---------------------------------------------------- */

char *
updraft_key_id (const guint8 public_key[UPDRAFT_ED25519_PUBLIC_KEY_LEN])
{
  g_autofree char *hex
      = g_compute_checksum_for_data (G_CHECKSUM_SHA256, public_key, UPDRAFT_ED25519_PUBLIC_KEY_LEN);

  return g_strndup (hex, 16);
}

GPtrArray *
updraft_parse_public_keys (const char *data, gsize len, const char *origin, GError **error)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  const char *p = data;
  const char *end;
  guint line_no = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  if (len > UPDRAFT_KEYFILE_MAX_SIZE)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID, "%s: larger than %u bytes",
                   origin, (guint)UPDRAFT_KEYFILE_MAX_SIZE);
      return NULL;
    }
  if (len == 0)
    return g_steal_pointer (&keys);

  /* Lines are split by hand rather than with g_strsplit(): the data has a
   * length, not a terminator, and an embedded NUL must fail the line rather
   * than end the file early. */
  end = data + len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize)(end - p));
      const char *line = p;
      gsize line_len = (gsize)((nl != NULL ? nl : end) - p);
      guint8 key[UPDRAFT_ED25519_PUBLIC_KEY_LEN];

      line_no++;
      p = nl != NULL ? nl + 1 : end;
      strip_span (&line, &line_len);
      if (line_len == 0 || line[0] == '#')
        continue;
      if (keys->len >= UPDRAFT_KEYRING_MAX_KEYS)
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                       "%s:%u: more than %u keys in one file", origin, line_no,
                       (guint)UPDRAFT_KEYRING_MAX_KEYS);
          return NULL;
        }
      if (!base64_decode_exact (line, line_len, key, sizeof key))
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                       "%s:%u: not the base64 encoding of a %u-byte Ed25519 public key", origin,
                       line_no, (guint)UPDRAFT_ED25519_PUBLIC_KEY_LEN);
          return NULL;
        }
      g_ptr_array_add (keys, g_bytes_new (key, sizeof key));
    }
  return g_steal_pointer (&keys);
}

/* ---- the keyring --------------------------------------------------------- */

/* Built once, then only read: lookups from several threads are safe, adding
 * keys while another thread verifies is not. */
struct _UpdraftKeyring
{
  gint ref_count;
  GHashTable *trusted; /* GBytes set */
  GHashTable *revoked; /* GBytes set */
  /* Set when a revocation list could not be read: which keys are revoked is
   * then unknown, so nothing verifies until it is fixed (fail closed). */
  char *revocation_error;
};

static GHashTable *
key_set_new (void)
{
  return g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
}

UpdraftKeyring *
updraft_keyring_new (void)
{
  UpdraftKeyring *self = g_new0 (UpdraftKeyring, 1);

  self->ref_count = 1;
  self->trusted = key_set_new ();
  self->revoked = key_set_new ();
  return self;
}

UpdraftKeyring *
updraft_keyring_ref (UpdraftKeyring *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
updraft_keyring_unref (UpdraftKeyring *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_hash_table_unref (self->trusted);
  g_hash_table_unref (self->revoked);
  g_free (self->revocation_error);
  g_free (self);
}

/* The add functions take keys from Updraft's own code, so they are not capped;
 * the load functions, which read files, are. */
void
updraft_keyring_add_trusted (UpdraftKeyring *self, GBytes *public_key)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (public_key != NULL);
  g_return_if_fail (g_bytes_get_size (public_key) == UPDRAFT_ED25519_PUBLIC_KEY_LEN);
  g_hash_table_add (self->trusted, g_bytes_ref (public_key));
}

void
updraft_keyring_add_revoked (UpdraftKeyring *self, GBytes *public_key)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (public_key != NULL);
  g_return_if_fail (g_bytes_get_size (public_key) == UPDRAFT_ED25519_PUBLIC_KEY_LEN);
  g_hash_table_add (self->revoked, g_bytes_ref (public_key));
}

static void
move_keys (GHashTable *from, GHashTable *to)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, from);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_hash_table_add (to, key);
      g_hash_table_iter_steal (&iter);
    }
}

/* Parses one key file into @pending, keeping @existing plus @pending within
 * UPDRAFT_KEYRING_MAX_KEYS. On failure @pending is unchanged. */
static gboolean
collect_file (GHashTable *existing, GHashTable *pending, const char *path, GError **error)
{
  g_autoptr (KeyFileContents) contents = read_key_file (path, FALSE, error);
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GHashTable) fresh = key_set_new ();

  if (contents == NULL)
    return FALSE;
  keys = updraft_parse_public_keys (contents->data, contents->len, path, error);
  if (keys == NULL)
    return FALSE;
  for (guint i = 0; i < keys->len; i++)
    {
      GBytes *key = keys->pdata[i];

      if (!g_hash_table_contains (existing, key) && !g_hash_table_contains (pending, key))
        g_hash_table_add (fresh, g_bytes_ref (key));
    }
  if (g_hash_table_size (existing) + g_hash_table_size (pending) + g_hash_table_size (fresh)
      > UPDRAFT_KEYRING_MAX_KEYS)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "%s: the keyring would hold more than %u keys", path,
                   (guint)UPDRAFT_KEYRING_MAX_KEYS);
      return FALSE;
    }
  move_keys (fresh, pending);
  return TRUE;
}

/* With @warnings, a failure is recorded there and the caller carries on;
 * without, it is the caller's failure. */
static gboolean
fail_or_warn (GPtrArray *warnings, GError **error, GError **local_error)
{
  if (warnings == NULL)
    {
      g_propagate_error (error, g_steal_pointer (local_error));
      return FALSE;
    }
  g_ptr_array_add (warnings, g_strdup ((*local_error)->message));
  g_clear_error (local_error);
  return TRUE;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static gboolean
collect_dir (GHashTable *existing, GHashTable *pending, const char *path, GPtrArray *warnings,
             GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GDir) dir = g_dir_open (path, 0, &local_error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return fail_or_warn (warnings, error, &local_error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (name[0] == '.')
        continue;
      g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *file = g_build_filename (path, names->pdata[i], NULL);
      struct stat st;

      /* stat(), not lstat(): a symlink to a key elsewhere is a key file. A
       * dangling link or a subdirectory is not one, and is skipped. */
      if (stat (file, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      if (!collect_file (existing, pending, file, &local_error)
          && !fail_or_warn (warnings, error, &local_error))
        return FALSE;
    }
  return TRUE;
}

/* Loads @path (a key file or a directory of them) into @set. Without
 * @warnings it is all or nothing; with them, each bad file is reported and
 * skipped. */
static gboolean
keyring_load (GHashTable *set, const char *path, GPtrArray *warnings, GError **error)
{
  g_autoptr (GHashTable) pending = key_set_new ();
  g_autoptr (GError) local_error = NULL;
  struct stat st;

  if (stat (path, &st) != 0)
    {
      int errsv = errno;

      if (errsv == ENOENT)
        return TRUE;
      g_set_error (&local_error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", path,
                   g_strerror (errsv));
      return fail_or_warn (warnings, error, &local_error);
    }
  if (S_ISDIR (st.st_mode))
    {
      if (!collect_dir (set, pending, path, warnings, error))
        return FALSE;
    }
  else if (!collect_file (set, pending, path, &local_error)
           && !fail_or_warn (warnings, error, &local_error))
    return FALSE;

  move_keys (pending, set);
  return TRUE;
}

gboolean
updraft_keyring_load_trusted (UpdraftKeyring *self, const char *path, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  return keyring_load (self->trusted, path, NULL, error);
}

gboolean
updraft_keyring_load_revoked (UpdraftKeyring *self, const char *path, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  return keyring_load (self->revoked, path, NULL, error);
}

void
updraft_keyring_load_lenient (UpdraftKeyring *self, const char *path, gboolean revoked,
                              GPtrArray *warnings)
{
  g_autoptr (GPtrArray) local_warnings = g_ptr_array_new_with_free_func (g_free);

  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL);

  keyring_load (revoked ? self->revoked : self->trusted, path, local_warnings, NULL);
  if (local_warnings->len > 0 && revoked && self->revocation_error == NULL)
    self->revocation_error = g_strdup (local_warnings->pdata[0]);
  for (guint i = 0; i < local_warnings->len; i++)
    if (warnings != NULL)
      g_ptr_array_add (warnings, g_strdup (local_warnings->pdata[i]));
}

const char *
updraft_keyring_get_revocation_error (UpdraftKeyring *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->revocation_error;
}

void
updraft_keyring_load_ostree_defaults (UpdraftKeyring *self, const char *root, GPtrArray *warnings)
{
  /* libostree's own search path, so a device's existing keys keep working. */
  static const char *const dirs[] = { "etc/ostree", "usr/share/ostree" };

  g_return_if_fail (self != NULL);
  g_return_if_fail (root != NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *trusted = g_build_filename (root, dirs[i], "trusted.ed25519", NULL);
      g_autofree char *trusted_d = g_strconcat (trusted, ".d", NULL);
      g_autofree char *revoked = g_build_filename (root, dirs[i], "revoked.ed25519", NULL);
      g_autofree char *revoked_d = g_strconcat (revoked, ".d", NULL);

      updraft_keyring_load_lenient (self, trusted, FALSE, warnings);
      updraft_keyring_load_lenient (self, trusted_d, FALSE, warnings);
      updraft_keyring_load_lenient (self, revoked, TRUE, warnings);
      updraft_keyring_load_lenient (self, revoked_d, TRUE, warnings);
    }
}

/* "Trusted" in this API always means trusted and not revoked, so that
 * n_trusted counts exactly the keys for which is_trusted is TRUE. */
guint
updraft_keyring_n_trusted (UpdraftKeyring *self)
{
  GHashTableIter iter;
  gpointer key;
  guint n = 0;

  g_return_val_if_fail (self != NULL, 0);
  g_hash_table_iter_init (&iter, self->trusted);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (self->revoked, key))
      n++;
  return n;
}

guint
updraft_keyring_n_revoked (UpdraftKeyring *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return g_hash_table_size (self->revoked);
}

gboolean
updraft_keyring_is_trusted (UpdraftKeyring *self, GBytes *public_key)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);
  return g_hash_table_contains (self->trusted, public_key)
         && !g_hash_table_contains (self->revoked, public_key);
}

gboolean
updraft_keyring_is_revoked (UpdraftKeyring *self, GBytes *public_key)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);
  return g_hash_table_contains (self->revoked, public_key);
}

/* ---- verification -------------------------------------------------------- */

typedef struct
{
  GBytes *public_key;
  EVP_PKEY *pkey;
} VerifyKey;

static void
verify_key_free (VerifyKey *vk)
{
  g_bytes_unref (vk->public_key);
  EVP_PKEY_free (vk->pkey);
  g_free (vk);
}

/* The EVP_PKEY of each key in @set (minus @exclude), made once per call
 * rather than once per signature. */
static GPtrArray *
verify_keys_new (GHashTable *set, GHashTable *exclude, GError **error)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify)verify_key_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      VerifyKey *vk;
      EVP_PKEY *pkey;

      if (exclude != NULL && g_hash_table_contains (exclude, key))
        continue;
      pkey = EVP_PKEY_new_raw_public_key (EVP_PKEY_ED25519, NULL, g_bytes_get_data (key, NULL),
                                          UPDRAFT_ED25519_PUBLIC_KEY_LEN);
      if (pkey == NULL)
        {
          updraft_openssl_set_error (error, UPDRAFT_ERROR_FAILED, "loading an Ed25519 public key");
          return NULL;
        }
      vk = g_new0 (VerifyKey, 1);
      vk->public_key = g_bytes_ref (key);
      vk->pkey = pkey;
      g_ptr_array_add (keys, vk);
    }
  return g_steal_pointer (&keys);
}

/* Sets @out_valid. Fails only when OpenSSL cannot even set up a verification
 * (out of memory, no Ed25519 in the provider): that depends on the local
 * keys, never on the signature, so a crafted signature cannot turn "try the
 * next one" into an error. */
static gboolean
ed25519_verify (EVP_PKEY *pkey, GVariant *signature, GBytes *data, gboolean *out_valid,
                GError **error)
{
  static const guint8 empty[1] = { 0 };
  g_autoptr (EVP_MD_CTX) ctx = NULL;
  gsize sig_len = g_variant_get_size (signature);
  const guint8 *sig = g_variant_get_data (signature);
  gsize len = 0;
  const guint8 *buf = g_bytes_get_data (data, &len);

  *out_valid = FALSE;
  if (sig_len != UPDRAFT_ED25519_SIGNATURE_LEN || sig == NULL)
    return TRUE;
  ctx = EVP_MD_CTX_new ();
  if (ctx == NULL || EVP_DigestVerifyInit (ctx, NULL, NULL, NULL, pkey) != 1)
    {
      updraft_openssl_set_error (error, UPDRAFT_ERROR_FAILED, "setting up Ed25519 verification");
      return FALSE;
    }
  if (EVP_DigestVerify (ctx, sig, sig_len, buf != NULL ? buf : empty, len) == 1)
    {
      *out_valid = TRUE;
      return TRUE;
    }
  /* A bad signature may leave entries behind; they are no one's error. */
  ERR_clear_error ();
  return TRUE;
}

/* Finds the first signature (in metadata order) that verifies with one of
 * @keys. */
static gboolean
find_valid_signature (GVariant *sigs, GPtrArray *keys, GBytes *data, VerifyKey **out_key,
                      GError **error)
{
  gsize n_sigs = g_variant_n_children (sigs);

  *out_key = NULL;
  for (gsize i = 0; i < n_sigs; i++)
    {
      g_autoptr (GVariant) sig = g_variant_get_child_value (sigs, i);

      for (guint k = 0; k < keys->len; k++)
        {
          VerifyKey *vk = keys->pdata[k];
          gboolean valid = FALSE;

          if (!ed25519_verify (vk->pkey, sig, data, &valid, error))
            return FALSE;
          if (valid)
            {
              *out_key = vk;
              return TRUE;
            }
        }
    }
  return TRUE;
}

/* The publisher's hint for signature @i: its 32-byte public key, or NULL when
 * there is no usable hint. */
static GBytes *
hint_for_signature (GVariant *hints, gsize i)
{
  g_autoptr (GVariant) hint = NULL;

  if (hints == NULL || i >= g_variant_n_children (hints))
    return NULL;
  hint = g_variant_get_child_value (hints, i);
  if (g_variant_get_size (hint) != UPDRAFT_ED25519_PUBLIC_KEY_LEN)
    return NULL;
  return g_variant_get_data_as_bytes (hint);
}

gboolean
updraft_verify_signatures (UpdraftKeyring *keyring, GBytes *signed_data, GVariant *metadata,
                           const char *what, char **out_key_id, GError **error)
{
  g_autoptr (GVariant) raw_sigs = NULL;
  g_autoptr (GVariant) sigs = NULL;
  g_autoptr (GVariant) hints = NULL;
  g_autoptr (GPtrArray) trusted = NULL;
  g_autoptr (GPtrArray) revoked = NULL;
  g_autoptr (GPtrArray) hinted_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) ids = g_string_new (NULL);
  VerifyKey *found = NULL;
  gsize n_sigs;

  g_return_val_if_fail (keyring != NULL, FALSE);
  g_return_val_if_fail (signed_data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (what == NULL)
    what = "object";

  if (metadata != NULL && !g_variant_is_of_type (metadata, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "%s: signature metadata has type %s, not a{sv}", what,
                   g_variant_get_type_string (metadata));
      return FALSE;
    }
  if (metadata != NULL)
    raw_sigs = g_variant_lookup_value (metadata, UPDRAFT_SIGN_ED25519_KEY, NULL);
  if (raw_sigs != NULL && !g_variant_is_of_type (raw_sigs, G_VARIANT_TYPE ("aay")))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "%s: %s has type %s, not aay", what, UPDRAFT_SIGN_ED25519_KEY,
                   g_variant_get_type_string (raw_sigs));
      return FALSE;
    }
  if (raw_sigs != NULL && g_variant_n_children (raw_sigs) > UPDRAFT_SIGN_MAX_SIGNATURES)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "%s: %" G_GSIZE_FORMAT " signatures, more than the %u allowed", what,
                   g_variant_n_children (raw_sigs), (guint)UPDRAFT_SIGN_MAX_SIGNATURES);
      return FALSE;
    }
  if (raw_sigs == NULL || g_variant_n_children (raw_sigs) == 0)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SIGNATURE_MISSING,
                   "%s is not signed (no %s signatures)", what, UPDRAFT_SIGN_ED25519_KEY);
      return FALSE;
    }
  if (keyring->revocation_error != NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG,
                   "%s: a revoked-key list cannot be read (%s); no signature is "
                   "trusted until it is fixed",
                   what, keyring->revocation_error);
      return FALSE;
    }
  /* Bounded now, so normalising is cheap, and from here on every signature is
   * exactly the bytes a well-formed serialisation would hold. */
  sigs = g_variant_get_normal_form (raw_sigs);
  n_sigs = g_variant_n_children (sigs);

  trusted = verify_keys_new (keyring->trusted, keyring->revoked, error);
  if (trusted == NULL || !find_valid_signature (sigs, trusted, signed_data, &found, error))
    {
      g_prefix_error (error, "verifying %s: ", what);
      return FALSE;
    }
  if (found != NULL)
    {
      if (out_key_id != NULL)
        *out_key_id = key_id_of_bytes (found->public_key);
      return TRUE;
    }

  revoked = verify_keys_new (keyring->revoked, NULL, error);
  if (revoked == NULL || !find_valid_signature (sigs, revoked, signed_data, &found, error))
    {
      g_prefix_error (error, "verifying %s: ", what);
      return FALSE;
    }
  if (found != NULL)
    {
      g_autofree char *id = key_id_of_bytes (found->public_key);
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_KEY_REVOKED,
                   "%s is signed by key %s, which is revoked", what, id);
      return FALSE;
    }

  /* No verdict from the signatures themselves. The hint only picks the more
   * useful of the two remaining errors; it is unsigned, so it can never make
   * a signature count. */
  if (metadata != NULL)
    hints
        = g_variant_lookup_value (metadata, UPDRAFT_SIGN_ED25519_HINT_KEY, G_VARIANT_TYPE ("aay"));
  for (gsize i = 0; i < n_sigs; i++)
    {
      g_autoptr (GBytes) hint = hint_for_signature (hints, i);
      g_autoptr (GVariant) sig = NULL;
      g_autofree char *id = NULL;

      if (hint == NULL)
        continue;
      id = key_id_of_bytes (hint);
      if (updraft_keyring_is_trusted (keyring, hint))
        {
          sig = g_variant_get_child_value (sigs, i);
          if (g_variant_get_size (sig) != UPDRAFT_ED25519_SIGNATURE_LEN)
            g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SIGNATURE_INVALID,
                         "%s: the signature by trusted key %s is %" G_GSIZE_FORMAT
                         " bytes long, not %u",
                         what, id, g_variant_get_size (sig), (guint)UPDRAFT_ED25519_SIGNATURE_LEN);
          else
            g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_SIGNATURE_INVALID,
                         "%s: the signature by trusted key %s does not verify "
                         "(the data was changed or the signature is corrupt)",
                         what, id);
          return FALSE;
        }
      if (!g_ptr_array_find_with_equal_func (hinted_ids, id, g_str_equal, NULL))
        {
          g_string_append_printf (ids, "%s%s%s", ids->len > 0 ? ", " : "", id,
                                  updraft_keyring_is_revoked (keyring, hint) ? " (revoked)" : "");
          g_ptr_array_add (hinted_ids, g_steal_pointer (&id));
        }
    }

  if (trusted->len == 0)
    g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_UNTRUSTED_KEY,
                 "%s cannot be verified: this device trusts no signing keys%s%s", what,
                 ids->len > 0 ? "; it is signed by " : "", ids->str);
  else if (ids->len > 0)
    g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_UNTRUSTED_KEY,
                 "%s is signed only by keys this device does not trust: %s", what, ids->str);
  else
    g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_UNTRUSTED_KEY,
                 "%s: none of its %" G_GSIZE_FORMAT " signatures verifies with a trusted key", what,
                 n_sigs);
  return FALSE;
}

/* ---- the publisher's secret key ------------------------------------------ */

struct _UpdraftSecretKey
{
  guint8 seed[UPDRAFT_ED25519_SEED_LEN];
  guint8 public_key[UPDRAFT_ED25519_PUBLIC_KEY_LEN]; /* always derived from seed */
  EVP_PKEY *pkey;
};

void
updraft_secret_key_free (UpdraftSecretKey *key)
{
  if (key == NULL)
    return;
  EVP_PKEY_free (key->pkey);
  OPENSSL_cleanse (key, sizeof *key);
  g_free (key);
}

static UpdraftSecretKey *
secret_key_new_from_seed (const guint8 seed[UPDRAFT_ED25519_SEED_LEN], GError **error)
{
  g_autoptr (UpdraftSecretKey) key = g_new0 (UpdraftSecretKey, 1);
  size_t public_len = sizeof key->public_key;

  memcpy (key->seed, seed, sizeof key->seed);
  key->pkey = EVP_PKEY_new_raw_private_key (EVP_PKEY_ED25519, NULL, seed, sizeof key->seed);
  if (key->pkey == NULL)
    {
      updraft_openssl_set_error (error, UPDRAFT_ERROR_FAILED, "creating an Ed25519 private key");
      return NULL;
    }
  if (EVP_PKEY_get_raw_public_key (key->pkey, key->public_key, &public_len) != 1
      || public_len != sizeof key->public_key)
    {
      updraft_openssl_set_error (error, UPDRAFT_ERROR_FAILED, "deriving the Ed25519 public key");
      return NULL;
    }
  return g_steal_pointer (&key);
}

/* libostree's form: seed || public key. The public half is redundant, so a
 * mismatch means a corrupt or hand-edited file; signing with it would make
 * signatures that verify under a key the publisher does not expect. */
static UpdraftSecretKey *
secret_key_from_ostree_form (const guint8 raw[OSTREE_SECRET_KEY_LEN], GError **error)
{
  g_autoptr (UpdraftSecretKey) key = secret_key_new_from_seed (raw, error);

  if (key == NULL)
    return NULL;
  if (CRYPTO_memcmp (key->public_key, raw + UPDRAFT_ED25519_SEED_LEN, sizeof key->public_key) != 0)
    {
      g_set_error_literal (error, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG,
                           "the public half of the key does not match its seed");
      return NULL;
    }
  return g_steal_pointer (&key);
}

/* Refuses instead of prompting: OpenSSL's default would ask on the terminal,
 * which hangs a daemon or a CI job. */
static int
refuse_passphrase (char *pass G_GNUC_UNUSED, size_t pass_size G_GNUC_UNUSED,
                   size_t *pass_len G_GNUC_UNUSED, const OSSL_PARAM params[] G_GNUC_UNUSED,
                   void *user_data)
{
  gboolean *asked = user_data;

  *asked = TRUE;
  return 0;
}

static UpdraftSecretKey *
secret_key_from_pkcs8 (const guint8 *data, gsize len, GError **error)
{
  g_autoptr (EVP_PKEY) pkey = NULL;
  g_autoptr (OSSL_DECODER_CTX) dctx = NULL;
  const unsigned char *p = data;
  size_t left = len;
  guint8 seed[UPDRAFT_ED25519_SEED_LEN];
  size_t seed_len = sizeof seed;
  gboolean asked = FALSE;
  UpdraftSecretKey *key;

  /* Input type NULL: PEM or DER, whichever it is. */
  dctx = OSSL_DECODER_CTX_new_for_pkey (&pkey, NULL, NULL, "ED25519",
                                        OSSL_KEYMGMT_SELECT_PRIVATE_KEY, NULL, NULL);
  if (dctx == NULL || !OSSL_DECODER_CTX_set_passphrase_cb (dctx, refuse_passphrase, &asked))
    {
      updraft_openssl_set_error (error, UPDRAFT_ERROR_FAILED, "setting up the key decoder");
      return NULL;
    }
  if (!OSSL_DECODER_from_data (dctx, &p, &left) || pkey == NULL)
    {
      updraft_openssl_set_error (error, UPDRAFT_ERROR_CONFIG,
                                 asked ? "passphrase-protected keys are not supported"
                                       : "neither libostree's base64 form nor a PEM or DER "
                                         "PKCS#8 Ed25519 private key");
      return NULL;
    }
  if (!EVP_PKEY_is_a (pkey, "ED25519") || EVP_PKEY_get_raw_private_key (pkey, seed, &seed_len) != 1
      || seed_len != sizeof seed)
    {
      OPENSSL_cleanse (seed, sizeof seed);
      updraft_openssl_set_error (error, UPDRAFT_ERROR_CONFIG, "not an Ed25519 private key");
      return NULL;
    }
  key = secret_key_new_from_seed (seed, error);
  OPENSSL_cleanse (seed, sizeof seed);
  return key;
}

UpdraftSecretKey *
updraft_secret_key_load (const char *path, GError **error)
{
  g_autoptr (KeyFileContents) contents = NULL;
  g_autoptr (UpdraftSecretKey) key = NULL;
  guint8 raw[OSTREE_SECRET_KEY_LEN];
  const char *text;
  gsize text_len;

  g_return_val_if_fail (path != NULL, NULL);

  /* This is the one place secret keys are read. A key that must not leave a
   * token (a "pkcs11:" URI, or any OpenSSL provider's store URI) would be
   * recognised here and opened with OSSL_STORE_open() instead of read from a
   * file; callers only ever see an UpdraftSecretKey. */
  contents = read_key_file (path, TRUE, error);
  if (contents == NULL)
    {
      g_prefix_error (error, "loading secret key: ");
      return NULL;
    }

  text = contents->data;
  text_len = contents->len;
  strip_span (&text, &text_len);
  if (base64_decode_exact (text, text_len, raw, sizeof raw))
    {
      key = secret_key_from_ostree_form (raw, error);
      OPENSSL_cleanse (raw, sizeof raw);
    }
  else if (base64_decode_exact (text, text_len, raw, UPDRAFT_ED25519_PUBLIC_KEY_LEN))
    {
      OPENSSL_cleanse (raw, sizeof raw);
      g_set_error_literal (error, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG,
                           "this is a public key, not a secret key");
    }
  else
    {
      key = secret_key_from_pkcs8 ((const guint8 *)contents->data, contents->len, error);
    }
  if (key == NULL)
    {
      g_prefix_error (error, "loading secret key: %s: ", path);
      return NULL;
    }
  return g_steal_pointer (&key);
}

UpdraftSecretKey *
updraft_secret_key_generate (GError **error)
{
  guint8 seed[UPDRAFT_ED25519_SEED_LEN];
  UpdraftSecretKey *key;

  if (RAND_priv_bytes (seed, sizeof seed) != 1)
    {
      updraft_openssl_set_error (error, UPDRAFT_ERROR_FAILED, "generating a random Ed25519 key");
      return NULL;
    }
  key = secret_key_new_from_seed (seed, error);
  OPENSSL_cleanse (seed, sizeof seed);
  return key;
}

GBytes *
updraft_secret_key_get_public (UpdraftSecretKey *key)
{
  g_return_val_if_fail (key != NULL, NULL);
  return g_bytes_new (key->public_key, sizeof key->public_key);
}

char *
updraft_secret_key_to_base64 (UpdraftSecretKey *key)
{
  guint8 raw[OSTREE_SECRET_KEY_LEN];
  g_autofree char *encoded = NULL;
  char *line;

  g_return_val_if_fail (key != NULL, NULL);
  memcpy (raw, key->seed, UPDRAFT_ED25519_SEED_LEN);
  memcpy (raw + UPDRAFT_ED25519_SEED_LEN, key->public_key, UPDRAFT_ED25519_PUBLIC_KEY_LEN);
  encoded = g_base64_encode (raw, sizeof raw);
  OPENSSL_cleanse (raw, sizeof raw);
  line = g_strconcat (encoded, "\n", NULL);
  OPENSSL_cleanse (encoded, strlen (encoded));
  return line;
}

GBytes *
updraft_secret_key_sign (UpdraftSecretKey *key, GBytes *data, GError **error)
{
  static const guint8 empty[1] = { 0 };
  g_autoptr (EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  guint8 sig[UPDRAFT_ED25519_SIGNATURE_LEN];
  size_t sig_len = sizeof sig;
  gsize len = 0;
  const guint8 *buf;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  buf = g_bytes_get_data (data, &len);
  /* Ed25519 signs the message itself (no pre-hash), hence the NULL digest. */
  if (ctx == NULL || EVP_DigestSignInit (ctx, NULL, NULL, NULL, key->pkey) != 1
      || EVP_DigestSign (ctx, sig, &sig_len, buf != NULL ? buf : empty, len) != 1
      || sig_len != sizeof sig)
    {
      updraft_openssl_set_error (error, UPDRAFT_ERROR_FAILED, "signing with Ed25519");
      return NULL;
    }
  return g_bytes_new (sig, sig_len);
}

/* ---- writing signatures into metadata ------------------------------------ */

/* The ay elements of @v if it is an aay; otherwise nothing (a malformed list
 * is replaced, not extended). */
static void
collect_byte_strings (GVariant *v, GPtrArray *out)
{
  gsize n;

  if (!g_variant_is_of_type (v, G_VARIANT_TYPE ("aay")))
    return;
  n = g_variant_n_children (v);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) child = g_variant_get_child_value (v, i);
      g_ptr_array_add (out, g_variant_get_data_as_bytes (child));
    }
}

static GVariant *
byte_strings_to_variant (GPtrArray *list)
{
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aay"));

  for (guint i = 0; i < list->len; i++)
    g_variant_builder_add_value (
        &builder, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, list->pdata[i], TRUE));
  return g_variant_builder_end (&builder);
}

/* The result is a full (non-floating) reference. The hint list is kept the
 * same length as the signature list: a signature whose key is unknown (one
 * written by `ostree sign`, which writes no hints) gets an empty entry. */
GVariant *
updraft_metadata_add_signature (GVariant *metadata, GBytes *signature, GBytes *public_key)
{
  g_auto (GVariantBuilder) dict = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr (GPtrArray) sigs = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  g_autoptr (GPtrArray) hints = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  gboolean seen_sigs = FALSE;
  gboolean seen_hints = FALSE;
  guint existing = G_MAXUINT;

  g_return_val_if_fail (metadata == NULL || g_variant_is_of_type (metadata, G_VARIANT_TYPE_VARDICT),
                        NULL);
  g_return_val_if_fail (signature != NULL, NULL);
  g_return_val_if_fail (g_bytes_get_size (signature) == UPDRAFT_ED25519_SIGNATURE_LEN, NULL);
  g_return_val_if_fail (public_key != NULL, NULL);
  g_return_val_if_fail (g_bytes_get_size (public_key) == UPDRAFT_ED25519_PUBLIC_KEY_LEN, NULL);

  if (metadata != NULL)
    {
      gsize n = g_variant_n_children (metadata);

      for (gsize i = 0; i < n; i++)
        {
          g_autoptr (GVariant) entry = g_variant_get_child_value (metadata, i);
          g_autoptr (GVariant) value = NULL;
          const char *name = NULL;

          g_variant_get (entry, "{&sv}", &name, &value);
          /* A duplicate of either key is dropped; the first one is what a
           * reader looking the key up would see. */
          if (g_str_equal (name, UPDRAFT_SIGN_ED25519_KEY))
            {
              if (!seen_sigs)
                collect_byte_strings (value, sigs);
              seen_sigs = TRUE;
              continue;
            }
          if (g_str_equal (name, UPDRAFT_SIGN_ED25519_HINT_KEY))
            {
              if (!seen_hints)
                collect_byte_strings (value, hints);
              seen_hints = TRUE;
              continue;
            }
          g_variant_builder_add_value (&dict, entry);
        }
    }

  while (hints->len < sigs->len)
    g_ptr_array_add (hints, g_bytes_new (NULL, 0));
  g_ptr_array_set_size (hints, sigs->len);

  for (guint i = 0; i < sigs->len && existing == G_MAXUINT; i++)
    if (g_bytes_equal (sigs->pdata[i], signature))
      existing = i;
  if (existing == G_MAXUINT)
    {
      g_ptr_array_add (sigs, g_bytes_ref (signature));
      g_ptr_array_add (hints, g_bytes_ref (public_key));
    }
  else if (g_bytes_get_size (hints->pdata[existing]) != UPDRAFT_ED25519_PUBLIC_KEY_LEN)
    {
      g_bytes_unref (hints->pdata[existing]);
      hints->pdata[existing] = g_bytes_ref (public_key);
    }

  g_variant_builder_add (&dict, "{sv}", UPDRAFT_SIGN_ED25519_KEY, byte_strings_to_variant (sigs));
  g_variant_builder_add (&dict, "{sv}", UPDRAFT_SIGN_ED25519_HINT_KEY,
                         byte_strings_to_variant (hints));
  return g_variant_ref_sink (g_variant_builder_end (&dict));
}
