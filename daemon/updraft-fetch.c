/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* updraft-fetch: the one place updraftd talks to update servers.
 *
 * libostree 2022.7's curl fetcher does not notice cancellation while a
 * transfer is stalled, so a pull against a server that stops sending never
 * returns. updraftd therefore runs every fetch in this separate process,
 * which it can kill at any moment: on Cancel, on a stall, on a timeout, or
 * when more data arrives than the signed metadata allows. Killing it is
 * safe: libostree writes objects atomically and keeps what it staged for the
 * next attempt. It also keeps the code that parses what a server sends out
 * of the daemon's address space.
 *
 * Usage (by updraftd only):
 *   updraft-fetch pull REPO REMOTE MAXFILE OPTIONS    OPTIONS: a{sv} in GVariant text
 *   updraft-fetch summary REPO REMOTE MAXFILE OUTDIR  writes OUTDIR/summary(.sig)
 * MAXFILE (bytes, 0 for none) caps every file the helper writes
 * (RLIMIT_FSIZE): a server streaming garbage forever into one object gets
 * the helper killed by SIGXFSZ before it fills the disk, whatever progress
 * libostree reports.
 *
 * Protocol on stdout, one line each:
 *   P <bytes> <fetched> <requested> <delta-parts-fetched> <delta-parts-total> <delta-size>
 *   E <GIOErrorEnum code, -1 for other domains> <message>
 * Exit status 0 on success. The process dies with its parent. */
#include "config.h"

#include <ostree.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <signal.h>
#include <unistd.h>

static guint
get_uint (OstreeAsyncProgress *p, const char *key)
{
  g_autoptr (GVariant) v = ostree_async_progress_get_variant (p, key);
  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32) ? g_variant_get_uint32 (v) : 0;
}

static guint64
get_uint64 (OstreeAsyncProgress *p, const char *key)
{
  g_autoptr (GVariant) v = ostree_async_progress_get_variant (p, key);
  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_UINT64) ? g_variant_get_uint64 (v) : 0;
}

static void
report_progress (OstreeAsyncProgress *p, gpointer user_data)
{
  /* fetched-delta-part-size does not grow while parts download; the bytes
   * transferred and the part counts do. */
  printf ("P %" G_GUINT64_FORMAT " %u %u %u %u %" G_GUINT64_FORMAT "\n",
          get_uint64 (p, "bytes-transferred"), get_uint (p, "fetched"), get_uint (p, "requested"),
          get_uint (p, "fetched-delta-parts"), get_uint (p, "total-delta-parts"),
          get_uint64 (p, "total-delta-part-size"));
  fflush (stdout);
}

static int
fail (const GError *error)
{
  g_autofree char *message = g_strdup (error->message);

  /* One line: the daemon reads line by line. */
  g_strdelimit (message, "\n\r", ' ');
  printf ("E %d %s\n", error->domain == G_IO_ERROR ? error->code : -1, message);
  fflush (stdout);
  return EXIT_FAILURE;
}

static OstreeRepo *
open_repo (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (OstreeRepo) repo = ostree_repo_new (file);

  if (!ostree_repo_open (repo, NULL, error))
    return NULL;
  return g_steal_pointer (&repo);
}

static int
do_pull (const char *repo_path, const char *remote, const char *options_text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OstreeRepo) repo = open_repo (repo_path, &error);
  g_autoptr (GVariant) options = NULL;
  g_autoptr (OstreeAsyncProgress) progress = NULL;
  gboolean ok;

  if (repo == NULL)
    return fail (error);
  options = g_variant_parse (G_VARIANT_TYPE_VARDICT, options_text, NULL, NULL, &error);
  if (options == NULL)
    return fail (error);
  progress = ostree_async_progress_new_and_connect (report_progress, NULL);
  ok = ostree_repo_pull_with_options (repo, remote, options, progress, NULL, &error);
  ostree_async_progress_finish (progress);
  if (!ok)
    return fail (error);
  return EXIT_SUCCESS;
}

static gboolean
write_bytes (const char *dir, const char *name, GBytes *bytes, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  return g_file_set_contents (path, data, (gssize) len, error);
}

static int
do_summary (const char *repo_path, const char *remote, const char *outdir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OstreeRepo) repo = open_repo (repo_path, &error);
  g_autoptr (GVariant) options = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
  g_autoptr (GBytes) summary = NULL;
  g_autoptr (GBytes) signature = NULL;

  if (repo == NULL)
    return fail (error);
  if (!ostree_repo_remote_fetch_summary_with_options (repo, remote, options, &summary, &signature,
                                                      NULL, &error))
    return fail (error);
  /* No summary on the server: no files, success. */
  if (summary != NULL && !write_bytes (outdir, "summary", summary, &error))
    return fail (error);
  if (signature != NULL && !write_bytes (outdir, "summary.sig", signature, &error))
    return fail (error);
  return EXIT_SUCCESS;
}

int
main (int argc, char **argv)
{
  /* Never outlive updraftd: a fetch nobody waits for must not keep writing. */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () == 1)
    return EXIT_FAILURE;

  if (argc == 6)
    {
      guint64 max_file = 0;

      if (!g_ascii_string_to_unsigned (argv[4], 10, 0, G_MAXUINT64, &max_file, NULL))
        return 2;
      if (max_file > 0)
        {
          struct rlimit limit = { max_file, max_file };
          if (setrlimit (RLIMIT_FSIZE, &limit) < 0)
            return EXIT_FAILURE;
        }
      if (g_str_equal (argv[1], "pull"))
        return do_pull (argv[2], argv[3], argv[5]);
      if (g_str_equal (argv[1], "summary"))
        return do_summary (argv[2], argv[3], argv[5]);
    }
  fprintf (stderr, "updraft-fetch: internal helper of updraftd, not for direct use\n");
  return 2;
}
