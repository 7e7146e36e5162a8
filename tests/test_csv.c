/*
 * test_csv.c - the RFC 4180 writer (csv.h, SPEC §4.3): exact bytes for the
 * quoting, CRLF and neutralisation rules, and a round trip through a small
 * independent RFC 4180 reader written here, over hand-picked and random
 * cells (commas, quotes, CR, LF, non-ASCII, formula starters).
 * Not for: export columns (test_report.c, t_ledger.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "tap.h"

/* ---- a strict RFC 4180 reader, for the test only ---- */

struct cell {
	char *p;
	size_t n;
};
struct table {
	struct cell cells[64][32];
	size_t ncols[64];
	size_t nrows;
	int error;
};

/* Parse text[0..n) (every row ends in CRLF).  Returns 0, or -1 on any
 * deviation from RFC 4180 as the writer promises it. */
static int csv_read(const char *t, size_t n, struct table *tb)
{
	size_t i = 0;
	memset(tb, 0, sizeof *tb);
	while (i < n) {
		if (tb->nrows == 64)
			return -1;
		size_t r = tb->nrows++, c = 0;
		for (;;) {
			if (c == 32)
				return -1;
			struct cell *cl = &tb->cells[r][c++];
			cl->p = malloc(n + 1);
			cl->n = 0;
			if (i < n && t[i] == '"') {
				i++;
				for (;;) {
					if (i >= n)
						return -1; /* unterminated */
					if (t[i] == '"') {
						if (i + 1 < n && t[i + 1] == '"') {
							cl->p[cl->n++] = '"';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					cl->p[cl->n++] = t[i++];
				}
			} else {
				while (i < n && t[i] != ',' && t[i] != '\r' && t[i] != '\n') {
					if (t[i] == '"')
						return -1; /* a quote in an unquoted field */
					cl->p[cl->n++] = t[i++];
				}
			}
			if (i < n && t[i] == ',') {
				i++;
				continue;
			}
			if (i + 1 < n && t[i] == '\r' && t[i + 1] == '\n') {
				i += 2;
				break;
			}
			return -1; /* a bare LF or CR, or text after a closing quote, or no CRLF at the end */
		}
		tb->ncols[r] = c;
	}
	return 0;
}

static void table_free(struct table *tb)
{
	for (size_t r = 0; r < 64; r++)
		for (size_t c = 0; c < 32; c++)
			free(tb->cells[r][c].p);
}

/* Undo the documented neutralisation. */
static struct cell unprefix(struct cell c)
{
	if (c.n >= 2 && c.p[0] == '\'' && lar_csv_needs_prefix((unsigned char)c.p[1])) {
		c.p++;
		c.n--;
	}
	return c;
}

static int cell_is(struct cell c, const char *s, size_t n)
{
	return c.n == n && memcmp(c.p, s, n) == 0;
}

/* ---- tests ---- */

static void expect(void (*fill)(struct lar_csv *), const char *want)
{
	struct lar_buf b;
	struct lar_csv w;
	lar_buf_init(&b, 0);
	lar_csv_init(&w, &b);
	fill(&w);
	CHECKM(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0, "got [%.*s] want [%.200s]", (int)b.len,
	       (const char *)b.p, want);
	lar_buf_free(&b);
}

static void fill_basic(struct lar_csv *w)
{
	lar_csv_cstr(w, "plain");
	lar_csv_cstr(w, "a,b");
	lar_csv_cstr(w, "say \"hi\"");
	lar_csv_cstr(w, NULL);
	lar_csv_int(w, -42);
	lar_csv_int(w, 0);
	lar_csv_cstr(w, "");
	lar_csv_end_row(w);
	lar_csv_cstr(w, "line1\nline2");
	lar_csv_cstr(w, "cr\rhere");
	lar_csv_end_row(w);
}

static void fill_neutral(struct lar_csv *w)
{
	lar_csv_cstr(w, "=SUM(A1)");
	lar_csv_cstr(w, "+1");
	lar_csv_cstr(w, "-1");
	lar_csv_cstr(w, "@cmd");
	lar_csv_cstr(w, "\tx");
	lar_csv_cstr(w, "\rx");
	lar_csv_cstr(w, "'quoted");
	lar_csv_cstr(w, "a=b");
	lar_csv_cstr(w, "=\"x\",1");
	lar_csv_int(w, INT64_MIN);
	lar_csv_end_row(w);
}

static void fill_utf8(struct lar_csv *w)
{
	lar_csv_cstr(w, "caf\xc3\xa9");
	lar_csv_cstr(w, "\xf0\x9f\x98\x80,");
	lar_csv_end_row(w);
}

static void test_exact(void)
{
	expect(fill_basic, "plain,\"a,b\",\"say \"\"hi\"\"\",,-42,0,\r\n\"line1\nline2\",\"cr\rhere\"\r\n");
	expect(fill_neutral, "'=SUM(A1),'+1,'-1,'@cmd,'\tx,\"'\rx\",'quoted,a=b,\"'=\"\"x\"\",1\","
			     "-9223372036854775808\r\n");
	expect(fill_utf8, "caf\xc3\xa9,\"\xf0\x9f\x98\x80,\"\r\n");
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
	return (unsigned)(tap_xorshift(&rng) % n);
}

static void test_round_trip(void)
{
	static const char *const pieces[] = { ",",
					      "\"",
					      "\r",
					      "\n",
					      "\r\n",
					      "=",
					      "+",
					      "-",
					      "@",
					      "\t",
					      "'",
					      "a",
					      "Z",
					      "0",
					      " ",
					      "\xc3\xa9",
					      "\xe2\x82\xac",
					      "\xf0\x9f\x98\x80",
					      "\"\"",
					      "x,y" };
	const size_t np = sizeof pieces / sizeof pieces[0];
	for (int round = 0; round < 300; round++) {
		char cells[20][64];
		size_t lens[20];
		int isint[20];
		int64_t ints[20];
		size_t ncell = 1 + rnd(20);
		struct lar_buf b;
		struct lar_csv w;
		lar_buf_init(&b, 0);
		lar_csv_init(&w, &b);
		for (size_t c = 0; c < ncell; c++) {
			isint[c] = rnd(4) == 0;
			if (isint[c]) {
				ints[c] = (int64_t)rnd(2000000) - 1000000;
				lar_csv_int(&w, ints[c]);
				continue;
			}
			size_t k = rnd(6), n = 0;
			for (size_t j = 0; j < k; j++) {
				const char *pc = pieces[rnd((unsigned)np)];
				memcpy(cells[c] + n, pc, strlen(pc));
				n += strlen(pc);
			}
			lens[c] = n;
			lar_csv_text(&w, cells[c], n);
		}
		lar_csv_end_row(&w);
		CHECK(!b.oom);
		struct table *tb = malloc(sizeof *tb);
		int rc = csv_read((const char *)b.p, b.len, tb);
		CHECKM(rc == 0 && tb->nrows == 1 && tb->ncols[0] == ncell, "round %d: not RFC 4180: [%.*s]",
		       round, (int)b.len, (const char *)b.p);
		for (size_t c = 0; rc == 0 && c < ncell && c < tb->ncols[0]; c++) {
			struct cell got = tb->cells[0][c];
			if (isint[c]) {
				char want[32];
				snprintf(want, sizeof want, "%lld", (long long)ints[c]);
				CHECK(cell_is(got, want, strlen(want)));
				continue;
			}
			int prefixed = lens[c] > 0 && lar_csv_needs_prefix((unsigned char)cells[c][0]);
			CHECKM(!prefixed || (got.n > 0 && got.p[0] == '\''), "round %d cell %zu: no prefix",
			       round, c);
			struct cell u = prefixed ? unprefix(got) : got;
			CHECKM(cell_is(u, cells[c], lens[c]), "round %d cell %zu: [%.*s] became [%.*s]",
			       round, c, (int)lens[c], cells[c], (int)u.n, u.p);
		}
		table_free(tb);
		free(tb);
		lar_buf_free(&b);
	}
}

static void test_reader_rejects(void)
{
	/* the test's reader must itself refuse what RFC 4180 does not allow,
	 * or the round trip proves nothing */
	static const char *const bad[] = { "a\n", "\"a\r\n", "a\"b\r\n", "\"a\"b\r\n", "a" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct table *tb = malloc(sizeof *tb);
		CHECKM(csv_read(bad[i], strlen(bad[i]), tb) != 0, "reader accepted %zu", i);
		table_free(tb);
		free(tb);
	}
}

static void test_oom(void)
{
	struct lar_buf b;
	struct lar_csv w;
	lar_buf_init(&b, 8);
	lar_csv_init(&w, &b);
	lar_csv_cstr(&w, "0123456789");
	lar_csv_end_row(&w);
	CHECK(b.oom); /* reported, not overrun */
	CHECK(b.len <= 8);
	lar_buf_free(&b);
}

int main(void)
{
	test_exact();
	test_reader_rejects();
	test_round_trip();
	test_oom();
	return tap_done();
}
