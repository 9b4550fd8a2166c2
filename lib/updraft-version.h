/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Comparing the "version" strings publishers put in commit metadata. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Compares two version strings the way package managers do (rpmvercmp):
 * runs of digits compare numerically, runs of letters lexically, separators
 * only split; "1.10" > "1.9", "2.0" > "2.0~rc1" ('~' sorts before anything).
 * Returns <0, 0 or >0. */
int updraft_version_compare (const char *a, const char *b);

G_END_DECLS
