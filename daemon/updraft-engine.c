/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine: state, knowledge and the one running operation.
 *
 * Thread ownership: every field of UpdraftEngine belongs to the main thread.
 * An operation copies what it needs into an UpdraftJob, runs in a GTask
 * thread, and reports back through job events (progress, phase) and its
 * completion, all dispatched in the main context. */
#include "config.h"

#include <ostree.h>
#include <syslog.h>

#include "updraft-audit.h"
#include "updraft-check.h"
#include "updraft-deploy.h"
#include "updraft-download.h"
#include "updraft-engine.h"
#include "updraft-error.h"
#include "updraft-job.h"
#include "updraft-reboot.h"
#include "updraft-store.h"
#include "updraft-sysroot.h"

/* Changes to the sysroot by other tools are picked up after this quiet time. */
#define REFRESH_DELAY_MSEC 300

struct _UpdraftEngine
{
  GObject parent_instance;

  UpdraftConfig *config;
  char *sysroot_path;
  char *requested_osname; /* --os, or NULL */
  char *osname;           /* resolved */
  UpdraftStore *store;
  guint finishing; /* operations done whose Finished waits for the state file */
  char *boot_id;

  UpdraftState state;
  UpdraftState state_before;   /* settled state the running operation started from */
  UpdraftJob *job;             /* the running operation, or NULL */
  gboolean has_progress;
  UpdraftProgress progress;

  UpdraftSysrootInfo *sysroot_info;
  UpdraftUpdateInfo *update;
  char *applied_commit;
  char *last_error_name;
  char *last_error_message;
  GPtrArray *history;

  GFileMonitor *monitor;
  guint refresh_source;
  gboolean refresh_running;
};

enum
{
  SIGNAL_CHANGED,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (UpdraftEngine, updraft_engine, G_TYPE_OBJECT)

static void
emit_changed (UpdraftEngine *self, UpdraftEngineChanged what)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, (guint) what);
}

static void
save_state (UpdraftEngine *self)
{
  g_autoptr (UpdraftPersisted) p = updraft_persisted_new ();
  gsize len = 0;
  char *data;

  /* A running state is never saved: after a crash the daemon comes back in
   * the state the operation started from. */
  p->state = updraft_state_is_running (self->state) ? self->state_before : self->state;
  p->boot_id = g_strdup (self->boot_id);
  p->update = updraft_update_info_copy (self->update);
  p->applied_commit = g_strdup (self->applied_commit);
  p->last_error_name = g_strdup (self->last_error_name);
  p->last_error_message = g_strdup (self->last_error_message);
  for (guint i = 0; i < self->history->len; i++)
    g_ptr_array_add (p->history, updraft_history_entry_copy (self->history->pdata[i]));
  data = updraft_store_serialize (p, &len);
  updraft_store_save (self->store, data, len);
}

static void
set_state (UpdraftEngine *self, UpdraftState state)
{
  if (self->state == state)
    return;
  g_debug ("State %s → %s", updraft_state_to_string (self->state), updraft_state_to_string (state));
  self->state = state;
  emit_changed (self, UPDRAFT_ENGINE_CHANGED_STATE);
}

static void
set_update (UpdraftEngine *self, UpdraftUpdateInfo *update /* taken */)
{
  updraft_update_info_free (self->update);
  self->update = update;
  emit_changed (self, UPDRAFT_ENGINE_CHANGED_UPDATE);
}

static void
set_last_error (UpdraftEngine *self, const GError *error)
{
  g_free (self->last_error_name);
  g_free (self->last_error_message);
  self->last_error_name = error != NULL ? updraft_error_encode (error) : NULL;
  self->last_error_message = error != NULL ? g_strdup (error->message) : NULL;
  emit_changed (self, UPDRAFT_ENGINE_CHANGED_LAST_ERROR);
}

static void
set_sysroot_info (UpdraftEngine *self, UpdraftSysrootInfo *info /* taken */)
{
  if (info == NULL)
    return;
  updraft_sysroot_info_free (self->sysroot_info);
  self->sysroot_info = info;
  if (self->osname == NULL)
    self->osname = g_strdup (info->osname);
  emit_changed (self, UPDRAFT_ENGINE_CHANGED_SYSROOT);
}

