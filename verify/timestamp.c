/*
 * timestamp.c - parsers and writers for the time formats of SPEC §1.3
 * (createdAt), §1.5 (body times), §3 (keyring not-before/not-after) and §4
 * (DAY arguments), on lar_time: 100 ns ticks since the Unix epoch.
 *
 * Calendar arithmetic is days-from-civil / civil-from-days on the proleptic
 * Gregorian calendar, so nothing depends on the process's time zone or on
 * timegm()/mktime().  Every parser accepts exact digit counts only (no signs,
 * spaces or lower-case 't'/'z') and checks the calendar: month lengths, leap
 * years, hour < 24, minute and second < 60.  An instant whose UTC value falls
 * outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.9999999Z (possible only
 * through an offset) is rejected, so every parsed time can be written back.
 *
 * Not for: local time, named time zones, leap seconds, or reading clocks.
 */
#include "timestamp.h"

#define SECS_PER_DAY 86400

enum mode {
	M_PAYLOAD, /* .fffffff and Z required */
	M_UTC,     /* optional 1-7 fraction digits, Z */
	M_INSTANT, /* as M_UTC, or a +HH:MM / -HH:MM offset */
};

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian; y >= 1). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = y / 400; /* y >= 0 here: years start at 0001 */
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

/* Inverse of days_from_civil for days of years 0001-9999. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = z / 146097; /* z >= 0 for years >= 1 */
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(era * 400 + yoe) + (*m <= 2);
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int len[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : len[m];
}

/* The first and last tick of years 0001-9999. */
static lar_time time_min(void)
{
	return days_from_civil(1, 1, 1) * LAR_TICKS_PER_DAY;
}

static lar_time time_max(void)
{
	return (days_from_civil(9999, 12, 31) + 1) * LAR_TICKS_PER_DAY - 1;
}

/* Exactly n ASCII digits at s into *v; 0 when any is not a digit. */
static int digits(const char *s, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i] - (unsigned)'0';
		if (c > 9)
			return 0;
		x = x * 10 + (int)c;
	}
	*v = x;
	return 1;
}

/* "YYYY-MM-DD" at s[0..10) into days since the epoch; 0 when invalid. */
static int parse_date(const char *s, int64_t *days)
{
	int y, m, d;

	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' || !digits(s + 8, 2, &d))
		return 0;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return 0;
	*days = days_from_civil(y, m, d);
	return 1;
}

/* "HH:MM:SS" at s[0..8) into seconds of the day; leap seconds rejected. */
static int parse_clock(const char *s, int64_t *secs)
{
	int h, mi, se;

	if (!digits(s, 2, &h) || s[2] != ':' || !digits(s + 3, 2, &mi) || s[5] != ':' ||
	    !digits(s + 6, 2, &se))
		return 0;
	if (h > 23 || mi > 59 || se > 59)
		return 0;
	*secs = h * 3600 + mi * 60 + se;
	return 1;
}

