/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Untrusted metadata parsers. Every value is type-checked before use and
 * every GVariant from the network is brought to normal form first, so a
 * crafted serialisation cannot make two readers see different values. */
#include "config.h"

#include <string.h>

#include "updraft-error.h"
#include "updraft-metadata.h"

#define SUMMARY_TYPE "(a(s(taya{sv}))a{sv})"

GVariant *
updraft_summary_parse (GBytes *bytes, GError **error)
{
  g_autoptr (GVariant) summary = NULL;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID, "The summary is empty");
      return NULL;
    }
  summary = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (SUMMARY_TYPE), bytes, FALSE));
  if (!g_variant_is_normal_form (summary))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "The summary is malformed (not a normal-form %s)", SUMMARY_TYPE);
      return NULL;
    }
  return g_steal_pointer (&summary);
}

gboolean
updraft_summary_lookup_ref (GVariant *summary, const char *ref, char **out_checksum,
                            guint64 *out_timestamp, char **out_version, GError **error)
{
  g_autoptr (GVariant) refs = g_variant_get_child_value (summary, 0);
  gsize n = g_variant_n_children (refs);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) entry = g_variant_get_child_value (refs, i);
      g_autoptr (GVariant) name = g_variant_get_child_value (entry, 0);
      g_autoptr (GVariant) info = NULL;
      g_autoptr (GVariant) csum = NULL;
      g_autoptr (GVariant) meta = NULL;
      g_autoptr (GVariant) ts = NULL;
      const char *version = NULL;
      const guint8 *bytes;
      gsize len = 0;

      if (!g_str_equal (g_variant_get_string (name, NULL), ref))
        continue;

      info = g_variant_get_child_value (entry, 1);
      csum = g_variant_get_child_value (info, 1);
      meta = g_variant_get_child_value (info, 2);
      bytes = g_variant_get_fixed_array (csum, &len, 1);
      if (len != 32)
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                       "The summary entry for %s has a %zu-byte checksum", ref, len);
          return FALSE;
        }
      if (out_checksum != NULL)
        {
          GString *hex = g_string_sized_new (64);
          for (gsize b = 0; b < 32; b++)
            g_string_append_printf (hex, "%02x", bytes[b]);
          *out_checksum = g_string_free (hex, FALSE);
        }
      ts = g_variant_lookup_value (meta, "ostree.commit.timestamp", G_VARIANT_TYPE_UINT64);
      if (out_timestamp != NULL)
        *out_timestamp = ts != NULL ? GUINT64_FROM_BE (g_variant_get_uint64 (ts)) : 0;
      if (out_version != NULL)
        *out_version = g_variant_lookup (meta, "ostree.commit.version", "&s", &version)
                           ? g_strdup (version)
                           : NULL;
      return TRUE;
    }

  g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET,
               "The update server does not carry the ref “%s”", ref);
  return FALSE;
}

GVariant *
updraft_summary_get_metadata (GVariant *summary)
{
  return g_variant_get_child_value (summary, 1);
}

gboolean
updraft_metadata_get_expiry (GVariant *metadata, gint64 *out_expires, GError **error)
{
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  const char *text;

  *out_expires = 0;
  if (metadata == NULL)
    return TRUE;
  value = g_variant_lookup_value (metadata, UPDRAFT_META_EXPIRES, NULL);
  if (value == NULL)
    return TRUE;
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "%s must be a string (an ISO 8601 time), not %s", UPDRAFT_META_EXPIRES,
                   g_variant_get_type_string (value));
      return FALSE;
    }
  text = g_variant_get_string (value, NULL);
  /* A time without a zone is read as UTC, never as the device's local time. */
  when = strlen (text) <= 64 ? g_date_time_new_from_iso8601 (text, utc) : NULL;
  if (when == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "%s “%.64s” is not an ISO 8601 time", UPDRAFT_META_EXPIRES, text);
      return FALSE;
    }
  *out_expires = g_date_time_to_unix (when);
  if (*out_expires <= 0)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                   "%s “%s” is before 1970", UPDRAFT_META_EXPIRES, text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
strv_variant_contains (GVariant *strv, const char *needle)
{
  gsize n = g_variant_n_children (strv);

  for (gsize i = 0; i < n; i++)
    {
      const char *s = NULL;
      g_variant_get_child (strv, i, "&s", &s);
      if (g_str_equal (s, needle))
        return TRUE;
    }
  return FALSE;
}

static char *
strv_variant_join (GVariant *strv)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gsize n = g_variant_n_children (strv);

  for (gsize i = 0; i < n && i < 8; i++)
    {
      const char *s = NULL;
      g_variant_get_child (strv, i, "&s", &s);
      g_string_append_printf (out, "%s“%.100s”", i > 0 ? ", " : "", s);
    }
  if (n > 8)
    g_string_append (out, ", …");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
updraft_metadata_check_target (GVariant *commit_metadata, const char *ref, const char *compatible,
                               const char *what, GError **error)
{
  g_autoptr (GVariant) binding = NULL;
  g_autoptr (GVariant) compat = NULL;

  binding = g_variant_lookup_value (commit_metadata, UPDRAFT_META_REF_BINDING, NULL);
  if (binding != NULL)
    {
      if (!g_variant_is_of_type (binding, G_VARIANT_TYPE_STRING_ARRAY))
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
                       "%s: %s must be of type as, not %s", what, UPDRAFT_META_REF_BINDING,
                       g_variant_get_type_string (binding));
          return FALSE;
        }
      if (!strv_variant_contains (binding, ref))
        {
          g_autofree char *bound = strv_variant_join (binding);
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET,
                       "%s is signed for ref %s, not for “%s” which this device follows", what,
                       bound[0] != '\0' ? bound : "(none)", ref);
          return FALSE;
        }
    }

  if (compatible == NULL)
    return TRUE;

  compat = g_variant_lookup_value (commit_metadata, UPDRAFT_META_COMPATIBLE, NULL);
  if (compat == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET,
                   "%s does not say which devices it is for (%s), and this device "
                   "only accepts updates for “%s”",
                   what, UPDRAFT_META_COMPATIBLE, compatible);
      return FALSE;
    }
  if (g_variant_is_of_type (compat, G_VARIANT_TYPE_STRING))
    {
      const char *c = g_variant_get_string (compat, NULL);
      if (!g_str_equal (c, compatible))
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET,
                       "%s is for devices of class “%.100s”, not “%s”", what, c, compatible);
          return FALSE;
        }
      return TRUE;
    }
  if (g_variant_is_of_type (compat, G_VARIANT_TYPE_STRING_ARRAY))
    {
      if (!strv_variant_contains (compat, compatible))
        {
          g_autofree char *classes = strv_variant_join (compat);
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_WRONG_TARGET,
                       "%s is for devices of class %s, not “%s”", what, classes, compatible);
          return FALSE;
        }
      return TRUE;
    }
  g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_METADATA_INVALID,
               "%s: %s must be of type s or as, not %s", what, UPDRAFT_META_COMPATIBLE,
               g_variant_get_type_string (compat));
  return FALSE;
}
