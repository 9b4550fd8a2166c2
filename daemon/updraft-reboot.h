/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Asking logind to reboot after Apply or Rollback with "reboot": true. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void updraft_reboot_async (GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
gboolean updraft_reboot_finish (GAsyncResult *result, GError **error);

G_END_DECLS
