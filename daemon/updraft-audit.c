/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Journal records. Fields are prefixed UPDRAFT_ and only carry identifiers,
 * versions and results: no key material, no URLs with credentials. */
#include "config.h"

#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

#include "updraft-audit.h"

#define MAX_FIELDS 20

static void
add_field (GPtrArray *fields, const char *key, const char *value)
{
  if (value == NULL || value[0] == '\0')
    return;
  g_ptr_array_add (fields, g_strdup_printf ("%s=%s", key, value));
}

void
updraft_audit (const UpdraftAuditRecord *r, const char *format, ...)
{
  g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *message = NULL;
  struct iovec iov[MAX_FIELDS];
  va_list args;
  int priority = r->priority != 0 ? r->priority : LOG_INFO;
  int ret;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  add_field (fields, "MESSAGE", message);
  add_field (fields, "MESSAGE_ID", r->message_id);
  g_ptr_array_add (fields, g_strdup_printf ("PRIORITY=%d", priority));
  add_field (fields, "SYSLOG_IDENTIFIER", "updraftd");
  add_field (fields, "UPDRAFT_OPERATION", updraft_operation_to_string (r->operation));
  add_field (fields, "UPDRAFT_RESULT", r->result);
  add_field (fields, "UPDRAFT_ERROR", r->error_name);
  add_field (fields, "UPDRAFT_FROM_COMMIT", r->from_commit);
  add_field (fields, "UPDRAFT_FROM_VERSION", r->from_version);
  add_field (fields, "UPDRAFT_TO_COMMIT", r->to_commit);
  add_field (fields, "UPDRAFT_TO_VERSION", r->to_version);
  add_field (fields, "UPDRAFT_ACTION", r->action);
  if (r->caller != NULL)
    {
      g_ptr_array_add (fields, g_strdup_printf ("UPDRAFT_CALLER_UID=%u", r->caller->uid));
      if (r->caller->pid != 0)
        g_ptr_array_add (fields, g_strdup_printf ("UPDRAFT_CALLER_PID=%u", r->caller->pid));
      add_field (fields, "UPDRAFT_CALLER_BUS_NAME", r->caller->bus_name);
    }

  g_assert (fields->len <= MAX_FIELDS);
  for (guint i = 0; i < fields->len; i++)
    {
      iov[i].iov_base = fields->pdata[i];
      iov[i].iov_len = strlen (fields->pdata[i]);
    }
  ret = sd_journal_sendv (iov, (int) fields->len);
  /* Without a journal (a container, a test run by hand) keep the record on
   * stderr rather than lose it. */
  if (ret < 0)
    g_printerr ("updraftd[audit] %s\n", message);
}
