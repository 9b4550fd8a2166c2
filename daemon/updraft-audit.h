/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail: one structured journal record per event, with a stable
 * MESSAGE_ID per kind so operators can query them
 * (journalctl MESSAGE_ID=...) and ship them to a fleet log. The IDs are part
 * of the documented interface (updraftd(8), AUDIT); never change them. */
#pragma once

#include <glib.h>

#include "updraft-types.h"

G_BEGIN_DECLS

#define UPDRAFT_MSGID_DAEMON_STARTED      "3723c33186e64f80aa6140900870a3b8"
#define UPDRAFT_MSGID_OPERATION_STARTED   "d565df446ea04099a672692cce24bd54"
#define UPDRAFT_MSGID_OPERATION_SUCCEEDED "aa047de06bdb4693953817812fe700cb"
#define UPDRAFT_MSGID_OPERATION_FAILED    "4d0d2c0b2aa049119e2c96ba7d84527d"
#define UPDRAFT_MSGID_OPERATION_CANCELLED "ef9e6745a8a440c491c7fb4c3129dabe"
#define UPDRAFT_MSGID_REQUEST_DENIED      "18c50bed4fa2488490f0e54e1330b4f5"
#define UPDRAFT_MSGID_DEPLOYMENT_CHANGED  "44e3e1c7b87842e59f7eeabfdae3c167"
#define UPDRAFT_MSGID_SECURITY_WARNING    "e039e0267dae409b8016b4f1f6c077ed"

typedef struct
{
  const char *message_id;
  int priority;                 /* syslog priority, LOG_INFO if 0 */
  UpdraftOperation operation;
  const UpdraftCaller *caller;  /* may be NULL */
  const char *result;           /* started, success, failure, cancelled, denied */
  const char *error_name;
  const char *from_commit;
  const char *from_version;
  const char *to_commit;
  const char *to_version;
  const char *action;           /* polkit action id */
} UpdraftAuditRecord;

void updraft_audit (const UpdraftAuditRecord *record, const char *format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
