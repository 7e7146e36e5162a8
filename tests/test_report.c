/*
 * test_report.c - report reconcile and report dupes (report.h) and the
 * export rows (export.h) over ledgers filled with hand-made verdicts.
 *
 * Reconcile: a pseudo-random ledger; every group's sums, the totals, the
 * Test/other counts and the discrepant list are recomputed here from the
 * generated data, not from the code under test.  Dupes: planted double
 * charges and conflicts are found, and the near misses (same key under
 * another project or tool, a Test duplicate, null keys) are not.  The JSON
 * outputs are parsed back with cJSON.
 * Not for: the SQL store itself (test_ledger.c) or CSV quoting (test_csv.c).
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64url.h"
#include "csv.h"
#include "export.h"
#include "report.h"
#include "tap.h"

static char dir[4096];

static const char *path_in_dir(const char *name)
{
	static char buf[4][4200];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, sizeof buf[0], "%s/%s", dir, name);
	return p;
}

/* ---- generated receipts ---- */

struct rec {
	char rid[48], created[32], day[11];
	const char *status, *tool, *slug, *method, *project, *agent, *key, *keyid;
	int64_t gross, fee, net;
	uint32_t flags;
	char payload[600]; /* the signed payload's bytes (receipt id when empty) */
};

static struct lar_str S(const char *s) {
	struct lar_str r = { s, s ? strlen(s) : 0 };
	return r;
}

static struct lar_key_entry key_a = { .key_id = "kid-a",
				      .key_id_len = 5,
				      .fingerprint_hex = "aaaaaaaaaaaaaaaa" };

/* base64url of a payload's bytes, in one of a few buffers (a verdict's
 * strings must last until it is stored: the ledger decodes and stores them) */
static struct lar_str b64(const char *payload)
{
	static char buf[8][8192];
	static int k;
	char *o = buf[k++ % 8];
	size_t n = strlen(payload);
	if (lar_b64url_enclen(n) > sizeof buf[0]) {
		fprintf(stderr, "test payload too long\n");
		exit(2);
	}
	struct lar_str r = { o, lar_b64url_encode((const uint8_t *)payload, n, o) };
	return r;
}

static void to_verdict(const struct rec *r, struct lar_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->status = r->flags ? LAR_V_FLAG : LAR_V_OK;
	v->reasons = r->flags;
	v->key = &key_a;
	v->key_id = S(r->keyid ? r->keyid : "kid-a");
	v->payload_b64 = b64(r->payload[0] ? r->payload : r->rid);
	v->signature = S("s");
	struct lar_payload *p = &v->p;
	p->receipt_id = S(r->rid);
	p->revenue_event_id = S("00000000-0000-0000-0000-000000000000");
	p->created_at = S(r->created);
	lar_time_parse_payload(r->created, strlen(r->created), &p->created);
	p->status = S(r->status);
	p->mcp_tool_id = S(r->tool);
	p->tool_slug = S(r->slug);
	p->tool_method_name = S(r->method);
	p->paying_project_id = S(r->project);
	p->agent_id = S(r->agent);
	p->idempotency_key = S(r->key);
	p->version = S("mcp-call-receipt-v1");
	p->gross_sats = r->gross;
	p->platform_fee_sats = r->fee;
	p->net_sats = r->net;
	p->fee_basis_points = 500;
}

static struct lar_ledger *new_ledger(const char *name)
{
	struct lar_ledger *l = NULL;
	struct lar_err e = { 0 };
	unlink(path_in_dir(name));
	if (lar_ledger_open(path_in_dir(name), NULL, &l, &e) != LAR_OK) {
		fprintf(stderr, "open: %s\n", e.msg);
		exit(2);
	}
	return l;
}

static void store(struct lar_ledger *l, const struct rec *rs, size_t n)
{
	struct lar_err e = { 0 };
	struct lar_verdict v;
	CHECK(lar_ledger_run_begin(l, "test", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "gen.jsonl", &e) == LAR_OK);
	for (size_t i = 0; i < n; i++) {
		to_verdict(&rs[i], &v);
		CHECKM(lar_ledger_add(l, &v, i + 1, NULL, &e) == LAR_OK, "add: %.200s", e.msg);
	}
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
}

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	return (unsigned)(tap_xorshift(&rng) % n);
}

#define NGEN 600
static struct rec gen[NGEN];

