/*
 * ledger_read.c - the queries that export and the reports read (ledger.h):
 * receipts in createdAt order within a day range, reconciliation sums from
 * the day summaries, totals, discrepancies, double charges and conflicts,
 * and the read snapshot they run in.
 *
 * Not for: storing (ledger_store.c), formatting (report.c, export.c).
 */
#include "ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timestamp.h"

/* SPEC §4: DAY is YYYY-MM-DD in UTC.  Stored days compare as text. */
static lar_status range_bounds(const struct lar_day_range *r, const char **from, const char **to,
			       struct lar_err *e)
{
	lar_time t;
	*from = "";
	*to = "9999-99-99";
	if (r == NULL)
		return LAR_OK;
	if (r->from != NULL) {
		if (lar_time_parse_day(r->from, strlen(r->from), &t) != LAR_OK)
			return lar_err_set(e, LAR_E_INVAL, "'%s' is not a day (YYYY-MM-DD)", r->from);
		*from = r->from;
	}
	if (r->to != NULL) {
		if (lar_time_parse_day(r->to, strlen(r->to), &t) != LAR_OK)
			return lar_err_set(e, LAR_E_INVAL, "'%s' is not a day (YYYY-MM-DD)", r->to);
		*to = r->to;
	}
	return LAR_OK;
}

/* of receipt r */
/* The first id of day_summary (schemas/ledger.sql) on the day d, a bound of
 * range_bounds(), or past it when `after`: the day's digits * 2^32. */
static int64_t day_id(const char *d, int after)
{
	int64_t n = 0;
	if (*d == 0)
		return 0; /* no lower bound */
	for (; *d; d++)
		if (*d >= '0' && *d <= '9')
			n = n * 10 + (*d - '0');
	return (n + (after ? 1 : 0)) << 32;
}

/* The receipt r's columns, and its file's source (schema version 5: the
 * verdict and flags are derived from flag_bits by read_receipt). */
#define EXPORT_COLUMNS                                                                                    \
	"r.receipt_id, r.revenue_event_id, r.created_at, r.status, r.mcp_tool_id, r.tool_slug, r.tool_name, " \
	"r.tool_method_name, r.paying_project_id, r.agent_id, r.idempotency_key, r.request_id, r.key_id, "    \
	"r.key_fingerprint, NULL, NULL, r.payload, r.signature, "                                          \
	"(SELECT f.source FROM import_file f WHERE f.id = r.file), r.created_ticks, "                      \
	"r.gross_sats, r.platform_fee_sats, r.net_sats, r.fee_basis_points, r.line, r.flag_bits"

/* A row of EXPORT_COLUMNS; flags[0..cap) holds its flags text. */
static void read_receipt(sqlite3_stmt *s, struct lar_ledger_receipt *r, char *flags, size_t cap)
{
	r->receipt_id = ledger_col_str(s, 0);
	r->revenue_event_id = ledger_col_str(s, 1);
	r->created_at = ledger_col_str(s, 2);
	r->status = ledger_col_str(s, 3);
	r->mcp_tool_id = ledger_col_str(s, 4);
	r->tool_slug = ledger_col_str(s, 5);
	r->tool_name = ledger_col_str(s, 6);
	r->tool_method_name = ledger_col_str(s, 7);
	r->paying_project_id = ledger_col_str(s, 8);
	r->agent_id = ledger_col_str(s, 9);
	r->idempotency_key = ledger_col_str(s, 10);
	r->request_id = ledger_col_str(s, 11);
	r->key_id = ledger_col_str(s, 12);
	r->key_fingerprint = ledger_col_str(s, 13);
	r->payload = ledger_col_blob(s, 16);
	r->signature = ledger_col_str(s, 17);
	r->source = ledger_col_str(s, 18);
	r->created_ticks = sqlite3_column_int64(s, 19);
	r->gross_sats = sqlite3_column_int64(s, 20);
	r->platform_fee_sats = sqlite3_column_int64(s, 21);
	r->net_sats = sqlite3_column_int64(s, 22);
	r->fee_basis_points = sqlite3_column_int64(s, 23);
	r->line = sqlite3_column_int64(s, 24);
	r->flag_bits = (uint32_t)sqlite3_column_int64(s, 25);
	/* an ok verdict has no flag reason, a flag verdict at least one */
	r->verdict = r->flag_bits ? (struct lar_str){ "flag", 4 } : (struct lar_str){ "ok", 2 };
	ledger_flags_text(r->flag_bits, flags, cap);
	r->flags = (struct lar_str){ flags, strlen(flags) };
}

