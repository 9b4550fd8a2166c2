/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* updraft-publish internals shared between its source files, one section per
 * file. updraft-publish.c parses the command line; every other file does one
 * step of publishing and knows nothing of options. */
#pragma once

#include <ostree.h>

#include "updraft-sign.h"

G_BEGIN_DECLS

/* Exit statuses, documented in updraft-publish(1). */
enum
{
  UPDRAFT_PUBLISH_EXIT_OK = 0,
  UPDRAFT_PUBLISH_EXIT_FAILED = 1,
  UPDRAFT_PUBLISH_EXIT_USAGE = 2,
};

/* ---- updraft-publish.c: messages ---------------------------------------- */

/* Progress and information, on stderr: stdout carries only results. */
void updraft_publish_info (const char *format, ...) G_GNUC_PRINTF (1, 2);
void updraft_publish_warning (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* ---- updraft-publish-keys.c: keys and signatures ------------------------- */

/* Writes @prefix.secret (0600) and @prefix.pub; refuses existing files unless
 * @force. Returns the key id. */
char *updraft_publish_keygen (const char *prefix, gboolean force, GError **error);

/* Loads each secret key file (NULL-terminated @paths); the same key named
 * twice is kept once. An array of UpdraftSecretKey. */
GPtrArray *updraft_publish_load_secret_keys (const char *const *paths, GError **error);

/* Returns @metadata (a{sv} or NULL) with a signature over @data by each of
 * @keys added (updraft_metadata_add_signature: other keys kept, no duplicates).
 * Fails when the result would hold more signatures than a device accepts. */
GVariant *updraft_publish_sign_data (GPtrArray *keys, GBytes *data, GVariant *metadata,
                                     const char *what, GError **error);

/* "key id1" or "keys id1, id2", for messages. */
char *updraft_publish_describe_keys (GPtrArray *keys);

/* ---- updraft-publish-repo.c: the repository ------------------------------ */

/* Opens @path. With @require_archive, refuses other modes; @command names the
 * command in the message. */
OstreeRepo *updraft_publish_repo_open (const char *path, gboolean require_archive,
                                       const char *command, GError **error);

/* Takes libostree's exclusive repository lock: one publisher at a time, and no
 * `ostree prune` between writing a commit and pointing a ref at it. */
OstreeRepoAutoLock *updraft_publish_repo_lock (OstreeRepo *repo, GError **error);

/* Resolves a ref or checksum to the checksum of a commit present in @repo.
 * With @out_is_ref, says whether @rev was a ref rather than a checksum. */
char *updraft_publish_resolve_commit (OstreeRepo *repo, const char *rev, gboolean *out_is_ref,
                                      GError **error);

/* Fails when @checksum's commit is partial (only some of its objects here). */
gboolean updraft_publish_require_complete (OstreeRepo *repo, const char *checksum, GError **error);

/* The raw bytes of the commit object file, checked to hash to @checksum: the
 * exact bytes devices verify signatures over. */
GBytes *updraft_publish_read_commit_bytes (OstreeRepo *repo, const char *checksum, GError **error);

/* Adds a signature by each key to @checksum's detached metadata; writes only
 * when something changed (*@out_changed). */
gboolean updraft_publish_sign_commit (OstreeRepo *repo, const char *checksum, GPtrArray *keys,
                                      gboolean *out_changed, GError **error);

/* A file at the top of the repository (summary, summary.sig) as a copy, so
 * that what is signed cannot change under us; *@out is NULL when there is
 * none. */
gboolean updraft_publish_read_repo_file (OstreeRepo *repo, const char *name, GBytes **out,
                                         GError **error);

/* Replaces @path atomically (temporary file and rename) with @data. */
gboolean updraft_publish_write_file (const char *path, GBytes *data, int mode, GError **error);

/* ---- updraft-publish-summary.c: the summary and its expiry --------------- */

/* Expiry used when --expires-in is not given. */
#define UPDRAFT_PUBLISH_DEFAULT_EXPIRES_IN "30d"
/* --expires-in never. */
#define UPDRAFT_PUBLISH_NEVER_EXPIRES ((gint64) -1)

/* "90s", "15m", "12h", "30d", "2w" or "never" (UPDRAFT_PUBLISH_NEVER_EXPIRES).
 * Fails with UPDRAFT_ERROR_INVALID_ARGS. */
gboolean updraft_publish_parse_duration (const char *text, gint64 *out_seconds, GError **error);

/* An ISO 8601 time; one without a zone is UTC. Fails with
 * UPDRAFT_ERROR_INVALID_ARGS. */
gboolean updraft_publish_parse_time (const char *text, guint64 *out_unix, GError **error);

/* "2026-01-01T00:00:00Z". */
char *updraft_publish_format_time (gint64 unix_time);

/* Regenerates the summary (all refs and static deltas) with updraft.expires
 * set to now + @expires_in seconds (none for UPDRAFT_PUBLISH_NEVER_EXPIRES),
 * then signs it with @keys. */
gboolean updraft_publish_update_summary (OstreeRepo *repo, GPtrArray *keys, gint64 expires_in,
                                         GError **error);

/* Signs the summary as it is and replaces summary.sig. */
gboolean updraft_publish_sign_summary (OstreeRepo *repo, GPtrArray *keys, GError **error);

/* ---- updraft-publish-commit.c: writing commits ---------------------------- */

typedef struct
{
  const char *ref;
  const char *tree;        /* commit this directory, or */
  const char *from_commit; /* a checksum: rewrite this commit's root */
  const char *parent;      /* NULL for the ref's first commit */
  const char *version;     /* NULL: none (--tree) or the old one (--commit) */
  const char *subject;     /* NULL: none (--tree) or the old one (--commit) */
  const char *body;
  const char *const *compatible; /* NULL or empty: none, or the old ones */
  guint64 timestamp;
} UpdraftPublishCommit;

/* Refuses a --tree that is not a directory or that libostree would not
 * deploy (no usr/ or var/, both etc/ and usr/etc/); warns about other
 * trouble (no kernel, not owned by root). */
gboolean updraft_publish_check_tree (const char *tree, GError **error);

/* Writes the new commit in a transaction of its own and returns its checksum.
 * Refs are not touched. */
char *updraft_publish_write_commit (OstreeRepo *repo, const UpdraftPublishCommit *spec,
                                    GError **error);

/* The ostree.sizes entries (OstreeCommitSizesEntry, sorted by checksum) for
 * every dirtree, dirmeta and file object of @checksum, measured in @repo. */
GPtrArray *updraft_publish_compute_sizes (OstreeRepo *repo, const char *checksum, GError **error);

/* @entries in ostree.sizes form (aay: checksum, varint archived size, varint
 * unpacked size, object type). */
GVariant *updraft_publish_encode_sizes (GPtrArray *entries);

/* Fails unless ostree_commit_get_object_sizes() reads @entries back from
 * @checksum's metadata. */
gboolean updraft_publish_check_sizes (OstreeRepo *repo, const char *checksum, GPtrArray *entries,
                                      GError **error);

/* ---- updraft-publish-release.c: the release sequence --------------------- */

typedef struct
{
  const char *ref;
  const char *tree;
  const char *commit;
  const char *version;
  const char *subject;
  const char *body;
  const char *const *compatible;
  const char *const *delta_from;
  gboolean have_timestamp;
  guint64 timestamp;
  gint64 expires_in;
  gboolean no_delta;
} UpdraftPublishRelease;

/* Commit, sign, static delta, ref, summary, summary signature. Returns the
 * new commit's checksum. */
char *updraft_publish_release (OstreeRepo *repo, GPtrArray *keys,
                               const UpdraftPublishRelease *release, GError **error);

/* ---- updraft-publish-verify.c: checking what was published --------------- */

/* Verifies @rev's commit signature and the summary's (if there is one) with
 * the public keys in @trusted (files or directories) minus @revoked, as a
 * device would, and prints the signers on stdout. */
gboolean updraft_publish_verify (OstreeRepo *repo, const char *rev, const char *const *trusted,
                                 const char *const *revoked, GError **error);

G_END_DECLS
