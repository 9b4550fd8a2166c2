/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Constructors, copies and destructors for the plain data in updraft-types.h. */
#include "config.h"

#include <string.h>

#include "updraft-types.h"

static const char *const operation_names[] = {
  [UPDRAFT_OPERATION_NONE] = "",
  [UPDRAFT_OPERATION_CHECK] = "check",
  [UPDRAFT_OPERATION_DOWNLOAD] = "download",
  [UPDRAFT_OPERATION_APPLY] = "apply",
  [UPDRAFT_OPERATION_UPDATE] = "update",
  [UPDRAFT_OPERATION_CANCEL] = "cancel",
  [UPDRAFT_OPERATION_ROLLBACK] = "rollback",
};

G_STATIC_ASSERT (G_N_ELEMENTS (operation_names) == UPDRAFT_OPERATION_ROLLBACK + 1);

const char *
updraft_operation_to_string (UpdraftOperation op)
{
  if ((gsize) op >= G_N_ELEMENTS (operation_names))
    return "";
  return operation_names[op];
}

UpdraftOperation
updraft_operation_from_string (const char *name)
{
  for (gsize i = 1; name != NULL && i < G_N_ELEMENTS (operation_names); i++)
    if (g_str_equal (operation_names[i], name))
      return (UpdraftOperation) i;
  return UPDRAFT_OPERATION_NONE;
}

UpdraftCaller *
updraft_caller_new (guint32 uid, guint32 pid, const char *bus_name)
{
  UpdraftCaller *caller = g_new0 (UpdraftCaller, 1);

  caller->uid = uid;
  caller->pid = pid;
  caller->bus_name = g_strdup (bus_name);
  return caller;
}

UpdraftCaller *
updraft_caller_copy (const UpdraftCaller *caller)
{
  if (caller == NULL)
    return NULL;
  return updraft_caller_new (caller->uid, caller->pid, caller->bus_name);
}

void
updraft_caller_free (UpdraftCaller *caller)
{
  if (caller == NULL)
    return;
  g_free (caller->bus_name);
  g_free (caller);
}

UpdraftRequest *
updraft_request_new (UpdraftOperation operation)
{
  UpdraftRequest *request = g_new0 (UpdraftRequest, 1);

  request->operation = operation;
  return request;
}

void
updraft_request_free (UpdraftRequest *request)
{
  if (request == NULL)
    return;
  updraft_caller_free (request->caller);
  g_free (request->commit);
  g_free (request);
}

UpdraftUpdateInfo *
updraft_update_info_new (void)
{
  UpdraftUpdateInfo *info = g_new0 (UpdraftUpdateInfo, 1);

  info->download_size = -1;
  return info;
}

UpdraftUpdateInfo *
updraft_update_info_copy (const UpdraftUpdateInfo *info)
{
  UpdraftUpdateInfo *copy;

  if (info == NULL)
    return NULL;
  copy = g_new0 (UpdraftUpdateInfo, 1);
  *copy = *info;
  copy->remote = g_strdup (info->remote);
  copy->ref = g_strdup (info->ref);
  copy->commit = g_strdup (info->commit);
  copy->version = g_strdup (info->version);
  copy->subject = g_strdup (info->subject);
  copy->body = g_strdup (info->body);
  copy->signed_by = g_strdup (info->signed_by);
  return copy;
}

void
updraft_update_info_free (UpdraftUpdateInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->remote);
  g_free (info->ref);
  g_free (info->commit);
  g_free (info->version);
  g_free (info->subject);
  g_free (info->body);
  g_free (info->signed_by);
  g_free (info);
}

void
updraft_deployment_info_free (UpdraftDeploymentInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->osname);
  g_free (info->commit);
  g_free (info->version);
  g_free (info->origin);
  g_free (info);
}

void
updraft_sysroot_info_free (UpdraftSysrootInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->osname);
  g_clear_pointer (&info->deployments, g_ptr_array_unref);
  g_free (info->current_commit);
  g_free (info->current_version);
  g_free (info->default_commit);
  g_free (info->booted_commit);
  g_free (info->origin);
  g_free (info->remote);
  g_free (info->ref);
  g_free (info);
}

void
updraft_progress_clear (UpdraftProgress *progress)
{
  g_free (progress->phase);
  memset (progress, 0, sizeof *progress);
  progress->seconds_left = -1;
}

UpdraftHistoryEntry *
updraft_history_entry_new (void)
{
  return g_new0 (UpdraftHistoryEntry, 1);
}

UpdraftHistoryEntry *
updraft_history_entry_copy (const UpdraftHistoryEntry *entry)
{
  UpdraftHistoryEntry *copy = g_new0 (UpdraftHistoryEntry, 1);

  *copy = *entry;
  copy->error_name = g_strdup (entry->error_name);
  copy->message = g_strdup (entry->message);
  copy->from_commit = g_strdup (entry->from_commit);
  copy->to_commit = g_strdup (entry->to_commit);
  copy->from_version = g_strdup (entry->from_version);
  copy->to_version = g_strdup (entry->to_version);
  return copy;
}

void
updraft_history_entry_free (UpdraftHistoryEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->error_name);
  g_free (entry->message);
  g_free (entry->from_commit);
  g_free (entry->to_commit);
  g_free (entry->from_version);
  g_free (entry->to_version);
  g_free (entry);
}
