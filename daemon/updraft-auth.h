/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one polkit helper: every mutating method asks it, with an action id
 * and a continuation. uid 0 is allowed without asking polkit. */
#pragma once

#include <gio/gio.h>

#include "updraft-types.h"

G_BEGIN_DECLS

typedef struct _UpdraftAuth UpdraftAuth;

UpdraftAuth *updraft_auth_new (void);
void updraft_auth_free (UpdraftAuth *auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftAuth, updraft_auth_free)

/* Called when the caller is authorized, with who the caller is (owned by the
 * callee). On refusal the helper replies to @invocation with NotAuthorized,
 * writes an audit record and does not call @callback. */
typedef void (*UpdraftAuthCallback) (GDBusMethodInvocation *invocation, UpdraftCaller *caller,
                                     gpointer user_data);

/* Asks polkit whether the sender of @invocation may perform @action_id.
 * Interactive authentication is allowed only when the caller set the
 * ALLOW_INTERACTIVE_AUTHORIZATION flag on the message. @destroy frees
 * @user_data afterwards, called or not. */
void updraft_auth_check (UpdraftAuth *auth, GDBusMethodInvocation *invocation,
                         UpdraftOperation operation, const char *action_id,
                         UpdraftAuthCallback callback, gpointer user_data, GDestroyNotify destroy);

/* How many checks are waiting for polkit (the daemon does not exit then). */
guint updraft_auth_get_pending (UpdraftAuth *auth);

G_END_DECLS
