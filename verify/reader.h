/*
 * reader.h - split an input stream into records (SPEC §2.1).
 *
 * Input is a stream of JSON values separated by JSON whitespace (JSON Lines,
 * one pretty-printed document, or several); a top-level array contributes
 * each element as a record.  The reader finds value boundaries with a
 * structural scan (strings, escapes, bracket nesting); it does not validate,
 * the strict parser does that on each record.
 *
 * Memory is bounded whatever the input size: the reader keeps one record
 * (at most max_record bytes) plus its read buffer.  A record over the cap
 * is reported as broken and skipped without being held in memory.
 *
 * Resynchronisation: when a value fails to parse (broken here, or rejected
 * by the strict parser and reported through lar_reader_fail()), reading
 * resumes at the next later line whose first character is '{' or '['.
 *
 * Not for: deciding verdicts.
 */
#ifndef LAR_READER_H
#define LAR_READER_H

#include "lar.h"

#define LAR_READER_DEFAULT_MAX_RECORD (16u * 1024 * 1024)

struct lar_reader;

struct lar_record {
	const uint8_t *p; /* the value's bytes; valid until the next call */
	size_t len;
	uint64_t line;    /* 1-based line where the value starts */
	int broken;       /* 1: not a complete value (unbalanced, unterminated,
			     over the cap, deeper than 64, a raw line feed in a
			     string): report malformed_input; the reader has
			     already resynchronised.  (A stray ']' '}' ',' ':' is
			     returned as a one-byte record: the parser rejects it
			     and lar_reader_fail() resynchronises.) */
	/* where reading resumes if this record turns out not to be JSON
	 * (for lar_reader_fail_at(); not for callers to interpret) */
	uint64_t end_off, end_line, cand_off, cand_line;
	uint64_t start_off; /* stream offset of p[0] */
	int in_array;       /* read as an element of a top-level array */
	int tentative;      /* a whole line taken on trust (lar_reader_tentative) */
};

/* Read from fd (not closed by the reader).  Its messages say where in the
 * input, not which input: the caller names it. */
lar_status lar_reader_new(int fd, size_t max_record, struct lar_reader **out, struct lar_err *e);
void lar_reader_free(struct lar_reader *r); /* accepts NULL */

/* Next record.  LAR_OK with *rec filled; LAR_E_EOF at the end of input;
 * LAR_E_AGAIN only under a hold (lar_reader_hold), when this call skipped
 * more than 1 MiB - blanks between values, or lines while resynchronising -
 * without reaching a value: the held bytes would otherwise grow with such a
 * run, which has no cap; nothing is lost, and the next call goes on from
 * there (with the hold released or moved on, or not);
 * LAR_E_IO on a read error (e says after how many bytes, and the line of the record it was in).  A read error is final: the
 * reader never reads its descriptor again, and every later call that needs
 * bytes past those it has gives the same error.  Until then the bytes it
 * holds stay readable: after a rewind into them (lar_reader_fail_at,
 * lar_reader_retry_at) lar_reader_next returns their records again, up to
 * the error. */
lar_status lar_reader_next(struct lar_reader *r, struct lar_record *rec, struct lar_err *e);

/* The record last returned was not JSON: resume at the next later line whose
 * first character is '{' or '[' (leaving any top-level array). */
void lar_reader_fail(struct lar_reader *r);

/*
 * Read-ahead for parallel verification: lar_reader_hold() keeps every byte
 * from the current position buffered until lar_reader_release(), so that
 * lar_reader_fail_at() can resume after any record returned since the hold
 * (records read after it are then to be discarded by the caller).
 */
void lar_reader_hold(struct lar_reader *r);
void lar_reader_release(struct lar_reader *r);
/* Move the hold on to stream offset off, a byte held (at or after where the
 * hold began, at or before the current position): bytes before it may be let
 * go.  LAR_OK; LAR_E_INVAL otherwise (nothing changes). */
lar_status lar_reader_hold_from(struct lar_reader *r, uint64_t off);
void lar_reader_fail_at(struct lar_reader *r, const struct lar_record *rec);

/* Stream offset where reading would resume if rec (returned since the hold)
 * failed to parse, when that can be told from the bytes held; UINT64_MAX
 * when it cannot.  A record read after rec that starts there, outside an
 * array, is exactly what lar_reader_fail_at() would lead to next. */
uint64_t lar_reader_resume_offset(const struct lar_reader *r, const struct lar_record *rec);

/*
 * JSON Lines on trust.  With on = 1, a value outside an array that starts
 * with '{' and whose line ends with '}' (then only whitespace) is returned
 * as the rest of its line without the structural scan, marked
 * rec->tentative.  That is the value the scan would have found exactly when
 * those bytes are one valid JSON value, which the strict parser then
 * decides anyway.  After a record is read again (below), the values that
 * start on its line are scanned: a line is taken on trust and read again
 * once, not once for each of its values.  So a caller that
 * turns this on must, when the parser rejects a tentative record, call
 * lar_reader_retry() (and report nothing for it), never lar_reader_fail():
 * the record is then read again with the scan, and only that verdict counts.
 * With read-ahead (lar_reader_hold), the caller that finds a tentative
 * record rejected calls lar_reader_retry_at() instead, and drops the
 * records read after it; it must hold the bytes from before that record
 * until it knows the verdict (lar_reader_resume_offset says nothing about
 * a tentative record's retry).
 */
void lar_reader_tentative(struct lar_reader *r, int on);
/* Rewind to the start of rec - the tentative record last returned, no
 * other call in between - and read it again with the structural scan.
 * LAR_OK; LAR_E_INVAL when rec is not that record (a caller's bug: nothing
 * is rewound, and the caller must not go on as if it were). */
lar_status lar_reader_retry(struct lar_reader *r, const struct lar_record *rec);
/* The same for rec, a tentative record returned since lar_reader_hold()
 * whose bytes are still held (the hold began at or before its start).
 * Records returned after rec are to be dropped.  LAR_OK; LAR_E_INVAL when
 * rec is not tentative or not held (nothing is rewound). */
lar_status lar_reader_retry_at(struct lar_reader *r, const struct lar_record *rec);

/* Bytes consumed so far (for progress and benchmarks). */
uint64_t lar_reader_offset(const struct lar_reader *r);

#endif
