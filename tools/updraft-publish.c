/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* updraft-publish: the build server's tool. This file owns the command line:
 * the commands, their options, checking what the user typed (exit status 2)
 * before anything is opened, and turning errors into exit statuses. The work
 * is done in updraft-publish-*.c. Results go to stdout, one per line;
 * progress, warnings and errors go to stderr. */
#include "config.h"

#include <locale.h>
#include <stdio.h>

#include "updraft-error.h"
#include "updraft-publish.h"

#define PROGRAM "updraft-publish"

typedef struct _Command Command;

struct _Command
{
  const char *name;
  const char *parameter; /* positional arguments, for the usage line */
  const char *summary;
  const char *description;
  gboolean (*run) (const Command *command, int argc, char **argv, GError **error);
};

/* ---- messages ------------------------------------------------------------ */

void
updraft_publish_info (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s\n", message);
}

void
updraft_publish_warning (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: warning: %s\n", PROGRAM, message);
}

static gboolean usage_error (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
usage_error (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS, message);
  return FALSE;
}

static gboolean
is_usage_error (const GError *error)
{
  return error->domain == G_OPTION_ERROR
         || g_error_matches (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS);
}

/* ---- option parsing ------------------------------------------------------ */

/* Parses @argv (argv[0] is the command name) and checks the number of
 * positional arguments; on success *@argv holds them after argv[0]. --help
 * prints the command's help and exits 0, as GOptionContext does. */
static gboolean
parse_options (const Command *command, const GOptionEntry *entries, int n_positional, int *argc,
               char ***argv, GError **error)
{
  g_autoptr (GOptionContext) context = g_option_context_new (command->parameter);

  g_option_context_set_summary (context, command->summary);
  g_option_context_set_description (context, command->description);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc - 1 > n_positional)
    return usage_error (error, "unexpected argument “%s”", (*argv)[n_positional + 1]);
  if (*argc - 1 < n_positional)
    return usage_error (error, "missing argument %s", command->parameter);
  return TRUE;
}

static gboolean
require_option (const void *value, const char *option, GError **error)
{
  if (value != NULL)
    return TRUE;
  return usage_error (error, "%s is required", option);
}

static gboolean
require_keys (char **keys, GError **error)
{
  if (keys != NULL && keys[0] != NULL)
    return TRUE;
  return usage_error (error, "--key is required (the secret key to sign with)");
}

/* ---- keygen -------------------------------------------------------------- */

static gboolean
run_keygen (const Command *command, int argc, char **argv, GError **error)
{
  g_autofree char *output = NULL;
  g_autofree char *key_id = NULL;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &output,
      "Write the key pair to PREFIX.secret and PREFIX.pub", "PREFIX" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace existing key files", NULL },
    { NULL },
  };

  if (!parse_options (command, entries, 0, &argc, &argv, error)
      || !require_option (output, "--output", error))
    return FALSE;
  if (output[0] == '\0')
    return usage_error (error, "--output must not be empty");

  key_id = updraft_publish_keygen (output, force, error);
  if (key_id == NULL)
    return FALSE;
  g_print ("%s\n", key_id);
  return TRUE;
}

/* What every signing command starts with: the keys first (a bad key file
 * fails before the repository is touched), then the repository, locked
 * against other writers. */
static gboolean
open_for_signing (const Command *command, const char *repo_path, char **key_paths,
                  gboolean require_archive, GPtrArray **out_keys, OstreeRepo **out_repo,
                  OstreeRepoAutoLock **out_lock, GError **error)
{
  g_autoptr (GPtrArray) keys = updraft_publish_load_secret_keys ((const char *const *) key_paths, error);
  g_autoptr (OstreeRepo) repo = NULL;
  g_autoptr (OstreeRepoAutoLock) lock = NULL;

  if (keys == NULL)
    return FALSE;
  repo = updraft_publish_repo_open (repo_path, require_archive, command->name, error);
  if (repo == NULL)
    return FALSE;
  lock = updraft_publish_repo_lock (repo, error);
  if (lock == NULL)
    return FALSE;
  *out_keys = g_steal_pointer (&keys);
  *out_repo = g_steal_pointer (&repo);
  *out_lock = g_steal_pointer (&lock);
  return TRUE;
}

/* ---- sign ---------------------------------------------------------------- */