/* Prepare sql (a one-off statement, finalized by the caller); bind the day
 * range to ?1 and ?2 when range_ok. */
static lar_status prepare_ranged(struct lar_ledger *l, const char *sql, const struct lar_day_range *range,
				 sqlite3_stmt **out, struct lar_err *e)
{
	const char *from, *to;
	lar_status st = range_bounds(range, &from, &to, e);
	*out = NULL;
	if (st != LAR_OK)
		return st;
	int rc = sqlite3_prepare_v2(l->db, sql, -1, out, NULL);
	if (rc != SQLITE_OK)
		return ledger_fail(l, e, rc, "prepare");
	if (sqlite3_bind_parameter_count(*out) >= 2) {
		ledger_bind_cstr(*out, 1, from);
		ledger_bind_cstr(*out, 2, to);
	}
	return LAR_OK;
}

static lar_status walk_receipts(struct lar_ledger *l, sqlite3_stmt *s, lar_ledger_receipt_fn fn, void *ctx,
				struct lar_err *e)
{
	struct lar_ledger_receipt r;
	char flags[512];
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_receipt(s, &r, flags, sizeof flags);
		lar_status st = fn(ctx, &r);
		if (st != LAR_OK)
			return st;
	}
	return rc == SQLITE_DONE ? LAR_OK : ledger_fail(l, e, rc, "read");
}

lar_status lar_ledger_export(struct lar_ledger *l, const struct lar_day_range *range,
			     lar_ledger_receipt_fn fn, void *ctx, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	/* (created_day, created_ticks, receipt_id) is createdAt-then-receiptId
	 * order, the key of receipt_order: a walk of its range, each receipt
	 * read by id (CROSS JOIN keeps that order of the loops) */
	lar_status st = prepare_ranged(l,
				       "SELECT " EXPORT_COLUMNS " FROM receipt_order o CROSS JOIN receipt r "
				       "ON r.id = o.receipt WHERE o.created_day >= ?1 AND o.created_day <= ?2 "
				       "ORDER BY o.created_day, o.created_ticks, o.receipt_id",
				       range, &s, e);
	if (st == LAR_OK)
		st = walk_receipts(l, s, fn, ctx, e);
	sqlite3_finalize(s);
	return st;
}

lar_status lar_ledger_discrepancies(struct lar_ledger *l, const struct lar_day_range *range,
				    lar_ledger_receipt_fn fn, void *ctx, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	/* the WHERE repeats receipt_discrepancy's so that partial index serves
	 * it, and its key expression (the day of created_at) */
	lar_status st = prepare_ranged(l,
				       "SELECT " EXPORT_COLUMNS " FROM receipt r "
				       "WHERE status = 'Charged' AND (flag_bits & 12288) != 0 "
				       "AND substr(created_at, 1, 10) >= ?1 AND substr(created_at, 1, 10) <= ?2 "
				       "ORDER BY substr(created_at, 1, 10), created_ticks, receipt_id",
				       range, &s, e);
	if (st == LAR_OK)
		st = walk_receipts(l, s, fn, ctx, e);
	sqlite3_finalize(s);
	return st;
}

static const char *const group_names[LAR_GROUP_FIELD_COUNT] = {
	[LAR_GROUP_DAY] = "day",       [LAR_GROUP_MONTH] = "month",     [LAR_GROUP_TOOL] = "tool",
	[LAR_GROUP_METHOD] = "method", [LAR_GROUP_PROJECT] = "project", [LAR_GROUP_AGENT] = "agent",
	[LAR_GROUP_KEY] = "key",
};
/* day_summary expressions per field; TOOL is two columns */
static const char *const group_sql[LAR_GROUP_FIELD_COUNT] = {
	[LAR_GROUP_DAY] = "created_day",
	[LAR_GROUP_MONTH] = "substr(created_day, 1, 7)",
	[LAR_GROUP_TOOL] = "mcp_tool_id, tool_slug",
	[LAR_GROUP_METHOD] = "tool_method_name",
	[LAR_GROUP_PROJECT] = "paying_project_id",
	[LAR_GROUP_AGENT] = "agent_id",
	[LAR_GROUP_KEY] = "key_id",
};

