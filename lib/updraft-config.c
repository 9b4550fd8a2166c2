/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading updraft.conf. The schema table is the single list of known keys:
 * anything else is reported, never silently ignored, and a bad value keeps
 * the default rather than stopping the updater (a device that cannot parse
 * its config must still be able to receive the update that fixes it). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "updraft-config.h"

typedef enum
{
  KEY_BOOL,
  KEY_SECONDS,
  KEY_SIZE,
  KEY_PATH,
  KEY_STRING,
} KeyType;

typedef struct
{
  const char *group;
  const char *key;
  KeyType type;
  gsize offset;
  guint64 max; /* for numbers */
} SchemaEntry;

#define FIELD(f) G_STRUCT_OFFSET (UpdraftConfig, f)

static const SchemaEntry schema[] = {
  { "Daemon", "IdleTimeoutSec", KEY_SECONDS, FIELD (idle_timeout_sec), 86400 },
  { "Network", "CheckTimeoutSec", KEY_SECONDS, FIELD (check_timeout_sec), 86400 },
  { "Network", "DownloadTimeoutSec", KEY_SECONDS, FIELD (download_timeout_sec), 7 * 86400 },
  { "Network", "StallTimeoutSec", KEY_SECONDS, FIELD (stall_timeout_sec), 86400 },
  { "Network", "MaxMetadataSize", KEY_SIZE, FIELD (max_metadata_size), 256 * 1024 * 1024 },
  { "Network", "MaxDownloadSize", KEY_SIZE, FIELD (max_download_size), G_MAXUINT64 },
  { "Security", "RequireSignatures", KEY_BOOL, FIELD (require_signatures), 0 },
  { "Security", "RequireExpiry", KEY_BOOL, FIELD (require_expiry), 0 },
  { "Security", "TrustedKeysDir", KEY_PATH, FIELD (trusted_keys_dir), 0 },
  { "Security", "RevokedKeysDir", KEY_PATH, FIELD (revoked_keys_dir), 0 },
  { "Security", "Compatible", KEY_STRING, FIELD (compatible), 0 },
};

UpdraftConfig *
updraft_config_new (void)
{
  UpdraftConfig *self = g_new0 (UpdraftConfig, 1);

  self->ref_count = 1;
  self->idle_timeout_sec = 120;
  self->check_timeout_sec = 300;
  self->download_timeout_sec = 6 * 3600;
  self->stall_timeout_sec = 60;
  self->max_metadata_size = 10 * 1024 * 1024;
  self->max_download_size = 0;
  self->require_signatures = TRUE;
  self->require_expiry = FALSE;
  self->trusted_keys_dir = g_strdup (UPDRAFT_SYSCONF_DIR "/trusted.ed25519.d");
  self->revoked_keys_dir = g_strdup (UPDRAFT_SYSCONF_DIR "/revoked.ed25519.d");
  self->compatible = NULL;
  return self;
}

UpdraftConfig *
updraft_config_ref (UpdraftConfig *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
updraft_config_unref (UpdraftConfig *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_free (self->trusted_keys_dir);
  g_free (self->revoked_keys_dir);
  g_free (self->compatible);
  g_free (self);
}

gboolean
updraft_config_parse_size (const char *text, guint64 *out_size)
{
  g_autofree char *stripped = NULL;
  guint64 value;
  guint64 mult = 1;
  char *end = NULL;

  if (text == NULL)
    return FALSE;
  stripped = g_strstrip (g_strdup (text));
  if (stripped[0] < '0' || stripped[0] > '9')
    return FALSE;
  errno = 0;
  value = g_ascii_strtoull (stripped, &end, 10);
  if (errno != 0)
    return FALSE;
  if (*end != '\0')
    {
      switch (g_ascii_toupper (*end))
        {
        case 'K':
          mult = G_GUINT64_CONSTANT (1) << 10;
          break;
        case 'M':
          mult = G_GUINT64_CONSTANT (1) << 20;
          break;
        case 'G':
          mult = G_GUINT64_CONSTANT (1) << 30;
          break;
        case 'T':
          mult = G_GUINT64_CONSTANT (1) << 40;
          break;
        default:
          return FALSE;
        }
      end++;
      if (*end == 'i' || *end == 'I')
        end++;
      if (*end == 'B' || *end == 'b')
        end++;
      if (*end != '\0')
        return FALSE;
    }
  if (value > G_MAXUINT64 / mult)
    return FALSE;
  *out_size = value * mult;
  return TRUE;
}

static const SchemaEntry *
find_entry (const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (schema); i++)
    if (g_str_equal (schema[i].group, group) && g_str_equal (schema[i].key, key))
      return &schema[i];
  return NULL;
}

static gboolean
group_known (const char *group)
{
  for (gsize i = 0; i < G_N_ELEMENTS (schema); i++)
    if (g_str_equal (schema[i].group, group))
      return TRUE;
  return FALSE;
}

