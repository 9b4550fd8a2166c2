/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OpenSSL's error queue as GError text. */
#include "config.h"

#include <openssl/err.h>

#include "updraft-error.h"
#include "updraft-openssl.h"

void
updraft_openssl_set_error (GError **error, gint code, const char *what)
{
  g_autoptr (GString) msg = g_string_new (what);
  const char *data = NULL;
  int flags = 0;
  unsigned long e;
  guint n = 0;

  /* Oldest first: the first entry is usually the cause, later ones are the
   * layers that passed it up. */
  while ((e = ERR_get_error_all (NULL, NULL, NULL, &data, &flags)) != 0)
    {
      const char *reason = ERR_reason_error_string (e);

      g_string_append (msg, n++ == 0 ? ": " : "; ");
      if (reason != NULL)
        g_string_append (msg, reason);
      else
        g_string_append_printf (msg, "error %lx", e);
      if (data != NULL && (flags & ERR_TXT_STRING) != 0 && data[0] != '\0')
        g_string_append_printf (msg, " (%s)", data);
    }
  if (n == 0)
    g_string_append (msg, ": no details from OpenSSL");

  g_set_error_literal (error, UPDRAFT_ERROR, code, msg->str);
}