const char *lar_group_field_name(enum lar_group_field f)
{
	return (unsigned)f < LAR_GROUP_FIELD_COUNT ? group_names[f] : NULL;
}

int lar_group_field_from_name(const char *s, size_t n)
{
	for (int i = 0; i < LAR_GROUP_FIELD_COUNT; i++)
		if (strlen(group_names[i]) == n && memcmp(group_names[i], s, n) == 0)
			return i;
	return -1;
}

static void read_sums(sqlite3_stmt *s, int first, struct lar_sums *m)
{
	m->count = sqlite3_column_int64(s, first);
	m->gross_sats = sqlite3_column_int64(s, first + 1);
	m->platform_fee_sats = sqlite3_column_int64(s, first + 2);
	m->net_sats = sqlite3_column_int64(s, first + 3);
	m->discrepancies = sqlite3_column_int64(s, first + 4);
}

lar_status lar_ledger_reconcile(struct lar_ledger *l, const struct lar_day_range *range,
				const enum lar_group_field *by, size_t nby, lar_ledger_group_fn fn, void *ctx,
				struct lar_err *e)
{
	struct lar_buf cols, sql, table;
	unsigned seen = 0;
	sqlite3_stmt *s = NULL;
	lar_status st = LAR_OK;
	int rc;

	lar_buf_init(&cols, 0);
	lar_buf_init(&sql, 0);
	lar_buf_init(&table, 0);
	if (nby == 0 || nby > LAR_GROUP_FIELD_COUNT) {
		st = lar_err_set(e, LAR_E_INVAL, "reconcile: group on 1 to %d fields", LAR_GROUP_FIELD_COUNT);
		goto out;
	}
	for (size_t i = 0; i < nby; i++) {
		if ((unsigned)by[i] >= LAR_GROUP_FIELD_COUNT || (seen & (1u << by[i]))) {
			st = lar_err_set(e, LAR_E_INVAL, "reconcile: unknown or repeated group field");
			goto out;
		}
		seen |= 1u << by[i];
		/* only fixed expressions from group_sql[] reach the SQL text */
		lar_buf_printf(&cols, "%s%s", i ? ", " : "", group_sql[by[i]]);
	}
	lar_buf_putc(&cols, 0);
	if (cols.oom)
		goto nomem;
	/* day_tool_summary, a few rows per day, has every field but project
	 * and agent; day_summary has them all through summary_group, and its
	 * day in its id (schemas/ledger.sql), for the range of ids of the days
	 * asked, which selects them exactly.  Its rows are summed per group
	 * (and day, when the grouping has one) before the join, so that each
	 * group's fields are read once, not once per row: joined row by row,
	 * 10M receipts (9M rows) took 18 s by project */
	int ids = (seen & (1u << LAR_GROUP_PROJECT | 1u << LAR_GROUP_AGENT)) != 0;
	int days = (seen & (1u << LAR_GROUP_DAY | 1u << LAR_GROUP_MONTH)) != 0;
	if (ids)
		lar_buf_printf(&table,
			       "(SELECT printf('%%04d-%%02d-%%02d', d.day / 10000, d.day / 100 %% 100, d.day %% 100) "
			       "AS created_day, g.status AS status, g.mcp_tool_id AS mcp_tool_id, "
			       "g.tool_slug AS tool_slug, g.tool_method_name AS tool_method_name, "
			       "g.paying_project_id AS paying_project_id, g.agent_id AS agent_id, g.key_id AS key_id, "
			       "d.receipts AS receipts, d.gross_sats AS gross_sats, "
			       "d.platform_fee_sats AS platform_fee_sats, d.net_sats AS net_sats, "
			       "d.discrepancies AS discrepancies FROM (SELECT grp, %s AS day, sum(receipts) AS receipts, "
			       "sum(gross_sats) AS gross_sats, sum(platform_fee_sats) AS platform_fee_sats, "
			       "sum(net_sats) AS net_sats, sum(discrepancies) AS discrepancies FROM day_summary "
			       "WHERE id >= ?3 AND id < ?4 GROUP BY grp%s) d CROSS JOIN summary_group g ON g.id = d.grp)",
			       days ? "id >> 32" : "0", days ? ", day" : "");
	else
		lar_buf_puts(&table, "day_tool_summary");
	lar_buf_putc(&table, 0);
	if (table.oom)
		goto nomem;
	lar_buf_printf(&sql,
		       "SELECT %s, sum(receipts), sum(gross_sats), sum(platform_fee_sats), sum(net_sats), "
		       "sum(discrepancies) FROM %s WHERE status = 'Charged' %s",
		       (const char *)cols.p, (const char *)table.p,
		       ids ? "" : "AND created_day >= ?1 AND created_day <= ?2 ");
	lar_buf_printf(&sql, "GROUP BY %s ORDER BY %s", (const char *)cols.p, (const char *)cols.p);
	lar_buf_putc(&sql, 0);
	if (sql.oom)
		goto nomem;
	if ((st = prepare_ranged(l, (const char *)sql.p, range, &s, e)) != LAR_OK)
		goto out;
	if (ids) {
		/* day_summary's ids are in day order (schemas/ledger.sql): the
		 * range of days is a range of ids, which needs no index */
		const char *from, *to;
		range_bounds(range, &from, &to, NULL);
		sqlite3_bind_int64(s, 3, day_id(from, 0));
		sqlite3_bind_int64(s, 4, day_id(to, 1));
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lar_ledger_group g;
		int c = 0;
		memset(&g, 0, sizeof g);
		for (size_t i = 0; i < nby; i++) {
			switch (by[i]) {
			case LAR_GROUP_DAY:
				g.day = ledger_col_str(s, c++);
				break;
			case LAR_GROUP_MONTH:
				g.month = ledger_col_str(s, c++);
				break;
			case LAR_GROUP_TOOL:
				g.tool_id = ledger_col_str(s, c++);
				g.tool_slug = ledger_col_str(s, c++);
				break;
			case LAR_GROUP_METHOD:
				g.method = ledger_col_str(s, c++);
				break;
			case LAR_GROUP_PROJECT:
				g.project_id = ledger_col_str(s, c++);
				break;
			case LAR_GROUP_AGENT:
				g.agent_id = ledger_col_str(s, c++);
				break;
			case LAR_GROUP_KEY:
				g.key_id = ledger_col_str(s, c++);
				break;
			default:
				break;
			}
		}
		read_sums(s, c, &g.sums);
		if ((st = fn(ctx, &g)) != LAR_OK)
			goto out;
	}
	if (rc != SQLITE_DONE)
		st = ledger_fail(l, e, rc, "reconcile");
	goto out;
nomem:
	st = lar_err_set(e, LAR_E_NOMEM, "out of memory");
out:
	sqlite3_finalize(s);
	lar_buf_free(&cols);
	lar_buf_free(&sql);
	lar_buf_free(&table);
	return st;
}

