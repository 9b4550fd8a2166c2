/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running fetches under Updraft's limits. Each fetch runs in the
 * updraft-fetch helper process (see updraft-fetch.c for why), which a
 * watchdog kills on Cancel, a stall, a timeout or too much data; errors are
 * turned into Updraft's. Worker threads only. */
#pragma once

#include <ostree.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 bytes_done;
  guint64 bytes_total;      /* best estimate; 0 unknown */
  guint objects_fetched;
  guint objects_requested;
  guint delta_parts_fetched;
  guint delta_parts_total;
} UpdraftPullStatus;

/* Called in the calling thread, at most every ~200 ms and once at the end. */
typedef void (*UpdraftPullProgressFunc) (const UpdraftPullStatus *status, gpointer user_data);

typedef struct
{
  guint64 expected_bytes;    /* what signed metadata says will be fetched; 0 unknown */
  guint64 max_bytes;         /* abort with TooLarge beyond this; 0 no limit */
  guint timeout_sec;         /* abort with Timeout after this long; 0 none */
  guint stall_timeout_sec;   /* abort with Timeout when under 1 KiB moves in this window */
  guint64 max_metadata_size; /* passed to libostree for metadata objects */
  guint64 max_file_size;     /* no single file written may be larger; 0 no limit */
} UpdraftPullLimits;

/* Pulls with @options (an a{sv} of ostree_repo_pull_with_options options;
 * Updraft adds max-metadata-size and update-frequency). Fails with
 * UPDRAFT_ERROR_CANCELLED, _TIMEOUT, _TOO_LARGE, _NETWORK or _METADATA_INVALID. */
gboolean updraft_pull (OstreeRepo *repo, const char *remote, GVariant *options,
                       const UpdraftPullLimits *limits, UpdraftPullProgressFunc progress,
                       gpointer user_data, GCancellable *cancellable, GError **error);

/* Maps an error from libostree's fetcher to Updraft's domain, naming @what. */
void updraft_pull_error_normalize (GError **error, const char *remote, const char *what);

/* Fetches the remote's summary and summary.sig (either may come back NULL
 * when the server has none), each at most @max_size bytes, within
 * @timeout_sec (0: none). */
gboolean updraft_fetch_summary (OstreeRepo *repo, const char *remote, guint timeout_sec,
                                guint64 max_size, GCancellable *cancellable, GBytes **out_summary,
                                GBytes **out_signature, GError **error);

G_END_DECLS
