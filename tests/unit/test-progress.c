/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "updraft-progress.h"

#define SEC G_USEC_PER_SEC

static void
test_rate_window (void)
{
  UpdraftRateMeter m;

  updraft_rate_meter_init (&m);
  g_assert_cmpuint (updraft_rate_meter_rate (&m), ==, 0);
  updraft_rate_meter_add (&m, 0, 0);
  g_assert_cmpuint (updraft_rate_meter_rate (&m), ==, 0);
  /* 1 MB/s for 10 seconds, sampled every 100 ms. */
  for (int i = 1; i <= 100; i++)
    updraft_rate_meter_add (&m, i * SEC / 10, (guint64) i * 100000);
  g_assert_cmpuint (updraft_rate_meter_rate (&m), ==, 1000000);
  /* It slows to 100 kB/s: after the 5 s window, the rate is the new one. */
  for (int i = 1; i <= 60; i++)
    updraft_rate_meter_add (&m, 10 * SEC + i * SEC / 10, 10000000 + (guint64) i * 10000);
  g_assert_cmpuint (updraft_rate_meter_rate (&m), ==, 100000);
}

static void
test_rate_needs_time (void)
{
  UpdraftRateMeter m;

  updraft_rate_meter_init (&m);
  updraft_rate_meter_add (&m, 0, 0);
  updraft_rate_meter_add (&m, SEC / 10, 1000);
  g_assert_cmpuint (updraft_rate_meter_rate (&m), ==, 0);
}

static void
test_eta_and_percent (void)
{
  g_assert_cmpint (updraft_progress_seconds_left (0, 0, 100), ==, -1);
  g_assert_cmpint (updraft_progress_seconds_left (0, 1000, 0), ==, -1);
  g_assert_cmpint (updraft_progress_seconds_left (500, 1000, 100), ==, 5);
  g_assert_cmpint (updraft_progress_seconds_left (999, 1000, 100), ==, 1);
  g_assert_cmpint (updraft_progress_seconds_left (2000, 1000, 100), ==, 0);

  g_assert_cmpuint (updraft_progress_percent (0, 0), ==, 0);
  g_assert_cmpuint (updraft_progress_percent (50, 200), ==, 25);
  g_assert_cmpuint (updraft_progress_percent (1999, 2000), ==, 99);
  g_assert_cmpuint (updraft_progress_percent (2000, 2000), ==, 100);
  /* An estimate that was too low never shows more than 99%. */
  g_assert_cmpuint (updraft_progress_percent (3000, 2000), ==, 99);
}

static void
test_stall (void)
{
  UpdraftStallDetector d;

  updraft_stall_detector_init (&d, 0, 10 * SEC);
  g_assert_false (updraft_stall_detector_update (&d, 5 * SEC, 0));
  g_assert_true (updraft_stall_detector_update (&d, 11 * SEC, 100));
  updraft_stall_detector_init (&d, 0, 10 * SEC);
  /* Steady progress never stalls. */
  for (int i = 1; i < 100; i++)
    g_assert_false (updraft_stall_detector_update (&d, i * SEC, (guint64) i * 2048));
  /* A trickle under 1 KiB per window does. */
  g_assert_false (updraft_stall_detector_update (&d, 105 * SEC, 99 * 2048 + 500));
  g_assert_true (updraft_stall_detector_update (&d, 110 * SEC, 99 * 2048 + 900));
  /* A zero timeout disables it. */
  updraft_stall_detector_init (&d, 0, 0);
  g_assert_false (updraft_stall_detector_update (&d, 1000 * SEC, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/progress/rate-window", test_rate_window);
  g_test_add_func ("/progress/rate-needs-time", test_rate_needs_time);
  g_test_add_func ("/progress/eta-and-percent", test_eta_and_percent);
  g_test_add_func ("/progress/stall", test_stall);
  return g_test_run ();
}
