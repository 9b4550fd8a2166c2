/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output formatting for updraftctl. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "updraftctl-output.h"

static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

static void
append_json (GString *out, GVariant *v)
{
  const GVariantType *type = g_variant_get_type (v);

  if (g_variant_is_of_type (v, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr (GVariant) inner = g_variant_get_variant (v);
      append_json (out, inner);
      return;
    }
  if (g_variant_type_is_basic (type))
    {
      switch (g_variant_classify (v))
        {
        case G_VARIANT_CLASS_BOOLEAN:
          g_string_append (out, g_variant_get_boolean (v) ? "true" : "false");
          return;
        case G_VARIANT_CLASS_BYTE:
          g_string_append_printf (out, "%u", g_variant_get_byte (v));
          return;
        case G_VARIANT_CLASS_INT16:
          g_string_append_printf (out, "%d", g_variant_get_int16 (v));
          return;
        case G_VARIANT_CLASS_UINT16:
          g_string_append_printf (out, "%u", g_variant_get_uint16 (v));
          return;
        case G_VARIANT_CLASS_INT32:
          g_string_append_printf (out, "%d", g_variant_get_int32 (v));
          return;
        case G_VARIANT_CLASS_UINT32:
          g_string_append_printf (out, "%u", g_variant_get_uint32 (v));
          return;
        case G_VARIANT_CLASS_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (v));
          return;
        case G_VARIANT_CLASS_UINT64:
          g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_variant_get_uint64 (v));
          return;
        case G_VARIANT_CLASS_DOUBLE:
          g_string_append_printf (out, "%.17g", g_variant_get_double (v));
          return;
        case G_VARIANT_CLASS_STRING:
        case G_VARIANT_CLASS_OBJECT_PATH:
        case G_VARIANT_CLASS_SIGNATURE:
          append_json_string (out, g_variant_get_string (v, NULL));
          return;
        case G_VARIANT_CLASS_HANDLE:
        case G_VARIANT_CLASS_VARIANT:
        case G_VARIANT_CLASS_MAYBE:
        case G_VARIANT_CLASS_ARRAY:
        case G_VARIANT_CLASS_TUPLE:
        case G_VARIANT_CLASS_DICT_ENTRY:
        default:
          g_string_append (out, "null");
          return;
        }
    }
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize len = 0;
      const guint8 *bytes = g_variant_get_fixed_array (v, &len, 1);
      g_string_append_c (out, '"');
      for (gsize i = 0; i < len; i++)
        g_string_append_printf (out, "%02x", bytes[i]);
      g_string_append_c (out, '"');
      return;
    }
  if (g_variant_type_is_array (type) &&
      g_variant_type_is_dict_entry (g_variant_type_element (type)))
    {
      gsize n = g_variant_n_children (v);
      g_string_append_c (out, '{');
      for (gsize i = 0; i < n; i++)
        {
          g_autoptr (GVariant) entry = g_variant_get_child_value (v, i);
          g_autoptr (GVariant) key = g_variant_get_child_value (entry, 0);
          g_autoptr (GVariant) value = g_variant_get_child_value (entry, 1);
          g_autofree char *key_text = NULL;

          if (i > 0)
            g_string_append_c (out, ',');
          key_text = g_variant_is_of_type (key, G_VARIANT_TYPE_STRING)
                         ? g_variant_dup_string (key, NULL)
                         : g_variant_print (key, FALSE);
          append_json_string (out, key_text);
          g_string_append_c (out, ':');
          append_json (out, value);
        }
      g_string_append_c (out, '}');
      return;
    }
  if (g_variant_type_is_array (type) || g_variant_type_is_tuple (type))
    {
      gsize n = g_variant_n_children (v);
      g_string_append_c (out, '[');
      for (gsize i = 0; i < n; i++)
        {
          g_autoptr (GVariant) child = g_variant_get_child_value (v, i);
          if (i > 0)
            g_string_append_c (out, ',');
          append_json (out, child);
        }
      g_string_append_c (out, ']');
      return;
    }
  if (g_variant_type_is_maybe (type))
    {
      g_autoptr (GVariant) child = g_variant_get_maybe (v);
      if (child == NULL)
        g_string_append (out, "null");
      else
        append_json (out, child);
      return;
    }
  g_string_append (out, "null");
}

