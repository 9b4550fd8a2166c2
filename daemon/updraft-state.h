/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The updater's state machine: its states, and which operation may start
 * from where. The table in updraft-state.c is the one source of truth and is
 * mirrored in the documentation of dbus/org.updraft.Updater1.xml. */
#pragma once

#include <glib.h>

#include "updraft-types.h"

G_BEGIN_DECLS

typedef enum
{
  UPDRAFT_STATE_IDLE,
  UPDRAFT_STATE_CHECKING,
  UPDRAFT_STATE_NO_UPDATE,
  UPDRAFT_STATE_UPDATE_AVAILABLE,
  UPDRAFT_STATE_DOWNLOADING,
  UPDRAFT_STATE_READY,
  UPDRAFT_STATE_APPLYING,
  UPDRAFT_STATE_APPLIED,
  UPDRAFT_STATE_ERROR,
} UpdraftState;

#define UPDRAFT_STATE_LAST UPDRAFT_STATE_ERROR

const char *updraft_state_to_string (UpdraftState state);
/* Returns FALSE for an unknown name. */
gboolean updraft_state_from_string (const char *name, UpdraftState *out_state);

/* TRUE for checking, downloading and applying: an operation runs. */
gboolean updraft_state_is_running (UpdraftState state);

/* Whether @op may start in @state, given whether an update is known and
 * whether it has been downloaded (the error state remembers both). Fails
 * with UPDRAFT_ERROR_BUSY while an operation runs and
 * UPDRAFT_ERROR_WRONG_STATE otherwise, with a message a user can act on. */
gboolean updraft_state_allows (UpdraftState state, gboolean has_update, gboolean downloaded,
                               UpdraftOperation op, GError **error);

G_END_DECLS
