/*
 * ledger_store.c - what an import stores (ledger.h, SPEC §4.2): a receipt
 * once per receiptId, or its conflicting payload, or a reject; and, in the
 * same file transaction, what the reports and the next import read instead
 * of the receipts: the day sums, the receipts of double charges, and the
 * lookup keys in two levels with a Bloom filter of level 1
 * (schemas/ledger.sql explains each).
 *
 * Not for: opening, transactions or SQL statements themselves (ledger.c),
 * reading back (ledger_read.c).
 */
#include "ledger_int.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "b64url.h"
#include "mac.h"

/* The two summary tables (ledger_int.h, schemas/ledger.sql). */
static const struct sum_kind sum_fine = {
	ST_SUM_INSERT, ST_SUM_INSERT_MANY, 8,
	{ SF_DAY, SF_STATUS, SF_TOOL, SF_SLUG, SF_METHOD, SF_PROJECT, SF_AGENT, SF_KEY }, 1, 1,
};
static const struct sum_kind sum_tool = {
	ST_TOOL_SUM_UPSERT, ST_COUNT, 6, { SF_DAY, SF_STATUS, SF_TOOL, SF_SLUG, SF_METHOD, SF_KEY }, 0, 0,
};

/* summary_group's fields: sum_fine's after the day (schemas/ledger.sql) */
#define GROUP_FIELDS 7
static int str_same(struct lar_str a, struct lar_str b);

/* A summary_group key (schemas/ledger.sql): 64-bit FNV-1a of the fields
 * joined by LF, a NULL written '-', as a signed integer.  Not a SHA-256
 * as the lookup keys: a key only says where to look first (the fields are
 * compared, and another group's id probed past), and it is computed for
 * every receipt. */
static int64_t group_key(const struct lar_str *f)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 0; i < GROUP_FIELDS; i++) {
		const uint8_t *p = (const uint8_t *)(f[i].p ? f[i].p : "-");
		size_t n = f[i].p ? f[i].n : 1;
		if (i > 0)
			h = (h ^ '\n') * 0x100000001b3ull;
		for (size_t k = 0; k < n; k++)
			h = (h ^ p[k]) * 0x100000001b3ull;
	}
	return (int64_t)h;
}

static void keys_sort(struct keypair *v, struct keypair *tmp, size_t n);

/* 'YYYY-MM-DD' as the number YYYYMMDD (day_summary's ids, schemas/ledger.sql),
 * or -1 when it is not digits in that shape.  SPEC §1.3: createdAt starts
 * with its day in this shape. */
static int64_t day_number(const char *d)
{
	int64_t n = 0;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (d[i] != '-')
				return -1;
		} else if (d[i] >= '0' && d[i] <= '9') {
			n = n * 10 + (d[i] - '0');
		} else {
			return -1;
		}
	}
	return n;
}

