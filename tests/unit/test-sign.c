/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ed25519 signing and verification: the verdict order of
 * updraft_verify_signatures(), key files and keyrings, secret keys, and a
 * cross-check against the openssl command line as an independent
 * implementation. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "updraft-error.h"
#include "updraft-sign.h"

/* The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw key follows. */
static const guint8 ed25519_spki_prefix[]
    = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };

/* ---- helpers ------------------------------------------------------------- */

static void
rm_rf (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
  g_rmdir (path);
}

typedef struct
{
  char *path;
} TmpDir;

static TmpDir *
tmp_dir_new (void)
{
  TmpDir *tmp = g_new0 (TmpDir, 1);
  g_autoptr (GError) error = NULL;

  tmp->path = g_dir_make_tmp ("test-sign-XXXXXX", &error);
  g_assert_no_error (error);
  return tmp;
}

static void
tmp_dir_free (TmpDir *tmp)
{
  rm_rf (tmp->path);
  g_free (tmp->path);
  g_free (tmp);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TmpDir, tmp_dir_free)

/* Writes @contents to @dir/@rel (creating parents) with @mode; returns the path. */
static char *
write_file (const char *dir, const char *rel, const void *contents, gssize len, int mode)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return g_steal_pointer (&path);
}

static GBytes *
bytes_from_string (const char *s)
{
  return g_bytes_new (s, strlen (s));
}

static UpdraftSecretKey *
generate_key (void)
{
  g_autoptr (GError) error = NULL;
  UpdraftSecretKey *key = updraft_secret_key_generate (&error);

  g_assert_no_error (error);
  g_assert_nonnull (key);
  return key;
}

static GBytes *
sign (UpdraftSecretKey *key, GBytes *data)
{
  g_autoptr (GError) error = NULL;
  GBytes *sig = updraft_secret_key_sign (key, data, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (sig), ==, UPDRAFT_ED25519_SIGNATURE_LEN);
  return sig;
}

/* Metadata with @key's signature over @data added to @metadata. */
static GVariant *
add_signature (GVariant *metadata, UpdraftSecretKey *key, GBytes *data)
{
  g_autoptr (GBytes) sig = sign (key, data);
  g_autoptr (GBytes) pub = updraft_secret_key_get_public (key);

  return updraft_metadata_add_signature (metadata, sig, pub);
}

static char *
key_id_of (UpdraftSecretKey *key)
{
  g_autoptr (GBytes) pub = updraft_secret_key_get_public (key);

  return updraft_key_id (g_bytes_get_data (pub, NULL));
}

static char *
key_id_of_bytes (GBytes *pub)
{
  return updraft_key_id (g_bytes_get_data (pub, NULL));
}

static void
trust_key (UpdraftKeyring *keyring, UpdraftSecretKey *key)
{
  g_autoptr (GBytes) pub = updraft_secret_key_get_public (key);

  updraft_keyring_add_trusted (keyring, pub);
}

static void
revoke_key (UpdraftKeyring *keyring, UpdraftSecretKey *key)
{
  g_autoptr (GBytes) pub = updraft_secret_key_get_public (key);

  updraft_keyring_add_revoked (keyring, pub);
}

/* An a{sv} with @sigs (GBytes, any length) as the signature list and, if
 * @hints is not NULL, @hints as the hint list. */
static GVariant *
make_metadata (GBytes **sigs, gsize n_sigs, GBytes **hints, gsize n_hints)
{
  g_auto (GVariantBuilder) dict = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto (GVariantBuilder) list = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aay"));

  for (gsize i = 0; i < n_sigs; i++)
    g_variant_builder_add_value (
        &list, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, sigs[i], TRUE));
  g_variant_builder_add (&dict, "{sv}", UPDRAFT_SIGN_ED25519_KEY, g_variant_builder_end (&list));
  if (hints != NULL)
    {
      g_auto (GVariantBuilder) hlist = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aay"));

      for (gsize i = 0; i < n_hints; i++)
        g_variant_builder_add_value (
            &hlist, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, hints[i], TRUE));
      g_variant_builder_add (&dict, "{sv}", UPDRAFT_SIGN_ED25519_HINT_KEY,
                             g_variant_builder_end (&hlist));
    }
  return g_variant_ref_sink (g_variant_builder_end (&dict));
}

/* Runs updraft_verify_signatures() expecting failure with @code, and returns
 * the message. */
static char *
verify_fails (UpdraftKeyring *keyring, GBytes *data, GVariant *metadata, gint code)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;

  g_assert_false (updraft_verify_signatures (keyring, data, metadata, "commit 1a2b", &id, &error));
  g_assert_error (error, UPDRAFT_ERROR, code);
  g_assert_null (id);
  g_assert_true (g_str_has_prefix (error->message, "commit 1a2b"));
  return g_strdup (error->message);
}

static char *
verify_ok (UpdraftKeyring *keyring, GBytes *data, GVariant *metadata)
{
  g_autoptr (GError) error = NULL;
  char *id = NULL;

  g_assert_true (updraft_verify_signatures (keyring, data, metadata, "commit 1a2b", &id, &error));
  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

static char *
base64_line (const guint8 *raw, gsize len)
{
  g_autofree char *b64 = g_base64_encode (raw, len);

  return g_strconcat (b64, "\n", NULL);
}

/* A distinct, deterministic 32-byte "public key" for key-file tests. */
static char *
fake_key_b64 (guint n, guint8 salt)
{
  guint8 raw[UPDRAFT_ED25519_PUBLIC_KEY_LEN] = { 0 };

  raw[0] = salt;
  raw[1] = (guint8)(n & 0xff);
  raw[2] = (guint8)((n >> 8) & 0xff);
  raw[31] = 0x42;
  return g_base64_encode (raw, sizeof raw);
}

/* ---- verification -------------------------------------------------------- */

static void
test_key_id (void)
{
  guint8 raw[UPDRAFT_ED25519_PUBLIC_KEY_LEN];
  g_autofree char *hex = NULL;
  g_autofree char *id = NULL;

  for (guint i = 0; i < sizeof raw; i++)
    raw[i] = (guint8)i;
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, raw, sizeof raw);
  id = updraft_key_id (raw);
  g_assert_cmpuint (strlen (id), ==, 16);
  g_assert_true (g_str_has_prefix (hex, id));
}

static void
test_round_trip (void)
{
  g_autoptr (UpdraftSecretKey) key = generate_key ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GBytes) data = bytes_from_string ("the commit object");
  g_autoptr (GBytes) other = bytes_from_string ("the commit object!");
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (GVariant) md = add_signature (NULL, key, data);
  g_autoptr (GVariant) md_empty = add_signature (NULL, key, empty);
  g_autofree char *expected = key_id_of (key);
  g_autofree char *id = NULL;
  g_autofree char *id_empty = NULL;
  g_autofree char *msg = NULL;

  trust_key (keyring, key);
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 1);
  id = verify_ok (keyring, data, md);
  g_assert_cmpstr (id, ==, expected);

  /* Signing empty data works and is still bound to it. */
  id_empty = verify_ok (keyring, empty, md_empty);
  g_assert_cmpstr (id_empty, ==, expected);
  g_free (verify_fails (keyring, data, md_empty, UPDRAFT_ERROR_SIGNATURE_INVALID));

  /* One byte more: the hint names the trusted key, so this is a bad signature. */
  msg = verify_fails (keyring, other, md, UPDRAFT_ERROR_SIGNATURE_INVALID);
  g_assert_nonnull (strstr (msg, expected));

  /* out_key_id is optional. */
  g_assert_true (updraft_verify_signatures (keyring, data, md, "x", NULL, NULL));
}

