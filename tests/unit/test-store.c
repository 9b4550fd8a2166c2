/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "updraft-store.h"

#define C1 "1111111111111111111111111111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222222222222222222222222222"

static UpdraftPersisted *
sample (void)
{
  UpdraftPersisted *p = updraft_persisted_new ();
  UpdraftHistoryEntry *h = updraft_history_entry_new ();

  p->state = UPDRAFT_STATE_READY;
  p->boot_id = g_strdup ("b00t");
  p->update = updraft_update_info_new ();
  p->update->remote = g_strdup ("origin");
  p->update->ref = g_strdup ("demo/x86_64/stable");
  p->update->commit = g_strdup (C2);
  p->update->version = g_strdup ("2.0");
  p->update->subject = g_strdup ("Subject with = and ; and \"quotes\"");
  p->update->body = g_strdup ("Line one\nLine two\n");
  p->update->timestamp = 1767225600;
  p->update->download_size = 12345;
  p->update->downloaded = TRUE;
  p->update->signed_by = g_strdup ("0123456789abcdef");
  p->last_error_name = g_strdup ("org.updraft.Updater1.Error.Network");
  p->last_error_message = g_strdup ("gone");
  h->operation = UPDRAFT_OPERATION_DOWNLOAD;
  h->success = TRUE;
  h->time = 42;
  h->caller_uid = 1000;
  h->from_commit = g_strdup (C1);
  h->to_commit = g_strdup (C2);
  h->to_version = g_strdup ("2.0");
  g_ptr_array_add (p->history, h);
  return p;
}

static void
test_store_round_trip (void)
{
  g_autoptr (UpdraftPersisted) p = sample ();
  g_autoptr (UpdraftPersisted) back = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  g_autofree char *data = updraft_store_serialize (p, &len);
  UpdraftHistoryEntry *h;

  back = updraft_store_parse (data, len, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->state, ==, UPDRAFT_STATE_READY);
  g_assert_cmpstr (back->boot_id, ==, "b00t");
  g_assert_cmpstr (back->update->commit, ==, C2);
  g_assert_cmpstr (back->update->subject, ==, p->update->subject);
  g_assert_cmpstr (back->update->body, ==, p->update->body);
  g_assert_cmpint (back->update->download_size, ==, 12345);
  g_assert_true (back->update->downloaded);
  g_assert_cmpstr (back->update->signed_by, ==, "0123456789abcdef");
  g_assert_cmpstr (back->last_error_name, ==, "org.updraft.Updater1.Error.Network");
  g_assert_cmpuint (back->history->len, ==, 1);
  h = back->history->pdata[0];
  g_assert_cmpint (h->operation, ==, UPDRAFT_OPERATION_DOWNLOAD);
  g_assert_cmpuint (h->caller_uid, ==, 1000);
  g_assert_cmpstr (h->to_commit, ==, C2);
}

/* A damaged file never produces a running state or a bogus update. */
static void
test_store_damaged (void)
{
  g_autoptr (GError) error = NULL;
  const char *running = "[Updater]\nState=downloading\n";
  const char *bad_update = "[Updater]\nState=ready\n[Update]\nRemote=o\nRef=r\nCommit=../../etc\n";
  const char *bad_history = "[History 0]\nOperation=explode\n[History 1]\nOperation=check\n";
  g_autoptr (UpdraftPersisted) a = updraft_store_parse (running, strlen (running), &error);
  g_autoptr (UpdraftPersisted) b = updraft_store_parse (bad_update, strlen (bad_update), &error);
  g_autoptr (UpdraftPersisted) c = updraft_store_parse (bad_history, strlen (bad_history), &error);
  g_autoptr (UpdraftPersisted) d = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (a->state, ==, UPDRAFT_STATE_IDLE);
  g_assert_null (b->update);
  g_assert_cmpuint (c->history->len, ==, 1);
  d = updraft_store_parse ("\x01\x02 not a key file", 18, &error);
  g_assert_null (d);
  g_assert_nonnull (error);
}

static void
test_store_save_load (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("updraft-store-XXXXXX", &error);
  g_autofree char *dir = g_build_filename (tmp, "state", NULL);
  g_autofree char *file = g_build_filename (dir, "state", NULL);
  g_autoptr (UpdraftStore) store = updraft_store_new (dir);
  g_autoptr (UpdraftPersisted) p = sample ();
  g_autoptr (UpdraftPersisted) back = NULL;
  gsize len = 0;
  struct stat st;

  g_assert_no_error (error);
  g_assert_null (updraft_store_load (store, &error));
  g_assert_no_error (error);

  /* Two saves in a row: the second wins. */
  updraft_store_save (store, updraft_store_serialize (p, &len), len);
  p->state = UPDRAFT_STATE_APPLIED;
  updraft_store_save (store, updraft_store_serialize (p, &len), len);
  updraft_store_flush (store);

  back = updraft_store_load (store, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->state, ==, UPDRAFT_STATE_APPLIED);
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  g_unlink (file);
  g_rmdir (dir);
  g_rmdir (tmp);
}

static int saved_calls;

static gboolean
count_call (gpointer user_data)
{
  saved_calls++;
  return G_SOURCE_REMOVE;
}

static gboolean
on_saved (gpointer user_data)
{
  const char *file = user_data;
  g_autofree char *text = NULL;

  /* By the time the waiter runs, the last save is on disk. */
  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "State=applied\n"));
  g_assert_nonnull (strstr (text, "[History 0]"));
  saved_calls++;
  return G_SOURCE_REMOVE;
}

static void
test_store_when_saved (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("updraft-store-XXXXXX", &error);
  g_autofree char *file = g_build_filename (tmp, "state", NULL);
  g_autoptr (UpdraftStore) store = updraft_store_new (tmp);
  g_autoptr (UpdraftPersisted) p = sample ();
  gsize len = 0;

  g_assert_no_error (error);
  saved_calls = 0;

  /* Nothing queued: the waiter still runs, from the main loop. */
  updraft_store_when_saved (store, count_call, NULL);
  g_assert_cmpint (saved_calls, ==, 0);
  while (saved_calls == 0)
    g_main_context_iteration (NULL, TRUE);

  /* Saves queued behind a running write: the waiter sees the last one. */
  saved_calls = 0;
  p->state = UPDRAFT_STATE_READY;
  updraft_store_save (store, updraft_store_serialize (p, &len), len);
  p->state = UPDRAFT_STATE_APPLIED;
  updraft_store_save (store, updraft_store_serialize (p, &len), len);
  updraft_store_when_saved (store, on_saved, file);
  while (saved_calls == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (saved_calls, ==, 1);

  g_unlink (file);
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/round-trip", test_store_round_trip);
  g_test_add_func ("/store/damaged", test_store_damaged);
  g_test_add_func ("/store/save-load", test_store_save_load);
  g_test_add_func ("/store/when-saved", test_store_when_saved);
  return g_test_run ();
}
