/*
 * test_json.c - unit tests of the strict JSON layer (json.h): the parser's
 * strictness rules, JSONTestSuite, a differential check against cJSON, the
 * canonical writer of SPEC §1.4 (checked byte for byte against the golden
 * receipts), the plain and pretty writers, the tree accessors, and parses
 * that build only what a filter keeps (lar_json_parse_kept).
 *
 * Every parse gets its input in a malloc'd block of exactly its length, so
 * AddressSanitizer catches any read past src+len.
 * Not for: timing (a benchmark is not a test).
 */
#include "json.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct lar_arena arena;
static struct lar_arena arena2; /* for parses that are reset each time */

/* Inputs are kept (exact-size copies) until release(): trees point into them. */
static void **kept;
static size_t nkept, capkept;

static void release(void)
{
	for (size_t i = 0; i < nkept; i++)
		free(kept[i]);
	nkept = 0;
	lar_arena_reset(&arena);
}

/* Parse n bytes of s from an exact-size copy: the tree, or NULL with *st and *e set. */
static const struct lar_json *parse_n(const char *s, size_t n, lar_status *st, struct lar_json_error *e)
{
	uint8_t *copy = malloc(n ? n : 1);
	const struct lar_json *v = NULL;
	struct lar_json_error dummy;
	if (nkept == capkept) {
		capkept = capkept ? 2 * capkept : 256;
		kept = realloc(kept, capkept * sizeof *kept);
	}
	kept[nkept++] = copy;
	memcpy(copy, s, n);
	*st = lar_json_parse(copy, n, &arena, &v, e ? e : &dummy);
	return v;
}

static const struct lar_json *ok(const char *s)
{
	lar_status st;
	struct lar_json_error e;
	const struct lar_json *v = parse_n(s, strlen(s), &st, &e);
	CHECKM(st == LAR_OK && v != NULL, "'%s' should parse: %s at %zu", s, lar_json_fault_name(e.fault),
	       e.offset);
	return v;
}

/* Expect rejection with fault f of n bytes of s. */
static void rej_n(const char *s, size_t n, enum lar_json_fault f)
{
	lar_status st;
	struct lar_json_error e = {LAR_JSONF_NONE, 0};
	const struct lar_json *v = parse_n(s, n, &st, &e);
	CHECKM(st == LAR_E_SYNTAX && v == NULL, "'%.*s' should be rejected", (int)n, s);
	CHECKM(e.fault == f, "'%.*s': fault '%s', expected '%s'", (int)n, s, lar_json_fault_name(e.fault),
	       lar_json_fault_name(f));
}

static void rej(const char *s, enum lar_json_fault f)
{
	rej_n(s, strlen(s), f);
}

static int canon_is(const struct lar_json *v, const char *want)
{
	struct lar_buf b;
	lar_buf_init(&b, 0);
	lar_json_write_canonical(&b, v);
	int r = !b.oom && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
	if (!r)
		fprintf(stderr, "canonical: got '%.*s', want '%s'\n", (int)b.len, (const char *)b.p, want);
	lar_buf_free(&b);
	return r;
}

static int canon_str_is(const char *s, size_t n, const char *want)
{
	struct lar_buf b;
	lar_buf_init(&b, 0);
	lar_json_write_canonical_string(&b, s, n);
	int r = !b.oom && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
	if (!r)
		fprintf(stderr, "canonical string: got '%.*s', want '%s'\n", (int)b.len, (const char *)b.p,
			want);
	lar_buf_free(&b);
	return r;
}

static int plain_is(const struct lar_json *v, int pretty, const char *want)
{
	struct lar_buf b;
	lar_buf_init(&b, 0);
	if (pretty)
		lar_json_write_pretty(&b, v, pretty);
	else
		lar_json_write(&b, v);
	int r = !b.oom && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
	if (!r)
		fprintf(stderr, "plain: got '%.*s', want '%s'\n", (int)b.len, (const char *)b.p, want);
	lar_buf_free(&b);
	return r;
}

/* ---- parser strictness ---- */

static void test_basics(void)
{
	const struct lar_json *v;

	v = ok(" \t\r\n{\"a\" : [1, -2.5e+3, true, false, null, \"x\"] , \"b\":{}} \t\r\n");
	CHECK(v && v->type == LAR_JSON_OBJECT && v->n == 2);
	if (v && v->n == 2) {
		const struct lar_json *a = lar_json_get(v, "a");
		CHECK(a && a->type == LAR_JSON_ARRAY && a->n == 6);
		if (a && a->n == 6) {
			CHECK(a->u.items[0].type == LAR_JSON_NUMBER && a->u.items[0].n == 1);
			CHECK(a->u.items[1].n == 7 && memcmp(a->u.items[1].u.s, "-2.5e+3", 7) == 0);
			CHECK(a->u.items[2].type == LAR_JSON_TRUE);
			CHECK(a->u.items[3].type == LAR_JSON_FALSE);
			CHECK(a->u.items[4].type == LAR_JSON_NULL);
			CHECK(lar_json_str_eq(&a->u.items[5], "x"));
		}
		CHECK(v->u.members[1].keylen == 1 && v->u.members[1].key[0] == 'b');
		CHECK(v->u.members[1].value.type == LAR_JSON_OBJECT && v->u.members[1].value.n == 0);
	}
	v = ok("[]");
	CHECK(v && v->type == LAR_JSON_ARRAY && v->n == 0);
	v = ok("\"\"");
	CHECK(v && v->type == LAR_JSON_STRING && v->n == 0 && v->u.s != NULL);
	v = ok("{\"\":0}");
	CHECK(v && v->n == 1 && v->u.members[0].keylen == 0);

	/* zero copy: a string without escapes points into the source */
	{
		const char *src = "[\"plain\",\"esc\\n\"]";
		const struct lar_json *t = NULL;
		lar_status st = lar_json_parse((const uint8_t *)src, strlen(src), &arena, &t, NULL);
		CHECK(st == LAR_OK && t && t->n == 2);
		if (t && t->n == 2) {
			CHECK(t->u.items[0].u.s == src + 2 && t->u.items[0].n == 5);
			CHECK(!(t->u.items[1].u.s >= src && t->u.items[1].u.s < src + strlen(src)));
			CHECK(t->u.items[1].n == 4 && memcmp(t->u.items[1].u.s, "esc\n", 4) == 0);
		}
	}

	/* escapes decode */
	v = ok("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\uD83D\\uDE00\\uDBFF\\uDFFF\"");
	CHECK(v && v->n == 8 + 1 + 2 + 3 + 4 + 4);
	if (v)
		CHECK(memcmp(v->u.s, "\"\\/\b\f\n\r\tA\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF",
			     v->n) == 0);
	v = ok("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x7F\xEF\xBB\xBF\"");
	CHECK(v && v->n == 2 + 3 + 4 + 1 + 3); /* raw DEL and a BOM inside a string are fine */
}