static void generate(void)
{
	static const char *const tools[] = { "11111111-1111-4111-8111-111111111111",
					     "22222222-2222-4222-8222-222222222222",
					     "33333333-3333-4333-8333-333333333333" };
	static const char *const slugs[] = { "weather-api", "search", "=formula" };
	static const char *const methods[] = { "lookup", "search" };
	static const char *const projects[] = { "aaaaaaaa-0000-4000-8000-000000000001",
						"aaaaaaaa-0000-4000-8000-000000000002", NULL };
	static const char *const agents[] = { "agent-1", "agent,2", NULL };
	static const char *const statuses[] = { "Charged", "Charged", "Charged", "Charged", "Charged",
						"Charged", "Charged", "Test",    "Refunded" };
	for (int i = 0; i < NGEN; i++) {
		struct rec *r = &gen[i];
		memset(r, 0, sizeof *r);
		snprintf(r->rid, sizeof r->rid, "mcp_receipt_%032x", (unsigned)(i * 2654435761u));
		/* days 2026-02-26 .. 2026-03-03 (crosses a month end) */
		static const char *const days[] = { "2026-02-26", "2026-02-27", "2026-02-28",
						    "2026-03-01", "2026-03-02", "2026-03-03" };
		const char *day = days[rnd(6)];
		int hh = (int)rnd(3) == 0 ? (rnd(2) ? 0 : 23) : (int)rnd(24);
		int mm = hh == 23 ? 59 : (int)rnd(60), ss = hh == 23 ? 59 : (int)rnd(60);
		snprintf(r->created, sizeof r->created, "%sT%02d:%02d:%02d.%07uZ", day, hh, mm, ss,
			 hh == 23 ? 9999999u : rnd(10000000));
		memcpy(r->day, day, 11);
		unsigned t = rnd(3);
		r->tool = tools[t];
		r->slug = slugs[t];
		r->method = methods[rnd(2)];
		r->project = projects[rnd(3)];
		r->agent = agents[rnd(3)];
		r->keyid = rnd(4) == 0 ? "kid-b" : "kid-a";
		r->status = statuses[rnd(9)];
		r->key = NULL; /* no idempotency keys: no double charge by accident */
		r->gross = (int64_t)rnd(5000);
		r->fee = r->gross * 5 / 100;
		r->net = r->gross - r->fee;
		unsigned f = rnd(10);
		if (f == 0) {
			r->net += 1;
			r->flags |= 1u << LAR_R_AMOUNT_MISMATCH;
		} else if (f == 1) {
			r->flags |= 1u << LAR_R_FEE_MISMATCH;
		} else if (f == 2) {
			r->flags |= 1u << LAR_R_BODY_MISMATCH;
		}
		if (strcmp(r->status, "Test") == 0)
			r->flags |= 1u << LAR_R_TEST_RECEIPT;
		else if (strcmp(r->status, "Charged") != 0)
			r->flags |= 1u << LAR_R_UNEXPECTED_STATUS;
	}
}

/* ---- independent expectations ---- */

static int in_range(const struct rec *r, const char *from, const char *to)
{
	return (from == NULL || strcmp(r->day, from) >= 0) && (to == NULL || strcmp(r->day, to) <= 0);
}

static int is_disc(const struct rec *r)
{
	return (r->flags & ((1u << LAR_R_AMOUNT_MISMATCH) | (1u << LAR_R_FEE_MISMATCH))) != 0;
}

static int str_eq(struct lar_str a, const char *b)
{
	if (a.p == NULL || b == NULL)
		return a.p == NULL && b == NULL;
	return a.n == strlen(b) && memcmp(a.p, b, a.n) == 0;
}

/* Does generated receipt r belong to reported row w for fields by? */
static int matches(const struct rec *r, const struct lar_reconcile_row *w, const enum lar_group_field *by,
		   size_t nby)
{
	for (size_t i = 0; i < nby; i++) {
		char month[8];
		switch (by[i]) {
		case LAR_GROUP_DAY:
			if (!str_eq(w->day, r->day))
				return 0;
			break;
		case LAR_GROUP_MONTH:
			memcpy(month, r->day, 7);
			month[7] = 0;
			if (!str_eq(w->month, month))
				return 0;
			break;
		case LAR_GROUP_TOOL:
			if (!str_eq(w->tool_id, r->tool) || !str_eq(w->tool_slug, r->slug))
				return 0;
			break;
		case LAR_GROUP_METHOD:
			if (!str_eq(w->method, r->method))
				return 0;
			break;
		case LAR_GROUP_PROJECT:
			if (!str_eq(w->project_id, r->project))
				return 0;
			break;
		case LAR_GROUP_AGENT:
			if (!str_eq(w->agent_id, r->agent))
				return 0;
			break;
		case LAR_GROUP_KEY:
			if (!str_eq(w->key_id, r->keyid))
				return 0;
			break;
		default:
			return 0;
		}
	}
	return 1;
}

