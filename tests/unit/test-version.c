/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "updraft-version.h"

static void
test_version_order (void)
{
  static const struct
  {
    const char *a, *b;
    int expected;
  } cases[] = {
    { "1.0", "1.0", 0 },
    { "1.0", "2.0", -1 },
    { "2.0", "1.0", 1 },
    { "1.10", "1.9", 1 },
    { "1.0.1", "1.0", 1 },
    { "1.0", "1.0.1", -1 },
    { "2.0~rc1", "2.0", -1 },
    { "2.0", "2.0~rc1", 1 },
    { "2.0~rc1", "2.0~rc2", -1 },
    { "1.0a", "1.0", 1 },
    { "1.0", "1.a", 1 },
    { "007", "7", 0 },
    { "2026.11.1", "2026.2.9", 1 },
    { "1_0", "1.0", 0 },
    { NULL, "1", -1 },
    { "1", NULL, 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int r = updraft_version_compare (cases[i].a, cases[i].b);
      int sign = r < 0 ? -1 : (r > 0 ? 1 : 0);

      g_test_message ("%s vs %s", cases[i].a, cases[i].b);
      g_assert_cmpint (sign, ==, cases[i].expected);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/version/order", test_version_order);
  return g_test_run ();
}