static gboolean
run_sign (const Command *command, int argc, char **argv, GError **error)
{
  g_autofree char *repo_path = NULL;
  g_auto (GStrv) key_paths = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (OstreeRepo) repo = NULL;
  g_autoptr (OstreeRepoAutoLock) lock = NULL;
  g_autofree char *checksum = NULL;
  g_autofree char *signers = NULL;
  gboolean changed = FALSE;
  const GOptionEntry entries[] = {
    { "repo", 0, 0, G_OPTION_ARG_FILENAME, &repo_path, "The OSTree repository", "REPO" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &key_paths,
      "Sign with this secret key (repeat to sign with several)", "SECRET" },
    { NULL },
  };

  if (!parse_options (command, entries, 1, &argc, &argv, error)
      || !require_option (repo_path, "--repo", error) || !require_keys (key_paths, error))
    return FALSE;

  /* Any mode: signing a commit in a bare build repository before it is
   * mirrored is fine; the signature does not depend on the mode. */
  if (!open_for_signing (command, repo_path, key_paths, FALSE, &keys, &repo, &lock, error))
    return FALSE;
  checksum = updraft_publish_resolve_commit (repo, argv[1], NULL, error);
  if (checksum == NULL || !updraft_publish_sign_commit (repo, checksum, keys, &changed, error))
    return FALSE;

  signers = updraft_publish_describe_keys (keys);
  if (changed)
    updraft_publish_info ("Signed commit %s with %s", checksum, signers);
  else
    updraft_publish_info ("Commit %s is already signed by %s; nothing to do", checksum, signers);
  g_print ("%s\n", checksum);
  return TRUE;
}

/* ---- sign-summary -------------------------------------------------------- */

static gboolean
run_sign_summary (const Command *command, int argc, char **argv, GError **error)
{
  g_autofree char *repo_path = NULL;
  g_auto (GStrv) key_paths = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (OstreeRepo) repo = NULL;
  g_autoptr (OstreeRepoAutoLock) lock = NULL;
  const GOptionEntry entries[] = {
    { "repo", 0, 0, G_OPTION_ARG_FILENAME, &repo_path, "The archive repository", "REPO" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &key_paths,
      "Sign with this secret key (repeat to sign with several)", "SECRET" },
    { NULL },
  };

  if (!parse_options (command, entries, 0, &argc, &argv, error)
      || !require_option (repo_path, "--repo", error) || !require_keys (key_paths, error))
    return FALSE;

  if (!open_for_signing (command, repo_path, key_paths, TRUE, &keys, &repo, &lock, error))
    return FALSE;
  return updraft_publish_sign_summary (repo, keys, error);
}

/* ---- release ------------------------------------------------------------- */

static gboolean
check_values (char **values, const char *option, GError **error)
{
  for (gsize i = 0; values != NULL && values[i] != NULL; i++)
    if (values[i][0] == '\0')
      return usage_error (error, "%s must not be empty", option);
  return TRUE;
}