static int cmp_str(struct lar_str a, struct lar_str b)
{
	if (a.p == NULL || b.p == NULL)
		return (a.p != NULL) - (b.p != NULL); /* nulls first */
	size_t n = a.n < b.n ? a.n : b.n;
	int c = memcmp(a.p, b.p, n);
	return c ? c : (a.n > b.n) - (a.n < b.n);
}

static int cmp_rows(const struct lar_reconcile_row *a, const struct lar_reconcile_row *b,
		    const enum lar_group_field *by, size_t nby)
{
	for (size_t i = 0; i < nby; i++) {
		int c = 0;
		switch (by[i]) {
		case LAR_GROUP_DAY:
			c = cmp_str(a->day, b->day);
			break;
		case LAR_GROUP_MONTH:
			c = cmp_str(a->month, b->month);
			break;
		case LAR_GROUP_TOOL:
			c = cmp_str(a->tool_id, b->tool_id);
			if (c == 0)
				c = cmp_str(a->tool_slug, b->tool_slug);
			break;
		case LAR_GROUP_METHOD:
			c = cmp_str(a->method, b->method);
			break;
		case LAR_GROUP_PROJECT:
			c = cmp_str(a->project_id, b->project_id);
			break;
		case LAR_GROUP_AGENT:
			c = cmp_str(a->agent_id, b->agent_id);
			break;
		case LAR_GROUP_KEY:
			c = cmp_str(a->key_id, b->key_id);
			break;
		default:
			break;
		}
		if (c)
			return c;
	}
	return 0;
}

