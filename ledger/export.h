/*
 * export.h - the rows `la-receipt export` writes (SPEC §4, §4.3), one
 * stored receipt (struct lar_ledger_receipt) at a time, into a lar_buf.
 *
 * CSV columns (SPEC §4.3), in this order:
 *
 * | column            | from                    | kind                       |
 * |-------------------|-------------------------|----------------------------|
 * | created_at        | createdAt               | text                       |
 * | receipt_id        | receiptId               | text                       |
 * | revenue_event_id  | revenueEventId          | text                       |
 * | status            | status                  | text                       |
 * | tool_id           | mcpToolId               | text                       |
 * | tool_slug         | toolSlug                | text                       |
 * | tool_name         | toolName                | text, empty when absent    |
 * | tool_method       | toolMethodName          | text                       |
 * | paying_project_id | payingProjectId         | text, empty when null      |
 * | agent_id          | agentId                 | text, empty when null      |
 * | gross_sats        | grossSats               | integer                    |
 * | platform_fee_sats | platformFeeSats         | integer                    |
 * | net_sats          | netSats                 | integer                    |
 * | fee_basis_points  | feeBasisPoints          | integer                    |
 * | idempotency_key   | idempotencyKey          | text, empty when null      |
 * | request_id        | requestId               | text, empty when null      |
 * | key_id            | envelope keyId          | text                       |
 * | flags             | flag reason codes       | text, separated by a space |
 *
 * JSON Lines: one object per receipt: the signed payload's members under
 * their own names, in the payload's order, compact (re-serialised from the
 * stored signed text, so members unknown to this version are kept), then
 * "keyId", "keyFingerprint" and "flags" (a list of reason codes, SPEC §2.3
 * order).  A payload member that has one of those three names (no
 * mcp-call-receipt-v1 payload has) is left out so the object stays valid.
 *
 * Not for: choosing or reading the rows (ledger.c), writing files (the CLI).
 */
#ifndef LAR_EXPORT_H
#define LAR_EXPORT_H

#include "ledger.h"

/* The CSV header row, CRLF-terminated. */
void lar_export_csv_header(struct lar_buf *out);

/* One receipt as a CSV row, CRLF-terminated. */
void lar_export_csv_row(struct lar_buf *out, const struct lar_ledger_receipt *r);

/* Scratch memory of the JSON Lines writer, reused from row to row. */
struct lar_export_jsonl {
	struct lar_arena arena; /* the stored payload's parse tree */
};
void lar_export_jsonl_init(struct lar_export_jsonl *x);
void lar_export_jsonl_free(struct lar_export_jsonl *x); /* accepts NULL */

/* One receipt as a JSON Lines row (ending in "\n").  LAR_OK; LAR_E_DB when
 * the stored payload does not parse as a JSON object (a damaged
 * ledger); LAR_E_NOMEM.  out->oom is the caller's to check. */
lar_status lar_export_jsonl_row(struct lar_export_jsonl *x, struct lar_buf *out,
				const struct lar_ledger_receipt *r, struct lar_err *e);

#endif
