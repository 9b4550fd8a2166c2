/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state file. Human-readable on purpose: an admin looking at a device
 * in trouble can read it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "updraft-error.h"
#include "updraft-store.h"

#define STATE_FILE "state"
#define MAX_STATE_FILE_SIZE (1024 * 1024)

UpdraftPersisted *
updraft_persisted_new (void)
{
  UpdraftPersisted *p = g_new0 (UpdraftPersisted, 1);

  p->state = UPDRAFT_STATE_IDLE;
  p->history = g_ptr_array_new_with_free_func ((GDestroyNotify) updraft_history_entry_free);
  return p;
}

void
updraft_persisted_free (UpdraftPersisted *p)
{
  if (p == NULL)
    return;
  g_free (p->boot_id);
  updraft_update_info_free (p->update);
  g_free (p->applied_commit);
  g_free (p->last_error_name);
  g_free (p->last_error_message);
  g_ptr_array_unref (p->history);
  g_free (p);
}

static void
set_string (GKeyFile *kf, const char *group, const char *key, const char *value)
{
  if (value != NULL)
    g_key_file_set_string (kf, group, key, value);
}

char *
updraft_store_serialize (const UpdraftPersisted *p, gsize *out_len)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();

  g_key_file_set_string (kf, "Updater", "State", updraft_state_to_string (p->state));
  set_string (kf, "Updater", "BootId", p->boot_id);
  set_string (kf, "Updater", "AppliedCommit", p->applied_commit);
  set_string (kf, "Updater", "LastErrorName", p->last_error_name);
  set_string (kf, "Updater", "LastErrorMessage", p->last_error_message);

  if (p->update != NULL)
    {
      const UpdraftUpdateInfo *u = p->update;
      set_string (kf, "Update", "Remote", u->remote);
      set_string (kf, "Update", "Ref", u->ref);
      set_string (kf, "Update", "Commit", u->commit);
      set_string (kf, "Update", "Version", u->version);
      set_string (kf, "Update", "Subject", u->subject);
      set_string (kf, "Update", "Body", u->body);
      set_string (kf, "Update", "SignedBy", u->signed_by);
      g_key_file_set_uint64 (kf, "Update", "Timestamp", u->timestamp);
      g_key_file_set_int64 (kf, "Update", "DownloadSize", u->download_size);
      g_key_file_set_boolean (kf, "Update", "Downloaded", u->downloaded);
      g_key_file_set_boolean (kf, "Update", "AllowDowngrade", u->allow_downgrade);
    }

  for (guint i = 0; i < p->history->len; i++)
    {
      const UpdraftHistoryEntry *h = p->history->pdata[i];
      g_autofree char *group = g_strdup_printf ("History %u", i);

      g_key_file_set_string (kf, group, "Operation", updraft_operation_to_string (h->operation));
      g_key_file_set_boolean (kf, group, "Success", h->success);
      set_string (kf, group, "ErrorName", h->error_name);
      set_string (kf, group, "Message", h->message);
      g_key_file_set_uint64 (kf, group, "Time", h->time);
      g_key_file_set_uint64 (kf, group, "CallerUid", h->caller_uid);
      set_string (kf, group, "FromCommit", h->from_commit);
      set_string (kf, group, "ToCommit", h->to_commit);
      set_string (kf, group, "FromVersion", h->from_version);
      set_string (kf, group, "ToVersion", h->to_version);
    }
  return g_key_file_to_data (kf, out_len, NULL);
}

static char *
get_string (GKeyFile *kf, const char *group, const char *key)
{
  return g_key_file_get_string (kf, group, key, NULL);
}

static gboolean
is_checksum (const char *s)
{
  if (s == NULL || strlen (s) != 64)
    return FALSE;
  for (const char *c = s; *c != '\0'; c++)
    if (!g_ascii_isxdigit (*c) || g_ascii_isupper (*c))
      return FALSE;
  return TRUE;
}