static void check_reconcile(struct lar_ledger *l, const char *by, const char *from, const char *to)
{
	struct lar_reconcile_opts o;
	struct lar_err e = { 0 };
	struct lar_reconcile *r = NULL;
	memset(&o, 0, sizeof o);
	o.range.from = from;
	o.range.to = to;
	if (by != NULL)
		CHECK(lar_reconcile_parse_by(&o, by, &e) == LAR_OK);
	CHECKM(lar_report_reconcile(l, &o, &r, &e) == LAR_OK, "reconcile %.100s: %.200s", by ? by : "-",
	       e.msg);
	if (r == NULL)
		return;
	if (by == NULL)
		CHECK(r->nby == 2 && r->by[0] == LAR_GROUP_DAY && r->by[1] == LAR_GROUP_TOOL);

	/* totals, computed from the generated data */
	struct lar_sums want = { 0 };
	int64_t test = 0, other = 0;
	for (int i = 0; i < NGEN; i++) {
		const struct rec *g = &gen[i];
		if (!in_range(g, from, to))
			continue;
		if (strcmp(g->status, "Charged") == 0) {
			want.count++;
			want.gross_sats += g->gross;
			want.platform_fee_sats += g->fee;
			want.net_sats += g->net;
			want.discrepancies += is_disc(g);
		} else if (strcmp(g->status, "Test") == 0) {
			test++;
		} else {
			other++;
		}
	}
	CHECKM(r->total.count == want.count && r->total.gross_sats == want.gross_sats &&
		       r->total.platform_fee_sats == want.platform_fee_sats &&
		       r->total.net_sats == want.net_sats && r->total.discrepancies == want.discrepancies,
	       "totals by %.50s %.10s..%.10s: count %lld want %lld", by ? by : "-", from ? from : "",
	       to ? to : "", (long long)r->total.count, (long long)want.count);
	CHECK(r->test_receipts == test && r->other_status == other);

	/* every group: its sums from the data; all groups together: everything */
	struct lar_sums sum = { 0 };
	for (size_t i = 0; i < r->nrows; i++) {
		const struct lar_reconcile_row *w = &r->rows[i];
		struct lar_sums g = { 0 };
		for (int k = 0; k < NGEN; k++) {
			const struct rec *x = &gen[k];
			if (!in_range(x, from, to) || strcmp(x->status, "Charged") != 0 ||
			    !matches(x, w, r->by, r->nby))
				continue;
			g.count++;
			g.gross_sats += x->gross;
			g.platform_fee_sats += x->fee;
			g.net_sats += x->net;
			g.discrepancies += is_disc(x);
		}
		CHECKM(g.count > 0 && g.count == w->sums.count && g.gross_sats == w->sums.gross_sats &&
			       g.platform_fee_sats == w->sums.platform_fee_sats &&
			       g.net_sats == w->sums.net_sats && g.discrepancies == w->sums.discrepancies,
		       "group %zu by %.50s", i, by ? by : "-");
		if (i > 0)
			CHECKM(cmp_rows(&r->rows[i - 1], w, r->by, r->nby) < 0, "groups out of order at %zu",
			       i);
		sum.count += w->sums.count;
		sum.gross_sats += w->sums.gross_sats;
	}
	CHECK(sum.count == want.count && sum.gross_sats == want.gross_sats);

	/* the discrepant list: every one, in createdAt order */
	size_t nd = 0;
	for (int i = 0; i < NGEN; i++)
		if (in_range(&gen[i], from, to) && strcmp(gen[i].status, "Charged") == 0 && is_disc(&gen[i]))
			nd++;
	CHECK(r->nlisted == nd);
	for (size_t i = 0; i < r->nlisted; i++) {
		int found = 0;
		for (int k = 0; k < NGEN; k++)
			if (str_eq(r->listed[i].receipt_id, gen[k].rid))
				found = is_disc(&gen[k]) && strcmp(gen[k].status, "Charged") == 0 &&
					in_range(&gen[k], from, to) &&
					str_eq(r->listed[i].created_at, gen[k].created);
		CHECKM(found, "listed %zu is not a discrepancy", i);
		if (i > 0)
			CHECK(cmp_str(r->listed[i - 1].created_at, r->listed[i].created_at) <= 0);
	}

	/* JSON lines: parse back, fields and sums as above */
	struct lar_buf b;
	lar_buf_init(&b, 0);
	lar_reconcile_write_json(&b, r);
	lar_buf_putc(&b, 0);
	CHECK(!b.oom);
	size_t lines = 0;
	char *save = NULL;
	for (char *line = strtok_r((char *)b.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(line);
		CHECKM(j != NULL && cJSON_IsObject(j), "not JSON: %.200s", line);
		if (j == NULL)
			continue;
		if (lines < r->nrows) {
			const struct lar_reconcile_row *w = &r->rows[lines];
			CHECK(cJSON_GetObjectItemCaseSensitive(j, "total") == NULL);
			CHECK((int64_t)cJSON_GetObjectItemCaseSensitive(j, "grossSats")->valuedouble ==
			      w->sums.gross_sats);
			CHECK((int64_t)cJSON_GetObjectItemCaseSensitive(j, "count")->valuedouble ==
			      w->sums.count);
			for (size_t f = 0; f < r->nby; f++) {
				static const char *const nm[] = { "day",       "month",   "toolId", "method",
								  "projectId", "agentId", "keyId" };
				CHECKM(cJSON_GetObjectItemCaseSensitive(j, nm[r->by[f]]) != NULL, "no %s",
				       nm[r->by[f]]);
			}
		} else {
			CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "total")));
			CHECK((int64_t)cJSON_GetObjectItemCaseSensitive(j, "netSats")->valuedouble ==
			      want.net_sats);
			CHECK((int64_t)cJSON_GetObjectItemCaseSensitive(j, "testReceipts")->valuedouble ==
			      test);
			CHECK((int64_t)cJSON_GetObjectItemCaseSensitive(j, "otherStatus")->valuedouble ==
			      other);
			CHECK((int64_t)cJSON_GetObjectItemCaseSensitive(j, "discrepancies")->valuedouble ==
			      want.discrepancies);
		}
		cJSON_Delete(j);
		lines++;
	}
	CHECK(lines == r->nrows + 1);

	/* text and CSV: they hold the totals */
	lar_buf_reset(&b);
	lar_reconcile_write_text(&b, r);
	lar_buf_putc(&b, 0);
	char want_total[64];
	snprintf(want_total, sizeof want_total, "%lld", (long long)want.gross_sats);
	CHECK(strstr((char *)b.p, "total") != NULL && strstr((char *)b.p, want_total) != NULL);
	CHECK(want.discrepancies == 0 || strstr((char *)b.p, "Discrepant receipts") != NULL);
	lar_buf_reset(&b);
	lar_reconcile_write_csv(&b, r);
	lar_buf_putc(&b, 0);
	char want_row[128];
	snprintf(want_row, sizeof want_row, ",%lld,%lld,%lld,%lld,%lld,%lld,%lld\r\n", (long long)want.count,
		 (long long)want.gross_sats, (long long)want.platform_fee_sats, (long long)want.net_sats,
		 (long long)want.discrepancies, (long long)test, (long long)other);
	CHECKM(strstr((char *)b.p, want_row) != NULL, "csv total row %s", want_row);
	CHECK(strncmp((char *)b.p, "row,", 4) == 0);
	lar_buf_free(&b);
	lar_reconcile_free(r);
}

