/*
 * verdict.h - how a verdict is shown (SPEC §4.1), shared by verify and import.
 * Not for: deciding verdicts (verify/receipt.c).
 */
#ifndef LAR_CLI_VERDICT_H
#define LAR_CLI_VERDICT_H

#include "lar.h"
#include "receipt.h"

enum verdict_format { VF_TEXT, VF_JSON };

/* Append one line (with "\n") describing verdict v of the record at
 * source:line. */
void verdict_write(struct lar_buf *out, enum verdict_format f, const char *source, uint64_t line,
		   const struct lar_verdict *v);

/* Append the reason names of a verdict, comma-separated. */
void verdict_write_reasons(struct lar_buf *out, uint32_t reasons);

/* Counts per status, for summaries. */
struct verdict_counts {
	uint64_t records, ok, flag, fail, skipped;
};
void verdict_count(struct verdict_counts *c, enum lar_vstatus s);

#endif
