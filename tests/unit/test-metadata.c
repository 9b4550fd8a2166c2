/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "updraft-error.h"
#include "updraft-metadata.h"

static GBytes *
make_summary (const char *ref, guint8 fill, guint64 timestamp, const char *version, const char *expires)
{
  GVariantBuilder refs, ref_meta, meta;
  guint8 csum[32];
  g_autoptr (GVariant) summary = NULL;

  memset (csum, fill, sizeof csum);
  g_variant_builder_init (&refs, G_VARIANT_TYPE ("a(s(taya{sv}))"));
  g_variant_builder_init (&ref_meta, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&ref_meta, "{sv}", "ostree.commit.timestamp",
                         g_variant_new_uint64 (GUINT64_TO_BE (timestamp)));
  if (version != NULL)
    g_variant_builder_add (&ref_meta, "{sv}", "ostree.commit.version", g_variant_new_string (version));
  g_variant_builder_add (&refs, "(s(t@ay@a{sv}))", ref, (guint64) 0,
                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, csum, 32, 1),
                         g_variant_builder_end (&ref_meta));
  g_variant_builder_init (&meta, G_VARIANT_TYPE_VARDICT);
  if (expires != NULL)
    g_variant_builder_add (&meta, "{sv}", UPDRAFT_META_EXPIRES, g_variant_new_string (expires));
  summary = g_variant_ref_sink (g_variant_new ("(@a(s(taya{sv}))@a{sv})", g_variant_builder_end (&refs),
                                               g_variant_builder_end (&meta)));
  return g_variant_get_data_as_bytes (summary);
}

static void
test_summary_lookup (void)
{
  g_autoptr (GBytes) bytes = make_summary ("os/x86_64/stable", 0xab, 1767225600, "2.0", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) summary = updraft_summary_parse (bytes, &error);
  g_autofree char *csum = NULL;
  g_autofree char *version = NULL;
  guint64 ts = 0;

  g_assert_no_error (error);
  g_assert_true (updraft_summary_lookup_ref (summary, "os/x86_64/stable", &csum, &ts, &version, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (csum, ==, "abababababababababababababababababababababababababababababababab");
  g_assert_cmpuint (ts, ==, 1767225600);
  g_assert_cmpstr (version, ==, "2.0");

  g_assert_false (updraft_summary_lookup_ref (summary, "os/arm64/stable", NULL, NULL, NULL, &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET);
}

static void
test_summary_garbage (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (GBytes) junk = g_bytes_new_static ("\xff\xff\xff\xff\x01\x02\x03", 7);
  g_autoptr (GVariant) a = updraft_summary_parse (empty, &error);

  g_assert_null (a);
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
  g_clear_error (&error);
  g_assert_null (updraft_summary_parse (junk, &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
}

static GVariant *
dict (const char *text)
{
  return g_variant_ref_sink (g_variant_new_parsed (text));
}

static void
test_expiry (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) none = dict ("@a{sv} {}");
  g_autoptr (GVariant) good = dict ("{'updraft.expires': <'2026-12-01T00:00:00Z'>}");
  g_autoptr (GVariant) no_zone = dict ("{'updraft.expires': <'2026-12-01T00:00:00'>}");
  g_autoptr (GVariant) wrong_type = dict ("{'updraft.expires': <uint64 5>}");
  g_autoptr (GVariant) garbage = dict ("{'updraft.expires': <'next tuesday'>}");
  gint64 t = -1;

  g_assert_true (updraft_metadata_get_expiry (none, &t, &error));
  g_assert_cmpint (t, ==, 0);
  g_assert_true (updraft_metadata_get_expiry (NULL, &t, &error));
  g_assert_cmpint (t, ==, 0);
  g_assert_true (updraft_metadata_get_expiry (good, &t, &error));
  g_assert_cmpint (t, ==, 1796083200);
  g_assert_true (updraft_metadata_get_expiry (no_zone, &t, &error));
  g_assert_cmpint (t, ==, 1796083200);
  g_assert_no_error (error);
  g_assert_false (updraft_metadata_get_expiry (wrong_type, &t, &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
  g_clear_error (&error);
  g_assert_false (updraft_metadata_get_expiry (garbage, &t, &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
}

static void
test_target (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) bound = dict ("{'ostree.ref-binding': <['a/b', 'c/d']>, 'updraft.compatible': <'gw-v2'>}");
  g_autoptr (GVariant) unbound = dict ("@a{sv} {}");
  g_autoptr (GVariant) multi = dict ("{'updraft.compatible': <['gw-v1', 'gw-v2']>}");
  g_autoptr (GVariant) bad_binding = dict ("{'ostree.ref-binding': <'a/b'>}");
  g_autoptr (GVariant) bad_compat = dict ("{'updraft.compatible': <42>}");

  g_assert_true (updraft_metadata_check_target (bound, "c/d", NULL, "commit x", &error));
  g_assert_true (updraft_metadata_check_target (bound, "a/b", "gw-v2", "commit x", &error));
  g_assert_true (updraft_metadata_check_target (unbound, "a/b", NULL, "commit x", &error));
  g_assert_true (updraft_metadata_check_target (multi, "a/b", "gw-v1", "commit x", &error));
  g_assert_no_error (error);

  g_assert_false (updraft_metadata_check_target (bound, "e/f", NULL, "commit x", &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET);
  g_assert_nonnull (strstr (error->message, "e/f"));
  g_clear_error (&error);
  g_assert_false (updraft_metadata_check_target (bound, "a/b", "gw-v3", "commit x", &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET);
  g_clear_error (&error);
  g_assert_false (updraft_metadata_check_target (unbound, "a/b", "gw-v3", "commit x", &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET);
  g_clear_error (&error);
  g_assert_false (updraft_metadata_check_target (multi, "a/b", "gw-v3", "commit x", &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET);
  g_clear_error (&error);
  g_assert_false (updraft_metadata_check_target (bad_binding, "a/b", NULL, "commit x", &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
  g_clear_error (&error);
  g_assert_false (updraft_metadata_check_target (bad_compat, "a/b", "x", "commit x", &error));
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metadata/summary-lookup", test_summary_lookup);
  g_test_add_func ("/metadata/summary-garbage", test_summary_garbage);
  g_test_add_func ("/metadata/expiry", test_expiry);
  g_test_add_func ("/metadata/target", test_target);
  return g_test_run ();
}