static void test_strict(void)
{
	/* SPEC §2.3: duplicate member names, compared after unescaping */
	rej("{\"a\":1,\"a\":2}", LAR_JSONF_DUPLICATE);
	rej("{\"a\":1,\"\\u0061\":2}", LAR_JSONF_DUPLICATE);
	rej("{\"\\u00e9\":1,\"\xC3\xA9\":2}", LAR_JSONF_DUPLICATE);
	rej("{\"b\":1,\"a\":2,\"b\":3}", LAR_JSONF_DUPLICATE);
	rej("{\"a\":1,\"b\":2,\"c\":{\"x\":1,\"x\":2}}", LAR_JSONF_DUPLICATE);
	ok("{\"a\":{\"a\":1},\"b\":{\"a\":2},\"A\":3,\"a \":4,\"\":5}");
	{
		struct lar_json_error e;
		lar_status st;
		const char *s = "{\"a\":1,\"b\":2,\"a\":3}";
		parse_n(s, strlen(s), &st, &e);
		CHECK(st == LAR_E_SYNTAX && e.fault == LAR_JSONF_DUPLICATE && e.offset == 13);
	}

	/* SPEC §2.3: nesting deeper than 64 */
	{
		char deep[200];
		for (int d = 63; d <= 66; d++) {
			memset(deep, '[', (size_t)d);
			memset(deep + d, ']', (size_t)d);
			lar_status st;
			struct lar_json_error e;
			const struct lar_json *v = parse_n(deep, 2 * (size_t)d, &st, &e);
			if (d <= LAR_JSON_MAX_DEPTH)
				CHECKM(st == LAR_OK && v != NULL, "depth %d accepted", d);
			else
				CHECKM(st == LAR_E_SYNTAX && e.fault == LAR_JSONF_DEPTH, "depth %d rejected",
				       d);
		}
		/* objects count too */
		char *o = malloc(64 * 5 + 64 + 8), *q = o;
		for (int d = 0; d < 64; d++)
			q += sprintf(q, "{\"a\":");
		q += sprintf(q, "1");
		memset(q, '}', 64);
		q[64] = 0;
		ok(o);
		q = o;
		for (int d = 0; d < 64; d++)
			q += sprintf(q, "{\"a\":");
		q += sprintf(q, "[]");
		memset(q, '}', 64);
		q[64] = 0;
		rej(o, LAR_JSONF_DEPTH);
		free(o);
	}

	/* SPEC §2.3: trailing bytes */
	rej("{} x", LAR_JSONF_TRAILING);
	rej("1 2", LAR_JSONF_TRAILING);
	rej("{}}", LAR_JSONF_TRAILING);
	rej_n("[]\0", 3, LAR_JSONF_TRAILING);
	rej("{}{}", LAR_JSONF_TRAILING);
	rej("truex", LAR_JSONF_TRAILING);

	/* SPEC §2.3: U+0000 */
	rej("\"\\u0000\"", LAR_JSONF_NUL);
	rej("{\"a\\u0000\":1}", LAR_JSONF_NUL);
	rej_n("\"a\0b\"", 5, LAR_JSONF_NUL);
	ok("\"\\\\u0000\""); /* an escaped backslash, then text */

	/* SPEC §2.3: lone surrogate escapes */
	rej("\"\\uD800\"", LAR_JSONF_SURROGATE);
	rej("\"\\uDBFF\"", LAR_JSONF_SURROGATE);
	rej("\"\\uDC00\"", LAR_JSONF_SURROGATE);
	rej("\"\\uDFFF\"", LAR_JSONF_SURROGATE);
	rej("\"\\uDC00\\uD800\"", LAR_JSONF_SURROGATE); /* reversed */
	rej("\"\\uD800\\uD800\"", LAR_JSONF_SURROGATE);
	rej("\"\\uD800\\u0041\"", LAR_JSONF_SURROGATE);
	rej("\"\\uD800abcdefgh\"", LAR_JSONF_SURROGATE);
	rej("\"\\uD800\\n\"", LAR_JSONF_SURROGATE);
	rej("\"\\uD800\\", LAR_JSONF_TRUNCATED);
	rej("\"\\uD800\\uDC", LAR_JSONF_TRUNCATED);
	rej("\"\\uD800\\uDC\"", LAR_JSONF_ESCAPE);
	ok("\"\\ud800\\udc00\"");

	/* UTF-8 */
	rej("\"\xC0\xAF\"", LAR_JSONF_UTF8);         /* overlong '/' */
	rej("\"\xC1\xBF\"", LAR_JSONF_UTF8);         /* overlong */
	rej("\"\xE0\x80\xAF\"", LAR_JSONF_UTF8);     /* overlong, 3 bytes */
	rej("\"\xF0\x80\x80\xAF\"", LAR_JSONF_UTF8); /* overlong, 4 bytes */
	rej("\"\xF0\x8F\xBF\xBF\"", LAR_JSONF_UTF8); /* overlong U+FFFF */
	rej("\"\xED\xA0\x80\"", LAR_JSONF_UTF8);     /* U+D800 encoded */
	rej("\"\xED\xBF\xBF\"", LAR_JSONF_UTF8);     /* U+DFFF encoded */
	rej("\"\xF4\x90\x80\x80\"", LAR_JSONF_UTF8); /* U+110000 */
	rej("\"\xF5\x80\x80\x80\"", LAR_JSONF_UTF8);
	rej("\"\xFF\"", LAR_JSONF_UTF8);
	rej("\"\x80\"", LAR_JSONF_UTF8);             /* lone continuation */
	rej("\"\xC3\"", LAR_JSONF_UTF8);             /* cut before the quote */
	rej("\"\xE2\x82\"", LAR_JSONF_UTF8);
	rej("\"\xE2\x82\\n\"", LAR_JSONF_UTF8);
	rej("\"\\n\xE2\x82\"", LAR_JSONF_UTF8);      /* in the escaped-string path */
	rej("\"\\n\xC0\xAF\"", LAR_JSONF_UTF8);
	rej("\"\xE2\x82", LAR_JSONF_TRUNCATED);      /* cut by the end of input */
	rej("\"\xF0\x9F\x98", LAR_JSONF_TRUNCATED);
	rej("\"\\n\xF0\x9F", LAR_JSONF_TRUNCATED);
	rej("\xC3\xA9", LAR_JSONF_SYNTAX);           /* non-ASCII outside a string */
	ok("\"\xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF\xF0\x90\x80\x80\"");

	/* every byte value at every position of a word-sized scan, and of a
	 * long string (its 16-byte steps, then 32-byte AVX2 steps where the CPU
	 * has them); a printable byte must also give the canonical verdict */
	static const size_t slens[] = { 16, 203 };
	for (size_t li = 0; li < sizeof slens / sizeof *slens; li++) {
		size_t len = slens[li];
		int bad = 0;
		for (int c = 0; c < 256; c++) {
			for (size_t k = 0; k < len; k++) {
				/* trailing spaces, so that the fast paths, which stop 16
				 * bytes short of the end of input, see the whole string */
				char t[206 + 16];
				memset(t, 'a', sizeof t);
				t[0] = t[len + 1] = '"';
				memset(t + len + 2, ' ', 16);
				t[1 + k] = (char)c;
				lar_status st;
				struct lar_json_error e = {LAR_JSONF_NONE, 0};
				const struct lar_json *v = parse_n(t, len + 18, &st, &e);
				size_t at = k + 1;
				if (c == 0)
					bad += e.fault != LAR_JSONF_NUL || e.offset != at;
				else if (c < 0x20)
					bad += e.fault != LAR_JSONF_CONTROL || e.offset != at;
				else if (c == '"')
					bad += e.fault != LAR_JSONF_TRAILING || e.offset != at + 1;
				else if (c == '\\' && k == len - 1) /* escapes the closing quote */
					bad += e.fault != LAR_JSONF_TRUNCATED;
				else if (c == '\\')
					bad += e.fault != LAR_JSONF_ESCAPE || e.offset != at;
				else if (c >= 0x80)
					bad += e.fault != LAR_JSONF_UTF8 || e.offset != at;
				else
					bad += st != LAR_OK || v == NULL || v->n != len ||
					       (uint8_t)v->u.s[k] != c;
				if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
					/* canonical text has no whitespace: the string in an array */
					char w[sizeof t + 4];
					int canon = -1;
					const struct lar_json *cv;
					w[0] = '[';
					memcpy(w + 1, t, len + 2);
					memcpy(w + len + 3, ",\"bbbbbbbbbbbbbbbb\"]", 20);
					lar_arena_reset(&arena2);
					const uint8_t *wu = (const uint8_t *)w;
					st = lar_json_parse_canonical(wu, len + 23, &arena2, &cv, NULL,
								      &canon);
					bad += st != LAR_OK || canon != (strchr("&'+<>`\x7F", c) == NULL);
				}
			}
		}
		CHECKM(bad == 0, "%d wrong results for a byte inside a string of %zu", bad, len);
	}

	/* byte-order mark */
	rej("\xEF\xBB\xBF{}", LAR_JSONF_BOM);
	rej("\xEF\xBB\xBF", LAR_JSONF_BOM);
	rej("\xEF\xBB", LAR_JSONF_SYNTAX);

	/* controls and escapes */
	rej("\"\t\"", LAR_JSONF_CONTROL);
	rej("\"\n\"", LAR_JSONF_CONTROL);
	rej("\"\x1F\"", LAR_JSONF_CONTROL);
	rej("\"\\n\x01\"", LAR_JSONF_CONTROL);
	rej("\"\\x41\"", LAR_JSONF_ESCAPE);
	rej("\"\\'\"", LAR_JSONF_ESCAPE);
	rej("\"\\U0041\"", LAR_JSONF_ESCAPE);
	rej("\"\\u12G4\"", LAR_JSONF_ESCAPE);
	rej("\"\\u12\"", LAR_JSONF_ESCAPE);
	rej("\"\\u12", LAR_JSONF_TRUNCATED);
	rej("\"\\", LAR_JSONF_TRUNCATED);
	rej("\"abc", LAR_JSONF_TRUNCATED);
	rej("\"abc\\\"", LAR_JSONF_TRUNCATED);

	/* numbers: RFC 8259 §6 */
	rej("01", LAR_JSONF_SYNTAX);
	rej("-01", LAR_JSONF_SYNTAX);
	rej("[00]", LAR_JSONF_SYNTAX);
	rej("-", LAR_JSONF_TRUNCATED);
	rej("[-]", LAR_JSONF_SYNTAX);
	rej("1.", LAR_JSONF_TRUNCATED);
	rej("[1.]", LAR_JSONF_SYNTAX);
	rej(".1", LAR_JSONF_SYNTAX);
	rej("1e", LAR_JSONF_TRUNCATED);
	rej("[1e]", LAR_JSONF_SYNTAX);
	rej("[1e+]", LAR_JSONF_SYNTAX);
	rej("+1", LAR_JSONF_SYNTAX);
	rej("0x1", LAR_JSONF_TRAILING);
	rej("[1.e5]", LAR_JSONF_SYNTAX);
	rej("[- 1]", LAR_JSONF_SYNTAX);
	rej("NaN", LAR_JSONF_SYNTAX);
	rej("[Infinity]", LAR_JSONF_SYNTAX);
	{
		static const char *const good[] = {
			"0", "-0", "1E+2", "1e-2", "0.5", "-0.0e-0", "1.5E10", "-1e999999",
			"123456789012345678901234567890",
		};
		for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
			const struct lar_json *v = ok(good[i]);
			CHECKM(v && v->type == LAR_JSON_NUMBER && v->n == strlen(good[i]) &&
				       memcmp(v->u.s, good[i], v->n) == 0,
			       "number text '%s' kept", good[i]);
		}
	}

	/* whitespace: only SP TAB LF CR */
	rej("[1,\v2]", LAR_JSONF_SYNTAX);
	rej("[\f]", LAR_JSONF_SYNTAX);
	rej("\f1", LAR_JSONF_SYNTAX);
	rej("1\v", LAR_JSONF_TRAILING);
	rej("\xC2\xA0" "1", LAR_JSONF_SYNTAX);
	ok(" \t\r\n1 \t\r\n");

	/* nothing at all */
	rej("", LAR_JSONF_EMPTY);
	rej(" \t\r\n ", LAR_JSONF_EMPTY);
	{
		const struct lar_json *v = (const struct lar_json *)&arena;
		struct lar_json_error e;
		CHECK(lar_json_parse(NULL, 0, &arena, &v, &e) == LAR_E_SYNTAX && v == NULL &&
		      e.fault == LAR_JSONF_EMPTY);
	}

	/* grammar */
	rej("tru", LAR_JSONF_TRUNCATED);
	rej("nul", LAR_JSONF_TRUNCATED);
	rej("True", LAR_JSONF_SYNTAX);
	rej("[tRue]", LAR_JSONF_SYNTAX);
	rej("[1,]", LAR_JSONF_SYNTAX);
	rej("[,1]", LAR_JSONF_SYNTAX);
	rej("[1 2]", LAR_JSONF_SYNTAX);
	rej("{\"a\" 1}", LAR_JSONF_SYNTAX);
	rej("{\"a\":1,}", LAR_JSONF_SYNTAX);
	rej("{a:1}", LAR_JSONF_SYNTAX);
	rej("{'a':1}", LAR_JSONF_SYNTAX);
	rej("{1:1}", LAR_JSONF_SYNTAX);
	rej("{\"a\":1", LAR_JSONF_TRUNCATED);
	rej("{\"a\":", LAR_JSONF_TRUNCATED);
	rej("{\"a\"", LAR_JSONF_TRUNCATED);
	rej("[1,", LAR_JSONF_TRUNCATED);
	rej("]", LAR_JSONF_SYNTAX);
	rej("/* */ 1", LAR_JSONF_SYNTAX);
	{
		struct lar_json_error e;
		lar_status st;
		parse_n("[1,2,x]", 7, &st, &e);
		CHECK(st == LAR_E_SYNTAX && e.fault == LAR_JSONF_SYNTAX && e.offset == 5);
	}

	/* every proper prefix of a document that is a container is rejected, and nothing crashes */
	{
		const char *doc = "{\"k\\u00e9\":[1,-2.5e3,\"a\\\"b\\uD83D\\uDE00\xC3\xA9\","
				  "{\"x\":null,\"y\":true}],\"z\":false}";
		size_t n = strlen(doc);
		int all = 1;
		for (size_t i = 0; i < n; i++) {
			lar_status st;
			struct lar_json_error e;
			const struct lar_json *v = parse_n(doc, i, &st, &e);
			if (st != LAR_E_SYNTAX || v != NULL ||
			    (i > 0 && e.fault != LAR_JSONF_TRUNCATED))
				all = 0;
		}
		CHECK(all);
		ok(doc);
	}

	for (int f = LAR_JSONF_NONE; f <= LAR_JSONF_TRUNCATED; f++)
		CHECK(strcmp(lar_json_fault_name((enum lar_json_fault)f), "unknown fault") != 0);
	CHECK(strcmp(lar_json_fault_name(LAR_JSONF_DUPLICATE), "duplicate member name") == 0);
	CHECK(lar_json_fault_name((enum lar_json_fault)999) != NULL);
}

/* Reference validity of a string body, from the definition of UTF-8 (shortest
 * form, at most U+10FFFF, no surrogates), written apart from the parser's tables;
 * also no controls, no quote, no backslash. */
