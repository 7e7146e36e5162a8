/*
 * test_json_scan.c - the pass of verify/json_parse.c that lets a canonical
 * parse skip, string by string, the test for the printable bytes the
 * canonical form escapes (& ' + < > ` DEL, SPEC §1.4): text_has_special.
 * It takes the widest step the CPU has (AVX2, else SSE2 and bytes), so this
 * file compiles a copy of json_parse.c and holds each path to a byte-by-byte
 * reference - every byte value at every position of texts of every length
 * 0..100, in exact-size heap buffers (ASan watches the CI build) - and then
 * checks through the parser that a special byte at any offset of a string
 * value or a member name still makes the text non-canonical, and that the
 * same text without it is canonical.  A path the CPU lacks is skipped, and
 * says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the copy's public names, so that they do not clash with the library's */
#define lar_json_parse scan_json_parse
#define lar_json_parse_canonical scan_json_parse_canonical
#define lar_json_memo_new scan_json_memo_new
#define lar_json_memo_free scan_json_memo_free
#define lar_json_parse_memo scan_json_parse_memo
#define lar_json_parse_kept scan_json_parse_kept
#define lar_json_fault_name scan_json_fault_name
#include "../verify/json_parse.c"

#include "tap.h"

static const char specials[] = "&'+<>`\x7f";

static int ref_special(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != 0 && strchr(specials, s[i]) != NULL)
			return 1;
	return 0;
}

static uint64_t rng = 0x13198A2E03707344ull;
static unsigned rnd(void)
{
	return (unsigned)(tap_xorshift(&rng) >> 32);
}

/* A byte that is not special: printable ASCII, controls, or from 0x80. */
static uint8_t plain_byte(void)
{
	for (;;) {
		uint8_t c = (uint8_t)rnd();
		if (c == 0 || strchr(specials, c) == NULL)
			return c;
	}
}

/* Each path on s[0..n) (an exact-size heap copy) against the reference;
 * returns the number of disagreements. */
static int paths_agree(const uint8_t *text, size_t n, int *ran_avx2)
{
	uint8_t *s = malloc(n ? n : 1);
	if (s == NULL)
		return 1;
	memcpy(s, text, n);
	int want = ref_special(s, n), bad = 0;
	bad += (canon_plain(s, n) == want); /* the SSE2 and byte path: 1 when none */
	bad += text_has_special(s, n) != want;
#if defined(HAVE_AVX2_SCAN)
	if (n >= 32 && __builtin_cpu_supports("avx2")) {
		bad += has_special_avx2(s, n) != want;
		*ran_avx2 = 1;
	}
#else
	(void)ran_avx2;
#endif
	free(s);
	return bad;
}

static void test_paths(void)
{
	uint8_t text[100] = { 0 };
	int bad = 0, ran_avx2 = 0;
	size_t cases = 0;
	for (size_t n = 0; n <= sizeof text; n++) {
		for (size_t i = 0; i < n; i++)
			text[i] = plain_byte();
		bad += paths_agree(text, n, &ran_avx2);
		cases++;
		/* every byte value at every position */
		for (size_t pos = 0; pos < n; pos++) {
			uint8_t keep = text[pos];
			for (unsigned c = 0; c < 256; c++) {
				text[pos] = (uint8_t)c;
				bad += paths_agree(text, n, &ran_avx2);
				cases++;
			}
			text[pos] = keep;
		}
	}
	CHECKM(bad == 0, "%d disagreements with the reference in %zu texts", bad, cases);
	CHECK(cases > 1000000);
	if (!ran_avx2)
		tap_skip("no AVX2 on this CPU: its path untested here");
}

/* The canonical flag of the copy's parser for text[0..n). */
static int canonical_of(const char *text, int *ok)
{
	struct lar_arena a;
	const struct lar_json *root;
	int canonical = -1;
	size_t n = strlen(text);
	uint8_t *s = malloc(n ? n : 1);
	lar_arena_init(&a, 0);
	*ok = 0;
	if (s != NULL) {
		memcpy(s, text, n);
		*ok = scan_json_parse_canonical(s, n, &a, &root, NULL, &canonical) == LAR_OK;
	}
	free(s);
	lar_arena_free(&a);
	return canonical;
}

static void test_parser(void)
{
	char doc[256], str[128];
	int wrong = 0, failed = 0, ok;
	for (size_t len = 1; len <= 100; len++) {
		for (size_t i = 0; i < len; i++)
			str[i] = (char)('a' + i % 26);
		str[len] = 0;
		/* the same text without a special is canonical */
		snprintf(doc, sizeof doc, "{\"k\":\"%s\",\"z\":1}", str);
		wrong += canonical_of(doc, &ok) != 1;
		failed += !ok;
		for (const char *c = specials; *c; c++) {
			for (size_t pos = 0; pos < len; pos++) {
				char keep = str[pos];
				str[pos] = *c;
				/* in a value, then in a name */
				snprintf(doc, sizeof doc, "{\"k\":\"%s\",\"z\":1}", str);
				wrong += canonical_of(doc, &ok) != 0;
				failed += !ok;
				snprintf(doc, sizeof doc, "{\"%s\":1}", str);
				wrong += canonical_of(doc, &ok) != 0;
				failed += !ok;
				str[pos] = keep;
			}
		}
	}
	CHECKM(failed == 0, "%d documents did not parse", failed);
	CHECKM(wrong == 0, "%d documents with the wrong canonical flag", wrong);
	/* a special outside any string ('+' in an exponent) checks every
	 * string as before: the flag is the parser's, whatever the strings */
	CHECK(canonical_of("{\"a\":\"x<y\",\"b\":1e+5}", &ok) == 0 && ok);
	CHECK(canonical_of("{\"a\":\"xy\",\"b\":1}", &ok) == 1 && ok);
}

int main(void)
{
	test_paths();
	test_parser();
	return tap_done();
}
