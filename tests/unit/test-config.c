/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "updraft-config.h"

static void
test_config_defaults (void)
{
  g_autoptr (UpdraftConfig) config = updraft_config_new ();

  g_assert_true (config->require_signatures);
  g_assert_cmpuint (config->idle_timeout_sec, ==, 120);
  g_assert_cmpuint (config->max_metadata_size, ==, 10 * 1024 * 1024);
  g_assert_null (config->compatible);
}

static void
test_config_parse_size (void)
{
  guint64 n = 0;

  g_assert_true (updraft_config_parse_size ("1024", &n));
  g_assert_cmpuint (n, ==, 1024);
  g_assert_true (updraft_config_parse_size ("16M", &n));
  g_assert_cmpuint (n, ==, 16 * 1024 * 1024);
  g_assert_true (updraft_config_parse_size ("2GiB", &n));
  g_assert_cmpuint (n, ==, G_GUINT64_CONSTANT (2) << 30);
  g_assert_true (updraft_config_parse_size (" 4k ", &n));
  g_assert_cmpuint (n, ==, 4096);
  g_assert_false (updraft_config_parse_size ("", &n));
  g_assert_false (updraft_config_parse_size ("-1", &n));
  g_assert_false (updraft_config_parse_size ("12Q", &n));
  g_assert_false (updraft_config_parse_size ("99999999999999999999", &n));
  g_assert_false (updraft_config_parse_size ("17179869184T", &n));
}

static void
test_config_merge_values (void)
{
  g_autoptr (UpdraftConfig) config = updraft_config_new ();
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  const char *data = "[Daemon]\nIdleTimeoutSec=5\n"
                     "[Network]\nMaxMetadataSize=2M\nStallTimeoutSec=7\n"
                     "[Security]\nRequireSignatures=false\nCompatible=acme-gw-v2\n"
                     "TrustedKeysDir=/srv/keys\n";

  updraft_config_merge_data (config, data, strlen (data), "test.conf", warnings);
  g_assert_cmpuint (warnings->len, ==, 0);
  g_assert_cmpuint (config->idle_timeout_sec, ==, 5);
  g_assert_cmpuint (config->max_metadata_size, ==, 2 * 1024 * 1024);
  g_assert_cmpuint (config->stall_timeout_sec, ==, 7);
  g_assert_false (config->require_signatures);
  g_assert_cmpstr (config->compatible, ==, "acme-gw-v2");
  g_assert_cmpstr (config->trusted_keys_dir, ==, "/srv/keys");
}

/* Unknown groups and keys, bad values and broken files are all reported and
 * leave the previous (secure) value in place. */
static void
test_config_merge_warnings (void)
{
  g_autoptr (UpdraftConfig) config = updraft_config_new ();
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  const char *data = "[Daemon]\nIdleTimeoutSec=-3\nColour=blue\n"
                     "[Bogus]\nX=1\n"
                     "[Security]\nRequireSignatures=maybe\nTrustedKeysDir=relative/path\n"
                     "[Network]\nMaxMetadataSize=1Q\n";
  const char *broken = "this is not a key file";

  updraft_config_merge_data (config, data, strlen (data), "a.conf", warnings);
  g_assert_cmpuint (warnings->len, ==, 6);
  g_assert_true (config->require_signatures);
  g_assert_cmpuint (config->idle_timeout_sec, ==, 120);
  g_assert_cmpuint (config->max_metadata_size, ==, 10 * 1024 * 1024);
  g_assert_cmpstr (config->trusted_keys_dir, ==, UPDRAFT_SYSCONF_DIR "/trusted.ed25519.d");
  for (guint i = 0; i < warnings->len; i++)
    g_assert_true (g_str_has_prefix (warnings->pdata[i], "a.conf: "));

  updraft_config_merge_data (config, broken, strlen (broken), "b.conf", warnings);
  g_assert_cmpuint (warnings->len, ==, 7);
  g_assert_true (g_str_has_prefix (warnings->pdata[6], "b.conf: "));
}

static void
write_file (const char *dir, const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Vendor file, then the admin's, then drop-ins in name order; stray files in
 * the drop-in directory are reported. */
static void
test_config_load_layers (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("updraft-config-XXXXXX", &error);
  g_autofree char *vendor = g_build_filename (tmp, "usr", NULL);
  g_autofree char *etc = g_build_filename (tmp, "etc", NULL);
  g_autofree char *dropins = g_build_filename (etc, "updraft.conf.d", NULL);
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (UpdraftConfig) config = NULL;
  g_autofree char *cmd = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (vendor, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (dropins, 0755), ==, 0);
  write_file (vendor, "updraft.conf", "[Daemon]\nIdleTimeoutSec=10\n[Network]\nStallTimeoutSec=11\n");
  write_file (etc, "updraft.conf", "[Daemon]\nIdleTimeoutSec=20\n");
  write_file (dropins, "20-b.conf", "[Daemon]\nIdleTimeoutSec=40\n");
  write_file (dropins, "10-a.conf", "[Daemon]\nIdleTimeoutSec=30\n[Security]\nCompatible=x\n");
  write_file (dropins, "README", "not a drop-in\n");

  config = updraft_config_load (vendor, etc, warnings);
  g_assert_cmpuint (config->idle_timeout_sec, ==, 40);
  g_assert_cmpuint (config->stall_timeout_sec, ==, 11);
  g_assert_cmpstr (config->compatible, ==, "x");
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_nonnull (strstr (warnings->pdata[0], "README"));

  cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

static void
test_config_load_missing (void)
{
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (UpdraftConfig) config = updraft_config_load ("/nonexistent/a", "/nonexistent/b", warnings);

  g_assert_cmpuint (warnings->len, ==, 0);
  g_assert_true (config->require_signatures);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/defaults", test_config_defaults);
  g_test_add_func ("/config/parse-size", test_config_parse_size);
  g_test_add_func ("/config/merge-values", test_config_merge_values);
  g_test_add_func ("/config/merge-warnings", test_config_merge_warnings);
  g_test_add_func ("/config/load-layers", test_config_load_layers);
  g_test_add_func ("/config/load-missing", test_config_load_missing);
  return g_test_run ();
}
