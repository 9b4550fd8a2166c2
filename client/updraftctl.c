/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* updraftctl: the administrator's client for updraftd. Each command maps to
 * one D-Bus method (or to reading properties), waits for the Finished
 * signal, and exits 0 on success. */
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "updraft-dbus-generated.h"
#include "updraft-error.h"
#include "updraftctl-output.h"

#define UPDRAFT_DBUS_NAME "org.updraft.Updater1"
#define UPDRAFT_DBUS_PATH "/org/updraft/Updater1"
#define UPDRAFT_DBUS_IFACE "org.updraft.Updater1"

/* Exit statuses, documented in updraftctl(1). */
enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_NOT_AUTHORIZED = 3,
  EXIT_NO_DAEMON = 4,
  EXIT_INTERRUPTED = 130,
};

typedef struct
{
  const char *name;
  const char *method; /* NULL: not a method call */
  const char *summary;
  const char *description;
} Command;

static const Command commands[] = {
  { "status", NULL, "Show the deployments and the update state",
    "Prints the current version, the update found by the last check, the "
    "deployments and the last error." },
  { "check", "Check", "Check for an update",
    "Fetches the update server's metadata (no file content), verifies it and "
    "reports whether a newer version is available." },
  { "download", "Download", "Download the available update",
    "Downloads and verifies the update found by the last check. Ctrl-C cancels." },
  { "apply", "Apply", "Apply the downloaded update",
    "Makes the downloaded update the default deployment; it takes effect at the "
    "next boot. The current deployment is kept for rollback." },
  { "update", "Update", "Check, download and apply in one step",
    "Checks for an update and, if there is one, downloads and applies it." },
  { "rollback", "Rollback", "Make the previous deployment the default again",
    "Undoes an applied update, or goes back to the deployment before the current one." },
  { "cancel", "Cancel", "Cancel the running check, download or apply",
    "Cancels the operation in progress, whoever started it." },
  { "monitor", NULL, "Follow state and progress live",
    "Prints every state change, progress step and finished operation until interrupted." },
};

typedef struct
{
  const Command *command;
  gboolean json;
  gboolean no_wait;
  gboolean reboot;
  gboolean allow_downgrade;
  char *commit;

  GMainLoop *loop;
  GDBusConnection *bus;
  UpdraftDBusUpdater1 *proxy;
  UpdraftctlProgress progress;
  gboolean tty;
  gboolean started;     /* our call was accepted */
  gboolean interrupted; /* Ctrl-C seen */
  int exit_code;
} Ctl;

static const char *
operation_name (const Command *command)
{
  return command->name;
}

static int
exit_code_for_error (const GError *error)
{
  if (g_error_matches (error, UPDRAFT_ERROR, UPDRAFT_ERROR_NOT_AUTHORIZED))
    return EXIT_NOT_AUTHORIZED;
  if (g_error_matches (error, UPDRAFT_ERROR, UPDRAFT_ERROR_CANCELLED))
    return EXIT_INTERRUPTED;
  return EXIT_FAILED;
}

/* Prints a D-Bus error as its message and short name, without the remote
 * error prefix. */
static void
print_error (Ctl *ctl, const char *what, const char *dbus_name, const char *message)
{
  const char *short_name = updraft_error_short_name (dbus_name);

  if (ctl->json)
    {
      g_autoptr (GVariant) v = g_variant_ref_sink (g_variant_new_parsed (
          "{'operation': <%s>, 'success': <false>, 'error-name': <%s>, 'message': <%s>}",
          operation_name (ctl->command), dbus_name, message));
      g_autofree char *json = updraftctl_variant_to_json (v);
      g_print ("%s\n", json);
      return;
    }
  g_printerr ("updraftctl: %s: %s [%s]\n", what, message, short_name);
}

static void
print_gerror (Ctl *ctl, const char *what, GError *error)
{
  g_autofree char *name = g_dbus_error_get_remote_error (error);

  g_dbus_error_strip_remote_error (error);
  if (name == NULL)
    name = g_dbus_error_encode_gerror (error);
  print_error (ctl, what, name, error->message);
}

