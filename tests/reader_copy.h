/*
 * reader_copy.h - for the tests that compile a copy of verify/reader.c with
 * other settings beside the library's own reader: define READER_COPY (the
 * prefix of the copy's names, e.g. ref gives ref_reader_next) and any of
 * reader.c's settings (LAR_READER_NO_MEMO, READ_CHUNK, ...), then include
 * this.  It also gives the helpers such tests share: a descriptor reading
 * a string, and a record judged by the strict parser.
 */
#ifndef LAR_TESTS_READER_COPY_H
#define LAR_TESTS_READER_COPY_H

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define COPY_PASTE2(a, b) a##b
#define COPY_PASTE(a, b) COPY_PASTE2(a, b)
#define COPY_NAME(n) COPY_PASTE(READER_COPY, n)
#define lar_reader_tentative COPY_NAME(_reader_tentative)
#define lar_reader_retry COPY_NAME(_reader_retry)
#define lar_reader_retry_at COPY_NAME(_reader_retry_at)
#define lar_reader_new COPY_NAME(_reader_new)
#define lar_reader_free COPY_NAME(_reader_free)
#define lar_reader_next COPY_NAME(_reader_next)
#define lar_reader_fail COPY_NAME(_reader_fail)
#define lar_reader_hold COPY_NAME(_reader_hold)
#define lar_reader_release COPY_NAME(_reader_release)
#define lar_reader_hold_from COPY_NAME(_reader_hold_from)
#define lar_reader_fail_at COPY_NAME(_reader_fail_at)
#define lar_reader_offset COPY_NAME(_reader_offset)
#define lar_reader_resume_offset COPY_NAME(_reader_resume_offset)
#include "../verify/reader.c"
/* from here on the library's names are the library's again */
#undef lar_reader_tentative
#undef lar_reader_retry
#undef lar_reader_retry_at
#undef lar_reader_new
#undef lar_reader_free
#undef lar_reader_next
#undef lar_reader_fail
#undef lar_reader_hold
#undef lar_reader_release
#undef lar_reader_hold_from
#undef lar_reader_fail_at
#undef lar_reader_offset
#undef lar_reader_resume_offset

#include "json.h"

/* A descriptor reading in[0..n) from its start. */
static int mem_fd(const char *in, size_t n)
{
	int fd = memfd_create("t", 0);
	if (fd < 0 || (n && write(fd, in, n) != (ssize_t)n))
		abort();
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Write "line broken" or "line len ok" for record m (its bytes at p) and
 * return 1; 0 when the strict parser rejects it (the caller writes that). */
static int judged(const struct lar_record *m, const uint8_t *p, struct lar_arena *a, struct lar_buf *out)
{
	const struct lar_json *v;
	if (m->broken) {
		lar_buf_printf(out, "%llu broken\n", (unsigned long long)m->line);
		return 1;
	}
	lar_arena_reset(a);
	if (lar_json_parse(p, m->len, a, &v, NULL) != LAR_OK)
		return 0;
	lar_buf_printf(out, "%llu %zu ok\n", (unsigned long long)m->line, m->len);
	return 1;
}

#endif
