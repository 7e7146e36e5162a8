/*
 * test_timestamp.c - unit tests of the time formats (verify/timestamp.c):
 * valid and invalid dates and times for each parser, the bounds of years
 * 0001-9999, offsets and the ordering of instants, writers, and round trips.
 * Every day of 0001-9999 is checked against a naive day counter written here.
 * Not for: timing (a benchmark is not a test).
 */
#include "timestamp.h"
#include "tap.h"

#include <stdint.h>
#include <string.h>

/* Seconds since the epoch of well-known instants (from outside this project:
 * .NET DateTime.MinValue/MaxValue and POSIX time of 2000-03-01). */
#define T_0001 (-62135596800LL)
#define T_9999_END (253402300799LL) /* 9999-12-31T23:59:59Z */
#define T_2000_03_01 (951868800LL)

typedef lar_status (*parser)(const char *, size_t, lar_time *);

static int ok(parser p, const char *s, lar_time *t)
{
	lar_time dummy;
	return p(s, strlen(s), t ? t : &dummy) == LAR_OK;
}

static lar_time at(parser p, const char *s)
{
	lar_time t = 0;
	if (!ok(p, s, &t)) {
		CHECKM(0, "did not parse: %s", s);
		return LAR_TIME_MIN;
	}
	return t;
}