static void
clear_progress (UpdraftEngine *self)
{
  if (!self->has_progress)
    return;
  updraft_progress_clear (&self->progress);
  self->has_progress = FALSE;
  emit_changed (self, UPDRAFT_ENGINE_CHANGED_PROGRESS);
}

static void
log_warnings (GPtrArray *warnings)
{
  for (guint i = 0; i < warnings->len; i++)
    g_warning ("%s", (const char *) warnings->pdata[i]);
}

/* ---- Sysroot refresh (changes made by ostree admin and friends) ---- */

typedef struct
{
  char *sysroot_path;
  char *osname;
} RefreshData;

static void
refresh_data_free (RefreshData *d)
{
  g_free (d->sysroot_path);
  g_free (d->osname);
  g_free (d);
}

static UpdraftSysrootInfo *
describe_sysroot (const char *path, const char *requested_osname, GCancellable *cancellable,
                  GError **error)
{
  g_autoptr (OstreeSysroot) sysroot = updraft_sysroot_open (path, cancellable, error);
  g_autofree char *osname = NULL;

  if (sysroot == NULL)
    return NULL;
  osname = updraft_sysroot_resolve_osname (sysroot, requested_osname, error);
  if (osname == NULL)
    return NULL;
  return updraft_sysroot_describe (sysroot, osname, error);
}

static void
refresh_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RefreshData *d = task_data;
  GError *error = NULL;
  UpdraftSysrootInfo *info = describe_sysroot (d->sysroot_path, d->osname, cancellable, &error);

  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) updraft_sysroot_info_free);
}

static void schedule_refresh (UpdraftEngine *self);

static void
refresh_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  UpdraftEngine *self = UPDRAFT_ENGINE (source);
  g_autoptr (GError) error = NULL;
  UpdraftSysrootInfo *info = g_task_propagate_pointer (G_TASK (result), &error);

  self->refresh_running = FALSE;
  if (info == NULL)
    {
      g_debug ("Re-reading the sysroot: %s", error->message);
      return;
    }
  /* A running operation reports the sysroot itself when it completes. */
  if (self->job != NULL)
    {
      updraft_sysroot_info_free (info);
      return;
    }
  set_sysroot_info (self, info);
}

static gboolean
refresh_now (gpointer user_data)
{
  UpdraftEngine *self = user_data;
  g_autoptr (GTask) task = NULL;
  RefreshData *d;

  self->refresh_source = 0;
  if (self->refresh_running || self->job != NULL)
    return G_SOURCE_REMOVE;
  self->refresh_running = TRUE;
  d = g_new0 (RefreshData, 1);
  d->sysroot_path = g_strdup (self->sysroot_path);
  d->osname = g_strdup (self->osname != NULL ? self->osname : self->requested_osname);
  task = g_task_new (self, NULL, refresh_done, NULL);
  g_task_set_task_data (task, d, (GDestroyNotify) refresh_data_free);
  g_task_run_in_thread (task, refresh_thread);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (UpdraftEngine *self)
{
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  self->refresh_source = g_timeout_add (REFRESH_DELAY_MSEC, refresh_now, self);
}

static void
on_sysroot_changed (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                    gpointer user_data)
{
  schedule_refresh (UPDRAFT_ENGINE (user_data));
}

static void
watch_sysroot (UpdraftEngine *self)
{
  /* libostree bumps the mtime of ostree/deploy on every deployment change. */
  g_autofree char *path = g_build_filename (self->sysroot_path, "ostree", "deploy", NULL);
  g_autoptr (GFile) dir = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;

  self->monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_NONE, NULL, &error);
  if (self->monitor == NULL)
    {
      g_debug ("Not watching %s: %s", path, error->message);
      return;
    }
  g_signal_connect (self->monitor, "changed", G_CALLBACK (on_sysroot_changed), self);
}

/* ---- Start-up ---- */

static gboolean
commit_is_complete (const char *sysroot_path, const char *checksum)
{
  g_autoptr (OstreeSysroot) sysroot = updraft_sysroot_open (sysroot_path, NULL, NULL);
  g_autoptr (GVariant) commit = NULL;
  OstreeRepoCommitState state = 0;

  if (sysroot == NULL)
    return FALSE;
  if (!ostree_repo_load_commit (ostree_sysroot_repo (sysroot), checksum, &commit, &state, NULL))
    return FALSE;
  return (state & OSTREE_REPO_COMMIT_STATE_PARTIAL) == 0;
}

