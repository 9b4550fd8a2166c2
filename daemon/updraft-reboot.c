/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* logind's Manager.Reboot on the system bus. updraftd runs as root, so
 * logind's own polkit check passes; "interactive" is false because there is
 * nobody to ask. */
#include "config.h"

#include "updraft-reboot.h"

#define LOGIND_NAME "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
#define REBOOT_TIMEOUT_MSEC (30 * 1000)

static void
reboot_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GVariant) reply = NULL;
  GError *error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
got_bus (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GDBusConnection) bus = NULL;
  GError *error = NULL;

  bus = g_bus_get_finish (result, &error);
  if (bus == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_dbus_connection_call (bus, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER, "Reboot",
                          g_variant_new ("(b)", FALSE), NULL, G_DBUS_CALL_FLAGS_NONE,
                          REBOOT_TIMEOUT_MSEC, g_task_get_cancellable (task), reboot_call_done,
                          g_object_ref (task));
}

void
updraft_reboot_async (GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, updraft_reboot_async);
  g_bus_get (G_BUS_TYPE_SYSTEM, cancellable, got_bus, task);
}

gboolean
updraft_reboot_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
