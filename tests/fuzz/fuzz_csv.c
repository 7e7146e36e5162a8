/*
 * fuzz_csv.c - libFuzzer target: the CSV writer of SPEC §4.3 against an
 * RFC 4180 reader written here.  The input is cut into cells at 0x00 and
 * into rows at 0x01; a cell starting with 0x02 is written as an integer.
 * Reading the output back must give every text cell unchanged, except the
 * documented "'" in front of cells that start with = + - @ TAB or CR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

struct cell {
	const uint8_t *p;
	size_t n;
	int is_int;
	int64_t v;
};

/* Read one field at *pos of out; returns 0 at a field end, 1 at a row end,
 * -1 on a syntax error.  The field's bytes go to f. */
static int read_field(const uint8_t *s, size_t len, size_t *pos, struct lar_buf *f)
{
	size_t i = *pos;
	lar_buf_reset(f);
	if (i < len && s[i] == '"') {
		i++;
		for (;;) {
			if (i >= len)
				return -1;
			if (s[i] == '"') {
				if (i + 1 < len && s[i + 1] == '"') {
					lar_buf_putc(f, '"');
					i += 2;
					continue;
				}
				i++;
				break;
			}
			lar_buf_putc(f, s[i++]);
		}
	} else {
		while (i < len && s[i] != ',' && s[i] != '\r' && s[i] != '"' && s[i] != '\n')
			lar_buf_putc(f, s[i++]);
	}
	if (i < len && s[i] == ',') {
		*pos = i + 1;
		return 0;
	}
	if (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n') {
		*pos = i + 2;
		return 1;
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cell cells[256];
	int rowend[256];
	size_t nc = 0;
	size_t start = 0;
	for (size_t i = 0; i <= size && nc < 256; i++) {
		if (i == size || data[i] == 0 || data[i] == 1) {
			struct cell *c = &cells[nc];
			c->p = data + start;
			c->n = i - start;
			c->is_int = c->n > 0 && c->p[0] == 2;
			if (c->is_int) {
				uint64_t u = 0;
				for (size_t k = 1; k < c->n && k < 9; k++)
					u = u * 251 + c->p[k];
				c->v = (int64_t)(u >> 1);
				if (c->n % 2)
					c->v = -c->v;
			}
			rowend[nc] = i == size || data[i] == 1;
			nc++;
			start = i + 1;
		}
	}
	if (nc == 0)
		return 0;
	rowend[nc - 1] = 1;

	struct lar_buf out, f;
	struct lar_csv w;
	lar_buf_init(&out, 0);
	lar_buf_init(&f, 0);
	lar_csv_init(&w, &out);
	for (size_t i = 0; i < nc; i++) {
		if (cells[i].is_int)
			lar_csv_int(&w, cells[i].v);
		else
			lar_csv_text(&w, (const char *)cells[i].p, cells[i].n);
		if (rowend[i])
			lar_csv_end_row(&w);
	}
	if (out.oom)
		abort();
	size_t pos = 0;
	for (size_t i = 0; i < nc; i++) {
		int r = read_field(out.p, out.len, &pos, &f);
		if (r < 0 || r != rowend[i])
			abort(); /* not RFC 4180, or rows cut differently */
		if (cells[i].is_int) {
			char tmp[32];
			int n = snprintf(tmp, sizeof tmp, "%lld", (long long)cells[i].v);
			if ((size_t)n != f.len || memcmp(tmp, f.p, f.len) != 0)
				abort();
			continue;
		}
		size_t skip = 0;
		if (cells[i].n > 0 && lar_csv_needs_prefix(cells[i].p[0])) {
			if (f.len < 1 || f.p[0] != '\'')
				abort(); /* SPEC §4.3: neutralised with a leading ' */
			skip = 1;
		}
		if (f.len - skip != cells[i].n || (cells[i].n && memcmp(f.p + skip, cells[i].p, cells[i].n) != 0))
			abort();
	}
	if (pos != out.len)
		abort();
	lar_buf_free(&out);
	lar_buf_free(&f);
	return 0;
}
