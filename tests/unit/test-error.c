/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>

#include "updraft-error.h"

/* Every code round-trips through D-Bus under its own, distinct name. */
static void
test_error_dbus_names (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int code = 0; code <= UPDRAFT_ERROR_LAST; code++)
    {
      g_autoptr (GError) error = g_error_new (UPDRAFT_ERROR, code, "code %d", code);
      g_autofree char *name = NULL;
      g_autoptr (GError) back = NULL;

      updraft_error_for_dbus (error);
      name = g_dbus_error_encode_gerror (error);
      back = g_dbus_error_new_for_dbus_error (name, "msg");
      g_assert_false (g_hash_table_contains (seen, name));
      g_assert_cmpstr (updraft_error_to_dbus_name (code), ==, name);
      if (code == UPDRAFT_ERROR_INVALID_ARGS)
        g_assert_error (back, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
      else
        g_assert_error (back, UPDRAFT_ERROR, code);
      g_hash_table_add (seen, g_steal_pointer (&name));
    }
}

static void
test_error_names (void)
{
  g_assert_cmpstr (updraft_error_to_dbus_name (UPDRAFT_ERROR_WRONG_STATE), ==,
                   "org.updraft.Updater1.Error.WrongState");
  g_assert_cmpstr (updraft_error_to_dbus_name (UPDRAFT_ERROR_INVALID_ARGS), ==,
                   "org.freedesktop.DBus.Error.InvalidArgs");
  g_assert_cmpstr (updraft_error_short_name ("org.updraft.Updater1.Error.Busy"), ==, "Busy");
  g_assert_cmpstr (updraft_error_short_name ("plain"), ==, "plain");
}

static void
test_error_normalize (void)
{
  g_autoptr (GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "stop");
  g_autoptr (GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
  g_autoptr (GError) ours = g_error_new_literal (UPDRAFT_ERROR, UPDRAFT_ERROR_BUSY, "busy");

  updraft_error_normalize (&cancelled);
  updraft_error_normalize (&other);
  updraft_error_normalize (&ours);
  g_assert_error (cancelled, UPDRAFT_ERROR, UPDRAFT_ERROR_CANCELLED);
  g_assert_error (other, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED);
  g_assert_cmpstr (other->message, ==, "gone");
  g_assert_error (ours, UPDRAFT_ERROR, UPDRAFT_ERROR_BUSY);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/error/dbus-names", test_error_dbus_names);
  g_test_add_func ("/error/names", test_error_names);
  g_test_add_func ("/error/normalize", test_error_normalize);
  return g_test_run ();
}
