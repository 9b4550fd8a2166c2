/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus glue. Method handlers follow one order (systemd's): validate the
 * options, refuse what the state machine refuses, ask polkit, start. */
#include "config.h"

#include "updraft-auth.h"
#include "updraft-dbus-generated.h"
#include "updraft-error.h"
#include "updraft-options.h"
#include "updraft-service.h"

struct _UpdraftService
{
  UpdraftEngine *engine;
  UpdraftDBusUpdater1 *skeleton;
  UpdraftAuth *auth;
  gulong changed_id;
  gulong finished_id;
};

const char *
updraft_service_action_for (const UpdraftRequest *request)
{
  if (request->allow_downgrade)
    return "org.updraft.downgrade";
  switch (request->operation)
    {
    case UPDRAFT_OPERATION_CHECK:
      return "org.updraft.check";
    case UPDRAFT_OPERATION_DOWNLOAD:
      return "org.updraft.download";
    case UPDRAFT_OPERATION_APPLY:
    case UPDRAFT_OPERATION_UPDATE:
      return "org.updraft.update";
    case UPDRAFT_OPERATION_CANCEL:
      return "org.updraft.cancel";
    case UPDRAFT_OPERATION_ROLLBACK:
      return "org.updraft.rollback";
    case UPDRAFT_OPERATION_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* ---- Properties ---- */

static GVariant *
deployments_to_variant (const UpdraftSysrootInfo *info)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; info != NULL && i < info->deployments->len; i++)
    {
      const UpdraftDeploymentInfo *d = info->deployments->pdata[i];
      GVariantDict dict;

      g_variant_dict_init (&dict, NULL);
      g_variant_dict_insert (&dict, "osname", "s", d->osname);
      g_variant_dict_insert (&dict, "commit", "s", d->commit);
      g_variant_dict_insert (&dict, "version", "s", d->version);
      g_variant_dict_insert (&dict, "origin", "s", d->origin);
      g_variant_dict_insert (&dict, "serial", "i", d->serial);
      g_variant_dict_insert (&dict, "timestamp", "t", d->timestamp);
      g_variant_dict_insert (&dict, "booted", "b", d->booted);
      g_variant_dict_insert (&dict, "default", "b", d->is_default);
      g_variant_dict_insert (&dict, "rollback", "b", d->rollback);
      g_variant_dict_insert (&dict, "pinned", "b", d->pinned);
      g_variant_dict_insert (&dict, "staged", "b", d->staged);
      g_variant_dict_insert (&dict, "current", "b", d->current);
      g_variant_builder_add_value (&b, g_variant_dict_end (&dict));
    }
  return g_variant_builder_end (&b);
}

static GVariant *
update_to_variant (const UpdraftUpdateInfo *u)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  if (u == NULL)
    return g_variant_dict_end (&dict);
  g_variant_dict_insert (&dict, "commit", "s", u->commit);
  g_variant_dict_insert (&dict, "version", "s", u->version != NULL ? u->version : "");
  g_variant_dict_insert (&dict, "timestamp", "t", u->timestamp);
  g_variant_dict_insert (&dict, "ref", "s", u->ref != NULL ? u->ref : "");
  g_variant_dict_insert (&dict, "remote", "s", u->remote != NULL ? u->remote : "");
  g_variant_dict_insert (&dict, "subject", "s", u->subject != NULL ? u->subject : "");
  g_variant_dict_insert (&dict, "body", "s", u->body != NULL ? u->body : "");
  if (u->download_size >= 0)
    g_variant_dict_insert (&dict, "download-size", "t", (guint64) u->download_size);
  g_variant_dict_insert (&dict, "downloaded", "b", u->downloaded);
  if (u->signed_by != NULL)
    g_variant_dict_insert (&dict, "signed-by", "s", u->signed_by);
  if (u->allow_downgrade)
    g_variant_dict_insert (&dict, "downgrade", "b", TRUE);
  return g_variant_dict_end (&dict);
}

static GVariant *
progress_to_variant (const UpdraftProgress *p)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  if (p == NULL)
    return g_variant_dict_end (&dict);
  g_variant_dict_insert (&dict, "percent", "u", p->percent);
  g_variant_dict_insert (&dict, "bytes-done", "t", p->bytes_done);
  g_variant_dict_insert (&dict, "bytes-total", "t", p->bytes_total);
  g_variant_dict_insert (&dict, "bytes-per-second", "t", p->bytes_per_second);
  g_variant_dict_insert (&dict, "seconds-left", "x", p->seconds_left);
  g_variant_dict_insert (&dict, "phase", "s", p->phase != NULL ? p->phase : "");
  return g_variant_dict_end (&dict);
}

