/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plain data the engine passes between its phases and to the D-Bus layer:
 * operations, the caller of a request, an update, a deployment, progress and
 * history. No behaviour lives here beyond copying and freeing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  UPDRAFT_OPERATION_NONE,
  UPDRAFT_OPERATION_CHECK,
  UPDRAFT_OPERATION_DOWNLOAD,
  UPDRAFT_OPERATION_APPLY,
  UPDRAFT_OPERATION_UPDATE,
  UPDRAFT_OPERATION_CANCEL,
  UPDRAFT_OPERATION_ROLLBACK,
} UpdraftOperation;

const char *updraft_operation_to_string (UpdraftOperation op);
UpdraftOperation updraft_operation_from_string (const char *name);

/* Who asked, for the audit trail. */
typedef struct
{
  guint32 uid;
  guint32 pid;
  char *bus_name;
} UpdraftCaller;

UpdraftCaller *updraft_caller_new (guint32 uid, guint32 pid, const char *bus_name);
UpdraftCaller *updraft_caller_copy (const UpdraftCaller *caller);
void updraft_caller_free (UpdraftCaller *caller);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftCaller, updraft_caller_free)

/* One method call, validated. */
typedef struct
{
  UpdraftOperation operation;
  UpdraftCaller *caller;
  char *commit;             /* "commit" option: a specific commit, or NULL */
  gboolean allow_downgrade; /* "allow-downgrade" option */
  gboolean reboot;          /* "reboot" option */
} UpdraftRequest;

UpdraftRequest *updraft_request_new (UpdraftOperation operation);
void updraft_request_free (UpdraftRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftRequest, updraft_request_free)

/* An update found by Check. */
typedef struct
{
  char *remote;
  char *ref;
  char *commit;
  char *version;   /* "" when the commit has none */
  char *subject;
  char *body;
  guint64 timestamp;
  gint64 download_size; /* bytes still to fetch; -1 unknown */
  gboolean downloaded;
  gboolean allow_downgrade; /* an authorized caller asked for this older commit */
  char *signed_by;          /* key id of the verifying key, NULL when unsigned */
} UpdraftUpdateInfo;

UpdraftUpdateInfo *updraft_update_info_new (void);
UpdraftUpdateInfo *updraft_update_info_copy (const UpdraftUpdateInfo *info);
void updraft_update_info_free (UpdraftUpdateInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftUpdateInfo, updraft_update_info_free)

typedef struct
{
  char *osname;
  char *commit;
  char *version;
  char *origin;
  gint serial;
  guint64 timestamp;
  gboolean booted;
  gboolean is_default;
  gboolean rollback;
  gboolean pinned;
  gboolean staged;
  gboolean current;
} UpdraftDeploymentInfo;

void updraft_deployment_info_free (UpdraftDeploymentInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftDeploymentInfo, updraft_deployment_info_free)

/* What the sysroot looks like, for the managed OS. Read in worker threads,
 * handed to the main thread whole. */
typedef struct
{
  char *osname;
  gboolean booted;          /* the running system was booted from this sysroot */
  GPtrArray *deployments;   /* UpdraftDeploymentInfo, boot order, this OS only */
  char *current_commit;
  char *current_version;
  guint64 current_timestamp;
  char *default_commit;
  char *booted_commit;      /* NULL when not booted */
  char *origin;             /* refspec of the current deployment, "" when none */
  char *remote;             /* NULL when the refspec has no remote */
  char *ref;
} UpdraftSysrootInfo;

void updraft_sysroot_info_free (UpdraftSysrootInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftSysrootInfo, updraft_sysroot_info_free)

typedef struct
{
  guint percent;
  guint64 bytes_done;
  guint64 bytes_total;      /* 0 unknown */
  guint64 bytes_per_second;
  gint64 seconds_left;      /* -1 unknown */
  char *phase;
} UpdraftProgress;

void updraft_progress_clear (UpdraftProgress *progress);

typedef struct
{
  UpdraftOperation operation;
  gboolean success;
  char *error_name;
  char *message;
  guint64 time;
  guint32 caller_uid;
  char *from_commit;
  char *to_commit;
  char *from_version;
  char *to_version;
} UpdraftHistoryEntry;

UpdraftHistoryEntry *updraft_history_entry_new (void);
UpdraftHistoryEntry *updraft_history_entry_copy (const UpdraftHistoryEntry *entry);
void updraft_history_entry_free (UpdraftHistoryEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftHistoryEntry, updraft_history_entry_free)

#define UPDRAFT_HISTORY_MAX 32

G_END_DECLS
