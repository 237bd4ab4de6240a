/* gtime: gnomon's one time type and every conversion to and from it.
 *
 * Times and intervals are signed 64-bit nanoseconds (gt_ns). An absolute
 * time is nanoseconds since the Unix epoch on the scale of the clock it came
 * from; that range (1678..2262) covers every NTP era we can meet.
 * NTP timestamps (RFC 5905 §6) carry no era, so decoding one needs a pivot:
 * the 136-year window centred on the pivot picks the era. */
#ifndef GNOMON_GTIME_H
#define GNOMON_GTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef int64_t gt_ns;

#define GT_NS_PER_S   INT64_C(1000000000)
#define GT_NS_PER_MS  INT64_C(1000000)
#define GT_NS_PER_US  INT64_C(1000)

/* Seconds from 1900-01-01 (NTP era 0 origin) to 1970-01-01. */
#define GT_NTP_UNIX_OFFSET INT64_C(2208988800)

/* Current time of a POSIX clock in ns (CLOCK_REALTIME, CLOCK_MONOTONIC, ...). */
gt_ns gt_now(clockid_t id);

gt_ns gt_from_timespec(const struct timespec *ts);
struct timespec gt_to_timespec(gt_ns t);
double gt_to_sec(gt_ns t);
/* Seconds to ns, rounded to nearest; saturates at the int64 range. */
gt_ns gt_from_sec(double s);

/* NTP 64-bit timestamp (32.32 seconds since the era origin), host order. */
typedef uint64_t ntp_ts;

/* Unix ns -> NTP timestamp; the era is dropped (RFC 5905 §6). Rounds the
 * fraction to nearest. */
ntp_ts ntp_ts_from_ns(gt_ns t);
/* NTP timestamp -> Unix ns, choosing the era that puts the result within
 * ±2^31 s of pivot (RFC 5905 §6: era arithmetic). */
gt_ns ntp_ts_to_ns(ntp_ts ts, gt_ns pivot);
/* NTP timestamp -> Unix ns without a pivot, by the RFC 4330 §3 rule: MSB set
 * means era 0 (1968-2036), MSB clear era 1 (2036-2104). */
gt_ns ntp_ts_to_ns_split(ntp_ts ts);
/* Signed difference a - b of two timestamps of neighbouring eras, in ns;
 * correct whenever |a - b| < 68 years (RFC 5905 §6). */
gt_ns ntp_ts_diff(ntp_ts a, ntp_ts b);

/* NTP short format (16.16 unsigned seconds, RFC 5905 §6): ns <-> short,
 * saturating at 0 and 65535.99998 s; rounds up so a bound is never
 * under-stated. */
uint32_t ntp_short_from_ns(gt_ns t);
gt_ns ntp_short_to_ns(uint32_t s);

#endif
