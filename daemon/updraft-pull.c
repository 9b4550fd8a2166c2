/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fetches under limits. Each fetch runs in the updraft-fetch helper; this
 * side reads its progress lines in a private main context, with a watchdog
 * that kills the helper on Cancel, a stall, a timeout, or more data than
 * the signed metadata allows. A killed fetch leaves the repository
 * consistent, and what was already stored is kept for the next attempt. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "updraft-error.h"
#include "updraft-progress.h"
#include "updraft-pull.h"

#define WATCHDOG_INTERVAL_MS 200
#define HELPER_NAME "updraft-fetch"
/* The helper's progress lines are short; a longer one is a bug. */
#define MAX_LINE 4096

/* The helper sits next to updraftd (libexecdir when installed, the build
 * directory in development), so no path is configured anywhere. */
static const char *
helper_path (void)
{
  static char *path;

  if (g_once_init_enter (&path))
    {
      g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *dir = self != NULL ? g_path_get_dirname (self) : g_strdup (UPDRAFT_LIBEXECDIR);
      g_once_init_leave (&path, g_build_filename (dir, HELPER_NAME, NULL));
    }
  return path;
}

/* The repository's directory, for the helper. A sysroot's repository is
 * opened by file descriptor (its GFile path is /proc/self/fd/N), so ask the
 * kernel where that descriptor points. */
static char *
repo_path (OstreeRepo *repo)
{
  g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", ostree_repo_get_dfd (repo));
  char *path = g_file_read_link (link, NULL);

  return path != NULL ? path : g_strdup (g_file_peek_path (ostree_repo_get_path (repo)));
}

typedef struct
{
  GMainContext *context;
  GSubprocess *process;
  GDataInputStream *out;
  const UpdraftPullLimits *limits;
  UpdraftPullProgressFunc progress;
  gpointer user_data;
  GCancellable *cancellable; /* the caller's: Cancel on D-Bus */
  UpdraftPullStatus status;
  UpdraftStallDetector stall;
  gint64 start_usec;
  gboolean eof;
  gboolean exited;
  GError *abort_error;  /* why the watchdog killed the helper */
  GError *helper_error; /* what the helper reported */
} FetchRun;

static void
abort_fetch (FetchRun *run, GError *reason)
{
  if (run->abort_error == NULL)
    run->abort_error = reason;
  else
    g_error_free (reason);
  g_subprocess_force_exit (run->process);
}

static void
update_total (FetchRun *run)
{
  if (run->status.delta_parts_total > 0)
    return; /* the delta's size, from its superblock */
  run->status.bytes_total = run->limits->expected_bytes;
}

static void
parse_line (FetchRun *run, const char *line)
{
  if (g_str_has_prefix (line, "P "))
    {
      UpdraftPullStatus s = { 0 };
      guint64 delta_size = 0;

      if (sscanf (line + 2, "%" G_GUINT64_FORMAT " %u %u %u %u %" G_GUINT64_FORMAT, &s.bytes_done,
                  &s.objects_fetched, &s.objects_requested, &s.delta_parts_fetched,
                  &s.delta_parts_total, &delta_size) != 6)
        return;
      s.bytes_total = s.delta_parts_total > 0 ? delta_size : run->status.bytes_total;
      run->status = s;
      update_total (run);
    }
  else if (g_str_has_prefix (line, "E ") && run->helper_error == NULL)
    {
      char *end = NULL;
      gint64 code = g_ascii_strtoll (line + 2, &end, 10);
      const char *message = end != NULL && *end == ' ' ? end + 1 : "unknown error";

      if (code >= 0)
        run->helper_error = g_error_new_literal (G_IO_ERROR, (gint) code, message);
      else
        run->helper_error = g_error_new_literal (UPDRAFT_ERROR, UPDRAFT_ERROR_NETWORK, message);
    }
}

static void read_next_line (FetchRun *run);

static void
line_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FetchRun *run = user_data;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result,
                                                                &len, &error);

  if (line == NULL)
    {
      run->eof = TRUE;
      g_main_context_wakeup (run->context);
      return;
    }
  if (len < MAX_LINE)
    parse_line (run, line);
  read_next_line (run);
}

static void
read_next_line (FetchRun *run)
{
  g_data_input_stream_read_line_async (run->out, G_PRIORITY_DEFAULT, NULL, line_read, run);
}

static void
process_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FetchRun *run = user_data;

  (void) g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  run->exited = TRUE;
  g_main_context_wakeup (run->context);
}

