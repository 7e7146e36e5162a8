/*
 * report.c - `report reconcile` and `report dupes` (report.h, SPEC §4):
 * gathering the ledger's rows into data structures, and writing them as a
 * text table, JSON Lines or CSV.
 * Not for: SQL (ledger.c) or printing (cli/cmd_report.c).
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "json.h"

#define DISCREPANCY_BITS ((1u << LAR_R_AMOUNT_MISMATCH) | (1u << LAR_R_FEE_MISMATCH))

/* ---- small helpers ---- */

/* Copy s into the arena (p stays NULL for NULL).  0 ok, -1 out of memory. */
static int keep(struct lar_arena *a, struct lar_str *dst, struct lar_str s)
{
	dst->n = s.n;
	dst->p = NULL;
	if (s.p == NULL)
		return 0;
	char *p = lar_arena_alloc(a, s.n + 1);
	if (p == NULL)
		return -1;
	memcpy(p, s.p, s.n);
	p[s.n] = 0;
	dst->p = p;
	return 0;
}

/* Make room for one more element in *arr (elements of size sz). */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	if (ncap > SIZE_MAX / sz)
		return -1;
	void *p = realloc(*arr, ncap * sz);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

static void json_str(struct lar_buf *out, struct lar_str s)
{
	if (s.p == NULL)
		lar_buf_puts(out, "null");
	else
		lar_json_write_string(out, s.p, s.n);
}

static void json_member_str(struct lar_buf *out, const char *name, struct lar_str s)
{
	lar_buf_printf(out, ",\"%s\":", name);
	json_str(out, s);
}

static void json_member_int(struct lar_buf *out, const char *name, int64_t v)
{
	lar_buf_printf(out, ",\"%s\":", name);
	lar_buf_put_i64(out, v);
}

/* ---- reconcile: gathering ---- */

lar_status lar_reconcile_parse_by(struct lar_reconcile_opts *o, const char *list, struct lar_err *e)
{
	size_t n = 0;
	unsigned seen = 0;
	const char *p = list;
	for (;;) {
		const char *q = strchr(p, ',');
		size_t len = q ? (size_t)(q - p) : strlen(p);
		int f = lar_group_field_from_name(p, len);
		if (f < 0)
			return lar_err_set(
				e, LAR_E_INVAL,
				"'%.*s' is not a field (day, month, tool, method, project, agent, key)",
				(int)(len > 64 ? 64 : len), p);
		if (seen & (1u << f))
			return lar_err_set(e, LAR_E_INVAL, "field '%.*s' given twice", (int)len, p);
		seen |= 1u << f;
		o->by[n++] = (enum lar_group_field)f;
		if (q == NULL)
			break;
		p = q + 1;
	}
	o->nby = n;
	return LAR_OK;
}

static lar_status add_row(void *ctx, const struct lar_ledger_group *g)
{
	struct lar_reconcile *r = ctx;
	if (grow((void **)&r->rows, &r->cap_rows, r->nrows, sizeof *r->rows) != 0)
		return LAR_E_NOMEM;
	struct lar_reconcile_row *w = &r->rows[r->nrows];
	if (keep(&r->arena, &w->day, g->day) || keep(&r->arena, &w->month, g->month) ||
	    keep(&r->arena, &w->tool_id, g->tool_id) || keep(&r->arena, &w->tool_slug, g->tool_slug) ||
	    keep(&r->arena, &w->method, g->method) || keep(&r->arena, &w->project_id, g->project_id) ||
	    keep(&r->arena, &w->agent_id, g->agent_id) || keep(&r->arena, &w->key_id, g->key_id))
		return LAR_E_NOMEM;
	w->sums = g->sums;
	r->nrows++;
	return LAR_OK;
}