/* Key rotation: two signatures, one per key, and a device that trusts only
 * one of them (either one) accepts. Hints do not matter for the verdict. */
static void
test_rotation (void)
{
  g_autoptr (UpdraftSecretKey) old_key = generate_key ();
  g_autoptr (UpdraftSecretKey) new_key = generate_key ();
  g_autoptr (GBytes) data = bytes_from_string ("summary bytes");
  g_autoptr (GVariant) md1 = add_signature (NULL, old_key, data);
  g_autoptr (GVariant) md = add_signature (md1, new_key, data);
  g_autoptr (GBytes) sig_old = sign (old_key, data);
  g_autoptr (GBytes) sig_new = sign (new_key, data);
  GBytes *sigs[] = { sig_old, sig_new };
  g_autoptr (GVariant) no_hints = make_metadata (sigs, 2, NULL, 0);
  g_autofree char *old_id = key_id_of (old_key);
  g_autofree char *new_id = key_id_of (new_key);

  {
    g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
    g_autofree char *id = NULL;
    g_autofree char *id2 = NULL;

    trust_key (keyring, new_key);
    id = verify_ok (keyring, data, md);
    g_assert_cmpstr (id, ==, new_id);
    id2 = verify_ok (keyring, data, no_hints);
    g_assert_cmpstr (id2, ==, new_id);
  }
  {
    g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
    g_autofree char *id = NULL;

    trust_key (keyring, old_key);
    id = verify_ok (keyring, data, md);
    g_assert_cmpstr (id, ==, old_id);
  }
  {
    /* Both trusted: the first signature in metadata order names the key. */
    g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
    g_autofree char *id = NULL;

    trust_key (keyring, new_key);
    trust_key (keyring, old_key);
    id = verify_ok (keyring, data, md);
    g_assert_cmpstr (id, ==, old_id);
  }
  {
    /* The old key is revoked, the new one is trusted: still fine. */
    g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
    g_autofree char *id = NULL;

    trust_key (keyring, old_key);
    trust_key (keyring, new_key);
    revoke_key (keyring, old_key);
    id = verify_ok (keyring, data, md);
    g_assert_cmpstr (id, ==, new_id);
  }
}

static void
test_revoked (void)
{
  g_autoptr (UpdraftSecretKey) key = generate_key ();
  g_autoptr (UpdraftSecretKey) stranger = generate_key ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GVariant) md = add_signature (NULL, key, data);
  g_autoptr (GBytes) sig = sign (key, data);
  g_autoptr (GBytes) pub = updraft_secret_key_get_public (key);
  g_autoptr (GVariant) no_hints = make_metadata (&sig, 1, NULL, 0);
  g_autofree char *id = key_id_of (key);
  g_autofree char *msg = NULL;
  g_autofree char *msg2 = NULL;

  trust_key (keyring, key);
  trust_key (keyring, stranger);
  revoke_key (keyring, key);
  g_assert_false (updraft_keyring_is_trusted (keyring, pub));
  g_assert_true (updraft_keyring_is_revoked (keyring, pub));
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 1);
  g_assert_cmpuint (updraft_keyring_n_revoked (keyring), ==, 1);

  msg = verify_fails (keyring, data, md, UPDRAFT_ERROR_KEY_REVOKED);
  g_assert_nonnull (strstr (msg, id));
  /* Without a hint too: revocation is found from the signature itself. */
  msg2 = verify_fails (keyring, data, no_hints, UPDRAFT_ERROR_KEY_REVOKED);
  g_assert_nonnull (strstr (msg2, id));
}

static void
test_untrusted_hint (void)
{
  g_autoptr (UpdraftSecretKey) signer = generate_key ();
  g_autoptr (UpdraftSecretKey) device_key = generate_key ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GVariant) md = add_signature (NULL, signer, data);
  g_autoptr (GBytes) sig = sign (signer, data);
  g_autoptr (GVariant) no_hints = make_metadata (&sig, 1, NULL, 0);
  g_autofree char *signer_id = key_id_of (signer);
  g_autofree char *device_id = key_id_of (device_key);
  g_autofree char *msg = NULL;
  g_autofree char *msg2 = NULL;

  trust_key (keyring, device_key);
  msg = verify_fails (keyring, data, md, UPDRAFT_ERROR_UNTRUSTED_KEY);
  g_assert_nonnull (strstr (msg, signer_id));
  g_assert_null (strstr (msg, device_id));
  msg2 = verify_fails (keyring, data, no_hints, UPDRAFT_ERROR_UNTRUSTED_KEY);
  g_assert_null (strstr (msg2, signer_id));
}

/* A hint that lies (names the trusted key for a stranger's signature) cannot
 * make the signature count; it only changes which error is reported. */
static void
test_hint_trusted_but_invalid (void)
{
  g_autoptr (UpdraftSecretKey) trusted_key = generate_key ();
  g_autoptr (UpdraftSecretKey) stranger = generate_key ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GBytes) other = bytes_from_string ("another commit");
  g_autoptr (GBytes) sig_other = sign (trusted_key, other);
  g_autoptr (GBytes) sig_stranger = sign (stranger, data);
  g_autoptr (GBytes) pub = updraft_secret_key_get_public (trusted_key);
  g_autoptr (GVariant) md = make_metadata (&sig_other, 1, &pub, 1);
  g_autoptr (GVariant) lying = make_metadata (&sig_stranger, 1, &pub, 1);
  g_autofree char *id = key_id_of (trusted_key);
  g_autofree char *msg = NULL;

  trust_key (keyring, trusted_key);
  msg = verify_fails (keyring, data, md, UPDRAFT_ERROR_SIGNATURE_INVALID);
  g_assert_nonnull (strstr (msg, id));
  g_free (verify_fails (keyring, data, lying, UPDRAFT_ERROR_SIGNATURE_INVALID));
}