static gboolean
watchdog_tick (gpointer data)
{
  FetchRun *run = data;
  const UpdraftPullLimits *limits = run->limits;
  gint64 now = g_get_monotonic_time ();

  if (run->abort_error != NULL || run->exited)
    return G_SOURCE_CONTINUE;
  if (g_cancellable_is_cancelled (run->cancellable))
    {
      abort_fetch (run, g_error_new_literal (UPDRAFT_ERROR, UPDRAFT_ERROR_CANCELLED,
                                             "The operation was cancelled"));
      return G_SOURCE_CONTINUE;
    }
  if (limits->max_bytes > 0 && run->status.bytes_done > limits->max_bytes)
    {
      g_autofree char *got = g_format_size (run->status.bytes_done);
      g_autofree char *max = g_format_size (limits->max_bytes);
      abort_fetch (run, g_error_new (UPDRAFT_ERROR, UPDRAFT_ERROR_TOO_LARGE,
                                     "The update server sent %s, more than the %s this update "
                                     "may take; stopping",
                                     got, max));
      return G_SOURCE_CONTINUE;
    }
  if (limits->timeout_sec > 0 && now - run->start_usec > (gint64) limits->timeout_sec * G_USEC_PER_SEC)
    {
      abort_fetch (run, g_error_new (UPDRAFT_ERROR, UPDRAFT_ERROR_TIMEOUT,
                                     "The update server did not complete the transfer within %u s",
                                     limits->timeout_sec));
      return G_SOURCE_CONTINUE;
    }
  if (updraft_stall_detector_update (&run->stall, now, run->status.bytes_done))
    {
      abort_fetch (run, g_error_new (UPDRAFT_ERROR, UPDRAFT_ERROR_TIMEOUT,
                                     "The update server sent less than %u bytes in %u s; "
                                     "giving up on a stalled transfer",
                                     UPDRAFT_STALL_MIN_BYTES, limits->stall_timeout_sec));
      return G_SOURCE_CONTINUE;
    }
  if (run->progress != NULL)
    run->progress (&run->status, run->user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
io_error_is_network (const GError *error)
{
  if (error->domain != G_IO_ERROR)
    return TRUE;
  switch (error->code)
    {
    case G_IO_ERROR_NO_SPACE:
    case G_IO_ERROR_PERMISSION_DENIED:
    case G_IO_ERROR_READ_ONLY:
      return FALSE;
    default:
      return TRUE;
    }
}

void
updraft_pull_error_normalize (GError **error, const char *remote, const char *what)
{
  GError *e;

  if (error == NULL || *error == NULL)
    return;
  e = *error;
  if (e->domain == UPDRAFT_ERROR && e->code != UPDRAFT_ERROR_NETWORK)
    return;
  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      e->domain = UPDRAFT_ERROR;
      e->code = UPDRAFT_ERROR_CANCELLED;
      return;
    }
  /* libostree reports objects whose content does not match their checksum,
   * and downloads larger than declared, as plain failures; name them. */
  if (strstr (e->message, "exceeded maximum size") != NULL || strstr (e->message, "exceeds maximum") != NULL)
    e->code = UPDRAFT_ERROR_TOO_LARGE;
  else if (strstr (e->message, "Corrupted") != NULL)
    e->code = UPDRAFT_ERROR_METADATA_INVALID;
  else if (io_error_is_network (e))
    e->code = UPDRAFT_ERROR_NETWORK;
  else
    e->code = UPDRAFT_ERROR_FAILED;
  e->domain = UPDRAFT_ERROR;
  g_prefix_error (error, "%s from remote “%s”: ", what, remote);
}

/* Runs the helper with @argv until it exits, enforcing @limits. */
static gboolean
run_helper (const char *const *argv, const UpdraftPullLimits *limits,
            UpdraftPullProgressFunc progress, gpointer user_data, GCancellable *cancellable,
            const char *remote, const char *what, GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GSource) watchdog = NULL;
  g_autoptr (GError) local_error = NULL;
  FetchRun run = { 0 };
  gboolean ok;

  g_main_context_push_thread_default (context);
  run.context = context;
  run.limits = limits;
  run.progress = progress;
  run.user_data = user_data;
  run.cancellable = cancellable;
  run.start_usec = g_get_monotonic_time ();
  run.status.bytes_total = limits->expected_bytes;
  updraft_stall_detector_init (&run.stall, run.start_usec,
                               (gint64) limits->stall_timeout_sec * G_USEC_PER_SEC);

  run.process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &local_error);
  if (run.process == NULL)
    {
      g_main_context_pop_thread_default (context);
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "Starting %s: %s", argv[0],
                   local_error->message);
      return FALSE;
    }
  run.out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (run.process));
  read_next_line (&run);
  g_subprocess_wait_async (run.process, NULL, process_exited, &run);
  watchdog = g_timeout_source_new (WATCHDOG_INTERVAL_MS);
  g_source_set_callback (watchdog, watchdog_tick, &run, NULL);
  g_source_attach (watchdog, context);

  while (!run.exited || !run.eof)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (watchdog);
  ok = run.abort_error == NULL && g_subprocess_get_if_exited (run.process) &&
       g_subprocess_get_exit_status (run.process) == 0;
  if (ok && progress != NULL)
    progress (&run.status, user_data);
  g_object_unref (run.out);
  g_main_context_pop_thread_default (context);

  if (ok)
    {
      g_clear_error (&run.helper_error);
      g_object_unref (run.process);
      return TRUE;
    }
  if (run.abort_error != NULL)
    {
      g_propagate_error (error, run.abort_error);
      g_clear_error (&run.helper_error);
    }
  else if (g_subprocess_get_if_signaled (run.process) &&
           g_subprocess_get_term_sig (run.process) == SIGXFSZ)
    {
      g_autofree char *max = g_format_size (limits->max_file_size);
      g_clear_error (&run.helper_error);
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_TOO_LARGE,
                   "%s from remote “%s”: the server sent a file larger than %s, more than this "
                   "update may take; stopping",
                   what, remote, max);
    }
  else if (run.helper_error != NULL)
    {
      updraft_pull_error_normalize (&run.helper_error, remote, what);
      g_propagate_error (error, run.helper_error);
    }
  else
    g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "%s from remote “%s”: %s died", what,
                 remote, HELPER_NAME);
  g_object_unref (run.process);
  return FALSE;
}

