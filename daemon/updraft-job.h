/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One running operation, as the worker thread sees it. The engine fills the
 * inputs, then only the worker touches the job until it completes; the
 * worker talks back through events that run in the engine's main context. */
#pragma once

#include <gio/gio.h>

#include "updraft-config.h"
#include "updraft-sign.h"
#include "updraft-state.h"
#include "updraft-types.h"

G_BEGIN_DECLS

typedef struct _UpdraftJob UpdraftJob;

typedef enum
{
  UPDRAFT_JOB_EVENT_PROGRESS, /* progress changed */
  UPDRAFT_JOB_EVENT_PHASE,    /* Update moved on to another state; update info attached */
} UpdraftJobEventKind;

typedef struct
{
  UpdraftJobEventKind kind;
  UpdraftProgress progress;     /* PROGRESS */
  UpdraftState state;           /* PHASE */
  UpdraftUpdateInfo *update;    /* PHASE: the update being worked on, or NULL */
} UpdraftJobEvent;

/* Runs in the engine's main context, in the order the worker posted. */
typedef void (*UpdraftJobEventFunc) (UpdraftJob *job, const UpdraftJobEvent *event,
                                     gpointer user_data);

struct _UpdraftJob
{
  gint ref_count;

  /* Inputs: set by the engine before the worker starts, read-only after. */
  UpdraftRequest *request;
  UpdraftConfig *config;
  char *sysroot_path;
  char *osname;             /* NULL: resolve (booted, or the only stateroot) */
  char *keys_root;          /* where OSTree's key directories live ("/") */
  UpdraftUpdateInfo *update; /* Download, Apply: the update to work on */
  GCancellable *cancellable;
  GMainContext *engine_context;
  UpdraftJobEventFunc event_func;
  gpointer event_data;

  /* Outputs: written by the worker, read by the engine once the task
   * completes (the GTask completion orders the two). */
  UpdraftUpdateInfo *found;        /* Check: the update found, NULL for none */
  UpdraftSysrootInfo *sysroot_info; /* the sysroot after the operation */
  GPtrArray *warnings;             /* logged by the engine */
  gboolean applied;                /* a deployment was written */
  char *rolled_back_from;          /* Rollback: the default before and after */
  char *rolled_back_to;

  /* Worker-private. */
  UpdraftKeyring *keyring;
  gint64 check_deadline; /* monotonic time the check must end by */
  gint64 last_progress_post;
};

UpdraftJob *updraft_job_new (UpdraftRequest *request, UpdraftConfig *config);
UpdraftJob *updraft_job_ref (UpdraftJob *job);
void updraft_job_unref (UpdraftJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftJob, updraft_job_unref)

/* Worker side: report progress (throttled) and phase changes. */
void updraft_job_post_progress (UpdraftJob *job, const char *phase, guint64 bytes_done,
                                guint64 bytes_total, guint64 bytes_per_second, gboolean force);
void updraft_job_post_phase (UpdraftJob *job, UpdraftState state, const UpdraftUpdateInfo *update);
void updraft_job_warn (UpdraftJob *job, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* The keyring for this operation, loaded on first use (worker thread). */
UpdraftKeyring *updraft_job_get_keyring (UpdraftJob *job);

G_END_DECLS