static int ref_string_ok(const uint8_t *s, size_t n)
{
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t len = 0;
		if (c < 0x80)
			len = 1;
		else if ((c & 0xE0) == 0xC0)
			len = 2;
		else if ((c & 0xF0) == 0xE0)
			len = 3;
		else if ((c & 0xF8) == 0xF0)
			len = 4;
		if (len == 0 || i + len > n)
			return 0;
		if (len == 1) {
			if (c < 0x20 || c == '"' || c == '\\')
				return 0;
			i++;
			continue;
		}
		uint32_t cp = c & (0x7F >> len);
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

static size_t utf8_enc(uint32_t u, uint8_t *o)
{
	if (u < 0x80) {
		o[0] = (uint8_t)u;
		return 1;
	}
	if (u < 0x800) {
		o[0] = (uint8_t)(0xC0 | u >> 6);
		o[1] = (uint8_t)(0x80 | (u & 0x3F));
		return 2;
	}
	if (u < 0x10000) {
		o[0] = (uint8_t)(0xE0 | u >> 12);
		o[1] = (uint8_t)(0x80 | (u >> 6 & 0x3F));
		o[2] = (uint8_t)(0x80 | (u & 0x3F));
		return 3;
	}
	o[0] = (uint8_t)(0xF0 | u >> 18);
	o[1] = (uint8_t)(0x80 | (u >> 12 & 0x3F));
	o[2] = (uint8_t)(0x80 | (u >> 6 & 0x3F));
	o[3] = (uint8_t)(0x80 | (u & 0x3F));
	return 4;
}

static void test_utf8(void)
{
	/* byte patterns around every lead byte, against the reference */
	static const uint8_t tails[] = {0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0x41};
	int bad = 0;
	long tried = 0;
	for (int b0 = 0x80; b0 <= 0xFF; b0++) {
		for (int b1 = 0; b1 <= 0xFF; b1++) {
			for (size_t t2 = 0; t2 < sizeof tails; t2++) {
				for (size_t t3 = 0; t3 < 3; t3++) {
					uint8_t str[6] = {'"', (uint8_t)b0, (uint8_t)b1, tails[t2],
							  tails[t3 * 2 + 1], '"'};
					lar_status st;
					const struct lar_json *v = parse_n((const char *)str, 6, &st, NULL);
					int want = ref_string_ok(str + 1, 4);
					bad += want != (st == LAR_OK && v != NULL);
					tried++;
				}
			}
		}
		release();
	}
	CHECKM(bad == 0, "%d of %ld byte patterns judged unlike the reference", bad, tried);

	/* every code point from U+0020, raw and as a \u escape, parses to the same
	 * bytes and is written canonically as its UTF-16 escape (or itself) */
	bad = 0;
	struct lar_buf b;
	lar_buf_init(&b, 0);
	for (uint32_t u = 0x20; u <= 0x10FFFF; u++) {
		if (u >= 0xD800 && u <= 0xDFFF)
			continue;
		uint8_t raw[8] = {'"'}, want[16];
		size_t n = utf8_enc(u, raw + 1);
		raw[n + 1] = '"';
		lar_status st;
		const struct lar_json *v = parse_n((const char *)raw, n + 2, &st, NULL);
		if (u == '"' || u == '\\') {
			bad += st == LAR_OK;
			continue;
		}
		if (st != LAR_OK || v == NULL || v->n != n || memcmp(v->u.s, raw + 1, n) != 0) {
			bad++;
			continue;
		}
		char esc[16];
		if (u >= 0x10000)
			sprintf(esc, "\"\\u%04X\\u%04X\"", 0xD800 + ((u - 0x10000) >> 10),
				0xDC00 + ((u - 0x10000) & 0x3FF));
		else
			sprintf(esc, "\"\\u%04X\"", u);
		const struct lar_json *e = parse_n(esc, strlen(esc), &st, NULL);
		if (st != LAR_OK || e == NULL || !lar_json_equal(v, e)) {
			bad++;
			continue;
		}
		lar_buf_reset(&b);
		lar_json_write_canonical(&b, v);
		int plain = u < 0x7F && strchr("&'+<>`", (int)u) == NULL;
		if (plain)
			sprintf((char *)want, "\"%c\"", (int)u);
		else
			strcpy((char *)want, esc);
		bad += b.len != strlen((char *)want) || memcmp(b.p, want, b.len) != 0;
		if ((u & 0xFFF) == 0)
			release();
	}
	lar_buf_free(&b);
	release();
	CHECKM(bad == 0, "%d code points parsed or written wrongly", bad);
}

/* Large and hostile inputs: must end with a result or an error, never crash. */
static void test_hostile(void)
{
	size_t n = 1000000;
	char *s = malloc(2 * n + 64);
	lar_status st;
	struct lar_json_error e;

	memset(s, '[', n);
	parse_n(s, n, &st, &e);
	CHECK(st == LAR_E_SYNTAX && e.fault == LAR_JSONF_DEPTH && e.offset == LAR_JSON_MAX_DEPTH);
	for (size_t i = 0; i + 5 <= n; i += 5)
		memcpy(s + i, "{\"a\":", 5);
	parse_n(s, n, &st, &e);
	CHECK(st == LAR_E_SYNTAX && e.fault == LAR_JSONF_DEPTH);

	/* a megabyte string, plain and with escapes */
	s[0] = '"';
	memset(s + 1, 'a', n);
	s[n + 1] = '"';
	const struct lar_json *v = parse_n(s, n + 2, &st, &e);
	CHECK(st == LAR_OK && v && v->type == LAR_JSON_STRING && v->n == n);
	for (size_t i = 1; i + 1 <= n; i += 2)
		memcpy(s + i, "\\n", 2);
	v = parse_n(s, n + 2, &st, &e);
	CHECK(st == LAR_OK && v && v->n == n / 2);
	parse_n(s, n + 1, &st, &e);
	CHECK(st == LAR_E_SYNTAX && e.fault == LAR_JSONF_TRUNCATED);

	/* a long array */
	s[0] = '[';
	for (size_t i = 0; i < n - 1; i++)
		memcpy(s + 1 + 2 * i, "0,", 2);
	s[2 * n - 2] = ']';
	v = parse_n(s, 2 * n - 1, &st, &e);
	CHECK(st == LAR_OK && v && v->type == LAR_JSON_ARRAY && v->n == n - 1);
	free(s);

	/* 50,000 members: unique in order, unique shuffled, then a duplicate at the end */
	size_t m = 50000, cap = m * 24 + 64;
	char *o = malloc(cap);
	for (int shuffled = 0; shuffled <= 1; shuffled++) {
		for (int dup = 0; dup <= 1; dup++) {
			char *q = o;
			*q++ = '{';
			for (size_t i = 0; i < m; i++) {
				size_t k = shuffled ? (i * 7919) % m : i; /* 7919 is prime: a permutation */
				if (dup && i == m - 1)
					k = shuffled ? 12345 : m - 2;
				q += sprintf(q, "%s\"key%06zu\":%zu", i ? "," : "", k, i);
			}
			*q++ = '}';
			*q = 0;
			v = parse_n(o, (size_t)(q - o), &st, &e);
			if (dup)
				CHECKM(st == LAR_E_SYNTAX && e.fault == LAR_JSONF_DUPLICATE &&
					       e.offset == (size_t)(strrchr(o, ',') + 1 - o),
				       "50k members, shuffled %d, duplicate at the end", shuffled);
			else
				CHECKM(st == LAR_OK && v && v->n == m, "50k members, shuffled %d", shuffled);
		}
	}
	/* a duplicate among many where the names need unescaping */
	{
		char *q = o;
		*q++ = '{';
		for (size_t i = 0; i < 100; i++)
			q += sprintf(q, "%s\"k\\u00%02zx\":0", i ? "," : "", 0x7f - i % 90);
		*q++ = '}';
		parse_n(o, (size_t)(q - o), &st, &e);
		CHECK(st == LAR_E_SYNTAX && e.fault == LAR_JSONF_DUPLICATE);
	}

	/*
	 * Names chosen to collide in the duplicate check's hash table (this is a
	 * copy of keyhash() in json_parse.c and its 256-slot table for up to 128
	 * members): the check must still be right, by its sorting fallback.
	 */
	{
		char *q = o;
		size_t found = 0;
		char first[16] = "";
		*q++ = '{';
		for (unsigned i = 999999; i > 0 && found < 100; i--) {
			char k[16];
			int kn = sprintf(k, "c%u", i);
			uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)kn, w = 0;
			memcpy(&w, k, (size_t)kn); /* names shorter than 8 bytes: one round */
			h = (h ^ w) * 0x94D049BB133111EBu;
			h ^= h >> 31;
			if ((h & 255) != 0)
				continue;
			q += sprintf(q, "%s\"%s\":0", found ? "," : "", k);
			if (found++ == 0)
				strcpy(first, k);
		}
		*q++ = '}';
		v = parse_n(o, (size_t)(q - o), &st, &e);
		CHECKM(found == 100 && st == LAR_OK && v && v->n == 100, "100 colliding names accepted");
		q[-1] = ',';
		q += sprintf(q, "\"%s\":1}", first);
		parse_n(o, (size_t)(q - o), &st, &e);
		CHECKM(st == LAR_E_SYNTAX && e.fault == LAR_JSONF_DUPLICATE &&
			       e.offset == (size_t)(strrchr(o, ',') + 1 - o),
		       "a duplicate among colliding names");
	}
	free(o);

	/* an arena bound is honoured: NOMEM, no crash */
	{
		struct lar_arena small;
		lar_arena_init(&small, 1024);
		const char *big = "[[1,2,3],[4,5,6]]";
		const struct lar_json *t = NULL;
		CHECK(lar_json_parse((const uint8_t *)big, strlen(big), &small, &t, NULL) == LAR_E_NOMEM);
		CHECK(t == NULL);
		lar_arena_free(&small);
	}

	release();
}

