/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authorization through polkit. The subject is the caller's unique bus name,
 * which polkit resolves to a process and user itself; the bus tells us the
 * uid for the root shortcut and the audit trail. Fails closed: if polkit
 * cannot be asked, the answer is no. */
#include "config.h"

#include <polkit/polkit.h>
#include <syslog.h>

#include "updraft-audit.h"
#include "updraft-auth.h"
#include "updraft-error.h"

#define CREDENTIALS_TIMEOUT_MSEC (10 * 1000)

struct _UpdraftAuth
{
  PolkitAuthority *authority; /* NULL until first needed */
  guint pending;
};

typedef struct
{
  UpdraftAuth *auth;
  GDBusMethodInvocation *invocation;
  UpdraftOperation operation;
  char *action_id;
  UpdraftCaller *caller;
  UpdraftAuthCallback callback;
  gpointer user_data;
  GDestroyNotify destroy;
} AuthRequest;

UpdraftAuth *
updraft_auth_new (void)
{
  return g_new0 (UpdraftAuth, 1);
}

void
updraft_auth_free (UpdraftAuth *auth)
{
  if (auth == NULL)
    return;
  g_clear_object (&auth->authority);
  g_free (auth);
}

guint
updraft_auth_get_pending (UpdraftAuth *auth)
{
  return auth->pending;
}

static void
auth_request_free (AuthRequest *req)
{
  req->auth->pending--;
  if (req->destroy != NULL)
    req->destroy (req->user_data);
  g_object_unref (req->invocation);
  g_free (req->action_id);
  updraft_caller_free (req->caller);
  g_free (req);
}

static void
allow (AuthRequest *req)
{
  req->callback (req->invocation, g_steal_pointer (&req->caller), req->user_data);
  auth_request_free (req);
}

static void
deny (AuthRequest *req, const char *message)
{
  UpdraftAuditRecord record = {
    .message_id = UPDRAFT_MSGID_REQUEST_DENIED,
    .priority = LOG_WARNING,
    .operation = req->operation,
    .caller = req->caller,
    .result = "denied",
    .error_name = updraft_error_to_dbus_name (UPDRAFT_ERROR_NOT_AUTHORIZED),
    .action = req->action_id,
  };

  updraft_audit (&record, "%s denied to uid %u: %s", updraft_operation_to_string (req->operation),
                 req->caller != NULL ? req->caller->uid : G_MAXUINT32, message);
  g_dbus_method_invocation_return_error_literal (req->invocation, UPDRAFT_ERROR,
                                                 UPDRAFT_ERROR_NOT_AUTHORIZED, message);
  auth_request_free (req);
}

static void
check_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AuthRequest *req = user_data;
  g_autoptr (PolkitAuthorizationResult) res = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;

  res = polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), result, &error);
  if (res == NULL)
    {
      message = g_strdup_printf ("Could not check authorization for %s: %s", req->action_id,
                                 error->message);
      deny (req, message);
      return;
    }
  if (polkit_authorization_result_get_is_authorized (res))
    {
      allow (req);
      return;
    }
  if (polkit_authorization_result_get_is_challenge (res))
    message = g_strdup_printf ("Not authorized to %s: authentication is required (%s); call "
                               "with interactive authorization allowed, or ask an administrator",
                               updraft_operation_to_string (req->operation), req->action_id);
  else
    message = g_strdup_printf ("Not authorized to %s (%s)",
                               updraft_operation_to_string (req->operation), req->action_id);
  deny (req, message);
}

static void
ask_polkit (AuthRequest *req)
{
  GDBusMessage *msg = g_dbus_method_invocation_get_message (req->invocation);
  g_autoptr (PolkitSubject) subject =
      polkit_system_bus_name_new (g_dbus_method_invocation_get_sender (req->invocation));
  PolkitCheckAuthorizationFlags flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;

  if (g_dbus_message_get_flags (msg) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
    flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
  polkit_authority_check_authorization (req->auth->authority, subject, req->action_id, NULL, flags,
                                        NULL, check_done, req);
}

static void
got_authority (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AuthRequest *req = user_data;
  g_autoptr (GError) error = NULL;
  PolkitAuthority *authority = polkit_authority_get_finish (result, &error);

  if (authority == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Could not reach polkit: %s", error->message);
      deny (req, message);
      return;
    }
  if (req->auth->authority == NULL)
    req->auth->authority = authority;
  else
    g_object_unref (authority);
  ask_polkit (req);
}

static void
got_credentials (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AuthRequest *req = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) creds = NULL;
  guint32 uid = G_MAXUINT32;
  guint32 pid = 0;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Could not identify the caller: %s", error->message);
      deny (req, message);
      return;
    }
  g_variant_get (reply, "(@a{sv})", &creds);
  if (!g_variant_lookup (creds, "UnixUserID", "u", &uid))
    {
      deny (req, "Could not identify the caller: the bus gave no user id");
      return;
    }
  g_variant_lookup (creds, "ProcessID", "u", &pid);
  req->caller = updraft_caller_new (uid, pid, g_dbus_method_invocation_get_sender (req->invocation));

  if (uid == 0)
    {
      allow (req);
      return;
    }
  if (req->auth->authority == NULL)
    {
      polkit_authority_get_async (NULL, got_authority, req);
      return;
    }
  ask_polkit (req);
}

void
updraft_auth_check (UpdraftAuth *auth, GDBusMethodInvocation *invocation, UpdraftOperation operation,
                    const char *action_id, UpdraftAuthCallback callback, gpointer user_data,
                    GDestroyNotify destroy)
{
  AuthRequest *req = g_new0 (AuthRequest, 1);

  auth->pending++;
  req->auth = auth;
  req->invocation = g_object_ref (invocation);
  req->operation = operation;
  req->action_id = g_strdup (action_id);
  req->callback = callback;
  req->user_data = user_data;
  req->destroy = destroy;

  g_dbus_connection_call (g_dbus_method_invocation_get_connection (invocation),
                          "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionCredentials",
                          g_variant_new ("(s)", g_dbus_method_invocation_get_sender (invocation)),
                          G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE,
                          CREDENTIALS_TIMEOUT_MSEC, NULL, got_credentials, req);
}