/* The saved state says what the daemon believed; the sysroot says what is.
 * Where they disagree (a reboot happened, the daemon died mid-way, someone
 * ran ostree admin), the sysroot wins. */
static void
reconcile (UpdraftEngine *self)
{
  const UpdraftSysrootInfo *info = self->sysroot_info;
  g_autofree char *boot_id = updraft_get_boot_id ();

  if (self->state == UPDRAFT_STATE_APPLIED && g_strcmp0 (self->boot_id, boot_id) != 0)
    {
      /* Rebooted since the apply. */
      g_clear_pointer (&self->applied_commit, g_free);
      self->state = UPDRAFT_STATE_IDLE;
    }
  if (info == NULL)
    return;

  if (self->update != NULL)
    {
      const char *commit = self->update->commit;

      if (g_strcmp0 (commit, info->booted_commit) == 0)
        {
          /* Running it: the update is done. */
          g_clear_pointer (&self->update, updraft_update_info_free);
          if (self->state != UPDRAFT_STATE_ERROR)
            self->state = UPDRAFT_STATE_IDLE;
        }
      else if (g_strcmp0 (commit, info->default_commit) == 0)
        {
          /* Deployed, not yet booted (the daemon stopped between the write
           * and saving its state). */
          g_free (self->applied_commit);
          self->applied_commit = g_strdup (commit);
          g_clear_pointer (&self->update, updraft_update_info_free);
          self->state = UPDRAFT_STATE_APPLIED;
        }
      else if (self->update->downloaded && !commit_is_complete (self->sysroot_path, commit))
        {
          /* Pruned since: it must be fetched again. */
          self->update->downloaded = FALSE;
          if (self->state == UPDRAFT_STATE_READY)
            self->state = UPDRAFT_STATE_UPDATE_AVAILABLE;
        }
    }
  if (self->update == NULL &&
      (self->state == UPDRAFT_STATE_UPDATE_AVAILABLE || self->state == UPDRAFT_STATE_READY))
    self->state = UPDRAFT_STATE_IDLE;
  if (self->state == UPDRAFT_STATE_READY && !self->update->downloaded)
    self->state = UPDRAFT_STATE_UPDATE_AVAILABLE;
}

void
updraft_engine_load (UpdraftEngine *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (UpdraftPersisted) saved = updraft_store_load (self->store, &error);
  UpdraftSysrootInfo *info;

  if (saved == NULL && error != NULL)
    {
      g_warning ("Ignoring the saved state: %s", error->message);
      g_clear_error (&error);
    }
  if (saved != NULL)
    {
      self->state = saved->state;
      g_free (self->boot_id);
      self->boot_id = g_steal_pointer (&saved->boot_id);
      self->update = g_steal_pointer (&saved->update);
      self->applied_commit = g_steal_pointer (&saved->applied_commit);
      self->last_error_name = g_steal_pointer (&saved->last_error_name);
      self->last_error_message = g_steal_pointer (&saved->last_error_message);
      g_ptr_array_extend_and_steal (self->history, g_steal_pointer (&saved->history));
      saved->history = g_ptr_array_new ();
    }

  info = describe_sysroot (self->sysroot_path, self->requested_osname, NULL, &error);
  if (info == NULL)
    {
      updraft_error_normalize (&error);
      g_warning ("%s", error->message);
      set_last_error (self, error);
      self->state = UPDRAFT_STATE_ERROR;
    }
  set_sysroot_info (self, info);
  reconcile (self);

  g_free (self->boot_id);
  self->boot_id = updraft_get_boot_id ();
  save_state (self);
  watch_sysroot (self);
  emit_changed (self, ~0u);
}

/* ---- Operations ---- */

gboolean
updraft_engine_can_start (UpdraftEngine *self, UpdraftOperation op, GError **error)
{
  if (self->job != NULL && self->job->request->operation == op)
    return TRUE; /* may join; updraft_engine_start() checks the options match */
  return updraft_state_allows (self->state, self->update != NULL,
                               self->update != NULL && self->update->downloaded, op, error);
}