static void test_accessors(void)
{
	const struct lar_json *v = ok("{\"Ab\":1,\"ab\":\"x\",\"n\":null,\"e\":\"\"}");
	CHECK(v != NULL);
	if (v == NULL)
		return;
	CHECK(lar_json_get(v, "Ab") == &v->u.members[0].value);
	CHECK(lar_json_get(v, "ab") == &v->u.members[1].value);
	CHECK(lar_json_get(v, "AB") == NULL);
	CHECK(lar_json_get(v, "a") == NULL);
	CHECK(lar_json_get(v, "abc") == NULL);
	CHECK(lar_json_get(NULL, "ab") == NULL);
	CHECK(lar_json_get(&v->u.members[0].value, "ab") == NULL);
	CHECK(lar_json_str_eq(lar_json_get(v, "ab"), "x"));
	CHECK(!lar_json_str_eq(lar_json_get(v, "ab"), "X"));
	CHECK(!lar_json_str_eq(lar_json_get(v, "ab"), "xx"));
	CHECK(!lar_json_str_eq(lar_json_get(v, "ab"), ""));
	CHECK(lar_json_str_eq(lar_json_get(v, "e"), ""));
	CHECK(!lar_json_str_eq(lar_json_get(v, "n"), "null"));
	CHECK(!lar_json_str_eq(NULL, "x"));

	/* lar_json_int */
	struct {
		const char *text;
		int64_t min, max;
		lar_status st;
		int64_t val;
	} cases[] = {
		{"0", INT32_MIN, INT32_MAX, LAR_OK, 0},
		{"-0", INT32_MIN, INT32_MAX, LAR_OK, 0},
		{"2147483647", INT32_MIN, INT32_MAX, LAR_OK, INT32_MAX},
		{"-2147483648", INT32_MIN, INT32_MAX, LAR_OK, INT32_MIN},
		{"2147483648", INT32_MIN, INT32_MAX, LAR_E_RANGE, 0},
		{"-2147483649", INT32_MIN, INT32_MAX, LAR_E_RANGE, 0},
		{"9223372036854775807", INT64_MIN, INT64_MAX, LAR_OK, INT64_MAX},
		{"-9223372036854775808", INT64_MIN, INT64_MAX, LAR_OK, INT64_MIN},
		{"9223372036854775808", INT64_MIN, INT64_MAX, LAR_E_RANGE, 0},
		{"-9223372036854775809", INT64_MIN, INT64_MAX, LAR_E_RANGE, 0},
		{"18446744073709551615", INT64_MIN, INT64_MAX, LAR_E_RANGE, 0},
		{"18446744073709551616", INT64_MIN, INT64_MAX, LAR_E_RANGE, 0},
		{"99999999999999999999999999999", INT64_MIN, INT64_MAX, LAR_E_RANGE, 0},
		{"9999999999999999999", INT64_MIN, INT64_MAX, LAR_E_RANGE, 0}, /* 19 digits, > INT64_MAX */
		{"-999999999999999999", INT64_MIN, INT64_MAX, LAR_OK, -999999999999999999},
		{"99999999999999999999.5", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0}, /* grammar before range */
		{"184467440737095516160e1", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0},
		{"5", 0, 4, LAR_E_RANGE, 0},
		{"-1", 0, 100, LAR_E_RANGE, 0},
		{"42", 42, 42, LAR_OK, 42},
		{"1.0", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0},
		{"1e2", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0},
		{"1E2", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0},
		{"-0.0", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0},
		{"\"5\"", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0},
		{"true", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0},
		{"null", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0},
		{"999999999999999999", INT64_MIN, INT64_MAX, LAR_OK, 999999999999999999}, /* 18 digits */
		{"1000000000000000000", INT64_MIN, INT64_MAX, LAR_OK, 1000000000000000000}, /* 19 */
		{"100", 0, 99, LAR_E_RANGE, 0},
		{"99", 100, 200, LAR_E_RANGE, 0},
		{"12.5", INT64_MIN, INT64_MAX, LAR_E_INVAL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct lar_json *t = ok(cases[i].text);
		int64_t got = 777;
		lar_status st = lar_json_int(t, cases[i].min, cases[i].max, &got);
		CHECKM(st == cases[i].st, "lar_json_int('%s') = %s", cases[i].text, lar_strerror(st));
		CHECKM(got == (st == LAR_OK ? cases[i].val : 777), "lar_json_int('%s') value", cases[i].text);
	}
	/* random integers of 1 to 21 digits, either sign, against strtoll */
	{
		unsigned seed = 5;
		int wrong = 0;
		for (int t = 0; t < 20000; t++) {
			char text[32];
			size_t n = 0, digits = 1 + (size_t)rand_r(&seed) % 21;
			if (rand_r(&seed) % 3 == 0)
				text[n++] = '-';
			text[n++] = (char)('1' + rand_r(&seed) % 9);
			for (size_t d = 1; d < digits; d++)
				text[n++] = (char)('0' + rand_r(&seed) % 10);
			text[n] = 0;
			struct lar_json num = { .type = LAR_JSON_NUMBER, .n = n, .u.s = text };
			int64_t lo = t % 2 ? INT32_MIN : INT64_MIN, hi = t % 2 ? INT32_MAX : INT64_MAX, got = 0;
			errno = 0;
			long long ref = strtoll(text, NULL, 10);
			lar_status want = errno == ERANGE || ref < lo || ref > hi ? LAR_E_RANGE : LAR_OK;
			lar_status st = lar_json_int(&num, lo, hi, &got);
			if (st != want || (st == LAR_OK && got != ref))
				if (wrong++ < 3)
					fprintf(stderr, "lar_json_int('%s') = %s, strtoll %lld\n", text,
						lar_strerror(st), ref);
		}
		CHECKM(wrong == 0, "lar_json_int differs from strtoll on %d of 20000 integers", wrong);
	}
	int64_t dummy;
	CHECK(lar_json_int(NULL, 0, 1, &dummy) == LAR_E_INVAL);
	/* a hand-built number that the parser would never make */
	{
		struct lar_json bad = {.type = LAR_JSON_NUMBER, .n = 2, .u.s = "01"};
		CHECK(lar_json_int(&bad, INT64_MIN, INT64_MAX, &dummy) == LAR_E_INVAL);
		bad.n = 1;
		bad.u.s = "-";
		CHECK(lar_json_int(&bad, INT64_MIN, INT64_MAX, &dummy) == LAR_E_INVAL);
	}

	/* lar_json_equal */
	CHECK(lar_json_equal(ok("{\"a\":[1,{\"x\":null}],\"b\":\"s\"}"),
			     ok("{ \"b\":\"\\u0073\", \"a\":[1,{\"x\":null}]}")));
	CHECK(!lar_json_equal(ok("{\"a\":1,\"b\":2}"), ok("{\"a\":1,\"c\":2}")));
	CHECK(!lar_json_equal(ok("{\"a\":1,\"b\":2}"), ok("{\"b\":1,\"a\":2}")));
	CHECK(!lar_json_equal(ok("{\"a\":1}"), ok("{\"a\":1,\"b\":2}")));
	CHECK(!lar_json_equal(ok("[1,2]"), ok("[2,1]")));
	/* numbers by value (SPEC §1.5 compares the body semantically) */
	CHECK(lar_json_equal(ok("1"), ok("1.0")));
	CHECK(lar_json_equal(ok("[10,-0.5]"), ok("[1e1,-50E-2]")));
	CHECK(!lar_json_equal(ok("1"), ok("-1")));
	{
		/* lar_json_number_eq: exact decimals, any length */
		static const struct {
			const char *a, *b;
			int eq;
		} nums[] = {
			{ "4", "4.0", 1 },           { "4", "0.4e1", 1 },
			{ "4", "400E-2", 1 },        { "4", "4.0000000000000001", 0 },
			{ "95", "95.000000000000001", 0 }, { "100", "100.0000000000000001", 0 },
			{ "0", "-0", 1 },            { "0", "0.000e-7", 1 },
			{ "0", "0e999999999999999999999999", 1 }, { "-0.0", "0E+5", 1 },
			{ "1", "1e999999999999999999999999", 0 }, { "1e999999999999999999999999", "1e999999999999999999999999", 1 },
			{ "10e999999999999999", "1e1000000000000000", 0 }, /* far exponents: by text only */
			{ "120", "1.2e2", 1 },       { "120", "1.2e1", 0 },
			{ "-5", "-5.00", 1 },        { "-5", "5", 0 },
			{ "123", "1230e-1", 1 },     { "123", "12300e-1", 0 },
			{ "9223372036854775807", "9.223372036854775807e18", 1 },
			{ "9223372036854775807", "9223372036854775808", 0 },
			{ "0.001", "1e-3", 1 },      { "0.0010", "0.001", 1 },
			{ "1.5", "15e-1", 1 },       { "1.5", "1.05", 0 },
		};
		for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
			int got = lar_json_number_eq(nums[i].a, strlen(nums[i].a), nums[i].b, strlen(nums[i].b));
			int rev = lar_json_number_eq(nums[i].b, strlen(nums[i].b), nums[i].a, strlen(nums[i].a));
			CHECKM(got == nums[i].eq && rev == nums[i].eq, "lar_json_number_eq(%s, %s) = %d / %d, want %d",
			       nums[i].a, nums[i].b, got, rev, nums[i].eq);
		}
		/* random numbers, each written two ways: the digits d (no leading
		 * or trailing zero) times 10^k, with the point moved, zeros added
		 * on both sides and the exponent adjusted, are one number; one
		 * digit changed, or the exponent off by one, is another */
		uint64_t seed = 20261127;
		for (int round = 0; round < 2000; round++) {
			char d[24], x[96], y[96];
			size_t nd = 1 + tap_xorshift(&seed) % 20;
			for (size_t j = 0; j < nd; j++)
				d[j] = (char)('0' + tap_xorshift(&seed) % 10);
			d[0] = (char)('1' + tap_xorshift(&seed) % 9);
			d[nd - 1] = (char)('1' + tap_xorshift(&seed) % 9);
			d[nd] = 0;
			int k = (int)(tap_xorshift(&seed) % 41) - 20, neg = (int)(tap_xorshift(&seed) & 1);
			/* x: the digits with no point, exponent k */
			snprintf(x, sizeof x, "%s%se%d", neg ? "-" : "", d, k);
			/* y: "0.000" then the digits then "000", exponent k + nd + zeros before */
			size_t lz = tap_xorshift(&seed) % 4, tz = tap_xorshift(&seed) % 4;
			char *q = y;
			if (neg)
				*q++ = '-';
			*q++ = '0';
			*q++ = '.';
			for (size_t j = 0; j < lz; j++)
				*q++ = '0';
			memcpy(q, d, nd);
			q += nd;
			for (size_t j = 0; j < tz; j++)
				*q++ = '0';
			snprintf(q, sizeof y - (size_t)(q - y), "E%+d", k + (int)(nd + lz));
			CHECKM(lar_json_number_eq(x, strlen(x), y, strlen(y)), "%s == %s", x, y);
			size_t at = tap_xorshift(&seed) % nd;
			char *pos = strchr(y, d[0]) + at; /* the same digit in y */
			*pos = *pos == '9' ? '8' : (char)(*pos + 1);
			CHECKM(!lar_json_number_eq(x, strlen(x), y, strlen(y)), "%s != %s", x, y);
			*pos = *pos == '8' && d[at] == '9' ? '9' : (char)(*pos - 1);
			snprintf(x, sizeof x, "%s%se%d", neg ? "-" : "", d, k + 1);
			CHECKM(!lar_json_number_eq(x, strlen(x), y, strlen(y)), "%s != %s", x, y);
		}
		/* 95 followed by a fraction of 80 zeros: the same number */
		char longer[100] = "95.";
		memset(longer + 3, '0', 80);
		CHECK(lar_json_number_eq("95", 2, longer, 83));
		longer[82] = '1';
		CHECK(!lar_json_number_eq("95", 2, longer, 83));
	}
	CHECK(!lar_json_equal(ok("1"), ok("\"1\"")));
	CHECK(!lar_json_equal(ok("true"), ok("false")));
	CHECK(lar_json_equal(ok("null"), ok(" null ")));
	CHECK(!lar_json_equal(ok("\"ab\""), ok("\"ac\"")));
	CHECK(lar_json_equal(NULL, NULL) && !lar_json_equal(ok("null"), NULL));
	{
		/* 40 members in reverse order (the sorting path) */
		char a[1024], b[1024], *p = a, *q = b;
		*p++ = '{';
		*q++ = '{';
		for (int i = 0; i < 40; i++) {
			p += sprintf(p, "%s\"m%d\":%d", i ? "," : "", i, i);
			q += sprintf(q, "%s\"m%d\":%d", i ? "," : "", 39 - i, 39 - i);
		}
		strcpy(p, "}");
		strcpy(q, "}");
		const struct lar_json *x = ok(a), *y = ok(b);
		CHECK(lar_json_equal(x, y) && lar_json_equal(y, x));
		char *r = strstr(b, "\"m7\":7");
		r[5] = '8';
		y = ok(b);
		CHECK(!lar_json_equal(x, y) && !lar_json_equal(y, x));
		r[5] = '7';
		r[2] = 'x'; /* m7 -> mx */
		y = ok(b);
		CHECK(!lar_json_equal(x, y));
	}
}

/* ---- writers ---- */

