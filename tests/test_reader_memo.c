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
#define READER_COPY ref
#include "reader_copy.h"

#include "tap.h"

typedef lar_status (*new_fn)(int, size_t, struct lar_reader **, struct lar_err *);
typedef lar_status (*next_fn)(struct lar_reader *, struct lar_record *, struct lar_err *);

/* Read everything; write "line len broken" per record into out. */
static void run(const char *in, size_t n, size_t cap, new_fn nw, next_fn nx, void (*fl)(struct lar_reader *),
		void (*fr)(struct lar_reader *), struct lar_buf *out)
{
	int fd = mem_fd(in, n);
	struct lar_reader *r = NULL;
	if (nw(fd, cap, &r, NULL) != LAR_OK)
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

/*
 * The same with read-ahead, as `verify --jobs` may read: batches of up to
 * `ahead` records read under lar_reader_hold() with lines on trust, then
 * judged in order; a rejected tentative record is read again
 * (lar_reader_retry_at), a record that is not JSON resynchronises
 * (lar_reader_fail_at), and either drops the rest of its batch.
 */
static void run_ahead(const char *in, size_t n, size_t ahead, struct lar_buf *out)
{
	int fd = mem_fd(in, n);
	struct lar_reader *r = NULL;
	if (lar_reader_new(fd, 4096, &r, NULL) != LAR_OK)
		abort();
	lar_reader_hold(r);
	lar_reader_tentative(r, 1);
	struct lar_arena a;
	lar_arena_init(&a, 0);
	struct {
		struct lar_record meta;
		char *bytes;
	} batch[8];
	size_t rounds = 0;
	for (int more = 1; more && rounds++ < 100000;) {
		size_t nb = 0;
		struct lar_record rec;
		while (nb < ahead && (more = lar_reader_next(r, &rec, NULL) == LAR_OK)) {
			batch[nb].meta = rec;
			batch[nb].bytes = malloc(rec.len + 1);
			memcpy(batch[nb].bytes, rec.p, rec.len);
			nb++;
		}
		for (size_t i = 0; i < nb; i++) {
			const struct lar_record *m = &batch[i].meta;
			if (judged(m, (const uint8_t *)batch[i].bytes, &a, out))
				continue;
			if (m->tentative) {
				if (lar_reader_retry_at(r, m) != LAR_OK)
					abort();
			} else {
				lar_buf_printf(out, "%llu notjson\n", (unsigned long long)m->line);
				lar_reader_fail_at(r, m);
			}
			more = 1; /* the records read after it are read again */
			break;
		}
		for (size_t i = 0; i < nb; i++)
			free(batch[i].bytes);
	}
	lar_arena_free(&a);
	lar_reader_free(r);
	close(fd);
}

/* JSON Lines as they come, and broken in the ways that matter here: two
 * values on a line, a value over several lines, unclosed or extra brackets,
 * strings holding brackets, escapes and quotes, arrays, CR LF, blank lines. */
static size_t gen_lines(char *buf, size_t max, unsigned *seed)
{
	static const char *const lines[] = {
		"{\"a\":1}", "{\"a\":\"}\"}", "{\"a\":\"\\\"}\"}", "{}", "{\"a\":[1,{\"b\":2}]}  ",
		"{\"a\":1}\r", "{\"a\":1} {\"b\":2}", "{\"a\":1}}", "{\"a\":{\"b\":1}", "{\"a\":", "\"x\"}",
		"[{\"a\":1},{\"b\":2}]", "[", "{\"a\":1},", "]", "{\"a\":\"x\\\\\"}", "{\"a\":\"x\\\"}",
		"{\"a\":1}x}", "{\"a\" : 1 }", "", "  {\"a\":1}", "{\"a\":\"{\"}", "}", "{\"a\":tru}",
		"{\"a\":1,\"a\":2}", "{\"a\":\"\\u00e9\"}",
	};
	size_t n = 0;
	int k = 1 + rand_r(seed) % 30;
	for (int i = 0; i < k; i++) {
		const char *p = lines[rand_r(seed) % (sizeof lines / sizeof lines[0])];
		size_t l = strlen(p);
		if (n + l + 1 >= max)
			break;
		memcpy(buf + n, p, l);
		n += l;
		if (rand_r(seed) % 8 != 0 || i == k - 1)
			buf[n++] = '\n'; /* else the next line continues this one */
	}
	if (n > 0 && rand_r(seed) % 4 == 0)
		n--; /* no line feed at the end */
	return n;
}

/* 10 to 10 + most - 1 random pieces into buf; with nl > 0, each piece is a
 * line feed instead one time in nl. */
static size_t gen_pieces(char *buf, size_t max, unsigned *seed, const char *const *pieces, size_t npieces,
			 int most, int nl)
{
	size_t n = 0;
	int k = 10 + rand_r(seed) % most;
	for (int i = 0; i < k; i++) {
		const char *p = pieces[(size_t)rand_r(seed) % npieces];
		if (nl > 0 && rand_r(seed) % nl == 0)
			p = "\n";
		size_t l = strlen(p);
		if (n + l >= max)
			break;
		memcpy(buf + n, p, l);
		n += l;
	}
	return n;
}

static size_t gen(char *buf, size_t max, unsigned *seed)
{
	static const char *const pieces[] = { "{", "}", "[", "]", "\"", "\"a\"", "\\", ":", ",", "1",
					      "\n{", "\n[", "\n", "\"x\":[1],", "{\"a\":", " ", "\\\"" };
	return gen_pieces(buf, max, seed, pieces, sizeof pieces / sizeof pieces[0], 400, 0);
}

/* Deep, long values with no backslash and few line feeds, so that most
 * 64-byte blocks take the fast path (a backslash sends a block to the byte
 * loop, as does a line starting with a bracket): brackets and quotes at
 * every offset of a block, closing brackets included. */
static size_t gen_fast(char *buf, size_t max, unsigned *seed)
{
	static const char *const pieces[] = { "{", "}", "[", "]", "\"", "\"a\"", ":", ",", "1", "{\"b\":[",
					      "]}", "\"x\":[1],", "{\"a\":", " ", "\"}]\"", "\"{[\"", "abc" };
	return gen_pieces(buf, max, seed, pieces, sizeof pieces / sizeof pieces[0], 600, 97);
}

/* The AVX2 block masks (the library's choice on this CPU, if it has AVX2)
 * equal the SSE2 ones, which the other checks then do not reach: random
 * blocks of the bytes that matter and others. */
static void test_masks(void)
{
#if defined(HAVE_AVX2_MASKS)
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("pclmul")) {
		printf("# no AVX2 here: the SSE2 block masks are the ones checked below\n");
		return;
	}
	static const uint8_t bytes[] = { '"', '\\', '\n', '{', '}', '[', ']', 'a', ' ', 0x5B | 0x80,
					 0x7B ^ 0x20 };
	unsigned seed = 64;
	int differ = 0;
	for (int t = 0; t < 100000; t++) {
		uint8_t blk[64];
		for (int i = 0; i < 64; i++)
			blk[i] = rand_r(&seed) % 4 == 0 ? (uint8_t)rand_r(&seed)
							 : bytes[rand_r(&seed) % sizeof bytes];
		struct masks x, y;
		masks64_sse2(blk, &x);
		masks64_avx2(blk, &y);
		differ += x.quote != y.quote || x.bslash != y.bslash || x.nl != y.nl ||
			  x.bracket != y.bracket || x.str != y.str;
	}
	CHECKM(differ == 0, "%d of 100000 blocks: AVX2 masks differ from SSE2", differ);
#endif
}