static const char *
phase_for_operation (UpdraftOperation op)
{
  switch (op)
    {
    case UPDRAFT_OPERATION_CHECK:
    case UPDRAFT_OPERATION_UPDATE:
      return "Fetching metadata";
    case UPDRAFT_OPERATION_DOWNLOAD:
      return "Preparing the download";
    case UPDRAFT_OPERATION_APPLY:
    case UPDRAFT_OPERATION_ROLLBACK:
      return "Waiting for the sysroot lock";
    case UPDRAFT_OPERATION_CANCEL:
    case UPDRAFT_OPERATION_NONE:
    default:
      return "";
    }
}

static UpdraftState
running_state_for (UpdraftOperation op)
{
  switch (op)
    {
    case UPDRAFT_OPERATION_CHECK:
    case UPDRAFT_OPERATION_UPDATE:
      return UPDRAFT_STATE_CHECKING;
    case UPDRAFT_OPERATION_DOWNLOAD:
      return UPDRAFT_STATE_DOWNLOADING;
    case UPDRAFT_OPERATION_APPLY:
    case UPDRAFT_OPERATION_ROLLBACK:
      return UPDRAFT_STATE_APPLYING;
    case UPDRAFT_OPERATION_CANCEL:
    case UPDRAFT_OPERATION_NONE:
    default:
      g_assert_not_reached ();
    }
}

