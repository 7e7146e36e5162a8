/*
 * export.c - CSV and JSON Lines rows of `la-receipt export` (export.h,
 * SPEC §4, §4.3).
 * Not for: querying (ledger.c) or files (cli/cmd_export.c).
 */
#include "export.h"

#include <string.h>

#include "csv.h"
#include "json.h"

/* SPEC §4.3: columns, in order */
static const char *const csv_columns[] = {
	"created_at", "receipt_id",       "revenue_event_id",
	"status",     "tool_id",          "tool_slug",
	"tool_name",  "tool_method",      "paying_project_id",
	"agent_id",   "gross_sats",       "platform_fee_sats",
	"net_sats",   "fee_basis_points", "idempotency_key",
	"request_id", "key_id",           "flags",
};

void lar_export_csv_header(struct lar_buf *out)
{
	struct lar_csv w;
	lar_csv_init(&w, out);
	for (size_t i = 0; i < sizeof csv_columns / sizeof csv_columns[0]; i++)
		lar_csv_cstr(&w, csv_columns[i]);
	lar_csv_end_row(&w);
}

void lar_export_csv_row(struct lar_buf *out, const struct lar_ledger_receipt *r)
{
	struct lar_csv w;
	lar_csv_init(&w, out);
	lar_csv_text(&w, r->created_at.p, r->created_at.n);
	lar_csv_text(&w, r->receipt_id.p, r->receipt_id.n);
	lar_csv_text(&w, r->revenue_event_id.p, r->revenue_event_id.n);
	lar_csv_text(&w, r->status.p, r->status.n);
	lar_csv_text(&w, r->mcp_tool_id.p, r->mcp_tool_id.n);
	lar_csv_text(&w, r->tool_slug.p, r->tool_slug.n);
	lar_csv_text(&w, r->tool_name.p, r->tool_name.n);
	lar_csv_text(&w, r->tool_method_name.p, r->tool_method_name.n);
	lar_csv_text(&w, r->paying_project_id.p, r->paying_project_id.n);
	lar_csv_text(&w, r->agent_id.p, r->agent_id.n);
	lar_csv_int(&w, r->gross_sats);
	lar_csv_int(&w, r->platform_fee_sats);
	lar_csv_int(&w, r->net_sats);
	lar_csv_int(&w, r->fee_basis_points);
	lar_csv_text(&w, r->idempotency_key.p, r->idempotency_key.n);
	lar_csv_text(&w, r->request_id.p, r->request_id.n);
	lar_csv_text(&w, r->key_id.p, r->key_id.n);
	lar_csv_text(&w, r->flags.p, r->flags.n);
	lar_csv_end_row(&w);
}

void lar_export_jsonl_init(struct lar_export_jsonl *x)
{
	lar_arena_init(&x->arena, 0);
}

void lar_export_jsonl_free(struct lar_export_jsonl *x)
{
	if (x == NULL)
		return;
	lar_arena_free(&x->arena);
}

static int added_name(const struct lar_json_member *m)
{
	static const char *const names[] = { "keyId", "keyFingerprint", "flags" };
	for (size_t i = 0; i < 3; i++)
		if (m->keylen == strlen(names[i]) && memcmp(m->key, names[i], m->keylen) == 0)
			return 1;
	return 0;
}

lar_status lar_export_jsonl_row(struct lar_export_jsonl *x, struct lar_buf *out,
				const struct lar_ledger_receipt *r, struct lar_err *e)
{
	const struct lar_json *tree;

	/* the ledger keeps the payload decoded (schemas/ledger.sql) */
	if (r->payload.p == NULL)
		goto damaged;
	lar_arena_reset(&x->arena);
	lar_status st = lar_json_parse((const uint8_t *)r->payload.p, r->payload.n, &x->arena, &tree, NULL);
	if (st == LAR_E_NOMEM)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	if (st != LAR_OK || tree->type != LAR_JSON_OBJECT)
		goto damaged;

	/* the signed members, as signed (SPEC §1.2: values from the payload) */
	int n = 0;
	lar_buf_putc(out, '{');
	for (size_t i = 0; i < tree->n; i++) {
		const struct lar_json_member *m = &tree->u.members[i];
		if (added_name(m))
			continue;
		if (n++)
			lar_buf_putc(out, ',');
		lar_json_write_string(out, m->key, m->keylen);
		lar_buf_putc(out, ':');
		lar_json_write(out, &m->value);
	}
	if (n)
		lar_buf_putc(out, ',');
	lar_buf_puts(out, "\"keyId\":");
	lar_json_write_string(out, r->key_id.p ? r->key_id.p : "", r->key_id.n);
	lar_buf_puts(out, ",\"keyFingerprint\":");
	lar_json_write_string(out, r->key_fingerprint.p ? r->key_fingerprint.p : "", r->key_fingerprint.n);
	lar_buf_puts(out, ",\"flags\":[");
	n = 0;
	for (int k = LAR_R_FIRST_FLAG; k < LAR_REASON_COUNT; k++) {
		if (r->flag_bits & (1u << k))
			lar_buf_printf(out, "%s\"%s\"", n++ ? "," : "", lar_reason_name((enum lar_reason)k));
	}
	lar_buf_puts(out, "]}\n");
	return LAR_OK;
damaged:
	return lar_err_set(e, LAR_E_DB, "stored payload of '%.*s' does not decode: the ledger is damaged",
			   (int)(r->receipt_id.n > 100 ? 100 : r->receipt_id.n),
			   r->receipt_id.p ? r->receipt_id.p : "");
}