char *
updraftctl_variant_to_json (GVariant *value)
{
  GString *out = g_string_new (NULL);

  append_json (out, value);
  return g_string_free (out, FALSE);
}

char *
updraftctl_format_duration (gint64 seconds)
{
  if (seconds < 0)
    return g_strdup ("unknown");
  if (seconds < 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT " s", seconds);
  if (seconds < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min %" G_GINT64_FORMAT " s", seconds / 60,
                            seconds % 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT " h %" G_GINT64_FORMAT " min", seconds / 3600,
                          (seconds % 3600) / 60);
}

static const char *
lookup_string (GVariant *dict, const char *key)
{
  const char *s = NULL;

  if (dict == NULL || !g_variant_lookup (dict, key, "&s", &s))
    return "";
  return s;
}

static gboolean
lookup_bool (GVariant *dict, const char *key)
{
  gboolean b = FALSE;

  if (dict != NULL)
    g_variant_lookup (dict, key, "b", &b);
  return b;
}

static char *
short_commit (const char *commit)
{
  if (commit == NULL || strlen (commit) <= 12)
    return g_strdup (commit != NULL ? commit : "");
  return g_strndup (commit, 12);
}

static char *
format_time (guint64 t)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc ((gint64) t);

  if (dt == NULL || t == 0)
    return g_strdup ("unknown time");
  return g_date_time_format (dt, "%Y-%m-%d %H:%M UTC");
}

void
updraftctl_print_status (GVariant *props)
{
  g_autoptr (GVariant) update = g_variant_lookup_value (props, "AvailableUpdate", G_VARIANT_TYPE_VARDICT);
  g_autoptr (GVariant) deployments = g_variant_lookup_value (props, "Deployments", G_VARIANT_TYPE ("aa{sv}"));
  g_autoptr (GVariant) last_error = g_variant_lookup_value (props, "LastError", G_VARIANT_TYPE ("(ss)"));
  g_autoptr (GVariant) progress = g_variant_lookup_value (props, "Progress", G_VARIANT_TYPE_VARDICT);
  g_autofree char *current = short_commit (lookup_string (props, "CurrentCommit"));
  const char *version = lookup_string (props, "CurrentVersion");
  const char *operation = lookup_string (props, "Operation");
  gboolean require_signatures = TRUE;

  g_variant_lookup (props, "RequireSignatures", "b", &require_signatures);

  g_print ("State:       %s%s%s\n", lookup_string (props, "State"), operation[0] != '\0' ? " — " : "",
           operation);
  g_print ("Current:     %s (%s)\n", version[0] != '\0' ? version : "no version", current);
  g_print ("Following:   %s\n", lookup_string (props, "Origin"));

  if (update != NULL && g_variant_n_children (update) > 0)
    {
      g_autofree char *commit = short_commit (lookup_string (update, "commit"));
      g_autofree char *when = NULL;
      const char *uversion = lookup_string (update, "version");
      const char *subject = lookup_string (update, "subject");
      const char *signed_by = lookup_string (update, "signed-by");
      guint64 size = 0;
      guint64 ts = 0;

      g_variant_lookup (update, "timestamp", "t", &ts);
      when = format_time (ts);
      g_print ("Update:      %s (%s), published %s\n", uversion[0] != '\0' ? uversion : "no version",
               commit, when);
      if (lookup_bool (update, "downloaded"))
        g_print ("             downloaded and verified\n");
      else if (g_variant_lookup (update, "download-size", "t", &size))
        {
          g_autofree char *s = g_format_size (size);
          g_print ("             %s to download\n", s);
        }
      if (signed_by[0] != '\0')
        g_print ("             signed by key %s\n", signed_by);
      if (subject[0] != '\0')
        g_print ("             “%s”\n", subject);
    }
  else
    g_print ("Update:      none known\n");

  if (progress != NULL && g_variant_n_children (progress) > 0)
    {
      guint percent = 0;
      g_variant_lookup (progress, "percent", "u", &percent);
      g_print ("Progress:    %u%% (%s)\n", percent, lookup_string (progress, "phase"));
    }

  g_print ("Signatures:  %s\n", require_signatures ? "required" : "NOT REQUIRED (unsafe)");

  if (deployments != NULL)
    {
      gsize n = g_variant_n_children (deployments);

      g_print ("Deployments:\n");
      for (gsize i = 0; i < n; i++)
        {
          g_autoptr (GVariant) d = g_variant_get_child_value (deployments, i);
          g_autofree char *c = short_commit (lookup_string (d, "commit"));
          g_autoptr (GString) flags = g_string_new (NULL);
          const char *dv = lookup_string (d, "version");
          static const char *const names[] = { "current", "booted", "default", "rollback", "pinned", "staged" };

          for (gsize f = 0; f < G_N_ELEMENTS (names); f++)
            if (lookup_bool (d, names[f]))
              g_string_append_printf (flags, "%s%s", flags->len > 0 ? ", " : "", names[f]);
          g_print ("  %s %-12s %s  %s%s%s\n", lookup_bool (d, "current") ? "*" : " ",
                   dv[0] != '\0' ? dv : "-", c, flags->len > 0 ? "(" : "", flags->str,
                   flags->len > 0 ? ")" : "");
        }
    }

  if (last_error != NULL)
    {
      const char *name = NULL, *message = NULL;
      g_variant_get (last_error, "(&s&s)", &name, &message);
      if (name[0] != '\0')
        {
          const char *dot = strrchr (name, '.');
          g_print ("Last error:  %s [%s]\n", message, dot != NULL ? dot + 1 : name);
        }
    }
}

