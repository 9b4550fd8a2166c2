/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The publisher's repository: opening and locking it, finding commits, the
 * raw commit bytes a signature covers, and signing commits in place. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "updraft-error.h"
#include "updraft-publish.h"

/* Far above any real summary or commit object (devices refuse much smaller
 * ones), and small enough to copy into memory without a second thought. */
#define REPO_FILE_MAX_SIZE (256 * 1024 * 1024)

static const char *
repo_mode_name (OstreeRepoMode mode)
{
  switch (mode)
    {
    case OSTREE_REPO_MODE_BARE:
      return "bare";
    case OSTREE_REPO_MODE_ARCHIVE:
      return "archive";
    case OSTREE_REPO_MODE_BARE_USER:
      return "bare-user";
    case OSTREE_REPO_MODE_BARE_USER_ONLY:
      return "bare-user-only";
    case OSTREE_REPO_MODE_BARE_SPLIT_XATTRS:
      return "bare-split-xattrs";
    }
  return "unknown";
}

OstreeRepo *
updraft_publish_repo_open (const char *path, gboolean require_archive, const char *command,
                           GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (OstreeRepo) repo = ostree_repo_new (file);
  OstreeRepoMode mode;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s: no such directory (create the repository with "
                   "`ostree --repo=%s init --mode=archive`)",
                   path, path);
      return NULL;
    }
  if (!ostree_repo_open (repo, NULL, error))
    {
      g_prefix_error (error, "opening repository %s: ", path);
      return NULL;
    }
  mode = ostree_repo_get_mode (repo);
  if (require_archive && mode != OSTREE_REPO_MODE_ARCHIVE)
    {
      /* Devices pull over HTTP, and libostree only pulls archive repositories
       * over HTTP: anything else would be published and then unusable. */
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "%s is a %s repository; `%s` publishes for devices that pull over HTTP, "
                   "which needs an archive repository (ostree init --mode=archive)",
                   path, repo_mode_name (mode), command);
      return NULL;
    }
  return g_steal_pointer (&repo);
}

OstreeRepoAutoLock *
updraft_publish_repo_lock (OstreeRepo *repo, GError **error)
{
  OstreeRepoAutoLock *lock
      = ostree_repo_auto_lock_push (repo, OSTREE_REPO_LOCK_EXCLUSIVE, NULL, error);

  if (lock == NULL)
    g_prefix_error (error, "locking the repository: ");
  return lock;
}

/* A ref (or remote:ref) by name, not a checksum or an expression such as
 * "ref^" whose result no binding names. */
static gboolean
is_plain_ref (const char *rev)
{
  return !ostree_validate_checksum_string (rev, NULL)
         && ostree_parse_refspec (rev, NULL, NULL, NULL);
}

char *
updraft_publish_resolve_commit (OstreeRepo *repo, const char *rev, gboolean *out_is_ref,
                                GError **error)
{
  g_autofree char *checksum = NULL;
  g_autoptr (GError) local_error = NULL;
  gboolean found = FALSE;

  if (out_is_ref != NULL)
    *out_is_ref = is_plain_ref (rev);
  if (!ostree_repo_resolve_rev (repo, rev, TRUE, &checksum, &local_error))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "%s: %s", rev, local_error->message);
      return NULL;
    }
  if (checksum == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "%s is neither a ref nor a commit checksum in the repository", rev);
      return NULL;
    }
  /* resolve_rev() passes any well-formed checksum through; the commit must
   * actually be here. */
  if (!ostree_repo_has_object (repo, OSTREE_OBJECT_TYPE_COMMIT, checksum, &found, NULL, error))
    return NULL;
  if (!found)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED, "commit %s is not in the repository",
                   checksum);
      return NULL;
    }
  return g_steal_pointer (&checksum);
}

gboolean
updraft_publish_require_complete (OstreeRepo *repo, const char *checksum, GError **error)
{
  g_autoptr (GVariant) commit = NULL;
  OstreeRepoCommitState state = 0;

  if (!ostree_repo_load_commit (repo, checksum, &commit, &state, error))
    return FALSE;
  if ((state & OSTREE_REPO_COMMIT_STATE_PARTIAL) != 0)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "commit %s is partial (only some of its objects are in the repository)",
                   checksum);
      return FALSE;
    }
  return TRUE;
}

/* Reads the object file itself rather than reloading the commit: what is
 * signed must be the bytes a device downloads, and the hash check below
 * proves these are they. */
