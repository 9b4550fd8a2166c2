/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Option tables per method. Adding an option means one row here, its
 * handling below, and its documentation in the interface XML. */
#include "config.h"

#include <string.h>

#include "updraft-error.h"
#include "updraft-options.h"

typedef enum
{
  OPT_REBOOT = 1 << 0,
  OPT_COMMIT = 1 << 1,
  OPT_ALLOW_DOWNGRADE = 1 << 2,
} OptionFlag;

typedef struct
{
  const char *key;
  const char *type;
  OptionFlag flag;
} OptionSpec;

static const OptionSpec option_specs[] = {
  { "reboot", "b", OPT_REBOOT },
  { "commit", "s", OPT_COMMIT },
  { "allow-downgrade", "b", OPT_ALLOW_DOWNGRADE },
};

static OptionFlag
options_for (UpdraftOperation op)
{
  switch (op)
    {
    case UPDRAFT_OPERATION_CHECK:
      return OPT_COMMIT | OPT_ALLOW_DOWNGRADE;
    case UPDRAFT_OPERATION_APPLY:
    case UPDRAFT_OPERATION_ROLLBACK:
      return OPT_REBOOT;
    case UPDRAFT_OPERATION_UPDATE:
      return OPT_REBOOT | OPT_COMMIT | OPT_ALLOW_DOWNGRADE;
    case UPDRAFT_OPERATION_DOWNLOAD:
    case UPDRAFT_OPERATION_CANCEL:
    case UPDRAFT_OPERATION_NONE:
    default:
      return 0;
    }
}

char *
updraft_options_describe (UpdraftOperation op)
{
  OptionFlag allowed = options_for (op);
  g_autoptr (GString) s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (option_specs); i++)
    {
      if ((allowed & option_specs[i].flag) == 0)
        continue;
      if (s->len > 0)
        g_string_append (s, ", ");
      g_string_append (s, option_specs[i].key);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
updraft_is_commit_checksum (const char *text)
{
  if (text == NULL || strlen (text) != 64)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

UpdraftRequest *
updraft_options_parse (UpdraftOperation op, GVariant *options, GError **error)
{
  g_autoptr (UpdraftRequest) request = updraft_request_new (op);
  OptionFlag allowed = options_for (op);
  GVariantIter iter;
  const char *key;
  GVariant *value_raw;

  if (options == NULL || !g_variant_is_of_type (options, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS, "Options must be an a{sv}");
      return NULL;
    }

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value_raw))
    {
      g_autoptr (GVariant) value = value_raw;
      const OptionSpec *spec = NULL;

      for (gsize i = 0; i < G_N_ELEMENTS (option_specs); i++)
        if (g_str_equal (option_specs[i].key, key) && (allowed & option_specs[i].flag) != 0)
          spec = &option_specs[i];

      if (spec == NULL)
        {
          g_autofree char *known = updraft_options_describe (op);
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                       "Unknown option “%s” for %s (accepted: %s)", key,
                       updraft_operation_to_string (op), known[0] != '\0' ? known : "none");
          return NULL;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (spec->type)))
        {
          g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                       "Option “%s” must be of type %s, not %s", key, spec->type,
                       g_variant_get_type_string (value));
          return NULL;
        }

      switch (spec->flag)
        {
        case OPT_REBOOT:
          request->reboot = g_variant_get_boolean (value);
          break;
        case OPT_ALLOW_DOWNGRADE:
          request->allow_downgrade = g_variant_get_boolean (value);
          break;
        case OPT_COMMIT:
          {
            const char *commit = g_variant_get_string (value, NULL);

            if (!updraft_is_commit_checksum (commit))
              {
                g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                             "Option “commit” must be a commit checksum (64 lowercase hex digits)");
                return NULL;
              }
            g_free (request->commit);
            request->commit = g_strdup (commit);
            break;
          }
        default:
          g_assert_not_reached ();
        }
    }

  if (request->allow_downgrade && request->commit == NULL)
    {
      g_set_error (error, UPDRAFT_ERROR, UPDRAFT_ERROR_INVALID_ARGS,
                   "Option “allow-downgrade” needs “commit”: a downgrade must name the commit");
      return NULL;
    }
  return g_steal_pointer (&request);
}
