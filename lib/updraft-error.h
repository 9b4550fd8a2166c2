/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one error domain clients see, and its D-Bus names. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define UPDRAFT_ERROR (updraft_error_quark ())

/* Keep in step with the table in updraft-error.c and the error list in
 * dbus/org.updraft.Updater1.xml. */
typedef enum
{
  UPDRAFT_ERROR_FAILED,            /* anything not named below */
  UPDRAFT_ERROR_INVALID_ARGS,      /* unknown option, wrong type, malformed value */
  UPDRAFT_ERROR_WRONG_STATE,       /* the call is not legal in the current state */
  UPDRAFT_ERROR_BUSY,              /* another operation is running */
  UPDRAFT_ERROR_NOT_AUTHORIZED,    /* polkit said no */
  UPDRAFT_ERROR_CANCELLED,         /* the operation was cancelled */
  UPDRAFT_ERROR_NETWORK,           /* the update server could not be reached or failed */
  UPDRAFT_ERROR_TIMEOUT,           /* a network operation made no progress in time */
  UPDRAFT_ERROR_TOO_LARGE,         /* a download or metadata exceeded its limit */
  UPDRAFT_ERROR_SYSROOT,           /* the OSTree sysroot is unusable (no deployment, no origin) */
  UPDRAFT_ERROR_DEPLOY,            /* writing the new deployment failed */
  UPDRAFT_ERROR_NO_ROLLBACK,       /* there is no previous deployment to go back to */
  UPDRAFT_ERROR_DOWNGRADE,         /* the offered commit is older than the current one */
  UPDRAFT_ERROR_SIGNATURE_MISSING, /* the commit or summary carries no signature */
  UPDRAFT_ERROR_SIGNATURE_INVALID, /* a signature does not verify */
  UPDRAFT_ERROR_UNTRUSTED_KEY,     /* signed, but by no trusted key */
  UPDRAFT_ERROR_KEY_REVOKED,       /* signed by a revoked key */
  UPDRAFT_ERROR_METADATA_EXPIRED,  /* the signed metadata is past its expiry */
  UPDRAFT_ERROR_METADATA_INVALID,  /* metadata is malformed, of the wrong type or size */
  UPDRAFT_ERROR_WRONG_TARGET,      /* the commit is for another ref or device class */
  UPDRAFT_ERROR_CONFIG,            /* the configuration is unusable */
} UpdraftError;

#define UPDRAFT_ERROR_LAST UPDRAFT_ERROR_CONFIG

GQuark updraft_error_quark (void);

/* The D-Bus name of @code (for docs and clients that log it). */
const char *updraft_error_to_dbus_name (UpdraftError code);

/* Turns any GError into an UPDRAFT_ERROR one, keeping the message. Errors of
 * other domains become UPDRAFT_ERROR_FAILED, except G_IO_ERROR_CANCELLED. */
void updraft_error_normalize (GError **error);

/* Makes @error ready to return over D-Bus: UPDRAFT_ERROR_INVALID_ARGS
 * becomes G_DBUS_ERROR_INVALID_ARGS (org.freedesktop.DBus.Error.InvalidArgs,
 * which GLib owns). */
void updraft_error_for_dbus (GError *error);

/* The D-Bus error name of any error (for LastError, Finished, History). */
char *updraft_error_encode (const GError *error);

/* The short name a client prints ("WrongState"), from a full D-Bus error name. */
const char *updraft_error_short_name (const char *dbus_name);

G_END_DECLS
