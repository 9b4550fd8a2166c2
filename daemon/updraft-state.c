/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* States and legal transitions. */
#include "config.h"

#include "updraft-error.h"
#include "updraft-state.h"

static const char *const state_names[] = {
  [UPDRAFT_STATE_IDLE] = "idle",
  [UPDRAFT_STATE_CHECKING] = "checking",
  [UPDRAFT_STATE_NO_UPDATE] = "no-update",
  [UPDRAFT_STATE_UPDATE_AVAILABLE] = "update-available",
  [UPDRAFT_STATE_DOWNLOADING] = "downloading",
  [UPDRAFT_STATE_READY] = "ready",
  [UPDRAFT_STATE_APPLYING] = "applying",
  [UPDRAFT_STATE_APPLIED] = "applied",
  [UPDRAFT_STATE_ERROR] = "error",
};

G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == UPDRAFT_STATE_LAST + 1);

const char *
updraft_state_to_string (UpdraftState state)
{
  g_return_val_if_fail ((gsize) state < G_N_ELEMENTS (state_names), "error");
  return state_names[state];
}

gboolean
updraft_state_from_string (const char *name, UpdraftState *out_state)
{
  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (state_names); i++)
    if (g_str_equal (state_names[i], name))
      {
        *out_state = (UpdraftState) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
updraft_state_is_running (UpdraftState state)
{
  return state == UPDRAFT_STATE_CHECKING || state == UPDRAFT_STATE_DOWNLOADING ||
         state == UPDRAFT_STATE_APPLYING;
}

/* The settled states each operation may start from. "error" is resolved by
 * what the engine still knows (an update, a download). */
gboolean
updraft_state_allows (UpdraftState state, gboolean has_update, gboolean downloaded,
                      UpdraftOperation op, GError **error)
{
  const char *name = updraft_state_to_string (state);

  if (updraft_state_is_running (state))
    {
      if (op == UPDRAFT_OPERATION_CANCEL)
        return TRUE;
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_BUSY,
                   "Another operation is in progress (state %s)", name);
      return FALSE;
    }

  switch (op)
    {
    case UPDRAFT_OPERATION_CHECK:
    case UPDRAFT_OPERATION_UPDATE:
      if (state == UPDRAFT_STATE_APPLIED)
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_STATE,
                       "An update has been applied and takes effect at the next boot; "
                       "reboot (or roll back) before checking again");
          return FALSE;
        }
      return TRUE;

    case UPDRAFT_OPERATION_DOWNLOAD:
      if (state == UPDRAFT_STATE_UPDATE_AVAILABLE || state == UPDRAFT_STATE_READY ||
          (state == UPDRAFT_STATE_ERROR && has_update))
        return TRUE;
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_STATE,
                   "No update to download (state %s); run Check first", name);
      return FALSE;

    case UPDRAFT_OPERATION_APPLY:
      if (state == UPDRAFT_STATE_READY || (state == UPDRAFT_STATE_ERROR && has_update && downloaded))
        return TRUE;
      if (state == UPDRAFT_STATE_UPDATE_AVAILABLE || (state == UPDRAFT_STATE_ERROR && has_update))
        g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_STATE,
                     "The update has not been downloaded yet (state %s); run Download first", name);
      else if (state == UPDRAFT_STATE_APPLIED)
        g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_STATE,
                     "The update has already been applied; reboot to use it");
      else
        g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_STATE,
                     "No update to apply (state %s); run Check and Download first", name);
      return FALSE;

    case UPDRAFT_OPERATION_CANCEL:
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_STATE,
                   "Nothing to cancel (state %s)", name);
      return FALSE;

    case UPDRAFT_OPERATION_ROLLBACK:
      return TRUE;

    case UPDRAFT_OPERATION_NONE:
    default:
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS, "Unknown operation");
      return FALSE;
    }
}
