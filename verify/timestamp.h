/*
 * timestamp.h - the time formats of SPEC §1.3, §1.5, §3 and §4.
 *
 * A lar_time counts 100-nanosecond ticks since 1970-01-01T00:00:00Z (the
 * resolution of .NET DateTime, so createdAt's seven fraction digits are
 * exact).  Years 0001-9999 only.  Calendar validity (month lengths, leap
 * years) is checked; leap seconds (:60) are rejected.
 *
 * Not for: local time, time zones other than UTC offsets, or clocks.
 */
#ifndef LAR_TIMESTAMP_H
#define LAR_TIMESTAMP_H

#include "lar.h"

typedef int64_t lar_time;
#define LAR_TIME_MIN INT64_MIN
#define LAR_TIME_MAX INT64_MAX
#define LAR_TICKS_PER_SEC 10000000LL
#define LAR_TICKS_PER_DAY (86400LL * LAR_TICKS_PER_SEC)

/* Payload form, exactly "yyyy-MM-ddTHH:mm:ss.fffffffZ" (28 chars, 7 digits).
 * LAR_OK or LAR_E_SYNTAX. */
lar_status lar_time_parse_payload(const char *s, size_t n, lar_time *out);

/* RFC 3339 in UTC, "YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z" (keyring not-before/after).
 * LAR_OK or LAR_E_SYNTAX. */
lar_status lar_time_parse_utc(const char *s, size_t n, lar_time *out);

/* An instant as a body may write it: "YYYY-MM-DDTHH:MM:SS[.f{1,7}]" then "Z"
 * or "+HH:MM" / "-HH:MM".  LAR_OK or LAR_E_SYNTAX. */
lar_status lar_time_parse_instant(const char *s, size_t n, lar_time *out);

/* "YYYY-MM-DD" (UTC midnight).  LAR_OK or LAR_E_SYNTAX. */
lar_status lar_time_parse_day(const char *s, size_t n, lar_time *out);

/* Writers; out is NUL-terminated.
 * payload: "yyyy-MM-ddTHH:mm:ss.fffffffZ" (29 bytes with NUL)
 * body:    fraction trailing zeros trimmed, no '.' when zero (at most 29 bytes)
 * day:     "YYYY-MM-DD" (11 bytes)     utc: "YYYY-MM-DDTHH:MM:SSZ" (21 bytes) */
void lar_time_format_payload(lar_time t, char out[29]);
void lar_time_format_body(lar_time t, char out[29]);
void lar_time_format_day(lar_time t, char out[11]);
void lar_time_format_utc(lar_time t, char out[21]);

#endif