static lar_status add_discrepant(void *ctx, const struct lar_ledger_receipt *x)
{
	struct lar_reconcile *r = ctx;
	if (r->nlisted >= r->max_listed)
		return LAR_E_EOF; /* enough: stops the walk */
	if (grow((void **)&r->listed, &r->cap_listed, r->nlisted, sizeof *r->listed) != 0)
		return LAR_E_NOMEM;
	struct lar_discrepant *d = &r->listed[r->nlisted];
	if (keep(&r->arena, &d->receipt_id, x->receipt_id) ||
	    keep(&r->arena, &d->created_at, x->created_at) || keep(&r->arena, &d->tool_slug, x->tool_slug) ||
	    keep(&r->arena, &d->flags, x->flags))
		return LAR_E_NOMEM;
	d->gross_sats = x->gross_sats;
	d->platform_fee_sats = x->platform_fee_sats;
	d->net_sats = x->net_sats;
	r->nlisted++;
	return LAR_OK;
}

lar_status lar_report_reconcile(struct lar_ledger *l, const struct lar_reconcile_opts *o,
				struct lar_reconcile **out, struct lar_err *e)
{
	lar_status st;
	struct lar_reconcile *r = calloc(1, sizeof *r);
	*out = NULL;
	if (r == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	lar_arena_init(&r->arena, 0);
	if (o->nby == 0) {
		/* SPEC §4: default day,tool */
		r->by[0] = LAR_GROUP_DAY;
		r->by[1] = LAR_GROUP_TOOL;
		r->nby = 2;
	} else {
		if (o->nby > LAR_GROUP_FIELD_COUNT) {
			st = lar_err_set(e, LAR_E_INVAL, "too many group fields");
			goto fail;
		}
		memcpy(r->by, o->by, o->nby * sizeof o->by[0]);
		r->nby = o->nby;
	}
	r->max_listed = o->max_listed ? o->max_listed : LAR_RECONCILE_MAX_LISTED;

	if ((st = lar_ledger_read_begin(l, e)) != LAR_OK)
		goto fail;
	st = lar_ledger_reconcile(l, &o->range, r->by, r->nby, add_row, r, e);
	if (st == LAR_OK)
		st = lar_ledger_status_totals(l, &o->range, &r->total, &r->test_receipts, &r->other_status,
					      e);
	if (st == LAR_OK) {
		st = lar_ledger_discrepancies(l, &o->range, add_discrepant, r, e);
		if (st == LAR_E_EOF)
			st = LAR_OK;
	}
	lar_ledger_read_end(l);
	if (st == LAR_E_NOMEM)
		st = lar_err_set(e, LAR_E_NOMEM, "out of memory");
	if (st != LAR_OK)
		goto fail;
	*out = r;
	return LAR_OK;
fail:
	lar_reconcile_free(r);
	return st;
}

void lar_reconcile_free(struct lar_reconcile *r)
{
	if (r == NULL)
		return;
	free(r->rows);
	free(r->listed);
	lar_arena_free(&r->arena);
	free(r);
}

/* ---- text tables ---- */

/*
 * A table of cells built row by row, then written with each column padded
 * to its widest cell.  Cell text is made safe for a terminal: C0 and C1
 * controls and DEL become \xNN (a receipt's strings are signed, not
 * trusted).  Width counts code points, which is right for the ASCII that
 * receipts mostly hold.
 */
struct table {
	struct lar_buf text;
	struct tcell {
		size_t off, len, width;
		int right;
	} * cells;
	size_t ncells, cap, ncols;
	int oom;
};

static void table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof *t);
	lar_buf_init(&t->text, 0);
	t->ncols = ncols;
}

static void table_free(struct table *t)
{
	lar_buf_free(&t->text);
	free(t->cells);
}

static void table_cell(struct table *t, const char *p, size_t n, int right)
{
	if (grow((void **)&t->cells, &t->cap, t->ncells, sizeof *t->cells) != 0) {
		t->oom = 1;
		return;
	}
	struct tcell *c = &t->cells[t->ncells++];
	c->off = t->text.len;
	c->width = 0;
	c->right = right;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)p[i];
		int c1 = b == 0xc2 && i + 1 < n && (unsigned char)p[i + 1] >= 0x80 &&
			 (unsigned char)p[i + 1] < 0xa0;
		if (b < 0x20 || b == 0x7f || c1) {
			if (c1)
				b = (unsigned char)p[++i];
			lar_buf_printf(&t->text, "\\x%02X", b);
			c->width += 4;
			continue;
		}
		lar_buf_putc(&t->text, b);
		if ((b & 0xc0) != 0x80)
			c->width++;
	}
	c->len = t->text.len - c->off;
}