int main(void)
{
	static char in[8192];
	unsigned seed = 20261126;
	struct lar_buf a, b;
	lar_buf_init(&a, 0);
	lar_buf_init(&b, 0);
	int differ = 0;
	test_masks();
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
	differ = 0;
	for (int t = 0; t < 20000; t++) {
		size_t n = gen_fast(in, sizeof in, &seed);
		size_t cap = t % 2 == 0 ? 64 : 4096;
		lar_buf_reset(&a);
		lar_buf_reset(&b);
		run(in, n, cap, lar_reader_new, lar_reader_next, lar_reader_fail, lar_reader_free, &a);
		run(in, n, cap, ref_reader_new, ref_reader_next, ref_reader_fail, ref_reader_free, &b);
		if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0) {
			if (differ++ < 3)
				fprintf(stderr, "input %d (cap %zu) differs:\n%.*s\n--- fast:\n%.*s"
					"--- reference:\n%.*s", t, cap, (int)n, in, (int)a.len, (char *)a.p,
					(int)b.len, (char *)b.p);
		}
	}
	CHECKM(differ == 0, "%d of 20000 inputs without escapes read differently with the fast path", differ);

	/* JSON Lines taken on trust (lar_reader_tentative) read exactly as
	 * scanned, once the parser has judged each record */
	differ = 0;
	int tentative_seen = 0;
	for (int t = 0; t < 20000; t++) {
		size_t n = gen_lines(in, sizeof in, &seed);
		lar_buf_reset(&a);
		lar_buf_reset(&b);
		lib_parsed(in, n, 4096, 1, &a);
		lib_parsed(in, n, 4096, 0, &b);
		tentative_seen += a.len > 0;
		if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0) {
			if (differ++ < 3)
				fprintf(stderr, "input %d differs:\n%.*s\n--- on trust:\n%.*s--- scanned:\n%.*s",
					t, (int)n, in, (int)a.len, (char *)a.p, (int)b.len, (char *)b.p);
		}
	}
	CHECKM(differ == 0, "%d of 20000 random JSON Lines inputs read differently on trust", differ);
	CHECK(tentative_seen > 10000);

	/* ... and with read-ahead, retried with lar_reader_retry_at */
	differ = 0;
	for (int t = 0; t < 20000; t++) {
		size_t n = gen_lines(in, sizeof in, &seed);
		lar_buf_reset(&a);
		lar_buf_reset(&b);
		run_ahead(in, n, 1 + (size_t)t % 8, &a);
		lib_parsed(in, n, 4096, 0, &b);
		if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0) {
			if (differ++ < 3)
				fprintf(stderr, "input %d differs:\n%.*s\n--- read ahead:\n%.*s"
					"--- scanned:\n%.*s", t, (int)n, in, (int)a.len, (char *)a.p,
					(int)b.len, (char *)b.p);
		}
	}
	CHECKM(differ == 0, "%d of 20000 random JSON Lines inputs read differently ahead on trust", differ);

	/* many values on one long line: each is tried on trust and scanned
	 * again, and the search for the line feed is not repeated (linear) */
	struct lar_buf one;
	lar_buf_init(&one, 0);
	for (int i = 0; i < 20000; i++)
		lar_buf_puts(&one, "{\"a\":1}");
	lar_buf_putc(&one, '\n');
	lar_buf_reset(&a);
	lib_parsed((char *)one.p, one.len, 4096, 1, &a);
	size_t recs = 0;
	for (size_t i = 0; i < a.len; i++)
		recs += a.p[i] == '\n';
	CHECKM(recs == 20000, "20000 values on one line read as 20000 records (%zu)", recs);
	lar_buf_free(&one);

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