static GVariant *
get_all_properties (Ctl *ctl, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  GVariant *props = NULL;

  reply = g_dbus_connection_call_sync (ctl->bus, UPDRAFT_DBUS_NAME, UPDRAFT_DBUS_PATH,
                                       "org.freedesktop.DBus.Properties", "GetAll",
                                       g_variant_new ("(s)", UPDRAFT_DBUS_IFACE),
                                       G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(@a{sv})", &props);
  return props;
}

static void
print_json_result (Ctl *ctl, gboolean success, const char *error_name, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) props = get_all_properties (ctl, &error);
  g_autoptr (GVariant) update = NULL;
  g_autoptr (GVariant) out = NULL;
  g_autofree char *json = NULL;
  const char *state = "";
  GVariantDict dict;

  if (props != NULL)
    {
      g_variant_lookup (props, "State", "&s", &state);
      update = g_variant_lookup_value (props, "AvailableUpdate", G_VARIANT_TYPE_VARDICT);
    }
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "operation", "s", operation_name (ctl->command));
  g_variant_dict_insert (&dict, "success", "b", success);
  g_variant_dict_insert (&dict, "error-name", "s", error_name);
  g_variant_dict_insert (&dict, "message", "s", message);
  g_variant_dict_insert (&dict, "state", "s", state);
  if (update != NULL)
    g_variant_dict_insert_value (&dict, "available-update", update);
  out = g_variant_ref_sink (g_variant_dict_end (&dict));
  json = updraftctl_variant_to_json (out);
  g_print ("%s\n", json);
}

static void
print_success (Ctl *ctl)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) props = NULL;
  g_autoptr (GVariant) update = NULL;
  const char *state = "";
  const char *version = "";

  if (ctl->json)
    {
      print_json_result (ctl, TRUE, "", "");
      return;
    }
  props = get_all_properties (ctl, &error);
  if (props == NULL)
    return;
  g_variant_lookup (props, "State", "&s", &state);
  update = g_variant_lookup_value (props, "AvailableUpdate", G_VARIANT_TYPE_VARDICT);
  if (update != NULL)
    g_variant_lookup (update, "version", "&s", &version);

  if (g_str_equal (state, "no-update"))
    g_print ("No update available; the system is up to date.\n");
  else if (g_str_equal (state, "update-available"))
    {
      guint64 size = 0;
      g_autofree char *size_s = NULL;
      if (update != NULL && g_variant_lookup (update, "download-size", "t", &size))
        size_s = g_format_size (size);
      g_print ("Update available: version %s%s%s%s.\n", version[0] != '\0' ? version : "(none)",
               size_s != NULL ? " (" : "", size_s != NULL ? size_s : "",
               size_s != NULL ? " to download)" : "");
    }
  else if (g_str_equal (state, "ready"))
    g_print ("Update %s is downloaded and verified; run “updraftctl apply” to install it.\n",
             version[0] != '\0' ? version : "(no version)");
  else if (g_str_equal (state, "applied"))
    {
      const char *current = "";
      g_autoptr (GVariant) deployments = g_variant_lookup_value (props, "Deployments", G_VARIANT_TYPE ("aa{sv}"));
      if (deployments != NULL && g_variant_n_children (deployments) > 0)
        {
          g_autoptr (GVariant) first = g_variant_get_child_value (deployments, 0);
          g_variant_lookup (first, "version", "&s", &current);
        }
      g_print ("Version %s is now the default deployment; it takes effect at the next boot.\n",
               current[0] != '\0' ? current : "(no version)");
    }
  else
    g_print ("Done (state %s).\n", state);
}

