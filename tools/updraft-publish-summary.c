/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The summary devices read first: regenerating it with a signed expiry
 * (updraft.expires), signing it into summary.sig, and the time and duration
 * syntax the expiry is given in. */
#include "config.h"

#include "updraft-error.h"
#include "updraft-metadata.h"
#include "updraft-publish.h"

/* An expiry further away than this is "never" with extra steps, and past the
 * range some device clocks and parsers handle. */
#define MAX_DURATION_SECONDS ((gint64) 100 * 366 * 24 * 3600)

gboolean
updraft_publish_parse_duration (const char *text, gint64 *out_seconds, GError **error)
{
  static const struct
  {
    char suffix;
    gint64 seconds;
  } units[] = {
    { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
  };
  char *end = NULL;
  guint64 n;

  if (g_str_equal (text, "never"))
    {
      *out_seconds = UPDRAFT_PUBLISH_NEVER_EXPIRES;
      return TRUE;
    }
  errno = 0;
  n = g_ascii_isdigit (text[0]) ? g_ascii_strtoull (text, &end, 10) : 0;
  if (end == NULL || end == text || errno != 0 || end[0] == '\0' || end[1] != '\0')
    {
      /* A bare number is refused rather than guessed at: "30" could as well
       * mean thirty days as thirty seconds. */
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                   "invalid duration “%s”: expected a number and a unit (s, m, h, d or w), "
                   "e.g. 30d, or “never”",
                   text);
      return FALSE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
    {
      if (units[i].suffix != end[0])
        continue;
      if (n == 0)
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                       "invalid duration “%s”: metadata that expires at once would be "
                       "refused by every device",
                       text);
          return FALSE;
        }
      if (n > (guint64) (MAX_DURATION_SECONDS / units[i].seconds))
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                       "invalid duration “%s”: more than 100 years (use “never” for no expiry)",
                       text);
          return FALSE;
        }
      *out_seconds = (gint64) n * units[i].seconds;
      return TRUE;
    }
  g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
               "invalid duration “%s”: unknown unit “%c” (use s, m, h, d or w)", text, end[0]);
  return FALSE;
}

gboolean
updraft_publish_parse_time (const char *text, guint64 *out_unix, GError **error)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (text, utc);

  if (when == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                   "invalid time “%s”: expected ISO 8601, e.g. 2026-01-01T00:00:00Z", text);
      return FALSE;
    }
  if (g_date_time_to_unix (when) <= 0)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                   "invalid time “%s”: before 1970", text);
      return FALSE;
    }
  *out_unix = (guint64) g_date_time_to_unix (when);
  return TRUE;
}

char *
updraft_publish_format_time (gint64 unix_time)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (unix_time);

  return when != NULL ? g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}

static char *
repo_file_path (OstreeRepo *repo, const char *name)
{
  g_autofree char *dir = g_file_get_path (ostree_repo_get_path (repo));

  return g_build_filename (dir, name, NULL);
}

/* Keys someone added to the summary's metadata by hand (`ostree summary
 * --add-metadata`) survive a renewal; libostree writes its own "ostree.*"
 * keys afresh and the expiry is replaced. */
static void
keep_custom_metadata (OstreeRepo *repo, GVariantBuilder *builder)
{
  g_autoptr (GBytes) old = NULL;
  g_autoptr (GVariant) summary = NULL;
  g_autoptr (GVariant) metadata = NULL;
  g_autoptr (GError) local_error = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (!updraft_publish_read_repo_file (repo, "summary", &old, &local_error))
    {
      updraft_publish_warning ("not keeping the old summary's metadata: %s", local_error->message);
      return;
    }
  if (old == NULL)
    return;
  summary = updraft_summary_parse (old, &local_error);
  if (summary == NULL)
    {
      updraft_publish_warning ("replacing an unreadable summary: %s", local_error->message);
      return;
    }
  metadata = updraft_summary_get_metadata (summary);
  g_variant_iter_init (&iter, metadata);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      if (!g_str_has_prefix (key, "ostree.") && !g_str_equal (key, UPDRAFT_META_EXPIRES))
        g_variant_builder_add (builder, "{sv}", key, value);
      g_variant_unref (value);
    }
}

gboolean
updraft_publish_sign_summary (OstreeRepo *repo, GPtrArray *keys, GError **error)
{
  g_autoptr (GBytes) summary = NULL;
  g_autoptr (GVariant) signatures = NULL;
  g_autoptr (GVariant) normal = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autofree char *path = repo_file_path (repo, "summary.sig");
  g_autofree char *signers = NULL;

  if (!updraft_publish_read_repo_file (repo, "summary", &summary, error))
    return FALSE;
  if (summary == NULL)
    {
      g_set_error_literal (error, UPDRAFT_ERROR, UPDRAFT_ERROR_FAILED,
                           "the repository has no summary to sign (`updraft-publish renew` "
                           "creates one)");
      return FALSE;
    }
  /* A fresh list, not the old summary.sig plus more: signatures over an
   * earlier summary are worthless, and signing with another key must replace
   * the signer, not add one. */
  signatures = updraft_publish_sign_data (keys, summary, NULL, "the summary", error);
  if (signatures == NULL)
    return FALSE;
  normal = g_variant_get_normal_form (signatures);
  data = g_variant_get_data_as_bytes (normal);
  if (!updraft_publish_write_file (path, data, 0644, error))
    return FALSE;
  signers = updraft_publish_describe_keys (keys);
  updraft_publish_info ("Signed the summary with %s", signers);
  return TRUE;
}

gboolean
updraft_publish_update_summary (OstreeRepo *repo, GPtrArray *keys, gint64 expires_in,
                                GError **error)
{
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr (GVariant) additional = NULL;
  g_autofree char *expires = NULL;

  keep_custom_metadata (repo, &builder);
  if (expires_in != UPDRAFT_PUBLISH_NEVER_EXPIRES)
    {
      expires = updraft_publish_format_time (g_get_real_time () / G_USEC_PER_SEC + expires_in);
      g_variant_builder_add (&builder, "{sv}", UPDRAFT_META_EXPIRES,
                             g_variant_new_string (expires));
    }
  additional = g_variant_ref_sink (g_variant_builder_end (&builder));

  /* This also deletes summary.sig: until the signing below, devices see an
   * unsigned summary and refuse it, which is safe and lasts milliseconds. */
  if (!ostree_repo_regenerate_summary (repo, additional, NULL, error))
    {
      g_prefix_error (error, "regenerating the summary: ");
      return FALSE;
    }
  if (expires != NULL)
    updraft_publish_info ("Regenerated the summary; it expires at %s", expires);
  else
    updraft_publish_info ("Regenerated the summary; it never expires");
  return updraft_publish_sign_summary (repo, keys, error);
}