GBytes *
updraft_publish_read_commit_bytes (OstreeRepo *repo, const char *checksum, GError **error)
{
  g_autofree char *relpath = g_strdup_printf ("objects/%.2s/%s.commit", checksum, checksum + 2);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *actual = NULL;

  if (!updraft_publish_read_repo_file (repo, relpath, &bytes, error))
    return NULL;
  if (bytes == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "commit %s is not in the repository (no %s)", checksum, relpath);
      return NULL;
    }
  actual = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  if (!g_str_equal (actual, checksum))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "%s is corrupt: its content hashes to %s; refusing to sign or verify it",
                   relpath, actual);
      return NULL;
    }
  return g_steal_pointer (&bytes);
}

/* A delta's superblock carries the detached metadata of its target as it was
 * when the delta was made, and a client that pulls the delta without the
 * commit object takes the signatures from there. */
static void
warn_about_stale_deltas (OstreeRepo *repo, const char *checksum)
{
  g_autoptr (GPtrArray) deltas = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *suffix = g_strconcat ("-", checksum, NULL);
  guint n = 0;

  if (!ostree_repo_list_static_delta_names (repo, &deltas, NULL, &local_error))
    return;
  for (guint i = 0; i < deltas->len; i++)
    {
      const char *name = deltas->pdata[i];
      if (g_str_has_suffix (name, suffix) || g_str_equal (name, checksum))
        n++;
    }
  if (n > 0)
    updraft_publish_warning ("%u static delta(s) to %s still carry the previous signatures; "
                             "clients that pull through a delta without fetching the commit "
                             "object first get those",
                             n, checksum);
}

gboolean
updraft_publish_sign_commit (OstreeRepo *repo, const char *checksum, GPtrArray *keys,
                             gboolean *out_changed, GError **error)
{
  g_autofree char *what = g_strdup_printf ("commit %s", checksum);
  g_autoptr (GBytes) commit_bytes = NULL;
  g_autoptr (GVariant) detached = NULL;
  g_autoptr (GVariant) signed_meta = NULL;

  *out_changed = FALSE;
  commit_bytes = updraft_publish_read_commit_bytes (repo, checksum, error);
  if (commit_bytes == NULL)
    return FALSE;
  if (!ostree_repo_read_commit_detached_metadata (repo, checksum, &detached, NULL, error))
    {
      g_prefix_error (error, "reading the detached metadata of %s: ", what);
      return FALSE;
    }
  signed_meta = updraft_publish_sign_data (keys, commit_bytes, detached, what, error);
  if (signed_meta == NULL)
    return FALSE;
  /* Ed25519 is deterministic, so signing twice gives the same bytes and
   * add_signature() keeps one: an unchanged result means nothing to write. */
  if (detached != NULL && g_variant_equal (detached, signed_meta))
    return TRUE;
  if (!ostree_repo_write_commit_detached_metadata (repo, checksum, signed_meta, NULL, error))
    {
      g_prefix_error (error, "writing the detached metadata of %s: ", what);
      return FALSE;
    }
  *out_changed = TRUE;
  warn_about_stale_deltas (repo, checksum);
  return TRUE;
}

gboolean
updraft_publish_read_repo_file (OstreeRepo *repo, const char *name, GBytes **out, GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  struct stat st;
  int fd;

  *out = NULL;
  fd = openat (ostree_repo_get_dfd (repo), name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT)
    return TRUE;
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "opening %s: %s", name,
                   g_strerror (errsv));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > REPO_FILE_MAX_SIZE)
    {
      close (fd);
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                   "%s is not a regular file of a plausible size", name);
      return FALSE;
    }
  /* Empty files cannot be mapped. */
  if (st.st_size == 0)
    {
      close (fd);
      *out = g_bytes_new (NULL, 0);
      return TRUE;
    }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, error);
  close (fd);
  if (mapped == NULL)
    {
      g_prefix_error (error, "reading %s: ", name);
      return FALSE;
    }
  /* A copy: what is signed must not change under us if the file does. */
  *out = g_bytes_new (g_mapped_file_get_contents (mapped), g_mapped_file_get_length (mapped));
  return TRUE;
}

gboolean
updraft_publish_write_file (const char *path, GBytes *data, int mode, GError **error)
{
  gsize len = 0;
  const char *buf = g_bytes_get_data (data, &len);

  if (!g_file_set_contents_full (path, buf != NULL ? buf : "", (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, mode, error))
    {
      g_prefix_error (error, "writing %s: ", path);
      return FALSE;
    }
  return TRUE;
}