static void
on_finished (UpdraftDBusUpdater1 *proxy, const char *operation, gboolean success,
             const char *error_name, const char *message, gpointer user_data)
{
  Ctl *ctl = user_data;

  if (ctl->command->method == NULL)
    {
      /* monitor */
      if (ctl->json)
        {
          g_autoptr (GVariant) v = g_variant_ref_sink (g_variant_new_parsed (
              "{'event': <'finished'>, 'operation': <%s>, 'success': <%b>, 'error-name': <%s>, "
              "'message': <%s>}",
              operation, success, error_name, message));
          g_autofree char *json = updraftctl_variant_to_json (v);
          g_print ("%s\n", json);
        }
      else
        {
          updraftctl_progress_finish (&ctl->progress);
          if (success)
            g_print ("%s finished\n", operation);
          else
            g_print ("%s failed: %s [%s]\n", operation, message, updraft_error_short_name (error_name));
        }
      fflush (stdout);
      return;
    }

  if (!ctl->started || !g_str_equal (operation, operation_name (ctl->command)))
    return;
  updraftctl_progress_finish (&ctl->progress);
  if (success)
    {
      print_success (ctl);
      ctl->exit_code = EXIT_OK;
    }
  else
    {
      g_autoptr (GError) error = g_dbus_error_new_for_dbus_error (error_name, message);
      g_dbus_error_strip_remote_error (error);
      if (ctl->json)
        print_json_result (ctl, FALSE, error_name, error->message);
      else
        print_error (ctl, operation, error_name, error->message);
      ctl->exit_code = ctl->interrupted ? EXIT_INTERRUPTED : exit_code_for_error (error);
    }
  g_main_loop_quit (ctl->loop);
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer user_data)
{
  Ctl *ctl = user_data;
  g_autoptr (GVariant) progress = g_variant_lookup_value (changed, "Progress", G_VARIANT_TYPE_VARDICT);
  g_autoptr (GVariant) state = g_variant_lookup_value (changed, "State", G_VARIANT_TYPE_STRING);

  if (ctl->json)
    {
      if (ctl->command->method == NULL)
        {
          g_autoptr (GVariant) v = g_variant_ref_sink (g_variant_new_parsed (
              "{'event': <'changed'>, 'properties': <%@a{sv}>}", changed));
          g_autofree char *json = updraftctl_variant_to_json (v);
          g_print ("%s\n", json);
          fflush (stdout);
        }
      return;
    }
  if (state != NULL && ctl->command->method == NULL)
    {
      updraftctl_progress_finish (&ctl->progress);
      g_print ("state: %s\n", g_variant_get_string (state, NULL));
    }
  if (progress != NULL && (ctl->started || ctl->command->method == NULL))
    updraftctl_progress_show (&ctl->progress, progress);
  fflush (stdout);
}

static void
cancel_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      /* Nothing left to cancel (it just finished) or not allowed: say so and
       * keep waiting for Finished. */
      g_dbus_error_strip_remote_error (error);
      g_printerr ("updraftctl: could not cancel: %s\n", error->message);
    }
}

static void
request_cancel (Ctl *ctl)
{
  g_dbus_connection_call (ctl->bus, UPDRAFT_DBUS_NAME, UPDRAFT_DBUS_PATH, UPDRAFT_DBUS_IFACE,
                          "Cancel", g_variant_new ("(a{sv})", NULL), NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, cancel_done, ctl);
}

static gboolean
on_sigint (gpointer user_data)
{
  Ctl *ctl = user_data;

  if (ctl->command->method != NULL && !ctl->started && !ctl->interrupted)
    {
      /* Not accepted yet (polkit may be asking for a password): cancel as
       * soon as it is, rather than leave it running. */
      ctl->interrupted = TRUE;
      if (!ctl->json)
        g_printerr ("Cancelling… (press Ctrl-C again to stop waiting)\n");
      return G_SOURCE_CONTINUE;
    }
  if (ctl->command->method == NULL || !ctl->started || ctl->interrupted)
    {
      updraftctl_progress_finish (&ctl->progress);
      ctl->exit_code = ctl->command->method == NULL ? EXIT_OK : EXIT_INTERRUPTED;
      g_main_loop_quit (ctl->loop);
      return G_SOURCE_CONTINUE;
    }
  /* First Ctrl-C: cancel what we started and wait for it to end cleanly. */
  ctl->interrupted = TRUE;
  updraftctl_progress_finish (&ctl->progress);
  if (!ctl->json)
    g_printerr ("Cancelling… (press Ctrl-C again to stop waiting)\n");
  request_cancel (ctl);
  return G_SOURCE_CONTINUE;
}