static void test_reconcile(void)
{
	generate();
	struct lar_ledger *l = new_ledger("reconcile.db");
	store(l, gen, NGEN);
	check_reconcile(l, NULL, NULL, NULL);
	check_reconcile(l, "day,tool", "2026-02-28", "2026-03-01");
	check_reconcile(l, "tool,day", "2026-03-01", NULL);
	check_reconcile(l, "month", NULL, "2026-02-28");
	check_reconcile(l, "project,agent", NULL, NULL);
	check_reconcile(l, "key,method,project", "2026-02-27", "2026-02-27");
	check_reconcile(l, "agent,key,method,project,tool,month,day", NULL, NULL);
	check_reconcile(l, "day", "2027-01-01", NULL); /* nothing in range */

	/* the list is capped, the count is not */
	struct lar_reconcile_opts o;
	struct lar_reconcile *r = NULL;
	struct lar_err e = { 0 };
	memset(&o, 0, sizeof o);
	o.max_listed = 2;
	CHECK(lar_report_reconcile(l, &o, &r, &e) == LAR_OK);
	if (r != NULL) {
		CHECK(r->nlisted == 2 && r->total.discrepancies > 2);
		struct lar_buf b;
		lar_buf_init(&b, 0);
		lar_reconcile_write_text(&b, r);
		lar_buf_putc(&b, 0);
		CHECK(strstr((char *)b.p, "more (la-receipt export") != NULL);
		lar_buf_free(&b);
		lar_reconcile_free(r);
	}

	/* bad input */
	static const char *const bad[] = { "", "day,", "day,day", "tool,Day", "week", "day,,tool" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&o, 0, sizeof o);
		CHECKM(lar_reconcile_parse_by(&o, bad[i], &e) == LAR_E_INVAL, "accepted --by '%s'", bad[i]);
	}
	memset(&o, 0, sizeof o);
	o.range.from = "2026-02-30";
	r = NULL;
	CHECK(lar_report_reconcile(l, &o, &r, &e) == LAR_E_INVAL && r == NULL);
	lar_ledger_close(l);
}

/* ---- dupes ---- */

static struct rec mk(const char *rid, const char *created, const char *status, const char *tool,
		     const char *project, const char *key, int64_t gross, const char *payload)
{
	struct rec r;
	memset(&r, 0, sizeof r);
	snprintf(r.rid, sizeof r.rid, "%s", rid);
	snprintf(r.created, sizeof r.created, "%s", created);
	memcpy(r.day, created, 10);
	r.status = status;
	r.tool = tool;
	r.slug = "slug";
	r.method = "m";
	r.project = project;
	r.key = key;
	r.gross = gross;
	r.fee = gross / 20;
	r.net = gross - r.fee;
	if (strcmp(status, "Test") == 0)
		r.flags = 1u << LAR_R_TEST_RECEIPT;
	if (payload != NULL)
		snprintf(r.payload, sizeof r.payload, "%s", payload);
	return r;
}

#define T1 "11111111-1111-4111-8111-111111111111"
#define T2 "22222222-2222-4222-8222-222222222222"
#define P1 "aaaaaaaa-0000-4000-8000-000000000001"
#define P2 "aaaaaaaa-0000-4000-8000-000000000002"