static gboolean
run_release (const Command *command, int argc, char **argv, GError **error)
{
  g_autofree char *repo_path = NULL;
  g_auto (GStrv) key_paths = NULL;
  g_autofree char *ref = NULL;
  g_autofree char *tree = NULL;
  g_autofree char *commit = NULL;
  g_autofree char *version = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *body = NULL;
  g_autofree char *timestamp = NULL;
  g_autofree char *expires_in = NULL;
  g_auto (GStrv) compatible = NULL;
  g_auto (GStrv) delta_from = NULL;
  gboolean no_delta = FALSE;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (OstreeRepo) repo = NULL;
  g_autoptr (OstreeRepoAutoLock) lock = NULL;
  g_autofree char *checksum = NULL;
  g_autoptr (GError) ref_error = NULL;
  UpdraftPublishRelease release = { 0 };
  const GOptionEntry entries[] = {
    { "repo", 0, 0, G_OPTION_ARG_FILENAME, &repo_path, "The archive repository", "REPO" },
    { "ref", 0, 0, G_OPTION_ARG_STRING, &ref, "The ref to publish on", "REF" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &key_paths,
      "Sign with this secret key (repeat to sign with several)", "SECRET" },
    { "tree", 0, 0, G_OPTION_ARG_FILENAME, &tree, "Commit this directory", "DIR" },
    { "commit", 0, 0, G_OPTION_ARG_STRING, &commit,
      "Re-issue this commit's tree and metadata as a new commit", "REV" },
    { "version", 0, 0, G_OPTION_ARG_STRING, &version, "The version string devices show",
      "VERSION" },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &subject, "The commit subject", "SUBJECT" },
    { "body", 0, 0, G_OPTION_ARG_STRING, &body, "The commit body (release notes)", "BODY" },
    { "timestamp", 0, 0, G_OPTION_ARG_STRING, &timestamp,
      "The commit time, ISO 8601 (default: now)", "TIME" },
    { "expires-in", 0, 0, G_OPTION_ARG_STRING, &expires_in,
      "Expire the signed summary after DURATION (s, m, h, d, w, or never; "
      "default " UPDRAFT_PUBLISH_DEFAULT_EXPIRES_IN ")",
      "DURATION" },
    { "compatible", 0, 0, G_OPTION_ARG_STRING_ARRAY, &compatible,
      "Only devices of this class accept the commit (repeatable)", "CLASS" },
    { "no-delta", 0, 0, G_OPTION_ARG_NONE, &no_delta, "Generate no static delta", NULL },
    { "delta-from", 0, 0, G_OPTION_ARG_STRING_ARRAY, &delta_from,
      "Generate the static delta from REV instead of the previous commit (repeatable)", "REV" },
    { NULL },
  };

  if (!parse_options (command, entries, 0, &argc, &argv, error)
      || !require_option (repo_path, "--repo", error) || !require_option (ref, "--ref", error)
      || !require_keys (key_paths, error))
    return FALSE;
  if ((tree == NULL) == (commit == NULL))
    return usage_error (error, "give exactly one of --tree and --commit");
  if (no_delta && delta_from != NULL)
    return usage_error (error, "--no-delta and --delta-from contradict each other");
  if (!ostree_validate_rev (ref, &ref_error))
    return usage_error (error, "--ref: %s", ref_error->message);
  if ((version != NULL && version[0] == '\0') || (commit != NULL && commit[0] == '\0'))
    return usage_error (error, "--version and --commit must not be empty");
  if (!check_values (compatible, "--compatible", error)
      || !check_values (delta_from, "--delta-from", error))
    return FALSE;
  release.have_timestamp = timestamp != NULL;
  if (timestamp != NULL && !updraft_publish_parse_time (timestamp, &release.timestamp, error))
    {
      g_prefix_error (error, "--timestamp: ");
      return FALSE;
    }
  if (!updraft_publish_parse_duration (expires_in != NULL ? expires_in
                                                          : UPDRAFT_PUBLISH_DEFAULT_EXPIRES_IN,
                                       &release.expires_in, error))
    {
      g_prefix_error (error, "--expires-in: ");
      return FALSE;
    }

  if (!open_for_signing (command, repo_path, key_paths, TRUE, &keys, &repo, &lock, error))
    return FALSE;

  release.ref = ref;
  release.tree = tree;
  release.commit = commit;
  release.version = version;
  release.subject = subject;
  release.body = body;
  release.compatible = (const char *const *) compatible;
  release.delta_from = (const char *const *) delta_from;
  release.no_delta = no_delta;
  checksum = updraft_publish_release (repo, keys, &release, error);
  if (checksum == NULL)
    return FALSE;
  g_print ("%s\n", checksum);
  return TRUE;
}

/* ---- renew --------------------------------------------------------------- */

static gboolean
run_renew (const Command *command, int argc, char **argv, GError **error)
{
  g_autofree char *repo_path = NULL;
  g_auto (GStrv) key_paths = NULL;
  g_autofree char *expires_in = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (OstreeRepo) repo = NULL;
  g_autoptr (OstreeRepoAutoLock) lock = NULL;
  gint64 seconds = 0;
  const GOptionEntry entries[] = {
    { "repo", 0, 0, G_OPTION_ARG_FILENAME, &repo_path, "The archive repository", "REPO" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &key_paths,
      "Sign with this secret key (repeat to sign with several)", "SECRET" },
    { "expires-in", 0, 0, G_OPTION_ARG_STRING, &expires_in,
      "Expire the signed summary after DURATION (s, m, h, d, w, or never; "
      "default " UPDRAFT_PUBLISH_DEFAULT_EXPIRES_IN ")",
      "DURATION" },
    { NULL },
  };

  if (!parse_options (command, entries, 0, &argc, &argv, error)
      || !require_option (repo_path, "--repo", error) || !require_keys (key_paths, error))
    return FALSE;
  if (!updraft_publish_parse_duration (
          expires_in != NULL ? expires_in : UPDRAFT_PUBLISH_DEFAULT_EXPIRES_IN, &seconds, error))
    {
      g_prefix_error (error, "--expires-in: ");
      return FALSE;
    }

  if (!open_for_signing (command, repo_path, key_paths, TRUE, &keys, &repo, &lock, error))
    return FALSE;
  return updraft_publish_update_summary (repo, keys, seconds, error);
}

/* ---- verify -------------------------------------------------------------- */

static gboolean
run_verify (const Command *command, int argc, char **argv, GError **error)
{
  g_autofree char *repo_path = NULL;
  g_auto (GStrv) trusted = NULL;
  g_auto (GStrv) revoked = NULL;
  g_autoptr (OstreeRepo) repo = NULL;
  const GOptionEntry entries[] = {
    { "repo", 0, 0, G_OPTION_ARG_FILENAME, &repo_path, "The OSTree repository", "REPO" },
    { "trusted", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &trusted,
      "Trust the public keys in this file or directory (repeatable)", "PUBFILE" },
    { "revoked", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &revoked,
      "Treat the public keys in this file or directory as revoked (repeatable)", "PUBFILE" },
    { NULL },
  };

  if (!parse_options (command, entries, 1, &argc, &argv, error)
      || !require_option (repo_path, "--repo", error))
    return FALSE;
  if (trusted == NULL)
    return usage_error (error, "--trusted is required (a public key file)");

  repo = updraft_publish_repo_open (repo_path, FALSE, command->name, error);
  if (repo == NULL)
    return FALSE;
  return updraft_publish_verify (repo, argv[1], (const char *const *) trusted,
                                 (const char *const *) revoked, error);
}

