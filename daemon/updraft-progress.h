/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Arithmetic for progress reports: transfer rate over a sliding window,
 * time left, percent, and stall detection. Pure functions of the samples
 * they are given, so they can be tested without a network. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UPDRAFT_RATE_WINDOW_USEC (5 * G_USEC_PER_SEC)
#define UPDRAFT_RATE_SAMPLES     64

typedef struct
{
  gint64 time[UPDRAFT_RATE_SAMPLES];
  guint64 bytes[UPDRAFT_RATE_SAMPLES];
  guint head;  /* next slot to write */
  guint count;
} UpdraftRateMeter;

void updraft_rate_meter_init (UpdraftRateMeter *meter);
/* Records that @bytes had been transferred at @now_usec (monotonic). */
void updraft_rate_meter_add (UpdraftRateMeter *meter, gint64 now_usec, guint64 bytes);
/* Bytes per second over the last UPDRAFT_RATE_WINDOW_USEC; 0 until two
 * samples at least 200 ms apart exist. */
guint64 updraft_rate_meter_rate (const UpdraftRateMeter *meter);

/* Seconds until @total at @rate; -1 when unknown (no total or no rate). */
gint64 updraft_progress_seconds_left (guint64 done, guint64 total, guint64 rate);
/* 0..100; 99 at most until @done reaches @total, 0 when @total is unknown. */
guint updraft_progress_percent (guint64 done, guint64 total);

/* A transfer is stalled when it moved fewer than UPDRAFT_STALL_MIN_BYTES in
 * the last @timeout_usec. */
#define UPDRAFT_STALL_MIN_BYTES 1024

typedef struct
{
  gint64 mark_time;
  guint64 mark_bytes;
  gint64 timeout_usec;
} UpdraftStallDetector;

void updraft_stall_detector_init (UpdraftStallDetector *d, gint64 now_usec, gint64 timeout_usec);
/* Returns TRUE when the transfer has stalled. A timeout of 0 never stalls. */
gboolean updraft_stall_detector_update (UpdraftStallDetector *d, gint64 now_usec, guint64 bytes);

G_END_DECLS
