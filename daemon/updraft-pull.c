/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libostree pulls under limits. libostree iterates the thread-default main
 * context while it fetches, so a timeout source attached to that context is
 * a watchdog that runs in the middle of the pull: it reads the progress,
 * enforces the limits and cancels the pull with a recorded reason. */
#include "config.h"

#include <string.h>

#include "updraft-error.h"
#include "updraft-progress.h"
#include "updraft-pull.h"

#define WATCHDOG_INTERVAL_MS 200

typedef struct
{
  const UpdraftPullLimits *limits;
  UpdraftPullProgressFunc progress;
  gpointer user_data;
  OstreeAsyncProgress *ostree_progress;
  GCancellable *parent; /* the caller's: Cancel on D-Bus */
  GCancellable *child;  /* what libostree sees */
  UpdraftStallDetector stall;
  gint64 start_usec;
  GError *abort_error;  /* why the watchdog cancelled, if it did */
} PullRun;

static guint
progress_get_uint (OstreeAsyncProgress *p, const char *key)
{
  g_autoptr (GVariant) v = ostree_async_progress_get_variant (p, key);
  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32) ? g_variant_get_uint32 (v) : 0;
}

static guint64
progress_get_uint64 (OstreeAsyncProgress *p, const char *key)
{
  g_autoptr (GVariant) v = ostree_async_progress_get_variant (p, key);
  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_UINT64) ? g_variant_get_uint64 (v) : 0;
}

static void
read_status (PullRun *run, UpdraftPullStatus *status)
{
  OstreeAsyncProgress *p = run->ostree_progress;

  /* fetched-delta-part-size does not grow while parts download (it counts
   * parts already present), so bytes-transferred is the measure. */
  status->bytes_done = progress_get_uint64 (p, "bytes-transferred");
  status->objects_fetched = progress_get_uint (p, "fetched");
  status->objects_requested = progress_get_uint (p, "requested");
  status->delta_parts_fetched = progress_get_uint (p, "fetched-delta-parts");
  status->delta_parts_total = progress_get_uint (p, "total-delta-parts");
  if (status->delta_parts_total > 0)
    status->bytes_total = progress_get_uint64 (p, "total-delta-part-size");
  else
    status->bytes_total = run->limits->expected_bytes;
}

static void
abort_pull (PullRun *run, GError *reason)
{
  if (run->abort_error == NULL)
    run->abort_error = reason;
  else
    g_error_free (reason);
  g_cancellable_cancel (run->child);
}

static gboolean
watchdog_tick (gpointer data)
{
  PullRun *run = data;
  const UpdraftPullLimits *limits = run->limits;
  gint64 now = g_get_monotonic_time ();
  UpdraftPullStatus status = { 0 };

  if (g_cancellable_is_cancelled (run->child))
    return G_SOURCE_CONTINUE;
  if (g_cancellable_is_cancelled (run->parent))
    {
      abort_pull (run, g_error_new_literal (UPDRAFT_ERROR, UPDRAFT_ERROR_CANCELLED,
                                            "The operation was cancelled"));
      return G_SOURCE_CONTINUE;
    }

  read_status (run, &status);
  if (limits->max_bytes > 0 && status.bytes_done > limits->max_bytes)
    {
      g_autofree char *got = g_format_size (status.bytes_done);
      g_autofree char *max = g_format_size (limits->max_bytes);
      abort_pull (run, g_error_new (UPDRAFT_ERROR, UPDRAFT_ERROR_TOO_LARGE,
                                    "The update server sent %s, more than the %s this update "
                                    "may take; stopping",
                                    got, max));
      return G_SOURCE_CONTINUE;
    }
  if (limits->timeout_sec > 0 && now - run->start_usec > (gint64) limits->timeout_sec * G_USEC_PER_SEC)
    {
      abort_pull (run, g_error_new (UPDRAFT_ERROR, UPDRAFT_ERROR_TIMEOUT,
                                    "The transfer did not finish within %u s", limits->timeout_sec));
      return G_SOURCE_CONTINUE;
    }
  if (updraft_stall_detector_update (&run->stall, now, status.bytes_done))
    {
      abort_pull (run, g_error_new (UPDRAFT_ERROR, UPDRAFT_ERROR_TIMEOUT,
                                    "The update server sent less than %u bytes in %u s; "
                                    "giving up on a stalled transfer",
                                    UPDRAFT_STALL_MIN_BYTES, limits->stall_timeout_sec));
      return G_SOURCE_CONTINUE;
    }
  if (run->progress != NULL)
    run->progress (&status, run->user_data);
  return G_SOURCE_CONTINUE;
}

static void
forward_cancel (GCancellable *parent, gpointer child)
{
  g_cancellable_cancel (G_CANCELLABLE (child));
}

static gboolean
io_error_is_network (const GError *error)
{
  if (error->domain != G_IO_ERROR)
    return TRUE; /* curl and soup errors arrive in their own domains */
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
  if (e->domain == UPDRAFT_ERROR)
    return;
  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      e->domain = UPDRAFT_ERROR;
      e->code = UPDRAFT_ERROR_CANCELLED;
      return;
    }
  /* libostree reports objects whose content does not match their checksum,
   * and oversized metadata, as plain failures; name them. */
  if (strstr (e->message, "Corrupted") != NULL || strstr (e->message, "exceeded maximum size") != NULL ||
      strstr (e->message, "exceeds maximum") != NULL)
    {
      e->domain = UPDRAFT_ERROR;
      e->code = UPDRAFT_ERROR_METADATA_INVALID;
    }
  else if (io_error_is_network (e))
    {
      e->domain = UPDRAFT_ERROR;
      e->code = UPDRAFT_ERROR_NETWORK;
    }
  else
    {
      e->domain = UPDRAFT_ERROR;
      e->code = UPDRAFT_ERROR_FAILED;
    }
  g_prefix_error (error, "%s from remote “%s”: ", what, remote);
}

