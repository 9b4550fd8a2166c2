/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "updraft-error.h"
#include "updraft-state.h"

static void
test_state_names (void)
{
  for (int s = 0; s <= UPDRAFT_STATE_LAST; s++)
    {
      UpdraftState back;
      g_assert_true (updraft_state_from_string (updraft_state_to_string (s), &back));
      g_assert_cmpint (back, ==, s);
    }
  g_assert_cmpstr (updraft_state_to_string (UPDRAFT_STATE_UPDATE_AVAILABLE), ==, "update-available");
  {
    UpdraftState unused;
    g_assert_false (updraft_state_from_string ("rebooting", &unused));
    g_assert_false (updraft_state_from_string (NULL, &unused));
  }
}

typedef struct
{
  UpdraftState state;
  gboolean has_update;
  gboolean downloaded;
  UpdraftOperation op;
  gint expected; /* -1 allowed, else the error code */
} Case;

/* The transition table of dbus/org.updraft.Updater1.xml, row by row. */
static const Case cases[] = {
  { UPDRAFT_STATE_IDLE, FALSE, FALSE, UPDRAFT_OPERATION_CHECK, -1 },
  { UPDRAFT_STATE_IDLE, FALSE, FALSE, UPDRAFT_OPERATION_UPDATE, -1 },
  { UPDRAFT_STATE_IDLE, FALSE, FALSE, UPDRAFT_OPERATION_DOWNLOAD, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_IDLE, FALSE, FALSE, UPDRAFT_OPERATION_APPLY, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_IDLE, FALSE, FALSE, UPDRAFT_OPERATION_CANCEL, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_IDLE, FALSE, FALSE, UPDRAFT_OPERATION_ROLLBACK, -1 },
  { UPDRAFT_STATE_NO_UPDATE, FALSE, FALSE, UPDRAFT_OPERATION_CHECK, -1 },
  { UPDRAFT_STATE_NO_UPDATE, FALSE, FALSE, UPDRAFT_OPERATION_DOWNLOAD, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_UPDATE_AVAILABLE, TRUE, FALSE, UPDRAFT_OPERATION_DOWNLOAD, -1 },
  { UPDRAFT_STATE_UPDATE_AVAILABLE, TRUE, FALSE, UPDRAFT_OPERATION_APPLY, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_UPDATE_AVAILABLE, TRUE, FALSE, UPDRAFT_OPERATION_CHECK, -1 },
  { UPDRAFT_STATE_READY, TRUE, TRUE, UPDRAFT_OPERATION_APPLY, -1 },
  { UPDRAFT_STATE_READY, TRUE, TRUE, UPDRAFT_OPERATION_DOWNLOAD, -1 },
  { UPDRAFT_STATE_READY, TRUE, TRUE, UPDRAFT_OPERATION_CHECK, -1 },
  { UPDRAFT_STATE_APPLIED, FALSE, FALSE, UPDRAFT_OPERATION_CHECK, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_APPLIED, FALSE, FALSE, UPDRAFT_OPERATION_UPDATE, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_APPLIED, FALSE, FALSE, UPDRAFT_OPERATION_APPLY, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_APPLIED, FALSE, FALSE, UPDRAFT_OPERATION_ROLLBACK, -1 },
  { UPDRAFT_STATE_ERROR, FALSE, FALSE, UPDRAFT_OPERATION_DOWNLOAD, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_ERROR, TRUE, FALSE, UPDRAFT_OPERATION_DOWNLOAD, -1 },
  { UPDRAFT_STATE_ERROR, TRUE, FALSE, UPDRAFT_OPERATION_APPLY, UPDRAFT_ERROR_WRONG_STATE },
  { UPDRAFT_STATE_ERROR, TRUE, TRUE, UPDRAFT_OPERATION_APPLY, -1 },
  { UPDRAFT_STATE_ERROR, FALSE, FALSE, UPDRAFT_OPERATION_CHECK, -1 },
  { UPDRAFT_STATE_CHECKING, FALSE, FALSE, UPDRAFT_OPERATION_CANCEL, -1 },
  { UPDRAFT_STATE_CHECKING, FALSE, FALSE, UPDRAFT_OPERATION_DOWNLOAD, UPDRAFT_ERROR_BUSY },
  { UPDRAFT_STATE_DOWNLOADING, TRUE, FALSE, UPDRAFT_OPERATION_CHECK, UPDRAFT_ERROR_BUSY },
  { UPDRAFT_STATE_DOWNLOADING, TRUE, FALSE, UPDRAFT_OPERATION_CANCEL, -1 },
  { UPDRAFT_STATE_APPLYING, TRUE, TRUE, UPDRAFT_OPERATION_ROLLBACK, UPDRAFT_ERROR_BUSY },
};

static void
test_state_transitions (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      g_autoptr (GError) error = NULL;
      gboolean ok = updraft_state_allows (c->state, c->has_update, c->downloaded, c->op, &error);

      g_test_message ("%s + %s", updraft_state_to_string (c->state), updraft_operation_to_string (c->op));
      if (c->expected < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, UPDRAFT_ERROR, c->expected);
        }
    }
}

static void
test_running (void)
{
  g_assert_true (updraft_state_is_running (UPDRAFT_STATE_CHECKING));
  g_assert_true (updraft_state_is_running (UPDRAFT_STATE_DOWNLOADING));
  g_assert_true (updraft_state_is_running (UPDRAFT_STATE_APPLYING));
  g_assert_false (updraft_state_is_running (UPDRAFT_STATE_APPLIED));
  g_assert_false (updraft_state_is_running (UPDRAFT_STATE_ERROR));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/state/names", test_state_names);
  g_test_add_func ("/state/transitions", test_state_transitions);
  g_test_add_func ("/state/running", test_running);
  return g_test_run ();
}