static UpdraftUpdateInfo *
parse_update (GKeyFile *kf)
{
  g_autoptr (UpdraftUpdateInfo) u = updraft_update_info_new ();

  if (!g_key_file_has_group (kf, "Update"))
    return NULL;
  u->remote = get_string (kf, "Update", "Remote");
  u->ref = get_string (kf, "Update", "Ref");
  u->commit = get_string (kf, "Update", "Commit");
  if (u->remote == NULL || u->ref == NULL || !is_checksum (u->commit))
    return NULL;
  u->version = get_string (kf, "Update", "Version");
  if (u->version == NULL)
    u->version = g_strdup ("");
  u->subject = get_string (kf, "Update", "Subject");
  u->body = get_string (kf, "Update", "Body");
  u->signed_by = get_string (kf, "Update", "SignedBy");
  u->timestamp = g_key_file_get_uint64 (kf, "Update", "Timestamp", NULL);
  u->download_size = g_key_file_has_key (kf, "Update", "DownloadSize", NULL)
                         ? g_key_file_get_int64 (kf, "Update", "DownloadSize", NULL)
                         : -1;
  u->downloaded = g_key_file_get_boolean (kf, "Update", "Downloaded", NULL);
  u->allow_downgrade = g_key_file_get_boolean (kf, "Update", "AllowDowngrade", NULL);
  return g_steal_pointer (&u);
}

UpdraftPersisted *
updraft_store_parse (const char *data, gsize len, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (UpdraftPersisted) p = updraft_persisted_new ();
  g_autofree char *state = NULL;

  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, error))
    return NULL;

  state = get_string (kf, "Updater", "State");
  if (!updraft_state_from_string (state, &p->state) || updraft_state_is_running (p->state))
    p->state = UPDRAFT_STATE_IDLE;
  p->boot_id = get_string (kf, "Updater", "BootId");
  p->applied_commit = get_string (kf, "Updater", "AppliedCommit");
  if (p->applied_commit != NULL && !is_checksum (p->applied_commit))
    g_clear_pointer (&p->applied_commit, g_free);
  p->last_error_name = get_string (kf, "Updater", "LastErrorName");
  p->last_error_message = get_string (kf, "Updater", "LastErrorMessage");
  p->update = parse_update (kf);

  for (guint i = 0; i < UPDRAFT_HISTORY_MAX; i++)
    {
      g_autofree char *group = g_strdup_printf ("History %u", i);
      g_autofree char *op = NULL;
      UpdraftHistoryEntry *h;

      if (!g_key_file_has_group (kf, group))
        break;
      op = get_string (kf, group, "Operation");
      if (updraft_operation_from_string (op) == UPDRAFT_OPERATION_NONE)
        continue;
      h = updraft_history_entry_new ();
      h->operation = updraft_operation_from_string (op);
      h->success = g_key_file_get_boolean (kf, group, "Success", NULL);
      h->error_name = get_string (kf, group, "ErrorName");
      h->message = get_string (kf, group, "Message");
      h->time = g_key_file_get_uint64 (kf, group, "Time", NULL);
      h->caller_uid = (guint32) g_key_file_get_uint64 (kf, group, "CallerUid", NULL);
      h->from_commit = get_string (kf, group, "FromCommit");
      h->to_commit = get_string (kf, group, "ToCommit");
      h->from_version = get_string (kf, group, "FromVersion");
      h->to_version = get_string (kf, group, "ToVersion");
      g_ptr_array_add (p->history, h);
    }
  return g_steal_pointer (&p);
}

struct _UpdraftStore
{
  char *dir;
  char *path;
  gboolean writing;
  char *pending; /* the latest data waiting for the running write */
  gsize pending_len;
  GSList *waiters; /* Waiter, for updraft_store_when_saved() */
};

typedef struct
{
  GSourceFunc callback;
  gpointer user_data;
} Waiter;

static void
wake_waiters (UpdraftStore *store)
{
  GSList *waiters = g_slist_reverse (g_steal_pointer (&store->waiters));

  for (GSList *l = waiters; l != NULL; l = l->next)
    {
      Waiter *w = l->data;
      g_idle_add_full (G_PRIORITY_DEFAULT, w->callback, w->user_data, NULL);
    }
  g_slist_free_full (waiters, g_free);
}