gboolean
updraft_pull (OstreeRepo *repo, const char *remote, GVariant *options,
              const UpdraftPullLimits *limits, UpdraftPullProgressFunc progress,
              gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GVariant) sunk = g_variant_ref_sink (options);
  g_autoptr (GVariantDict) dict = g_variant_dict_new (sunk);
  g_autoptr (GVariant) full_options = NULL;
  g_autoptr (GSource) watchdog = NULL;
  g_autoptr (OstreeAsyncProgress) ostree_progress = NULL;
  g_autoptr (GCancellable) child = g_cancellable_new ();
  g_autoptr (GError) local_error = NULL;
  PullRun run = { 0 };
  gulong handler = 0;
  gboolean ok;

  g_variant_dict_insert (dict, "max-metadata-size", "t", limits->max_metadata_size);
  g_variant_dict_insert (dict, "update-frequency", "u", (guint32) WATCHDOG_INTERVAL_MS);
  full_options = g_variant_ref_sink (g_variant_dict_end (dict));

  g_main_context_push_thread_default (context);

  /* Created here so it is bound to the worker's context, not the daemon's. */
  ostree_progress = ostree_async_progress_new ();
  run.limits = limits;
  run.progress = progress;
  run.user_data = user_data;
  run.ostree_progress = ostree_progress;
  run.parent = cancellable;
  run.child = child;
  run.start_usec = g_get_monotonic_time ();
  updraft_stall_detector_init (&run.stall, run.start_usec,
                               (gint64) limits->stall_timeout_sec * G_USEC_PER_SEC);

  watchdog = g_timeout_source_new (WATCHDOG_INTERVAL_MS);
  g_source_set_callback (watchdog, watchdog_tick, &run, NULL);
  g_source_attach (watchdog, context);
  /* Cancel reaches libostree at once, not at the next watchdog tick. */
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel), child, NULL);

  ok = ostree_repo_pull_with_options (repo, remote, full_options, ostree_progress, child,
                                      &local_error);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  ostree_async_progress_finish (ostree_progress);

  g_source_destroy (watchdog);
  if (ok && progress != NULL)
    {
      UpdraftPullStatus status = { 0 };
      read_status (&run, &status);
      progress (&status, user_data);
    }
  g_main_context_pop_thread_default (context);

  /* The watchdog may fire just as the pull completes: success wins. */
  if (ok)
    {
      g_clear_error (&run.abort_error);
      return TRUE;
    }
  if (run.abort_error != NULL)
    {
      g_propagate_error (error, run.abort_error);
      return FALSE;
    }
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error_literal (error, UPDRAFT_ERROR, UPDRAFT_ERROR_CANCELLED, "The operation was cancelled");
      return FALSE;
    }
  updraft_pull_error_normalize (&local_error, remote, "Fetching");
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* libostree's summary fetch runs its own private main context, so no source
 * of ours runs during it: a small thread watches the clock instead, and the
 * caller's cancellable is forwarded with g_cancellable_connect(). */
typedef struct
{
  GMutex mutex;
  GCond cond;
  gboolean done;
  gint64 deadline; /* monotonic; 0 none */
  guint timeout_sec;
  GCancellable *child;
  GError *abort_error;
} TimeoutWatch;

static gpointer
timeout_watch_thread (gpointer data)
{
  TimeoutWatch *w = data;

  g_mutex_lock (&w->mutex);
  while (!w->done)
    {
      if (w->deadline == 0)
        g_cond_wait (&w->cond, &w->mutex);
      else if (!g_cond_wait_until (&w->cond, &w->mutex, w->deadline) && !w->done)
        {
          w->abort_error = g_error_new (UPDRAFT_ERROR, UPDRAFT_ERROR_TIMEOUT,
                                        "The update server did not answer within %u s",
                                        w->timeout_sec);
          g_cancellable_cancel (w->child);
          break;
        }
    }
  g_mutex_unlock (&w->mutex);
  return NULL;
}

gboolean
updraft_run_with_timeout (UpdraftFetchFunc func, gpointer data, guint timeout_sec,
                          GCancellable *cancellable, GError **error)
{
  g_autoptr (GCancellable) child = g_cancellable_new ();
  g_autoptr (GError) local_error = NULL;
  TimeoutWatch w = { 0 };
  GThread *thread;
  gulong handler = 0;
  gboolean ok;

  g_mutex_init (&w.mutex);
  g_cond_init (&w.cond);
  w.child = child;
  w.timeout_sec = timeout_sec;
  w.deadline = timeout_sec > 0 ? g_get_monotonic_time () + (gint64) timeout_sec * G_USEC_PER_SEC : 0;
  thread = g_thread_new ("updraft-timeout", timeout_watch_thread, &w);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (forward_cancel), child, NULL);

  ok = func (data, child, &local_error);

  g_mutex_lock (&w.mutex);
  w.done = TRUE;
  g_cond_signal (&w.cond);
  g_mutex_unlock (&w.mutex);
  g_thread_join (thread);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  g_mutex_clear (&w.mutex);
  g_cond_clear (&w.cond);

  if (ok)
    {
      g_clear_error (&w.abort_error);
      return TRUE;
    }
  if (w.abort_error != NULL)
    {
      g_propagate_error (error, w.abort_error);
      return FALSE;
    }
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error_literal (error, UPDRAFT_ERROR, UPDRAFT_ERROR_CANCELLED, "The operation was cancelled");
      return FALSE;
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}