lar_status lar_ledger_status_totals(struct lar_ledger *l, const struct lar_day_range *range,
				    struct lar_sums *charged, int64_t *test, int64_t *other,
				    struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	int rc;
	memset(charged, 0, sizeof *charged);
	*test = *other = 0;
	lar_status st =
		prepare_ranged(l,
			       "SELECT CASE status WHEN 'Charged' THEN 0 WHEN 'Test' THEN 1 ELSE 2 END AS k, "
			       "sum(receipts), sum(gross_sats), sum(platform_fee_sats), sum(net_sats), "
			       "sum(discrepancies) FROM day_tool_summary "
			       "WHERE created_day >= ?1 AND created_day <= ?2 GROUP BY k",
			       range, &s, e);
	if (st != LAR_OK)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int k = sqlite3_column_int(s, 0);
		if (k == 0)
			read_sums(s, 1, charged);
		else if (k == 1)
			*test = sqlite3_column_int64(s, 1);
		else
			*other = sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE)
		st = ledger_fail(l, e, rc, "totals");
out:
	sqlite3_finalize(s);
	return st;
}

lar_status lar_ledger_double_charges(struct lar_ledger *l, lar_ledger_receipt_fn fn, void *ctx,
				     struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	int rc;
	lar_status st = LAR_OK;
	/* double_charge holds exactly the receipts of double charges (kept at
	 * import), so this reads and sorts only those: CROSS JOIN keeps SQLite
	 * from walking every receipt in an index order instead.  ORDER BY puts a
	 * NULL paying project first, so a group's rows are adjacent either way. */
	rc = sqlite3_prepare_v2(l->db,
				"SELECT r.receipt_id, r.created_at, r.created_ticks, r.mcp_tool_id, "
				"r.paying_project_id, r.idempotency_key, r.gross_sats, r.platform_fee_sats, "
				"r.net_sats FROM double_charge d CROSS JOIN receipt r ON r.id = d.receipt "
				"ORDER BY r.mcp_tool_id, r.idempotency_key, r.paying_project_id, "
				"r.created_ticks, r.receipt_id",
				-1, &s, NULL);
	if (rc != SQLITE_OK) {
		st = ledger_fail(l, e, rc, "prepare");
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lar_ledger_receipt r;
		memset(&r, 0, sizeof r);
		r.receipt_id = ledger_col_str(s, 0);
		r.created_at = ledger_col_str(s, 1);
		r.created_ticks = sqlite3_column_int64(s, 2);
		r.mcp_tool_id = ledger_col_str(s, 3);
		r.paying_project_id = ledger_col_str(s, 4);
		r.idempotency_key = ledger_col_str(s, 5);
		r.gross_sats = sqlite3_column_int64(s, 6);
		r.platform_fee_sats = sqlite3_column_int64(s, 7);
		r.net_sats = sqlite3_column_int64(s, 8);
		if ((st = fn(ctx, &r)) != LAR_OK)
			goto out;
	}
	if (rc != SQLITE_DONE)
		st = ledger_fail(l, e, rc, "double charges");
out:
	sqlite3_finalize(s);
	return st;
}