static void
test_bad_signatures (void)
{
  g_autoptr (UpdraftSecretKey) key = generate_key ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GBytes) sig = sign (key, data);
  g_autoptr (GBytes) pub = updraft_secret_key_get_public (key);
  const guint8 *raw = g_bytes_get_data (sig, NULL);
  guint8 buf[UPDRAFT_ED25519_SIGNATURE_LEN + 1];
  g_autoptr (GBytes) truncated = g_bytes_new (raw, UPDRAFT_ED25519_SIGNATURE_LEN - 1);
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (GBytes) garbled = NULL;
  g_autoptr (GBytes) high_s = NULL;
  g_autoptr (GBytes) longer = NULL;
  g_autofree char *msg = NULL;

  trust_key (keyring, key);

  memcpy (buf, raw, UPDRAFT_ED25519_SIGNATURE_LEN);
  buf[10] ^= 0x01;
  garbled = g_bytes_new (buf, UPDRAFT_ED25519_SIGNATURE_LEN);
  memcpy (buf, raw, UPDRAFT_ED25519_SIGNATURE_LEN);
  buf[63] |= 0xe0; /* s far above the group order */
  high_s = g_bytes_new (buf, UPDRAFT_ED25519_SIGNATURE_LEN);
  memcpy (buf, raw, UPDRAFT_ED25519_SIGNATURE_LEN);
  buf[64] = 0;
  longer = g_bytes_new (buf, UPDRAFT_ED25519_SIGNATURE_LEN + 1);

  {
    GBytes *cases[] = { truncated, garbled, high_s, longer, empty };

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr (GVariant) md = make_metadata (&cases[i], 1, &pub, 1);
        g_autoptr (GVariant) no_hint = make_metadata (&cases[i], 1, NULL, 0);

        g_free (verify_fails (keyring, data, md, UPDRAFT_ERROR_SIGNATURE_INVALID));
        g_free (verify_fails (keyring, data, no_hint, UPDRAFT_ERROR_UNTRUSTED_KEY));
      }
  }
  {
    g_autoptr (GVariant) md = make_metadata (&truncated, 1, &pub, 1);

    msg = verify_fails (keyring, data, md, UPDRAFT_ERROR_SIGNATURE_INVALID);
    g_assert_nonnull (strstr (msg, "63"));
  }
  {
    /* A bad signature before a good one does not hide the good one. */
    GBytes *sigs[] = { garbled, truncated, sig };
    GBytes *hints[] = { pub, pub, pub };
    g_autoptr (GVariant) md = make_metadata (sigs, 3, hints, 3);
    g_autofree char *id = verify_ok (keyring, data, md);
    g_autofree char *expected = key_id_of (key);

    g_assert_cmpstr (id, ==, expected);
  }
}

static void
test_metadata_invalid (void)
{
  g_autoptr (UpdraftSecretKey) key = generate_key ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GBytes) sig = sign (key, data);
  g_autoptr (GVariant) as = NULL;
  g_autoptr (GVariant) ay = NULL;
  g_autoptr (GVariant) not_dict = NULL;
  GBytes *many[UPDRAFT_SIGN_MAX_SIGNATURES + 1];

  trust_key (keyring, key);

  as = g_variant_ref_sink (g_variant_new_parsed ("{%s: <['abc']>}", UPDRAFT_SIGN_ED25519_KEY));
  g_free (verify_fails (keyring, data, as, UPDRAFT_ERROR_METADATA_INVALID));
  {
    g_auto (GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

    /* The right bytes under the wrong type are still refused. */
    g_variant_builder_add (&b, "{sv}", UPDRAFT_SIGN_ED25519_KEY,
                           g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, sig, TRUE));
    ay = g_variant_ref_sink (g_variant_builder_end (&b));
    g_free (verify_fails (keyring, data, ay, UPDRAFT_ERROR_METADATA_INVALID));
  }
  not_dict = g_variant_ref_sink (g_variant_new_parsed ("{'a': 'b'}"));
  g_free (verify_fails (keyring, data, not_dict, UPDRAFT_ERROR_METADATA_INVALID));

  /* 17 signatures are refused even though the last one is valid; 16 pass. */
  for (gsize i = 0; i < G_N_ELEMENTS (many); i++)
    many[i] = i + 1 < G_N_ELEMENTS (many) ? bytes_from_string ("junk") : g_bytes_ref (sig);
  {
    g_autoptr (GVariant) md = make_metadata (many, G_N_ELEMENTS (many), NULL, 0);
    g_autoptr (GVariant) md16 = make_metadata (many + 1, UPDRAFT_SIGN_MAX_SIGNATURES, NULL, 0);
    g_autofree char *msg = verify_fails (keyring, data, md, UPDRAFT_ERROR_METADATA_INVALID);
    g_autofree char *id = verify_ok (keyring, data, md16);
    g_autofree char *expected = key_id_of (key);

    g_assert_nonnull (strstr (msg, "17"));
    g_assert_cmpstr (id, ==, expected);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (many); i++)
    g_bytes_unref (many[i]);
}

static void
test_signature_missing (void)
{
  g_autoptr (UpdraftSecretKey) key = generate_key ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GVariant) empty_dict = g_variant_ref_sink (g_variant_new_parsed ("@a{sv} {}"));
  g_autoptr (GVariant) other_keys
      = g_variant_ref_sink (g_variant_new_parsed ("{'version': <'1.0'>}"));
  g_autoptr (GVariant) empty_list = make_metadata (NULL, 0, NULL, 0);

  trust_key (keyring, key);
  g_free (verify_fails (keyring, data, NULL, UPDRAFT_ERROR_SIGNATURE_MISSING));
  g_free (verify_fails (keyring, data, empty_dict, UPDRAFT_ERROR_SIGNATURE_MISSING));
  g_free (verify_fails (keyring, data, other_keys, UPDRAFT_ERROR_SIGNATURE_MISSING));
  g_free (verify_fails (keyring, data, empty_list, UPDRAFT_ERROR_SIGNATURE_MISSING));
}

static void
test_empty_keyring (void)
{
  g_autoptr (UpdraftSecretKey) key = generate_key ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GVariant) md = add_signature (NULL, key, data);
  g_autofree char *id = key_id_of (key);
  g_autofree char *msg = NULL;

  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 0);
  msg = verify_fails (keyring, data, md, UPDRAFT_ERROR_UNTRUSTED_KEY);
  g_assert_nonnull (strstr (msg, id));

  /* A keyring whose only trusted key is revoked trusts nothing either, but
   * the revocation is the more useful message. */
  trust_key (keyring, key);
  revoke_key (keyring, key);
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 0);
  g_free (verify_fails (keyring, data, md, UPDRAFT_ERROR_KEY_REVOKED));
}

/* Metadata from the network is deserialised untrusted and may be in any
 * state; mutating a valid serialisation must never crash, and may only
 * verify when the signature itself survived. */
static void
test_non_normal_metadata (void)
{
  g_autoptr (UpdraftSecretKey) key = generate_key ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GVariant) md1 = g_variant_ref_sink (
      g_variant_new_parsed ("{'version': <'1.0'>, 'n': <@u 7>, 'list': <['a', 'bb']>}"));
  g_autoptr (GVariant) md = add_signature (md1, key, data);
  g_autoptr (GBytes) serialized = g_variant_get_data_as_bytes (md);
  g_autofree char *expected = key_id_of (key);
  gsize len = g_bytes_get_size (serialized);
  guint n_ok = 0;

  trust_key (keyring, key);
  for (guint round = 0; round < 2000; round++)
    {
      g_autofree guint8 *buf = g_memdup2 (g_bytes_get_data (serialized, NULL), len);
      g_autoptr (GBytes) mutated = NULL;
      g_autoptr (GVariant) v = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *id = NULL;
      guint n_flips = 1 + (guint)g_test_rand_int_range (0, 4);
      gsize new_len = len;

      for (guint f = 0; f < n_flips; f++)
        buf[g_test_rand_int_range (0, (gint32)len)] ^= (guint8)g_test_rand_int_range (1, 256);
      if (round % 5 == 0)
        new_len = (gsize)g_test_rand_int_range (0, (gint32)len);
      mutated = g_bytes_new (buf, new_len);
      v = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, mutated, FALSE));
      if (updraft_verify_signatures (keyring, data, v, "fuzz", &id, &error))
        {
          g_assert_cmpstr (id, ==, expected);
          n_ok++;
        }
      else
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == UPDRAFT_ERROR);
        }
    }
  g_test_message ("%u of 2000 mutations still verified", n_ok);
}