static void
method_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Ctl *ctl = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      ctl->exit_code = exit_code_for_error (error);
      print_gerror (ctl, operation_name (ctl->command), error);
      g_main_loop_quit (ctl->loop);
      return;
    }
  ctl->started = TRUE;
  if (ctl->interrupted)
    {
      request_cancel (ctl);
      return;
    }
  if (g_str_equal (ctl->command->name, "cancel"))
    {
      if (!ctl->json)
        g_print ("Cancellation requested.\n");
      else
        print_json_result (ctl, TRUE, "", "");
      ctl->exit_code = EXIT_OK;
      g_main_loop_quit (ctl->loop);
      return;
    }
  if (ctl->no_wait)
    {
      if (ctl->json)
        print_json_result (ctl, TRUE, "", "started");
      else
        g_print ("%s started.\n", ctl->command->method);
      ctl->exit_code = EXIT_OK;
      g_main_loop_quit (ctl->loop);
      return;
    }
  /* Show the progress the operation already has. */
  if (!ctl->json)
    {
      g_autoptr (GVariant) progress = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (ctl->proxy), "Progress");
      if (progress != NULL)
        updraftctl_progress_show (&ctl->progress, progress);
    }
}

static GVariant *
build_options (Ctl *ctl)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  if (ctl->reboot)
    g_variant_dict_insert (&dict, "reboot", "b", TRUE);
  if (ctl->commit != NULL)
    g_variant_dict_insert (&dict, "commit", "s", ctl->commit);
  if (ctl->allow_downgrade)
    g_variant_dict_insert (&dict, "allow-downgrade", "b", TRUE);
  return g_variant_dict_end (&dict);
}

/* Makes sure updraftd runs (D-Bus activation) before the proxy is made, so
 * the proxy tracks its owner from the start and misses no signal. */
static gboolean
connect_daemon (Ctl *ctl, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  ctl->bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, error);
  if (ctl->bus == NULL)
    return FALSE;
  reply = g_dbus_connection_call_sync (ctl->bus, UPDRAFT_DBUS_NAME, UPDRAFT_DBUS_PATH,
                                       "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return FALSE;
  ctl->proxy = updraft_dbus_updater1_proxy_new_sync (ctl->bus, G_DBUS_PROXY_FLAGS_NONE,
                                                     UPDRAFT_DBUS_NAME, UPDRAFT_DBUS_PATH, NULL, error);
  return ctl->proxy != NULL;
}

static int
run_status (Ctl *ctl)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) props = get_all_properties (ctl, &error);

  if (props == NULL)
    {
      print_gerror (ctl, "status", error);
      return EXIT_FAILED;
    }
  if (ctl->json)
    {
      g_autofree char *json = updraftctl_variant_to_json (props);
      g_print ("%s\n", json);
    }
  else
    updraftctl_print_status (props);
  return EXIT_OK;
}

static int
run_command (Ctl *ctl)
{
  GDBusCallFlags flags = G_DBUS_CALL_FLAGS_NONE;
  g_autoptr (GError) error = NULL;

  if (!connect_daemon (ctl, &error))
    {
      print_gerror (ctl, "connecting to updraftd", error);
      return EXIT_NO_DAEMON;
    }
  if (g_str_equal (ctl->command->name, "status"))
    return run_status (ctl);

  ctl->loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (ctl->proxy, "finished", G_CALLBACK (on_finished), ctl);
  g_signal_connect (ctl->proxy, "g-properties-changed", G_CALLBACK (on_properties_changed), ctl);
  g_unix_signal_add (SIGINT, on_sigint, ctl);
  g_unix_signal_add (SIGTERM, on_sigint, ctl);

  if (ctl->command->method == NULL)
    {
      /* monitor */
      if (!ctl->json)
        {
          const char *state = updraft_dbus_updater1_get_state (ctl->proxy);
          g_print ("state: %s\n", state != NULL ? state : "unknown");
          fflush (stdout);
        }
      g_main_loop_run (ctl->loop);
      return ctl->exit_code;
    }

  /* An admin at a terminal may have a polkit agent that can ask for a
   * password; scripts must not hang on one. */
  if (isatty (STDIN_FILENO))
    flags |= G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION;
  g_dbus_connection_call (ctl->bus, UPDRAFT_DBUS_NAME, UPDRAFT_DBUS_PATH, UPDRAFT_DBUS_IFACE,
                          ctl->command->method, g_variant_new ("(@a{sv})", build_options (ctl)),
                          G_VARIANT_TYPE_UNIT, flags, G_MAXINT, NULL, method_done, ctl);
  g_main_loop_run (ctl->loop);
  return ctl->exit_code;
}