static void test_canonical(void)
{
	/* SPEC §1.4, row by row */
	CHECK(canon_str_is("abc XYZ 019 /", 13, "\"abc XYZ 019 /\""));
	CHECK(canon_str_is("\"&'+<>`", 7, "\"\\u0022\\u0026\\u0027\\u002B\\u003C\\u003E\\u0060\""));
	CHECK(canon_str_is("\\", 1, "\"\\\\\""));
	CHECK(canon_str_is("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\""));
	CHECK(canon_str_is("\x01\x0B\x1F\x7F", 4, "\"\\u0001\\u000B\\u001F\\u007F\""));
	CHECK(canon_str_is("\0", 1, "\"\\u0000\""));
	CHECK(canon_str_is("\xC3\xA9\xE2\x82\xAC", 5, "\"\\u00E9\\u20AC\""));
	CHECK(canon_str_is("\xC2\x80\xC2\xA0", 4, "\"\\u0080\\u00A0\""));
	CHECK(canon_str_is("\xEF\xBB\xBF", 3, "\"\\uFEFF\""));
	CHECK(canon_str_is("\xEF\xBF\xBF", 3, "\"\\uFFFF\""));
	CHECK(canon_str_is("\xF0\x9F\x98\x80", 4, "\"\\uD83D\\uDE00\""));
	CHECK(canon_str_is("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF", 8, "\"\\uD800\\uDC00\\uDBFF\\uDFFF\""));
	CHECK(canon_str_is("a\xE2\x80\xA8" "b", 5, "\"a\\u2028b\""));
	CHECK(canon_str_is("", 0, "\"\""));
	/* ill-formed input never passes through */
	CHECK(canon_str_is("\xFF" "a\xC3", 3, "\"\\uFFFDa\\uFFFD\""));

	/* all of ASCII against an independent statement of the table */
	for (int c = 0; c < 128; c++) {
		char in = (char)c, want[16];
		if (c == '\\')
			strcpy(want, "\"\\\\\"");
		else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f')
			sprintf(want, "\"\\%c\"",
				c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f');
		else if (c < 0x20 || c == 0x7F || (c != 0 && strchr("\"&'+<>`", c) != NULL))
			sprintf(want, "\"\\u%04X\"", c);
		else
			sprintf(want, "\"%c\"", c);
		CHECKM(canon_str_is(&in, 1, want), "canonical of byte 0x%02x", c);
	}
	/* and every BMP character outside ASCII and the surrogates, as \uXXXX upper case */
	{
		int bad = 0;
		for (uint32_t u = 0x80; u <= 0xFFFF; u++) {
			if (u >= 0xD800 && u <= 0xDFFF)
				continue;
			char in[4], want[16];
			size_t n;
			if (u < 0x800) {
				in[0] = (char)(0xC0 | u >> 6);
				in[1] = (char)(0x80 | (u & 0x3F));
				n = 2;
			} else {
				in[0] = (char)(0xE0 | u >> 12);
				in[1] = (char)(0x80 | (u >> 6 & 0x3F));
				in[2] = (char)(0x80 | (u & 0x3F));
				n = 3;
			}
			sprintf(want, "\"\\u%04X\"", (unsigned)u);
			struct lar_buf b;
			lar_buf_init(&b, 0);
			lar_json_write_canonical_string(&b, in, n);
			if (b.len != strlen(want) || memcmp(b.p, want, b.len) != 0)
				bad++;
			lar_buf_free(&b);
		}
		CHECKM(bad == 0, "%d BMP characters written wrongly", bad);
	}

	/* values */
	CHECK(canon_is(ok(" { \"b\" : [ 1 , -0 , -0.0 , 1E+2 , true , false , null ] , \"a\" : { } } "),
		       "{\"a\":{},\"b\":[1,0,-0.0,1E+2,true,false,null]}"));
	CHECK(canon_is(ok("-0"), "0"));
	CHECK(canon_is(ok("[]"), "[]"));
	CHECK(canon_is(ok("\"\\u0041\\/\""), "\"A/\""));

	/* member order: ordinal UTF-16 code units */
	CHECK(canon_is(ok("{\"b\":1,\"a\":2,\"B\":3,\"aa\":4,\"\":5}"),
		       "{\"\":5,\"B\":3,\"a\":2,\"aa\":4,\"b\":1}"));
	CHECK(canon_is(ok("{\"z\":{\"y\":1,\"x\":2},\"a\":[{\"d\":1,\"c\":2}]}"),
		       "{\"a\":[{\"c\":2,\"d\":1}],\"z\":{\"x\":2,\"y\":1}}"));
	CHECK(canon_is(ok("{\"\\u00e9\":1,\"z\":2}"), "{\"z\":2,\"\\u00E9\":1}"));
	/* U+1F600 is D83D DE00 in UTF-16: before U+E000, though after it by code point */
	CHECK(canon_is(ok("{\"\\uE000\":1,\"\\uD83D\\uDE00\":2}"), "{\"\\uD83D\\uDE00\":2,\"\\uE000\":1}"));
	CHECK(canon_is(ok("{\"\\uD83D\\uDE00\":2,\"\\uE000\":1}"), "{\"\\uD83D\\uDE00\":2,\"\\uE000\":1}"));
	CHECK(canon_is(ok("{\"\\uFFFF\":1,\"\\uD800\\uDC00\":2,\"\\uD7FF\":3}"),
		       "{\"\\uD7FF\":3,\"\\uD800\\uDC00\":2,\"\\uFFFF\":1}"));
	CHECK(canon_is(ok("{\"a\\uFFFF\":1,\"a\\uDBFF\\uDFFF\":2,\"a\\uFFFFb\":3,\"a\":4}"),
		       "{\"a\":4,\"a\\uDBFF\\uDFFF\":2,\"a\\uFFFF\":1,\"a\\uFFFFb\":3}"));
	/* the same with more than 64 members (the allocating path) */
	{
		char in[4096], want[4096], *p = in, *q = want;
		p += sprintf(p, "{\"\\uE000\":0");
		for (int i = 99; i >= 0; i--)
			p += sprintf(p, ",\"k%02d\":%d", i, i);
		p += sprintf(p, ",\"\\uD83D\\uDE00\":1}");
		q += sprintf(q, "{");
		for (int i = 0; i < 100; i++)
			q += sprintf(q, "\"k%02d\":%d,", i, i);
		q += sprintf(q, "\"\\uD83D\\uDE00\":1,\"\\uE000\":0}");
		CHECK(canon_is(ok(in), want));
	}

	/* a bounded buffer: sticky oom, never past max */
	{
		struct lar_buf b;
		lar_buf_init(&b, 10);
		lar_json_write_canonical(&b, ok("[\"0123456789abcdef\"]"));
		CHECK(b.oom && b.len <= 10);
		lar_buf_free(&b);
		lar_buf_init(&b, 10); /* exactly the output's size */
		lar_json_write_canonical(&b, ok("[\"\\u00e9\"]"));
		CHECK(!b.oom && b.len == 10 && memcmp(b.p, "[\"\\u00E9\"]", 10) == 0);
		lar_buf_free(&b);
	}
	/* long output crosses the staging buffer */
	{
		size_t n = 100000;
		char *s = malloc(n);
		for (size_t i = 0; i < n; i++)
			s[i] = i % 3 ? 'x' : '<';
		struct lar_buf b;
		lar_buf_init(&b, 0);
		lar_json_write_canonical_string(&b, s, n);
		size_t lt = (n + 2) / 3;
		CHECK(!b.oom && b.len == 2 + (n - lt) + 6 * lt);
		CHECK(b.len > 8 && memcmp(b.p, "\"\\u003Cxx\\u003C", 15) == 0 && b.p[b.len - 1] == '"');
		lar_buf_free(&b);
		free(s);
	}
}

static void test_plain(void)
{
	struct lar_buf b;
	const char *s = "a\"b\\c\n\r\t\b\f\x01\x1F\x7F/&<+\xC3\xA9\xF0\x9F\x98\x80";
	lar_buf_init(&b, 0);
	lar_json_write_string(&b, s, strlen(s));
	const char *want = "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f/&<+\xC3\xA9\xF0\x9F\x98\x80\"";
	CHECK(!b.oom && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0);
	lar_buf_reset(&b);
	lar_json_write_string(&b, "x\xC0\xAFy\xE2\x82", 6); /* ill-formed: U+FFFD each */
	want = "\"x\xEF\xBF\xBD\xEF\xBF\xBDy\xEF\xBF\xBD\xEF\xBF\xBD\"";
	CHECK(!b.oom && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0);

	/* for a screen: C1, bidi controls and U+2028/9 escaped, their neighbours raw; the
	 * plain writer (the body LiveAuth writes, SPEC §1.5) keeps them all raw */
	{
		static const struct {
			uint32_t cp;
			int escaped;
		} cps[] = {
			{ 0x7E, 0 },   { 0x80, 1 },   { 0x9B, 1 },   { 0x9F, 1 },   { 0xA0, 0 },   { 0xE9, 0 },
			{ 0x61B, 0 },  { 0x61C, 1 },  { 0x200D, 0 }, { 0x200E, 1 }, { 0x200F, 1 }, { 0x2010, 0 },
			{ 0x2027, 0 }, { 0x2028, 1 }, { 0x2029, 1 }, { 0x202A, 1 }, { 0x202E, 1 }, { 0x202F, 0 },
			{ 0x2065, 0 }, { 0x2066, 1 }, { 0x2069, 1 }, { 0x206A, 0 }, { 0x1F600, 0 },
		};
		for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
			char u[8], in[16], want_esc[32], want_raw[32];
			uint32_t c = cps[i].cp;
			size_t k;
			if (c < 0x80) {
				u[0] = (char)c;
				k = 1;
			} else if (c < 0x800) {
				u[0] = (char)(0xC0 | c >> 6);
				u[1] = (char)(0x80 | (c & 0x3F));
				k = 2;
			} else if (c < 0x10000) {
				u[0] = (char)(0xE0 | c >> 12);
				u[1] = (char)(0x80 | (c >> 6 & 0x3F));
				u[2] = (char)(0x80 | (c & 0x3F));
				k = 3;
			} else {
				u[0] = (char)(0xF0 | c >> 18);
				u[1] = (char)(0x80 | (c >> 12 & 0x3F));
				u[2] = (char)(0x80 | (c >> 6 & 0x3F));
				u[3] = (char)(0x80 | (c & 0x3F));
				k = 4;
			}
			snprintf(in, sizeof in, "a%.*sb", (int)k, u);
			snprintf(want_raw, sizeof want_raw, "\"%s\"", in);
			if (cps[i].escaped)
				snprintf(want_esc, sizeof want_esc, "\"a\\u%04xb\"", (unsigned)c);
			else
				snprintf(want_esc, sizeof want_esc, "%s", want_raw);
			lar_buf_reset(&b);
			lar_json_write_display_string(&b, in, strlen(in));
			CHECKM(!b.oom && b.len == strlen(want_esc) && memcmp(b.p, want_esc, b.len) == 0,
			       "display U+%04X", (unsigned)c);
			lar_buf_reset(&b);
			lar_json_write_string(&b, in, strlen(in));
			CHECKM(!b.oom && b.len == strlen(want_raw) && memcmp(b.p, want_raw, b.len) == 0,
			       "plain U+%04X", (unsigned)c);
		}
		/* and the rest of the display writer is the plain one's */
		lar_buf_reset(&b);
		lar_json_write_display_string(&b, s, strlen(s));
		want = "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f/&<+\xC3\xA9\xF0\x9F\x98\x80\"";
		CHECK(!b.oom && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0);
	}
	lar_buf_free(&b);

	const struct lar_json *v =
		ok("{ \"b\" : [1, -0, {}, [], \"\\u00e9\"], \"a\" : {\"x\": null, \"y\": [true]} }");
	CHECK(plain_is(v, 0, "{\"b\":[1,-0,{},[],\"\xC3\xA9\"],\"a\":{\"x\":null,\"y\":[true]}}"));
	CHECK(plain_is(v, 2,
		       "{\n"
		       "  \"b\": [\n"
		       "    1,\n"
		       "    -0,\n"
		       "    {},\n"
		       "    [],\n"
		       "    \"\xC3\xA9\"\n"
		       "  ],\n"
		       "  \"a\": {\n"
		       "    \"x\": null,\n"
		       "    \"y\": [\n"
		       "      true\n"
		       "    ]\n"
		       "  }\n"
		       "}"));
	CHECK(plain_is(ok("7"), 4, "7"));
	/* the pretty form parses back to the same tree */
	{
		struct lar_buf p;
		lar_buf_init(&p, 0);
		lar_json_write_pretty(&p, v, 3);
		lar_status st;
		const struct lar_json *back = parse_n((const char *)p.p, p.len, &st, NULL);
		CHECK(st == LAR_OK && lar_json_equal(v, back));
		lar_buf_free(&p);
	}
}

/* ---- JSONTestSuite and cJSON ---- */

static int same_as_cjson(const struct lar_json *v, const cJSON *c)
{
	switch (v->type) {
	case LAR_JSON_NULL:
		return cJSON_IsNull(c);
	case LAR_JSON_FALSE:
		return cJSON_IsFalse(c);
	case LAR_JSON_TRUE:
		return cJSON_IsTrue(c);
	case LAR_JSON_NUMBER: {
		if (!cJSON_IsNumber(c))
			return 0;
		char tmp[512];
		if (v->n >= sizeof tmp)
			return 1;
		memcpy(tmp, v->u.s, v->n);
		tmp[v->n] = 0;
		double d = strtod(tmp, NULL);
		return !isfinite(d) || !isfinite(c->valuedouble) || d == c->valuedouble;
	}
	case LAR_JSON_STRING:
		return cJSON_IsString(c) && strlen(c->valuestring) == v->n &&
		       memcmp(c->valuestring, v->u.s, v->n) == 0;
	case LAR_JSON_ARRAY: {
		if (!cJSON_IsArray(c) || (size_t)cJSON_GetArraySize(c) != v->n)
			return 0;
		const cJSON *e = c->child;
		for (size_t i = 0; i < v->n; i++, e = e->next)
			if (!same_as_cjson(&v->u.items[i], e))
				return 0;
		return 1;
	}
	case LAR_JSON_OBJECT: {
		if (!cJSON_IsObject(c) || (size_t)cJSON_GetArraySize(c) != v->n)
			return 0;
		const cJSON *e = c->child;
		for (size_t i = 0; i < v->n; i++, e = e->next) {
			const struct lar_json_member *m = &v->u.members[i];
			if (strlen(e->string) != m->keylen || memcmp(e->string, m->key, m->keylen) != 0 ||
			    !same_as_cjson(&m->value, e))
				return 0;
		}
		return 1;
	}
	}
	return 0;
}

/* y_ files our stricter rules (SPEC §2.3) reject, each with the rule that does. */
static const struct {
	const char *name;
	enum lar_json_fault fault;
} y_rejected[] = {
	{"y_object_duplicated_key.json", LAR_JSONF_DUPLICATE},          /* duplicate member names */
	{"y_object_duplicated_key_and_value.json", LAR_JSONF_DUPLICATE}, /* even with equal values */
	{"y_object_escaped_null_in_key.json", LAR_JSONF_NUL},           /* U+0000 in a name */
	{"y_string_null_escape.json", LAR_JSONF_NUL},                   /* U+0000 escaped */
};

/* Our choice for each i_ file: accepted (fault NONE) or rejected with this fault. */
static const struct {
	const char *name;
	enum lar_json_fault fault;
} i_choice[] = {
	/* numbers are kept as text: any size is fine */
	{"i_number_double_huge_neg_exp.json", LAR_JSONF_NONE},
	{"i_number_huge_exp.json", LAR_JSONF_NONE},
	{"i_number_neg_int_huge_exp.json", LAR_JSONF_NONE},
	{"i_number_pos_double_huge_exp.json", LAR_JSONF_NONE},
	{"i_number_real_neg_overflow.json", LAR_JSONF_NONE},
	{"i_number_real_pos_overflow.json", LAR_JSONF_NONE},
	{"i_number_real_underflow.json", LAR_JSONF_NONE},
	{"i_number_too_big_neg_int.json", LAR_JSONF_NONE},
	{"i_number_too_big_pos_int.json", LAR_JSONF_NONE},
	{"i_number_very_big_negative_int.json", LAR_JSONF_NONE},
	/* SPEC §2.3: lone surrogate escapes */
	{"i_object_key_lone_2nd_surrogate.json", LAR_JSONF_SURROGATE},
	{"i_string_1st_surrogate_but_2nd_missing.json", LAR_JSONF_SURROGATE},
	{"i_string_1st_valid_surrogate_2nd_invalid.json", LAR_JSONF_SURROGATE},
	{"i_string_incomplete_surrogate_and_escape_valid.json", LAR_JSONF_SURROGATE},
	{"i_string_incomplete_surrogate_pair.json", LAR_JSONF_SURROGATE},
	{"i_string_incomplete_surrogates_escape_valid.json", LAR_JSONF_SURROGATE},
	{"i_string_invalid_lonely_surrogate.json", LAR_JSONF_SURROGATE},
	{"i_string_invalid_surrogate.json", LAR_JSONF_SURROGATE},
	{"i_string_inverted_surrogates_U+1D11E.json", LAR_JSONF_SURROGATE},
	{"i_string_lone_second_surrogate.json", LAR_JSONF_SURROGATE},
	/* SPEC §2.3: UTF-8 only */
	{"i_string_UTF-8_invalid_sequence.json", LAR_JSONF_UTF8},
	{"i_string_UTF8_surrogate_U+D800.json", LAR_JSONF_UTF8},
	{"i_string_invalid_utf-8.json", LAR_JSONF_UTF8},
	{"i_string_iso_latin_1.json", LAR_JSONF_UTF8},
	{"i_string_lone_utf8_continuation_byte.json", LAR_JSONF_UTF8},
	{"i_string_not_in_unicode_range.json", LAR_JSONF_UTF8},
	{"i_string_overlong_sequence_2_bytes.json", LAR_JSONF_UTF8},
	{"i_string_overlong_sequence_6_bytes.json", LAR_JSONF_UTF8},
	{"i_string_overlong_sequence_6_bytes_null.json", LAR_JSONF_UTF8},
	{"i_string_truncated-utf-8.json", LAR_JSONF_UTF8},
	{"i_string_UTF-16LE_with_BOM.json", LAR_JSONF_SYNTAX},
	{"i_string_utf16BE_no_BOM.json", LAR_JSONF_SYNTAX},
	{"i_string_utf16LE_no_BOM.json", LAR_JSONF_SYNTAX},
	/* SPEC §2.3: nesting deeper than 64, byte-order mark */
	{"i_structure_500_nested_arrays.json", LAR_JSONF_DEPTH},
	{"i_structure_UTF-8_BOM_empty_object.json", LAR_JSONF_BOM},
};

