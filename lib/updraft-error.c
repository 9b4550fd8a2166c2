/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The error domain and its registration with GDBus: every code maps to exactly
 * one D-Bus error name, and the table must cover the enum. */
#include "config.h"

#include <string.h>

#include "updraft-error.h"

#define ERROR_PREFIX "org.updraft.Updater1.Error."

static const GDBusErrorEntry error_entries[] = {
  { UPDRAFT_ERROR_FAILED, ERROR_PREFIX "Failed" },
  { UPDRAFT_ERROR_INVALID_ARGS, "org.freedesktop.DBus.Error.InvalidArgs" },
  { UPDRAFT_ERROR_WRONG_STATE, ERROR_PREFIX "WrongState" },
  { UPDRAFT_ERROR_BUSY, ERROR_PREFIX "Busy" },
  { UPDRAFT_ERROR_NOT_AUTHORIZED, ERROR_PREFIX "NotAuthorized" },
  { UPDRAFT_ERROR_CANCELLED, ERROR_PREFIX "Cancelled" },
  { UPDRAFT_ERROR_NETWORK, ERROR_PREFIX "Network" },
  { UPDRAFT_ERROR_TIMEOUT, ERROR_PREFIX "Timeout" },
  { UPDRAFT_ERROR_TOO_LARGE, ERROR_PREFIX "TooLarge" },
  { UPDRAFT_ERROR_SYSROOT, ERROR_PREFIX "Sysroot" },
  { UPDRAFT_ERROR_DEPLOY, ERROR_PREFIX "Deploy" },
  { UPDRAFT_ERROR_NO_ROLLBACK, ERROR_PREFIX "NoRollback" },
  { UPDRAFT_ERROR_DOWNGRADE, ERROR_PREFIX "Downgrade" },
  { UPDRAFT_ERROR_SIGNATURE_MISSING, ERROR_PREFIX "SignatureMissing" },
  { UPDRAFT_ERROR_SIGNATURE_INVALID, ERROR_PREFIX "SignatureInvalid" },
  { UPDRAFT_ERROR_UNTRUSTED_KEY, ERROR_PREFIX "UntrustedKey" },
  { UPDRAFT_ERROR_KEY_REVOKED, ERROR_PREFIX "KeyRevoked" },
  { UPDRAFT_ERROR_METADATA_EXPIRED, ERROR_PREFIX "MetadataExpired" },
  { UPDRAFT_ERROR_METADATA_INVALID, ERROR_PREFIX "MetadataInvalid" },
  { UPDRAFT_ERROR_WRONG_TARGET, ERROR_PREFIX "WrongTarget" },
  { UPDRAFT_ERROR_CONFIG, ERROR_PREFIX "Config" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (error_entries) == UPDRAFT_ERROR_LAST + 1);

GQuark
updraft_error_quark (void)
{
  static gsize quark = 0;

  if (g_once_init_enter (&quark))
    {
      GQuark q = g_quark_from_static_string ("updraft-error-quark");

      /* InvalidArgs is GLib's own G_DBUS_ERROR_INVALID_ARGS on the bus and
       * cannot be registered twice; updraft_error_for_dbus() converts it. */
      for (gsize i = 0; i < G_N_ELEMENTS (error_entries); i++)
        if (error_entries[i].error_code != UPDRAFT_ERROR_INVALID_ARGS)
          g_dbus_error_register_error (q, error_entries[i].error_code,
                                       error_entries[i].dbus_error_name);
      g_once_init_leave (&quark, q);
    }
  return (GQuark) quark;
}

void
updraft_error_for_dbus (GError *error)
{
  if (error != NULL && error->domain == UPDRAFT_ERROR && error->code == UPDRAFT_ERROR_INVALID_ARGS)
    {
      error->domain = G_DBUS_ERROR;
      error->code = G_DBUS_ERROR_INVALID_ARGS;
    }
}

char *
updraft_error_encode (const GError *error)
{
  if (error->domain == UPDRAFT_ERROR)
    return g_strdup (updraft_error_to_dbus_name (error->code));
  return g_dbus_error_encode_gerror (error);
}

const char *
updraft_error_to_dbus_name (UpdraftError code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (error_entries); i++)
    if (error_entries[i].error_code == (gint) code)
      return error_entries[i].dbus_error_name;
  return error_entries[0].dbus_error_name;
}

void
updraft_error_normalize (GError **error)
{
  GError *e;

  if (error == NULL || *error == NULL)
    return;
  e = *error;
  if (e->domain == UPDRAFT_ERROR)
    return;
  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    e->code = UPDRAFT_ERROR_CANCELLED;
  else
    e->code = UPDRAFT_ERROR_FAILED;
  e->domain = UPDRAFT_ERROR;
}

const char *
updraft_error_short_name (const char *dbus_name)
{
  const char *dot;

  if (dbus_name == NULL)
    return "";
  dot = strrchr (dbus_name, '.');
  return dot != NULL ? dot + 1 : dbus_name;
}