static void table_str(struct table *t, struct lar_str s, const char *ifnull)
{
	if (s.p == NULL)
		table_cell(t, ifnull, strlen(ifnull), 0);
	else
		table_cell(t, s.p, s.n, 0);
}

static void table_cstr(struct table *t, const char *s)
{
	table_cell(t, s, strlen(s), 0);
}

static void table_int(struct table *t, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
	table_cell(t, tmp, (size_t)n, 1);
}

static void table_blank(struct table *t)
{
	table_cell(t, "", 0, 0);
}

static void table_write(struct lar_buf *out, struct table *t, const char *indent)
{
	if (t->oom || t->text.oom) {
		out->oom = 1;
		return;
	}
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof *w);
	if (w == NULL) {
		out->oom = 1;
		return;
	}
	for (size_t i = 0; i < t->ncells; i++)
		if (t->cells[i].width > w[i % t->ncols])
			w[i % t->ncols] = t->cells[i].width;
	for (size_t i = 0; i < t->ncells; i++) {
		const struct tcell *c = &t->cells[i];
		size_t col = i % t->ncols, pad = w[col] - c->width;
		int last = col == t->ncols - 1;
		if (col == 0)
			lar_buf_puts(out, indent);
		else
			lar_buf_puts(out, "  ");
		if (c->right)
			for (size_t k = 0; k < pad; k++)
				lar_buf_putc(out, ' ');
		lar_buf_put(out, t->text.p + c->off, c->len);
		if (!c->right && !last)
			for (size_t k = 0; k < pad; k++)
				lar_buf_putc(out, ' ');
		if (last)
			lar_buf_putc(out, '\n');
	}
	free(w);
}

/* ---- reconcile: output ---- */

/* Header names of each group field (TOOL has two columns). */
static size_t group_columns(enum lar_group_field f, const char **names, int upper)
{
	static const char *const lower_n[][2] = {
		[LAR_GROUP_DAY] = { "day", NULL },
		[LAR_GROUP_MONTH] = { "month", NULL },
		[LAR_GROUP_TOOL] = { "tool_id", "tool_slug" },
		[LAR_GROUP_METHOD] = { "method", NULL },
		[LAR_GROUP_PROJECT] = { "project_id", NULL },
		[LAR_GROUP_AGENT] = { "agent_id", NULL },
		[LAR_GROUP_KEY] = { "key_id", NULL },
	};
	static const char *const upper_n[][2] = {
		[LAR_GROUP_DAY] = { "DAY", NULL },
		[LAR_GROUP_MONTH] = { "MONTH", NULL },
		[LAR_GROUP_TOOL] = { "TOOL_ID", "TOOL_SLUG" },
		[LAR_GROUP_METHOD] = { "METHOD", NULL },
		[LAR_GROUP_PROJECT] = { "PROJECT_ID", NULL },
		[LAR_GROUP_AGENT] = { "AGENT_ID", NULL },
		[LAR_GROUP_KEY] = { "KEY_ID", NULL },
	};
	const char *const *n = upper ? upper_n[f] : lower_n[f];
	names[0] = n[0];
	names[1] = n[1];
	return n[1] ? 2 : 1;
}

/* The values of row w for field f, in column order. */
static size_t group_values(const struct lar_reconcile_row *w, enum lar_group_field f, struct lar_str *v)
{
	switch (f) {
	case LAR_GROUP_DAY:
		v[0] = w->day;
		return 1;
	case LAR_GROUP_MONTH:
		v[0] = w->month;
		return 1;
	case LAR_GROUP_TOOL:
		v[0] = w->tool_id;
		v[1] = w->tool_slug;
		return 2;
	case LAR_GROUP_METHOD:
		v[0] = w->method;
		return 1;
	case LAR_GROUP_PROJECT:
		v[0] = w->project_id;
		return 1;
	case LAR_GROUP_AGENT:
		v[0] = w->agent_id;
		return 1;
	case LAR_GROUP_KEY:
	default:
		v[0] = w->key_id;
		return 1;
	}
}

