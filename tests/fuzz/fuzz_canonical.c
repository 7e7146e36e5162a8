/*
 * fuzz_canonical.c - libFuzzer target: the canonical serializer of SPEC §1.4
 * is stable: canonical text parses, and serializing it again gives the same
 * bytes; it is pure ASCII.  And the parser's own verdict on canonical form
 * (lar_json_parse_canonical, used by the noncanonical_payload check) agrees
 * with serializing and comparing bytes, on the input and on its canonical
 * form (which must be judged canonical).
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lar_arena a, b;
	const struct lar_json *v, *w;
	struct lar_buf c1, c2;
	lar_arena_init(&a, 64u << 20);
	lar_arena_init(&b, 64u << 20);
	lar_buf_init(&c1, 0);
	lar_buf_init(&c2, 0);
	int canon = -1, canon2 = -1;
	lar_status st = lar_json_parse_canonical(data, size, &a, &v, NULL, &canon);
	if (st != LAR_OK && canon != 0)
		abort();
	if (st == LAR_OK) {
		lar_json_write_canonical(&c1, v);
		if (!c1.oom) {
			int same = c1.len == size && memcmp(c1.p, data, size) == 0;
			if (canon != same)
				abort();
			for (size_t i = 0; i < c1.len; i++)
				if (c1.p[i] >= 0x80)
					abort();
			st = lar_json_parse_canonical(c1.p, c1.len, &b, &w, NULL, &canon2);
			if (st != LAR_OK || canon2 != 1)
				abort();
			lar_json_write_canonical(&c2, w);
			if (!c2.oom && (c1.len != c2.len || memcmp(c1.p, c2.p, c1.len) != 0))
				abort();
		}
	}
	lar_buf_free(&c1);
	lar_buf_free(&c2);
	lar_arena_free(&a);
	lar_arena_free(&b);
	return 0;
}
