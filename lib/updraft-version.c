/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Version ordering for the downgrade check. */
#include "config.h"

#include <string.h>

#include "updraft-version.h"

static gboolean
is_separator (char c)
{
  return !g_ascii_isalnum (c) && c != '~';
}

int
updraft_version_compare (const char *a, const char *b)
{
  if (g_strcmp0 (a, b) == 0)
    return 0;
  if (a == NULL)
    return -1;
  if (b == NULL)
    return 1;

  while (*a != '\0' || *b != '\0')
    {
      const char *sa, *sb;
      gboolean numeric;
      gsize la, lb;
      int r;

      while (*a != '\0' && is_separator (*a))
        a++;
      while (*b != '\0' && is_separator (*b))
        b++;

      /* '~' sorts before everything, even the end of the string. */
      if (*a == '~' || *b == '~')
        {
          if (*a != '~')
            return 1;
          if (*b != '~')
            return -1;
          a++;
          b++;
          continue;
        }
      if (*a == '\0' || *b == '\0')
        break;

      sa = a;
      sb = b;
      numeric = g_ascii_isdigit (*a);
      if (numeric)
        {
          while (g_ascii_isdigit (*a))
            a++;
          while (g_ascii_isdigit (*b))
            b++;
        }
      else
        {
          while (g_ascii_isalpha (*a))
            a++;
          while (g_ascii_isalpha (*b))
            b++;
        }

      /* A number is newer than letters in the same position. */
      if (sb == b)
        return numeric ? 1 : -1;

      if (numeric)
        {
          while (*sa == '0' && sa + 1 < a)
            sa++;
          while (*sb == '0' && sb + 1 < b)
            sb++;
          la = (gsize) (a - sa);
          lb = (gsize) (b - sb);
          if (la != lb)
            return la > lb ? 1 : -1;
        }
      else
        {
          la = (gsize) (a - sa);
          lb = (gsize) (b - sb);
        }
      r = strncmp (sa, sb, MIN (la, lb));
      if (r != 0)
        return r < 0 ? -1 : 1;
      if (la != lb)
        return la > lb ? 1 : -1;
    }

  if (*a == '\0' && *b == '\0')
    return 0;
  return *a == '\0' ? -1 : 1;
}
