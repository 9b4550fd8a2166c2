/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ed25519 signatures in OSTree's own format, made and checked with OpenSSL.
 *
 * Format (what upstream `ostree sign --sign-type=ed25519` writes):
 *  - signed bytes: the commit object file, or the raw `summary` file;
 *  - signatures: key "ostree.sign.ed25519", type "aay", 64 bytes each, in the
 *    commit's detached metadata or in summary.sig (both a{sv});
 *  - public keys: base64 of the raw 32 bytes, one per line;
 *  - secret keys (libostree's form): base64 of 64 bytes, seed then public key.
 *
 * Updraft's publisher also writes "updraft.sign.ed25519.keys" (aay, the public
 * key of each signature, same order). It is a hint for error messages only:
 * it is not signed and never changes a verdict. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UPDRAFT_SIGN_ED25519_KEY      "ostree.sign.ed25519"
#define UPDRAFT_SIGN_ED25519_HINT_KEY "updraft.sign.ed25519.keys"
#define UPDRAFT_ED25519_PUBLIC_KEY_LEN 32
#define UPDRAFT_ED25519_SEED_LEN       32
#define UPDRAFT_ED25519_SIGNATURE_LEN  64
/* More signatures than this on one object is an attack, not key rotation. */
#define UPDRAFT_SIGN_MAX_SIGNATURES    16
/* Key files hold a handful of keys; anything beyond this is refused. */
#define UPDRAFT_KEYFILE_MAX_SIZE       (64 * 1024)
#define UPDRAFT_KEYRING_MAX_KEYS       1024

/* A short, stable name for a public key: the first 16 hex digits of the
 * SHA-256 of its 32 raw bytes. Shown to users; never used for trust. */
char *updraft_key_id (const guint8 public_key[UPDRAFT_ED25519_PUBLIC_KEY_LEN]);

/* Parses a public key file: one base64 key per line, blank lines and lines
 * starting with '#' ignored. Returns an array of GBytes (32 bytes each).
 * Any malformed line fails the whole file with UPDRAFT_ERROR_METADATA_INVALID
 * naming @origin and the line number. */
GPtrArray *updraft_parse_public_keys (const char *data, gsize len, const char *origin,
                                      GError **error);

/* Trusted and revoked public keys. Revoked wins over trusted. */
typedef struct _UpdraftKeyring UpdraftKeyring;

UpdraftKeyring *updraft_keyring_new (void);
UpdraftKeyring *updraft_keyring_ref (UpdraftKeyring *self);
void updraft_keyring_unref (UpdraftKeyring *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftKeyring, updraft_keyring_unref)

void updraft_keyring_add_trusted (UpdraftKeyring *self, GBytes *public_key);
void updraft_keyring_add_revoked (UpdraftKeyring *self, GBytes *public_key);
/* A file of keys, or a directory whose regular files (sorted, hidden files
 * skipped) are key files. A missing path is not an error. */
gboolean updraft_keyring_load_trusted (UpdraftKeyring *self, const char *path, GError **error);
gboolean updraft_keyring_load_revoked (UpdraftKeyring *self, const char *path, GError **error);
/* Loads @path (a key file or a directory of them) for a device: a file that
 * fails to parse is skipped and its error appended to @warnings, so one bad
 * file cannot lock a device out of updates signed with other keys. For a
 * revoked list (@revoked) that would fail open, so instead the keyring then
 * refuses every signature (UPDRAFT_ERROR_CONFIG) until the file is fixed. */
void updraft_keyring_load_lenient (UpdraftKeyring *self, const char *path, gboolean revoked,
                                   GPtrArray *warnings);
/* The reason revocation is unknown, or NULL. */
const char *updraft_keyring_get_revocation_error (UpdraftKeyring *self);
/* OSTree's locations under @root ("/" on a device):
 * etc/ostree/{trusted,revoked}.ed25519(.d) and usr/share/ostree/..., loaded
 * with updraft_keyring_load_lenient(). */
void updraft_keyring_load_ostree_defaults (UpdraftKeyring *self, const char *root,
                                           GPtrArray *warnings);
guint updraft_keyring_n_trusted (UpdraftKeyring *self);
guint updraft_keyring_n_revoked (UpdraftKeyring *self);
gboolean updraft_keyring_is_trusted (UpdraftKeyring *self, GBytes *public_key);
gboolean updraft_keyring_is_revoked (UpdraftKeyring *self, GBytes *public_key);

/* Checks @signed_data against the signatures in @metadata (an a{sv}: detached
 * commit metadata or summary.sig; may be NULL). @what names the object in
 * messages, e.g. "commit 1a2b3c…" or "summary".
 *
 * Succeeds when any signature verifies with any trusted, non-revoked key, and
 * returns that key's id. Otherwise, in this order:
 *  - UPDRAFT_ERROR_CONFIG: a revoked-key list could not be read;
 *  - UPDRAFT_ERROR_METADATA_INVALID: the key has the wrong type, or more than
 *    UPDRAFT_SIGN_MAX_SIGNATURES signatures;
 *  - UPDRAFT_ERROR_SIGNATURE_MISSING: no metadata, no signature key, or an
 *    empty list;
 *  - UPDRAFT_ERROR_KEY_REVOKED: a signature verifies with a revoked key
 *    (message names the key id);
 *  - UPDRAFT_ERROR_UNTRUSTED_KEY: the keyring has no trusted key, or the
 *    publisher's hint names only keys this device does not trust, or there is
 *    no hint (message names the hinted key ids when there are some);
 *  - UPDRAFT_ERROR_SIGNATURE_INVALID: a hint names a trusted key but its
 *    signature does not verify (other bytes, garbled, wrong length). */
gboolean updraft_verify_signatures (UpdraftKeyring *keyring, GBytes *signed_data,
                                    GVariant *metadata, const char *what, char **out_key_id,
                                    GError **error);

/* Signing (the publisher's side). A secret key in libostree's form. */
typedef struct _UpdraftSecretKey UpdraftSecretKey;

/* Reads a secret key from @path. Accepted forms: libostree's base64 of 64
 * bytes (seed then public key; the public half is checked against the seed),
 * and a PEM or DER PKCS#8 Ed25519 private key as `openssl genpkey` writes.
 * Refuses files readable by group or others. This is the one place keys are
 * loaded, so a PKCS#11 or provider URI can be added here later. */
UpdraftSecretKey *updraft_secret_key_load (const char *path, GError **error);
/* A new random key. */
UpdraftSecretKey *updraft_secret_key_generate (GError **error);
void updraft_secret_key_free (UpdraftSecretKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdraftSecretKey, updraft_secret_key_free)

GBytes *updraft_secret_key_get_public (UpdraftSecretKey *key);
/* libostree's secret key form: base64 of seed || public key, with a newline. */
char *updraft_secret_key_to_base64 (UpdraftSecretKey *key);
/* A 64-byte signature over @data. */
GBytes *updraft_secret_key_sign (UpdraftSecretKey *key, GBytes *data, GError **error);

/* Returns a copy of @metadata (a{sv} or NULL) with @signature appended to the
 * ostree.sign.ed25519 list (created if absent) and @public_key to the hint
 * list. Other keys are kept. A signature already present is not added twice. */
GVariant *updraft_metadata_add_signature (GVariant *metadata, GBytes *signature,
                                          GBytes *public_key);

G_END_DECLS
