/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether a commit may be offered, downloaded or deployed: signatures by
 * trusted keys (summary and commit), freshness, the right target, and no
 * downgrade. Check, Download and Apply all go through here, so "where is the
 * signature checked" has one answer. Worker threads only. */
#pragma once

#include <ostree.h>

#include "updraft-config.h"
#include "updraft-sign.h"

G_BEGIN_DECLS

/* The trusted and revoked keys: OSTree's locations under @root plus the
 * directories named in @config. Read per operation, so keys installed or
 * revoked since the last one take effect without a restart. Files that fail
 * to parse are reported in @warnings and skipped. */
UpdraftKeyring *updraft_verify_load_keyring (UpdraftConfig *config, const char *root,
                                             GPtrArray *warnings);

/* The commit object file and its detached metadata, read with @max_size as
 * the limit and checked to be well-formed. @out_detached is NULL when the
 * commit has none. */
gboolean updraft_verify_read_commit (OstreeRepo *repo, const char *checksum, guint64 max_size,
                                     GBytes **out_commit_bytes, GVariant **out_commit,
                                     GVariant **out_detached, GError **error);

/* Verifies the summary (bytes as served) against summary.sig when signatures
 * are required; returns the expiry it carries (0 for none) and the key id. */
gboolean updraft_verify_summary (UpdraftConfig *config, UpdraftKeyring *keyring, GBytes *summary,
                                 GBytes *summary_sig, gint64 now, gint64 *out_expires,
                                 char **out_signed_by, GError **error);

typedef struct
{
  const char *ref;             /* the ref this device follows */
  const char *current_commit;
  const char *current_version; /* "" when unset */
  guint64 current_timestamp;
  gboolean allow_downgrade;    /* an authorized caller asked for an older commit */
  gboolean check_expiry;       /* Check: refuse expired metadata */
  gint64 summary_expires;      /* from a verified summary; 0 when none */
  gint64 now;
} UpdraftVerifyContext;

/* Verifies @checksum, which must be in @repo (at least its commit object):
 * signature (when required), expiry (when asked), ref binding and device
 * class, and no downgrade. Returns the signing key's id (NULL when
 * signatures are not required). */
gboolean updraft_verify_commit (UpdraftConfig *config, UpdraftKeyring *keyring, OstreeRepo *repo,
                                const char *checksum, const UpdraftVerifyContext *ctx,
                                char **out_signed_by, GError **error);

/* The downgrade rule alone: older timestamp, or an older version when both
 * commits have one. */
gboolean updraft_verify_not_downgrade (const char *what, guint64 timestamp, const char *version,
                                       const UpdraftVerifyContext *ctx, GError **error);

G_END_DECLS
