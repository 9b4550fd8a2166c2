/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The glue between OpenSSL and GLib: automatic cleanup for the OpenSSL types
 * Updraft uses, and the one place OpenSSL's error queue becomes GError text. */
#pragma once

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free_all)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_DECODER_CTX, OSSL_DECODER_CTX_free)

/* Sets @error (UPDRAFT_ERROR, @code) to "@what: " followed by the reasons on
 * this thread's OpenSSL error queue, and empties the queue so that stale
 * entries never show up in a later, unrelated message. @error may be NULL, in
 * which case the queue is still emptied. */
void updraft_openssl_set_error (GError **error, gint code, const char *what);

G_END_DECLS
