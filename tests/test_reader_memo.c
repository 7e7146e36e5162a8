/*
 * test_reader_memo.c - the reader's rescan memo (reader.c, struct memo) and
 * its 64-byte structural fast path are pure optimisations: a copy of reader.c
 * compiled without both must return the same records, lines and lengths on
 * every input, with or without
 * lar_reader_fail() calls and across small read buffers.  Inputs are random
 * mixes of brackets, strings, escapes, line feeds and unclosed lines, the
 * shapes that make resynchronisation (SPEC §2.1) rescan.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* the reference: reader.c without the memo and without the 64-byte fast
 * path (the byte loop alone), under other names */
#define LAR_READER_NO_MEMO 1
#define LAR_READER_NO_FAST 1
#define lar_reader_new ref_reader_new
#define lar_reader_free ref_reader_free
#define lar_reader_next ref_reader_next
#define lar_reader_fail ref_reader_fail
#define lar_reader_hold ref_reader_hold
#define lar_reader_release ref_reader_release
#define lar_reader_fail_at ref_reader_fail_at
#define lar_reader_offset ref_reader_offset
#define lar_reader_resume_offset ref_reader_resume_offset
#include "../verify/reader.c"
#undef lar_reader_new
#undef lar_reader_free
#undef lar_reader_next
#undef lar_reader_fail

#include "tap.h"

/* the library's reader (with the memo) */
lar_status lar_reader_new(int fd, const char *name, size_t max_record, struct lar_reader **out, struct lar_err *e);
void lar_reader_free(struct lar_reader *r);
lar_status lar_reader_next(struct lar_reader *r, struct lar_record *rec, struct lar_err *e);
void lar_reader_fail(struct lar_reader *r);

typedef lar_status (*new_fn)(int, const char *, size_t, struct lar_reader **, struct lar_err *);
typedef lar_status (*next_fn)(struct lar_reader *, struct lar_record *, struct lar_err *);

/* Read everything; write "line len broken" per record into out. */
static void run(const char *in, size_t n, size_t cap, new_fn nw, next_fn nx, void (*fl)(struct lar_reader *),
		void (*fr)(struct lar_reader *), struct lar_buf *out)
{
	int fd = memfd_create("t", 0);
	if (fd < 0 || (n && write(fd, in, n) != (ssize_t)n))
		abort();
	lseek(fd, 0, SEEK_SET);
	struct lar_reader *r;
	if (nw(fd, "t", cap, &r, NULL) != LAR_OK)
		abort();
	struct lar_record rec;
	size_t k = 0;
	while (nx(r, &rec, NULL) == LAR_OK && k++ < 100000) {
		lar_buf_printf(out, "%llu %zu %d\n", (unsigned long long)rec.line, rec.len, rec.broken);
		/* "fail" complete records chosen by their content */
		if (!rec.broken && rec.len > 0 && (rec.p[0] + rec.len) % 5 == 0)
			fl(r);
	}
	fr(r);
	close(fd);
}

static size_t gen(char *buf, size_t max, unsigned *seed)
{
	static const char *const pieces[] = { "{", "}", "[", "]", "\"", "\"a\"", "\\", ":", ",", "1",
					      "\n{", "\n[", "\n", "\"x\":[1],", "{\"a\":", " ", "\\\"" };
	size_t n = 0;
	int k = 10 + rand_r(seed) % 400;
	for (int i = 0; i < k; i++) {
		const char *p = pieces[rand_r(seed) % (sizeof pieces / sizeof pieces[0])];
		size_t l = strlen(p);
		if (n + l >= max)
			break;
		memcpy(buf + n, p, l);
		n += l;
	}
	return n;
}

int main(void)
{
	static char in[8192];
	unsigned seed = 20261126;
	struct lar_buf a, b;
	lar_buf_init(&a, 0);
	lar_buf_init(&b, 0);
	int differ = 0;
	for (int t = 0; t < 20000; t++) {
		size_t n = gen(in, sizeof in, &seed);
		size_t cap = t % 3 == 0 ? 16 : t % 3 == 1 ? 64 : 4096;
		lar_buf_reset(&a);
		lar_buf_reset(&b);
		run(in, n, cap, lar_reader_new, lar_reader_next, lar_reader_fail, lar_reader_free, &a);
		run(in, n, cap, ref_reader_new, ref_reader_next, ref_reader_fail, ref_reader_free, &b);
		if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0) {
			if (differ++ < 3)
				fprintf(stderr, "input %d (cap %zu) differs:\n%.*s\n--- memo:\n%.*s--- reference:\n%.*s", t,
					cap, (int)n, in, (int)a.len, (char *)a.p, (int)b.len, (char *)b.p);
		}
	}
	CHECKM(differ == 0, "%d of 20000 random inputs read differently with the memo and fast path", differ);

	/* the hostile shape the memo is for: many unclosed lines, same records */
	struct lar_buf big;
	lar_buf_init(&big, 0);
	for (int i = 0; i < 3000; i++)
		lar_buf_puts(&big, "{\"a\":[1],\"b\":{\"c\":[2,3]},\n");
	lar_buf_reset(&a);
	lar_buf_reset(&b);
	run((char *)big.p, big.len, 1 << 20, lar_reader_new, lar_reader_next, lar_reader_fail, lar_reader_free, &a);
	run((char *)big.p, big.len, 1 << 20, ref_reader_new, ref_reader_next, ref_reader_fail, ref_reader_free, &b);
	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	size_t lines = 0;
	for (size_t i = 0; i < a.len; i++)
		lines += a.p[i] == '\n';
	CHECKM(lines == 3000, "one broken record per unclosed line (%zu)", lines);
	lar_buf_free(&big);
	lar_buf_free(&a);
	lar_buf_free(&b);
	return tap_done();
}