static void test_dupes(void)
{
	struct lar_ledger *l = new_ledger("dupes.db");
	struct rec rs[] = {
		/* double charge: T1/P1/K1 three times, stored out of createdAt order */
		mk("r_k1_b", "2026-01-02T00:00:00.0000000Z", "Charged", T1, P1, "K1", 20, NULL),
		mk("r_k1_a", "2026-01-01T00:00:00.0000000Z", "Charged", T1, P1, "K1", 10, NULL),
		mk("r_k1_c", "2026-01-03T00:00:00.0000000Z", "Charged", T1, P1, "K1", 30, NULL),
		/* double charge with null paying projects: the same project */
		mk("r_k2_a", "2026-01-01T00:00:00.0000000Z", "Charged", T1, NULL, "K2", 7, NULL),
		mk("r_k2_b", "2026-01-01T00:00:00.0000000Z", "Charged", T1, NULL, "K2", 7, NULL),
		/* near misses */
		mk("r_k3_p1", "2026-01-01T00:00:00.0000000Z", "Charged", T1, P1, "K3", 5, NULL),
		mk("r_k3_p2", "2026-01-01T00:00:00.0000000Z", "Charged", T1, P2, "K3", 5, NULL),
		mk("r_k3_null", "2026-01-01T00:00:00.0000000Z", "Charged", T1, NULL, "K3", 5, NULL),
		mk("r_k1_t2", "2026-01-05T00:00:00.0000000Z", "Charged", T2, P1, "K1", 5, NULL),
		mk("r_k4_c", "2026-01-01T00:00:00.0000000Z", "Charged", T1, P1, "K4", 5, NULL),
		mk("r_k4_t", "2026-01-01T00:00:00.0000000Z", "Test", T1, P1, "K4", 5, NULL),
		mk("r_nokey_1", "2026-01-01T00:00:00.0000000Z", "Charged", T1, P1, NULL, 5, NULL),
		mk("r_nokey_2", "2026-01-01T00:00:00.0000000Z", "Charged", T1, P1, NULL, 5, NULL),
		/* conflicts: same receiptId, other payloads */
		mk("r_conf_same", "2026-01-01T00:00:00.0000000Z", "Charged", T2, P2, NULL, 50, "payload-1"),
		mk("r_conf_same", "2026-01-01T00:00:00.0000000Z", "Charged", T2, P2, NULL, 50, "payload-2"),
		mk("r_conf_diff", "2026-01-01T00:00:00.0000000Z", "Charged", T2, P2, NULL, 50, "payload-3"),
		mk("r_conf_diff", "2026-01-01T00:00:00.0000000Z", "Charged", T2, P2, NULL, 50, "payload-4"),
		mk("r_conf_diff", "2026-01-01T00:00:00.0000000Z", "Charged", T2, P2, NULL, 99, "payload-5"),
		mk("r_conf_diff", "2026-01-01T00:00:00.0000000Z", "Charged", T2, P2, NULL, 99, "payload-5"),
	};
	store(l, rs, sizeof rs / sizeof rs[0]);

	struct lar_dupes *d = NULL;
	struct lar_err e = { 0 };
	CHECKM(lar_report_dupes(l, &d, &e) == LAR_OK, "%.200s", e.msg);
	if (d == NULL)
		return;
	CHECK(d->ncharges == 2);
	if (d->ncharges == 2) {
		/* ordered by tool, key, project: K1 before K2 */
		const struct lar_double_charge *a = &d->charges[0], *b = &d->charges[1];
		CHECK(str_eq(a->tool_id, T1) && str_eq(a->project_id, P1) &&
		      str_eq(a->idempotency_key, "K1"));
		CHECK(a->count == 3 && a->gross_sats == 60 && a->overcharge_sats == 50);
		CHECK(a->count == 3 && str_eq(a->receipt_ids[0], "r_k1_a") &&
		      str_eq(a->receipt_ids[1], "r_k1_b") && str_eq(a->receipt_ids[2], "r_k1_c"));
		CHECK(str_eq(b->idempotency_key, "K2") && b->project_id.p == NULL);
		CHECK(b->count == 2 && b->gross_sats == 14 && b->overcharge_sats == 7);
		/* equal createdAt: receiptId decides which is first */
		CHECK(b->count == 2 && str_eq(b->receipt_ids[0], "r_k2_a"));
	}
	CHECK(d->nconflicts == 2);
	if (d->nconflicts == 2) {
		CHECK(str_eq(d->conflicts[0].receipt_id, "r_conf_diff") && d->conflicts[0].count == 3 &&
		      d->conflicts[0].amounts_differ);
		CHECK(str_eq(d->conflicts[1].receipt_id, "r_conf_same") && d->conflicts[1].count == 2 &&
		      !d->conflicts[1].amounts_differ);
	}

	struct lar_buf b;
	lar_buf_init(&b, 0);
	lar_dupes_write_json(&b, d);
	lar_buf_putc(&b, 0);
	char *save = NULL;
	int n = 0;
	for (char *line = strtok_r((char *)b.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		cJSON *j = cJSON_Parse(line);
		CHECKM(j != NULL, "not JSON: %.200s", line);
		if (j == NULL)
			continue;
		const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "kind"));
		if (n == 0) {
			CHECK(kind && strcmp(kind, "double_charge") == 0);
			CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "receiptIds")) == 3);
			CHECK(cJSON_GetObjectItemCaseSensitive(j, "overchargeSats")->valuedouble == 50);
			CHECK(cJSON_GetObjectItemCaseSensitive(j, "grossSats")->valuedouble == 60);
		} else if (n == 1) {
			CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "payingProjectId")));
		} else if (n == 2) {
			CHECK(kind && strcmp(kind, "conflict") == 0);
			CHECK(cJSON_GetObjectItemCaseSensitive(j, "count")->valuedouble == 3);
			CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "amountsDiffer")));
		}
		cJSON_Delete(j);
	}
	CHECK(n == 4);
	lar_buf_reset(&b);
	lar_dupes_write_text(&b, d);
	lar_buf_putc(&b, 0);
	CHECK(strstr((char *)b.p, "r_k1_c") != NULL && strstr((char *)b.p, "differ") != NULL);
	lar_buf_free(&b);
	lar_dupes_free(d);

	/* an empty ledger: no findings */
	struct lar_ledger *empty = new_ledger("empty.db");
	CHECK(lar_report_dupes(empty, &d, &e) == LAR_OK && d != NULL && d->ncharges == 0 &&
	      d->nconflicts == 0);
	lar_buf_init(&b, 0);
	lar_dupes_write_json(&b, d);
	CHECK(b.len == 0);
	lar_buf_free(&b);
	lar_dupes_free(d);
	lar_ledger_close(empty);
	lar_ledger_close(l);
}