static lar_status parse(const char *s, size_t n, enum mode mode, lar_time *out)
{
	static const int scale[8] = { 0, 1000000, 100000, 10000, 1000, 100, 10, 1 };
	int64_t days, secs, frac = 0, off = 0;
	size_t i = 19;

	/* the shortest form is "YYYY-MM-DDTHH:MM:SSZ" */
	if (s == NULL || n < 20)
		return LAR_E_SYNTAX;
	if (!parse_date(s, &days) || s[10] != 'T' || !parse_clock(s + 11, &secs))
		return LAR_E_SYNTAX;
	if (s[i] == '.') {
		int nd = 0, f = 0;
		for (i++; i < n && nd < 7 && (unsigned)((unsigned char)s[i] - '0') <= 9; i++, nd++)
			f = f * 10 + (s[i] - '0');
		/* an eighth digit is left at s[i] and fails the zone check */
		if (nd == 0)
			return LAR_E_SYNTAX;
		/* SPEC §1.3: createdAt always has exactly 7 fraction digits */
		if (mode == M_PAYLOAD && nd != 7)
			return LAR_E_SYNTAX;
		frac = (int64_t)f * scale[nd];
	} else if (mode == M_PAYLOAD) {
		return LAR_E_SYNTAX;
	}
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (mode == M_INSTANT && i < n && (s[i] == '+' || s[i] == '-') && n - i >= 6) {
		int oh, om;
		if (!digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || !digits(s + i + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return LAR_E_SYNTAX;
		off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return LAR_E_SYNTAX;
	}
	if (i != n)
		return LAR_E_SYNTAX;

	/* local time minus its offset is UTC */
	lar_time t = ((days * SECS_PER_DAY + secs) - off) * LAR_TICKS_PER_SEC + frac;
	if (t < time_min() || t > time_max())
		return LAR_E_SYNTAX;
	*out = t;
	return LAR_OK;
}

lar_status lar_time_parse_payload(const char *s, size_t n, lar_time *out)
{
	/* SPEC §1.3: "yyyy-MM-ddTHH:mm:ss.fffffffZ", 28 characters */
	if (n != 28)
		return LAR_E_SYNTAX;
	return parse(s, n, M_PAYLOAD, out);
}

lar_status lar_time_parse_utc(const char *s, size_t n, lar_time *out)
{
	return parse(s, n, M_UTC, out);
}

lar_status lar_time_parse_instant(const char *s, size_t n, lar_time *out)
{
	return parse(s, n, M_INSTANT, out);
}

lar_status lar_time_parse_day(const char *s, size_t n, lar_time *out)
{
	int64_t days;

	if (s == NULL || n != 10 || !parse_date(s, &days))
		return LAR_E_SYNTAX;
	*out = days * LAR_TICKS_PER_DAY;
	return LAR_OK;
}

/* ---- writers ---- */

struct civil {
	int y, m, d, hh, mm, ss;
	int frac; /* ticks within the second, 0..9999999 */
};

/* Split t, clamped to years 0001-9999 so the fixed-width writers always fit. */
static void split(lar_time t, struct civil *c)
{
	lar_time lo = time_min(), hi = time_max();

	if (t < lo)
		t = lo;
	if (t > hi)
		t = hi;
	/* floor division: times before the epoch are negative */
	int64_t days = t / LAR_TICKS_PER_DAY, rem = t % LAR_TICKS_PER_DAY;
	if (rem < 0) {
		rem += LAR_TICKS_PER_DAY;
		days--;
	}
	civil_from_days(days, &c->y, &c->m, &c->d);
	int64_t secs = rem / LAR_TICKS_PER_SEC;
	c->frac = (int)(rem % LAR_TICKS_PER_SEC);
	c->hh = (int)(secs / 3600);
	c->mm = (int)(secs / 60 % 60);
	c->ss = (int)(secs % 60);
}

static char *put(char *o, int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return o + width;
}

/* "YYYY-MM-DD" at o; returns the end. */
static char *put_date(char *o, const struct civil *c)
{
	o = put(o, c->y, 4);
	*o++ = '-';
	o = put(o, c->m, 2);
	*o++ = '-';
	return put(o, c->d, 2);
}

/* "YYYY-MM-DDTHH:MM:SS" at o; returns the end. */
static char *put_datetime(char *o, const struct civil *c)
{
	o = put_date(o, c);
	*o++ = 'T';
	o = put(o, c->hh, 2);
	*o++ = ':';
	o = put(o, c->mm, 2);
	*o++ = ':';
	return put(o, c->ss, 2);
}

void lar_time_format_payload(lar_time t, char out[29])
{
	struct civil c;
	char *o;

	split(t, &c);
	o = put_datetime(out, &c);
	*o++ = '.';
	o = put(o, c.frac, 7);
	*o++ = 'Z';
	*o = 0;
}

void lar_time_format_body(lar_time t, char out[29])
{
	struct civil c;
	char *o;

	split(t, &c);
	o = put_datetime(out, &c);
	/* SPEC §1.5: trailing fraction zeros trimmed, no '.' when the fraction is zero */
	if (c.frac != 0) {
		int f = c.frac, nd = 7;
		while (f % 10 == 0) {
			f /= 10;
			nd--;
		}
		*o++ = '.';
		o = put(o, f, nd);
	}
	*o++ = 'Z';
	*o = 0;
}

void lar_time_format_day(lar_time t, char out[11])
{
	struct civil c;

	split(t, &c);
	*put_date(out, &c) = 0;
}

void lar_time_format_utc(lar_time t, char out[21])
{
	struct civil c;
	char *o;

	split(t, &c);
	o = put_datetime(out, &c);
	*o++ = 'Z';
	*o = 0;
}
