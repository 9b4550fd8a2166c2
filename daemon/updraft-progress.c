/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rate, time left, percent and stall detection. */
#include "config.h"

#include <string.h>

#include "updraft-progress.h"

void
updraft_rate_meter_init (UpdraftRateMeter *meter)
{
  memset (meter, 0, sizeof *meter);
}

void
updraft_rate_meter_add (UpdraftRateMeter *meter, gint64 now_usec, guint64 bytes)
{
  meter->time[meter->head] = now_usec;
  meter->bytes[meter->head] = bytes;
  meter->head = (meter->head + 1) % UPDRAFT_RATE_SAMPLES;
  if (meter->count < UPDRAFT_RATE_SAMPLES)
    meter->count++;
}

guint64
updraft_rate_meter_rate (const UpdraftRateMeter *meter)
{
  guint newest, oldest;
  gint64 span;

  if (meter->count < 2)
    return 0;
  newest = (meter->head + UPDRAFT_RATE_SAMPLES - 1) % UPDRAFT_RATE_SAMPLES;
  /* Walk back to the oldest sample still inside the window. */
  oldest = newest;
  for (guint i = 1; i < meter->count; i++)
    {
      guint idx = (newest + UPDRAFT_RATE_SAMPLES - i) % UPDRAFT_RATE_SAMPLES;
      if (meter->time[newest] - meter->time[idx] > UPDRAFT_RATE_WINDOW_USEC)
        break;
      oldest = idx;
    }
  span = meter->time[newest] - meter->time[oldest];
  if (span < G_USEC_PER_SEC / 5 || meter->bytes[newest] < meter->bytes[oldest])
    return 0;
  return (guint64) ((double) (meter->bytes[newest] - meter->bytes[oldest]) * G_USEC_PER_SEC /
                    (double) span);
}

gint64
updraft_progress_seconds_left (guint64 done, guint64 total, guint64 rate)
{
  if (total == 0 || rate == 0)
    return -1;
  if (done >= total)
    return 0;
  return (gint64) ((total - done + rate - 1) / rate);
}

guint
updraft_progress_percent (guint64 done, guint64 total)
{
  guint64 pct;

  if (total == 0)
    return 0;
  if (done >= total)
    return done == total ? 100 : 99;
  pct = (guint64) ((double) done * 100.0 / (double) total);
  return (guint) MIN (pct, 99);
}

void
updraft_stall_detector_init (UpdraftStallDetector *d, gint64 now_usec, gint64 timeout_usec)
{
  d->mark_time = now_usec;
  d->mark_bytes = 0;
  d->timeout_usec = timeout_usec;
}

gboolean
updraft_stall_detector_update (UpdraftStallDetector *d, gint64 now_usec, guint64 bytes)
{
  if (d->timeout_usec <= 0)
    return FALSE;
  if (bytes >= d->mark_bytes + UPDRAFT_STALL_MIN_BYTES)
    {
      d->mark_bytes = bytes;
      d->mark_time = now_usec;
      return FALSE;
    }
  return now_usec - d->mark_time > d->timeout_usec;
}
