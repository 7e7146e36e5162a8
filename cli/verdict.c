/*
 * verdict.c - text and JSON lines for verdicts (SPEC §4.1).
 *
 * Payload values appear only for ok and flag verdicts: nothing from a record
 * that failed is ever echoed.  Strings are JSON-escaped in both formats so a
 * hostile payload cannot put terminal escapes on an auditor's screen, nor
 * bidirectional overrides that reorder the line (lar_json_write_display_string).
 *
 * Not for: deciding verdicts.
 */
#include "verdict.h"

#include <string.h>

void verdict_write_reasons(struct lar_buf *out, uint32_t reasons)
{
	int first = 1;
	for (int r = 0; r < LAR_REASON_COUNT; r++) {
		if (!(reasons & (1u << r)))
			continue;
		if (!first)
			lar_buf_putc(out, ',');
		first = 0;
		lar_buf_puts(out, lar_reason_name((enum lar_reason)r));
	}
}

static void jstr(struct lar_buf *out, struct lar_str s)
{
	if (s.p == NULL)
		lar_buf_puts(out, "null");
	else
		lar_json_write_display_string(out, s.p, s.n);
}

static void write_json(struct lar_buf *out, const char *source, uint64_t line, const struct lar_verdict *v)
{
	lar_buf_puts(out, "{\"source\":");
	lar_json_write_display_string(out, source, strlen(source));
	lar_buf_puts(out, ",\"line\":");
	lar_buf_put_i64(out, (int64_t)line);
	lar_buf_puts(out, ",\"status\":\"");
	lar_buf_puts(out, lar_vstatus_name(v->status));
	lar_buf_puts(out, "\",\"reasons\":[");
	int first = 1;
	for (int r = 0; r < LAR_REASON_COUNT; r++) {
		if (!(v->reasons & (1u << r)))
			continue;
		if (!first)
			lar_buf_putc(out, ',');
		first = 0;
		lar_buf_putc(out, '"');
		lar_buf_puts(out, lar_reason_name((enum lar_reason)r));
		lar_buf_putc(out, '"');
	}
	lar_buf_putc(out, ']');
	if ((v->status == LAR_V_OK || v->status == LAR_V_FLAG) && v->key != NULL) {
		const struct lar_payload *p = &v->p;
		lar_buf_puts(out, ",\"keyId\":");
		lar_json_write_display_string(out, v->key->key_id, v->key->key_id_len);
		lar_buf_puts(out, ",\"keyFingerprint\":\"");
		lar_buf_puts(out, v->key->fingerprint_hex);
		lar_buf_puts(out, "\",\"receiptId\":");
		jstr(out, p->receipt_id);
		lar_buf_puts(out, ",\"revenueEventId\":");
		jstr(out, p->revenue_event_id);
		lar_buf_puts(out, ",\"createdAt\":");
		jstr(out, p->created_at);
		lar_buf_puts(out, ",\"toolSlug\":");
		jstr(out, p->tool_slug);
		lar_buf_puts(out, ",\"grossSats\":");
		lar_buf_put_i64(out, p->gross_sats);
		lar_buf_puts(out, ",\"platformFeeSats\":");
		lar_buf_put_i64(out, p->platform_fee_sats);
		lar_buf_puts(out, ",\"netSats\":");
		lar_buf_put_i64(out, p->net_sats);
	}
	lar_buf_puts(out, "}\n");
}

/* A file name as given, or JSON-quoted when it holds a control character
 * (one line per record, whatever the name). */
static void put_source(struct lar_buf *out, const char *source)
{
	for (const unsigned char *c = (const unsigned char *)source; *c; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			lar_json_write_display_string(out, source, strlen(source));
			return;
		}
	}
	lar_buf_puts(out, source);
}

static void write_text(struct lar_buf *out, const char *source, uint64_t line, const struct lar_verdict *v)
{
	put_source(out, source);
	lar_buf_putc(out, ':');
	lar_buf_put_i64(out, (int64_t)line);
	lar_buf_puts(out, ": ");
	lar_buf_puts(out, lar_vstatus_name(v->status));
	if (v->reasons) {
		lar_buf_putc(out, ' ');
		verdict_write_reasons(out, v->reasons);
	}
	if (v->status == LAR_V_SKIPPED) {
		lar_buf_puts(out, " (receipt is null: a denied charge)");
	} else if ((v->status == LAR_V_OK || v->status == LAR_V_FLAG) && v->key != NULL) {
		const struct lar_payload *p = &v->p;
		lar_buf_putc(out, ' ');
		lar_buf_put(out, p->receipt_id.p, p->receipt_id.n);
		lar_buf_puts(out, " gross=");
		lar_buf_put_i64(out, p->gross_sats);
		lar_buf_puts(out, " fee=");
		lar_buf_put_i64(out, p->platform_fee_sats);
		lar_buf_puts(out, " net=");
		lar_buf_put_i64(out, p->net_sats);
		lar_buf_puts(out, " tool=");
		lar_json_write_display_string(out, p->tool_slug.p, p->tool_slug.n);
		lar_buf_puts(out, " key=");
		lar_json_write_display_string(out, v->key->key_id, v->key->key_id_len);
		lar_buf_putc(out, '/');
		lar_buf_puts(out, v->key->fingerprint_hex);
	}
	lar_buf_putc(out, '\n');
}

void verdict_write(struct lar_buf *out, enum verdict_format f, const char *source, uint64_t line,
		   const struct lar_verdict *v)
{
	if (f == VF_JSON)
		write_json(out, source, line, v);
	else
		write_text(out, source, line, v);
}

void verdict_count(struct verdict_counts *c, enum lar_vstatus s)
{
	c->records++;
	switch (s) {
	case LAR_V_OK:
		c->ok++;
		break;
	case LAR_V_FLAG:
		c->flag++;
		break;
	case LAR_V_FAIL:
		c->fail++;
		break;
	case LAR_V_SKIPPED:
		c->skipped++;
		break;
	}
}