static void test_payload(void)
{
	lar_time t;

	CHECK(ok(lar_time_parse_payload, "1970-01-01T00:00:00.0000000Z", &t) && t == 0);
	CHECK(ok(lar_time_parse_payload, "1970-01-01T00:00:00.0000001Z", &t) && t == 1);
	CHECK(ok(lar_time_parse_payload, "1969-12-31T23:59:59.9999999Z", &t) && t == -1);
	CHECK(ok(lar_time_parse_payload, "2000-03-01T00:00:00.0000000Z", &t) &&
	      t == T_2000_03_01 * LAR_TICKS_PER_SEC);
	CHECK(ok(lar_time_parse_payload, "2026-08-15T12:29:47.1230000Z", &t));
	CHECK(ok(lar_time_parse_payload, "2024-02-29T23:59:59.9999999Z", NULL));
	CHECK(ok(lar_time_parse_payload, "0001-01-01T00:00:00.0000000Z", &t) &&
	      t == T_0001 * LAR_TICKS_PER_SEC);
	CHECK(ok(lar_time_parse_payload, "9999-12-31T23:59:59.9999999Z", &t) &&
	      t == T_9999_END * LAR_TICKS_PER_SEC + 9999999);

	static const char *bad[] = {
		"2026-02-29T00:00:00.0000000Z",      /* not a leap year */
		"1900-02-29T00:00:00.0000000Z",      /* century, not a leap year */
		"2026-04-31T00:00:00.0000000Z",      /* April has 30 days */
		"2026-06-31T00:00:00.0000000Z",      "2026-09-31T00:00:00.0000000Z",
		"2026-11-31T00:00:00.0000000Z",      "2026-01-32T00:00:00.0000000Z",
		"2026-13-01T00:00:00.0000000Z",      "2026-00-01T00:00:00.0000000Z",
		"2026-01-00T00:00:00.0000000Z",      "0000-01-01T00:00:00.0000000Z",
		"2026-01-01T24:00:00.0000000Z",      "2026-01-01T23:60:00.0000000Z",
		"2026-01-01T23:59:60.0000000Z",      /* leap second */
		"2026-01-01T00:00:00.123456Z",       /* 6 fraction digits */
		"2026-01-01T00:00:00.12345678Z",     /* 8 */
		"2026-01-01T00:00:00Z",              /* none */
		"2026-01-01T00:00:00.Z",             "2026-01-01t00:00:00.0000000Z", /* lower-case t */
		"2026-01-01T00:00:00.0000000z",      /* lower-case z */
		"2026-01-01T00:00:00.0000000+00:00", "2026-01-01T00:00:00.0000000",
		"2026-01-01 00:00:00.0000000Z",      "2026-01-01T00:00:00,0000000Z",
		" 2026-01-01T00:00:00.000000Z",      "2026-01-01T00:00:00.0000000Z ",
		"+2026-01-01T00:00:00.000000Z",      "-026-01-01T00:00:00.0000000Z",
		"2026-1-01T00:00:00.00000000Z",      "2026-01-01T0:00:00.00000000Z",
		"2026/01/01T00:00:00.0000000Z",      "2026-01-01T00-00-00.0000000Z",
		"2026-01-01T00:00:00.000000aZ",      "20260-1-01T00:00:00.0000000Z",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECKM(!ok(lar_time_parse_payload, bad[i], NULL), "payload accepted '%s'", bad[i]);
	/* an embedded NUL is not a digit */
	CHECK(lar_time_parse_payload("2026-01-01T00:00:00.00\0000000Z", 28, &t) != LAR_OK);
	CHECK(lar_time_parse_payload("2026-01-01T00:00:00.0000000Z", 27, &t) != LAR_OK);
	CHECK(lar_time_parse_payload(NULL, 0, &t) != LAR_OK);
}

static void test_utc_and_instant(void)
{
	lar_time t;

	/* 1-7 fraction digits, or none */
	CHECK(at(lar_time_parse_utc, "2026-03-01T00:00:00Z") == at(lar_time_parse_day, "2026-03-01"));
	CHECK(at(lar_time_parse_utc, "1970-01-01T00:00:00.5Z") == 5000000);
	CHECK(at(lar_time_parse_utc, "1970-01-01T00:00:00.05Z") == 500000);
	CHECK(at(lar_time_parse_utc, "1970-01-01T00:00:00.123456Z") == 1234560);
	CHECK(at(lar_time_parse_utc, "1970-01-01T00:00:00.1234567Z") == 1234567);
	CHECK(at(lar_time_parse_utc, "1970-01-01T00:00:01Z") == LAR_TICKS_PER_SEC);
	CHECK(at(lar_time_parse_utc, "1970-01-02T00:00:00Z") == LAR_TICKS_PER_DAY);
	CHECK(at(lar_time_parse_instant, "1970-01-01T00:00:00.1Z") == 1000000);

	static const char *bad_utc[] = {
		"2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00.123+01:00", "2026-01-01T00:00:00.12345678Z",
		"2026-01-01T00:00:00.Z",     "2026-01-01T00:00:00",           "2026-01-01T00:00:00z",
		"2026-01-01t00:00:00Z",      "2026-01-01T00:00Z",             "2026-01-01",
		"2026-01-01T00:00:00ZZ",     "2026-02-29T00:00:00Z",          "2026-01-01T00:00:00 Z",
	};
	for (size_t i = 0; i < sizeof bad_utc / sizeof bad_utc[0]; i++) {
		CHECKM(!ok(lar_time_parse_utc, bad_utc[i], NULL), "utc accepted '%s'", bad_utc[i]);
		if (strstr(bad_utc[i], "+") == NULL)
			CHECKM(!ok(lar_time_parse_instant, bad_utc[i], NULL), "instant accepted '%s'",
			       bad_utc[i]);
	}

	/* offsets: accepted by instant only, and applied */
	CHECK(!ok(lar_time_parse_payload, "2026-01-01T00:00:00.0000000+00:00", NULL));
	CHECK(!ok(lar_time_parse_utc, "2026-01-01T00:00:00+00:00", NULL));
	CHECK(ok(lar_time_parse_instant, "2026-01-01T00:00:00+00:00", &t) &&
	      t == at(lar_time_parse_utc, "2026-01-01T00:00:00Z"));
	CHECK(ok(lar_time_parse_instant, "2026-01-01T00:00:00-00:00", &t) &&
	      t == at(lar_time_parse_utc, "2026-01-01T00:00:00Z"));
	CHECK(at(lar_time_parse_instant, "2026-03-01T00:30:00+01:00") ==
	      at(lar_time_parse_utc, "2026-02-28T23:30:00Z"));
	CHECK(at(lar_time_parse_instant, "2026-02-28T20:00:00-05:00") ==
	      at(lar_time_parse_utc, "2026-03-01T01:00:00Z"));
	CHECK(at(lar_time_parse_instant, "2024-02-29T05:30:00.1234567+05:30") ==
	      at(lar_time_parse_payload, "2024-02-29T00:00:00.1234567Z"));
	CHECK(at(lar_time_parse_instant, "2026-08-15T12:29:47.123-23:59") ==
	      at(lar_time_parse_payload, "2026-08-16T12:28:47.1230000Z"));

	/* ordering: local clock readings disagree with the instants they name */
	lar_time a = at(lar_time_parse_instant, "2026-03-01T00:30:00+01:00"); /* 23:30Z on the 28th */
	lar_time b = at(lar_time_parse_instant, "2026-02-28T23:45:00Z");
	lar_time c = at(lar_time_parse_instant, "2026-02-28T19:00:00-05:00"); /* 00:00Z on the 1st */
	CHECK(a < b && b < c);
	CHECK(at(lar_time_parse_instant, "2026-01-01T00:00:00.0000001+00:01") <
	      at(lar_time_parse_instant, "2026-01-01T00:00:00.0000000Z"));

	static const char *bad_off[] = {
		"2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+01:60", "2026-01-01T00:00:00+0100",
		"2026-01-01T00:00:00+01",    "2026-01-01T00:00:00+1:00",  "2026-01-01T00:00:00+01:00Z",
		"2026-01-01T00:00:00 +01:00", "2026-01-01T00:00:00+01:00 ", "2026-01-01T00:00:00Z+01:00",
		"2026-01-01T00:00:00+-1:00", "2026-01-01T00:00:00.+01:00", "2026-01-01T00:00:00*01:00",
		"2026-01-01T00:00:00+01:0a",
	};
	for (size_t i = 0; i < sizeof bad_off / sizeof bad_off[0]; i++)
		CHECKM(!ok(lar_time_parse_instant, bad_off[i], NULL), "instant accepted '%s'", bad_off[i]);

	/* bounds: an offset may not carry an instant outside years 0001-9999 */
	CHECK(ok(lar_time_parse_instant, "0001-01-01T00:00:00Z", &t) && t == T_0001 * LAR_TICKS_PER_SEC);
	CHECK(!ok(lar_time_parse_instant, "0001-01-01T00:00:00+00:01", NULL));
	CHECK(ok(lar_time_parse_instant, "0001-01-01T00:00:00-00:01", &t) &&
	      t == (T_0001 + 60) * LAR_TICKS_PER_SEC);
	CHECK(ok(lar_time_parse_instant, "9999-12-31T23:59:59.9999999Z", NULL));
	CHECK(!ok(lar_time_parse_instant, "9999-12-31T23:59:59-00:01", NULL));
	CHECK(ok(lar_time_parse_instant, "9999-12-31T23:59:59+00:01", NULL));
	CHECK(ok(lar_time_parse_utc, "9999-12-31T23:59:59Z", &t) && t == T_9999_END * LAR_TICKS_PER_SEC);
}

static void test_day(void)
{
	lar_time t;

	CHECK(ok(lar_time_parse_day, "1970-01-01", &t) && t == 0);
	CHECK(ok(lar_time_parse_day, "1969-12-31", &t) && t == -LAR_TICKS_PER_DAY);
	CHECK(ok(lar_time_parse_day, "2024-02-29", &t));
	CHECK(ok(lar_time_parse_day, "2000-02-29", NULL)); /* divisible by 400 */
	CHECK(ok(lar_time_parse_day, "0001-01-01", &t) && t == T_0001 * LAR_TICKS_PER_SEC);
	CHECK(ok(lar_time_parse_day, "9999-12-31", &t) && t == (T_9999_END - 86399) * LAR_TICKS_PER_SEC);
	static const char *bad[] = { "2026-02-29", "2100-02-29", "2026-04-31", "0000-12-31", "2026-1-01",
				     "2026-01-1",  "20260101",   "2026-01-01Z", "2026-01-01T00:00:00Z",
				     " 2026-01-01", "2026-01-01 ", "+2026-01-01", "10000-01-01", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECKM(!ok(lar_time_parse_day, bad[i], NULL), "day accepted '%s'", bad[i]);
}

static void test_writers(void)
{
	char p[29], b[29], d[11], u[21];
	lar_time t;

	lar_time_format_payload(0, p);
	CHECK(strcmp(p, "1970-01-01T00:00:00.0000000Z") == 0);
	lar_time_format_body(0, b);
	CHECK(strcmp(b, "1970-01-01T00:00:00Z") == 0);
	lar_time_format_day(0, d);
	CHECK(strcmp(d, "1970-01-01") == 0);
	lar_time_format_utc(0, u);
	CHECK(strcmp(u, "1970-01-01T00:00:00Z") == 0);

	lar_time_format_payload(-1, p);
	CHECK(strcmp(p, "1969-12-31T23:59:59.9999999Z") == 0);
	lar_time_format_day(-1, d);
	CHECK(strcmp(d, "1969-12-31") == 0);

	/* SPEC §1.5 examples */
	t = at(lar_time_parse_payload, "2026-08-15T12:29:47.1230000Z");
	lar_time_format_body(t, b);
	CHECK(strcmp(b, "2026-08-15T12:29:47.123Z") == 0);
	t = at(lar_time_parse_payload, "2026-12-26T01:44:47.0000000Z");
	lar_time_format_body(t, b);
	CHECK(strcmp(b, "2026-12-26T01:44:47Z") == 0);
	t = at(lar_time_parse_payload, "2026-01-02T03:04:33.1234560Z");
	lar_time_format_body(t, b);
	CHECK(strcmp(b, "2026-01-02T03:04:33.123456Z") == 0);
	t = at(lar_time_parse_payload, "2026-01-02T03:04:33.0000001Z");
	lar_time_format_body(t, b);
	CHECK(strcmp(b, "2026-01-02T03:04:33.0000001Z") == 0);
	lar_time_format_utc(t, u);
	CHECK(strcmp(u, "2026-01-02T03:04:33Z") == 0);

	/* bounds, and clamping of ticks outside years 0001-9999 */
	lar_time_format_payload(T_0001 * LAR_TICKS_PER_SEC, p);
	CHECK(strcmp(p, "0001-01-01T00:00:00.0000000Z") == 0);
	lar_time_format_payload(T_9999_END * LAR_TICKS_PER_SEC + 9999999, p);
	CHECK(strcmp(p, "9999-12-31T23:59:59.9999999Z") == 0);
	lar_time_format_payload(LAR_TIME_MIN, p);
	CHECK(strcmp(p, "0001-01-01T00:00:00.0000000Z") == 0);
	lar_time_format_payload(LAR_TIME_MAX, p);
	CHECK(strcmp(p, "9999-12-31T23:59:59.9999999Z") == 0);
	lar_time_format_body(LAR_TIME_MAX, b);
	CHECK(strcmp(b, "9999-12-31T23:59:59.9999999Z") == 0);
	lar_time_format_day(LAR_TIME_MIN, d);
	CHECK(strcmp(d, "0001-01-01") == 0);
	lar_time_format_utc(LAR_TIME_MAX, u);
	CHECK(strcmp(u, "9999-12-31T23:59:59Z") == 0);
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
	return tap_xorshift(&rng);
}

static void test_roundtrip(void)
{
	const lar_time lo = T_0001 * LAR_TICKS_PER_SEC, hi = T_9999_END * LAR_TICKS_PER_SEC + 9999999;
	int bad = 0;

	for (int i = 0; i < 200000; i++) {
		lar_time t = lo + (lar_time)(rnd() % (uint64_t)(hi - lo + 1)), r;
		if (i % 4 == 1)
			t -= t % LAR_TICKS_PER_SEC; /* whole seconds */
		if (i % 4 == 2)
			t -= t % 10000;             /* milliseconds */
		if (t < lo)
			t = lo;
		char p[29], b[29], d[11], u[21];
		lar_time_format_payload(t, p);
		lar_time_format_body(t, b);
		lar_time_format_day(t, d);
		lar_time_format_utc(t, u);
		if (strlen(p) != 28 || lar_time_parse_payload(p, 28, &r) != LAR_OK || r != t)
			bad++;
		if (lar_time_parse_utc(b, strlen(b), &r) != LAR_OK || r != t)
			bad++;
		if (lar_time_parse_instant(b, strlen(b), &r) != LAR_OK || r != t)
			bad++;
		if (lar_time_parse_instant(p, 28, &r) != LAR_OK || r != t)
			bad++;
		/* body never ends in a zero fraction digit and is the payload form trimmed */
		size_t bn = strlen(b);
		if (bn < 20 || (bn > 20 && b[bn - 2] == '0') || memcmp(b, p, bn - 1) != 0)
			bad++;
		lar_time day = t - ((t % LAR_TICKS_PER_DAY) + LAR_TICKS_PER_DAY) % LAR_TICKS_PER_DAY;
		if (strlen(d) != 10 || lar_time_parse_day(d, 10, &r) != LAR_OK || r != day)
			bad++;
		lar_time sec = t - ((t % LAR_TICKS_PER_SEC) + LAR_TICKS_PER_SEC) % LAR_TICKS_PER_SEC;
		if (strlen(u) != 20 || lar_time_parse_utc(u, 20, &r) != LAR_OK || r != sec)
			bad++;
	}
	CHECKM(bad == 0, "%d round-trip failures", bad);
}

/* Every day of years 0001-9999 against a naive counter written here:
 * the parser and the writer agree with it and with each other. */
static void test_every_day(void)
{
	static const int mlen[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t days = T_0001 / 86400;
	int bad = 0, count = 0, leapdays = 0;

	for (int y = 1; y <= 9999; y++) {
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		for (int m = 1; m <= 12; m++) {
			int ml = mlen[m] + (m == 2 && leap);
			for (int dd = 1; dd <= ml + 1; dd++) {
				char s[11], w[11];
				lar_time t;
				s[0] = (char)('0' + y / 1000);
				s[1] = (char)('0' + y / 100 % 10);
				s[2] = (char)('0' + y / 10 % 10);
				s[3] = (char)('0' + y % 10);
				s[4] = s[7] = '-';
				s[5] = (char)('0' + m / 10);
				s[6] = (char)('0' + m % 10);
				s[8] = (char)('0' + dd / 10);
				s[9] = (char)('0' + dd % 10);
				s[10] = 0;
				int parsed = lar_time_parse_day(s, 10, &t) == LAR_OK;
				if (dd == ml + 1) {
					/* the day after the month's last is invalid */
					if (parsed)
						bad++;
					continue;
				}
				count++;
				leapdays += m == 2 && dd == 29;
				if (!parsed || t != days * LAR_TICKS_PER_DAY) {
					bad++;
				} else {
					lar_time_format_day(t + LAR_TICKS_PER_DAY - 1, w);
					if (memcmp(w, s, 11) != 0)
						bad++;
				}
				days++;
			}
		}
	}
	CHECKM(bad == 0, "%d day errors", bad);
	CHECK(count == 3652059); /* days in 0001-9999 (DateTime.MaxValue.Ticks / TicksPerDay + 1) */
	CHECK(leapdays == 2424);
	CHECK(days * 86400 == T_9999_END + 1);
}

int main(void)
{
	test_payload();
	test_utc_and_instant();
	test_day();
	test_writers();
	test_roundtrip();
	test_every_day();
	return tap_done();
}