static size_t group_ncols(const struct lar_reconcile *r)
{
	size_t n = 0;
	const char *names[2];
	for (size_t i = 0; i < r->nby; i++)
		n += group_columns(r->by[i], names, 0);
	return n;
}

void lar_reconcile_write_text(struct lar_buf *out, const struct lar_reconcile *r)
{
	struct table t;
	size_t gcols = group_ncols(r);
	const char *names[2];
	struct lar_str v[2];

	table_init(&t, gcols + 5);
	for (size_t i = 0; i < r->nby; i++) {
		size_t k = group_columns(r->by[i], names, 1);
		for (size_t j = 0; j < k; j++)
			table_cstr(&t, names[j]);
	}
	static const char *const sums_h[] = { "COUNT", "GROSS_SATS", "FEE_SATS", "NET_SATS",
					      "DISCREPANCIES" };
	for (size_t j = 0; j < 5; j++)
		table_cell(&t, sums_h[j], strlen(sums_h[j]), 1);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct lar_reconcile_row *w = &r->rows[i];
		for (size_t f = 0; f < r->nby; f++) {
			size_t k = group_values(w, r->by[f], v);
			for (size_t j = 0; j < k; j++)
				table_str(&t, v[j], "(null)");
		}
		table_int(&t, w->sums.count);
		table_int(&t, w->sums.gross_sats);
		table_int(&t, w->sums.platform_fee_sats);
		table_int(&t, w->sums.net_sats);
		table_int(&t, w->sums.discrepancies);
	}
	table_cstr(&t, "total");
	for (size_t j = 1; j < gcols; j++)
		table_blank(&t);
	table_int(&t, r->total.count);
	table_int(&t, r->total.gross_sats);
	table_int(&t, r->total.platform_fee_sats);
	table_int(&t, r->total.net_sats);
	table_int(&t, r->total.discrepancies);
	table_write(out, &t, "");
	table_free(&t);

	lar_buf_printf(
		out,
		"\nCharged receipts: %lld; Test receipts (not counted): %lld; other status (not counted): "
		"%lld\n",
		(long long)r->total.count, (long long)r->test_receipts, (long long)r->other_status);
	if (r->total.discrepancies == 0) {
		lar_buf_puts(out, "No discrepancies.\n");
		return;
	}
	lar_buf_printf(out, "\nDiscrepant receipts (amount_mismatch or fee_mismatch): %lld\n",
		       (long long)r->total.discrepancies);
	table_init(&t, 7);
	static const char *const list_h[] = { "CREATED_AT", "RECEIPT_ID", "TOOL_SLUG", "GROSS_SATS",
					      "FEE_SATS",   "NET_SATS",   "FLAGS" };
	for (size_t j = 0; j < 7; j++)
		table_cell(&t, list_h[j], strlen(list_h[j]), j >= 3 && j <= 5);
	for (size_t i = 0; i < r->nlisted; i++) {
		const struct lar_discrepant *d = &r->listed[i];
		table_str(&t, d->created_at, "");
		table_str(&t, d->receipt_id, "");
		table_str(&t, d->tool_slug, "");
		table_int(&t, d->gross_sats);
		table_int(&t, d->platform_fee_sats);
		table_int(&t, d->net_sats);
		table_str(&t, d->flags, "");
	}
	table_write(out, &t, "  ");
	table_free(&t);
	if ((int64_t)r->nlisted < r->total.discrepancies)
		lar_buf_printf(out,
			       "  ... and %lld more (la-receipt export lists every receipt with its flags)\n",
			       (long long)(r->total.discrepancies - (int64_t)r->nlisted));
}

static void json_sums(struct lar_buf *out, const struct lar_sums *s)
{
	json_member_int(out, "count", s->count);
	json_member_int(out, "grossSats", s->gross_sats);
	json_member_int(out, "platformFeeSats", s->platform_fee_sats);
	json_member_int(out, "netSats", s->net_sats);
	json_member_int(out, "discrepancies", s->discrepancies);
}

