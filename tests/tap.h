/*
 * tap.h - the tiny assertion harness of the unit tests.
 *
 * CHECK(cond) records a failure with file and line and goes on; the test's
 * main returns tap_done(), which prints "N passed, N failed" and exits 1 on
 * any failure.  tap_skip() exits 77, which ctest reports as skipped.
 * Not for: anything but tests.
 */
#ifndef LAR_TAP_H
#define LAR_TAP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_pass, tap_fail;

#define CHECK(cond) tap_check(!!(cond), #cond, __FILE__, __LINE__, NULL)
#define CHECKM(cond, ...)                                                                   \
	do {                                                                                \
		char tap_m_[512];                                                           \
		snprintf(tap_m_, sizeof tap_m_, __VA_ARGS__);                               \
		tap_check(!!(cond), #cond, __FILE__, __LINE__, tap_m_);                     \
	} while (0)

static inline int tap_check(int ok, const char *expr, const char *file, int line, const char *msg)
{
	if (ok) {
		tap_pass++;
	} else {
		tap_fail++;
		fprintf(stderr, "%s:%d: check failed: %s%s%s\n", file, line, expr, msg ? " -- " : "",
			msg ? msg : "");
	}
	return ok;
}

static inline int tap_done(void)
{
	printf("%d passed, %d failed\n", tap_pass, tap_fail);
	return tap_fail ? 1 : 0;
}

/* The next value of the xorshift64 generator whose state (not 0) is *s:
 * random test data that its seed fixes, the same on every run. */
static inline uint64_t tap_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline void tap_skip(const char *why)
{
	printf("skipped: %s\n", why);
	exit(77);
}

/* Read a whole file into a malloc'd NUL-terminated buffer; NULL on error. */
static inline char *tap_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	size_t r;
	while (p != NULL && (r = fread(p + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *q = realloc(p, cap * 2);
			if (q == NULL) {
				free(p);
				p = NULL;
				break;
			}
			p = q;
			cap *= 2;
		}
	}
	fclose(f);
	if (p != NULL) {
		p[n] = 0;
		if (len)
			*len = n;
	}
	return p;
}

/* $LAR_SHARED/<rel> when it exists, else NULL (caller skips). */
static inline const char *tap_shared(const char *rel, char *buf, size_t bufsz)
{
	const char *s = getenv("LAR_SHARED");
	if (s == NULL || *s == 0)
		return NULL;
	snprintf(buf, bufsz, "%s/%s", s, rel);
	FILE *f = fopen(buf, "rb");
	if (f != NULL) {
		fclose(f);
		return buf;
	}
	return NULL;
}

#endif
