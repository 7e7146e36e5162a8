/*
 * fuzz_json.c - libFuzzer target: the strict JSON parser on arbitrary bytes.
 * Whatever it accepts, cJSON (more lenient) must accept too, and the plain
 * writer's output must parse back to an equal tree.  And the names memo
 * changes nothing: the input cut at each 0x1E byte into documents, parsed in
 * turn with one memo, gives what parsing each without it gives.  And a
 * parse that leaves values out (lar_json_parse_kept) accepts and rejects
 * exactly what a whole parse does, with the same fault at the same offset.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void describe(lar_status st, const struct lar_json *v, const struct lar_json_error *e, int canon,
		     struct lar_buf *out)
{
	lar_buf_printf(out, "%d %d %zu %d ", (int)st, (int)e->fault, e->offset, canon);
	if (st == LAR_OK)
		lar_json_write(out, v);
}

static void memo_same(const uint8_t *data, size_t size)
{
	struct lar_json_memo *memo;
	if (lar_json_memo_new(&memo) != LAR_OK)
		return;
	struct lar_arena a;
	lar_arena_init(&a, 64u << 20);
	int mode = size > 0 && data[0] & 1; /* canonical judged or not, for the whole input */
	for (size_t at = 0; at <= size;) {
		const uint8_t *cut = memchr(data + at, 0x1E, size - at);
		size_t n = cut ? (size_t)(cut - data) - at : size - at;
		const struct lar_json *v1, *v2;
		struct lar_json_error e1, e2;
		int c1 = -1, c2 = -1;
		struct lar_buf x, y;
		lar_buf_init(&x, 0);
		lar_buf_init(&y, 0);
		lar_arena_reset(&a);
		lar_status s1 = lar_json_parse_memo(data + at, n, &a, memo, &v1, &e1, mode ? &c1 : NULL);
		describe(s1, v1, &e1, c1, &x);
		describe(mode ? lar_json_parse_canonical(data + at, n, &a, &v2, &e2, &c2)
			      : lar_json_parse(data + at, n, &a, &v2, &e2), v2, &e2, c2, &y);
		if (!x.oom && !y.oom && (x.len != y.len || memcmp(x.p, y.p, x.len) != 0))
			abort();
		lar_buf_free(&x);
		lar_buf_free(&y);
		at += n + 1;
	}
	lar_arena_free(&a);
	lar_json_memo_free(memo);
}

static const struct lar_json_keep none = { 0, NULL };
static const struct lar_json_keep some;
static const struct lar_json_kept some_names[] = { { "a", 1, NULL }, { "b", 1, &none }, { "c", 1, &some } };
static const struct lar_json_keep some = { 3, some_names };

static void kept_same(const uint8_t *data, size_t size)
{
	struct lar_arena a;
	lar_arena_init(&a, 64u << 20);
	const struct lar_json *v1, *v2;
	struct lar_json_error e1, e2;
	const struct lar_json_keep *k = size > 0 && data[0] & 2 ? &some : &none;
	lar_status s1 = lar_json_parse_kept(data, size, &a, NULL, k, &v1, &e1);
	lar_arena_reset(&a);
	lar_status s2 = lar_json_parse(data, size, &a, &v2, &e2);
	if (s2 != LAR_E_NOMEM && (s1 != s2 || e1.fault != e2.fault || e1.offset != e2.offset))
		abort();
	lar_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memo_same(data, size);
	kept_same(data, size);
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
