/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* updraftd: the process. Options, configuration, the bus name, readiness
 * and status for systemd, exiting when idle, and shutting down cleanly. */
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>

#include "updraft-audit.h"
#include "updraft-config.h"
#include "updraft-engine.h"
#include "updraft-error.h"
#include "updraft-service.h"

/* How often the idle timer looks; the timeout itself is in updraft.conf. */
#define IDLE_CHECK_INTERVAL_SEC 1

typedef struct
{
  GMainLoop *loop;
  UpdraftConfig *config;
  UpdraftEngine *engine;
  UpdraftService *service;
  GDBusConnection *bus;
  guint owner_id;
  gboolean name_acquired;
  gboolean stopping;
  gint exit_code;

  /* Incremented by a GDBus filter (GDBus worker thread) for every message
   * to us; the idle timer (main thread) compares it with the last value. */
  gint activity;
  gint seen_activity;
  gint64 idle_since;
} Daemon;

static void
notify_status (Daemon *d)
{
  UpdraftState state = updraft_engine_get_state (d->engine);
  UpdraftOperation op = updraft_engine_get_operation (d->engine);

  sd_notifyf (0, "STATUS=%s%s%s", updraft_state_to_string (state), op != UPDRAFT_OPERATION_NONE ? ": " : "",
              updraft_operation_to_string (op));
}

static void
on_engine_changed (UpdraftEngine *engine, guint what, gpointer user_data)
{
  Daemon *d = user_data;

  if (what & UPDRAFT_ENGINE_CHANGED_STATE)
    notify_status (d);
}

static void
stop (Daemon *d, gint exit_code)
{
  if (d->stopping)
    return;
  d->stopping = TRUE;
  d->exit_code = exit_code;
  sd_notify (0, "STOPPING=1");
  /* An operation in flight is cancelled and allowed to finish: libostree
   * never leaves a half-written deployment, but the state file should say
   * how it ended. */
  if (!updraft_engine_is_idle (d->engine))
    {
      g_autoptr (GError) error = NULL;
      g_message ("Stopping: cancelling the running operation first");
      if (!updraft_engine_cancel (d->engine, NULL, &error))
        g_debug ("%s", error->message);
      return;
    }
  g_main_loop_quit (d->loop);
}

static void
on_engine_finished (UpdraftEngine *engine, guint op, gboolean success, const char *error_name,
                    const char *message, gpointer user_data)
{
  Daemon *d = user_data;

  d->idle_since = g_get_monotonic_time ();
  if (d->stopping)
    g_main_loop_quit (d->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  stop (user_data, EXIT_SUCCESS);
  return G_SOURCE_CONTINUE;
}

static GDBusMessage *
activity_filter (GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
                 gpointer user_data)
{
  Daemon *d = user_data;

  if (incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
      g_strcmp0 (g_dbus_message_get_path (message), UPDRAFT_DBUS_PATH) == 0)
    g_atomic_int_inc (&d->activity);
  return message;
}

static gboolean
idle_check (gpointer user_data)
{
  Daemon *d = user_data;
  guint timeout = d->config->idle_timeout_sec;
  gint activity = g_atomic_int_get (&d->activity);
  gint64 now = g_get_monotonic_time ();

  if (activity != d->seen_activity || !updraft_engine_is_idle (d->engine) ||
      !updraft_service_is_idle (d->service))
    {
      d->seen_activity = activity;
      d->idle_since = now;
      return G_SOURCE_CONTINUE;
    }
  if (timeout > 0 && now - d->idle_since >= (gint64) timeout * G_USEC_PER_SEC)
    {
      g_message ("Idle for %u s; exiting (D-Bus activation starts updraftd again when needed)",
                 timeout);
      stop (d, EXIT_SUCCESS);
    }
  return G_SOURCE_CONTINUE;
}

static void
on_bus_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *d = user_data;
  g_autoptr (GError) error = NULL;

  d->bus = g_object_ref (connection);
  g_dbus_connection_add_filter (connection, activity_filter, d, NULL);
  if (!updraft_service_export (d->service, connection, &error))
    {
      g_critical ("Exporting %s: %s", UPDRAFT_DBUS_PATH, error->message);
      stop (d, EXIT_FAILURE);
    }
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *d = user_data;

  d->name_acquired = TRUE;
  g_debug ("Acquired %s", name);
  sd_notify (0, "READY=1");
  notify_status (d);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *d = user_data;

  if (connection == NULL)
    g_warning ("Could not connect to the system bus");
  else if (!d->name_acquired)
    g_warning ("Could not own %s on the system bus (another updraftd running, or the bus policy "
               "does not allow it)",
               name);
  else
    g_warning ("Lost the name %s", name);
  stop (d, EXIT_FAILURE);
}

