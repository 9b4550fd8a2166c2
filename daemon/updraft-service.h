/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The D-Bus face of the engine: org.updraft.Updater1 at
 * /org/updraft/Updater1. Validates options, refuses illegal calls before
 * asking polkit, asks polkit, then hands the request to the engine; mirrors
 * the engine's state into properties and its completions into Finished. */
#pragma once

#include <gio/gio.h>

#include "updraft-engine.h"

G_BEGIN_DECLS

#define UPDRAFT_DBUS_NAME "org.updraft.Updater1"
#define UPDRAFT_DBUS_PATH "/org/updraft/Updater1"

typedef struct _UpdraftService UpdraftService;

UpdraftService *updraft_service_new (UpdraftEngine *engine);
void updraft_service_free (UpdraftService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftService, updraft_service_free)

gboolean updraft_service_export (UpdraftService *service, GDBusConnection *connection,
                                 GError **error);
void updraft_service_unexport (UpdraftService *service);

/* TRUE when no call is waiting for authorization. */
gboolean updraft_service_is_idle (UpdraftService *service);

/* The polkit action a request needs. */
const char *updraft_service_action_for (const UpdraftRequest *request);

G_END_DECLS
