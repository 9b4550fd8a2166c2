/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The update engine: the state machine, what is known about the system and
 * the update, and the operations that run in worker threads. It knows
 * nothing of D-Bus; updraft-service.c maps it onto the bus. All functions
 * here are for the main thread. */
#pragma once

#include <glib-object.h>

#include "updraft-config.h"
#include "updraft-state.h"
#include "updraft-types.h"

G_BEGIN_DECLS

#define UPDRAFT_TYPE_ENGINE (updraft_engine_get_type ())
G_DECLARE_FINAL_TYPE (UpdraftEngine, updraft_engine, UPDRAFT, ENGINE, GObject)

/* What changed, in the "changed" signal. */
typedef enum
{
  UPDRAFT_ENGINE_CHANGED_STATE = 1 << 0,     /* state and running operation */
  UPDRAFT_ENGINE_CHANGED_SYSROOT = 1 << 1,   /* deployments, current commit */
  UPDRAFT_ENGINE_CHANGED_UPDATE = 1 << 2,    /* available update */
  UPDRAFT_ENGINE_CHANGED_PROGRESS = 1 << 3,
  UPDRAFT_ENGINE_CHANGED_LAST_ERROR = 1 << 4,
  UPDRAFT_ENGINE_CHANGED_HISTORY = 1 << 5,
} UpdraftEngineChanged;

UpdraftEngine *updraft_engine_new (UpdraftConfig *config, const char *sysroot_path,
                                   const char *osname, const char *state_dir);

/* Reads the sysroot and the saved state and reconciles them. Called once at
 * start-up, before the bus name is owned. A sysroot that cannot be read
 * leaves the engine in the error state with the reason in LastError. */
void updraft_engine_load (UpdraftEngine *self);

/* Whether @op may start now (state machine only, no authorization), so the
 * service can refuse early, before asking polkit. Succeeds when the same
 * operation is running (the caller joins it). */
gboolean updraft_engine_can_start (UpdraftEngine *self, UpdraftOperation op, GError **error);

/* Starts @request (taken), or joins the running operation when it is the
 * same. Fails with WrongState or Busy. */
gboolean updraft_engine_start (UpdraftEngine *self, UpdraftRequest *request, gboolean *out_joined,
                               GError **error);

/* Cancels the running operation; it finishes with Cancelled. */
gboolean updraft_engine_cancel (UpdraftEngine *self, const UpdraftCaller *caller, GError **error);

/* TRUE when no operation runs (the daemon may exit when idle). */
gboolean updraft_engine_is_idle (UpdraftEngine *self);

/* Writes pending state to disk (at exit). */
void updraft_engine_flush (UpdraftEngine *self);

UpdraftState updraft_engine_get_state (UpdraftEngine *self);
UpdraftOperation updraft_engine_get_operation (UpdraftEngine *self);
UpdraftConfig *updraft_engine_get_config (UpdraftEngine *self);
/* NULL until the sysroot has been read successfully. */
const UpdraftSysrootInfo *updraft_engine_get_sysroot_info (UpdraftEngine *self);
/* NULL when no update is known. */
const UpdraftUpdateInfo *updraft_engine_get_update (UpdraftEngine *self);
/* NULL when no operation runs. */
const UpdraftProgress *updraft_engine_get_progress (UpdraftEngine *self);
void updraft_engine_get_last_error (UpdraftEngine *self, const char **out_name,
                                    const char **out_message);
/* UpdraftHistoryEntry, newest first. */
GPtrArray *updraft_engine_get_history (UpdraftEngine *self);

G_END_DECLS