/* ---- main ---------------------------------------------------------------- */

static const Command commands[] = {
  { "keygen", NULL, "Generate an Ed25519 signing key pair.",
    "Writes PREFIX.secret (mode 0600, libostree's secret key form) and PREFIX.pub (the public\n"
    "key, one base64 line, as devices' trusted.ed25519 files hold it) and prints the key ID.",
    run_keygen },
  { "sign", "REV", "Sign a commit.",
    "Adds a signature by each --key to the detached metadata of REV (a ref or a commit\n"
    "checksum) and prints the commit checksum. Signing again with the same key changes\n"
    "nothing.",
    run_sign },
  { "sign-summary", NULL, "Sign the repository's summary.",
    "Signs the summary file as it is and replaces summary.sig with the signatures of the\n"
    "given keys.",
    run_sign_summary },
  { "release", NULL, "Commit, sign and publish a new version.",
    "Commits --tree (or re-issues --commit) on --ref with its version, ref binding and device\n"
    "classes, signs it, generates the static delta from the previous commit, moves the ref,\n"
    "and regenerates and signs the summary with a new expiry. Prints the new commit checksum.",
    run_release },
  { "renew", NULL, "Renew the summary's expiry and re-sign it.",
    "Regenerates the summary (all refs and static deltas) with a new expiry and signs it,\n"
    "so that devices keep accepting the repository's metadata without a new release.",
    run_renew },
  { "verify", "REV", "Verify a commit and the summary the way a device does.",
    "Checks the signature of REV (a ref or a commit checksum) and, if the repository has a\n"
    "summary, its signature and expiry, against the --trusted public keys. Prints the key ID\n"
    "of each signer; exits 1 with the reason if a device would refuse.",
    run_verify },
};

static void
print_global_help (FILE *out)
{
  fprintf (out, "Usage:\n  %s COMMAND [OPTION…]\n\n", PROGRAM);
  fprintf (out, "Publish signed OSTree updates for devices running Updraft.\n\n");
  fprintf (out, "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-14s%s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nOptions:\n");
  fprintf (out, "  -h, --help    Show this help\n");
  fprintf (out, "  --version     Show the program's version\n\n");
  fprintf (out, "Run “%s COMMAND --help” for the options of a command.\n", PROGRAM);
}

static const Command *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *prgname = NULL;
  const Command *command;
  char *help_argv[] = { NULL, (char *) "--help", NULL };

  setlocale (LC_ALL, "");

  if (argc < 2)
    {
      print_global_help (stderr);
      return UPDRAFT_PUBLISH_EXIT_USAGE;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")
      || (g_str_equal (argv[1], "help") && argc == 2))
    {
      print_global_help (stdout);
      return UPDRAFT_PUBLISH_EXIT_OK;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("%s %s\n", PROGRAM, PACKAGE_VERSION);
      return UPDRAFT_PUBLISH_EXIT_OK;
    }

  /* "help COMMAND" is "COMMAND --help". */
  if (g_str_equal (argv[1], "help") && argc == 3)
    {
      help_argv[0] = argv[2];
      argv = help_argv;
      argc = 2;
    }
  else
    {
      argv++;
      argc--;
    }

  command = find_command (argv[0]);
  if (command == NULL)
    {
      g_printerr ("%s: unknown command “%s”\n", PROGRAM, argv[0]);
      g_printerr ("Run “%s --help” for the list of commands.\n", PROGRAM);
      return UPDRAFT_PUBLISH_EXIT_USAGE;
    }

  /* GOptionContext's usage line then reads "updraft-publish COMMAND [OPTION…]". */
  prgname = g_strdup_printf ("%s %s", PROGRAM, command->name);
  g_set_prgname (prgname);

  if (!command->run (command, argc, argv, &error))
    {
      g_printerr ("%s: %s\n", PROGRAM, error->message);
      if (is_usage_error (error))
        {
          g_printerr ("Run “%s %s --help” for its options.\n", PROGRAM, command->name);
          return UPDRAFT_PUBLISH_EXIT_USAGE;
        }
      return UPDRAFT_PUBLISH_EXIT_FAILED;
    }
  return UPDRAFT_PUBLISH_EXIT_OK;
}
