/*
 * fuzz_json.c - libFuzzer target: the strict JSON parser on arbitrary bytes.
 * Whatever it accepts, cJSON (more lenient) must accept too, and the plain
 * writer's output must parse back to an equal tree.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lar_arena a, b;
	const struct lar_json *v, *w;
	lar_arena_init(&a, 64u << 20);
	lar_arena_init(&b, 64u << 20);
	if (lar_json_parse(data, size, &a, &v, NULL) == LAR_OK) {
		cJSON *c = cJSON_ParseWithLength((const char *)data, size);
		if (c == NULL)
			abort(); /* we accepted what a lenient parser rejects */
		cJSON_Delete(c);
		struct lar_buf out;
		lar_buf_init(&out, 0);
		lar_json_write(&out, v);
		if (!out.oom) {
			if (lar_json_parse(out.p, out.len, &b, &w, NULL) != LAR_OK || !lar_json_equal(v, w))
				abort();
		}
		lar_buf_free(&out);
	}
	lar_arena_free(&a);
	lar_arena_free(&b);
	return 0;
}