static void
on_job_event (UpdraftJob *job, const UpdraftJobEvent *event, gpointer user_data)
{
  UpdraftEngine *self = user_data;

  if (self->job != job)
    return; /* a late event from a finished job */
  switch (event->kind)
    {
    case UPDRAFT_JOB_EVENT_PROGRESS:
      updraft_progress_clear (&self->progress);
      self->progress = event->progress;
      self->progress.phase = g_strdup (event->progress.phase);
      self->has_progress = TRUE;
      emit_changed (self, UPDRAFT_ENGINE_CHANGED_PROGRESS);
      break;
    case UPDRAFT_JOB_EVENT_PHASE:
      if (event->update != NULL)
        set_update (self, updraft_update_info_copy (event->update));
      set_state (self, event->state);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Update: check, then download and apply what was found. */
static gboolean
run_update (UpdraftJob *job, OstreeSysroot *sysroot, GError **error)
{
  g_autoptr (UpdraftUpdateInfo) found = NULL;

  if (!updraft_check_run (job, sysroot, &found, error))
    return FALSE;
  if (found == NULL)
    return TRUE;
  job->found = updraft_update_info_copy (found);

  if (!found->downloaded)
    {
      updraft_job_post_phase (job, UPDRAFT_STATE_DOWNLOADING, found);
      if (!updraft_download_run (job, sysroot, found, error))
        return FALSE;
    }
  updraft_update_info_free (job->found);
  job->found = updraft_update_info_copy (found);
  updraft_job_post_phase (job, UPDRAFT_STATE_APPLYING, found);
  return updraft_deploy_apply (job, sysroot, found, error);
}

static void
job_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *unused)
{
  UpdraftJob *job = task_data;
  g_autoptr (OstreeSysroot) sysroot = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) describe_error = NULL;
  gboolean ok = FALSE;

  sysroot = updraft_sysroot_open (job->sysroot_path, job->cancellable, &error);
  if (sysroot != NULL && job->osname == NULL)
    job->osname = updraft_sysroot_resolve_osname (sysroot, NULL, &error);

  if (sysroot != NULL && job->osname != NULL)
    {
      switch (job->request->operation)
        {
        case UPDRAFT_OPERATION_CHECK:
          ok = updraft_check_run (job, sysroot, &job->found, &error);
          break;
        case UPDRAFT_OPERATION_DOWNLOAD:
          ok = updraft_download_run (job, sysroot, job->update, &error);
          break;
        case UPDRAFT_OPERATION_APPLY:
          ok = updraft_deploy_apply (job, sysroot, job->update, &error);
          break;
        case UPDRAFT_OPERATION_UPDATE:
          ok = run_update (job, sysroot, &error);
          break;
        case UPDRAFT_OPERATION_ROLLBACK:
          ok = updraft_deploy_rollback (job, sysroot, &job->rolled_back_from,
                                        &job->rolled_back_to, &error);
          break;
        case UPDRAFT_OPERATION_CANCEL:
        case UPDRAFT_OPERATION_NONE:
        default:
          g_assert_not_reached ();
        }
    }

  /* What the sysroot looks like now, whatever happened. */
  job->sysroot_info = describe_sysroot (job->sysroot_path, job->osname, NULL, &describe_error);
  if (job->sysroot_info == NULL)
    g_debug ("Describing the sysroot: %s", describe_error->message);

  if (!ok)
    {
      updraft_error_normalize (&error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
record_history (UpdraftEngine *self, UpdraftHistoryEntry *entry /* taken */)
{
  g_ptr_array_insert (self->history, 0, entry);
  while (self->history->len > UPDRAFT_HISTORY_MAX)
    g_ptr_array_remove_index (self->history, self->history->len - 1);
  emit_changed (self, UPDRAFT_ENGINE_CHANGED_HISTORY);
}

static const char *
version_of (UpdraftEngine *self, const char *commit)
{
  if (self->sysroot_info == NULL || commit == NULL)
    return NULL;
  for (guint i = 0; i < self->sysroot_info->deployments->len; i++)
    {
      UpdraftDeploymentInfo *d = self->sysroot_info->deployments->pdata[i];
      if (g_str_equal (d->commit, commit))
        return d->version;
    }
  return NULL;
}

typedef struct
{
  UpdraftEngine *self; /* owned */
  UpdraftOperation op;
  GError *error; /* NULL on success */
  gboolean reboot;
} FinishData;

static void
finish_data_free (FinishData *fd)
{
  fd->self->finishing--;
  g_object_unref (fd->self);
  g_clear_error (&fd->error);
  g_free (fd);
}

static void
emit_finished (UpdraftEngine *self, UpdraftOperation op, const GError *error)
{
  g_autofree char *name = error != NULL ? updraft_error_encode (error) : g_strdup ("");

  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, (guint) op, error == NULL, name,
                 error != NULL ? error->message : "");
}

static gboolean finish_saved (gpointer user_data);

/* Announces the end of an operation, or reboots, only once the state file
 * holds its result: a client that saw Finished, or a device that rebooted,
 * never finds the daemon back in an older state. */
static void
finish_when_saved (UpdraftEngine *self, UpdraftOperation op, const GError *error, gboolean reboot)
{
  FinishData *fd = g_new0 (FinishData, 1);

  fd->self = g_object_ref (self);
  fd->op = op;
  fd->error = error != NULL ? g_error_copy (error) : NULL;
  fd->reboot = reboot;
  self->finishing++;
  updraft_store_when_saved (self->store, finish_saved, fd);
}

static void
reboot_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FinishData *fd = user_data;
  UpdraftEngine *self = fd->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) wrapped = NULL;

  if (updraft_reboot_finish (result, &error))
    {
      emit_finished (self, fd->op, NULL);
      finish_data_free (fd);
      return;
    }
  /* The deployment is written; say so, and why the reboot did not happen. */
  wrapped = g_error_new (UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                         "The new deployment is in place, but asking logind to reboot failed: %s",
                         error->message);
  g_warning ("%s", wrapped->message);
  set_last_error (self, wrapped);
  if (self->history->len > 0)
    {
      UpdraftHistoryEntry *entry = self->history->pdata[0];
      g_free (entry->message);
      entry->message = g_strdup (wrapped->message);
      emit_changed (self, UPDRAFT_ENGINE_CHANGED_HISTORY);
    }
  save_state (self);
  finish_when_saved (self, fd->op, wrapped, FALSE);
  finish_data_free (fd);
}

static gboolean
finish_saved (gpointer user_data)
{
  FinishData *fd = user_data;

  if (fd->reboot)
    {
      g_message ("Rebooting into the new deployment");
      updraft_reboot_async (NULL, reboot_done, fd);
      return G_SOURCE_REMOVE;
    }
  emit_finished (fd->self, fd->op, fd->error);
  finish_data_free (fd);
  return G_SOURCE_REMOVE;
}