static void
log_config_warnings (GPtrArray *warnings)
{
  for (guint i = 0; i < warnings->len; i++)
    g_warning ("Configuration: %s", (const char *) warnings->pdata[i]);
}

static void
log_security_posture (UpdraftConfig *config)
{
  UpdraftAuditRecord record = {
    .message_id = UPDRAFT_MSGID_SECURITY_WARNING,
    .priority = LOG_WARNING,
  };

  if (!config->require_signatures)
    updraft_audit (&record, "RequireSignatures=false: updates are NOT verified; anyone who can "
                            "answer for the update server can install software on this device");
}

int
main (int argc, char **argv)
{
  g_autofree char *sysroot = NULL;
  g_autofree char *osname = NULL;
  gboolean verbose = FALSE;
  gboolean version = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GMainLoop) loop = NULL;
  Daemon d = { 0 };
  const GOptionEntry entries[] = {
    { "sysroot", 0, 0, G_OPTION_ARG_FILENAME, &sysroot, "The OSTree sysroot to manage (default: /)", "PATH" },
    { "os", 0, 0, G_OPTION_ARG_STRING, &osname, "The stateroot to manage (default: the booted or only one)", "NAME" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL },
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- the Updraft update daemon");
  g_option_context_set_summary (context,
                                "Manages OSTree deployments and serves org.updraft.Updater1 on the "
                                "system bus. Normally started by D-Bus activation.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("updraftd: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (version)
    {
      g_print ("updraftd %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (verbose)
    g_setenv ("G_MESSAGES_DEBUG", "updraft", TRUE);
  if (sysroot == NULL)
    sysroot = g_strdup ("/");

  /* Deployments and the repository must be readable by the users of the
   * system, whatever umask started us; the state file sets its own 0600. */
  umask (0022);

  d.config = updraft_config_load (UPDRAFT_VENDOR_CONFIG_DIR, UPDRAFT_SYSCONF_DIR, warnings);
  log_config_warnings (warnings);
  log_security_posture (d.config);

  loop = g_main_loop_new (NULL, FALSE);
  d.loop = loop;
  d.engine = updraft_engine_new (d.config, sysroot, osname, UPDRAFT_STATE_DIR);
  updraft_engine_load (d.engine);
  d.service = updraft_service_new (d.engine);
  g_signal_connect (d.engine, "changed", G_CALLBACK (on_engine_changed), &d);
  g_signal_connect (d.engine, "finished", G_CALLBACK (on_engine_finished), &d);

  {
    const UpdraftSysrootInfo *info = updraft_engine_get_sysroot_info (d.engine);
    UpdraftAuditRecord record = {
      .message_id = UPDRAFT_MSGID_DAEMON_STARTED,
      .from_commit = info != NULL ? info->current_commit : NULL,
      .from_version = info != NULL ? info->current_version : NULL,
    };
    updraft_audit (&record, "updraftd %s started on %s (%s, state %s)", PACKAGE_VERSION, sysroot,
                   info != NULL ? info->osname : "no usable deployment",
                   updraft_state_to_string (updraft_engine_get_state (d.engine)));
  }

  g_unix_signal_add (SIGTERM, on_signal, &d);
  g_unix_signal_add (SIGINT, on_signal, &d);
  d.idle_since = g_get_monotonic_time ();
  g_timeout_add_seconds (IDLE_CHECK_INTERVAL_SEC, idle_check, &d);

  d.owner_id = g_bus_own_name (G_BUS_TYPE_SYSTEM, UPDRAFT_DBUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
                               on_bus_acquired, on_name_acquired, on_name_lost, &d, NULL);
  g_main_loop_run (loop);

  updraft_service_unexport (d.service);
  g_bus_unown_name (d.owner_id);
  updraft_engine_flush (d.engine);
  if (d.bus != NULL)
    g_dbus_connection_flush_sync (d.bus, NULL, NULL);
  g_clear_pointer (&d.service, updraft_service_free);
  g_clear_object (&d.engine);
  g_clear_object (&d.bus);
  updraft_config_unref (d.config);
  return d.exit_code;
}
