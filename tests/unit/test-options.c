/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "updraft-error.h"
#include "updraft-options.h"

static GVariant *
parse_dict (const char *text)
{
  return g_variant_ref_sink (g_variant_new_parsed (text));
}

static void
test_options_accepted (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = parse_dict ("{'reboot': <true>}");
  g_autoptr (UpdraftRequest) r = updraft_options_parse (UPDRAFT_OPERATION_APPLY, v, &error);
  g_autoptr (GVariant) v2 = parse_dict (
      "{'commit': <'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'>, "
      "'allow-downgrade': <true>}");
  g_autoptr (UpdraftRequest) r2 = NULL;
  g_autoptr (GVariant) empty = parse_dict ("@a{sv} {}");
  g_autoptr (UpdraftRequest) r3 = NULL;

  g_assert_no_error (error);
  g_assert_true (r->reboot);
  g_assert_cmpint (r->operation, ==, UPDRAFT_OPERATION_APPLY);

  r2 = updraft_options_parse (UPDRAFT_OPERATION_UPDATE, v2, &error);
  g_assert_no_error (error);
  g_assert_true (r2->allow_downgrade);
  g_assert_cmpstr (r2->commit, ==, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  g_assert_false (r2->reboot);

  for (int op = UPDRAFT_OPERATION_CHECK; op <= UPDRAFT_OPERATION_ROLLBACK; op++)
    {
      r3 = updraft_options_parse (op, empty, &error);
      g_assert_no_error (error);
      g_clear_pointer (&r3, updraft_request_free);
    }
}

static void
assert_refused (UpdraftOperation op, const char *text, const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = parse_dict (text);
  g_autoptr (UpdraftRequest) r = updraft_options_parse (op, v, &error);

  g_assert_null (r);
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS);
  g_assert_nonnull (strstr (error->message, fragment));
}

static void
test_options_refused (void)
{
  assert_refused (UPDRAFT_OPERATION_CHECK, "{'colour': <'blue'>}", "colour");
  assert_refused (UPDRAFT_OPERATION_DOWNLOAD, "{'reboot': <true>}", "reboot");
  assert_refused (UPDRAFT_OPERATION_CANCEL, "{'reboot': <true>}", "none");
  assert_refused (UPDRAFT_OPERATION_APPLY, "{'reboot': <'yes'>}", "type b");
  assert_refused (UPDRAFT_OPERATION_CHECK, "{'commit': <42>}", "type s");
  assert_refused (UPDRAFT_OPERATION_CHECK, "{'commit': <'abc'>}", "checksum");
  assert_refused (UPDRAFT_OPERATION_CHECK,
                  "{'commit': <'0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef'>}",
                  "checksum");
  assert_refused (UPDRAFT_OPERATION_CHECK, "{'allow-downgrade': <true>}", "commit");
}

static void
test_options_not_a_dict (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = g_variant_ref_sink (g_variant_new_string ("x"));
  g_autoptr (UpdraftRequest) r = updraft_options_parse (UPDRAFT_OPERATION_CHECK, v, &error);

  g_assert_null (r);
  g_assert_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS);
}

static void
test_options_describe (void)
{
  g_autofree char *update = updraft_options_describe (UPDRAFT_OPERATION_UPDATE);
  g_autofree char *cancel = updraft_options_describe (UPDRAFT_OPERATION_CANCEL);

  g_assert_cmpstr (update, ==, "reboot, commit, allow-downgrade");
  g_assert_cmpstr (cancel, ==, "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/options/accepted", test_options_accepted);
  g_test_add_func ("/options/refused", test_options_refused);
  g_test_add_func ("/options/not-a-dict", test_options_not_a_dict);
  g_test_add_func ("/options/describe", test_options_describe);
  return g_test_run ();
}
