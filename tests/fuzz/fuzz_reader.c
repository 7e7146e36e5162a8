/*
 * fuzz_reader.c - libFuzzer target: the record reader on arbitrary streams
 * with a small record cap, failing records chosen by the input.  Invariants:
 * line numbers of complete records never go backwards, no record is longer
 * than the cap, the number of records is bounded by the input size, and the
 * reader always reaches the end.  And JSON Lines taken on trust
 * (lar_reader_tentative, each record judged by the strict parser, retried
 * when rejected) read exactly as the structural scan reads them.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "json.h"
#include "reader.h"

/* "line len ok|notjson|broken" per record, the strict parser judging. */
static void read_parsed(const uint8_t *data, size_t size, int tentative, struct lar_buf *out)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	struct lar_reader *r;
	if (lar_reader_new(fd, 256, &r, NULL) != LAR_OK)
		abort();
	lar_reader_tentative(r, tentative);
	struct lar_arena a;
	lar_arena_init(&a, 1u << 20);
	struct lar_record rec;
	while (lar_reader_next(r, &rec, NULL) == LAR_OK) {
		const struct lar_json *v;
		lar_arena_reset(&a);
		if (rec.broken) {
			lar_buf_printf(out, "%llu broken\n", (unsigned long long)rec.line);
		} else if (lar_json_parse(rec.p, rec.len, &a, &v, NULL) == LAR_OK) {
			lar_buf_printf(out, "%llu %zu ok\n", (unsigned long long)rec.line, rec.len);
		} else if (rec.tentative) {
			if (lar_reader_retry(r, &rec) != LAR_OK)
				abort();
		} else {
			lar_buf_printf(out, "%llu notjson\n", (unsigned long long)rec.line);
			lar_reader_fail(r);
		}
	}
	lar_arena_free(&a);
	lar_reader_free(r);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lar_buf x, y;
	lar_buf_init(&x, 0);
	lar_buf_init(&y, 0);
	read_parsed(data, size, 1, &x);
	read_parsed(data, size, 0, &y);
	if (x.oom || y.oom || x.len != y.len || (x.len > 0 && memcmp(x.p, y.p, x.len) != 0))
		abort();
	lar_buf_free(&x);
	lar_buf_free(&y);

	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	struct lar_reader *r;
	if (lar_reader_new(fd, 256, &r, NULL) != LAR_OK) {
		close(fd);
		return 0;
	}
	struct lar_record rec;
	uint64_t last = 0, n = 0;
	while (lar_reader_next(r, &rec, NULL) == LAR_OK) {
		/* (a broken top-level array is reported at its first line, which
		 * may be before elements already returned: SPEC §2.1) */
		if ((!rec.broken && rec.line < last) || rec.len > 256 || ++n > size + 2)
			abort();
		if (!rec.broken)
			last = rec.line;
		/* let the input decide which complete records "fail to parse" */
		if (!rec.broken && rec.len > 0 && (rec.p[0] ^ rec.p[rec.len - 1]) % 3 == 0)
			lar_reader_fail(r);
	}
	lar_reader_free(r);
	close(fd);
	return 0;
}