/* ---- export rows ---- */

struct rows {
	struct lar_export_jsonl x;
	struct lar_buf jsonl, csv;
};

static lar_status row_fn(void *ctx, const struct lar_ledger_receipt *r)
{
	struct rows *w = ctx;
	lar_export_csv_row(&w->csv, r);
	return lar_export_jsonl_row(&w->x, &w->jsonl, r, NULL);
}

static void test_export_rows(void)
{
	struct lar_ledger *l = new_ledger("export.db");
	struct rec rs[3];
	rs[0] = mk("mcp_receipt_1", "2026-01-01T10:00:00.0000000Z", "Charged", T1, P1, "=cmd|' /C calc'!A0",
		   10, NULL);
	rs[0].agent = "agent \"quoted\", with comma";
	rs[0].flags = (1u << LAR_R_FEE_MISMATCH) | (1u << LAR_R_NONCANONICAL_PAYLOAD);
	snprintf(rs[0].payload, sizeof rs[0].payload, "%s",
		 "{\n  \"receiptId\": \"mcp_receipt_1\",\n  \"grossSats\": 10,\n  \"futureMember\": {\"a\": [1, "
		 "\"caf\xc3\xa9\"]},\n  \"agentId\": \"line\\nbreak\"\n}\n");
	rs[1] = mk("mcp_receipt_0", "2026-01-01T09:00:00.0000000Z", "Charged", T1, NULL, NULL, -3, NULL);
	rs[1].net = 5;
	snprintf(rs[1].payload, sizeof rs[1].payload, "%s",
		 "{\"receiptId\":\"mcp_receipt_0\",\"flags\":\"payload member with a reserved name\"}");
	rs[2] = mk("mcp_receipt_2", "2026-01-02T09:00:00.0000000Z", "Charged", T1, NULL, NULL, 1, NULL);
	snprintf(rs[2].payload, sizeof rs[2].payload, "not JSON");
	store(l, rs, 2);

	struct rows w;
	struct lar_err e = { 0 };
	lar_export_jsonl_init(&w.x);
	lar_buf_init(&w.jsonl, 0);
	lar_buf_init(&w.csv, 0);
	lar_export_csv_header(&w.csv);
	CHECK(lar_ledger_export(l, NULL, row_fn, &w, &e) == LAR_OK);
	lar_buf_putc(&w.csv, 0);
	lar_buf_putc(&w.jsonl, 0);
	const char *want_csv =
		"created_at,receipt_id,revenue_event_id,status,tool_id,tool_slug,tool_name,tool_method,"
		"paying_project_id,agent_id,gross_sats,platform_fee_sats,net_sats,fee_basis_points,"
		"idempotency_key,"
		"request_id,key_id,flags\r\n"
		"2026-01-01T09:00:00.0000000Z,mcp_receipt_0,00000000-0000-0000-0000-000000000000,Charged," T1
		",slug,,m,,,-3,0,5,500,,,kid-a,\r\n"
		"2026-01-01T10:00:00.0000000Z,mcp_receipt_1,00000000-0000-0000-0000-000000000000,Charged," T1
		",slug,,m," P1 ",\"agent \"\"quoted\"\", with comma\",10,0,10,500,'=cmd|' /C calc'!A0,,kid-a,"
		"noncanonical_payload fee_mismatch\r\n";
	CHECK(strcmp((char *)w.csv.p, want_csv) == 0);
	if (strcmp((char *)w.csv.p, want_csv) != 0)
		fprintf(stderr, "csv:\n%s\nwant:\n%s\n", (char *)w.csv.p, want_csv);

	/* JSON Lines: one line per receipt, the payload's members, then ours */
	char *save = NULL;
	int n = 0;
	for (char *line = strtok_r((char *)w.jsonl.p, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		cJSON *j = cJSON_Parse(line);
		CHECKM(j != NULL, "not JSON: %.300s", line);
		if (j == NULL)
			continue;
		CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "keyId")), "kid-a") ==
		      0);
		CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "keyFingerprint")),
			     "aaaaaaaaaaaaaaaa") == 0);
		cJSON *flags = cJSON_GetObjectItemCaseSensitive(j, "flags");
		CHECK(cJSON_IsArray(flags));
		if (n == 0) {
			CHECK(cJSON_GetArraySize(flags) == 0);
			CHECK(strstr(line, "reserved name") == NULL);
		} else {
			CHECK(cJSON_GetArraySize(flags) == 2);
			CHECK(strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(flags, 1)), "fee_mismatch") ==
			      0);
			CHECK(cJSON_GetObjectItemCaseSensitive(j, "grossSats")->valuedouble == 10);
			CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "agentId")),
				     "line\nbreak") == 0);
			cJSON *fm = cJSON_GetObjectItemCaseSensitive(j, "futureMember");
			CHECK(fm != NULL &&
			      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(fm, "a")) == 2);
			CHECK(strncmp(line, "{\"receiptId\":\"mcp_receipt_1\",\"grossSats\":10,", 43) == 0);
		}
		cJSON_Delete(j);
	}
	CHECK(n == 2);

	/* a payload text that is not strict base64url is not stored (the
	 * ledger keeps the payload decoded: no text could give it back) */
	struct lar_verdict v;
	to_verdict(&rs[2], &v);
	v.payload_b64 = S("not*base64");
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK && lar_ledger_file_begin(l, "x", &e) == LAR_OK);
	CHECK(lar_ledger_add(l, &v, 1, NULL, &e) == LAR_E_INVAL);
	v.payload_b64 = S("bm90IEpTT05"); /* "not JSON" with a trailing bit set (SPEC §2.3) */
	CHECK(lar_ledger_add(l, &v, 1, NULL, &e) == LAR_E_INVAL);

	/* a damaged stored payload is an error, not garbage output */
	to_verdict(&rs[2], &v);
	CHECK(lar_ledger_add(l, &v, 1, NULL, &e) == LAR_OK);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK && lar_ledger_run_end(l, &e) == LAR_OK);
	struct lar_day_range day2 = { "2026-01-02", NULL };
	CHECK(lar_ledger_export(l, &day2, row_fn, &w, &e) == LAR_E_DB);

	lar_export_jsonl_free(&w.x);
	lar_buf_free(&w.jsonl);
	lar_buf_free(&w.csv);
	lar_ledger_close(l);
}

int main(void)
{
	const char *base = getenv("LAR_TMP");
	snprintf(dir, sizeof dir, "%s/test_report.XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_reconcile();
	test_dupes();
	test_export_rows();
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (tap_fail == 0 && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