static void
dict_insert_string (GVariantDict *dict, const char *key, const char *value)
{
  g_variant_dict_insert (dict, key, "s", value != NULL ? value : "");
}

static GVariant *
history_to_variant (GPtrArray *history)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < history->len; i++)
    {
      const UpdraftHistoryEntry *h = history->pdata[i];
      GVariantDict dict;

      g_variant_dict_init (&dict, NULL);
      dict_insert_string (&dict, "operation", updraft_operation_to_string (h->operation));
      g_variant_dict_insert (&dict, "success", "b", h->success);
      dict_insert_string (&dict, "error-name", h->error_name);
      dict_insert_string (&dict, "message", h->message);
      g_variant_dict_insert (&dict, "time", "t", h->time);
      g_variant_dict_insert (&dict, "caller-uid", "u", h->caller_uid);
      dict_insert_string (&dict, "from-commit", h->from_commit);
      dict_insert_string (&dict, "to-commit", h->to_commit);
      dict_insert_string (&dict, "from-version", h->from_version);
      dict_insert_string (&dict, "to-version", h->to_version);
      g_variant_builder_add_value (&b, g_variant_dict_end (&dict));
    }
  return g_variant_builder_end (&b);
}

static void
sync_properties (UpdraftService *self, guint what)
{
  UpdraftDBusUpdater1 *s = self->skeleton;
  UpdraftEngine *e = self->engine;

  if (what & UPDRAFT_ENGINE_CHANGED_STATE)
    {
      updraft_dbus_updater1_set_state (s, updraft_state_to_string (updraft_engine_get_state (e)));
      updraft_dbus_updater1_set_operation (s, updraft_operation_to_string (updraft_engine_get_operation (e)));
    }
  if (what & UPDRAFT_ENGINE_CHANGED_SYSROOT)
    {
      const UpdraftSysrootInfo *info = updraft_engine_get_sysroot_info (e);

      updraft_dbus_updater1_set_current_commit (s, info != NULL && info->current_commit != NULL ? info->current_commit : "");
      updraft_dbus_updater1_set_current_version (s, info != NULL && info->current_version != NULL ? info->current_version : "");
      updraft_dbus_updater1_set_origin (s, info != NULL ? info->origin : "");
      updraft_dbus_updater1_set_deployments (s, deployments_to_variant (info));
    }
  if (what & UPDRAFT_ENGINE_CHANGED_UPDATE)
    updraft_dbus_updater1_set_available_update (s, update_to_variant (updraft_engine_get_update (e)));
  if (what & UPDRAFT_ENGINE_CHANGED_PROGRESS)
    updraft_dbus_updater1_set_progress (s, progress_to_variant (updraft_engine_get_progress (e)));
  if (what & UPDRAFT_ENGINE_CHANGED_LAST_ERROR)
    {
      const char *name, *message;
      updraft_engine_get_last_error (e, &name, &message);
      updraft_dbus_updater1_set_last_error (s, g_variant_new ("(ss)", name, message));
    }
  if (what & UPDRAFT_ENGINE_CHANGED_HISTORY)
    updraft_dbus_updater1_set_history (s, history_to_variant (updraft_engine_get_history (e)));
}

static void
on_engine_changed (UpdraftEngine *engine, guint what, gpointer user_data)
{
  sync_properties (user_data, what);
}

static void
on_engine_finished (UpdraftEngine *engine, guint op, gboolean success, const char *error_name,
                    const char *message, gpointer user_data)
{
  UpdraftService *self = user_data;

  /* Clients that see Finished must already have seen the final State. */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
  updraft_dbus_updater1_emit_finished (self->skeleton, updraft_operation_to_string (op), success,
                                       error_name, message);
}

/* ---- Methods ---- */

static void
return_error (GDBusMethodInvocation *invocation, GError *error /* taken */)
{
  updraft_error_for_dbus (error);
  g_dbus_method_invocation_take_error (invocation, error);
}

typedef struct
{
  UpdraftService *self;
  UpdraftRequest *request;
} PendingCall;

static void
pending_call_free (gpointer data)
{
  PendingCall *pc = data;

  updraft_request_free (pc->request);
  g_free (pc);
}

