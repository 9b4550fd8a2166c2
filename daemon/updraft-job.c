/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job's lifetime and the worker-to-engine event channel. */
#include "config.h"

#include "updraft-job.h"
#include "updraft-progress.h"
#include "updraft-verify.h"

/* Progress events are posted at most this often, except forced ones. */
#define PROGRESS_MIN_INTERVAL_USEC (100 * 1000)

UpdraftJob *
updraft_job_new (UpdraftRequest *request, UpdraftConfig *config)
{
  UpdraftJob *job = g_new0 (UpdraftJob, 1);

  job->ref_count = 1;
  job->request = request;
  job->config = updraft_config_ref (config);
  job->cancellable = g_cancellable_new ();
  job->engine_context = g_main_context_ref_thread_default ();
  job->warnings = g_ptr_array_new_with_free_func (g_free);
  job->keys_root = g_strdup ("/");
  return job;
}

UpdraftJob *
updraft_job_ref (UpdraftJob *job)
{
  g_atomic_int_inc (&job->ref_count);
  return job;
}

void
updraft_job_unref (UpdraftJob *job)
{
  if (job == NULL || !g_atomic_int_dec_and_test (&job->ref_count))
    return;
  updraft_request_free (job->request);
  updraft_config_unref (job->config);
  g_free (job->sysroot_path);
  g_free (job->osname);
  g_free (job->keys_root);
  updraft_update_info_free (job->update);
  g_clear_object (&job->cancellable);
  g_main_context_unref (job->engine_context);
  updraft_update_info_free (job->found);
  updraft_sysroot_info_free (job->sysroot_info);
  g_ptr_array_unref (job->warnings);
  g_free (job->rolled_back_from);
  g_free (job->rolled_back_to);
  g_clear_pointer (&job->keyring, updraft_keyring_unref);
  g_free (job);
}

typedef struct
{
  UpdraftJob *job;
  UpdraftJobEvent event;
} PostedEvent;

static void
posted_event_free (gpointer data)
{
  PostedEvent *posted = data;

  updraft_job_unref (posted->job);
  g_free (posted->event.progress.phase);
  updraft_update_info_free (posted->event.update);
  g_free (posted);
}

static gboolean
deliver_event (gpointer data)
{
  PostedEvent *posted = data;

  if (posted->job->event_func != NULL)
    posted->job->event_func (posted->job, &posted->event, posted->job->event_data);
  return G_SOURCE_REMOVE;
}

static void
post (UpdraftJob *job, PostedEvent *posted)
{
  posted->job = updraft_job_ref (job);
  /* Same priority as GTask's completion, so events arrive before it. */
  g_main_context_invoke_full (job->engine_context, G_PRIORITY_DEFAULT, deliver_event, posted,
                              posted_event_free);
}

void
updraft_job_post_progress (UpdraftJob *job, const char *phase, guint64 bytes_done,
                           guint64 bytes_total, guint64 bytes_per_second, gboolean force)
{
  gint64 now = g_get_monotonic_time ();
  PostedEvent *posted;

  if (!force && now - job->last_progress_post < PROGRESS_MIN_INTERVAL_USEC)
    return;
  job->last_progress_post = now;

  posted = g_new0 (PostedEvent, 1);
  posted->event.kind = UPDRAFT_JOB_EVENT_PROGRESS;
  posted->event.progress.phase = g_strdup (phase);
  posted->event.progress.bytes_done = bytes_done;
  posted->event.progress.bytes_total = bytes_total;
  posted->event.progress.bytes_per_second = bytes_per_second;
  posted->event.progress.percent = updraft_progress_percent (bytes_done, bytes_total);
  posted->event.progress.seconds_left =
      updraft_progress_seconds_left (bytes_done, bytes_total, bytes_per_second);
  post (job, posted);
}

void
updraft_job_post_phase (UpdraftJob *job, UpdraftState state, const UpdraftUpdateInfo *update)
{
  PostedEvent *posted = g_new0 (PostedEvent, 1);

  posted->event.kind = UPDRAFT_JOB_EVENT_PHASE;
  posted->event.state = state;
  posted->event.update = updraft_update_info_copy (update);
  post (job, posted);
}

void
updraft_job_warn (UpdraftJob *job, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (job->warnings, g_strdup_vprintf (format, args));
  va_end (args);
}

UpdraftKeyring *
updraft_job_get_keyring (UpdraftJob *job)
{
  if (job->keyring == NULL)
    job->keyring = updraft_verify_load_keyring (job->config, job->keys_root, job->warnings);
  return job->keyring;
}