static void
job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  UpdraftEngine *self = UPDRAFT_ENGINE (source);
  g_autoptr (UpdraftJob) job = g_steal_pointer (&self->job);
  UpdraftOperation op = job->request->operation;
  g_autoptr (GError) error = NULL;
  UpdraftHistoryEntry *entry = updraft_history_entry_new ();
  g_autofree char *from_commit = NULL;
  g_autofree char *from_version = NULL;
  const char *to_commit = NULL;
  const char *to_version = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  gboolean cancelled = g_error_matches (error, UPDRAFT_ERROR, UPDRAFT_ERROR_CANCELLED);

  log_warnings (job->warnings);
  if (self->sysroot_info != NULL)
    {
      from_commit = g_strdup (self->sysroot_info->current_commit);
      from_version = g_strdup (self->sysroot_info->current_version);
    }
  set_sysroot_info (self, g_steal_pointer (&job->sysroot_info));
  clear_progress (self);

  if (ok)
    {
      switch (op)
        {
        case UPDRAFT_OPERATION_CHECK:
          if (job->found == NULL)
            {
              set_update (self, NULL);
              set_state (self, UPDRAFT_STATE_NO_UPDATE);
            }
          else
            {
              gboolean downloaded = job->found->downloaded;
              set_update (self, g_steal_pointer (&job->found));
              set_state (self, downloaded ? UPDRAFT_STATE_READY : UPDRAFT_STATE_UPDATE_AVAILABLE);
            }
          break;
        case UPDRAFT_OPERATION_DOWNLOAD:
          set_update (self, g_steal_pointer (&job->update));
          set_state (self, UPDRAFT_STATE_READY);
          break;
        case UPDRAFT_OPERATION_APPLY:
        case UPDRAFT_OPERATION_UPDATE:
          if (op == UPDRAFT_OPERATION_UPDATE && job->found == NULL)
            {
              set_update (self, NULL);
              set_state (self, UPDRAFT_STATE_NO_UPDATE);
              break;
            }
          {
            const UpdraftUpdateInfo *applied = op == UPDRAFT_OPERATION_APPLY ? job->update : job->found;
            g_free (self->applied_commit);
            self->applied_commit = g_strdup (applied->commit);
            to_commit = applied->commit;
            to_version = applied->version;
            set_update (self, NULL);
            set_state (self, UPDRAFT_STATE_APPLIED);
          }
          break;
        case UPDRAFT_OPERATION_ROLLBACK:
          g_free (self->applied_commit);
          self->applied_commit = g_strdup (job->rolled_back_to);
          to_commit = job->rolled_back_to;
          to_version = version_of (self, to_commit);
          /* The commit that was the default before rolling back. */
          g_free (from_commit);
          from_commit = g_strdup (job->rolled_back_from);
          g_free (from_version);
          from_version = g_strdup (version_of (self, from_commit));
          set_update (self, NULL);
          set_state (self, UPDRAFT_STATE_APPLIED);
          break;
        case UPDRAFT_OPERATION_CANCEL:
        case UPDRAFT_OPERATION_NONE:
        default:
          g_assert_not_reached ();
        }
      if (self->last_error_name != NULL)
        set_last_error (self, NULL);
    }
  else if (cancelled)
    {
      if (op == UPDRAFT_OPERATION_CHECK || self->update == NULL)
        set_state (self, self->state_before);
      else if (self->update->downloaded)
        set_state (self, UPDRAFT_STATE_READY);
      else
        set_state (self, UPDRAFT_STATE_UPDATE_AVAILABLE);
    }
  else
    {
      /* Keep what the update phase learned (Update found something before
       * failing): Download or Apply can be retried from the error state. */
      if (job->found != NULL && op == UPDRAFT_OPERATION_UPDATE)
        set_update (self, g_steal_pointer (&job->found));
      set_last_error (self, error);
      set_state (self, UPDRAFT_STATE_ERROR);
    }

  if (to_commit == NULL && self->update != NULL)
    {
      to_commit = self->update->commit;
      to_version = self->update->version;
    }

  entry->operation = op;
  entry->success = ok;
  entry->error_name = error != NULL ? updraft_error_encode (error) : NULL;
  entry->message = g_strdup (error != NULL ? error->message : NULL);
  entry->time = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  entry->caller_uid = job->request->caller != NULL ? job->request->caller->uid : 0;
  entry->from_commit = g_strdup (from_commit);
  entry->from_version = g_strdup (from_version);
  entry->to_commit = g_strdup (to_commit);
  entry->to_version = g_strdup (to_version);

  {
    UpdraftAuditRecord record = {
      .message_id = ok ? UPDRAFT_MSGID_OPERATION_SUCCEEDED
                       : (cancelled ? UPDRAFT_MSGID_OPERATION_CANCELLED : UPDRAFT_MSGID_OPERATION_FAILED),
      .priority = ok || cancelled ? LOG_INFO : LOG_ERR,
      .operation = op,
      .caller = job->request->caller,
      .result = ok ? "success" : (cancelled ? "cancelled" : "failure"),
      .error_name = entry->error_name,
      .from_commit = from_commit,
      .from_version = from_version,
      .to_commit = to_commit,
      .to_version = to_version,
    };
    if (ok)
      updraft_audit (&record, "%s succeeded; state %s", updraft_operation_to_string (op),
                     updraft_state_to_string (self->state));
    else
      updraft_audit (&record, "%s %s: %s", updraft_operation_to_string (op),
                     cancelled ? "cancelled" : "failed", error->message);
    if (ok && job->applied)
      {
        record.message_id = UPDRAFT_MSGID_DEPLOYMENT_CHANGED;
        updraft_audit (&record, "The default deployment is now %s (version %s)%s", to_commit,
                       to_version != NULL && to_version[0] != '\0' ? to_version : "unset",
                       self->sysroot_info != NULL && self->sysroot_info->booted
                           ? "; it takes effect at the next boot"
                           : "");
      }
  }

  record_history (self, entry);
  save_state (self);

  finish_when_saved (self, op, error, ok && job->applied && job->request->reboot);
}

