/*
 * fuzz_reader.c - libFuzzer target: the record reader on arbitrary streams
 * with a small record cap, failing records chosen by the input.  Invariants:
 * line numbers of complete records never go backwards, no record is longer
 * than the cap, the number of records is bounded by the input size, and the
 * reader always reaches the end.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	struct lar_reader *r;
	if (lar_reader_new(fd, "fuzz", 256, &r, NULL) != LAR_OK) {
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
