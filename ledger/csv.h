/*
 * csv.h - an RFC 4180 writer for the CSV of SPEC §4.3 (export and reports),
 * safe to open in a spreadsheet.
 *
 * | rule            | what the writer does                                      |
 * |-----------------|-----------------------------------------------------------|
 * | separator       | ','                                                       |
 * | end of row      | CRLF                                                      |
 * | quoting         | a text cell holding ',' '"' CR or LF is put in '"', with  |
 * |                 | each '"' doubled; no other cell is quoted                 |
 * | neutralisation  | a text cell starting with '=' '+' '-' '@' TAB or CR gets  |
 * |                 | a "'" in front, so a spreadsheet shows it as text         |
 * | integers        | plain digits with an optional '-': never quoted, never    |
 * |                 | prefixed                                                  |
 * | NULL            | an empty cell (p == NULL)                                 |
 * | bytes           | written as given (UTF-8 in, UTF-8 out), no BOM            |
 *
 * Reading a cell back: undo the quoting, then drop one leading "'" when the
 * next byte is one of '=' '+' '-' '@' TAB CR.  A cell that itself starts
 * with "'" is written unchanged, so this is exact.
 *
 * Not for: reading CSV, or knowing which columns a table has (export.c,
 * report.c do).
 */
#ifndef LAR_CSV_H
#define LAR_CSV_H

#include "lar.h"

struct lar_csv {
	struct lar_buf *out;
	size_t col; /* cells written in the current row */
};

/* Start writing rows into out (not owned).  Write errors surface as
 * out->oom, as for every lar_buf. */
void lar_csv_init(struct lar_csv *w, struct lar_buf *out);

/* A text cell p[0..n); p == NULL is an empty (NULL) cell. */
void lar_csv_text(struct lar_csv *w, const char *p, size_t n);

/* lar_csv_text() of a NUL-terminated string (NULL allowed). */
void lar_csv_cstr(struct lar_csv *w, const char *s);

/* An integer cell. */
void lar_csv_int(struct lar_csv *w, int64_t v);

/* End the row (CRLF). */
void lar_csv_end_row(struct lar_csv *w);

/* 1 when a text cell starting with byte c is prefixed with "'" (SPEC §4.3). */
int lar_csv_needs_prefix(int c);

#endif
