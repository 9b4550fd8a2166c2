/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers for the untrusted metadata an update server hands out: the
 * summary, commit metadata keys Updraft reads (ref binding, device class,
 * expiry). Pure functions over
 * GVariants, so each can be fuzzed alone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Signed metadata keys Updraft defines (in the summary's or a commit's a{sv}). */
#define UPDRAFT_META_EXPIRES    "updraft.expires"    /* s: ISO 8601 UTC time */
#define UPDRAFT_META_COMPATIBLE "updraft.compatible" /* s or as: device classes */
/* OSTree's own keys. */
#define UPDRAFT_META_REF_BINDING "ostree.ref-binding" /* as */
#define UPDRAFT_META_VERSION     "version"            /* s */

/* Parses summary file bytes: checks the type is OSTree's summary format and
 * the data is in normal form, so later lookups cannot trip on it. */
GVariant *updraft_summary_parse (GBytes *bytes, GError **error);

/* Looks @ref up in a parsed summary. @out_timestamp and @out_version come
 * from the per-ref metadata when present (0 and NULL otherwise). Fails with
 * UPDRAFT_ERROR_WRONG_TARGET when the server does not carry @ref. */
gboolean updraft_summary_lookup_ref (GVariant *summary, const char *ref, char **out_checksum,
                                     guint64 *out_timestamp, char **out_version, GError **error);

/* The summary's additional metadata (a{sv}), a new reference. */
GVariant *updraft_summary_get_metadata (GVariant *summary);

/* Reads UPDRAFT_META_EXPIRES from an a{sv}: *@out_expires is seconds since
 * the epoch, or 0 when the key is absent. A value of the wrong type or an
 * unparsable time fails with UPDRAFT_ERROR_METADATA_INVALID. */
gboolean updraft_metadata_get_expiry (GVariant *metadata, gint64 *out_expires, GError **error);

/* Checks that a commit's metadata (a{sv}) binds it to @ref and, when
 * @compatible is set, to this device class. A commit without ref binding is
 * accepted (upstream OSTree does not require one); one bound to other refs
 * is not. Failures are UPDRAFT_ERROR_WRONG_TARGET, or
 * UPDRAFT_ERROR_METADATA_INVALID for keys of the wrong type. */
gboolean updraft_metadata_check_target (GVariant *commit_metadata, const char *ref,
                                        const char *compatible, const char *what, GError **error);

G_END_DECLS
