/*
 * csv.c - the RFC 4180 writer of csv.h (SPEC §4.3).
 * Not for: reading CSV, choosing columns.
 */
#include "csv.h"

#include <string.h>

void lar_csv_init(struct lar_csv *w, struct lar_buf *out)
{
	w->out = out;
	w->col = 0;
}

int lar_csv_needs_prefix(int c)
{
	/* SPEC §4.3: cells a spreadsheet would take for a formula */
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

static void sep(struct lar_csv *w)
{
	if (w->col++ > 0)
		lar_buf_putc(w->out, ',');
}

void lar_csv_text(struct lar_csv *w, const char *p, size_t n)
{
	sep(w);
	if (p == NULL || n == 0)
		return;
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n';
	if (quote)
		lar_buf_putc(w->out, '"');
	if (lar_csv_needs_prefix((unsigned char)p[0]))
		lar_buf_putc(w->out, '\'');
	if (!quote) {
		lar_buf_put(w->out, p, n);
		return;
	}
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"') {
			/* RFC 4180 §2.7: a quote inside a quoted field is doubled */
			lar_buf_put(w->out, p + start, i + 1 - start);
			lar_buf_putc(w->out, '"');
			start = i + 1;
		}
	}
	lar_buf_put(w->out, p + start, n - start);
	lar_buf_putc(w->out, '"');
}

void lar_csv_cstr(struct lar_csv *w, const char *s)
{
	lar_csv_text(w, s, s ? strlen(s) : 0);
}

void lar_csv_int(struct lar_csv *w, int64_t v)
{
	sep(w);
	lar_buf_put_i64(w->out, v);
}

void lar_csv_end_row(struct lar_csv *w)
{
	lar_buf_put(w->out, "\r\n", 2);
	w->col = 0;
}