gboolean
updraft_engine_start (UpdraftEngine *self, UpdraftRequest *request, gboolean *out_joined,
                      GError **error)
{
  g_autoptr (UpdraftRequest) owned = request;
  g_autoptr (GTask) task = NULL;
  UpdraftJob *job;
  UpdraftOperation op = request->operation;

  *out_joined = FALSE;
  if (self->job != NULL && self->job->request->operation == op &&
      g_strcmp0 (self->job->request->commit, request->commit) == 0 &&
      self->job->request->allow_downgrade == request->allow_downgrade)
    {
      /* Joining an Apply without reboot with one that asks for it: the
       * running operation reboots at the end. */
      if (request->reboot)
        self->job->request->reboot = TRUE;
      UpdraftAuditRecord record = {
        .message_id = UPDRAFT_MSGID_OPERATION_STARTED,
        .operation = op,
        .caller = request->caller,
        .result = "joined",
      };
      updraft_audit (&record, "%s requested while already running; joining it",
                     updraft_operation_to_string (op));
      *out_joined = TRUE;
      return TRUE;
    }
  if (!updraft_state_allows (self->state, self->update != NULL,
                             self->update != NULL && self->update->downloaded, op, error))
    return FALSE;

  job = updraft_job_new (g_steal_pointer (&owned), self->config);
  job->sysroot_path = g_strdup (self->sysroot_path);
  job->osname = g_strdup (self->osname != NULL ? self->osname : self->requested_osname);
  job->update = updraft_update_info_copy (self->update);
  job->event_func = on_job_event;
  job->event_data = self;
  self->job = job;

  self->state_before = self->state;
  updraft_progress_clear (&self->progress);
  self->progress.phase = g_strdup (phase_for_operation (op));
  self->has_progress = TRUE;
  emit_changed (self, UPDRAFT_ENGINE_CHANGED_PROGRESS);
  set_state (self, running_state_for (op));
  /* The running operation shows in the state even when the state name is
   * the same as before (a second Check after an error, say). */
  emit_changed (self, UPDRAFT_ENGINE_CHANGED_STATE);

  {
    UpdraftAuditRecord record = {
      .message_id = UPDRAFT_MSGID_OPERATION_STARTED,
      .operation = op,
      .caller = job->request->caller,
      .result = "started",
      .from_commit = self->sysroot_info != NULL ? self->sysroot_info->current_commit : NULL,
      .from_version = self->sysroot_info != NULL ? self->sysroot_info->current_version : NULL,
      .to_commit = self->update != NULL && op != UPDRAFT_OPERATION_CHECK ? self->update->commit : job->request->commit,
      .to_version = self->update != NULL && op != UPDRAFT_OPERATION_CHECK ? self->update->version : NULL,
    };
    updraft_audit (&record, "%s started by uid %u", updraft_operation_to_string (op),
                   job->request->caller != NULL ? job->request->caller->uid : 0);
  }

  task = g_task_new (self, NULL, job_done, NULL);
  g_task_set_task_data (task, updraft_job_ref (job), (GDestroyNotify) updraft_job_unref);
  g_task_run_in_thread (task, job_thread);
  return TRUE;
}