static int cmpname(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int kept_same_all(const char *text, size_t n);

static void test_jsontestsuite(void)
{
	char path[4096];
	const char *dir = tap_shared("vectors/jsontestsuite/test_parsing", path, sizeof path);
	if (dir == NULL) {
		printf("# JSONTestSuite not found under $LAR_SHARED: skipped\n");
		return;
	}
	char dirname[4096];
	snprintf(dirname, sizeof dirname, "%s", dir);
	DIR *d = opendir(dirname);
	CHECK(d != NULL);
	if (d == NULL)
		return;
	char *names[1024];
	size_t nn = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && nn < 1024)
		if (strlen(de->d_name) > 5 && strcmp(de->d_name + strlen(de->d_name) - 5, ".json") == 0)
			names[nn++] = strdup(de->d_name);
	closedir(d);
	qsort(names, nn, sizeof *names, cmpname);
	CHECKM(nn >= 300, "%zu JSONTestSuite files", nn);

	size_t y = 0, yrej = 0, n = 0, i_ = 0, diffed = 0, i_chosen = 0;
	size_t seen_y_rej[sizeof y_rejected / sizeof *y_rejected] = {0};
	for (size_t k = 0; k < nn; k++) {
		char file[8192];
		size_t len;
		snprintf(file, sizeof file, "%s/%s", dirname, names[k]);
		char *text = tap_slurp(file, &len);
		CHECKM(text != NULL, "read %s", names[k]);
		if (text == NULL)
			continue;
		lar_status st;
		struct lar_json_error e = {LAR_JSONF_NONE, 0};
		const struct lar_json *v = parse_n(text, len, &st, &e);
		const char *nm = names[k];
		CHECKM(kept_same_all(text, len), "%s: the same verdict and kept tree under each filter", nm);
		if (nm[0] == 'y') {
			y++;
			size_t r;
			for (r = 0; r < sizeof y_rejected / sizeof *y_rejected; r++)
				if (strcmp(nm, y_rejected[r].name) == 0)
					break;
			if (r < sizeof y_rejected / sizeof *y_rejected) {
				yrej++;
				seen_y_rej[r]++;
				CHECKM(st == LAR_E_SYNTAX && e.fault == y_rejected[r].fault,
				       "%s: rejected by our rule '%s' (got '%s')", nm,
				       lar_json_fault_name(y_rejected[r].fault),
				       lar_json_fault_name(e.fault));
				goto next;
			}
			CHECKM(st == LAR_OK && v != NULL, "%s accepted (got '%s' at %zu)", nm,
			       lar_json_fault_name(e.fault), e.offset);
			if (v == NULL)
				goto next;
			cJSON *c = cJSON_ParseWithLength(text, len);
			CHECKM(c != NULL, "cJSON parses %s", nm);
			if (c != NULL) {
				CHECKM(same_as_cjson(v, c), "%s: same tree as cJSON", nm);
				diffed++;
				cJSON_Delete(c);
			}
			/* writers: canonical is stable, and both forms parse back to the same tree */
			struct lar_buf b1, b2, b3;
			lar_buf_init(&b1, 0);
			lar_buf_init(&b2, 0);
			lar_buf_init(&b3, 0);
			lar_json_write_canonical(&b1, v);
			lar_json_write(&b3, v);
			const struct lar_json *cv = parse_n((const char *)b1.p, b1.len, &st, NULL);
			CHECKM(st == LAR_OK && cv != NULL, "%s: canonical output parses", nm);
			if (cv != NULL) {
				lar_json_write_canonical(&b2, cv);
				CHECKM(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0,
				       "%s: canonical stable", nm);
				int ascii = 1;
				for (size_t j = 0; j < b1.len; j++)
					ascii &= b1.p[j] >= 0x20 && b1.p[j] < 0x7F;
				CHECKM(ascii, "%s: canonical output is printable ASCII", nm);
			}
			const struct lar_json *pv = parse_n((const char *)b3.p, b3.len, &st, NULL);
			CHECKM(st == LAR_OK && lar_json_equal(v, pv), "%s: plain output parses back equal",
			       nm);
			lar_buf_free(&b1);
			lar_buf_free(&b2);
			lar_buf_free(&b3);
		} else if (nm[0] == 'n') {
			n++;
			CHECKM(st == LAR_E_SYNTAX && v == NULL && e.fault != LAR_JSONF_NONE, "%s rejected",
			       nm);
		} else if (nm[0] == 'i') {
			i_++;
			CHECKM(st == LAR_OK || st == LAR_E_SYNTAX, "%s: a result or an error", nm);
			for (size_t r = 0; r < sizeof i_choice / sizeof *i_choice; r++) {
				if (strcmp(nm, i_choice[r].name) != 0)
					continue;
				i_chosen++;
				if (i_choice[r].fault == LAR_JSONF_NONE)
					CHECKM(st == LAR_OK && v != NULL, "%s accepted", nm);
				else
					CHECKM(st == LAR_E_SYNTAX && e.fault == i_choice[r].fault,
					       "%s rejected as '%s' (got '%s')", nm,
					       lar_json_fault_name(i_choice[r].fault),
					       lar_json_fault_name(e.fault));
			}
		}
	next:
		free(text);
		release();
	}
	for (size_t r = 0; r < sizeof y_rejected / sizeof *y_rejected; r++)
		CHECKM(seen_y_rej[r] == 1, "listed exception %s is in the suite", y_rejected[r].name);
	CHECKM(i_chosen == sizeof i_choice / sizeof *i_choice, "every i_ choice checked");
	CHECK(y > 90 && n > 180 && i_ > 30);
	printf("# JSONTestSuite: %zu y_ (%zu rejected by SPEC rules, %zu compared with cJSON), "
	       "%zu n_, %zu i_\n", y, yrej, diffed, n, i_);
	for (size_t k = 0; k < nn; k++)
		free(names[k]);
}

/* ---- canonical form judged while parsing (lar_json_parse_canonical) ---- */

/* 1 or 0: the parser's verdict; -1 when the text does not parse. */
static int parsed_canon(const char *s, size_t n)
{
	const struct lar_json *v;
	int c = 7;
	lar_status st = lar_json_parse_canonical((const uint8_t *)s, n, &arena, &v, NULL, &c);
	if (st != LAR_OK)
		return c == 0 ? -1 : -2;
	/* the oracle: serialise and compare bytes, as receipt.c did before */
	struct lar_buf b;
	lar_buf_init(&b, 0);
	lar_json_write_canonical(&b, v);
	int same = b.len == n && memcmp(b.p, s, n) == 0;
	lar_buf_free(&b);
	CHECKM(c == same, "'%.*s': parser says %d, serialising says %d", (int)n, s, c, same);
	return c;
}