void lar_reconcile_write_json(struct lar_buf *out, const struct lar_reconcile *r)
{
	/* SPEC §4: the group's fields in JSON naming */
	static const char *const json_names[][2] = {
		[LAR_GROUP_DAY] = { "day", NULL },           [LAR_GROUP_MONTH] = { "month", NULL },
		[LAR_GROUP_TOOL] = { "toolId", "toolSlug" }, [LAR_GROUP_METHOD] = { "method", NULL },
		[LAR_GROUP_PROJECT] = { "projectId", NULL }, [LAR_GROUP_AGENT] = { "agentId", NULL },
		[LAR_GROUP_KEY] = { "keyId", NULL },
	};
	struct lar_str v[2];
	for (size_t i = 0; i < r->nrows; i++) {
		const struct lar_reconcile_row *w = &r->rows[i];
		for (size_t f = 0; f < r->nby; f++) {
			size_t k = group_values(w, r->by[f], v);
			for (size_t j = 0; j < k; j++) {
				lar_buf_printf(out, "%s\"%s\":", f == 0 && j == 0 ? "{" : ",",
					       json_names[r->by[f]][j]);
				json_str(out, v[j]);
			}
		}
		json_sums(out, &w->sums);
		lar_buf_puts(out, "}\n");
	}
	lar_buf_puts(out, "{\"total\":true");
	json_sums(out, &r->total);
	json_member_int(out, "testReceipts", r->test_receipts);
	json_member_int(out, "otherStatus", r->other_status);
	lar_buf_puts(out, "}\n");
}

void lar_reconcile_write_csv(struct lar_buf *out, const struct lar_reconcile *r)
{
	struct lar_csv w;
	const char *names[2];
	struct lar_str v[2];
	size_t gcols = group_ncols(r);
	static const char *const tail[] = { "count",         "gross_sats",    "platform_fee_sats", "net_sats",
					    "discrepancies", "test_receipts", "other_status" };

	lar_csv_init(&w, out);
	lar_csv_cstr(&w, "row");
	for (size_t i = 0; i < r->nby; i++) {
		size_t k = group_columns(r->by[i], names, 0);
		for (size_t j = 0; j < k; j++)
			lar_csv_cstr(&w, names[j]);
	}
	for (size_t j = 0; j < 7; j++)
		lar_csv_cstr(&w, tail[j]);
	lar_csv_end_row(&w);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct lar_reconcile_row *row = &r->rows[i];
		lar_csv_cstr(&w, "group");
		for (size_t f = 0; f < r->nby; f++) {
			size_t k = group_values(row, r->by[f], v);
			for (size_t j = 0; j < k; j++)
				lar_csv_text(&w, v[j].p, v[j].n);
		}
		lar_csv_int(&w, row->sums.count);
		lar_csv_int(&w, row->sums.gross_sats);
		lar_csv_int(&w, row->sums.platform_fee_sats);
		lar_csv_int(&w, row->sums.net_sats);
		lar_csv_int(&w, row->sums.discrepancies);
		lar_csv_cstr(&w, NULL);
		lar_csv_cstr(&w, NULL);
		lar_csv_end_row(&w);
	}
	lar_csv_cstr(&w, "total");
	for (size_t j = 0; j < gcols; j++)
		lar_csv_cstr(&w, NULL);
	lar_csv_int(&w, r->total.count);
	lar_csv_int(&w, r->total.gross_sats);
	lar_csv_int(&w, r->total.platform_fee_sats);
	lar_csv_int(&w, r->total.net_sats);
	lar_csv_int(&w, r->total.discrepancies);
	lar_csv_int(&w, r->test_receipts);
	lar_csv_int(&w, r->other_status);
	lar_csv_end_row(&w);
}

/* ---- dupes ---- */

struct dupes_ctx {
	struct lar_dupes *d;
	size_t *first; /* per charge, index in d->ids of its first id (d->ids moves while it grows) */
	size_t cap_first;
	int64_t g, f, n; /* conflicts: amounts of the stored payload of the current receiptId */
};