gboolean
updraft_engine_cancel (UpdraftEngine *self, const UpdraftCaller *caller, GError **error)
{
  UpdraftAuditRecord record = {
    .message_id = UPDRAFT_MSGID_OPERATION_STARTED,
    .operation = UPDRAFT_OPERATION_CANCEL,
    .caller = caller,
    .result = "started",
  };

  if (self->job == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_STATE, "Nothing to cancel (state %s)",
                   updraft_state_to_string (self->state));
      return FALSE;
    }
  updraft_audit (&record, "Cancelling %s at the request of uid %u",
                 updraft_operation_to_string (self->job->request->operation),
                 caller != NULL ? caller->uid : 0);
  g_cancellable_cancel (self->job->cancellable);
  return TRUE;
}

gboolean
updraft_engine_is_idle (UpdraftEngine *self)
{
  return self->job == NULL && !self->refresh_running && self->finishing == 0;
}

void
updraft_engine_flush (UpdraftEngine *self)
{
  updraft_store_flush (self->store);
}

UpdraftState
updraft_engine_get_state (UpdraftEngine *self)
{
  return self->state;
}

UpdraftOperation
updraft_engine_get_operation (UpdraftEngine *self)
{
  return self->job != NULL ? self->job->request->operation : UPDRAFT_OPERATION_NONE;
}

UpdraftConfig *
updraft_engine_get_config (UpdraftEngine *self)
{
  return self->config;
}

const UpdraftSysrootInfo *
updraft_engine_get_sysroot_info (UpdraftEngine *self)
{
  return self->sysroot_info;
}

const UpdraftUpdateInfo *
updraft_engine_get_update (UpdraftEngine *self)
{
  return self->update;
}

const UpdraftProgress *
updraft_engine_get_progress (UpdraftEngine *self)
{
  return self->has_progress ? &self->progress : NULL;
}

void
updraft_engine_get_last_error (UpdraftEngine *self, const char **out_name, const char **out_message)
{
  *out_name = self->last_error_name != NULL ? self->last_error_name : "";
  *out_message = self->last_error_message != NULL ? self->last_error_message : "";
}

GPtrArray *
updraft_engine_get_history (UpdraftEngine *self)
{
  return self->history;
}

UpdraftEngine *
updraft_engine_new (UpdraftConfig *config, const char *sysroot_path, const char *osname,
                    const char *state_dir)
{
  UpdraftEngine *self = g_object_new (UPDRAFT_TYPE_ENGINE, NULL);

  self->config = updraft_config_ref (config);
  self->sysroot_path = g_strdup (sysroot_path);
  self->requested_osname = g_strdup (osname);
  self->store = updraft_store_new (state_dir);
  return self;
}

static void
updraft_engine_finalize (GObject *object)
{
  UpdraftEngine *self = UPDRAFT_ENGINE (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_object (&self->monitor);
  g_clear_pointer (&self->store, updraft_store_free);
  g_clear_pointer (&self->config, updraft_config_unref);
  g_free (self->sysroot_path);
  g_free (self->requested_osname);
  g_free (self->osname);
  g_free (self->boot_id);
  updraft_progress_clear (&self->progress);
  updraft_sysroot_info_free (self->sysroot_info);
  updraft_update_info_free (self->update);
  g_free (self->applied_commit);
  g_free (self->last_error_name);
  g_free (self->last_error_message);
  g_ptr_array_unref (self->history);
  G_OBJECT_CLASS (updraft_engine_parent_class)->finalize (object);
}

static void
updraft_engine_class_init (UpdraftEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = updraft_engine_finalize;

  /* changed (guint what): UpdraftEngineChanged flags. */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /* finished (guint operation, gboolean success, gchar *error_name, gchar *message). */
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_UINT,
                                           G_TYPE_BOOLEAN, G_TYPE_STRING, G_TYPE_STRING);
}

static void
updraft_engine_init (UpdraftEngine *self)
{
  self->state = UPDRAFT_STATE_IDLE;
  self->history = g_ptr_array_new_with_free_func ((GDestroyNotify) updraft_history_entry_free);
  self->boot_id = updraft_get_boot_id ();
  updraft_progress_clear (&self->progress);
}
