/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What updraftctl prints: JSON for scripts, a progress bar for terminals,
 * plain lines for logs, and the human status summary. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* JSON text for any GVariant: dictionaries become objects, arrays arrays,
 * tuples arrays, byte strings hex. */
char *updraftctl_variant_to_json (GVariant *value);

/* Prints the status summary of a GetAll result (a{sv}). */
void updraftctl_print_status (GVariant *properties);

typedef struct
{
  gboolean tty;       /* redraw one line */
  guint last_percent; /* for plain output: print on change */
  char *last_phase;
  gboolean drawn;     /* a bar is on screen and needs a newline */
} UpdraftctlProgress;

void updraftctl_progress_init (UpdraftctlProgress *p, gboolean tty);
/* @progress is the Progress property (a{sv}). */
void updraftctl_progress_show (UpdraftctlProgress *p, GVariant *progress);
/* Ends the bar's line, if one is drawn. */
void updraftctl_progress_finish (UpdraftctlProgress *p);
void updraftctl_progress_clear (UpdraftctlProgress *p);

/* "1.2 MB" style sizes and "1 min 5 s" durations. */
char *updraftctl_format_duration (gint64 seconds);

G_END_DECLS