UpdraftStore *
updraft_store_new (const char *dir)
{
  UpdraftStore *store = g_new0 (UpdraftStore, 1);

  store->dir = g_strdup (dir);
  store->path = g_build_filename (dir, STATE_FILE, NULL);
  return store;
}

void
updraft_store_free (UpdraftStore *store)
{
  if (store == NULL)
    return;
  updraft_store_flush (store);
  g_free (store->dir);
  g_free (store->path);
  g_free (store);
}

UpdraftPersisted *
updraft_store_load (UpdraftStore *store, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local_error = NULL;

  if (!g_file_get_contents (store->path, &data, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (len > MAX_STATE_FILE_SIZE)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "%s is larger than %u bytes",
                   store->path, MAX_STATE_FILE_SIZE);
      return NULL;
    }
  return updraft_store_parse (data, len, error);
}

static gboolean
sync_dir (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved;

  if (fd >= 0 && fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }
  saved = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "Syncing %s: %s", dir,
               g_strerror (saved));
  return FALSE;
}

static gboolean
write_state_file (const char *dir, const char *path, const char *data, gsize len, GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "Creating %s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  if (!g_file_set_contents_full (path, data, (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    return FALSE;
  /* GLib syncs the file before renaming it over the old one; the rename
   * itself is durable only once the directory is synced too. */
  return sync_dir (dir, error);
}

typedef struct
{
  char *dir;
  char *path;
  char *data;
  gsize len;
} WriteData;

static void
write_data_free (WriteData *w)
{
  g_free (w->dir);
  g_free (w->path);
  g_free (w->data);
  g_free (w);
}

static void
write_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  WriteData *w = task_data;
  g_autoptr (GError) local_error = NULL;

  if (!write_state_file (w->dir, w->path, w->data, w->len, &local_error))
    g_task_return_error (task, g_steal_pointer (&local_error));
  else
    g_task_return_boolean (task, TRUE);
}

static void start_write (UpdraftStore *store);

static void
write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  UpdraftStore *store = user_data;
  g_autoptr (GError) local_error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &local_error))
    g_warning ("Saving the updater state to %s failed: %s", store->path, local_error->message);
  store->writing = FALSE;
  if (store->pending != NULL)
    start_write (store);
  else
    wake_waiters (store);
}

static void
start_write (UpdraftStore *store)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, write_done, store);
  WriteData *w = g_new0 (WriteData, 1);

  w->dir = g_strdup (store->dir);
  w->path = g_strdup (store->path);
  w->data = g_steal_pointer (&store->pending);
  w->len = store->pending_len;
  g_task_set_task_data (task, w, (GDestroyNotify) write_data_free);
  store->writing = TRUE;
  g_task_run_in_thread (task, write_thread);
}

void
updraft_store_save (UpdraftStore *store, char *data, gsize len)
{
  g_free (store->pending);
  store->pending = data;
  store->pending_len = len;
  if (!store->writing)
    start_write (store);
}

void
updraft_store_when_saved (UpdraftStore *store, GSourceFunc callback, gpointer user_data)
{
  Waiter *w = g_new0 (Waiter, 1);

  w->callback = callback;
  w->user_data = user_data;
  store->waiters = g_slist_prepend (store->waiters, w);
  if (!store->writing && store->pending == NULL)
    wake_waiters (store);
}

void
updraft_store_flush (UpdraftStore *store)
{
  g_autoptr (GError) local_error = NULL;

  while (store->writing)
    g_main_context_iteration (NULL, TRUE);
  if (store->pending == NULL)
    return;
  if (!write_state_file (store->dir, store->path, store->pending, store->pending_len, &local_error))
    g_warning ("Saving the updater state to %s failed: %s", store->path, local_error->message);
  g_clear_pointer (&store->pending, g_free);
}

char *
updraft_get_boot_id (void)
{
  g_autofree char *id = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &id, NULL, NULL))
    return g_strdup ("");
  return g_strdup (g_strstrip (id));
}