static void test_parse_canonical(void)
{
	static const struct {
		const char *text;
		int canon;
	} cases[] = {
		{ "{\"a\":1,\"b\":[true,false,null],\"c\":\"x y/z\"}", 1 },
		{ "{\"a\":1, \"b\":2}", 0 },              /* whitespace */
		{ " {\"a\":1}", 0 },
		{ "{\"a\":1}\n", 0 },
		{ "{\"b\":1,\"a\":2}", 0 },               /* member order */
		{ "{\"a\":{\"y\":1,\"x\":2}}", 0 },       /* nested member order */
		{ "{\"a\":-0}", 0 },                      /* written 0 */
		{ "{\"a\":0,\"b\":-1,\"c\":1.50,\"d\":1E3}", 1 }, /* other numbers as written */
		{ "[\"a\\u002Bb\"]", 1 },                 /* + escaped upper case */
		{ "[\"a+b\"]", 0 },
		{ "[\"a\\u002bb\"]", 0 },                 /* lower-case hex */
		{ "[\"&\"]", 0 }, { "[\"'\"]", 0 }, { "[\"<\"]", 0 }, { "[\">\"]", 0 }, { "[\"`\"]", 0 },
		{ "[\"\x7f\"]", 0 }, { "[\"\\u007F\"]", 1 },
		{ "[\"\\u0022\"]", 1 }, { "[\"\\\"\"]", 0 }, /* a quote is \u0022 */
		{ "[\"\\\\\"]", 1 }, { "[\"\\u005C\"]", 0 },
		{ "[\"\\n\\r\\t\\b\\f\"]", 1 }, { "[\"\\u000A\"]", 0 },
		{ "[\"\\u001F\\u0001\"]", 1 },
		{ "[\"\\/\"]", 0 }, { "[\"/\"]", 1 },
		{ "[\"\\u00E9\"]", 1 }, { "[\"\xc3\xa9\"]", 0 }, /* non-ASCII is escaped */
		{ "[\"\\uD83D\\uDE00\"]", 1 }, { "[\"\xf0\x9f\x98\x80\"]", 0 },
		{ "[\"0123456789abcdef0123456789abcdef+\"]", 0 }, /* past the 16-byte step */
		{ "[\"0123456789abcdef0123456789abcdef\"]", 1 },
		/* UTF-16 order: U+1F600 (D83D DE00) sorts before U+FF61 though its UTF-8 is greater */
		{ "{\"\\uD83D\\uDE00\":1,\"\\uFF61\":2}", 1 },
		{ "{\"\\uFF61\":1,\"\\uD83D\\uDE00\":2}", 0 },
		{ "{\"a\\u0026\":1,\"a\\u0027\":2}", 1 },  /* names escaped too */
		{ "{\"a&\":1}", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		CHECKM(parsed_canon(cases[i].text, strlen(cases[i].text)) == cases[i].canon,
		       "canonical verdict of '%s'", cases[i].text);
	CHECKM(parsed_canon("{\"a\":", 5) == -1, "text that does not parse is not canonical");

	/* the same fault and offset as lar_json_parse, also where byte and
	 * UTF-16 order of the names differ */
	static const char *const dups[] = {
		"{\"\\uFF01\":1,\"\\uD83D\\uDE00\":1,\"\\uD83D\\uDE00\":2}",
		"{\"\\uD83D\\uDE00\":1,\"\\uFF01\":1,\"\\uFF01\":2}",
		"{\"b\":1,\"a\":2,\"b\":3}",
	};
	for (size_t i = 0; i < sizeof dups / sizeof *dups; i++) {
		const struct lar_json *v;
		struct lar_json_error e1, e2;
		int c = 7;
		const uint8_t *d = (const uint8_t *)dups[i];
		lar_status s1 = lar_json_parse(d, strlen(dups[i]), &arena, &v, &e1);
		lar_status s2 = lar_json_parse_canonical(d, strlen(dups[i]), &arena, &v, &e2, &c);
		CHECKM(s1 == LAR_E_SYNTAX && s2 == s1 && e1.fault == LAR_JSONF_DUPLICATE &&
			       e2.fault == e1.fault && e2.offset == e1.offset && c == 0,
		       "'%s': duplicate at %zu and %zu", dups[i], e1.offset, e2.offset);
	}
	release();
}

/* ---- the names memo (lar_json_parse_memo) changes nothing ---- */

/* One document of objects whose names come from a small set, so that
 * consecutive documents share names, orders and duplicates. */
static size_t gen_doc(char *b, size_t max, unsigned *seed)
{
	static const char *const names[] = {
		"\"a\"", "\"b\"", "\"c\"", "\"agentId\"", "\"createdAt\"", "\"a+b\"", "\"\\u0061\"",
		"\"\xc3\xa9\"",
		"\"\\u00E9\"", "\"\"", "\"z\"", "\"attestationKind\"", "\"attestationSource\"",
	};
	static const char *const vals[] = { "1", "\"x\"", "null", "-0", "[1,2]", "{}", "{\"a\":1,\"b\":2}",
					    "{\"b\":1,\"a\":2}", "{\"a\":1,\"a\":2}", "tru", "\"\\u0022\"" };
	size_t n = 0;
	int k = rand_r(seed) % 7;
	b[n++] = '{';
	for (int i = 0; i < k && n + 64 < max; i++) {
		if (i > 0)
			b[n++] = ',';
		if (rand_r(seed) % 20 == 0)
			b[n++] = ' ';
		size_t nnames = sizeof names / sizeof *names;
		size_t pick = rand_r(seed) % 5 < 3 ? (size_t)(i % 4) : (size_t)rand_r(seed) % nnames;
		const char *nm = names[pick];
		const char *vl = vals[rand_r(seed) % (sizeof vals / sizeof *vals)];
		/* now and then the colon apart from the name, or a space after it */
		int sp = rand_r(seed) % 16;
		n += (size_t)snprintf(b + n, max - n, "%s%s%s", nm, sp == 0 ? " :" : sp == 1 ? ": " : ":", vl);
	}
	if (rand_r(seed) % 6 == 0 && n + 40 < max) /* a nested object as a later member */
		n += (size_t)snprintf(b + n, max - n, "%s\"o\":{\"b\":1,\"a\":{\"c\":2}}", k ? "," : "");
	if (rand_r(seed) % 30 != 0)
		b[n++] = '}';
	return n;
}

/* A parse described as text: status, fault and offset, canonical, tree. */
static void describe(lar_status st, const struct lar_json *v, const struct lar_json_error *e, int canon,
		     struct lar_buf *out)
{
	lar_buf_printf(out, "%d %d %zu %d ", (int)st, (int)e->fault, e->offset, canon);
	if (st == LAR_OK)
		lar_json_write(out, v);
	lar_buf_putc(out, '\n');
}

/* d[0..n) parsed with the memo into x and without it into y (each as
 * describe() writes it), canonical verdicts too when canon_mode; returns the
 * memo parse's status. */
static lar_status memo_vs_plain(struct lar_json_memo *memo, const uint8_t *d, size_t n, int canon_mode,
				struct lar_arena *a1, struct lar_arena *a2, struct lar_buf *x, struct lar_buf *y)
{
	const struct lar_json *v1, *v2;
	struct lar_json_error e1, e2;
	int c1 = -1, c2 = -1;
	lar_arena_reset(a1);
	lar_arena_reset(a2);
	lar_buf_reset(x);
	lar_buf_reset(y);
	lar_status s1 = lar_json_parse_memo(d, n, a1, memo, &v1, &e1, canon_mode ? &c1 : NULL);
	lar_status s2 = canon_mode ? lar_json_parse_canonical(d, n, a2, &v2, &e2, &c2)
				   : lar_json_parse(d, n, a2, &v2, &e2);
	describe(s1, v1, &e1, c1, x);
	describe(s2, v2, &e2, c2, y);
	return s1;
}

static void test_memo(void)
{
	struct lar_json_memo *memo;
	CHECK(lar_json_memo_new(&memo) == LAR_OK);
	struct lar_arena a1, a2;
	lar_arena_init(&a1, 0);
	lar_arena_init(&a2, 0);
	struct lar_buf x, y;
	lar_buf_init(&x, 0);
	lar_buf_init(&y, 0);
	unsigned seed = 7;
	int differ = 0;
	char doc[1024];
	for (int t = 0; t < 50000; t++) {
		size_t n = gen_doc(doc, sizeof doc, &seed);
		memo_vs_plain(memo, (const uint8_t *)doc, n, t % 2, &a1, &a2, &x, &y);
		if (x.len != y.len || memcmp(x.p, y.p, x.len) != 0) {
			if (differ++ < 3)
				fprintf(stderr, "memo differs on '%.*s':\n  %.*s  %.*s", (int)n, doc,
					(int)x.len, (char *)x.p, (int)y.len, (char *)y.p);
		}
	}
	CHECKM(differ == 0, "%d of 50000 documents parsed differently with the memo", differ);

	/* records of a few shapes that share leading names, interleaved: the
	 * memo switches between its ways and must still find the duplicate of
	 * the third shape and the disorder of the fourth */
	static const char *const shapes[] = {
		"{\"a\":1,\"b\":2,\"c\":3}", "{\"a\":1,\"b\":2,\"d\":4,\"e\":5}",
		"{\"a\":1,\"b\":2,\"d\":4,\"a\":9}", "{\"a\":1,\"b\":2,\"e\":5,\"d\":4}",
		"{\"a\":1}", "{}", "{\"a\":1,\"b\":2,\"c\":3,\"a\":7}",
		"{\"a\":1,\"b\":2}", "{\"b\":1,\"c\":2,\"a\":3}", "{\"a\":1,\"c\":2,\"a\":3}",
	};
	static const int order[] = { 0, 1, 0, 1, 2, 0, 2, 1, 3, 1, 3, 0, 4, 1, 5, 0, 6, 0, 6, 1, 1, 2, 2, 3,
				     8, 7, 9, 8, 7, 9 };
	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		const char *sd = shapes[order[i]];
		lar_status s1 = memo_vs_plain(memo, (const uint8_t *)sd, strlen(sd), 1, &a1, &a2, &x, &y);
		CHECKM(x.len == y.len && memcmp(x.p, y.p, x.len) == 0, "record %zu '%s': memo gives %.*s", i,
		       sd, (int)x.len, (char *)x.p);
		int dup = order[i] == 2 || order[i] == 6 || order[i] == 9;
		CHECKM(dup == (s1 != LAR_OK), "record %zu '%s': status %d", i, sd, (int)s1);
	}

	/* names out of order, judged again from the memo: still not canonical
	 * (the memo's order bits are UTF-16 order on any byte order) */
	static const char *const again[] = { "{\"bbcdefga\":2,\"abcdefgh\":1}", "{\"b\":2,\"a\":1}",
					     "{\"abcdefgh\":1,\"bbcdefga\":2}" };
	for (size_t i = 0; i < sizeof again / sizeof *again; i++) {
		for (int round = 0; round < 3; round++) {
			const struct lar_json *v;
			int c = 7;
			lar_arena_reset(&a1);
			const uint8_t *d = (const uint8_t *)again[i];
			lar_status st = lar_json_parse_memo(d, strlen(again[i]), &a1, memo, &v, NULL, &c);
			CHECKM(st == LAR_OK && c == (i == 2), "'%s', round %d: canonical %d", again[i],
			       round, c);
		}
	}
	lar_buf_free(&x);
	lar_buf_free(&y);
	lar_arena_free(&a1);
	lar_arena_free(&a2);
	lar_json_memo_free(memo);
}

/* ---- building only what the caller reads (lar_json_parse_kept) ---- */

static const struct lar_json_keep keep_none = { 0, NULL, 0 };
static const struct lar_json_keep keep_scalars = { 0, NULL, 1 };
static const struct lar_json_kept names_a[] = { { "a", 1, NULL } };
static const struct lar_json_keep keep_a = { 1, names_a, 0 };
static const struct lar_json_keep keep_x, keep_xs;
static const struct lar_json_kept names_x[] = {
	{ "o", 1, &keep_a }, { "a", 1, NULL }, { "b", 1, &keep_none }, { "x", 1, &keep_x }, { "z", 1, NULL },
	{ "s", 1, &keep_scalars }, { "y", 1, &keep_xs },
};
static const struct lar_json_keep keep_x = { sizeof names_x / sizeof *names_x, names_x, 0 };
static const struct lar_json_keep keep_xs = { sizeof names_x / sizeof *names_x, names_x, 1 };
static const struct lar_json_keep *const filters[] = { &keep_none, &keep_a, &keep_x, &keep_xs, &keep_scalars };
#define NFILTERS (sizeof filters / sizeof *filters)

/* What lar_json_parse_kept must build under keep, written as lar_json_write
 * writes it: the whole tree v with the left-out values dropped (json.h). */
static void write_kept(struct lar_buf *out, const struct lar_json *v, const struct lar_json_keep *keep)
{
	if (keep == NULL || (v->type != LAR_JSON_OBJECT && v->type != LAR_JSON_ARRAY)) {
		lar_json_write(out, v);
		return;
	}
	if (v->type == LAR_JSON_ARRAY || (keep->n == 0 && !keep->scalars)) {
		lar_buf_put(out, v->type == LAR_JSON_ARRAY ? "[]" : "{}", 2);
		return;
	}
	lar_buf_putc(out, '{');
	int first = 1;
	for (size_t i = 0; i < v->n; i++) {
		const struct lar_json_member *m = &v->u.members[i];
		const struct lar_json_keep *sub = NULL;
		int named = 0;
		for (size_t j = 0; j < keep->n && !named; j++) {
			if (keep->names[j].len == m->keylen && memcmp(keep->names[j].name, m->key, m->keylen) == 0) {
				named = 1;
				sub = keep->names[j].sub;
			}
		}
		int container = m->value.type == LAR_JSON_OBJECT || m->value.type == LAR_JSON_ARRAY;
		if (!named && (container || !keep->scalars))
			continue;
		if (!first)
			lar_buf_putc(out, ',');
		first = 0;
		lar_json_write_string(out, m->key, m->keylen);
		lar_buf_putc(out, ':');
		write_kept(out, &m->value, sub);
	}
	lar_buf_putc(out, '}');
}

/* d[0..n) parsed whole (then filtered by write_kept) into y and with
 * lar_json_parse_kept (memo may be NULL) into x; 1 when they agree - the
 * same status, fault and offset, the same kept tree. */
static int kept_vs_whole(const uint8_t *d, size_t n, const struct lar_json_keep *keep, struct lar_json_memo *memo,
			 struct lar_arena *a1, struct lar_arena *a2, struct lar_buf *x, struct lar_buf *y)
{
	const struct lar_json *v1 = NULL, *v2 = NULL;
	struct lar_json_error e1, e2;
	lar_arena_reset(a1);
	lar_arena_reset(a2);
	lar_buf_reset(x);
	lar_buf_reset(y);
	lar_status s1 = lar_json_parse_kept(d, n, a1, memo, keep, &v1, &e1);
	lar_status s2 = lar_json_parse(d, n, a2, &v2, &e2);
	lar_buf_printf(x, "%d %d %zu ", (int)s1, (int)e1.fault, e1.offset);
	lar_buf_printf(y, "%d %d %zu ", (int)s2, (int)e2.fault, e2.offset);
	if (s1 == LAR_OK)
		lar_json_write(x, v1);
	if (s2 == LAR_OK)
		write_kept(y, v2, keep);
	return x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

/* kept_vs_whole under each filter, from an exact-size copy of text */
static int kept_same_all(const char *text, size_t n)
{
	struct lar_arena a1, a2;
	struct lar_buf x, y;
	lar_arena_init(&a1, 0);
	lar_arena_init(&a2, 0);
	lar_buf_init(&x, 0);
	lar_buf_init(&y, 0);
	uint8_t *exact = malloc(n ? n : 1);
	memcpy(exact, text, n);
	int same = 1;
	for (size_t f = 0; f < sizeof filters / sizeof *filters; f++)
		same &= kept_vs_whole(exact, n, filters[f], NULL, &a1, &a2, &x, &y);
	free(exact);
	lar_buf_free(&x);
	lar_buf_free(&y);
	lar_arena_free(&a1);
	lar_arena_free(&a2);
	return same;
}

static void test_kept(void)
{
	struct lar_json_memo *memo;
	CHECK(lar_json_memo_new(&memo) == LAR_OK);
	struct lar_arena a1, a2;
	lar_arena_init(&a1, 0);
	lar_arena_init(&a2, 0);
	struct lar_buf x, y;
	lar_buf_init(&x, 0);
	lar_buf_init(&y, 0);

	/* documents of repeated names: left-out values hold duplicates, bad
	 * literals and escapes; with and without the memo */
	unsigned seed = 11;
	int differ = 0;
	char doc[1024];
	for (int t = 0; t < 60000; t++) {
		size_t n = gen_doc(doc, sizeof doc, &seed);
		const struct lar_json_keep *k = filters[t % NFILTERS];
		if (!kept_vs_whole((const uint8_t *)doc, n, k, t & 4 ? memo : NULL, &a1, &a2, &x, &y) &&
		    differ++ < 3)
			fprintf(stderr, "kept differs on '%.*s':\n  %.*s\n  %.*s\n", (int)n, doc, (int)x.len,
				(char *)x.p, (int)y.len, (char *)y.p);
	}
	CHECKM(differ == 0, "%d of 60000 documents parsed differently under a filter", differ);

	/* every position of a few documents replaced by each of these bytes, or
	 * cut there: the left-out parts are as strict as the rest, faults at the
	 * same offsets */
	static const char *const docs[] = {
		("{\"x\":{\"b\":1,\"a\":[1,\"\\u00e9\",{\"c\":\"\\\\\"}],\"c\":null,\"o\":{\"a\":[2]}},"
		 "\"y\":[{\"d\":1e5,\"e\":-0.5}],\"z\":\"s\\n\",\"b\":{\"q\":true}}"),
		"{\"t\":{\"\\u0061\":1,\"b\":{\"c\":[[],{}]},\"a\":2},\"a\":[\"\\ud83d\\ude00\",false]}",
		"[{\"a\":1},{\"b\":[1,2,{\"a\":\"\xc3\xa9\"}]},\"\\\"\"]",
		"{\"b\":{\"k\":\"\\u0000\"},\"o\":{\"z\":1,\"a\":{\"y\":2,\"x\":3,\"y\":4}}}",
	};
	static const char subst[] = "\"\\{}[],:0-au \x01\xc3\x80\x7f" "e.";
	differ = 0;
	size_t cases = 0;
	char buf[512];
	for (size_t di = 0; di < sizeof docs / sizeof *docs; di++) {
		size_t len = strlen(docs[di]);
		for (size_t pos = 0; pos < len; pos++) {
			for (size_t si = 0; si <= sizeof subst - 1; si++) {
				memcpy(buf, docs[di], len);
				size_t n = len;
				if (si == sizeof subst - 1)
					n = pos; /* cut */
				else
					buf[pos] = subst[si];
				uint8_t *exact = malloc(n ? n : 1); /* ASan: nothing read past the end */
				memcpy(exact, buf, n);
				for (size_t f = 0; f < NFILTERS; f++) {
					cases++;
					if (!kept_vs_whole(exact, n, filters[f], (pos & 1) ? memo : NULL, &a1, &a2,
							   &x, &y) && differ++ < 3)
						fprintf(stderr, "kept differs on '%.*s':\n  %.*s\n  %.*s\n", (int)n,
							buf, (int)x.len, (char *)x.p, (int)y.len, (char *)y.p);
				}
				free(exact);
			}
		}
	}
	CHECKM(differ == 0, "%d of %zu changed documents parsed differently under a filter", differ, cases);

	/* duplicate names of a left-out object, the first escaped: found, at the
	 * later name's quote as for a whole parse */
	static const char dup[] = "{\"x\":{\"\\u0061\":1,\"b\":2,\"a\":3},\"a\":1}";
	CHECK(kept_vs_whole((const uint8_t *)dup, sizeof dup - 1, &keep_a, NULL, &a1, &a2, &x, &y));
	{
		const struct lar_json *dv;
		struct lar_json_error de;
		lar_arena_reset(&a1);
		lar_status ds = lar_json_parse_kept((const uint8_t *)dup, sizeof dup - 1, &a1, NULL, &keep_a, &dv,
						    &de);
		CHECKM(ds == LAR_E_SYNTAX && de.fault == LAR_JSONF_DUPLICATE && de.offset == 23,
		       "left-out duplicate: %d %s at %zu", (int)ds, lar_json_fault_name(de.fault), de.offset);
	}

	/* what is left out holds no memory but the names of the objects being
	 * checked: a million-element array, a megabyte string of escapes in an
	 * array and an object of 1,000 names fit an arena of 256 KiB (the bound
	 * of each scratch stack too) that a whole parse overflows */
	size_t big = 1000000;
	char *s = malloc(4 * big + 200000);
	size_t n = 0;
	n += (size_t)sprintf(s + n, "{\"z\":\"kept\",\"arr\":[");
	for (size_t i = 0; i < big; i++)
		n += (size_t)sprintf(s + n, "%s0", i ? "," : "");
	n += (size_t)sprintf(s + n, "],\"esc\":[\"");
	for (size_t i = 0; i < big / 2; i++)
		s[n++] = '\\', s[n++] = 'n';
	n += (size_t)sprintf(s + n, "\"],\"obj\":{");
	for (int i = 0; i < 1000; i++)
		n += (size_t)sprintf(s + n, "%s\"k%d\":[%d]", i ? "," : "", (i * 7919) % 1000, i);
	n += (size_t)sprintf(s + n, "}}");
	struct lar_arena small;
	lar_arena_init(&small, 256 * 1024);
	const struct lar_json *v = NULL;
	lar_status st = lar_json_parse_kept((const uint8_t *)s, n, &small, NULL, &keep_x, &v, NULL);
	CHECKM(st == LAR_OK && v != NULL && v->type == LAR_JSON_OBJECT && v->n == 1 &&
	       lar_json_str_eq(lar_json_get(v, "z"), "kept"), "left-out values fit a 256 KiB arena: %d", (int)st);
	lar_arena_reset(&small);
	st = lar_json_parse((const uint8_t *)s, n, &small, &v, NULL);
	CHECKM(st == LAR_E_NOMEM, "the whole tree does not: %d", (int)st);
	/* and a left-out object with a duplicate among its 1,000 names is still rejected */
	memcpy(strstr(s, "\"k1\":"), "\"k0\"", 4);
	lar_arena_reset(&small);
	st = lar_json_parse_kept((const uint8_t *)s, n, &small, NULL, &keep_x, &v, NULL);
	CHECKM(st == LAR_E_SYNTAX, "a duplicate among 1,000 left-out names: %d", (int)st);
	lar_arena_free(&small);
	free(s);

	lar_buf_free(&x);
	lar_buf_free(&y);
	lar_arena_free(&a1);
	lar_arena_free(&a2);
	lar_json_memo_free(memo);
}

/* ---- golden receipts ---- */

/* Tiny base64url (no padding) decoder for the test; -1 on a bad character. */
/* ---- shapes (struct lar_json.shape) ---- */

struct shapes {
	char **names; /* by shape: the names of the first object given it, as text */
	size_t cap;
	long reused, differ;
};

/* Every object of v with a shape: its names (length-prefixed) must be those
 * of the first object the memo gave that shape. */
static void shapes_walk(struct shapes *sh, const struct lar_json *v, struct lar_buf *tmp)
{
	if (v->type == LAR_JSON_ARRAY) {
		for (size_t i = 0; i < v->n; i++)
			shapes_walk(sh, &v->u.items[i], tmp);
		return;
	}
	if (v->type != LAR_JSON_OBJECT)
		return;
	for (size_t i = 0; i < v->n; i++)
		shapes_walk(sh, &v->u.members[i].value, tmp);
	if (v->shape == 0)
		return;
	lar_buf_reset(tmp);
	for (size_t i = 0; i < v->n; i++) {
		lar_buf_printf(tmp, "%zu:", v->u.members[i].keylen);
		lar_buf_put(tmp, v->u.members[i].key, v->u.members[i].keylen);
	}
	lar_buf_putc(tmp, 0);
	if (v->shape >= sh->cap) {
		size_t ncap = sh->cap ? sh->cap : 1024;
		while (ncap <= v->shape)
			ncap *= 2;
		sh->names = realloc(sh->names, ncap * sizeof *sh->names);
		memset(sh->names + sh->cap, 0, (ncap - sh->cap) * sizeof *sh->names);
		sh->cap = ncap;
	}
	char **slot = &sh->names[v->shape];
	if (*slot == NULL) {
		*slot = strdup((const char *)tmp->p);
	} else if (strcmp(*slot, (const char *)tmp->p) != 0) {
		if (sh->differ++ < 3)
			fprintf(stderr, "shape %u: names %s, then %s\n", v->shape, *slot, (char *)tmp->p);
	} else {
		sh->reused++;
	}
}

/* Objects given one shape by a memo have the same names in the same order,
 * whether parsed whole or kept under any filter (a left-out member makes an
 * object shapeless), and shapes do happen. */
static void test_shapes(void)
{
	struct lar_json_memo *memo;
	CHECK(lar_json_memo_new(&memo) == LAR_OK);
	struct lar_arena a;
	lar_arena_init(&a, 0);
	struct lar_buf tmp;
	lar_buf_init(&tmp, 0);
	struct shapes sh = { NULL, 0, 0, 0 };
	unsigned seed = 11;
	char doc[1024];
	for (int t = 0; t < 60000; t++) {
		size_t n = gen_doc(doc, sizeof doc, &seed);
		const struct lar_json *v = NULL;
		int f = rand_r(&seed) % (int)(sizeof filters / sizeof *filters + 1);
		lar_arena_reset(&a);
		lar_status st = f == 0 ? lar_json_parse_memo((const uint8_t *)doc, n, &a, memo, &v, NULL, NULL)
				       : lar_json_parse_kept((const uint8_t *)doc, n, &a, memo, filters[f - 1], &v,
							     NULL);
		if (st == LAR_OK)
			shapes_walk(&sh, v, &tmp);
	}
	CHECKM(sh.differ == 0, "%ld objects have the shape of objects with other names", sh.differ);
	CHECKM(sh.reused > 3000, "only %ld objects had a shape seen before", sh.reused);
	for (size_t i = 0; i < sh.cap; i++)
		free(sh.names[i]);
	free(sh.names);
	lar_buf_free(&tmp);
	lar_arena_free(&a);
	lar_json_memo_free(memo);
}

static long b64url_dec(const char *s, size_t n, uint8_t *out)
{
	uint32_t acc = 0;
	int bits = 0;
	long o = 0;
	for (size_t i = 0; i < n; i++) {
		const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const char *p = memchr(al, s[i], 64);
		if (s[i] == 0 || p == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

static int has_reason(const struct lar_json *exp, const char *r)
{
	const struct lar_json *rs = lar_json_get(exp, "reasons");
	for (size_t i = 0; rs && rs->type == LAR_JSON_ARRAY && i < rs->n; i++)
		if (lar_json_str_eq(&rs->u.items[i], r))
			return 1;
	return 0;
}

static void test_golden(void)
{
	char p1[4096], p2[4096];
	const char *rpath = tap_shared("golden/receipts.jsonl", p1, sizeof p1);
	const char *epath = tap_shared("golden/expected.jsonl", p2, sizeof p2);
	if (rpath == NULL || epath == NULL) {
		printf("# golden receipts not found under $LAR_SHARED: skipped\n");
		return;
	}
	size_t rlen, elen;
	char *rtext = tap_slurp(rpath, &rlen), *etext = tap_slurp(epath, &elen);
	CHECK(rtext != NULL && etext != NULL);
	if (rtext == NULL || etext == NULL) {
		free(rtext);
		free(etext);
		return;
	}
	size_t same = 0, differ = 0, rejected = 0, accepted = 0, lines = 0;
	char *r = rtext, *e = etext;
	while (*r && *e) {
		char *rn = strchr(r, '\n'), *en = strchr(e, '\n');
		size_t rl = rn ? (size_t)(rn - r) : strlen(r), el = en ? (size_t)(en - e) : strlen(e);
		lines++;
		lar_status st;
		const struct lar_json *exp = parse_n(e, el, &st, NULL);
		CHECKM(st == LAR_OK && exp, "expected.jsonl line %zu parses", lines);
		const struct lar_json *rec = parse_n(r, rl, &st, NULL);
		const struct lar_json *env = rec, *pl;
		if (lar_json_get(rec, "receipt") != NULL)
			env = lar_json_get(rec, "receipt");
		pl = lar_json_get(env, "payload");
		const struct lar_json *status = lar_json_get(exp, "status"), *cs = lar_json_get(exp, "case");
		int is_ok = lar_json_str_eq(status, "ok");
		int is_flag = lar_json_str_eq(status, "flag");
		int noncanon = has_reason(exp, "noncanonical_payload");
		int named_noncanon = cs && cs->type == LAR_JSON_STRING && cs->n >= 9 &&
				     memcmp(cs->u.s, "noncanon-", 9) == 0;
		int malformed = has_reason(exp, "malformed_payload");
		int schema = has_reason(exp, "schema_violation");
		if (is_ok || is_flag || malformed || schema) {
			CHECKM(pl && pl->type == LAR_JSON_STRING, "line %zu: payload string", lines);
			if (pl && pl->type == LAR_JSON_STRING) {
				uint8_t *raw = malloc(pl->n + 1);
				long n = b64url_dec(pl->u.s, pl->n, raw);
				CHECKM(n >= 0, "line %zu: payload decodes", lines);
				size_t rawlen = n < 0 ? 0 : (size_t)n;
				const struct lar_json *v = parse_n((const char *)raw, rawlen, &st, NULL);
				if (malformed) {
					CHECKM(st == LAR_E_SYNTAX && !v, "line %zu: malformed payload",
					       lines);
					rejected++;
				} else {
					CHECKM(st == LAR_OK && v, "line %zu: payload parses", lines);
					accepted++;
				}
				if (v != NULL && (is_ok || is_flag)) {
					struct lar_buf b;
					lar_buf_init(&b, 0);
					lar_json_write_canonical(&b, v);
					int eq = !b.oom && b.len == (size_t)n && memcmp(b.p, raw, b.len) == 0;
					if (noncanon || named_noncanon) {
						CHECKM(!eq, "line %zu: noncanonical payload differs", lines);
						differ++;
					} else {
						CHECKM(eq, "line %zu: canonical payload identical: %.*s",
						       lines, (int)b.len, (const char *)b.p);
						same++;
					}
					lar_buf_free(&b);
				}
				free(raw);
			}
		}
		r = rn ? rn + 1 : r + rl;
		e = en ? en + 1 : e + el;
	}
	CHECKM(*r == 0 && *e == 0, "receipts.jsonl and expected.jsonl have the same number of lines");
	CHECK(same >= 20 && differ >= 4 && rejected >= 5);
	printf("# golden: %zu lines, %zu payloads canonical, %zu noncanonical, %zu rejected, %zu accepted\n",
	       lines, same, differ, rejected, accepted);
	free(rtext);
	free(etext);
	release();
}

int main(void)
{
	lar_arena_init(&arena, 0);
	lar_arena_init(&arena2, 0);
	test_basics();
	test_strict();
	test_utf8();
	test_hostile();
	test_accessors();
	test_canonical();
	test_parse_canonical();
	test_memo();
	test_kept();
	test_shapes();
	test_plain();
	test_jsontestsuite();
	test_golden();
	release();
	free(kept);
	lar_arena_free(&arena);
	lar_arena_free(&arena2);
	return tap_done();
}
