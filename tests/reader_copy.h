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

/* the library's reader (64 KiB reads, memo and fast path), beside the copy */
lar_status lar_reader_new(int fd, size_t max_record, struct lar_reader **out, struct lar_err *e);
void lar_reader_free(struct lar_reader *r);
lar_status lar_reader_next(struct lar_reader *r, struct lar_record *rec, struct lar_err *e);
void lar_reader_fail(struct lar_reader *r);
void lar_reader_tentative(struct lar_reader *r, int on);
lar_status lar_reader_retry(struct lar_reader *r, const struct lar_record *rec);
void lar_reader_hold(struct lar_reader *r);
void lar_reader_fail_at(struct lar_reader *r, const struct lar_record *rec);
lar_status lar_reader_retry_at(struct lar_reader *r, const struct lar_record *rec);

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

/*
 * Read everything with the library's reader the way `verify` does, the
 * strict parser judging each record: "line len ok", "line notjson" (then
 * lar_reader_fail, SPEC §2.1) or "line broken", records capped at cap.
 * With tentative on, a tentative record the parser rejects is read again
 * (lar_reader_retry) and reports nothing itself.
 */
static void lib_parsed(const char *in, size_t n, size_t cap, int tentative, struct lar_buf *out)
{
	int fd = mem_fd(in, n);
	struct lar_reader *r = NULL;
	if (lar_reader_new(fd, cap, &r, NULL) != LAR_OK)
		abort();
	lar_reader_tentative(r, tentative);
	struct lar_arena a;
	lar_arena_init(&a, 0);
	struct lar_record rec;
	size_t k = 0;
	while (lar_reader_next(r, &rec, NULL) == LAR_OK && k++ < 100000) {
		if (judged(&rec, rec.p, &a, out))
			continue;
		if (rec.tentative) {
			if (lar_reader_retry(r, &rec) != LAR_OK)
				abort();
			continue;
		}
		lar_buf_printf(out, "%llu notjson\n", (unsigned long long)rec.line);
		lar_reader_fail(r);
	}
	lar_arena_free(&a);
	lar_reader_free(r);
	close(fd);
}

#endif