static int same(struct lar_str a, struct lar_str b)
{
	if (a.p == NULL || b.p == NULL)
		return a.p == b.p;
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static lar_status add_charge(void *ctx, const struct lar_ledger_receipt *x)
{
	struct dupes_ctx *c = ctx;
	struct lar_dupes *d = c->d;
	struct lar_double_charge *g = d->ncharges ? &d->charges[d->ncharges - 1] : NULL;
	/* rows come grouped: a new group starts when the key changes */
	if (g == NULL || !same(g->tool_id, x->mcp_tool_id) || !same(g->idempotency_key, x->idempotency_key) ||
	    !same(g->project_id, x->paying_project_id)) {
		if (grow((void **)&d->charges, &d->cap_charges, d->ncharges, sizeof *d->charges) != 0 ||
		    grow((void **)&c->first, &c->cap_first, d->ncharges, sizeof *c->first) != 0)
			return LAR_E_NOMEM;
		g = &d->charges[d->ncharges];
		memset(g, 0, sizeof *g);
		if (keep(&d->arena, &g->tool_id, x->mcp_tool_id) ||
		    keep(&d->arena, &g->idempotency_key, x->idempotency_key) ||
		    keep(&d->arena, &g->project_id, x->paying_project_id))
			return LAR_E_NOMEM;
		c->first[d->ncharges++] = d->nids;
	} else {
		/* everything beyond the first charge, by createdAt */
		g->overcharge_sats += x->gross_sats;
	}
	if (grow((void **)&d->ids, &d->cap_ids, d->nids, sizeof *d->ids) != 0 ||
	    keep(&d->arena, &d->ids[d->nids], x->receipt_id))
		return LAR_E_NOMEM;
	d->nids++;
	g->count++;
	g->gross_sats += x->gross_sats;
	return LAR_OK;
}

static lar_status add_conflict(void *ctx, const struct lar_ledger_conflict *x)
{
	struct dupes_ctx *c = ctx;
	struct lar_dupes *d = c->d;
	if (x->stored || d->nconflicts == 0 ||
	    !same(d->conflicts[d->nconflicts - 1].receipt_id, x->receipt_id)) {
		if (grow((void **)&d->conflicts, &d->cap_conflicts, d->nconflicts, sizeof *d->conflicts) != 0)
			return LAR_E_NOMEM;
		struct lar_conflict_finding *f = &d->conflicts[d->nconflicts++];
		memset(f, 0, sizeof *f);
		if (keep(&d->arena, &f->receipt_id, x->receipt_id))
			return LAR_E_NOMEM;
		c->g = x->gross_sats;
		c->f = x->platform_fee_sats;
		c->n = x->net_sats;
	}
	struct lar_conflict_finding *f = &d->conflicts[d->nconflicts - 1];
	f->count++;
	if (x->gross_sats != c->g || x->platform_fee_sats != c->f || x->net_sats != c->n)
		f->amounts_differ = 1;
	return LAR_OK;
}

lar_status lar_report_dupes(struct lar_ledger *l, struct lar_dupes **out, struct lar_err *e)
{
	lar_status st;
	struct dupes_ctx c;
	struct lar_dupes *d = calloc(1, sizeof *d);
	*out = NULL;
	if (d == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	lar_arena_init(&d->arena, 0);
	memset(&c, 0, sizeof c);
	c.d = d;
	if ((st = lar_ledger_read_begin(l, e)) != LAR_OK)
		goto fail;
	st = lar_ledger_double_charges(l, add_charge, &c, e);
	if (st == LAR_OK)
		st = lar_ledger_conflicts(l, add_conflict, &c, e);
	lar_ledger_read_end(l);
	if (st == LAR_E_NOMEM)
		st = lar_err_set(e, LAR_E_NOMEM, "out of memory");
	if (st != LAR_OK)
		goto fail;
	/* the id array stopped moving: hand each charge its slice */
	for (size_t i = 0; i < d->ncharges; i++)
		d->charges[i].receipt_ids = d->ids + c.first[i];
	free(c.first);
	*out = d;
	return LAR_OK;
fail:
	free(c.first);
	lar_dupes_free(d);
	return st;
}

void lar_dupes_free(struct lar_dupes *d)
{
	if (d == NULL)
		return;
	free(d->ids);
	free(d->charges);
	free(d->conflicts);
	lar_arena_free(&d->arena);
	free(d);
}

void lar_dupes_write_text(struct lar_buf *out, const struct lar_dupes *d)
{
	if (d->ncharges == 0 && d->nconflicts == 0) {
		lar_buf_puts(out, "No double charges and no conflicts.\n");
		return;
	}
	lar_buf_printf(
		out,
		"Double charges (one tool, paying project and idempotency key, charged more than once): "
		"%zu\n",
		d->ncharges);
	if (d->ncharges > 0) {
		struct table t;
		table_init(&t, 7);
		static const char *const h[] = { "TOOL_ID",
						 "PAYING_PROJECT_ID",
						 "IDEMPOTENCY_KEY",
						 "COUNT",
						 "GROSS_SATS",
						 "OVERCHARGE_SATS",
						 "RECEIPT_IDS (FIRST CHARGE FIRST)" };
		for (size_t j = 0; j < 7; j++)
			table_cell(&t, h[j], strlen(h[j]), j >= 3 && j <= 5);
		for (size_t i = 0; i < d->ncharges; i++) {
			const struct lar_double_charge *g = &d->charges[i];
			for (size_t k = 0; k < g->count; k++) {
				if (k == 0) {
					table_str(&t, g->tool_id, "(null)");
					table_str(&t, g->project_id, "(null)");
					table_str(&t, g->idempotency_key, "(null)");
					table_int(&t, (int64_t)g->count);
					table_int(&t, g->gross_sats);
					table_int(&t, g->overcharge_sats);
				} else {
					for (size_t j = 0; j < 6; j++)
						table_blank(&t);
				}
				table_str(&t, g->receipt_ids[k], "");
			}
		}
		table_write(out, &t, "  ");
		table_free(&t);
	}
	lar_buf_printf(out, "Conflicts (one receiptId, several signed payloads): %zu\n", d->nconflicts);
	if (d->nconflicts > 0) {
		struct table t;
		table_init(&t, 3);
		table_cstr(&t, "RECEIPT_ID");
		table_cell(&t, "PAYLOADS", 8, 1);
		table_cstr(&t, "AMOUNTS");
		for (size_t i = 0; i < d->nconflicts; i++) {
			const struct lar_conflict_finding *f = &d->conflicts[i];
			table_str(&t, f->receipt_id, "");
			table_int(&t, (int64_t)f->count);
			table_cstr(&t, f->amounts_differ ? "differ" : "same");
		}
		table_write(out, &t, "  ");
		table_free(&t);
	}
}

void lar_dupes_write_json(struct lar_buf *out, const struct lar_dupes *d)
{
	for (size_t i = 0; i < d->ncharges; i++) {
		const struct lar_double_charge *g = &d->charges[i];
		lar_buf_puts(out, "{\"kind\":\"double_charge\"");
		json_member_str(out, "toolId", g->tool_id);
		json_member_str(out, "payingProjectId", g->project_id);
		json_member_str(out, "idempotencyKey", g->idempotency_key);
		json_member_int(out, "count", (int64_t)g->count);
		lar_buf_puts(out, ",\"receiptIds\":[");
		for (size_t k = 0; k < g->count; k++) {
			if (k)
				lar_buf_putc(out, ',');
			json_str(out, g->receipt_ids[k]);
		}
		lar_buf_putc(out, ']');
		json_member_int(out, "grossSats", g->gross_sats);
		json_member_int(out, "overchargeSats", g->overcharge_sats);
		lar_buf_puts(out, "}\n");
	}
	for (size_t i = 0; i < d->nconflicts; i++) {
		const struct lar_conflict_finding *f = &d->conflicts[i];
		lar_buf_puts(out, "{\"kind\":\"conflict\"");
		json_member_str(out, "receiptId", f->receipt_id);
		json_member_int(out, "count", (int64_t)f->count);
		lar_buf_printf(out, ",\"amountsDiffer\":%s}\n", f->amounts_differ ? "true" : "false");
	}
}