static char *
commands_help (void)
{
  GString *s = g_string_new ("Commands:\n");

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (s, "  %-10s %s\n", commands[i].name, commands[i].summary);
  g_string_append (s, "\nRun “updraftctl COMMAND --help” for a command's options.\n"
                      "Exit status: 0 success, 1 failure, 2 usage error, 3 not authorized,\n"
                      "4 updraftd unreachable, 130 interrupted or cancelled.");
  return g_string_free (s, FALSE);
}

int
main (int argc, char **argv)
{
  Ctl ctl = { 0 };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *parameter = NULL;
  char **cmd_argv;
  int cmd_argc;
  int exit_code;
  const GOptionEntry common_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl.json, "Print machine-readable JSON", NULL },
    { NULL },
  };
  const GOptionEntry wait_entries[] = {
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &ctl.no_wait, "Return once the operation has started", NULL },
    { NULL },
  };
  const GOptionEntry reboot_entries[] = {
    { "reboot", 'r', 0, G_OPTION_ARG_NONE, &ctl.reboot, "Reboot once the deployment is written", NULL },
    { NULL },
  };
  const GOptionEntry commit_entries[] = {
    { "commit", 0, 0, G_OPTION_ARG_STRING, &ctl.commit, "Check this commit instead of the newest", "CHECKSUM" },
    { "allow-downgrade", 0, 0, G_OPTION_ARG_NONE, &ctl.allow_downgrade,
      "Accept a commit older than the current one (needs --commit and the downgrade authorization)", NULL },
    { NULL },
  };

  setlocale (LC_ALL, "");
  /* Registers Updraft's D-Bus error names, so replies map back to codes. */
  (void) updraft_error_quark ();

  if (argc < 2 || argv[1][0] == '-')
    {
      gboolean want_help = argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"));
      g_autofree char *text = commands_help ();
      if (argc >= 2 && g_str_equal (argv[1], "--version"))
        {
          g_print ("updraftctl %s\n", PACKAGE_VERSION);
          return EXIT_OK;
        }
      (want_help ? g_print : g_printerr) ("Usage: updraftctl COMMAND [OPTION…]\n\n"
                                          "Control over-the-air updates of this system.\n\n%s\n", text);
      return want_help ? EXIT_OK : EXIT_USAGE;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      ctl.command = &commands[i];
  if (ctl.command == NULL)
    {
      g_autofree char *text = commands_help ();
      g_printerr ("updraftctl: unknown command “%s”\n\n%s\n", argv[1], text);
      return EXIT_USAGE;
    }

  parameter = g_strdup_printf ("updraftctl %s", ctl.command->name);
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, ctl.command->summary);
  g_option_context_set_description (context, ctl.command->description);
  g_option_context_add_main_entries (context, common_entries, NULL);
  if (ctl.command->method != NULL && !g_str_equal (ctl.command->name, "cancel"))
    g_option_context_add_main_entries (context, wait_entries, NULL);
  if (g_str_equal (ctl.command->name, "apply") || g_str_equal (ctl.command->name, "update") ||
      g_str_equal (ctl.command->name, "rollback"))
    g_option_context_add_main_entries (context, reboot_entries, NULL);
  if (g_str_equal (ctl.command->name, "check") || g_str_equal (ctl.command->name, "update"))
    g_option_context_add_main_entries (context, commit_entries, NULL);

  /* Parse from the command on, so the usage line reads "updraftctl COMMAND". */
  g_set_prgname (parameter);
  cmd_argc = argc - 1;
  cmd_argv = argv + 1;
  if (!g_option_context_parse (context, &cmd_argc, &cmd_argv, &error))
    {
      g_printerr ("%s: %s\n", parameter, error->message);
      return EXIT_USAGE;
    }
  if (cmd_argc > 1)
    {
      g_printerr ("%s: unexpected argument “%s”\n", parameter, cmd_argv[1]);
      return EXIT_USAGE;
    }

  ctl.tty = isatty (STDOUT_FILENO);
  updraftctl_progress_init (&ctl.progress, ctl.tty && !ctl.json);
  exit_code = run_command (&ctl);

  updraftctl_progress_clear (&ctl.progress);
  g_clear_object (&ctl.proxy);
  g_clear_object (&ctl.bus);
  g_clear_pointer (&ctl.loop, g_main_loop_unref);
  g_free (ctl.commit);
  return exit_code;
}