static void
on_authorized (GDBusMethodInvocation *invocation, UpdraftCaller *caller, gpointer user_data)
{
  PendingCall *pc = user_data;
  UpdraftRequest *request = g_steal_pointer (&pc->request);
  GError *error = NULL;
  gboolean joined = FALSE;

  request->caller = caller;
  if (request->operation == UPDRAFT_OPERATION_CANCEL)
    {
      gboolean ok = updraft_engine_cancel (pc->self->engine, caller, &error);
      updraft_request_free (request);
      if (!ok)
        {
          return_error (invocation, error);
          return;
        }
    }
  /* The state may have moved while polkit was thinking: the engine checks
   * again. */
  else if (!updraft_engine_start (pc->self->engine, request, &joined, &error))
    {
      return_error (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
handle_operation (UpdraftService *self, GDBusMethodInvocation *invocation, UpdraftOperation op,
                  GVariant *options)
{
  g_autoptr (UpdraftRequest) request = NULL;
  GError *error = NULL;
  PendingCall *pc;

  request = updraft_options_parse (op, options, &error);
  if (request == NULL)
    {
      return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!updraft_engine_can_start (self->engine, op, &error))
    {
      return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  pc = g_new0 (PendingCall, 1);
  pc->self = self;
  pc->request = g_steal_pointer (&request);
  updraft_auth_check (self->auth, invocation, op, updraft_service_action_for (pc->request),
                      on_authorized, pc, pending_call_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_check (UpdraftDBusUpdater1 *object, GDBusMethodInvocation *invocation, GVariant *options,
              gpointer user_data)
{
  return handle_operation (user_data, invocation, UPDRAFT_OPERATION_CHECK, options);
}

static gboolean
handle_download (UpdraftDBusUpdater1 *object, GDBusMethodInvocation *invocation, GVariant *options,
                 gpointer user_data)
{
  return handle_operation (user_data, invocation, UPDRAFT_OPERATION_DOWNLOAD, options);
}

static gboolean
handle_apply (UpdraftDBusUpdater1 *object, GDBusMethodInvocation *invocation, GVariant *options,
              gpointer user_data)
{
  return handle_operation (user_data, invocation, UPDRAFT_OPERATION_APPLY, options);
}

static gboolean
handle_update (UpdraftDBusUpdater1 *object, GDBusMethodInvocation *invocation, GVariant *options,
               gpointer user_data)
{
  return handle_operation (user_data, invocation, UPDRAFT_OPERATION_UPDATE, options);
}

static gboolean
handle_cancel (UpdraftDBusUpdater1 *object, GDBusMethodInvocation *invocation, GVariant *options,
               gpointer user_data)
{
  return handle_operation (user_data, invocation, UPDRAFT_OPERATION_CANCEL, options);
}

static gboolean
handle_rollback (UpdraftDBusUpdater1 *object, GDBusMethodInvocation *invocation, GVariant *options,
                 gpointer user_data)
{
  return handle_operation (user_data, invocation, UPDRAFT_OPERATION_ROLLBACK, options);
}

UpdraftService *
updraft_service_new (UpdraftEngine *engine)
{
  UpdraftService *self = g_new0 (UpdraftService, 1);

  self->engine = g_object_ref (engine);
  self->auth = updraft_auth_new ();
  self->skeleton = updraft_dbus_updater1_skeleton_new ();
  updraft_dbus_updater1_set_daemon_version (self->skeleton, PACKAGE_VERSION);
  updraft_dbus_updater1_set_require_signatures (self->skeleton,
                                                updraft_engine_get_config (engine)->require_signatures);
  sync_properties (self, ~0u);

  g_signal_connect (self->skeleton, "handle-check", G_CALLBACK (handle_check), self);
  g_signal_connect (self->skeleton, "handle-download", G_CALLBACK (handle_download), self);
  g_signal_connect (self->skeleton, "handle-apply", G_CALLBACK (handle_apply), self);
  g_signal_connect (self->skeleton, "handle-update", G_CALLBACK (handle_update), self);
  g_signal_connect (self->skeleton, "handle-cancel", G_CALLBACK (handle_cancel), self);
  g_signal_connect (self->skeleton, "handle-rollback", G_CALLBACK (handle_rollback), self);
  self->changed_id = g_signal_connect (engine, "changed", G_CALLBACK (on_engine_changed), self);
  self->finished_id = g_signal_connect (engine, "finished", G_CALLBACK (on_engine_finished), self);
  return self;
}

void
updraft_service_free (UpdraftService *self)
{
  if (self == NULL)
    return;
  g_clear_signal_handler (&self->changed_id, self->engine);
  g_clear_signal_handler (&self->finished_id, self->engine);
  updraft_service_unexport (self);
  g_clear_object (&self->skeleton);
  g_clear_pointer (&self->auth, updraft_auth_free);
  g_clear_object (&self->engine);
  g_free (self);
}

gboolean
updraft_service_export (UpdraftService *self, GDBusConnection *connection, GError **error)
{
  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton), connection,
                                           UPDRAFT_DBUS_PATH, error);
}

void
updraft_service_unexport (UpdraftService *self)
{
  if (self->skeleton != NULL &&
      g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self->skeleton)) != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

gboolean
updraft_service_is_idle (UpdraftService *self)
{
  return updraft_auth_get_pending (self->auth) == 0;
}
