/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* updraft.conf: the vendor file, the admin's file and drop-ins, merged in that
 * order into one immutable UpdraftConfig. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint ref_count;

  /* [Daemon] */
  guint idle_timeout_sec;     /* exit after this long with nothing to do; 0 = never */

  /* [Network] */
  guint check_timeout_sec;    /* upper bound for fetching an update's metadata */
  guint download_timeout_sec; /* upper bound for one download; 0 = none */
  guint stall_timeout_sec;    /* abort a transfer moving under 1 KiB in this window */
  guint64 max_metadata_size;  /* summary, commit and detached metadata */
  guint64 max_download_size;  /* one update's download; 0 = only the commit's declared size */

  /* [Security] */
  gboolean require_signatures;
  gboolean require_expiry;
  char *trusted_keys_dir;
  char *revoked_keys_dir;
  char *compatible;           /* the device class a commit must be signed for; NULL = any */
} UpdraftConfig;

UpdraftConfig *updraft_config_new (void);
UpdraftConfig *updraft_config_ref (UpdraftConfig *self);
void updraft_config_unref (UpdraftConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftConfig, updraft_config_unref)

/* Merges one file's contents. Problems (syntax, unknown groups or keys,
 * values out of range) are appended to @warnings as text and never fatal:
 * the previous value, which starts as the built-in default, stays. */
void updraft_config_merge_data (UpdraftConfig *self, const char *data, gsize len,
                                const char *origin, GPtrArray *warnings);

/* Loads <vendor_dir>/updraft.conf, <sysconf_dir>/updraft.conf and
 * <sysconf_dir>/updraft.conf.d/ *.conf (sorted by name). Missing files are
 * fine; anything else in the drop-in directory is reported in @warnings. */
UpdraftConfig *updraft_config_load (const char *vendor_dir, const char *sysconf_dir,
                                    GPtrArray *warnings);

/* Parses "1024", "10K", "16M", "4G" (powers of 1024). */
gboolean updraft_config_parse_size (const char *text, guint64 *out_size);

G_END_DECLS