gboolean
updraft_pull (OstreeRepo *repo, const char *remote, GVariant *options,
              const UpdraftPullLimits *limits, UpdraftPullProgressFunc progress,
              gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) sunk = g_variant_ref_sink (options);
  g_autoptr (GVariantDict) dict = g_variant_dict_new (sunk);
  g_autoptr (GVariant) full_options = NULL;
  g_autofree char *options_text = NULL;
  g_autofree char *path = repo_path (repo);
  g_autofree char *max_file = NULL;
  const char *argv[7];

  g_variant_dict_insert (dict, "max-metadata-size", "t", limits->max_metadata_size);
  g_variant_dict_insert (dict, "update-frequency", "u", (guint32) WATCHDOG_INTERVAL_MS);
  full_options = g_variant_ref_sink (g_variant_dict_end (dict));
  options_text = g_variant_print (full_options, TRUE);

  argv[0] = helper_path ();
  max_file = g_strdup_printf ("%" G_GUINT64_FORMAT, limits->max_file_size);
  argv[1] = "pull";
  argv[2] = path;
  argv[3] = remote;
  argv[4] = max_file;
  argv[5] = options_text;
  argv[6] = NULL;
  return run_helper (argv, limits, progress, user_data, cancellable, remote, "Fetching", error);
}

static gboolean
read_limited (const char *path, guint64 max_size, GBytes **out, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  GStatBuf st;

  *out = NULL;
  if (g_stat (path, &st) < 0)
    {
      int saved = errno;
      if (saved == ENOENT)
        return TRUE; /* the server has none */
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if ((guint64) st.st_size > max_size)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_TOO_LARGE,
                   "The summary is %" G_GUINT64_FORMAT " bytes, over the %" G_GUINT64_FORMAT
                   "-byte limit",
                   (guint64) st.st_size, max_size);
      return FALSE;
    }
  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  *out = g_bytes_new_take (g_steal_pointer (&data), len);
  return TRUE;
}

static void
remove_dir (const char *dir)
{
  static const char *const names[] = { "summary", "summary.sig" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      (void) g_unlink (path);
    }
  (void) g_rmdir (dir);
}

gboolean
updraft_fetch_summary (OstreeRepo *repo, const char *remote, guint timeout_sec, guint64 max_size,
                       GCancellable *cancellable, GBytes **out_summary, GBytes **out_signature,
                       GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("updraft-summary-XXXXXX", error);
  g_autofree char *summary_path = NULL;
  g_autofree char *sig_path = NULL;
  g_autofree char *path = repo_path (repo);
  g_autofree char *max_file = NULL;
  UpdraftPullLimits limits = { 0 };
  const char *argv[7];
  gboolean ok;

  *out_summary = NULL;
  *out_signature = NULL;
  if (dir == NULL)
    return FALSE;
  /* The summary comes in one request without progress: only time bounds it. */
  limits.timeout_sec = timeout_sec;
  /* Neither file may be larger than allowed; a little room for framing. */
  limits.max_file_size = max_size + 1;
  max_file = g_strdup_printf ("%" G_GUINT64_FORMAT, limits.max_file_size);
  argv[0] = helper_path ();
  argv[1] = "summary";
  argv[2] = path;
  argv[3] = remote;
  argv[4] = max_file;
  argv[5] = dir;
  argv[6] = NULL;
  ok = run_helper (argv, &limits, NULL, NULL, cancellable, remote, "Fetching the summary", error);

  summary_path = g_build_filename (dir, "summary", NULL);
  sig_path = g_build_filename (dir, "summary.sig", NULL);
  if (ok)
    ok = read_limited (summary_path, max_size, out_summary, error) &&
         read_limited (sig_path, max_size, out_signature, error);
  remove_dir (dir);
  if (!ok)
    {
      g_clear_pointer (out_summary, g_bytes_unref);
      g_clear_pointer (out_signature, g_bytes_unref);
    }
  return ok;
}