void ledger_flags_text(uint32_t bits, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (int r = LAR_R_FIRST_FLAG; r < LAR_REASON_COUNT; r++) {
		if (!(bits & (1u << r)))
			continue;
		const char *name = lar_reason_name((enum lar_reason)r);
		int w = snprintf(out + n, cap - n, "%s%s", n ? " " : "", name ? name : "?");
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
}

/* Bind the ?1..?24 of ST_INSERT_RECEIPT: the receipt's columns (schema
 * version 5: the payload decoded, pay; what has no column is in it). */
static void bind_receipt(struct lar_ledger *l, sqlite3_stmt *s, const struct lar_verdict *v,
			 struct lar_str pay, uint64_t line)
{
	const struct lar_payload *p = &v->p;
	ledger_bind_str(s, 1, p->receipt_id);
	ledger_bind_str(s, 2, p->revenue_event_id);
	ledger_bind_str(s, 3, p->created_at);
	sqlite3_bind_int64(s, 4, p->created);
	ledger_bind_str(s, 5, p->status);
	ledger_bind_str(s, 6, p->mcp_tool_id);
	ledger_bind_str(s, 7, p->tool_slug);
	ledger_bind_str(s, 8, p->tool_name);
	ledger_bind_str(s, 9, p->tool_method_name);
	ledger_bind_str(s, 10, p->paying_project_id);
	ledger_bind_str(s, 11, p->agent_id);
	ledger_bind_str(s, 12, p->idempotency_key);
	ledger_bind_str(s, 13, p->request_id);
	sqlite3_bind_int64(s, 14, p->gross_sats);
	sqlite3_bind_int64(s, 15, p->platform_fee_sats);
	sqlite3_bind_int64(s, 16, p->net_sats);
	sqlite3_bind_int64(s, 17, p->fee_basis_points);
	sqlite3_bind_int64(s, 18, (int64_t)(v->reasons & ~((1u << LAR_R_FIRST_FLAG) - 1)));
	sqlite3_bind_blob64(s, 19, pay.p, pay.n, SQLITE_STATIC);
	ledger_bind_str(s, 20, v->signature);
	ledger_bind_str(s, 21, v->key_id);
	ledger_bind_cstr(s, 22, v->key->fingerprint_hex);
	sqlite3_bind_int64(s, 23, l->file_id);
	sqlite3_bind_int64(s, 24, ledger_clamp(line));
}

/* Bind the ?1..?16 of ST_INSERT_CONFLICT (a rare row: it keeps its verdict,
 * flags, source and run as columns). */
static void bind_conflict(struct lar_ledger *l, sqlite3_stmt *s, const struct lar_verdict *v,
			  struct lar_str pay, const char *flags, uint64_t line)
{
	const struct lar_payload *p = &v->p;
	ledger_bind_str(s, 1, p->receipt_id);
	ledger_bind_str(s, 2, p->created_at);
	ledger_bind_str(s, 3, p->status);
	sqlite3_bind_int64(s, 4, p->gross_sats);
	sqlite3_bind_int64(s, 5, p->platform_fee_sats);
	sqlite3_bind_int64(s, 6, p->net_sats);
	ledger_bind_cstr(s, 7, v->status == LAR_V_FLAG ? "flag" : "ok");
	sqlite3_bind_int64(s, 8, (int64_t)(v->reasons & ~((1u << LAR_R_FIRST_FLAG) - 1)));
	ledger_bind_cstr(s, 9, flags);
	sqlite3_bind_blob64(s, 10, pay.p, pay.n, SQLITE_STATIC);
	ledger_bind_str(s, 11, v->signature);
	ledger_bind_str(s, 12, v->key_id);
	ledger_bind_cstr(s, 13, v->key->fingerprint_hex);
	ledger_bind_cstr(s, 14, l->source);
	sqlite3_bind_int64(s, 15, ledger_clamp(line));
	sqlite3_bind_int64(s, 16, l->run_id);
}

/*
 * The signed payload decoded, as stored (schemas/ledger.sql, schema version
 * 5): the verifier's own decoding when the verdict carries it, else decoded
 * here into the handle's buffer (valid until the next call).  SPEC §2.3:
 * the text was strict base64url, so it is exactly the encoding of these
 * bytes.  LAR_OK; LAR_E_INVAL when the text is not strict base64url or the
 * given bytes are not its length; LAR_E_NOMEM.
 */
static lar_status payload_bytes(struct lar_ledger *l, const struct lar_verdict *v, struct lar_str *out,
				struct lar_err *e)
{
	size_t want = lar_b64url_declen(v->payload_b64.n), got = 0;
	if (want == SIZE_MAX)
		return lar_err_set(e, LAR_E_INVAL, "add: the payload is not base64url");
	if (v->payload_json != NULL) {
		if (v->payload_json_len != want)
			return lar_err_set(e, LAR_E_INVAL, "add: the decoded payload is not the payload's");
		*out = (struct lar_str){ (const char *)v->payload_json, want };
		return LAR_OK;
	}
	lar_buf_reset(&l->payload);
	if (lar_buf_reserve(&l->payload, want + 1) != 0)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	if (lar_b64url_decode(v->payload_b64.p, v->payload_b64.n, l->payload.p, &got) != LAR_OK || got != want)
		return lar_err_set(e, LAR_E_INVAL, "add: the payload is not strict base64url");
	*out = (struct lar_str){ (const char *)l->payload.p, got };
	return LAR_OK;
}

void ledger_sql_b64url_decode(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	size_t n = t ? (size_t)sqlite3_value_bytes(argv[0]) : 0, want = lar_b64url_declen(n), got = 0;
	(void)argc;
	if (t == NULL || want == SIZE_MAX) {
		sqlite3_result_null(ctx);
		return;
	}
	uint8_t *out = sqlite3_malloc64(want + 1);
	if (out == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (lar_b64url_decode(t, n, out, &got) != LAR_OK || got != want) {
		sqlite3_free(out);
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_blob64(ctx, out, got, sqlite3_free);
}

/* A hash of the in-memory summary tables only (nothing stored): eight
 * bytes a step, each folded in with a multiply and a shift. */
static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t hash_step(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t w;
	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h = mix(h, w);
	}
	w = 0;
	memcpy(&w, b, n);
	return mix(h, w ^ (uint64_t)n << 56);
}

/* The seed of the summary tables' hash: one per process, drawn when first
 * needed, so that no input can be made to put its groups in one chain, and
 * the same on every thread, so that lar_ledger_keys() can hash a receipt's
 * groups on the thread that verified it. */
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;
static uint64_t group_seed;

static void seed_init(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	group_seed = mix(mix((uint64_t)(uintptr_t)&ts, (uint64_t)ts.tv_nsec),
			 (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 32);
}

/* The group of a receipt in the summary table of kind: its fields' values
 * out of all[] (every sum_field's value), and their hash. */
static uint64_t group_of(const struct sum_kind *kind, const struct lar_str *all, struct lar_str *f)
{
	uint64_t h;
	pthread_once(&seed_once, seed_init);
	h = group_seed;
	for (size_t i = 0; i < kind->nfields; i++) {
		f[i] = all[kind->fields[i]];
		/* the length (or a null mark) keeps ("ab","c") apart from ("a","bc") */
		h = mix(h, f[i].p ? (uint64_t)f[i].n : UINT64_MAX);
		if (f[i].p)
			h = hash_step(h, f[i].p, f[i].n);
	}
	return h;
}

/* Every sum_field's value of an authentic verdict; day is its createdAt's
 * first ten characters. */
static void group_fields(const struct lar_verdict *v, const char *day, struct lar_str *all)
{
	const struct lar_payload *p = &v->p;
	all[SF_DAY] = (struct lar_str){ day, 10 };
	all[SF_STATUS] = p->status;
	all[SF_TOOL] = p->mcp_tool_id;
	all[SF_SLUG] = p->tool_slug;
	all[SF_METHOD] = p->tool_method_name;
	all[SF_PROJECT] = p->paying_project_id;
	all[SF_AGENT] = p->agent_id;
	all[SF_KEY] = v->key_id;
}

static void sum_init(struct sumtab *t, const struct sum_kind *kind)
{
	memset(t, 0, sizeof *t);
	t->kind = kind;
	lar_arena_init(&t->arena, 0);
}

static void sum_clear(struct sumtab *t)
{
	size_t mask = SUM_SLOTS - 1;
	if (t->slots != NULL && t->ngroups >= SUM_SLOTS / 64) {
		memset(t->slots, 0, SUM_SLOTS * sizeof *t->slots);
	} else if (t->slots != NULL) {
		/* a file of few groups (each file clears the table): only their
		 * slots, each found from its hash (every one of them is there) */
		for (size_t g = 0; g < t->ngroups; g++) {
			size_t i = (size_t)t->groups[g].hash & mask;
			while ((uint32_t)t->slots[i] != g + 1)
				i = (i + 1) & mask;
			t->slots[i] = 0;
		}
	}
	t->ngroups = 0;
	t->bytes = 0;
	lar_arena_reset(&t->arena);
}

static void sum_free(struct sumtab *t)
{
	free(t->groups);
	free(t->slots);
	lar_arena_free(&t->arena);
}

/* Bind group g's fields and sums to the nf + 5 parameters from first. */
static void bind_group(sqlite3_stmt *s, int first, size_t nf, const struct sgroup *g)
{
	for (size_t f = 0; f < nf; f++)
		ledger_bind_str(s, first + (int)f, g->f[f]);
	first += (int)nf;
	sqlite3_bind_int64(s, first, g->s.count);
	sqlite3_bind_int64(s, first + 1, g->s.gross_sats);
	sqlite3_bind_int64(s, first + 2, g->s.platform_fee_sats);
	sqlite3_bind_int64(s, first + 3, g->s.net_sats);
	sqlite3_bind_int64(s, first + 4, g->s.discrepancies);
}

/*
 * The ids of a day_ids kind's groups (schemas/ledger.sql: the day's digits
 * * 2^32 + its row), and the order to write them in: by day, each day's
 * groups numbered on from the day's last stored row, so that the rows of a
 * day go to the end of its range one after another.  ord[i].receipt is the
 * index of the i-th group to write, ord[i].key its id.
 */
static lar_status day_ids(struct lar_ledger *l, struct sumtab *t, struct keypair *ord, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;
	for (size_t i = 0; i < t->ngroups; i++) {
		int64_t day = t->groups[i].f[0].n == 10 ? day_number(t->groups[i].f[0].p) : -1;
		if (day < 0) /* lar_ledger_add lets no such day in */
			return lar_err_set(e, LAR_E_INVAL, "update summary: a day that is not YYYY-MM-DD");
		ord[i] = (struct keypair){ day, (int64_t)i };
	}
	keys_sort(ord, ord + t->ngroups, t->ngroups); /* stable: first counted first */
	if ((st = ledger_stmt(l, ST_SUM_LAST_ID, &s, e)) != LAR_OK)
		return st;
	int64_t day = -1, next = 0;
	for (size_t i = 0; i < t->ngroups; i++) {
		if (ord[i].key != day) {
			day = ord[i].key;
			int64_t lo = day << 32, last = lo;
			sqlite3_bind_int64(s, 1, (day + 1) << 32);
			int rc = sqlite3_step(s);
			if (rc == SQLITE_ROW && sqlite3_column_int64(s, 0) > lo)
				last = sqlite3_column_int64(s, 0);
			next = last + 1;
			sqlite3_reset(s);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return ledger_fail(l, e, rc, "update summary");
		}
		ord[i].key = next++;
	}
	return LAR_OK;
}

/* Bind the k-th group to write to the parameters from `at`: with ord (a
 * day_ids kind, see day_ids()), its id, then the group ord[k] names. */
static void bind_row(sqlite3_stmt *s, int at, const struct sumtab *t, const struct keypair *ord, size_t k)
{
	const struct sgroup *g = &t->groups[k];
	if (ord != NULL) {
		sqlite3_bind_int64(s, at++, ord[k].key);
		g = &t->groups[ord[k].receipt];
	}
	if (t->kind->grouped) {
		/* the summary_group, then the sums */
		sqlite3_bind_int64(s, at++, g->gid);
		bind_group(s, at, 0, g);
		return;
	}
	bind_group(s, at, t->kind->nfields, g);
}

/*
 * summary_group ids (schemas/ledger.sql): a group's row is at its key, or
 * after it when other fields hold that id; the fields are compared before
 * an id is used.  At a flush every group of the table is given its id; a
 * table of the keys seen in that flush (open addressing, a power of two
 * at least twice the groups) spares the lookups of a group met on several
 * days.
 */
struct gseen {
	int64_t key, id;
	const struct lar_str *f; /* GROUP_FIELDS fields, in the sum table's arena */
};

static int fields_same(const struct lar_str *a, const struct lar_str *b)
{
	for (int i = 0; i < GROUP_FIELDS; i++)
		if (!str_same(a[i], b[i]))
			return 0;
	return 1;
}

/* The id of the summary_group of fields f (key: their lookup key), added
 * when no row holds them. */
static lar_status group_find(struct lar_ledger *l, const struct lar_str *f, int64_t key, int64_t *out,
			     struct lar_err *e)
{
	sqlite3_stmt *g = NULL, *put = NULL;
	lar_status st;
	if ((st = ledger_stmt(l, ST_GROUP_GET, &g, e)) != LAR_OK ||
	    (st = ledger_stmt(l, ST_GROUP_PUT, &put, e)) != LAR_OK)
		return st;
	for (uint64_t id = (uint64_t)key;; id++) {
		sqlite3_bind_int64(g, 1, (int64_t)id);
		int rc = sqlite3_step(g), same = 0;
		if (rc == SQLITE_ROW) {
			same = 1;
			for (int i = 0; i < GROUP_FIELDS && same; i++)
				same = str_same(ledger_col_str(g, i), f[i]);
		}
		sqlite3_reset(g);
		if (rc == SQLITE_ROW && !same)
			continue; /* another group's: probe on */
		if (rc == SQLITE_ROW) {
			*out = (int64_t)id;
			return LAR_OK;
		}
		if (rc != SQLITE_DONE)
			return ledger_fail(l, e, rc, "update summary");
		sqlite3_bind_int64(put, 1, (int64_t)id);
		for (int i = 0; i < GROUP_FIELDS; i++)
			ledger_bind_str(put, 2 + i, f[i]);
		rc = sqlite3_step(put);
		sqlite3_reset(put);
		if (rc != SQLITE_DONE)
			return ledger_fail(l, e, rc, "update summary");
		*out = (int64_t)id;
		return LAR_OK;
	}
}

/* Give every group of t (a grouped kind) its summary_group id. */
static lar_status group_ids(struct lar_ledger *l, struct sumtab *t, struct lar_err *e)
{
	size_t cap = 16;
	while (cap < 2 * t->ngroups)
		cap *= 2;
	struct gseen *seen = calloc(cap, sizeof *seen);
	lar_status st = LAR_OK;
	if (seen == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	for (size_t k = 0; k < t->ngroups && st == LAR_OK; k++) {
		struct sgroup *g = &t->groups[k];
		const struct lar_str *f = g->f + 1;
		size_t i = (size_t)mix(0, (uint64_t)g->gkey) & (cap - 1);
		for (; seen[i].f != NULL; i = (i + 1) & (cap - 1))
			if (seen[i].key == g->gkey && fields_same(seen[i].f, f))
				break;
		if (seen[i].f == NULL) {
			st = group_find(l, f, g->gkey, &seen[i].id, e);
			seen[i].key = g->gkey;
			seen[i].f = f;
		}
		g->gid = seen[i].id;
	}
	free(seen);
	return st;
}

void ledger_sql_group(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct lar_ledger *l = sqlite3_user_data(ctx);
	struct lar_str f[GROUP_FIELDS];
	int64_t key = 0, id = 0;
	struct lar_err e = { 0 };
	for (int i = 0; i < GROUP_FIELDS && i < argc; i++) {
		f[i].p = (const char *)sqlite3_value_text(argv[i]);
		f[i].n = f[i].p ? (size_t)sqlite3_value_bytes(argv[i]) : 0;
	}
	if (argc == GROUP_FIELDS)
		key = group_key(f);
	if (argc != GROUP_FIELDS || group_find(l, f, key, &id, &e) != LAR_OK) {
		sqlite3_result_error(ctx, e.msg[0] ? e.msg : "cannot find a summary group", -1);
		return;
	}
	sqlite3_result_int64(ctx, id);
}

/* Write every held group to its table (in the open transaction): a
 * statement per SUMS_PER_STMT groups where the kind has one, as a
 * statement per row cost as much as the row. */
static lar_status sum_flush(struct lar_ledger *l, struct sumtab *t, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st = LAR_OK;
	size_t n = t->ngroups, i = 0;
	/* parameters a row */
	int np = (t->kind->grouped ? 1 : (int)t->kind->nfields) + 5 + t->kind->day_ids;
	struct keypair *ord = NULL;
	if (n == 0)
		return LAR_OK;
	if (t->kind->grouped && (st = group_ids(l, t, e)) != LAR_OK)
		return st;
	if (t->kind->day_ids) {
		if ((ord = malloc(2 * n * sizeof *ord)) == NULL)
			return lar_err_set(e, LAR_E_NOMEM, "out of memory");
		if ((st = day_ids(l, t, ord, e)) != LAR_OK)
			goto out;
	}
	if (t->kind->flush_many != ST_COUNT && n >= SUMS_PER_STMT) {
		if ((st = ledger_stmt(l, t->kind->flush_many, &s, e)) != LAR_OK)
			goto out;
		for (; n - i >= SUMS_PER_STMT; i += SUMS_PER_STMT) {
			for (int r = 0; r < SUMS_PER_STMT; r++)
				bind_row(s, r * np + 1, t, ord, i + (size_t)r);
			if ((st = ledger_run(l, t->kind->flush_many, "update summary", e)) != LAR_OK)
				goto out;
		}
	}
	if ((st = ledger_stmt(l, t->kind->flush, &s, e)) != LAR_OK)
		goto out;
	for (; i < n; i++) {
		bind_row(s, 1, t, ord, i);
		if ((st = ledger_run(l, t->kind->flush, "update summary", e)) != LAR_OK)
			goto out;
	}
	sum_clear(t);
out:
	free(ord);
	return st;
}

static int str_same(struct lar_str a, struct lar_str b)
{
	if (a.p == NULL || b.p == NULL)
		return a.p == b.p;
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* Count a newly stored receipt in its group of t.  all[] holds every
 * sum_field's value for the receipt, h the group's hash (group_of()). */
static lar_status sum_add(struct lar_ledger *l, struct sumtab *t, const struct lar_str *all, uint64_t h,
			  int64_t gkey, const struct lar_verdict *v, struct lar_err *e)
{
	const struct lar_payload *p = &v->p;
	size_t nf = t->kind->nfields;
	struct lar_str f[SUM_MAX_FIELDS];
	for (size_t i = 0; i < nf; i++)
		f[i] = all[t->kind->fields[i]];
	if (t->groups == NULL && (t->groups = malloc(SUM_MAX_GROUPS * sizeof *t->groups)) == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	if (t->slots == NULL && (t->slots = calloc(SUM_SLOTS, sizeof *t->slots)) == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	size_t mask = SUM_SLOTS - 1, i = (size_t)h & mask;
	struct sgroup *g = NULL;
	for (; t->slots[i] != 0; i = (i + 1) & mask) {
		/* the slot's tag rules out most other groups without reading them */
		if (t->slots[i] >> 32 != h >> 32)
			continue;
		struct sgroup *c = &t->groups[(uint32_t)t->slots[i] - 1];
		int same = c->hash == h;
		for (size_t k = 0; same && k < nf; k++)
			same = str_same(c->f[k], f[k]);
		if (same) {
			g = c;
			break;
		}
	}
	if (g == NULL) {
		size_t need = 0;
		for (size_t k = 0; k < nf; k++)
			need += f[k].p ? f[k].n + 1 : 0;
		if (t->ngroups == SUM_MAX_GROUPS || (t->ngroups > 0 && t->bytes + need > SUM_MAX_BYTES)) {
			lar_status st = sum_flush(l, t, e);
			if (st != LAR_OK)
				return st;
			return sum_add(l, t, all, h, gkey, v, e);
		}
		g = &t->groups[t->ngroups];
		memset(g, 0, sizeof *g);
		g->hash = h;
		g->gkey = gkey;
		for (size_t k = 0; k < nf; k++) {
			g->f[k].n = f[k].n;
			if (f[k].p == NULL)
				continue;
			char *c = lar_arena_alloc(&t->arena, f[k].n + 1);
			if (c == NULL)
				return lar_err_set(e, LAR_E_NOMEM, "out of memory");
			memcpy(c, f[k].p, f[k].n);
			g->f[k].p = c;
		}
		t->slots[i] = (h >> 32 << 32) | (uint32_t)++t->ngroups;
		t->bytes += need;
	}
	g->s.count++;
	g->s.gross_sats += p->gross_sats;
	g->s.platform_fee_sats += p->platform_fee_sats;
	g->s.net_sats += p->net_sats;
	if (v->reasons & DISCREPANCY_BITS)
		g->s.discrepancies++;
	return LAR_OK;
}

static int str_ok(struct lar_str s)
{
	return s.p != NULL && s.n <= INT_MAX;
}

/* A lookup key (schemas/ledger.sql): the first 8 bytes of SHA-256 of the
 * parts joined by LF, big-endian, as a signed integer.  A NULL part is
 * written as '-', which no guid is. */
static lar_status lookup_key(const struct lar_str *parts, size_t n, int64_t *out, struct lar_err *e)
{
	uint8_t small[512], md[32];
	uint8_t *buf = small;
	size_t len = 0;
	small[0] = 0;
	for (size_t i = 0; i < n; i++)
		len += (parts[i].p ? parts[i].n : 1) + 1;
	if (len > sizeof small && (buf = malloc(len)) == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	len = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf[len++] = '\n';
		if (parts[i].p == NULL)
			buf[len++] = '-';
		else if (parts[i].n > 0) {
			memcpy(buf + len, parts[i].p, parts[i].n);
			len += parts[i].n;
		}
	}
	lar_status st = lar_sha256(buf, len, md);
	if (buf != small)
		free(buf);
	if (st != LAR_OK)
		return lar_err_set(e, st, "cannot compute a lookup key");
	uint64_t k = 0;
	for (int i = 0; i < 8; i++)
		k = k << 8 | md[i];
	*out = (int64_t)k;
	return LAR_OK;
}

static lar_status receipt_key(struct lar_str receipt_id, int64_t *out, struct lar_err *e)
{
	return lookup_key(&receipt_id, 1, out, e);
}

static lar_status charge_key(struct lar_str tool, struct lar_str project, struct lar_str idempotency_key,
			     int64_t *out, struct lar_err *e)
{
	struct lar_str parts[3] = { tool, project, idempotency_key };
	return lookup_key(parts, 3, out, e);
}

/* The same keys as SQL functions, for the migration and the conflict
 * query: lar_receipt_key(receipt_id), lar_charge_key(tool, project, key). */
void ledger_sql_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct lar_str parts[3];
	int64_t k = 0;
	size_t n = argc < 3 ? (size_t)argc : 3; /* registered with 1 or 3 arguments */
	for (size_t i = 0; i < n; i++) {
		parts[i].p = (const char *)sqlite3_value_text(argv[i]);
		parts[i].n = parts[i].p ? (size_t)sqlite3_value_bytes(argv[i]) : 0;
	}
	if (lookup_key(parts, n, &k, NULL) != LAR_OK) {
		sqlite3_result_error(ctx, "cannot compute a lookup key", -1);
		return;
	}
	sqlite3_result_int64(ctx, k);
}

/* ---- Bloom filters of level 1 (key_filter in schemas/ledger.sql) ---- */

#define FILTER_PROBES 6
#define FILTER_BITS_PER_KEY 12    /* when built: about 0.5% false positives */
#define FILTER_MIN_BITS_PER_KEY 8 /* fewer, after merges added keys: built again */

static const char *const key_tables[2] = { "receipt_key", "charge_key" };
/* the key_filter names of their level-0 filters (schema version 3) */
static const char *const level0_names[2] = { "receipt_key level 0", "charge_key level 0" };

static uint64_t splitmix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Bit `probe` (1..FILTER_PROBES) of key in a filter of nbits bits. */
static uint64_t filter_bit(int64_t key, int probe, uint64_t nbits)
{
	uint64_t x = splitmix64((uint64_t)key + (uint64_t)probe * 0x9e3779b97f4a7c15ull);
	return (uint64_t)(((unsigned __int128)x * nbits) >> 64);
}

static void filter_set(struct keyfilter *f, int64_t key)
{
	for (int i = 1; i <= FILTER_PROBES; i++) {
		uint64_t b = filter_bit(key, i, f->nbits);
		f->bits[b >> 3] |= (uint8_t)(1u << (b & 7));
	}
}

/* 0 when key is certainly not at level 1; 1 when it may be. */
static int filter_maybe(const struct keyfilter *f, int64_t key)
{
	if (f->nbits == 0)
		return !f->empty;
	for (int i = 1; i <= FILTER_PROBES; i++) {
		uint64_t b = filter_bit(key, i, f->nbits);
		if (!(f->bits[b >> 3] & (1u << (b & 7))))
			return 0;
	}
	return 1;
}

static void filter_drop(struct keyfilter *f)
{
	free(f->bits);
	f->bits = NULL;
	f->nbits = 0;
	f->empty = 0;
	f->keys = -1;
}

/* Read the key_filter row `name` into f; *found says whether there was one
 * (f is then dropped).  With `same_ok`, skipped when f already holds the
 * row's version, which only level 1's rows can tell: their `keys` only
 * grows, with every merge. */
static lar_status filter_load(struct lar_ledger *l, const char *name, int same_ok, struct keyfilter *f,
			      int *found, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	sqlite3_blob *blob = NULL;
	lar_status st;
	*found = 0;
	if ((st = ledger_stmt(l, ST_FILTER_GET, &s, e)) != LAR_OK)
		return st;
	ledger_bind_cstr(s, 1, name);
	int rc = sqlite3_step(s);
	int64_t rowid = 0, keys = 0, len = 0;
	if (rc == SQLITE_ROW) {
		rowid = sqlite3_column_int64(s, 0);
		keys = sqlite3_column_int64(s, 1);
		len = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ledger_fail(l, e, rc, "read key filter");
	if (rc == SQLITE_DONE || len <= 0) {
		filter_drop(f);
		return LAR_OK;
	}
	*found = 1;
	if (same_ok && f->bits != NULL && f->keys == keys && f->nbits == (uint64_t)len * 8)
		return LAR_OK;
	filter_drop(f);
	if ((uint64_t)len > SIZE_MAX || (f->bits = malloc((size_t)len)) == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	rc = sqlite3_blob_open(l->db, "main", "key_filter", "bits", rowid, 0, &blob);
	if (rc == SQLITE_OK)
		rc = sqlite3_blob_read(blob, f->bits, (int)len, 0);
	sqlite3_blob_close(blob);
	if (rc != SQLITE_OK) {
		filter_drop(f);
		return ledger_fail(l, e, rc, "read key filter");
	}
	f->nbits = (uint64_t)len * 8;
	f->keys = keys;
	return LAR_OK;
}

/* Read table t's level-1 filter row into f (LAR_OK with f->nbits == 0 when
 * there is none). */
static lar_status filter_read(struct lar_ledger *l, int t, struct keyfilter *f, struct lar_err *e)
{
	int found;
	lar_status st = filter_load(l, key_tables[t], 1, f, &found, e);
	if (st != LAR_OK || found)
		return st;
	/* no filter (a new ledger, before its first merge): level 1 is read for
	 * every key, unless it holds none, as in every new ledger */
	char sql[80];
	int64_t any;
	snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM %s WHERE level = 1)", key_tables[t]);
	if ((st = ledger_query_int(l, sql, &any, e)) != LAR_OK)
		return st;
	f->empty = !any;
	return LAR_OK;
}

/* Store f as the key_filter row `name`. */
static lar_status filter_put(struct lar_ledger *l, const char *name, const struct keyfilter *f,
			     struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;
	if ((st = ledger_stmt(l, ST_FILTER_PUT, &s, e)) != LAR_OK)
		return st;
	ledger_bind_cstr(s, 1, name);
	sqlite3_bind_int64(s, 2, f->keys);
	sqlite3_bind_blob64(s, 3, f->bits, f->nbits / 8, SQLITE_STATIC);
	return ledger_run(l, ST_FILTER_PUT, "write key filter", e);
}

static lar_status filter_write(struct lar_ledger *l, int t, struct lar_err *e)
{
	return filter_put(l, key_tables[t], &l->kf[t], e);
}

/* Every key of table t at `level`, through fn. */
static lar_status each_key(struct lar_ledger *l, int t, int level, void (*fn)(struct keyfilter *, int64_t),
			   struct keyfilter *f, struct lar_err *e)
{
	char sql[96];
	sqlite3_stmt *s = NULL;
	int rc;
	snprintf(sql, sizeof sql, "SELECT key FROM %s WHERE level = %d", key_tables[t], level);
	if ((rc = sqlite3_prepare_v2(l->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return ledger_fail(l, e, rc, "read keys");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(f, sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? LAR_OK : ledger_fail(l, e, rc, "read keys");
}

/* Make table t's filter anew from its level 1 (keys of them) and store it. */
static lar_status filter_build(struct lar_ledger *l, int t, int64_t keys, struct lar_err *e)
{
	struct keyfilter *f = &l->kf[t];
	lar_status st;
	filter_drop(f);
	uint64_t nbits = ((uint64_t)(keys > 0 ? keys : 1) * FILTER_BITS_PER_KEY + 63) / 64 * 64;
	if (nbits / 8 > SIZE_MAX || (f->bits = calloc(1, (size_t)(nbits / 8))) == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	f->nbits = nbits;
	f->keys = keys;
	if ((st = each_key(l, t, 1, filter_set, f, e)) != LAR_OK || (st = filter_write(l, t, e)) != LAR_OK) {
		filter_drop(f);
		return st;
	}
	return LAR_OK;
}

static void filter_set_count(struct keyfilter *f, int64_t key)
{
	filter_set(f, key);
	f->keys++;
}

static void count_key(struct keyfilter *f, int64_t key)
{
	(void)key;
	f->keys++;
}

static void check_key(struct keyfilter *f, int64_t key)
{
	/* counts the keys the filter rules out: there must be none */
	if (!filter_maybe(f, key))
		f->keys--;
}

/* ---- level-0 keys held until commit (struct keybuf, ledger_int.h) ---- */

static const enum stmt_id add_key_one[2] = { ST_ADD_RECEIPT_KEY, ST_ADD_CHARGE_KEY };
static const enum stmt_id add_key_many[2] = { ST_ADD_RECEIPT_KEYS, ST_ADD_CHARGE_KEYS };

/* The slot table's first size: room for 131,071 keys before it grows.
 * From 8,192 slots, a file of 100,000 receipts put its keys in again 131,000
 * times as the table doubled five times. */
#define KB_FIRST_SLOTS (1u << 18)

static size_t kb_slot(const struct keybuf *b, int64_t key)
{
	return (size_t)splitmix64((uint64_t)key) & (b->nslots - 1);
}

static void kb_clear(struct keybuf *b)
{
	if (b->slots != NULL && b->n >= b->nslots / 64) {
		memset(b->slots, 0, b->nslots * sizeof *b->slots);
	} else if (b->slots != NULL) {
		/* a file of few keys (each file clears the table, which starts at
		 * KB_FIRST_SLOTS): only the slots they fill.  A key's slot is in
		 * the run of used slots that starts at its home slot, and the first
		 * clear to reach any slot of that run goes on to its end: clearing
		 * each key's run from its home clears every used slot, whatever
		 * order keys_flush() sorted v into (the slots' indexes then no
		 * longer name their keys) */
		for (size_t k = 0; k < b->n; k++)
			for (size_t i = kb_slot(b, b->v[k].key); b->slots[i] != 0; i = (i + 1) & (b->nslots - 1))
				b->slots[i] = 0;
	}
	b->n = 0;
	b->sorted = 0;
}

static void kb_free(struct keybuf *b)
{
	free(b->v);
	free(b->slots);
	memset(b, 0, sizeof *b);
}

/* Hold (key, receipt); the caller keeps b->n below KEYBUF_MAX. */
static lar_status kb_add(struct keybuf *b, int64_t key, int64_t receipt, struct lar_err *e)
{
	if (b->n == b->cap) {
		size_t ncap = b->cap ? 2 * b->cap : 4096;
		struct keypair *nv = realloc(b->v, ncap * sizeof *nv);
		if (nv == NULL)
			return lar_err_set(e, LAR_E_NOMEM, "out of memory");
		b->v = nv;
		b->cap = ncap;
	}
	if (2 * (b->n + 1) > b->nslots) {
		/* load factor at most 1/2: grow and put every held key in again */
		size_t nslots = b->nslots ? 2 * b->nslots : KB_FIRST_SLOTS;
		uint32_t *ns = calloc(nslots, sizeof *ns);
		if (ns == NULL)
			return lar_err_set(e, LAR_E_NOMEM, "out of memory");
		free(b->slots);
		b->slots = ns;
		b->nslots = nslots;
		for (size_t k = 0; k < b->n; k++) {
			size_t i = kb_slot(b, b->v[k].key);
			while (b->slots[i] != 0)
				i = (i + 1) & (b->nslots - 1);
			b->slots[i] = (uint32_t)(k + 1);
		}
	}
	size_t i = kb_slot(b, key);
	while (b->slots[i] != 0)
		i = (i + 1) & (b->nslots - 1);
	b->v[b->n] = (struct keypair){ key, receipt };
	b->slots[i] = (uint32_t)++b->n;
	b->sorted = 0;
	return LAR_OK;
}

/* The held receipts under key, one a call: start with *pos = -1; returns 0
 * after the last. */
static int kb_next(const struct keybuf *b, int64_t key, size_t *pos, int64_t *receipt)
{
	if (b->n == 0)
		return 0;
	size_t i = *pos == (size_t)-1 ? kb_slot(b, key) : (*pos + 1) & (b->nslots - 1);
	for (; b->slots[i] != 0; i = (i + 1) & (b->nslots - 1)) {
		const struct keypair *kp = &b->v[b->slots[i] - 1];
		if (kp->key == key) {
			*pos = i;
			*receipt = kp->receipt;
			return 1;
		}
	}
	return 0;
}

/* Sort v[0..n) by key, as signed integers, keeping the order of equal keys
 * (receipts were added in increasing order, so this is (key, receipt)
 * order): a radix sort, a byte a pass, through tmp[0..n). */
static void keys_sort(struct keypair *v, struct keypair *tmp, size_t n)
{
	struct keypair *from = v, *to = tmp;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, at = 0;
		for (size_t i = 0; i < n; i++)
			count[((uint64_t)from[i].key ^ (1ull << 63)) >> shift & 255]++;
		for (int d = 0; d < 256; d++) {
			size_t c = count[d];
			count[d] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[((uint64_t)from[i].key ^ (1ull << 63)) >> shift & 255]++] = from[i];
		struct keypair *t = from;
		from = to;
		to = t;
	}
	/* eight passes: the sorted keys are back in v */
}

/* Sort the held keys of b by key (the slots then no longer name them:
 * only a clear may follow).  LAR_OK or LAR_E_NOMEM (b unchanged). */
static lar_status keys_sort_held(struct keybuf *b)
{
	struct keypair *tmp = malloc(b->n * sizeof *tmp);
	if (tmp == NULL)
		return LAR_E_NOMEM;
	keys_sort(b->v, tmp, b->n);
	free(tmp);
	b->sorted = 1;
	return LAR_OK;
}

/* Write the held keys of table t to its level 0, in key order (each
 * statement then adds its rows to a few neighbouring pages). */
static lar_status keys_flush(struct lar_ledger *l, int t, struct lar_err *e)
{
	struct keybuf *b = &l->pend[t];
	sqlite3_stmt *s = NULL;
	lar_status st;
	size_t k = 0;
	if (b->n == 0)
		return LAR_OK;
	if (!b->sorted && keys_sort_held(b) != LAR_OK)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	if (b->n >= KEYS_PER_STMT && (st = ledger_stmt(l, add_key_many[t], &s, e)) != LAR_OK)
		return st;
	for (; b->n - k >= KEYS_PER_STMT; k += KEYS_PER_STMT) {
		for (int r = 0; r < KEYS_PER_STMT; r++) {
			sqlite3_bind_int64(s, 2 * r + 1, b->v[k + (size_t)r].key);
			sqlite3_bind_int64(s, 2 * r + 2, b->v[k + (size_t)r].receipt);
		}
		if ((st = ledger_run(l, add_key_many[t], "store lookup keys", e)) != LAR_OK)
			return st;
	}
	if (k < b->n && (st = ledger_stmt(l, add_key_one[t], &s, e)) != LAR_OK)
		return st;
	for (; k < b->n; k++) {
		sqlite3_bind_int64(s, 1, b->v[k].key);
		sqlite3_bind_int64(s, 2, b->v[k].receipt);
		if ((st = ledger_run(l, add_key_one[t], "store lookup key", e)) != LAR_OK)
			return st;
	}
	kb_clear(b);
	return LAR_OK;
}

/* ---- receipt_order rows held until commit (struct orderbuf, ledger_int.h) ---- */

static void order_clear(struct orderbuf *b)
{
	b->n = 0;
	free(b->sorted);
	b->sorted = NULL;
	lar_arena_reset(&b->arena);
}

/* (day, ticks, receipt_id) order, the table's key (text as SQLite's BINARY). */
static int order_cmp(const void *a, const void *b)
{
	const struct orderrow *x = *(const struct orderrow *const *)a, *y = *(const struct orderrow *const *)b;
	int c = memcmp(x->day, y->day, sizeof x->day);
	if (c == 0 && x->ticks != y->ticks)
		c = x->ticks < y->ticks ? -1 : 1;
	if (c == 0 && (c = memcmp(x->id, y->id, x->id_len < y->id_len ? x->id_len : y->id_len)) == 0)
		c = (x->id_len > y->id_len) - (x->id_len < y->id_len);
	return c;
}

/* Bind row r to the four parameters from first. */
static void bind_order(sqlite3_stmt *s, int first, const struct orderrow *r)
{
	sqlite3_bind_text(s, first, r->day, sizeof r->day, SQLITE_STATIC);
	sqlite3_bind_int64(s, first + 1, r->ticks);
	sqlite3_bind_text64(s, first + 2, r->id, r->id_len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_int64(s, first + 3, r->receipt);
}

/* The held rows in key order, an array the caller frees: sorted by
 * createdAt's ticks (a radix sort, as for the keys), which is day order too
 * (the day is the ticks' UTC day, SPEC §1.3), then runs of equal ticks by
 * the whole key.  Were the day and ticks ever at odds, rows would only
 * arrive out of order: the table sorts them all the same.  NULL when out of
 * memory. */
static const struct orderrow **orders_sort(const struct orderbuf *b)
{
	size_t n = b->n;
	struct keypair *kp = malloc(2 * n * sizeof *kp);
	const struct orderrow **sorted = malloc(n * sizeof *sorted);
	if (kp == NULL || sorted == NULL) {
		free(kp);
		free(sorted);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		kp[i] = (struct keypair){ b->v[i].ticks, (int64_t)i };
	keys_sort(kp, kp + n, n);
	for (size_t i = 0; i < n; i++)
		sorted[i] = &b->v[kp[i].receipt];
	free(kp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && sorted[j]->ticks == sorted[i]->ticks; j++)
			;
		if (j - i > 1)
			qsort(sorted + i, j - i, sizeof *sorted, order_cmp);
	}
	return sorted;
}

/* Write the held rows to receipt_order in key order (orders_sort, or as
 * ledger_store_flush sorted them), so each statement adds its rows to a
 * few neighbouring pages. */
static lar_status orders_flush(struct lar_ledger *l, struct lar_err *e)
{
	struct orderbuf *b = &l->order;
	sqlite3_stmt *s = NULL;
	lar_status st = LAR_OK;
	size_t n = b->n, k = 0;
	if (n == 0)
		return LAR_OK;
	const struct orderrow **sorted = b->sorted != NULL ? b->sorted : orders_sort(b);
	b->sorted = NULL;
	if (sorted == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	if (n >= ORDERS_PER_STMT && (st = ledger_stmt(l, ST_ADD_ORDERS, &s, e)) != LAR_OK)
		goto out;
	for (; n - k >= ORDERS_PER_STMT; k += ORDERS_PER_STMT) {
		for (int r = 0; r < ORDERS_PER_STMT; r++)
			bind_order(s, 4 * r + 1, sorted[k + (size_t)r]);
		if ((st = ledger_run(l, ST_ADD_ORDERS, "store receipt order", e)) != LAR_OK)
			goto out;
	}
	if (k < n && (st = ledger_stmt(l, ST_ADD_ORDER, &s, e)) != LAR_OK)
		goto out;
	for (; k < n; k++) {
		bind_order(s, 1, sorted[k]);
		if ((st = ledger_run(l, ST_ADD_ORDER, "store receipt order", e)) != LAR_OK)
			goto out;
	}
	order_clear(b);
out:
	free(sorted);
	return st;
}

/* Hold receipt_order's row for receipt `id`: its day, createdAt in ticks and
 * receipt_id (copied). */
static lar_status order_add(struct lar_ledger *l, const char *day, int64_t ticks, struct lar_str receipt_id,
			    int64_t id, struct lar_err *e)
{
	struct orderbuf *b = &l->order;
	lar_status st;
	if (b->n >= ORDERBUF_MAX && (st = orders_flush(l, e)) != LAR_OK)
		return st;
	if (b->n == b->cap) {
		size_t ncap = b->cap ? 2 * b->cap : 4096;
		struct orderrow *nv = realloc(b->v, ncap * sizeof *nv);
		if (nv == NULL)
			return lar_err_set(e, LAR_E_NOMEM, "out of memory");
		b->v = nv;
		b->cap = ncap;
	}
	char *c = lar_arena_alloc(&b->arena, receipt_id.n ? receipt_id.n : 1);
	if (c == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	memcpy(c, receipt_id.p, receipt_id.n);
	struct orderrow *r = &b->v[b->n++];
	r->ticks = ticks;
	r->receipt = id;
	r->id = c;
	r->id_len = receipt_id.n;
	memcpy(r->day, day, sizeof r->day);
	return LAR_OK;
}

/* Level 0's filter of table t, built anew from level 0 (which this
 * connection sees with its own uncommitted keys), sized for twice as many
 * keys as it holds now and at least 256Ki (a file of 100k receipts then
 * never has it built again). */
static lar_status l0_build(struct lar_ledger *l, int t, struct lar_err *e)
{
	struct keyfilter *f = &l->l0[t], c = { .keys = 0 };
	lar_status st;
	filter_drop(f);
	/* the held keys are part of level 0 */
	if ((st = keys_flush(l, t, e)) != LAR_OK || (st = each_key(l, t, 0, count_key, &c, e)) != LAR_OK)
		return st;
	uint64_t cap = (uint64_t)(c.keys > 131072 ? c.keys : 131072) * 2;
	f->nbits = (cap * FILTER_BITS_PER_KEY + 63) / 64 * 64;
	if (f->nbits / 8 > SIZE_MAX || (f->bits = calloc(1, (size_t)(f->nbits / 8))) == NULL) {
		filter_drop(f);
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	}
	f->keys = 0;
	l->l0_dirty[t] = 1;
	return each_key(l, t, 0, filter_set_count, f, e);
}

/* Level 0's filter of table t as stored (schemas/ledger.sql), or built from
 * level 0 when there is no row. */
static lar_status l0_load(struct lar_ledger *l, int t, struct lar_err *e)
{
	int found;
	lar_status st = filter_load(l, level0_names[t], 0, &l->l0[t], &found, e);
	l->l0_dirty[t] = 0;
	if (st == LAR_OK && !found)
		st = l0_build(l, t, e);
	return st;
}

/* Add (key, receipt) to level 0 of table t (held until commit). */
static lar_status l0_add(struct lar_ledger *l, int t, int64_t key, int64_t receipt, struct lar_err *e)
{
	struct keyfilter *f = &l->l0[t];
	lar_status st;
	if (l->pend[t].n >= KEYBUF_MAX && (st = keys_flush(l, t, e)) != LAR_OK)
		return st;
	if ((st = kb_add(&l->pend[t], key, receipt, e)) != LAR_OK)
		return st;
	filter_set_count(f, key);
	l->l0_dirty[t] = 1;
	if ((uint64_t)f->keys * FILTER_MIN_BITS_PER_KEY > f->nbits)
		return l0_build(l, t, e); /* grown too full: a bigger one */
	return LAR_OK;
}

/*
 * The receipts stored under lookup key `key` of key table t (0 receipt_key,
 * 1 charge_key): the table's rows at both levels (statement f), then the
 * keys held in memory for level 0.  A level whose filter certainly lacks the
 * key is not searched.
 */
struct cands {
	sqlite3_stmt *f;
	const struct keybuf *held;
	int64_t key;
	int in0, in_table, rc;
	size_t pos;
};

/* 0 when no level can hold the key (no lookup at all), else 1 with c set. */
static int cands_start(struct lar_ledger *l, int t, sqlite3_stmt *f, int64_t key, struct cands *c)
{
	int in0 = filter_maybe(&l->l0[t], key), in1 = filter_maybe(&l->kf[t], key);
	if (!in0 && !in1)
		return 0;
	sqlite3_bind_int64(f, 1, key);
	sqlite3_bind_int64(f, 2, in1 ? 1 : -1);
	sqlite3_bind_int64(f, 3, in0 ? 0 : -1);
	*c = (struct cands){ f, &l->pend[t], key, in0, 1, SQLITE_DONE, (size_t)-1 };
	return 1;
}

/* The next candidate: 1 with *id set, 0 after the last, -1 on an SQLite
 * error (in c->rc). */
static int cands_next(struct cands *c, int64_t *id)
{
	if (c->in_table) {
		c->rc = sqlite3_step(c->f);
		if (c->rc == SQLITE_ROW) {
			*id = sqlite3_column_int64(c->f, 0);
			return 1;
		}
		if (c->rc != SQLITE_DONE)
			return -1;
		c->in_table = 0;
	}
	c->rc = SQLITE_DONE;
	return c->in0 && kb_next(c->held, c->key, &c->pos, id) ? 1 : 0;
}

/*
 * Is receiptId v->p.receipt_id stored?  Its candidates are the receipts
 * under its lookup key; a key shared by another receiptId yields a
 * candidate whose text does not match.  *stored, and *same when the stored
 * signed payload is v's (pay, decoded: the same bytes exactly when the
 * same strict base64url text).
 */
static lar_status find_receipt(struct lar_ledger *l, const struct lar_verdict *v, struct lar_str pay,
			       int64_t key, int *stored, int *same, struct lar_err *e)
{
	sqlite3_stmt *f = NULL, *m = NULL;
	lar_status st;
	*stored = *same = 0;
	if ((st = ledger_stmt(l, ST_FIND_RECEIPT_KEY, &f, e)) != LAR_OK ||
	    (st = ledger_stmt(l, ST_RECEIPT_PAYLOAD, &m, e)) != LAR_OK)
		return st;
	struct cands c;
	if (!cands_start(l, 0, f, key, &c))
		return LAR_OK; /* certainly new: no lookup */
	int64_t id = 0;
	int got = 0, rc = SQLITE_DONE;
	while (!*stored && (got = cands_next(&c, &id)) > 0) {
		sqlite3_bind_int64(m, 1, id);
		ledger_bind_str(m, 2, v->p.receipt_id);
		rc = sqlite3_step(m);
		if (rc == SQLITE_ROW) {
			struct lar_str have = ledger_col_blob(m, 0);
			*stored = 1;
			*same = have.p != NULL && have.n == pay.n && memcmp(have.p, pay.p, have.n) == 0;
			rc = SQLITE_DONE;
		}
		sqlite3_reset(m);
		sqlite3_clear_bindings(m);
		if (rc != SQLITE_DONE)
			break;
	}
	if (got < 0)
		rc = c.rc;
	sqlite3_reset(f);
	return rc == SQLITE_DONE ? LAR_OK : ledger_fail(l, e, rc, "read stored receipt");
}

/* A new Charged receipt with an idempotency key: the stored Charged
 * receipts that share its (tool, project, key) (SPEC §4 report dupes),
 * found under its lookup key and counted up to two (more do not change
 * what is stored, and stopping keeps a key charged many times cheap);
 * *first is the first found.  Called before the new one is stored. */
static lar_status find_charges(struct lar_ledger *l, const struct lar_payload *p, int64_t key, int64_t *first,
			       int *n, struct lar_err *e)
{
	sqlite3_stmt *f = NULL, *m = NULL;
	lar_status st;
	*n = 0;
	if ((st = ledger_stmt(l, ST_FIND_CHARGE_KEY, &f, e)) != LAR_OK ||
	    (st = ledger_stmt(l, ST_CHARGE_MATCH, &m, e)) != LAR_OK)
		return st;
	struct cands c;
	if (!cands_start(l, 1, f, key, &c))
		return LAR_OK; /* no earlier charge under this key */
	int64_t id = 0;
	int got = 0, rc = SQLITE_DONE;
	while (*n < 2 && (got = cands_next(&c, &id)) > 0) {
		sqlite3_bind_int64(m, 1, id);
		ledger_bind_str(m, 2, p->mcp_tool_id);
		ledger_bind_str(m, 3, p->paying_project_id);
		ledger_bind_str(m, 4, p->idempotency_key);
		rc = sqlite3_step(m);
		if (rc == SQLITE_ROW) {
			if (*n == 0)
				*first = id;
			++*n;
			rc = SQLITE_DONE;
		}
		sqlite3_reset(m);
		sqlite3_clear_bindings(m);
		if (rc != SQLITE_DONE)
			break;
	}
	if (got < 0)
		rc = c.rc;
	if (*n >= 2)
		rc = SQLITE_DONE;
	sqlite3_reset(f);
	return rc == SQLITE_DONE ? LAR_OK : ledger_fail(l, e, rc, "find charges");
}

/* Run a prepared statement with two integer parameters and no rows. */
static lar_status run_ints(struct lar_ledger *l, enum stmt_id id, int64_t a, int64_t b, const char *what,
			   struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;
	if ((st = ledger_stmt(l, id, &s, e)) != LAR_OK)
		return st;
	sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, b);
	return ledger_run(l, id, what, e);
}

/* Store a receipt whose receiptId is not in the ledger yet, with its keys. */
static lar_status store_new(struct lar_ledger *l, const struct lar_verdict *v, const char *day,
			    struct lar_str pay, uint64_t line, const struct lar_ledger_keys *k, struct lar_err *e)
{
	const struct lar_payload *p = &v->p;
	sqlite3_stmt *s = NULL;
	lar_status st;
	int64_t first = 0;
	int nmatch = 0, keyed = k->charged;
	/* the receipt's slot in the day_summary table (ledger_int.h), a random
	 * place in 2 MiB: fetched while SQLite stores the receipt, instead of
	 * waited for in sum_add() */
	if (l->fine.slots != NULL)
		__builtin_prefetch(&l->fine.slots[k->group[0] & (SUM_SLOTS - 1)]);
	if (keyed && (st = find_charges(l, p, k->charge, &first, &nmatch, e)) != LAR_OK)
		return st;
	if ((st = ledger_stmt(l, ST_INSERT_RECEIPT, &s, e)) != LAR_OK)
		return st;
	/* every parameter is bound again for each receipt: clearing them after
	 * the step (24 releases) would be work thrown away */
	bind_receipt(l, s, v, pay, line);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return ledger_fail(l, e, rc, "store receipt");
	int64_t id = sqlite3_last_insert_rowid(l->db);
	if ((st = l0_add(l, 0, k->receipt, id, e)) != LAR_OK ||
	    (keyed && (st = l0_add(l, 1, k->charge, id, e)) != LAR_OK))
		return st;
	if (nmatch > 0) {
		/* with one match, that one becomes part of a double charge now;
		 * with two or more, they already are */
		if ((nmatch == 1 && (st = run_ints(l, ST_ADD_DOUBLE, first, 0, "record double charge", e)) !=
					    LAR_OK) ||
		    (st = run_ints(l, ST_ADD_DOUBLE, id, 0, "record double charge", e)) != LAR_OK)
			return st;
	}
	struct lar_str all[SUM_MAX_FIELDS];
	group_fields(v, day, all);
	if ((st = order_add(l, day, p->created, p->receipt_id, id, e)) != LAR_OK ||
	    (st = sum_add(l, &l->fine, all, k->group[0], k->summary_group, v, e)) != LAR_OK ||
	    (st = sum_add(l, &l->tool, all, k->group[1], 0, v, e)) != LAR_OK)
		return st;
	return LAR_OK;
}

/* v is an ok or flag verdict with what lar_ledger_add() stores. */
static int authentic(const struct lar_verdict *v)
{
	return (v->status == LAR_V_OK || v->status == LAR_V_FLAG) && v->key != NULL && str_ok(v->key_id) &&
	       str_ok(v->payload_b64) && str_ok(v->signature) && str_ok(v->p.receipt_id) &&
	       str_ok(v->p.created_at) && v->p.created_at.n == 28 && day_number(v->p.created_at.p) >= 0;
}

lar_status lar_ledger_keys(const struct lar_verdict *v, struct lar_ledger_keys *out, struct lar_err *e)
{
	const struct lar_payload *p = &v->p;
	lar_status st;
	memset(out, 0, sizeof *out);
	if (!authentic(v))
		return lar_err_set(e, LAR_E_INVAL, "add: not an authentic verdict with a payload");
	/* SPEC §4 report dupes: a double charge is several Charged receipts
	 * under one (tool, paying project, idempotency key) */
	out->charged = p->idempotency_key.p != NULL && p->status.p != NULL && p->status.n == 7 &&
		       memcmp(p->status.p, "Charged", 7) == 0;
	if ((st = receipt_key(p->receipt_id, &out->receipt, e)) != LAR_OK ||
	    (out->charged &&
	     (st = charge_key(p->mcp_tool_id, p->paying_project_id, p->idempotency_key, &out->charge, e)) != LAR_OK))
		return st;
	/* SPEC §1.3: createdAt starts with its UTC day (authentic() checked) */
	struct lar_str all[SUM_MAX_FIELDS], f[SUM_MAX_FIELDS];
	group_fields(v, p->created_at.p, all);
	out->group[0] = group_of(&sum_fine, all, f);
	/* f holds sum_fine's fields: the day, then summary_group's */
	out->summary_group = group_key(f + 1);
	out->group[1] = group_of(&sum_tool, all, f);
	return LAR_OK;
}

lar_status lar_ledger_add(struct lar_ledger *l, const struct lar_verdict *v, uint64_t line,
			  enum lar_ledger_outcome *outcome, struct lar_err *e)
{
	struct lar_ledger_keys k;
	lar_status st;
	if (!l->in_file)
		return lar_err_set(e, LAR_E_STATE, "add: no file open");
	if ((st = lar_ledger_keys(v, &k, e)) != LAR_OK)
		return st;
	return lar_ledger_add_keyed(l, v, &k, line, outcome, e);
}

lar_status lar_ledger_add_keyed(struct lar_ledger *l, const struct lar_verdict *v, const struct lar_ledger_keys *k,
				uint64_t line, enum lar_ledger_outcome *outcome, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;
	char flags[512];
	char day[11];
	int rc;
	enum lar_ledger_outcome oc;
	struct lar_str pay = { NULL, 0 };

	if (!l->in_file)
		return lar_err_set(e, LAR_E_STATE, "add: no file open");
	if (!authentic(v))
		return lar_err_set(e, LAR_E_INVAL, "add: not an authentic verdict with a payload");
	/* SPEC §1.3: createdAt is 'yyyy-MM-ddTHH:mm:ss.fffffffZ', UTC, so its
	 * first ten characters are the UTC day. */
	memcpy(day, v->p.created_at.p, 10);
	day[10] = 0;
	if ((st = payload_bytes(l, v, &pay, e)) != LAR_OK)
		return st;

	/* SPEC §4.2: a receiptId already stored with the same signed payload is
	 * present; with another payload, a conflict */
	int stored, same;
	if ((st = find_receipt(l, v, pay, k->receipt, &stored, &same, e)) != LAR_OK)
		return st;

	if (!stored) {
		if ((st = store_new(l, v, day, pay, line, k, e)) != LAR_OK)
			return st;
		oc = LAR_LEDGER_IMPORTED;
	} else if (same) {
		oc = LAR_LEDGER_PRESENT;
	} else {
		if ((st = ledger_stmt(l, ST_INSERT_CONFLICT, &s, e)) != LAR_OK)
			return st;
		ledger_flags_text(v->reasons, flags, sizeof flags);
		bind_conflict(l, s, v, pay, flags, line);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		if (rc != SQLITE_DONE)
			return ledger_fail(l, e, rc, "store conflict");
		oc = sqlite3_changes(l->db) == 1 ? LAR_LEDGER_CONFLICT : LAR_LEDGER_CONFLICT_PRESENT;
	}
	l->file.records++;
	if (oc == LAR_LEDGER_IMPORTED)
		l->file.imported++;
	else if (oc == LAR_LEDGER_PRESENT)
		l->file.present++;
	else
		l->file.conflicts++;
	if (v->status == LAR_V_FLAG)
		l->file.flagged++;
	if (outcome != NULL)
		*outcome = oc;
	return LAR_OK;
}

/* 64-bit FNV-1a: identifies a re-read rejected record (not a security check;
 * see schemas/ledger.sql). */
static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

lar_status lar_ledger_add_reject(struct lar_ledger *l, enum lar_reason reason, uint64_t line,
				 const uint8_t *rec, size_t len, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;

	if (!l->in_file)
		return lar_err_set(e, LAR_E_STATE, "add_reject: no file open");
	if ((int)reason < 0 || reason >= LAR_R_FIRST_FLAG || (rec == NULL && len != 0))
		return lar_err_set(e, LAR_E_INVAL, "add_reject: not a fail reason");
	if ((st = ledger_stmt(l, ST_INSERT_REJECT, &s, e)) != LAR_OK)
		return st;
	size_t ex = len < LAR_LEDGER_EXCERPT_MAX ? len : LAR_LEDGER_EXCERPT_MAX;
	ledger_bind_cstr(s, 1, lar_reason_name(reason));
	ledger_bind_cstr(s, 2, l->source);
	sqlite3_bind_int64(s, 3, ledger_clamp(line));
	sqlite3_bind_int64(s, 4, ledger_clamp(len));
	sqlite3_bind_int64(s, 5, (int64_t)fnv1a(rec, len));
	sqlite3_bind_blob64(s, 6, ex ? (const void *)rec : "", ex, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, l->run_id);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return ledger_fail(l, e, rc, "store reject");
	l->file.records++;
	l->file.rejected++;
	return LAR_OK;
}

void lar_ledger_note_skipped(struct lar_ledger *l)
{
	l->file.records++;
	l->file.skipped++;
}

/*
 * Move level 0 of the lookup keys to level 1 (schemas/ledger.sql) when it
 * has grown past l->level0_max keys and an eighth of the receipts: level 0
 * then stays small enough for the page cache whatever the ledger's size,
 * while the one ordered pass through level 1 that a merge costs is paid
 * once per eighth of growth.  The filter of level 1 gets the moved keys, or
 * is built again when it has grown too full.  Inside the file's
 * transaction (a rollback makes file_begin read the filter again).
 */
static lar_status merge_keys(struct lar_ledger *l, struct lar_err *e)
{
	/* OR IGNORE spares a statement journal, which would copy every page of
	 * level 1 that the merge touches, nearly all of it in a large ledger
	 * (a key is at one level only, so nothing is ignored) */
	static const char *const move[2] = {
		"INSERT OR IGNORE INTO receipt_key (level, key, receipt) SELECT 1, key, receipt FROM receipt_key "
		"WHERE level = 0 ORDER BY key, receipt; DELETE FROM receipt_key WHERE level = 0",
		"INSERT OR IGNORE INTO charge_key (level, key, receipt) SELECT 1, key, receipt FROM charge_key "
		"WHERE level = 0 ORDER BY key, receipt; DELETE FROM charge_key WHERE level = 0",
	};
	sqlite3_stmt *s = NULL;
	lar_status st;
	int64_t n0[2], total;
	if ((st = ledger_stmt(l, ST_MAX_RECEIPT, &s, e)) != LAR_OK)
		return st;
	int rc = sqlite3_step(s);
	total = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return ledger_fail(l, e, rc, "merge keys");
	/* level 0's size is its filter's count (built from level 0 at the
	 * start of the file, then one more with every key added): counting the
	 * table read all of it at every commit */
	n0[0] = l->l0[0].keys;
	n0[1] = l->l0[1].keys;
	for (int i = 0; i < 2; i++) {
		struct keyfilter *f = &l->kf[i];
		if (n0[i] <= l->level0_max || n0[i] <= total / 8)
			continue;
		if (f->nbits == 0) {
			/* no filter yet: count level 1, then build one */
			struct keyfilter c = { .keys = 0 };
			if ((st = each_key(l, i, 1, count_key, &c, e)) != LAR_OK)
				return st;
			f->keys = c.keys;
		}
		int64_t keys = f->keys + n0[i];
		int rebuild = f->nbits == 0 || (uint64_t)keys * FILTER_MIN_BITS_PER_KEY > f->nbits;
		if (!rebuild && (st = each_key(l, i, 0, filter_set, f, e)) != LAR_OK)
			return st;
		if ((st = ledger_exec(l, move[i], "merge keys", e)) != LAR_OK)
			return st;
		/* level 0 is empty now (a rollback makes file_begin build its
		 * filter again) */
		if (l->l0[i].bits != NULL)
			memset(l->l0[i].bits, 0, (size_t)(l->l0[i].nbits / 8));
		l->l0[i].keys = 0;
		l->l0_dirty[i] = 1;
		if (rebuild) {
			if ((st = filter_build(l, i, keys, e)) != LAR_OK)
				return st;
		} else {
			f->keys = keys;
			if ((st = filter_write(l, i, e)) != LAR_OK)
				return st;
		}
	}
	return LAR_OK;
}

/* The stored filter of table t holds every key of level 1, and says how
 * many there are: otherwise import would take a stored receipt for new. */
static lar_status filter_check(struct lar_ledger *l, int t, int level, struct lar_err *e)
{
	struct keyfilter f = { .keys = -1 }, c = { .keys = 0 };
	int found;
	const char *name = level ? key_tables[t] : level0_names[t];
	lar_status st = filter_load(l, name, 0, &f, &found, e);
	if (st == LAR_OK && f.nbits > 0) {
		int64_t want = f.keys;
		if ((st = each_key(l, t, level, count_key, &c, e)) == LAR_OK && c.keys != want)
			st = lar_err_set(e, LAR_E_DB, "key_filter says %s has %lld keys at level %d, not %lld",
					 key_tables[t], (long long)want, level, (long long)c.keys);
		if (st == LAR_OK && (st = each_key(l, t, level, check_key, &f, e)) == LAR_OK && f.keys != want)
			st = lar_err_set(e, LAR_E_DB, "key_filter of %s misses %lld of its keys", name,
					 (long long)(want - f.keys));
	}
	filter_drop(&f);
	return st;
}

/* ---- what ledger.c calls (ledger_int.h) ---- */

void ledger_store_init(struct lar_ledger *l)
{
	sum_init(&l->fine, &sum_fine);
	sum_init(&l->tool, &sum_tool);
	l->kf[0].keys = l->kf[1].keys = -1;
	l->l0[0].keys = l->l0[1].keys = -1;
	lar_arena_init(&l->order.arena, 0);
	lar_buf_init(&l->payload, 0);
}

void ledger_store_free(struct lar_ledger *l)
{
	sum_free(&l->fine);
	sum_free(&l->tool);
	for (int t = 0; t < 2; t++) {
		filter_drop(&l->kf[t]);
		filter_drop(&l->l0[t]);
		kb_free(&l->pend[t]);
	}
	free(l->order.v);
	free(l->order.sorted);
	lar_arena_free(&l->order.arena);
	lar_buf_free(&l->payload);
}

lar_status ledger_store_begin(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st;
	sum_clear(&l->fine);
	sum_clear(&l->tool);
	/* another import may have merged keys since the last file */
	if ((st = filter_read(l, 0, &l->kf[0], e)) != LAR_OK || (st = filter_read(l, 1, &l->kf[1], e)) != LAR_OK)
		return st;
	/* level 0's filters hold what this connection added; another one may
	 * have added keys since, which its data_version tells */
	int64_t dv;
	if ((st = ledger_query_int(l, "PRAGMA data_version", &dv, e)) != LAR_OK)
		return st;
	if (!l->l0_valid || dv != l->data_version) {
		if ((st = l0_load(l, 0, e)) != LAR_OK || (st = l0_load(l, 1, e)) != LAR_OK)
			return st;
		l->l0_valid = 1;
		l->data_version = dv;
	}
	return LAR_OK;
}

/* Sort the held rows of receipt_order and of both key tables (a thread of
 * ledger_store_flush, which meanwhile writes the sums, touching none of
 * them).  What it cannot sort (out of memory) stays unsorted, for
 * orders_flush and keys_flush to sort themselves. */
static void *presort(void *arg)
{
	struct lar_ledger *l = arg;
	for (int t = 0; t < 2; t++)
		if (l->pend[t].n > 0 && !l->pend[t].sorted)
			(void)keys_sort_held(&l->pend[t]);
	if (l->order.n > 0 && l->order.sorted == NULL)
		l->order.sorted = orders_sort(&l->order);
	return NULL;
}

/* Held rows past which their sorting goes to a thread of its own: below,
 * starting it would cost more than the sort. */
#define PRESORT_MIN_ROWS 4096

lar_status ledger_store_flush(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st;
	pthread_t th;
	/* At the commit no other thread of an import has work left: the
	 * sorting of the held keys and receipt_order rows (about 20 ms of a
	 * file of 100,000 receipts) runs on a thread of its own while this one
	 * writes the sums into SQLite. */
	int started = l->order.n + l->pend[0].n + l->pend[1].n >= PRESORT_MIN_ROWS &&
		      pthread_create(&th, NULL, presort, l) == 0;
	st = sum_flush(l, &l->fine, e);
	if (st == LAR_OK)
		st = sum_flush(l, &l->tool, e);
	if (started)
		pthread_join(th, NULL);
	if (st != LAR_OK || (st = orders_flush(l, e)) != LAR_OK || (st = keys_flush(l, 0, e)) != LAR_OK ||
	    (st = keys_flush(l, 1, e)) != LAR_OK || (st = merge_keys(l, e)) != LAR_OK)
		return st;
	/* level 0's filters as they are now, for the next import to read
	 * instead of all of level 0 (schemas/ledger.sql) */
	for (int t = 0; t < 2; t++) {
		if (!l->l0_dirty[t])
			continue;
		if ((st = filter_put(l, level0_names[t], &l->l0[t], e)) != LAR_OK)
			return st;
		l->l0_dirty[t] = 0;
	}
	return LAR_OK;
}

void ledger_store_abort(struct lar_ledger *l)
{
	sum_clear(&l->fine);
	sum_clear(&l->tool);
	kb_clear(&l->pend[0]);
	kb_clear(&l->pend[1]);
	order_clear(&l->order);
	/* a merge in the file may have changed the filters in memory only,
	 * and emptied level 0's */
	l->kf[0].keys = l->kf[1].keys = -1;
	l->l0_valid = 0;
	l->l0_dirty[0] = l->l0_dirty[1] = 0;
}

lar_status ledger_build_filters(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st;
	for (int t = 0; t < 2; t++) {
		char sql[64];
		int64_t n;
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE level = 1", key_tables[t]);
		if ((st = ledger_query_int(l, sql, &n, e)) != LAR_OK || (st = filter_build(l, t, n, e)) != LAR_OK)
			return st;
	}
	return LAR_OK;
}

lar_status ledger_build_level0_filters(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st;
	for (int t = 0; t < 2; t++) {
		if ((st = l0_build(l, t, e)) != LAR_OK || (st = filter_put(l, level0_names[t], &l->l0[t], e)) != LAR_OK)
			return st;
		l->l0_dirty[t] = 0;
	}
	return LAR_OK;
}

lar_status ledger_check_filters(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st = LAR_OK;
	for (int t = 0; t < 2 && st == LAR_OK; t++)
		if ((st = filter_check(l, t, 1, e)) == LAR_OK)
			st = filter_check(l, t, 0, e);
	return st;
}
