/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What must survive a restart, kept in /var/lib/updraft/state: the settled
 * state, the update found or downloaded, the last error and the history.
 * Written atomically (write, fsync, rename) off the main loop. */
#pragma once

#include <glib.h>

#include "updraft-state.h"
#include "updraft-types.h"

G_BEGIN_DECLS

typedef struct
{
  UpdraftState state;        /* never a running state */
  char *boot_id;             /* the boot the state was written in */
  UpdraftUpdateInfo *update; /* NULL when none */
  char *applied_commit;      /* the deployment written by the last Apply/Rollback */
  char *last_error_name;     /* NULL when none */
  char *last_error_message;
  GPtrArray *history;        /* UpdraftHistoryEntry, newest first */
} UpdraftPersisted;

UpdraftPersisted *updraft_persisted_new (void);
void updraft_persisted_free (UpdraftPersisted *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftPersisted, updraft_persisted_free)

/* Serialises to a key file. */
char *updraft_store_serialize (const UpdraftPersisted *p, gsize *out_len);
/* Parses a key file written by updraft_store_serialize(). Malformed entries
 * are dropped (a damaged state file must not stop the updater); a file that
 * is not a key file at all fails. */
UpdraftPersisted *updraft_store_parse (const char *data, gsize len, GError **error);

typedef struct _UpdraftStore UpdraftStore;

UpdraftStore *updraft_store_new (const char *dir);
void updraft_store_free (UpdraftStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftStore, updraft_store_free)

/* Reads the state file; NULL without error when there is none. */
UpdraftPersisted *updraft_store_load (UpdraftStore *store, GError **error);
/* Queues @data (taken) to be written in a worker thread. Saves coalesce:
 * while one write runs, only the latest queued data is written next. */
void updraft_store_save (UpdraftStore *store, char *data, gsize len);
/* Calls @callback from the main loop once every save queued so far is on
 * disk (or has failed, which is logged). A caller that announces a result
 * uses this so the announcement never runs ahead of the state file. */
void updraft_store_when_saved (UpdraftStore *store, GSourceFunc callback, gpointer user_data);
/* Blocks until queued writes are done (at exit). */
void updraft_store_flush (UpdraftStore *store);

/* The kernel's boot id, "" when unknown. */
char *updraft_get_boot_id (void);

G_END_DECLS
