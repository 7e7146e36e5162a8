/*
 * fuzz_canonical.c - libFuzzer target: the canonical serializer of SPEC §1.4
 * is stable: canonical text parses, and serializing it again gives the same
 * bytes; it is pure ASCII.
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
	if (lar_json_parse(data, size, &a, &v, NULL) == LAR_OK) {
		lar_json_write_canonical(&c1, v);
		if (!c1.oom) {
			for (size_t i = 0; i < c1.len; i++)
				if (c1.p[i] >= 0x80)
					abort();
			if (lar_json_parse(c1.p, c1.len, &b, &w, NULL) != LAR_OK)
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
