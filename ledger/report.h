/*
 * report.h - the reports of SPEC §4 over a ledger: `report reconcile`
 * (sums of Charged receipts per group, discrepancies) and `report dupes`
 * (double charges and conflicting re-signed payloads), computed into plain
 * data structures, and their text, JSON Lines and CSV forms written into a
 * struct lar_buf so that the CLI only has to print them.
 *
 * reconcile JSON (one object per line; schemas/reconcile-line.schema.json):
 *   per group: the grouped fields - "day", "month", "toolId" and "toolSlug",
 *   "method", "projectId", "agentId", "keyId" - then "count", "grossSats",
 *   "platformFeeSats", "netSats", "discrepancies"; last
 *   {"total":true, the same sums, "testReceipts", "otherStatus"}.
 * reconcile CSV (csv.h rules): columns "row" ("group" or "total"), the
 *   grouped fields (day, month, tool_id, tool_slug, method, project_id,
 *   agent_id, key_id), count, gross_sats, platform_fee_sats, net_sats,
 *   discrepancies, test_receipts, other_status (empty on group rows).
 * dupes JSON (schemas/dupes-line.schema.json):
 *   {"kind":"double_charge","toolId","payingProjectId","idempotencyKey",
 *    "count","receiptIds":[first charge first],"grossSats" (all charges),
 *    "overchargeSats" (all but the first)}
 *   {"kind":"conflict","receiptId","count" (signed payloads),"amountsDiffer"}
 * The text forms are tables for people: aligned columns, plain digits,
 * control characters in values shown as \xNN.
 *
 * Not for: SQL (ledger.c) or printing (the CLI).
 */
#ifndef LAR_REPORT_H
#define LAR_REPORT_H

#include "ledger.h"

#define LAR_RECONCILE_MAX_LISTED 1000 /* default cap of the discrepant-receipt list */

struct lar_reconcile_opts {
	struct lar_day_range range; /* inclusive UTC days; NULL members: no bound */
	enum lar_group_field by[LAR_GROUP_FIELD_COUNT];
	size_t nby; /* 0: the default, day then tool (SPEC §4) */
	size_t max_listed; /* discrepant receipts kept for the list; 0: LAR_RECONCILE_MAX_LISTED */
};

struct lar_reconcile_row {
	struct lar_str day, month, tool_id, tool_slug, method, project_id, agent_id, key_id;
	struct lar_sums sums;
};

/* A Charged receipt flagged amount_mismatch or fee_mismatch. */
struct lar_discrepant {
	struct lar_str receipt_id, created_at, tool_slug, flags;
	int64_t gross_sats, platform_fee_sats, net_sats;
};

struct lar_reconcile {
	enum lar_group_field by[LAR_GROUP_FIELD_COUNT];
	size_t nby;
	struct lar_reconcile_row *rows; /* in ascending order of the fields of by */
	size_t nrows;
	struct lar_sums total; /* all Charged receipts in range */
	int64_t test_receipts; /* status Test, in range */
	int64_t other_status; /* any other status, in range */
	struct lar_discrepant *listed; /* the first discrepant receipts, createdAt order */
	size_t nlisted; /* <= max_listed; total.discrepancies is the full count */
	/* private */
	struct lar_arena arena;
	size_t cap_rows, cap_listed, max_listed;
};

/* Parse a --by list "day,tool" into o->by/o->nby.  LAR_OK, or LAR_E_INVAL
 * (unknown or repeated field, empty item) with e naming it. */
lar_status lar_reconcile_parse_by(struct lar_reconcile_opts *o, const char *list, struct lar_err *e);

/* Compute the reconciliation from one consistent snapshot of l.  *out is
 * owned by the caller (lar_reconcile_free).  LAR_OK, LAR_E_INVAL (range or
 * fields), LAR_E_NOMEM, LAR_E_DB. */
lar_status lar_report_reconcile(struct lar_ledger *l, const struct lar_reconcile_opts *o,
				struct lar_reconcile **out, struct lar_err *e);
void lar_reconcile_free(struct lar_reconcile *r); /* accepts NULL */

void lar_reconcile_write_text(struct lar_buf *out, const struct lar_reconcile *r);
void lar_reconcile_write_json(struct lar_buf *out, const struct lar_reconcile *r);
void lar_reconcile_write_csv(struct lar_buf *out, const struct lar_reconcile *r);

/* Several Charged receipts under one (tool, paying project, idempotency
 * key); two null paying projects are the same project. */
struct lar_double_charge {
	struct lar_str tool_id, project_id, idempotency_key;
	size_t count;
	struct lar_str *receipt_ids; /* count of them, by createdAt then receiptId */
	int64_t gross_sats; /* sum over all of them */
	int64_t overcharge_sats; /* sum over all but the first */
};

/* One receiptId stored with several signed payloads. */
struct lar_conflict_finding {
	struct lar_str receipt_id;
	size_t count; /* distinct signed payloads */
	int amounts_differ; /* grossSats, platformFeeSats or netSats differ between them */
};

struct lar_dupes {
	struct lar_double_charge *charges; /* ordered by tool, key, project */
	size_t ncharges;
	struct lar_conflict_finding *conflicts; /* ordered by receiptId */
	size_t nconflicts;
	/* private */
	struct lar_arena arena;
	struct lar_str *ids; /* every receipt_ids slice points into this */
	size_t nids, cap_charges, cap_conflicts, cap_ids;
};

/* Compute both finding lists from one consistent snapshot.  *out is owned
 * by the caller (lar_dupes_free).  LAR_OK, LAR_E_NOMEM, LAR_E_DB. */
lar_status lar_report_dupes(struct lar_ledger *l, struct lar_dupes **out, struct lar_err *e);
void lar_dupes_free(struct lar_dupes *d); /* accepts NULL */

void lar_dupes_write_text(struct lar_buf *out, const struct lar_dupes *d);
void lar_dupes_write_json(struct lar_buf *out, const struct lar_dupes *d);

#endif