static void
warn (GPtrArray *warnings, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
warn (GPtrArray *warnings, const char *fmt, ...)
{
  va_list args;

  va_start (args, fmt);
  if (warnings != NULL)
    g_ptr_array_add (warnings, g_strdup_vprintf (fmt, args));
  va_end (args);
}

static void
apply_value (UpdraftConfig *self, const SchemaEntry *e, GKeyFile *kf, const char *origin,
             GPtrArray *warnings)
{
  g_autofree char *raw = g_key_file_get_value (kf, e->group, e->key, NULL);
  g_autofree char *value = NULL;
  g_autoptr (GError) local_error = NULL;
  void *field = G_STRUCT_MEMBER_P (self, e->offset);

  if (raw == NULL)
    return;
  value = g_key_file_get_string (kf, e->group, e->key, &local_error);
  if (value == NULL)
    {
      warn (warnings, "%s: [%s] %s: %s; keeping the previous value", origin, e->group, e->key,
            local_error->message);
      return;
    }
  g_strstrip (value);

  switch (e->type)
    {
    case KEY_BOOL:
      {
        gboolean b = g_key_file_get_boolean (kf, e->group, e->key, &local_error);
        if (local_error != NULL)
          {
            warn (warnings, "%s: [%s] %s=%s is not a boolean (true or false); keeping the previous value",
                  origin, e->group, e->key, value);
            return;
          }
        *(gboolean *) field = b;
        return;
      }
    case KEY_SECONDS:
    case KEY_SIZE:
      {
        guint64 n = 0;
        gboolean ok;

        if (e->type == KEY_SIZE)
          ok = updraft_config_parse_size (value, &n);
        else
          ok = g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &n, NULL);
        if (!ok || n > e->max)
          {
            warn (warnings, "%s: [%s] %s=%s is not a %s between 0 and %" G_GUINT64_FORMAT
                  "; keeping the previous value",
                  origin, e->group, e->key, value,
                  e->type == KEY_SIZE ? "size" : "number of seconds", e->max);
            return;
          }
        if (e->type == KEY_SIZE)
          *(guint64 *) field = n;
        else
          *(guint *) field = (guint) n;
        return;
      }
    case KEY_PATH:
    case KEY_STRING:
      {
        char **slot = (char **) field;

        if (e->type == KEY_PATH && value[0] != '\0' && !g_path_is_absolute (value))
          {
            warn (warnings, "%s: [%s] %s=%s is not an absolute path; keeping the previous value",
                  origin, e->group, e->key, value);
            return;
          }
        g_free (*slot);
        /* An empty value clears the setting (e.g. Compatible=). */
        *slot = value[0] != '\0' ? g_steal_pointer (&value) : NULL;
        return;
      }
    default:
      g_assert_not_reached ();
    }
}

void
updraft_config_merge_data (UpdraftConfig *self, const char *data, gsize len, const char *origin,
                           GPtrArray *warnings)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) groups = NULL;

  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, &local_error))
    {
      warn (warnings, "%s: %s; ignoring the whole file", origin, local_error->message);
      return;
    }

  groups = g_key_file_get_groups (kf, NULL);
  for (gsize g = 0; groups[g] != NULL; g++)
    {
      g_auto (GStrv) keys = NULL;

      if (!group_known (groups[g]))
        {
          warn (warnings, "%s: unknown group [%s]; ignoring it", origin, groups[g]);
          continue;
        }
      keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
      for (gsize k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          const SchemaEntry *e = find_entry (groups[g], keys[k]);

          if (e == NULL)
            {
              warn (warnings, "%s: unknown key %s in [%s]; ignoring it", origin, keys[k], groups[g]);
              continue;
            }
          apply_value (self, e, kf, origin, warnings);
        }
    }
}

/* Config files are small; anything bigger is a mistake, not a config. */
#define MAX_CONFIG_FILE_SIZE (256 * 1024)

static void
merge_file (UpdraftConfig *self, const char *path, gboolean must_be_regular, GPtrArray *warnings)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) local_error = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      if (must_be_regular)
        warn (warnings, "%s: not a regular file; ignoring it", path);
      return;
    }
  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      warn (warnings, "%s: %s; ignoring it", path, local_error->message);
      return;
    }
  if (len > MAX_CONFIG_FILE_SIZE)
    {
      warn (warnings, "%s: larger than %u bytes; ignoring it", path, MAX_CONFIG_FILE_SIZE);
      return;
    }
  updraft_config_merge_data (self, contents, len, path, warnings);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

UpdraftConfig *
updraft_config_load (const char *vendor_dir, const char *sysconf_dir, GPtrArray *warnings)
{
  g_autoptr (UpdraftConfig) self = updraft_config_new ();
  g_autofree char *vendor_file = g_build_filename (vendor_dir, "updraft.conf", NULL);
  g_autofree char *admin_file = g_build_filename (sysconf_dir, "updraft.conf", NULL);
  g_autofree char *dropin_dir = g_build_filename (sysconf_dir, "updraft.conf.d", NULL);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local_error = NULL;
  const char *name;

  merge_file (self, vendor_file, TRUE, warnings);
  merge_file (self, admin_file, TRUE, warnings);

  dir = g_dir_open (dropin_dir, 0, &local_error);
  if (dir == NULL)
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        warn (warnings, "%s: %s", dropin_dir, local_error->message);
      return g_steal_pointer (&self);
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_suffix (name, ".conf"))
        {
          warn (warnings, "%s/%s: drop-ins must end in .conf; ignoring it", dropin_dir, name);
          continue;
        }
      g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dropin_dir, names->pdata[i], NULL);
      merge_file (self, path, TRUE, warnings);
    }
  return g_steal_pointer (&self);
}