lar_status lar_ledger_conflicts(struct lar_ledger *l, lar_ledger_conflict_fn fn, void *ctx, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	int rc;
	lar_status st = LAR_OK;
	rc = sqlite3_prepare_v2(
		l->db,
		"SELECT receipt_id, created_at, status, payload, source, gross_sats, "
		"platform_fee_sats, net_sats, line, stored FROM ("
		"SELECT receipt_id, created_at, status, payload, (SELECT f.source FROM import_file f "
		"WHERE f.id = receipt.file) AS source, gross_sats, "
		"platform_fee_sats, net_sats, line, 1 AS stored, 0 AS ord FROM receipt "
		"WHERE id IN (SELECT k.receipt FROM conflict c CROSS JOIN receipt_key k "
		"WHERE k.level IN (0, 1) AND k.key = lar_receipt_key(c.receipt_id)) "
		"AND receipt_id IN (SELECT receipt_id FROM conflict) "
		"UNION ALL SELECT receipt_id, created_at, status, payload, source, gross_sats, "
		"platform_fee_sats, net_sats, line, 0, id FROM conflict) "
		"ORDER BY receipt_id, stored DESC, ord",
		-1, &s, NULL);
	if (rc != SQLITE_OK) {
		st = ledger_fail(l, e, rc, "prepare");
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lar_ledger_conflict c;
		c.receipt_id = ledger_col_str(s, 0);
		c.created_at = ledger_col_str(s, 1);
		c.status = ledger_col_str(s, 2);
		c.payload = ledger_col_blob(s, 3);
		c.source = ledger_col_str(s, 4);
		c.gross_sats = sqlite3_column_int64(s, 5);
		c.platform_fee_sats = sqlite3_column_int64(s, 6);
		c.net_sats = sqlite3_column_int64(s, 7);
		c.line = sqlite3_column_int64(s, 8);
		c.stored = sqlite3_column_int(s, 9);
		if ((st = fn(ctx, &c)) != LAR_OK)
			goto out;
	}
	if (rc != SQLITE_DONE)
		st = ledger_fail(l, e, rc, "conflicts");
out:
	sqlite3_finalize(s);
	return st;
}

lar_status lar_ledger_read_begin(struct lar_ledger *l, struct lar_err *e)
{
	if (l->in_file)
		return LAR_OK; /* already inside the file's transaction */
	if (l->in_read++ > 0)
		return LAR_OK;
	/* A deferred transaction whose snapshot starts at its first read; the
	 * dummy read pins it now. */
	lar_status st = ledger_exec(l, "BEGIN; SELECT 1 FROM sqlite_schema LIMIT 1", "begin read", e);
	if (st != LAR_OK)
		l->in_read = 0;
	return st;
}

void lar_ledger_read_end(struct lar_ledger *l)
{
	if (l->in_file || l->in_read == 0)
		return;
	if (--l->in_read == 0)
		sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
}