void
updraftctl_progress_init (UpdraftctlProgress *p, gboolean tty)
{
  memset (p, 0, sizeof *p);
  p->tty = tty;
  p->last_percent = G_MAXUINT;
}

void
updraftctl_progress_clear (UpdraftctlProgress *p)
{
  g_clear_pointer (&p->last_phase, g_free);
}

#define BAR_WIDTH 30

void
updraftctl_progress_show (UpdraftctlProgress *p, GVariant *progress)
{
  guint percent = 0;
  guint64 done = 0, total = 0, rate = 0;
  gint64 left = -1;
  const char *phase = lookup_string (progress, "phase");
  g_autofree char *done_s = NULL;
  g_autofree char *total_s = NULL;
  g_autofree char *rate_s = NULL;
  g_autofree char *left_s = NULL;
  g_autoptr (GString) line = g_string_new (NULL);

  if (progress == NULL || g_variant_n_children (progress) == 0)
    return;
  g_variant_lookup (progress, "percent", "u", &percent);
  g_variant_lookup (progress, "bytes-done", "t", &done);
  g_variant_lookup (progress, "bytes-total", "t", &total);
  g_variant_lookup (progress, "bytes-per-second", "t", &rate);
  g_variant_lookup (progress, "seconds-left", "x", &left);
  done_s = g_format_size (done);
  total_s = total > 0 ? g_format_size (total) : g_strdup ("?");
  rate_s = g_format_size (rate);
  left_s = updraftctl_format_duration (left);

  if (p->tty)
    {
      guint filled = percent * BAR_WIDTH / 100;

      g_string_append_c (line, '[');
      for (guint i = 0; i < BAR_WIDTH; i++)
        g_string_append_c (line, i < filled ? '#' : '.');
      g_string_append_printf (line, "] %3u%%", percent);
      if (done > 0 || total > 0)
        g_string_append_printf (line, "  %s/%s", done_s, total_s);
      if (rate > 0)
        g_string_append_printf (line, "  %s/s  %s left", rate_s, left_s);
      g_string_append_printf (line, "  %s", phase);
      /* \r and erase-to-end-of-line redraw in place. */
      g_print ("\r%s\033[K", line->str);
      fflush (stdout);
      p->drawn = TRUE;
      return;
    }

  /* Logs: one line per percent step or phase change. */
  if (percent == p->last_percent && g_strcmp0 (phase, p->last_phase) == 0)
    return;
  p->last_percent = percent;
  g_free (p->last_phase);
  p->last_phase = g_strdup (phase);
  if (rate > 0)
    g_print ("progress: %u%% %s of %s, %s/s, %s left (%s)\n", percent, done_s, total_s, rate_s,
             left_s, phase);
  else if (done > 0 || total > 0)
    g_print ("progress: %u%% %s of %s (%s)\n", percent, done_s, total_s, phase);
  else
    g_print ("progress: %s\n", phase);
}

void
updraftctl_progress_finish (UpdraftctlProgress *p)
{
  if (p->tty && p->drawn)
    {
      g_print ("\n");
      p->drawn = FALSE;
    }
}