/* ---- key files and keyrings ---------------------------------------------- */

static void
test_parse_public_keys (void)
{
  g_autoptr (UpdraftSecretKey) a = generate_key ();
  g_autoptr (UpdraftSecretKey) b = generate_key ();
  g_autoptr (GBytes) pub_a = updraft_secret_key_get_public (a);
  g_autoptr (GBytes) pub_b = updraft_secret_key_get_public (b);
  g_autofree char *b64_a = g_base64_encode (g_bytes_get_data (pub_a, NULL), 32);
  g_autofree char *b64_b = g_base64_encode (g_bytes_get_data (pub_b, NULL), 32);
  g_autofree char *text = g_strdup_printf ("# release keys\r\n\r\n  %s  \r\n"
                                           "\t# old key below\n\n%s",
                                           b64_a, b64_b);
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GPtrArray) none = NULL;
  g_autoptr (GError) error = NULL;

  keys = updraft_parse_public_keys (text, strlen (text), "test.keys", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (keys->len, ==, 2);
  g_assert_true (g_bytes_equal (keys->pdata[0], pub_a));
  g_assert_true (g_bytes_equal (keys->pdata[1], pub_b));

  none = updraft_parse_public_keys ("", 0, "empty", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
assert_parse_fails (const char *text, gsize len, const char *expect_in_message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) keys = updraft_parse_public_keys (text, len, "bad.keys", &error);

  g_assert_null (keys);
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
  if (expect_in_message != NULL && strstr (error->message, expect_in_message) == NULL)
    g_error ("expected \"%s\" in \"%s\"", expect_in_message, error->message);
}

static void
test_parse_public_keys_bad (void)
{
  guint8 raw[33] = { 0 };
  g_autofree char *good = fake_key_b64 (1, 0);
  g_autofree char *short_key = g_base64_encode (raw, 31);
  g_autofree char *long_key = g_base64_encode (raw, 33);
  g_autofree char *garbage = g_strdup_printf ("%s\n\n%s!\n", good, good);
  g_autofree char *wrong_len = g_strdup_printf ("# c\n%s\n%s\n", good, short_key);
  g_autofree char *too_long = g_strdup_printf ("%s\n", long_key);
  g_autofree char *unpadded = g_strndup (good, strlen (good) - 1);
  g_autofree char *inner_space = g_strdup (good);
  g_autofree char *non_canonical = g_strdup (good);
  g_autofree char *with_nul = g_strdup_printf ("%s\n", good);
  g_autofree char *secret64 = NULL;
  g_autofree char *oversize = NULL;
  g_autoptr (GString) many = g_string_new (NULL);
  g_autoptr (GPtrArray) max = NULL;
  g_autoptr (GError) error = NULL;

  assert_parse_fails (garbage, strlen (garbage), "bad.keys:3");
  assert_parse_fails (wrong_len, strlen (wrong_len), "bad.keys:3");
  assert_parse_fails (too_long, strlen (too_long), "bad.keys:1");
  assert_parse_fails (unpadded, strlen (unpadded), "bad.keys:1");
  inner_space[10] = ' ';
  assert_parse_fails (inner_space, strlen (inner_space), "bad.keys:1");
  /* The last character's two low bits are beyond the 32 bytes and must be
   * zero; g_base64_decode() would silently drop them. */
  {
    static const char alphabet[]
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *pos = strchr (alphabet, non_canonical[42]);

    g_assert_nonnull (pos);
    g_assert_cmpint ((pos - alphabet) & 3, ==, 0);
    non_canonical[42] = alphabet[(pos - alphabet) | 1];
  }
  assert_parse_fails (non_canonical, strlen (non_canonical), "bad.keys:1");
  with_nul[5] = '\0';
  assert_parse_fails (with_nul, strlen (good) + 1, "bad.keys:1");
  /* A libostree secret key pasted into a public key file. */
  {
    guint8 raw64[64] = { 1 };
    secret64 = g_base64_encode (raw64, sizeof raw64);
  }
  assert_parse_fails (secret64, strlen (secret64), "bad.keys:1");

  /* Size: one byte over the limit fails even if it is all comment. */
  oversize = g_malloc (UPDRAFT_KEYFILE_MAX_SIZE + 2);
  memset (oversize, '#', UPDRAFT_KEYFILE_MAX_SIZE + 1);
  oversize[UPDRAFT_KEYFILE_MAX_SIZE + 1] = '\0';
  assert_parse_fails (oversize, UPDRAFT_KEYFILE_MAX_SIZE + 1, "bad.keys");

  /* Count: UPDRAFT_KEYRING_MAX_KEYS is fine, one more is not. */
  for (guint i = 0; i < UPDRAFT_KEYRING_MAX_KEYS; i++)
    {
      g_autofree char *k = fake_key_b64 (i, 1);
      g_string_append_printf (many, "%s\n", k);
    }
  max = updraft_parse_public_keys (many->str, many->len, "max.keys", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (max->len, ==, UPDRAFT_KEYRING_MAX_KEYS);
  g_string_append_printf (many, "%s\n", good);
  assert_parse_fails (many->str, many->len, "more than");
}

static void
test_keyring_load (void)
{
  g_autoptr (TmpDir) tmp = tmp_dir_new ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *k1 = fake_key_b64 (1, 2);
  g_autofree char *k2 = fake_key_b64 (2, 2);
  g_autofree char *k3 = fake_key_b64 (3, 2);
  g_autofree char *k4 = fake_key_b64 (4, 2);
  g_autofree char *file_text = g_strdup_printf ("# two keys\n%s\n%s\n", k1, k2);
  g_autofree char *a_text = g_strdup_printf ("%s\n", k3);
  g_autofree char *b_text = g_strdup_printf ("%s\n%s\n", k4, k1);
  g_autofree char *k5 = fake_key_b64 (5, 2);
  g_autofree char *elsewhere_text = g_strdup_printf ("%s\n", k5);
  g_autofree char *file = write_file (tmp->path, "trusted.ed25519", file_text, -1, 0644);
  g_autofree char *elsewhere = write_file (tmp->path, "vendor/k5", elsewhere_text, -1, 0644);
  g_autofree char *link = g_build_filename (tmp->path, "trusted.ed25519.d", "c-link", NULL);
  g_autofree char *dangling = g_build_filename (tmp->path, "trusted.ed25519.d", "d-gone", NULL);
  g_autofree char *dir = g_build_filename (tmp->path, "trusted.ed25519.d", NULL);
  g_autofree char *missing = g_build_filename (tmp->path, "nope.ed25519.d", NULL);
  g_autofree char *revoked = write_file (tmp->path, "revoked.ed25519", a_text, -1, 0644);
  g_autofree char *bad_dir = g_build_filename (tmp->path, "bad.d", NULL);
  gsize len = 0;
  g_autofree guint8 *raw3 = g_base64_decode (k3, &len);
  g_autoptr (GBytes) key3 = g_bytes_new (raw3, len);

  g_free (write_file (tmp->path, "trusted.ed25519.d/a", a_text, -1, 0644));
  g_free (write_file (tmp->path, "trusted.ed25519.d/b", b_text, -1, 0644));
  /* Would fail the load if read. */
  g_free (write_file (tmp->path, "trusted.ed25519.d/.hidden", "junk", -1, 0644));
  g_free (write_file (tmp->path, "trusted.ed25519.d/sub/c", "junk", -1, 0644));
  g_assert_cmpint (symlink (elsewhere, link), ==, 0);
  g_assert_cmpint (symlink ("/nonexistent/key", dangling), ==, 0);
  g_free (write_file (tmp->path, "bad.d/1", "# fine\n", -1, 0644));
  g_free (write_file (tmp->path, "bad.d/2", b_text, -1, 0644));
  g_free (write_file (tmp->path, "bad.d/3", "not base64\n", -1, 0644));

  g_assert_true (updraft_keyring_load_trusted (keyring, file, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 2);
  g_assert_true (updraft_keyring_load_trusted (keyring, dir, &error));
  g_assert_no_error (error);
  /* k3, k4, k5 through the link; k1 again from b: a set, not a list. */
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 5);
  g_assert_true (updraft_keyring_is_trusted (keyring, key3));

  g_assert_true (updraft_keyring_load_trusted (keyring, missing, &error));
  g_assert_no_error (error);
  g_assert_true (updraft_keyring_load_revoked (keyring, missing, &error));
  g_assert_no_error (error);

  g_assert_true (updraft_keyring_load_revoked (keyring, revoked, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (updraft_keyring_n_revoked (keyring), ==, 1);
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 4);
  g_assert_false (updraft_keyring_is_trusted (keyring, key3));
  g_assert_true (updraft_keyring_is_revoked (keyring, key3));

  /* A bad file fails the whole directory, and nothing of it is added. */
  {
    g_autoptr (UpdraftKeyring) other = updraft_keyring_new ();

    g_assert_false (updraft_keyring_load_trusted (other, bad_dir, &error));
    g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
    g_assert_nonnull (strstr (error->message, "bad.d/3:1"));
    g_clear_error (&error);
    g_assert_cmpuint (updraft_keyring_n_trusted (other), ==, 0);
  }
}

static void
test_keyring_limits (void)
{
  g_autoptr (TmpDir) tmp = tmp_dir_new ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GString) first = g_string_new (NULL);
  g_autoptr (GString) second = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *big = NULL;
  g_autofree char *fifo = g_build_filename (tmp->path, "fifo", NULL);
  g_autofree char *dir = NULL;
  g_autofree char *p1 = NULL;

  /* Two files of 600 keys each: fine alone, too many together. */
  for (guint i = 0; i < 600; i++)
    {
      g_autofree char *k1 = fake_key_b64 (i, 3);
      g_autofree char *k2 = fake_key_b64 (i, 4);
      g_string_append_printf (first, "%s\n", k1);
      g_string_append_printf (second, "%s\n", k2);
    }
  p1 = write_file (tmp->path, "keys.d/1", first->str, -1, 0644);
  g_free (write_file (tmp->path, "keys.d/2", second->str, -1, 0644));
  dir = g_build_filename (tmp->path, "keys.d", NULL);
  g_assert_false (updraft_keyring_load_trusted (keyring, dir, &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 0);
  g_assert_true (updraft_keyring_load_trusted (keyring, p1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 600);

  /* An oversize file is refused before it is parsed. */
  big = g_malloc0 (UPDRAFT_KEYFILE_MAX_SIZE + 10);
  memset (big, '\n', UPDRAFT_KEYFILE_MAX_SIZE + 10);
  g_free (write_file (tmp->path, "big", big, UPDRAFT_KEYFILE_MAX_SIZE + 10, 0644));
  {
    g_autofree char *path = g_build_filename (tmp->path, "big", NULL);
    g_assert_false (updraft_keyring_load_trusted (keyring, path, &error));
    g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
    g_clear_error (&error);
  }

  /* A FIFO neither blocks nor counts as a key file. */
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  g_assert_false (updraft_keyring_load_trusted (keyring, fifo, &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 600);
}

static void
test_ostree_defaults (void)
{
  g_autoptr (TmpDir) root = tmp_dir_new ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (UpdraftSecretKey) etc_key = generate_key ();
  g_autoptr (UpdraftSecretKey) usr_key = generate_key ();
  g_autoptr (UpdraftSecretKey) revoked_key = generate_key ();
  g_autoptr (GBytes) etc_pub = updraft_secret_key_get_public (etc_key);
  g_autoptr (GBytes) usr_pub = updraft_secret_key_get_public (usr_key);
  g_autoptr (GBytes) revoked_pub = updraft_secret_key_get_public (revoked_key);
  g_autofree char *etc_line = base64_line (g_bytes_get_data (etc_pub, NULL), 32);
  g_autofree char *usr_line = base64_line (g_bytes_get_data (usr_pub, NULL), 32);
  g_autofree char *revoked_line = base64_line (g_bytes_get_data (revoked_pub, NULL), 32);
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GVariant) md_usr = add_signature (NULL, usr_key, data);
  g_autoptr (GVariant) md_revoked = add_signature (NULL, revoked_key, data);
  g_autofree char *usr_id = key_id_of (usr_key);
  g_autofree char *id = NULL;

  g_free (write_file (root->path, "etc/ostree/trusted.ed25519", etc_line, -1, 0644));
  g_free (write_file (root->path, "usr/share/ostree/trusted.ed25519.d/x", usr_line, -1, 0644));
  g_free (write_file (root->path, "usr/share/ostree/trusted.ed25519.d/revoked-too", revoked_line,
                      -1, 0644));
  g_free (write_file (root->path, "etc/ostree/revoked.ed25519", revoked_line, -1, 0644));
  g_free (write_file (root->path, "etc/ostree/trusted.ed25519.d/broken", "garbage\n", -1, 0644));

  updraft_keyring_load_ostree_defaults (keyring, root->path, warnings);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_nonnull (strstr (warnings->pdata[0], "etc/ostree/trusted.ed25519.d/broken"));
  g_assert_cmpuint (updraft_keyring_n_trusted (keyring), ==, 2);
  g_assert_cmpuint (updraft_keyring_n_revoked (keyring), ==, 1);
  g_assert_true (updraft_keyring_is_trusted (keyring, etc_pub));
  g_assert_true (updraft_keyring_is_trusted (keyring, usr_pub));
  g_assert_true (updraft_keyring_is_revoked (keyring, revoked_pub));

  id = verify_ok (keyring, data, md_usr);
  g_assert_cmpstr (id, ==, usr_id);
  g_free (verify_fails (keyring, data, md_revoked, UPDRAFT_ERROR_KEY_REVOKED));

  /* NULL warnings is allowed and still skips the broken file. */
  {
    g_autoptr (UpdraftKeyring) again = updraft_keyring_new ();

    updraft_keyring_load_ostree_defaults (again, root->path, NULL);
    g_assert_cmpuint (updraft_keyring_n_trusted (again), ==, 2);
    g_assert_null (updraft_keyring_get_revocation_error (again));
  }

  /* An unreadable revocation list fails closed: nothing verifies, not even
   * a signature by a key that was never revoked. */
  g_free (write_file (root->path, "usr/share/ostree/revoked.ed25519.d/broken", "garbage\n", -1, 0644));
  {
    g_autoptr (UpdraftKeyring) closed = updraft_keyring_new ();
    g_autoptr (GPtrArray) more = g_ptr_array_new_with_free_func (g_free);
    g_autofree char *message = NULL;

    updraft_keyring_load_ostree_defaults (closed, root->path, more);
    g_assert_cmpuint (more->len, ==, 2);
    g_assert_nonnull (updraft_keyring_get_revocation_error (closed));
    message = verify_fails (closed, data, md_usr, UPDRAFT_ERROR_CONFIG);
    g_assert_nonnull (strstr (message, "revoked.ed25519.d/broken"));
  }
}

/* One bad file in a trusted directory does not hide the good ones. */
static void
test_lenient_trusted_dir (void)
{
  g_autoptr (TmpDir) root = tmp_dir_new ();
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (UpdraftSecretKey) key = generate_key ();
  g_autoptr (GBytes) pub = updraft_secret_key_get_public (key);
  g_autofree char *line = base64_line (g_bytes_get_data (pub, NULL), 32);
  g_autofree char *dir = g_build_filename (root->path, "keys", NULL);

  g_free (write_file (root->path, "keys/a-broken", "not a key\n", -1, 0644));
  g_free (write_file (root->path, "keys/b-good", line, -1, 0644));
  updraft_keyring_load_lenient (keyring, dir, FALSE, warnings);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_true (updraft_keyring_is_trusted (keyring, pub));
  g_assert_null (updraft_keyring_get_revocation_error (keyring));
}

/* ---- secret keys --------------------------------------------------------- */

static void
assert_load_fails (const char *path, GQuark domain, gint code, const char *expect_in_message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (UpdraftSecretKey) key = updraft_secret_key_load (path, &error);

  g_assert_null (key);
  g_assert_error (error, domain, code);
  if (expect_in_message != NULL && strstr (error->message, expect_in_message) == NULL)
    g_error ("expected \"%s\" in \"%s\"", expect_in_message, error->message);
}

static void
test_secret_key_load (void)
{
  g_autoptr (TmpDir) tmp = tmp_dir_new ();
  g_autoptr (UpdraftSecretKey) key = generate_key ();
  g_autoptr (UpdraftSecretKey) other = generate_key ();
  g_autoptr (GBytes) pub = updraft_secret_key_get_public (key);
  g_autofree char *b64 = updraft_secret_key_to_base64 (key);
  g_autofree char *other_b64 = updraft_secret_key_to_base64 (other);
  g_autofree char *pub_line = base64_line (g_bytes_get_data (pub, NULL), 32);
  g_autofree char *good = write_file (tmp->path, "good.key", b64, -1, 0600);
  g_autofree char *open = write_file (tmp->path, "open.key", b64, -1, 0644);
  g_autofree char *group = write_file (tmp->path, "group.key", b64, -1, 0640);
  g_autofree char *public_only = write_file (tmp->path, "pub.key", pub_line, -1, 0600);
  g_autofree char *junk = write_file (tmp->path, "junk.key", "not a key at all\n", -1, 0600);
  g_autofree char *missing = g_build_filename (tmp->path, "missing.key", NULL);
  g_autofree char *mixed = NULL;
  g_autofree char *mixed_path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (UpdraftSecretKey) loaded = NULL;
  g_autoptr (GBytes) loaded_pub = NULL;
  g_autoptr (GBytes) data = bytes_from_string ("data");
  g_autoptr (GBytes) sig1 = NULL;
  g_autoptr (GBytes) sig2 = NULL;
  g_autofree char *b64_again = NULL;
  gsize raw_len = 0;
  g_autofree guint8 *raw = g_base64_decode (b64, &raw_len);
  g_autofree guint8 *other_raw = g_base64_decode (other_b64, &raw_len);

  g_assert_true (g_str_has_suffix (b64, "\n"));
  g_assert_cmpuint (raw_len, ==, 64);

  loaded = updraft_secret_key_load (good, &error);
  g_assert_no_error (error);
  loaded_pub = updraft_secret_key_get_public (loaded);
  g_assert_true (g_bytes_equal (pub, loaded_pub));
  /* Ed25519 is deterministic: same key, same signature. */
  sig1 = sign (key, data);
  sig2 = sign (loaded, data);
  g_assert_true (g_bytes_equal (sig1, sig2));
  b64_again = updraft_secret_key_to_base64 (loaded);
  g_assert_cmpstr (b64_again, ==, b64);

  assert_load_fails (open, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG, "0644");
  assert_load_fails (group, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG, "0640");
  assert_load_fails (public_only, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG, "public key");
  assert_load_fails (junk, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG, "junk.key");
  assert_load_fails (missing, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "missing.key");
  assert_load_fails (tmp->path, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG, "regular");

  /* Seed of one key with the public half of another. */
  memcpy (raw + 32, other_raw + 32, 32);
  mixed = g_base64_encode (raw, 64);
  mixed_path = write_file (tmp->path, "mixed.key", mixed, -1, 0600);
  assert_load_fails (mixed_path, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG, "does not match");

  /* Key material never appears in messages. */
  {
    g_autoptr (UpdraftSecretKey) k = updraft_secret_key_load (open, &error);
    g_autofree char *seed_prefix = g_strndup (b64, 20);

    g_assert_null (k);
    g_assert_null (strstr (error->message, seed_prefix));
    g_clear_error (&error);
  }
}

static void
test_add_signature (void)
{
  g_autoptr (UpdraftSecretKey) a = generate_key ();
  g_autoptr (UpdraftSecretKey) b = generate_key ();
  g_autoptr (GBytes) data = bytes_from_string ("commit");
  g_autoptr (GBytes) sig_a = sign (a, data);
  g_autoptr (GBytes) sig_b = sign (b, data);
  g_autoptr (GBytes) pub_a = updraft_secret_key_get_public (a);
  g_autoptr (GBytes) pub_b = updraft_secret_key_get_public (b);
  g_autoptr (GVariant) base = g_variant_ref_sink (
      g_variant_new_parsed ("{'version': <'2.0'>, 'updraft.expires': <@t 12345>}"));
  g_autoptr (GVariant) md1 = updraft_metadata_add_signature (base, sig_a, pub_a);
  g_autoptr (GVariant) md2 = updraft_metadata_add_signature (md1, sig_a, pub_a);
  g_autoptr (GVariant) md3 = updraft_metadata_add_signature (md2, sig_b, pub_b);
  g_autoptr (GVariant) sigs = NULL;
  g_autoptr (GVariant) hints = NULL;
  g_autoptr (GVariant) hint1 = NULL;
  g_autoptr (GVariant) ostree_style = make_metadata (&sig_a, 1, NULL, 0);
  g_autoptr (GVariant) md4 = updraft_metadata_add_signature (ostree_style, sig_b, pub_b);
  g_autoptr (GVariant) fresh = updraft_metadata_add_signature (NULL, sig_a, pub_a);
  const char *version = NULL;
  guint64 expires = 0;

  g_assert_false (g_variant_is_floating (md1));
  g_assert_true (g_variant_is_of_type (md3, G_VARIANT_TYPE_VARDICT));
  g_assert_true (g_variant_equal (md1, md2));
  g_assert_true (g_variant_lookup (md3, "version", "&s", &version));
  g_assert_cmpstr (version, ==, "2.0");
  g_assert_true (g_variant_lookup (md3, "updraft.expires", "t", &expires));
  g_assert_cmpuint (expires, ==, 12345);
  g_assert_cmpuint (g_variant_n_children (md3), ==, 4);

  sigs = g_variant_lookup_value (md3, UPDRAFT_SIGN_ED25519_KEY, G_VARIANT_TYPE ("aay"));
  hints = g_variant_lookup_value (md3, UPDRAFT_SIGN_ED25519_HINT_KEY, G_VARIANT_TYPE ("aay"));
  g_assert_nonnull (sigs);
  g_assert_nonnull (hints);
  g_assert_cmpuint (g_variant_n_children (sigs), ==, 2);
  g_assert_cmpuint (g_variant_n_children (hints), ==, 2);
  hint1 = g_variant_get_child_value (hints, 1);
  {
    g_autoptr (GBytes) h = g_variant_get_data_as_bytes (hint1);
    g_assert_true (g_bytes_equal (h, pub_b));
  }

  /* Either key alone verifies the doubly signed metadata. */
  {
    g_autoptr (UpdraftKeyring) ka = updraft_keyring_new ();
    g_autoptr (UpdraftKeyring) kb = updraft_keyring_new ();
    g_autofree char *ida = NULL;
    g_autofree char *idb = NULL;
    g_autofree char *expect_b = key_id_of_bytes (pub_b);

    updraft_keyring_add_trusted (ka, pub_a);
    updraft_keyring_add_trusted (kb, pub_b);
    ida = verify_ok (ka, data, md3);
    idb = verify_ok (kb, data, md3);
    g_assert_cmpstr (idb, ==, expect_b);
  }

  /* Signatures from `ostree sign` have no hints: the hint list is padded so
   * the new key's hint lines up with its signature. */
  {
    g_autoptr (GVariant) h
        = g_variant_lookup_value (md4, UPDRAFT_SIGN_ED25519_HINT_KEY, G_VARIANT_TYPE ("aay"));
    g_autoptr (GVariant) h0 = g_variant_get_child_value (h, 0);
    g_autoptr (GVariant) h1 = g_variant_get_child_value (h, 1);
    g_autoptr (GBytes) h1b = g_variant_get_data_as_bytes (h1);

    g_assert_cmpuint (g_variant_n_children (h), ==, 2);
    g_assert_cmpuint (g_variant_get_size (h0), ==, 0);
    g_assert_true (g_bytes_equal (h1b, pub_b));
  }
  g_assert_cmpuint (g_variant_n_children (fresh), ==, 2);
}

/* ---- cross-check with the openssl command line --------------------------- */

/* Runs @argv in @cwd; TRUE if it exited 0. */
static gboolean
run (const char *cwd, const char *const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  gint status = 0;

  g_assert_true (g_spawn_sync (cwd, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    {
      g_test_message ("%s: %s\n%s%s", argv[1], error->message, out, err);
      return FALSE;
    }
  return TRUE;
}

static gboolean
have_openssl (void)
{
  g_autofree char *path = g_find_program_in_path ("openssl");

  if (path == NULL)
    {
      g_test_skip ("openssl not installed");
      return FALSE;
    }
  return TRUE;
}

static GBytes *
read_bytes (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GMappedFile) mf = g_mapped_file_new (path, FALSE, &error);

  g_assert_no_error (error);
  return g_mapped_file_get_bytes (mf);
}

/* openssl signs, Updraft verifies, and Updraft reads openssl's key file. */
static void
test_openssl_signs (void)
{
  g_autoptr (TmpDir) tmp = NULL;
  g_autoptr (GBytes) data = bytes_from_string ("objects/ab/cdef.commit contents\n");
  g_autoptr (GBytes) sig = NULL;
  g_autoptr (GBytes) spki = NULL;
  g_autoptr (GBytes) pub = NULL;
  g_autoptr (GBytes) loaded_pub = NULL;
  g_autoptr (GBytes) der_pub = NULL;
  g_autoptr (GVariant) md = NULL;
  g_autoptr (GVariant) no_hint = NULL;
  g_autoptr (UpdraftKeyring) keyring = updraft_keyring_new ();
  g_autoptr (UpdraftSecretKey) loaded = NULL;
  g_autoptr (UpdraftSecretKey) loaded_der = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *key_der = NULL;
  g_autofree char *enc_pem = NULL;
  g_autofree char *id = NULL;
  g_autofree char *expected = NULL;
  const guint8 *spki_raw;
  gsize spki_len;

  if (!have_openssl ())
    return;
  tmp = tmp_dir_new ();
  g_free (write_file (tmp->path, "data", g_bytes_get_data (data, NULL),
                      (gssize)g_bytes_get_size (data), 0644));

  {
    const char *genpkey[]
        = { "openssl", "genpkey", "-algorithm", "ed25519", "-out", "key.pem", NULL };
    const char *sign_argv[] = { "openssl", "pkeyutl", "-sign", "-rawin", "-inkey", "key.pem",
                                "-in",     "data",    "-out",  "sig",    NULL };
    const char *pubout[] = { "openssl",  "pkey", "-in",  "key.pem", "-pubout",
                             "-outform", "DER",  "-out", "pub.der", NULL };
    const char *to_der[]
        = { "openssl", "pkey", "-in", "key.pem", "-outform", "DER", "-out", "key.der", NULL };

    g_assert_true (run (tmp->path, genpkey));
    g_assert_true (run (tmp->path, sign_argv));
    g_assert_true (run (tmp->path, pubout));
    g_assert_true (run (tmp->path, to_der));
  }

  sig = read_bytes (tmp->path, "sig");
  g_assert_cmpuint (g_bytes_get_size (sig), ==, UPDRAFT_ED25519_SIGNATURE_LEN);
  spki = read_bytes (tmp->path, "pub.der");
  spki_raw = g_bytes_get_data (spki, &spki_len);
  g_assert_cmpuint (spki_len, ==, sizeof ed25519_spki_prefix + 32);
  g_assert_cmpmem (spki_raw, sizeof ed25519_spki_prefix, ed25519_spki_prefix,
                   sizeof ed25519_spki_prefix);
  pub = g_bytes_new (spki_raw + spki_len - 32, 32);
  expected = key_id_of_bytes (pub);

  /* (a) Updraft verifies openssl's signature, with and without a hint. */
  updraft_keyring_add_trusted (keyring, pub);
  md = updraft_metadata_add_signature (NULL, sig, pub);
  id = verify_ok (keyring, data, md);
  g_assert_cmpstr (id, ==, expected);
  no_hint = make_metadata (&sig, 1, NULL, 0);
  g_free (verify_ok (keyring, data, no_hint));
  {
    g_autoptr (GBytes) tampered = bytes_from_string ("objects/ab/cdef.commit contents\r\n");
    g_free (verify_fails (keyring, tampered, md, UPDRAFT_ERROR_SIGNATURE_INVALID));
  }

  /* (c) Updraft reads openssl's PEM and DER PKCS#8 files, once private. */
  key_pem = g_build_filename (tmp->path, "key.pem", NULL);
  key_der = g_build_filename (tmp->path, "key.der", NULL);
  g_assert_cmpint (g_chmod (key_pem, 0644), ==, 0);
  assert_load_fails (key_pem, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG, "0644");
  g_assert_cmpint (g_chmod (key_pem, 0600), ==, 0);
  g_assert_cmpint (g_chmod (key_der, 0600), ==, 0);
  loaded = updraft_secret_key_load (key_pem, &error);
  g_assert_no_error (error);
  loaded_pub = updraft_secret_key_get_public (loaded);
  g_assert_true (g_bytes_equal (loaded_pub, pub));
  loaded_der = updraft_secret_key_load (key_der, &error);
  g_assert_no_error (error);
  der_pub = updraft_secret_key_get_public (loaded_der);
  g_assert_true (g_bytes_equal (der_pub, pub));
  {
    /* Both implementations make the same (deterministic) signature. */
    g_autoptr (GBytes) ours = sign (loaded, data);
    g_assert_true (g_bytes_equal (ours, sig));
  }

  /* A passphrase-protected key is refused, not prompted for. */
  {
    const char *genenc[] = { "openssl", "genpkey",     "-algorithm", "ed25519", "-aes-256-cbc",
                             "-pass",   "pass:secret", "-out",       "enc.pem", NULL };

    g_assert_true (run (tmp->path, genenc));
    enc_pem = g_build_filename (tmp->path, "enc.pem", NULL);
    g_assert_cmpint (g_chmod (enc_pem, 0600), ==, 0);
    assert_load_fails (enc_pem, UPDRAFT_ERROR, UPDRAFT_ERROR_CONFIG, "passphrase");
  }
}

/* (b) Updraft signs, openssl verifies. */
static void
test_openssl_verifies (void)
{
  g_autoptr (TmpDir) tmp = NULL;
  g_autoptr (UpdraftSecretKey) key = NULL;
  g_autoptr (GBytes) data = bytes_from_string ("summary file contents");
  g_autoptr (GBytes) sig = NULL;
  g_autoptr (GBytes) pub = NULL;
  g_autoptr (GByteArray) spki = g_byte_array_new ();
  g_autofree char *spki_b64 = NULL;
  g_autofree char *pem = NULL;
  const char *verify_pem[] = { "openssl", "pkeyutl", "-verify", "-rawin",   "-pubin", "-inkey",
                               "pub.pem", "-in",     "data",    "-sigfile", "sig",    NULL };
  const char *verify_der[]
      = { "openssl", "pkeyutl", "-verify", "-rawin", "-pubin",   "-keyform", "DER",
          "-inkey",  "pub.der", "-in",     "data",   "-sigfile", "sig",      NULL };
  const char *verify_tampered[]
      = { "openssl", "pkeyutl", "-verify",  "-rawin",   "-pubin", "-inkey",
          "pub.pem", "-in",     "tampered", "-sigfile", "sig",    NULL };
  const char *verify_bad_sig[] = { "openssl", "pkeyutl", "-verify", "-rawin",   "-pubin", "-inkey",
                                   "pub.pem", "-in",     "data",    "-sigfile", "badsig", NULL };

  if (!have_openssl ())
    return;
  tmp = tmp_dir_new ();
  key = generate_key ();
  sig = sign (key, data);
  pub = updraft_secret_key_get_public (key);

  g_byte_array_append (spki, ed25519_spki_prefix, sizeof ed25519_spki_prefix);
  g_byte_array_append (spki, g_bytes_get_data (pub, NULL), 32);
  spki_b64 = g_base64_encode (spki->data, spki->len);
  pem = g_strdup_printf ("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", spki_b64);

  g_free (write_file (tmp->path, "data", g_bytes_get_data (data, NULL),
                      (gssize)g_bytes_get_size (data), 0644));
  g_free (write_file (tmp->path, "tampered", "summary file contents.", -1, 0644));
  g_free (write_file (tmp->path, "sig", g_bytes_get_data (sig, NULL), 64, 0644));
  g_free (write_file (tmp->path, "pub.pem", pem, -1, 0644));
  g_free (write_file (tmp->path, "pub.der", spki->data, spki->len, 0644));
  {
    guint8 bad[64];

    memcpy (bad, g_bytes_get_data (sig, NULL), 64);
    bad[0] ^= 0x80;
    g_free (write_file (tmp->path, "badsig", bad, 64, 0644));
  }

  g_assert_true (run (tmp->path, verify_pem));
  g_assert_true (run (tmp->path, verify_der));
  g_assert_false (run (tmp->path, verify_tampered));
  g_assert_false (run (tmp->path, verify_bad_sig));

  /* And openssl reads Updraft's libostree-form key as the same key. */
  {
    g_autofree char *b64 = updraft_secret_key_to_base64 (key);
    g_autofree char *key_path = write_file (tmp->path, "ostree.key", b64, -1, 0600);
    g_autoptr (GError) error = NULL;
    g_autoptr (UpdraftSecretKey) again = updraft_secret_key_load (key_path, &error);
    g_autoptr (GBytes) sig2 = NULL;

    g_assert_no_error (error);
    sig2 = sign (again, data);
    g_assert_true (g_bytes_equal (sig, sig2));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sign/key-id", test_key_id);
  g_test_add_func ("/sign/verify/round-trip", test_round_trip);
  g_test_add_func ("/sign/verify/rotation", test_rotation);
  g_test_add_func ("/sign/verify/revoked", test_revoked);
  g_test_add_func ("/sign/verify/untrusted-hint", test_untrusted_hint);
  g_test_add_func ("/sign/verify/hint-trusted-but-invalid", test_hint_trusted_but_invalid);
  g_test_add_func ("/sign/verify/bad-signatures", test_bad_signatures);
  g_test_add_func ("/sign/verify/metadata-invalid", test_metadata_invalid);
  g_test_add_func ("/sign/verify/signature-missing", test_signature_missing);
  g_test_add_func ("/sign/verify/empty-keyring", test_empty_keyring);
  g_test_add_func ("/sign/verify/non-normal-metadata", test_non_normal_metadata);
  g_test_add_func ("/sign/keys/parse", test_parse_public_keys);
  g_test_add_func ("/sign/keys/parse-bad", test_parse_public_keys_bad);
  g_test_add_func ("/sign/keyring/load", test_keyring_load);
  g_test_add_func ("/sign/keyring/limits", test_keyring_limits);
  g_test_add_func ("/sign/keyring/ostree-defaults", test_ostree_defaults);
  g_test_add_func ("/sign/keyring/lenient-trusted-dir", test_lenient_trusted_dir);
  g_test_add_func ("/sign/secret-key/load", test_secret_key_load);
  g_test_add_func ("/sign/metadata/add-signature", test_add_signature);
  g_test_add_func ("/sign/openssl/openssl-signs", test_openssl_signs);
  g_test_add_func ("/sign/openssl/openssl-verifies", test_openssl_verifies);

  return g_test_run ();
}
