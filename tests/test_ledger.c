/*
 * test_ledger.c - the SQLite ledger (ledger.h, SPEC §4.2): schema source of
 * truth, file mode, idempotent import, present/conflict/reject bookkeeping,
 * per-file rollback, busy timeout, refusal of foreign or newer files, day
 * ranges and order of export, and the summaries the reports read.
 *
 * Verdicts are built by hand (the verifier is tested elsewhere).  The test
 * reads the database with SQLite directly, so what it checks does not go
 * through the code under test.
 * Not for: report formatting (test_report.c) or CSV (test_csv.c).
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "b64url.h"
#include "ledger.h"
#include "ledger_int.h" /* the summary bounds, which test_many_groups passes */
#include "mac.h"
#include "tap.h"

static char dir[4096];

static const char *tmpfile_path(const char *name)
{
	static char buf[8][4200];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, sizeof buf[0], "%s/%s", dir, name);
	return p;
}

/* ---- hand-made verdicts ---- */

struct spec {
	/* payload: the signed payload's bytes (the receipt id when NULL), which
	 * mkv encodes as the base64url text the ledger decodes and stores */
	const char *rid, *created, *status, *tool, *slug, *method, *project, *agent, *key, *payload;
	int64_t gross, fee, net;
	uint32_t flags; /* reason bits; non-zero makes a flag verdict */
};

static struct lar_str S(const char *s) {
	struct lar_str r = { s, s ? strlen(s) : 0 };
	return r;
}

static struct lar_key_entry test_key = {
	.key_id = "liveauth-mcp-receipt-v1",
	.key_id_len = 23,
	.fingerprint_hex = "0123456789abcdef",
};

/* base64url of a payload's bytes, in one of a few buffers (a verdict's
 * strings must last until it is stored) */
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

static void mkv(struct lar_verdict *v, const struct spec *s)
{
	memset(v, 0, sizeof *v);
	v->status = s->flags ? LAR_V_FLAG : LAR_V_OK;
	v->reasons = s->flags;
	v->key = &test_key;
	v->key_id = S("liveauth-mcp-receipt-v1");
	/* no payload_json: the ledger decodes the text (test_payload_bytes
	 * gives it the verifier's decoding) */
	v->payload_b64 = b64(s->payload ? s->payload : s->rid);
	v->signature = S("sig0123456789012345678901234567890123456789");
	struct lar_payload *p = &v->p;
	p->receipt_id = S(s->rid);
	p->revenue_event_id = S("7fd6900a-8cce-4e6b-8bfc-bb79d2a6d643");
	p->created_at = S(s->created ? s->created : "2026-03-04T05:06:07.1234567Z");
	lar_time_parse_payload(p->created_at.p, p->created_at.n, &p->created);
	p->status = S(s->status ? s->status : "Charged");
	p->mcp_tool_id = S(s->tool ? s->tool : "e3e70682-c209-4cac-a29f-6fbed82c07cd");
	p->tool_slug = S(s->slug ? s->slug : "weather-api");
	p->tool_name = S(NULL);
	p->tool_method_name = S(s->method ? s->method : "search");
	p->paying_project_id = S(s->project);
	p->agent_id = S(s->agent);
	p->idempotency_key = S(s->key);
	p->version = S("mcp-call-receipt-v1");
	p->gross_sats = s->gross;
	p->platform_fee_sats = s->fee;
	p->net_sats = s->net;
	p->fee_basis_points = 500;
}

/* ---- direct reads ---- */

/* SQL test_b64url(blob): its base64url text */
static void test_b64url_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	const uint8_t *p = sqlite3_value_blob(argv[0]);
	size_t n = (size_t)sqlite3_value_bytes(argv[0]);
	char *o = sqlite3_malloc64(lar_b64url_enclen(n) + 1);
	if (o == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	size_t k = n ? lar_b64url_encode(p, n, o) : 0;
	sqlite3_result_text64(ctx, o, k, sqlite3_free, SQLITE_UTF8);
}

/* SQL test_flags(bits): schemas/ledger.sql's flags text of flag_bits */
static void test_flags_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char out[512];
	size_t n = 0;
	uint32_t bits = (uint32_t)sqlite3_value_int64(argv[0]);
	(void)argc;
	out[0] = 0;
	for (int r = 0; r < LAR_REASON_COUNT; r++)
		if (bits & (1u << r))
			n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", n ? " " : "",
					      lar_reason_name((enum lar_reason)r));
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* A payload member as its column of schema version 4 had it (NULL when the
 * stored payload is not JSON: the hand-made verdicts' payloads are not). */
#define MEMBER(name)                                                                  \
	"CASE WHEN json_valid(CAST(r.payload AS TEXT)) "                              \
	"THEN json_extract(CAST(r.payload AS TEXT), '$." name "') END"

/*
 * The receipt, conflict and day_summary tables of schema version 4, as
 * temporary views (found before the tables of the same names) over those of
 * version 5: every column it dropped is derived from what it keeps - the
 * day and the flag texts from the columns, the base64url text and the
 * members without a column from the decoded payload, source and run from
 * the import_file row, a summary's fields from its summary_group row and
 * its day from its id.  The checks below that read receipts, and the migration tests that
 * compare a table before and after, read these: what version 5 keeps must
 * give back every value of version 4.
 */
static const char v4_views[] =
	"CREATE TEMP VIEW receipt AS SELECT r.id, r.receipt_id, r.revenue_event_id, r.created_at, "
	"r.created_ticks, substr(r.created_at, 1, 10) AS created_day, r.status, r.mcp_tool_id, r.tool_slug, "
	"r.tool_name, "
	"r.tool_method_name, r.paying_project_id, r.agent_id, r.idempotency_key, r.request_id, "
	MEMBER("mcpGateSessionId") " AS mcp_gate_session_id, " MEMBER("mcpGateTokenId") " AS mcp_gate_token_id, "
	"r.gross_sats, r.platform_fee_sats, r.net_sats, r.fee_basis_points, "
	"coalesce(" MEMBER("version") ", 'mcp-call-receipt-v1') AS version, "
	MEMBER("attestationKind") " AS attestation_kind, "
	MEMBER("attestationOperation") " AS attestation_operation, "
	MEMBER("attestationObservedAt") " AS attestation_observed_at, "
	MEMBER("attestationSource") " AS attestation_source, "
	MEMBER("attestationNetwork") " AS attestation_network, "
	MEMBER("attestationSubjectId") " AS attestation_subject_id, "
	MEMBER("attestationClaims") " AS attestation_claims, "
	MEMBER("attestationClaimsSha256") " AS attestation_claims_sha256, "
	"CASE WHEN r.flag_bits != 0 THEN 'flag' ELSE 'ok' END AS verdict, r.flag_bits, "
	"test_flags(r.flag_bits) AS flags, test_b64url(r.payload) AS payload_b64, r.signature, r.key_id, "
	"r.key_fingerprint, f.source, r.line, f.run_id "
	"FROM main.receipt r LEFT JOIN main.import_file f ON f.id = r.file; "
	"CREATE TEMP VIEW day_summary AS SELECT d.id, printf('%04d-%02d-%02d', (d.id >> 32) / 10000, "
	"(d.id >> 32) / 100 % 100, (d.id >> 32) % 100) AS created_day, g.status, g.mcp_tool_id, g.tool_slug, "
	"g.tool_method_name, g.paying_project_id, g.agent_id, g.key_id, d.receipts, d.gross_sats, "
	"d.platform_fee_sats, d.net_sats, d.discrepancies "
	"FROM main.day_summary d LEFT JOIN main.summary_group g ON g.id = d.grp; "
	"CREATE TEMP VIEW conflict AS SELECT id, receipt_id, created_at, status, gross_sats, platform_fee_sats, "
	"net_sats, verdict, flag_bits, flags, test_b64url(payload) AS payload_b64, signature, key_id, "
	"key_fingerprint, source, line, run_id FROM main.conflict";

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_create_function(db, "test_b64url", 1, SQLITE_UTF8, NULL, test_b64url_fn, NULL, NULL);
	sqlite3_create_function(db, "test_flags", 1, SQLITE_UTF8, NULL, test_flags_fn, NULL, NULL);
	/* a ledger of schema version 5 is read through the views of version 4 */
	int v5 = sqlite3_prepare_v2(db, "SELECT file FROM main.receipt", -1, &s, NULL) == SQLITE_OK;
	sqlite3_finalize(s);
	if (v5 && sqlite3_exec(db, v4_views, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot make the views of %s: %s\n", path, sqlite3_errmsg(db));
		exit(2);
	}
	return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "bad sql %s: %s\n", sql, sqlite3_errmsg(db));
		return -999;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int64_t path_int(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	int64_t v = raw_int(db, sql);
	sqlite3_close(db);
	return v;
}

/* Every row of a table, all columns, in a fixed order: a fingerprint of
 * the table's content. */
static char *dump(const char *path, const char *table, const char *order)
{
	sqlite3 *db = raw_open(path);
	char sql[1024];
	struct lar_buf b;
	sqlite3_stmt *s;
	lar_buf_init(&b, 0);
	snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY %s", table, order);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "bad sql %s: %s\n", sql, sqlite3_errmsg(db));
		exit(2);
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const unsigned char *t = sqlite3_column_text(s, i);
			lar_buf_printf(&b, "%s%s", i ? "|" : "", t ? (const char *)t : "<null>");
		}
		lar_buf_putc(&b, '\n');
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	lar_buf_putc(&b, 0);
	return (char *)b.p;
}

/* Both summary tables must give the same sums per group as the receipt
 * table: day_summary summed per (day, status, tool, slug, method, project,
 * agent, keyId) (a group may have several rows), day_tool_summary per
 * (day, status, tool, slug, method, keyId) (one row per group).  Returns
 * the number of groups that differ or are missing on either side. */
static int64_t summary_mismatches(const char *path)
{
	static const char sql[] =
		"WITH r AS (SELECT created_day, status, mcp_tool_id, tool_slug, tool_method_name, "
		"paying_project_id, agent_id, key_id, count(*) AS c, sum(gross_sats) AS g, "
		"sum(platform_fee_sats) AS f, sum(net_sats) AS n, sum((flag_bits & 12288) != 0) AS x "
		"FROM receipt GROUP BY 1, 2, 3, 4, 5, 6, 7, 8), "
		"d AS (SELECT created_day, status, mcp_tool_id, tool_slug, tool_method_name, "
		"paying_project_id, agent_id, key_id, sum(receipts), sum(gross_sats), sum(platform_fee_sats), "
		"sum(net_sats), sum(discrepancies) FROM day_summary GROUP BY 1, 2, 3, 4, 5, 6, 7, 8), "
		"rt AS (SELECT created_day, status, mcp_tool_id, tool_slug, tool_method_name, key_id, "
		"sum(c), sum(g), sum(f), sum(n), sum(x) FROM r GROUP BY 1, 2, 3, 4, 5, 6), "
		"t AS (SELECT * FROM day_tool_summary) "
		"SELECT (SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM d)) "
		"+ (SELECT count(*) FROM (SELECT * FROM d EXCEPT SELECT * FROM r)) "
		"+ (SELECT count(*) FROM (SELECT * FROM rt EXCEPT SELECT * FROM t)) "
		"+ (SELECT count(*) FROM (SELECT * FROM t EXCEPT SELECT * FROM rt))"
		/* day_summary's ids: the day's digits * 2^32 + a row from 1 */
		"+ (SELECT count(*) FROM day_summary "
		"WHERE id >> 32 != CAST(replace(created_day, '-', '') AS INTEGER) OR (id & 4294967295) = 0)";
	return path_int(path, sql);
}

/* receipt_order must hold exactly one row per receipt, with its day, ticks
 * and receipt_id.  Returns the number of rows on one side only. */
static int64_t order_mismatches(const char *path)
{
	static const char sql[] =
		"WITH r AS (SELECT created_day, created_ticks, receipt_id, id FROM receipt), "
		"o AS (SELECT created_day, created_ticks, receipt_id, receipt FROM receipt_order) "
		"SELECT (SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM o)) "
		"+ (SELECT count(*) FROM (SELECT * FROM o EXCEPT SELECT * FROM r)) "
		"+ (SELECT count(*) FROM receipt) - (SELECT count(*) FROM receipt_order)";
	return path_int(path, sql);
}

/* day_summary summed per group: what a migration must keep, whatever its
 * rows (for dump()). */
#define DAY_SUMS                                                                                          \
	"(SELECT created_day, status, mcp_tool_id, tool_slug, tool_method_name, paying_project_id, agent_id, " \
	"key_id, sum(receipts), sum(gross_sats), sum(platform_fee_sats), sum(net_sats), sum(discrepancies) "   \
	"FROM day_summary GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)"
#define DAY_SUMS_ORDER "1, 2, 3, 4, 5, 6, 7, 8"

/* double_charge must hold exactly the Charged receipts that share their
 * (tool, paying project, idempotency key) with another Charged receipt.
 * Returns the number of receipts on one side only. */
static int64_t double_charge_mismatches(const char *path)
{
	static const char sql[] =
		"WITH k AS (SELECT mcp_tool_id, paying_project_id, idempotency_key FROM receipt "
		"WHERE status = 'Charged' AND idempotency_key IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1), "
		"want AS (SELECT r.id FROM receipt r JOIN k ON r.mcp_tool_id = k.mcp_tool_id "
		"AND r.paying_project_id IS k.paying_project_id AND r.idempotency_key = k.idempotency_key "
		"WHERE r.status = 'Charged') "
		"SELECT (SELECT count(*) FROM (SELECT id FROM want EXCEPT SELECT receipt FROM double_charge)) "
		"+ (SELECT count(*) FROM (SELECT receipt FROM double_charge EXCEPT SELECT id FROM want))";
	return path_int(path, sql);
}

/* The lookup keys as schemas/ledger.sql defines them, computed here from
 * that text (not by ledger.c): the first 8 bytes of SHA-256 of the parts
 * joined by LF, a NULL part written '-', big-endian, signed. */
static void test_key_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[4096];
	size_t n = 0;
	uint8_t md[32];
	for (int i = 0; i < argc; i++) {
		const char *t = (const char *)sqlite3_value_text(argv[i]);
		int len = sqlite3_value_bytes(argv[i]);
		if (i > 0)
			buf[n++] = '\n';
		if (t == NULL)
			buf[n++] = '-';
		else if (len > 0 && n + (size_t)len < sizeof buf - 2) {
			memcpy(buf + n, t, (size_t)len);
			n += (size_t)len;
		}
	}
	lar_sha256(buf, n, md);
	uint64_t k = 0;
	for (int i = 0; i < 8; i++)
		k = k << 8 | md[i];
	sqlite3_result_int64(ctx, (int64_t)k);
}

/* receipt_key must hold every receipt once, under the key of its
 * receipt_id; charge_key every Charged receipt with an idempotency key
 * once, under the key of its charge, and nothing else.  Returns the number
 * of receipts missing, doubled or under a wrong key. */
static int64_t key_mismatches(const char *path)
{
	sqlite3 *db = raw_open(path);
	sqlite3_create_function(db, "test_key", -1, SQLITE_UTF8, NULL, test_key_fn, NULL, NULL);
	int64_t v = raw_int(db,
			    "WITH want_r AS (SELECT test_key(receipt_id) AS key, id FROM receipt), "
			    "want_c AS (SELECT test_key(mcp_tool_id, paying_project_id, idempotency_key) AS key, id "
			    "FROM receipt WHERE status = 'Charged' AND idempotency_key IS NOT NULL) "
			    "SELECT (SELECT count(*) FROM (SELECT * FROM want_r EXCEPT SELECT key, receipt FROM receipt_key)) "
			    "+ (SELECT count(*) FROM (SELECT key, receipt FROM receipt_key EXCEPT SELECT * FROM want_r)) "
			    "+ (SELECT count(*) FROM receipt_key) - (SELECT count(*) FROM receipt) "
			    "+ (SELECT count(*) FROM (SELECT * FROM want_c EXCEPT SELECT key, receipt FROM charge_key)) "
			    "+ (SELECT count(*) FROM (SELECT key, receipt FROM charge_key EXCEPT SELECT * FROM want_c)) "
			    "+ (SELECT count(*) FROM charge_key) - (SELECT count(*) FROM want_c)");
	sqlite3_close(db);
	return v;
}

/* ---- tests ---- */

/* A file of the source tree (rel from its top), read whole; NULL (with a
 * note) when LAR_SRC is unset and it is not beside this file either. */
static char *source_file(const char *rel, size_t *n)
{
	char path[4096];
	const char *src = getenv("LAR_SRC");
	if (src != NULL && *src)
		snprintf(path, sizeof path, "%s/%s", src, rel);
	else /* this file's folder is tests/ */
		snprintf(path, sizeof path, "%.*s/../%s",
			 (int)(strrchr(__FILE__, '/') ? strrchr(__FILE__, '/') - __FILE__ : 1),
			 strrchr(__FILE__, '/') ? __FILE__ : ".", rel);
	char *text = tap_slurp(path, n);
	if (text == NULL && (src == NULL || *src == 0)) {
		printf("# %s not found: set LAR_SRC\n", rel);
		return NULL;
	}
	CHECKM(text != NULL, "cannot read %.300s", path);
	return text;
}

static void test_schema_source(void)
{
	size_t n;
	char *text = source_file("schemas/ledger.sql", &n);
	if (text == NULL)
		return;
	CHECKM(n == strlen(lar_ledger_schema_sql()) && memcmp(text, lar_ledger_schema_sql(), n) == 0,
	       "ledger/ledger_schema.c differs from schemas/ledger.sql: regenerate it");
	char want[64];
	snprintf(want, sizeof want, "PRAGMA user_version = %d;", LAR_LEDGER_SCHEMA_VERSION);
	CHECK(strstr(text, want) != NULL);
	free(text);
}

static struct lar_ledger *open_ok(const char *path, int busy_ms)
{
	struct lar_ledger *l = NULL;
	struct lar_err e = { 0 };
	struct lar_ledger_opts o = { .busy_ms = busy_ms };
	lar_status st = lar_ledger_open(path, &o, &l, &e);
	CHECKM(st == LAR_OK, "open %.200s: %.200s", path, e.msg);
	return l;
}

static void test_create_mode(void)
{
	const char *p = tmpfile_path("mode.db");
	mode_t old = umask(0); /* the mode must not depend on the umask */
	struct lar_ledger *l = open_ok(p, 0);
	umask(old);
	if (l == NULL)
		return;
	CHECK(lar_ledger_schema_version(l) == LAR_LEDGER_SCHEMA_VERSION);
	struct lar_err e = { 0 };
	/* write something so the -wal file exists */
	CHECK(lar_ledger_run_begin(l, "test", &e) == LAR_OK);
	struct stat sb;
	CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	char wal[4300];
	snprintf(wal, sizeof wal, "%s-wal", p);
	CHECKM(stat(wal, &sb) == 0 && (sb.st_mode & 0777) == 0600, "wal mode %o",
	       (unsigned)sb.st_mode & 0777);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	lar_ledger_close(l);
	CHECK(path_int(p, "PRAGMA user_version") == LAR_LEDGER_SCHEMA_VERSION);
	CHECK(path_int(p, "PRAGMA application_id") == 1279349315);
	CHECK(path_int(p, "SELECT count(*) FROM import_run WHERE ended_at IS NOT NULL") == 1);
	/* reopening an existing ledger keeps it */
	l = open_ok(p, 0);
	lar_ledger_close(l);
	CHECK(path_int(p, "SELECT count(*) FROM import_run") == 1);
}

/* A ledger's name is a file name, never a URI of SQLite's: bytes that a URI
 * gives a meaning to, and a name starting "file:", name the file as they
 * are (lar_ledger_open passes SQLite a URI of its own making). */
static void test_odd_names(void)
{
	static const char *const names[] = { "q?mode=memory.db", "h#a%20sh.db", "sp ace:colon.db", "file:odd.db",
					     ":memory:", "\xc3\xa9t\xc3\xa9.db" };
	char here[4096];
	if (getcwd(here, sizeof here) == NULL || chdir(dir) != 0) {
		CHECKM(0, "cannot enter the test folder");
		return;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct lar_err e = { 0 };
		struct lar_ledger *l = open_ok(names[i], 0);
		if (l == NULL)
			continue;
		CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK && lar_ledger_run_end(l, &e) == LAR_OK);
		lar_ledger_close(l);
		char rel[256];
		snprintf(rel, sizeof rel, "./%s", names[i]); /* "./": not a URI for path_int's open either */
		struct stat sb;
		CHECKM(stat(rel, &sb) == 0 && sb.st_size > 0, "%s: no such file, or empty", names[i]);
		CHECKM(path_int(rel, "SELECT count(*) FROM import_run") == 1, "%s: its run is not in it", names[i]);
		/* and read back by name, read-only too */
		struct lar_ledger_opts ro = { .flags = LAR_LEDGER_READONLY };
		CHECKM(lar_ledger_open(names[i], &ro, &l, &e) == LAR_OK, "%s read-only: %.200s", names[i], e.msg);
		lar_ledger_close(l);
	}
	/* nothing else was created (no "odd.db", no "q" of a URI's reading) */
	CHECK(access("odd.db", F_OK) != 0 && access("q", F_OK) != 0 && access("h", F_OK) != 0);
	CHECK(chdir(here) == 0);
	/* an absolute name starting "//" (not a URI's authority) */
	char slashes[4200];
	snprintf(slashes, sizeof slashes, "/%s", tmpfile_path("slashes.db"));
	struct lar_ledger *l = open_ok(slashes, 0);
	lar_ledger_close(l);
	CHECK(access(tmpfile_path("slashes.db"), F_OK) == 0);
	/* a FIFO in a ledger's place is refused, not waited on for a writer,
	 * read-only too (a wait would hang this test) */
	const char *fifo = tmpfile_path("fifo.db");
	CHECK(mkfifo(fifo, 0600) == 0);
	struct lar_ledger_opts ro = { .flags = LAR_LEDGER_READONLY };
	struct lar_err e = { 0 };
	l = NULL;
	CHECK(lar_ledger_open(fifo, &ro, &l, &e) == LAR_E_INVAL && l == NULL);
	CHECKM(strstr(e.msg, "not a regular file") != NULL, "%.200s", e.msg);
	CHECK(lar_ledger_open(fifo, NULL, &l, &e) == LAR_E_INVAL && l == NULL);
}

static void test_refusals(void)
{
	struct lar_ledger *l = NULL;
	struct lar_err e = { 0 };
	struct lar_ledger_opts nocreate = { .flags = LAR_LEDGER_NOCREATE };

	CHECK(lar_ledger_open(tmpfile_path("absent.db"), &nocreate, &l, &e) == LAR_E_NOTFOUND && l == NULL);
	CHECK(access(tmpfile_path("absent.db"), F_OK) != 0);
	struct lar_ledger_opts ro = { .flags = LAR_LEDGER_READONLY };
	CHECK(lar_ledger_open(tmpfile_path("absent.db"), &ro, &l, &e) == LAR_E_NOTFOUND);

	/* not SQLite at all */
	const char *junk = tmpfile_path("junk.db");
	FILE *f = fopen(junk, "w");
	fputs("this is not a database, just some text that is long enough to look like a header......\n", f);
	fclose(f);
	CHECK(lar_ledger_open(junk, NULL, &l, &e) == LAR_E_INVAL && l == NULL);

	/* another program's database */
	const char *other = tmpfile_path("other.db");
	sqlite3 *db = NULL;
	sqlite3_open(other, &db);
	sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(lar_ledger_open(other, NULL, &l, &e) == LAR_E_INVAL && l == NULL);
	CHECKM(strstr(e.msg, "other tables") != NULL, "%.200s", e.msg);
	CHECK(lar_ledger_open(other, &nocreate, &l, &e) == LAR_E_INVAL && l == NULL);
	CHECKM(strstr(e.msg, "other tables") != NULL, "read: %.200s", e.msg); /* not "empty" */
	CHECK(path_int(other, "SELECT count(*) FROM sqlite_schema") == 1); /* untouched */
	{
		/* not even switched to WAL (which would stay in its header: bytes 18-19 are 1, 1
		 * for a rollback journal, 2, 2 for WAL) */
		unsigned char hdr[20] = { 0 };
		FILE *h = fopen(other, "rb");
		CHECK(h != NULL && fread(hdr, 1, sizeof hdr, h) == sizeof hdr);
		if (h != NULL)
			fclose(h);
		CHECKM(hdr[18] == 1 && hdr[19] == 1, "header bytes 18-19: %u %u", hdr[18], hdr[19]);
		char wal[4200];
		snprintf(wal, sizeof wal, "%s-wal", other);
		CHECK(access(wal, F_OK) != 0);
	}

	/* a ledger written by a newer schema */
	const char *newer = tmpfile_path("newer.db");
	l = open_ok(newer, 0);
	lar_ledger_close(l);
	l = NULL;
	db = raw_open(newer);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", LAR_LEDGER_SCHEMA_VERSION + 1);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(lar_ledger_open(newer, NULL, &l, &e) == LAR_E_INVAL && l == NULL);
	CHECKM(strstr(e.msg, "newer") != NULL, "%.200s", e.msg);

	/* another program's database that uses user_version */
	const char *versioned = tmpfile_path("versioned.db");
	db = NULL;
	sqlite3_open(versioned, &db);
	sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(lar_ledger_open(versioned, NULL, &l, &e) == LAR_E_INVAL && l == NULL);
	CHECK(path_int(versioned, "SELECT count(*) FROM sqlite_schema") == 0); /* untouched */

	/* an empty file becomes a ledger only when creating is allowed */
	const char *empty = tmpfile_path("empty.db");
	fclose(fopen(empty, "w"));
	CHECK(lar_ledger_open(empty, &nocreate, &l, &e) == LAR_E_INVAL && l == NULL);
	CHECK(lar_ledger_open(empty, &ro, &l, &e) == LAR_E_INVAL && l == NULL);
	l = open_ok(empty, 0);
	lar_ledger_close(l);
	l = NULL;
	CHECK(lar_ledger_open(empty, &nocreate, &l, &e) == LAR_OK && l != NULL);
	lar_ledger_close(l);
	l = NULL;

	/* a directory */
	CHECK(lar_ledger_open(dir, NULL, &l, &e) != LAR_OK && l == NULL);

	/* two handles creating the same new ledger at once: one schema */
	const char *twice = tmpfile_path("twice.db");
	struct lar_ledger *a = open_ok(twice, 0), *b = open_ok(twice, 0);
	lar_ledger_close(a);
	lar_ledger_close(b);
	CHECK(path_int(twice, "SELECT count(*) FROM sqlite_schema WHERE name = 'receipt'") == 1);
}

static const char forged[] = "{\"version\":\"mcp-call-receipt-v1\",\"payload\":\"x\"}";

static void import_batch(struct lar_ledger *l, const char *source, const struct spec *specs, size_t n,
			 struct lar_ledger_counts *fc)
{
	struct lar_err e = { 0 };
	struct lar_verdict v;
	CHECK(lar_ledger_file_begin(l, source, &e) == LAR_OK);
	for (size_t i = 0; i < n; i++) {
		mkv(&v, &specs[i]);
		lar_status st = lar_ledger_add(l, &v, 10 + i, NULL, &e);
		CHECKM(st == LAR_OK, "add %.200s: %.200s", specs[i].rid, e.msg);
	}
	CHECK(lar_ledger_add_reject(l, LAR_R_BAD_SIGNATURE, 3, (const uint8_t *)forged, strlen(forged), &e) ==
	      LAR_OK);
	lar_ledger_note_skipped(l);
	lar_ledger_counts(l, fc, NULL);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
}

static const struct spec batch[] = {
	{ .rid = "mcp_receipt_a1", .gross = 10, .fee = 1, .net = 9, .project = "p1", .key = "k1" },
	{ .rid = "mcp_receipt_a2", .gross = 5, .fee = 1, .net = 4, .agent = "agent_1" },
	{ .rid = "mcp_receipt_a3", .gross = 100, .fee = 6, .net = 94, .flags = 1u << LAR_R_FEE_MISMATCH },
	{ .rid = "mcp_receipt_a4",
	  .gross = 7,
	  .fee = 0,
	  .net = 7,
	  .status = "Test",
	  .flags = 1u << LAR_R_TEST_RECEIPT },
	{ .rid = "mcp_receipt_a5",
	  .gross = 12,
	  .fee = 1,
	  .net = 11,
	  .project = "p1",
	  .key = "k1",
	  .created = "2026-03-05T00:00:00.0000000Z" },
};
#define NBATCH (sizeof batch / sizeof batch[0])

static char *dump_all(const char *p)
{
	static const char *const t[][2] = {
		{ "receipt", "id" },
		{ "conflict", "id" },
		{ "reject", "id" },
		{ "day_summary", "id" },
		{ "receipt_order", "created_day, created_ticks, receipt_id" },
		{ "day_tool_summary", "created_day, status, mcp_tool_id, tool_slug, tool_method_name, key_id" },
		{ "double_charge", "receipt" },
	};
	struct lar_buf b;
	lar_buf_init(&b, 0);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *d = dump(p, t[i][0], t[i][1]);
		lar_buf_printf(&b, "== %s\n%s", t[i][0], d);
		free(d);
	}
	lar_buf_putc(&b, 0);
	return (char *)b.p;
}

static void test_idempotent(void)
{
	const char *p = tmpfile_path("idem.db");
	struct lar_ledger *l = open_ok(p, 0);
	struct lar_err e = { 0 };
	struct lar_ledger_counts fc, rc;
	if (l == NULL)
		return;

	CHECK(lar_ledger_file_begin(l, "x", &e) == LAR_E_STATE); /* no run yet */
	CHECK(lar_ledger_run_begin(l, "0.1.0-test", &e) == LAR_OK);
	CHECK(lar_ledger_run_begin(l, "again", &e) == LAR_E_STATE);
	import_batch(l, "day1.jsonl", batch, NBATCH, &fc);
	CHECK(fc.records == NBATCH + 2 && fc.imported == NBATCH && fc.present == 0 && fc.conflicts == 0);
	CHECK(fc.flagged == 2 && fc.rejected == 1 && fc.skipped == 1);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);

	char *first = dump_all(p);
	CHECK(path_int(p, "SELECT count(*) FROM receipt") == (int64_t)NBATCH);
	CHECK(path_int(p, "SELECT count(*) FROM reject") == 1);
	CHECK(path_int(p, "SELECT count(*) FROM import_file WHERE source = 'day1.jsonl' AND imported = 5") ==
	      1);
	CHECK(path_int(p, "SELECT records FROM import_run") == (int64_t)NBATCH + 2);
	CHECK(path_int(p, "SELECT rejected FROM import_run") == 1);
	/* stored values come from the payload and are typed */
	CHECK(path_int(
		      p,
		      "SELECT count(*) FROM receipt WHERE receipt_id = 'mcp_receipt_a3' AND gross_sats = 100 "
		      "AND platform_fee_sats = 6 AND net_sats = 94 AND verdict = 'flag' "
		      "AND flags = 'fee_mismatch' AND flag_bits = 8192 AND created_day = '2026-03-04' "
		      "AND created_at = '2026-03-04T05:06:07.1234567Z' AND key_fingerprint = "
		      "'0123456789abcdef' "
		      "AND source = 'day1.jsonl' AND line = 12 AND tool_name IS NULL AND agent_id IS NULL") ==
	      1);
	CHECK(path_int(p, "SELECT created_ticks FROM receipt WHERE receipt_id = 'mcp_receipt_a5'") ==
	      1772668800LL * 10000000LL);
	CHECK(path_int(p, "SELECT count(*) FROM receipt WHERE typeof(agent_id) = 'text'") == 1);
	CHECK(path_int(p, "SELECT length(excerpt) FROM reject") == (int64_t)strlen(forged));
	CHECK(path_int(p, "SELECT count(*) FROM reject WHERE reason = 'bad_signature' AND line = 3") == 1);

	/* the same input again: nothing changes but the run rows */
	CHECK(lar_ledger_run_begin(l, "0.1.0-test", &e) == LAR_OK);
	import_batch(l, "day1.jsonl", batch, NBATCH, &fc);
	CHECK(fc.imported == 0 && fc.present == NBATCH && fc.conflicts == 0 && fc.rejected == 1);
	lar_ledger_counts(l, NULL, &rc);
	CHECK(rc.present == NBATCH && rc.records == NBATCH + 2);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	char *second = dump_all(p);
	CHECKM(strcmp(first, second) == 0, "ledger changed on re-import:\n%.200s\n---\n%.200s", first,
	       second);
	CHECK(path_int(p, "SELECT count(*) FROM import_run") == 2);
	CHECK(path_int(p, "SELECT present FROM import_run WHERE id = 2") == (int64_t)NBATCH);

	/* a re-delivered receipt inside another file is present, not stored */
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "day2.jsonl", &e) == LAR_OK);
	struct lar_verdict v;
	enum lar_ledger_outcome oc = 99;
	mkv(&v, &batch[1]);
	CHECK(lar_ledger_add(l, &v, 1, &oc, &e) == LAR_OK && oc == LAR_LEDGER_PRESENT);

	/* same receiptId, another signed payload: a conflict, recorded once */
	struct spec c = batch[0];
	c.payload = "another-payload";
	c.gross = 11;
	mkv(&v, &c);
	CHECK(lar_ledger_add(l, &v, 2, &oc, &e) == LAR_OK && oc == LAR_LEDGER_CONFLICT);
	CHECK(lar_ledger_add(l, &v, 3, &oc, &e) == LAR_OK && oc == LAR_LEDGER_CONFLICT_PRESENT);
	c.payload = "a-third-payload";
	mkv(&v, &c);
	CHECK(lar_ledger_add(l, &v, 4, &oc, &e) == LAR_OK && oc == LAR_LEDGER_CONFLICT);
	/* new receipt in this file */
	struct spec n = { .rid = "mcp_receipt_b1", .gross = 3, .fee = 1, .net = 2 };
	mkv(&v, &n);
	CHECK(lar_ledger_add(l, &v, 5, &oc, &e) == LAR_OK && oc == LAR_LEDGER_IMPORTED);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	lar_ledger_counts(l, NULL, &rc);
	CHECK(rc.present == 1 && rc.conflicts == 3 && rc.imported == 1 && rc.records == 5);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	CHECK(path_int(p, "SELECT count(*) FROM conflict") == 2);
	CHECK(path_int(
		      p,
		      "SELECT count(*) FROM conflict WHERE receipt_id = 'mcp_receipt_a1' AND gross_sats = 11 "
		      "AND source = 'day2.jsonl' AND line = 2") == 1);
	CHECK(path_int(p, "SELECT gross_sats FROM receipt WHERE receipt_id = 'mcp_receipt_a1'") == 10);
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0);
	CHECK(path_int(p, "SELECT count(*) FROM day_summary") > 1);
	/* a1 and a5 share project p1 and key k1 (b1 has no key; the conflicting
	 * payloads of a1 are not stored receipts) */
	CHECK(double_charge_mismatches(p) == 0);
	CHECK(path_int(p, "SELECT count(*) FROM double_charge") == 2);

	/* conflicts as the report reads them: stored payload first */
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	free(first);
	free(second);
	lar_ledger_close(l);
}

static void test_rollback(void)
{
	const char *p = tmpfile_path("rollback.db");
	struct lar_ledger *l = open_ok(p, 0);
	struct lar_err e = { 0 };
	struct lar_ledger_counts fc, rc;
	if (l == NULL)
		return;
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	import_batch(l, "one.jsonl", batch, 2, &fc);
	char *before = dump_all(p);

	CHECK(lar_ledger_file_begin(l, "two.jsonl", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "three.jsonl", &e) == LAR_E_STATE);
	struct lar_verdict v;
	for (size_t i = 2; i < NBATCH; i++) {
		mkv(&v, &batch[i]);
		CHECK(lar_ledger_add(l, &v, i, NULL, &e) == LAR_OK);
	}
	CHECK(lar_ledger_add_reject(l, LAR_R_MALFORMED_INPUT, 1, (const uint8_t *)"{", 1, &e) == LAR_OK);
	lar_ledger_counts(l, &fc, NULL);
	CHECK(fc.imported == NBATCH - 2 && fc.rejected == 1);
	CHECK(lar_ledger_run_end(l, &e) == LAR_E_STATE); /* a file is open */
	lar_ledger_file_rollback(l);
	lar_ledger_counts(l, &fc, &rc);
	CHECK(fc.records == 0 && rc.imported == 2 && rc.records == 4);
	char *after = dump_all(p);
	CHECKM(strcmp(before, after) == 0, "rollback left rows behind");
	CHECK(path_int(p, "SELECT count(*) FROM import_file") == 1);
	/* nothing held for the rolled-back file is written with the next one */
	CHECK(lar_ledger_file_begin(l, "two-again.jsonl", &e) == LAR_OK);
	mkv(&v, &batch[2]);
	CHECK(lar_ledger_add(l, &v, 1, NULL, &e) == LAR_OK);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(path_int(p, "SELECT count(*) FROM receipt") == 3);
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0);

	/* misuse is refused, not stored */
	CHECK(lar_ledger_add(l, &v, 1, NULL, &e) == LAR_E_STATE);
	CHECK(lar_ledger_file_begin(l, "four.jsonl", &e) == LAR_OK);
	mkv(&v, &batch[0]);
	v.status = LAR_V_FAIL;
	CHECK(lar_ledger_add(l, &v, 1, NULL, &e) == LAR_E_INVAL);
	mkv(&v, &batch[0]);
	v.key = NULL;
	CHECK(lar_ledger_add(l, &v, 1, NULL, &e) == LAR_E_INVAL);
	CHECK(lar_ledger_add_reject(l, LAR_R_BODY_MISMATCH, 1, (const uint8_t *)"x", 1, &e) == LAR_E_INVAL);
	/* an open file is rolled back by close */
	struct spec n = { .rid = "mcp_receipt_lost", .gross = 1, .fee = 1, .net = 0 };
	mkv(&v, &n);
	CHECK(lar_ledger_add(l, &v, 1, NULL, &e) == LAR_OK);
	lar_ledger_close(l);
	CHECK(path_int(p, "SELECT count(*) FROM receipt WHERE receipt_id = 'mcp_receipt_lost'") == 0);
	free(before);
	free(after);
}

static void test_reject_bounds(void)
{
	const char *p = tmpfile_path("reject.db");
	struct lar_ledger *l = open_ok(p, 0);
	struct lar_err e = { 0 };
	if (l == NULL)
		return;
	uint8_t big[1000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7 + 1);
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "-", &e) == LAR_OK);
	CHECK(lar_ledger_add_reject(l, LAR_R_MALFORMED_INPUT, 1, big, sizeof big, &e) == LAR_OK);
	CHECK(lar_ledger_add_reject(l, LAR_R_MALFORMED_INPUT, 1, big, sizeof big, &e) == LAR_OK); /* same */
	big[999] ^= 1; /* differs only past the excerpt */
	CHECK(lar_ledger_add_reject(l, LAR_R_MALFORMED_INPUT, 1, big, sizeof big, &e) == LAR_OK);
	CHECK(lar_ledger_add_reject(l, LAR_R_MALFORMED_INPUT, 2, NULL, 0, &e) == LAR_OK);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	lar_ledger_close(l);
	CHECK(path_int(p, "SELECT count(*) FROM reject") == 3);
	CHECK(path_int(p, "SELECT max(length(excerpt)) FROM reject") == LAR_LEDGER_EXCERPT_MAX);
	CHECK(path_int(p, "SELECT count(*) FROM reject WHERE record_len = 1000") == 2);
	CHECK(path_int(p, "SELECT count(*) FROM reject WHERE typeof(excerpt) = 'blob'") == 3);
	/* excerpt bytes are the record's own */
	CHECK(path_int(p, "SELECT count(*) FROM reject WHERE hex(substr(excerpt, 1, 3)) = '01080F'") == 2);
}

/* More groups in one file than the in-memory summary holds (ngroups over
 * SUM_MAX_GROUPS, or agent ids of agent_len bytes whose groups pass
 * SUM_MAX_BYTES): it flushes part-way and the sums still come out right;
 * with `rollback`, a first pass rolled back leaves no row. */
static void many_groups(const char *name, int nreceipts, int ngroups, int agent_len, int rollback)
{
	const char *p = tmpfile_path(name);
	struct lar_ledger *l = open_ok(p, 0);
	struct lar_err e = { 0 };
	if (l == NULL)
		return;
	char rid[64], agent[1100];
	struct spec s = { .rid = rid, .agent = agent, .gross = 9, .fee = 1, .net = 8 };
	struct lar_verdict v;
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	for (int pass = rollback ? 0 : 1; pass < 2; pass++) {
		CHECK(lar_ledger_file_begin(l, "groups.jsonl", &e) == LAR_OK);
		for (int i = 0; i < nreceipts; i++) {
			snprintf(rid, sizeof rid, "mcp_receipt_%d_%d", pass, i);
			/* ngroups groups, some twice */
			snprintf(agent, sizeof agent, "%0*d", agent_len, i % ngroups);
			s.flags = i % 7 == 0 ? 1u << LAR_R_AMOUNT_MISMATCH : 0;
			mkv(&v, &s);
			if (lar_ledger_add(l, &v, (uint64_t)i + 1, NULL, &e) != LAR_OK) {
				CHECKM(0, "add: %.200s", e.msg);
				break;
			}
		}
		if (pass == 0) {
			lar_ledger_file_rollback(l);
			CHECK(path_int(p, "SELECT count(*) FROM day_summary") == 0);
		} else {
			CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
		}
	}
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	lar_ledger_close(l);
	CHECK(path_int(p, "SELECT count(*) FROM receipt") == nreceipts);
	/* ngroups groups, some in two rows (partial sums of both sides of a flush) */
	CHECK(path_int(p, "SELECT count(*) FROM (SELECT 1 FROM day_summary GROUP BY agent_id)") == ngroups);
	CHECK(path_int(p, "SELECT count(*) FROM day_summary") > ngroups);
	CHECK(path_int(p, "SELECT sum(receipts) FROM day_summary") == nreceipts);
	CHECK(path_int(p, "SELECT receipts FROM day_tool_summary") == nreceipts);
	CHECK(path_int(p, "SELECT sum(discrepancies) FROM day_summary") == (nreceipts + 6) / 7);
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0);
}

static void test_many_groups(void)
{
	/* 30,000 groups of 1 KB agent ids: over SUM_MAX_BYTES */
	_Static_assert(30000 * 1000 > SUM_MAX_BYTES && 30000 < SUM_MAX_GROUPS, "flushed by bytes");
	many_groups("groups-bytes.db", 40000, 30000, 1000, 1);
	/* short agent ids, more groups than SUM_MAX_GROUPS */
	_Static_assert(SUM_MAX_GROUPS + 8000 < 150000, "flushed by count");
	many_groups("groups-count.db", 150000, SUM_MAX_GROUPS + 8000, 1, 0);
}

/* Slots of the held keys' table still in use (ledger_int.h): none between
 * files, whichever way the table was emptied. */
static size_t held_slots(const struct lar_ledger *l, int t)
{
	size_t used = 0;
	for (size_t i = 0; l->pend[t].slots != NULL && i < l->pend[t].nslots; i++)
		used += l->pend[t].slots[i] != 0;
	return used;
}

/* Files of a few keys (their slots cleared one by one), one of many (the
 * whole table cleared), one rolled back: after each, no slot of the held
 * keys' table is left in use, and the receipts of earlier files are found
 * present (the last file's 4,000 keys are cleared slot by slot after
 * keys_flush sorted them). */
static void test_held_keys_cleared(void)
{
	const char *p = tmpfile_path("held.db");
	struct lar_ledger *l = open_ok(p, 0);
	struct lar_err e = { 0 };
	if (l == NULL)
		return;
	char rid[64], key[64];
	struct spec sp = { .rid = rid, .key = key, .project = "p1", .gross = 5, .fee = 1, .net = 4 };
	struct lar_verdict v;
	enum lar_ledger_outcome oc;
	/* 4,000 keys: the last size cleared slot by slot (below 1/64 of the
	 * 2^18 slots), after keys_flush sorted them */
	static const int sizes[] = { 3, 1, 9000, 5, 7, 4000 };
	int first = 0;
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	for (size_t f = 0; f < sizeof sizes / sizeof sizes[0]; f++) {
		int rolled = f == 3;
		CHECK(lar_ledger_file_begin(l, "held.jsonl", &e) == LAR_OK);
		for (int i = 0; i < sizes[f]; i++) {
			snprintf(rid, sizeof rid, "mcp_receipt_held_%d", first + i);
			snprintf(key, sizeof key, "idem-%d", first + i);
			mkv(&v, &sp);
			CHECK(lar_ledger_add(l, &v, (uint64_t)i + 1, &oc, &e) == LAR_OK && oc == LAR_LEDGER_IMPORTED);
		}
		/* and every receipt of the file before again */
		for (int i = 0; f > 0 && i < sizes[f - 1] && !(f - 1 == 3); i++) {
			snprintf(rid, sizeof rid, "mcp_receipt_held_%d", first - sizes[f - 1] + i);
			snprintf(key, sizeof key, "idem-%d", first - sizes[f - 1] + i);
			mkv(&v, &sp);
			CHECK(lar_ledger_add(l, &v, 1, &oc, &e) == LAR_OK && oc == LAR_LEDGER_PRESENT);
		}
		CHECK(l->pend[0].n > 0 && l->pend[1].n > 0);
		if (rolled)
			lar_ledger_file_rollback(l);
		else
			CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
		CHECKM(held_slots(l, 0) == 0 && held_slots(l, 1) == 0, "file %zu: %zu and %zu slots left", f,
		       held_slots(l, 0), held_slots(l, 1));
		if (!rolled)
			first += sizes[f];
	}
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	lar_ledger_close(l);
	CHECK(path_int(p, "SELECT count(*) FROM receipt") == first);
	CHECK(key_mismatches(p) == 0);
}

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void test_busy(void)
{
	const char *p = tmpfile_path("busy.db");
	struct lar_ledger *a = open_ok(p, 0);
	struct lar_ledger *b = open_ok(p, 300);
	struct lar_err e = { 0 };
	if (a == NULL || b == NULL)
		return;
	CHECK(lar_ledger_run_begin(a, "a", &e) == LAR_OK);
	CHECK(lar_ledger_run_begin(b, "b", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(a, "a.jsonl", &e) == LAR_OK);
	double t0 = now_s();
	lar_status st = lar_ledger_file_begin(b, "b.jsonl", &e);
	double waited = now_s() - t0;
	CHECKM(st == LAR_E_BUSY, "second writer: %.200s", lar_strerror(st));
	CHECKM(waited >= 0.25, "gave up after %.3f s, before its timeout", waited);
	CHECK(strstr(e.msg, "locked") != NULL);
	/* readers are not blocked by the writer (WAL) */
	struct lar_sums sums;
	int64_t test, other;
	CHECK(lar_ledger_status_totals(b, NULL, &sums, &test, &other, &e) == LAR_OK);
	lar_ledger_file_rollback(a);
	CHECK(lar_ledger_file_begin(b, "b.jsonl", &e) == LAR_OK);
	CHECK(lar_ledger_file_commit(b, &e) == LAR_OK);
	lar_ledger_close(b);

	/* a writer that releases within the timeout is waited for.  No
	 * connection may cross fork() (SQLite's locks are per process), so
	 * both sides open their own after it. */
	lar_ledger_close(a);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct lar_ledger *c = NULL;
		struct lar_ledger_opts o = { 0 };
		struct lar_err ce = { 0 };
		int step = 3;
		FILE *f;
		if (lar_ledger_open(p, &o, &c, &ce) != LAR_OK)
			goto child_failed;
		step = 4;
		if (lar_ledger_run_begin(c, "c", &ce) != LAR_OK || lar_ledger_file_begin(c, "c.jsonl", &ce) != LAR_OK)
			goto child_failed;
		struct lar_verdict v;
		struct spec s = { .rid = "mcp_receipt_child", .gross = 2, .fee = 1, .net = 1 };
		mkv(&v, &s);
		step = 5;
		if (lar_ledger_add(c, &v, 1, NULL, &ce) != LAR_OK)
			goto child_failed;
		/* tell the parent we hold the lock, then hold it a while after
		 * it starts to wait (timed from then: on a loaded machine the
		 * parent's open alone took longer than a fixed hold) */
		f = fopen(tmpfile_path("busy.flag"), "w");
		if (f)
			fclose(f);
		int i;
		for (i = 0; i < 3000 && access(tmpfile_path("waiting.flag"), F_OK) != 0; i++)
			usleep(10 * 1000);
		usleep(400 * 1000);
		step = 6;
		if (lar_ledger_file_commit(c, &ce) != LAR_OK)
			goto child_failed;
		step = 7;
		if (lar_ledger_run_end(c, &ce) != LAR_OK)
			goto child_failed;
		_exit(i < 3000 ? 0 : 8); /* 8: the parent's flag never came (30 s) */
	child_failed:
		/* what failed, for the parent's message (child.err) */
		f = fopen(tmpfile_path("child.err"), "w");
		if (f) {
			fprintf(f, "%.300s", ce.msg);
			fclose(f);
		}
		_exit(step);
	}
	double tf = now_s();
	int status = 0, child_gone = 0;
	for (int i = 0; i < 3000 && access(tmpfile_path("busy.flag"), F_OK) != 0; i++) {
		/* a child that failed before its flag says why at once (child.err)
		 * instead of after the 30 s this loop would wait */
		if (waitpid(pid, &status, WNOHANG) == pid) {
			child_gone = 1;
			break;
		}
		usleep(10 * 1000);
	}
	double t_flag = now_s() - tf; /* for the messages below, should they fail */
	if (child_gone) {
		char why[400] = "";
		FILE *cf = fopen(tmpfile_path("child.err"), "r");
		if (cf != NULL) {
			size_t k = fread(why, 1, sizeof why - 1, cf);
			why[k] = 0;
			fclose(cf);
		}
		CHECKM(0, "the child ended before it held the lock: exit %d (status %d) after %.3f s: %s",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1, status, t_flag, why);
		return;
	}
	a = open_ok(p, 0);
	double t_open = now_s() - tf;
	if (a == NULL)
		return;
	FILE *wf = fopen(tmpfile_path("waiting.flag"), "w");
	CHECK(wf != NULL);
	if (wf != NULL)
		fclose(wf);
	t0 = now_s();
	/* the run row is a write too: it waits like the file does (60 s default) */
	CHECK(lar_ledger_run_begin(a, "a", &e) == LAR_OK);
	st = lar_ledger_file_begin(a, "a.jsonl", &e);
	waited = now_s() - t0;
	CHECKM(st == LAR_OK, "waiting writer: %.200s", e.msg);
	CHECKM(waited >= 0.1,
	       "did not wait (%.3f s): the child did not hold the lock? (its flag came after %.3f s, "
	       "the open took %.3f s more)",
	       waited, t_flag, t_open - t_flag);
	CHECK(lar_ledger_file_commit(a, &e) == LAR_OK);
	waitpid(pid, &status, 0);
	CHECKM(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exit %d (status %d)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, status);
	/* (-1: the query itself failed) */
	int64_t child_rows = path_int(p, "SELECT count(*) FROM receipt WHERE receipt_id = 'mcp_receipt_child'");
	int64_t files = path_int(p, "SELECT count(*) FROM import_file");
	CHECKM(child_rows == 1, "the child's receipt: %lld rows", (long long)child_rows);
	CHECKM(files == 3, "import_file: %lld rows", (long long)files);
	lar_ledger_close(a);
}

struct collect {
	char ids[64][40];
	size_t n;
};

static lar_status collect_fn(void *ctx, const struct lar_ledger_receipt *r)
{
	struct collect *c = ctx;
	if (c->n < 64)
		snprintf(c->ids[c->n++], sizeof c->ids[0], "%.*s", (int)r->receipt_id.n, r->receipt_id.p);
	return LAR_OK;
}

static lar_status count_fn(void *ctx, const struct lar_ledger_receipt *r)
{
	(void)r;
	++*(int *)ctx;
	return LAR_OK;
}

static lar_status stop_fn(void *ctx, const struct lar_ledger_receipt *r)
{
	(void)r;
	++*(int *)ctx;
	return LAR_E_IO;
}

static void test_export_range(void)
{
	const char *p = tmpfile_path("range.db");
	struct lar_ledger *l = open_ok(p, 0);
	struct lar_err e = { 0 };
	struct lar_ledger_counts fc;
	if (l == NULL)
		return;
	static const struct spec rs[] = {
		{ .rid = "r_last_of_2025", .created = "2025-12-31T23:59:59.9999999Z" },
		{ .rid = "r_b_midnight", .created = "2026-01-01T00:00:00.0000000Z" },
		{ .rid = "r_a_midnight", .created = "2026-01-01T00:00:00.0000000Z" },
		{ .rid = "r_end_of_day", .created = "2026-01-01T23:59:59.9999999Z" },
		{ .rid = "r_0_noon", .created = "2026-01-01T12:00:00.0000000Z" },
		{ .rid = "r_next_day", .created = "2026-01-02T00:00:00.0000000Z" },
		{ .rid = "r_leap", .created = "2028-02-29T10:00:00.0000000Z" },
	};
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	import_batch(l, "range.jsonl", rs, sizeof rs / sizeof rs[0], &fc);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);

	struct collect c = { .n = 0 };
	CHECK(lar_ledger_export(l, NULL, collect_fn, &c, &e) == LAR_OK);
	static const char *const all[] = { "r_last_of_2025", "r_a_midnight", "r_b_midnight", "r_0_noon",
					   "r_end_of_day",   "r_next_day",   "r_leap" };
	CHECK(c.n == 7);
	for (size_t i = 0; i < 7 && i < c.n; i++)
		CHECKM(strcmp(c.ids[i], all[i]) == 0, "position %zu: %.200s, want %.200s", i, c.ids[i],
		       all[i]);

	struct lar_day_range one = { "2026-01-01", "2026-01-01" };
	c.n = 0;
	CHECK(lar_ledger_export(l, &one, collect_fn, &c, &e) == LAR_OK);
	CHECK(c.n == 4 && strcmp(c.ids[0], "r_a_midnight") == 0 && strcmp(c.ids[3], "r_end_of_day") == 0);

	struct lar_day_range from = { "2026-01-02", NULL };
	c.n = 0;
	CHECK(lar_ledger_export(l, &from, collect_fn, &c, &e) == LAR_OK);
	CHECK(c.n == 2 && strcmp(c.ids[0], "r_next_day") == 0);

	struct lar_day_range to = { NULL, "2025-12-31" };
	c.n = 0;
	CHECK(lar_ledger_export(l, &to, collect_fn, &c, &e) == LAR_OK);
	CHECK(c.n == 1 && strcmp(c.ids[0], "r_last_of_2025") == 0);

	struct lar_day_range leap = { "2028-02-29", "2028-02-29" };
	c.n = 0;
	CHECK(lar_ledger_export(l, &leap, collect_fn, &c, &e) == LAR_OK && c.n == 1);

	struct lar_day_range empty = { "2026-01-02", "2026-01-01" };
	c.n = 0;
	CHECK(lar_ledger_export(l, &empty, collect_fn, &c, &e) == LAR_OK && c.n == 0);

	static const char *const bad[] = { "2026-1-01",     "2026-02-30", "2026-13-01", "20260101",
					   "2026-01-01T00", "",           "2026-01-01 " };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct lar_day_range r = { bad[i], NULL };
		CHECKM(lar_ledger_export(l, &r, collect_fn, &c, &e) == LAR_E_INVAL, "accepted '%.200s'",
		       bad[i]);
		struct lar_day_range r2 = { NULL, bad[i] };
		CHECK(lar_ledger_export(l, &r2, collect_fn, &c, &e) == LAR_E_INVAL);
	}

	/* a callback's error stops the walk and is returned */
	int calls = 0;
	CHECK(lar_ledger_export(l, NULL, stop_fn, &calls, &e) == LAR_E_IO && calls == 1);

	/* read-only handles read */
	struct lar_ledger *ro = NULL;
	struct lar_ledger_opts o = { .flags = LAR_LEDGER_READONLY };
	CHECK(lar_ledger_open(p, &o, &ro, &e) == LAR_OK);
	if (ro != NULL) {
		c.n = 0;
		CHECK(lar_ledger_read_begin(ro, &e) == LAR_OK);
		CHECK(lar_ledger_export(ro, &one, collect_fn, &c, &e) == LAR_OK && c.n == 4);
		lar_ledger_read_end(ro);
		CHECK(lar_ledger_run_begin(ro, "t", &e) == LAR_E_STATE);
		lar_ledger_close(ro);
	}
	lar_ledger_close(l);
}

/* key_filter as schemas/ledger.sql defines it, recomputed here: the
 * number of level-1 keys of table t that its filter does not hold, plus the
 * difference between its `keys` and the level-1 count; -1 without a row. */
static uint64_t test_splitmix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int64_t level_filter_mismatches(const char *path, const char *t, int level)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *s = NULL;
	char sql[128];
	int64_t bad = -1, keys = 0, n = 0;
	uint8_t *bits = NULL;
	uint64_t nbits = 0;
	snprintf(sql, sizeof sql, "SELECT keys, bits FROM key_filter WHERE name = '%s%s'", t,
		 level ? "" : " level 0");
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
		keys = sqlite3_column_int64(s, 0);
		nbits = (uint64_t)sqlite3_column_bytes(s, 1) * 8;
		bits = malloc(nbits / 8 + 1);
		if (bits != NULL && nbits > 0)
			memcpy(bits, sqlite3_column_blob(s, 1), nbits / 8);
		bad = 0;
	}
	sqlite3_finalize(s);
	snprintf(sql, sizeof sql, "SELECT key FROM %s WHERE level = %d", t, level);
	if (bad == 0 && bits != NULL && sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			uint64_t key = (uint64_t)sqlite3_column_int64(s, 0);
			n++;
			for (uint64_t i = 1; i <= 6; i++) {
				uint64_t x = test_splitmix64(key + i * 0x9e3779b97f4a7c15ull);
				uint64_t b = (uint64_t)(((unsigned __int128)x * nbits) >> 64);
				if (!(bits[b / 8] & (1u << (b % 8)))) {
					bad++;
					break;
				}
			}
		}
		sqlite3_finalize(s);
		bad += keys > n ? keys - n : n - keys;
	}
	free(bits);
	sqlite3_close(db);
	return bad;
}

/* The same for level 1's filter (-1 when there is none). */
static int64_t filter_mismatches(const char *path, const char *t)
{
	return level_filter_mismatches(path, t, 1);
}

/* Lookup keys at both levels (schemas/ledger.sql): with a small level 0,
 * commits move it to level 1, and receipts, conflicts and double charges
 * are found whichever level holds the keys. */
static void test_levels(void)
{
	const char *p = tmpfile_path("levels.db");
	struct lar_ledger *l = NULL;
	struct lar_err e = { 0 };
	struct lar_ledger_opts o = { .level0_max = 100 };
	CHECK(lar_ledger_open(p, &o, &l, &e) == LAR_OK);
	if (l == NULL)
		return;
	char rid[64], key[32], name[32];
	struct spec sp = { .rid = rid, .key = key, .project = "p1", .gross = 4, .fee = 1, .net = 3 };
	struct lar_verdict v;
	enum lar_ledger_outcome oc;
	/* level 0 after each file: 60, then 120 > 100 (and > 120 / 8) merged,
	 * 60, merged again at 240, 60 */
	static const int64_t level0[] = { 60, 0, 60, 0, 60 };
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	for (int f = 0; f < 5; f++) {
		snprintf(name, sizeof name, "f%d.jsonl", f);
		CHECK(lar_ledger_file_begin(l, name, &e) == LAR_OK);
		int imported = 0;
		for (int i = 0; i < 60; i++) {
			snprintf(rid, sizeof rid, "mcp_receipt_f%d_%d", f, i);
			/* 40 idempotency keys: repeated within a file and across files */
			snprintf(key, sizeof key, "K%d", (f * 60 + i) % 40);
			mkv(&v, &sp);
			CHECK(lar_ledger_add(l, &v, (uint64_t)i + 1, &oc, &e) == LAR_OK);
			imported += oc == LAR_LEDGER_IMPORTED;
		}
		CHECK(imported == 60);
		CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
		CHECKM(path_int(p, "SELECT count(*) FROM receipt_key WHERE level = 0") == level0[f],
		       "after file %d: %lld keys at level 0", f,
		       (long long)path_int(p, "SELECT count(*) FROM receipt_key WHERE level = 0"));
		CHECK(path_int(p, "SELECT count(*) FROM charge_key WHERE level = 0") == level0[f]);
	}
	CHECK(key_mismatches(p) == 0);
	CHECK(double_charge_mismatches(p) == 0);
	CHECK(path_int(p, "SELECT count(*) FROM double_charge") == 300);
	/* the last merge (at 240 receipts) wrote filters of 240 keys */
	CHECK(filter_mismatches(p, "receipt_key") == 0 && filter_mismatches(p, "charge_key") == 0);
	CHECK(path_int(p, "SELECT keys FROM key_filter WHERE name = 'receipt_key'") == 240);
	CHECK(path_int(p, "SELECT length(bits) * 8 >= 240 * 8 FROM key_filter WHERE name = 'charge_key'") == 1);

	/* read again: present at either level; another payload is a conflict */
	CHECK(lar_ledger_file_begin(l, "again.jsonl", &e) == LAR_OK);
	int present = 0;
	for (int f = 0; f < 5; f++)
		for (int i = 0; i < 60; i += 7) {
			snprintf(rid, sizeof rid, "mcp_receipt_f%d_%d", f, i);
			snprintf(key, sizeof key, "K%d", (f * 60 + i) % 40);
			mkv(&v, &sp);
			CHECK(lar_ledger_add(l, &v, 1, &oc, &e) == LAR_OK);
			present += oc == LAR_LEDGER_PRESENT;
		}
	CHECK(present == 5 * 9);
	struct spec other = sp;
	other.payload = "another signed payload";
	for (int f = 0; f < 5; f += 4) {
		snprintf(rid, sizeof rid, "mcp_receipt_f%d_1", f);
		mkv(&v, &other);
		CHECK(lar_ledger_add(l, &v, 2, &oc, &e) == LAR_OK && oc == LAR_LEDGER_CONFLICT);
	}
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	CHECK(path_int(p, "SELECT count(*) FROM receipt") == 300);
	CHECK(path_int(p, "SELECT count(*) FROM conflict") == 2);
	int rows = 0;
	CHECK(lar_ledger_double_charges(l, count_fn, &rows, &e) == LAR_OK && rows == 300);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	/* level 0's filters are stored with every commit, holding exactly level 0 */
	CHECK(level_filter_mismatches(p, "receipt_key", 0) == 0 && level_filter_mismatches(p, "charge_key", 0) == 0);
	CHECK(path_int(p, "SELECT keys FROM key_filter WHERE name = 'receipt_key level 0'") ==
	      path_int(p, "SELECT count(*) FROM receipt_key WHERE level = 0"));
	lar_ledger_close(l);
	CHECK(key_mismatches(p) == 0);
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0);

	/* a damaged filter would make import take stored receipts for new:
	 * report check finds it */
	sqlite3 *db = raw_open(p);
	CHECK(sqlite3_exec(db, "UPDATE key_filter SET bits = zeroblob(length(bits)) WHERE name = 'charge_key'",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(filter_mismatches(p, "charge_key") > 0);
	l = open_ok(p, 0);
	if (l == NULL)
		return;
	CHECK(lar_ledger_check(l, &e) == LAR_E_DB && strstr(e.msg, "key_filter of charge_key misses") != NULL);
	lar_ledger_close(l);
	db = raw_open(p);
	CHECK(sqlite3_exec(db, "UPDATE key_filter SET keys = keys + 1 WHERE name = 'receipt_key'", NULL, NULL,
			   NULL) == SQLITE_OK);
	sqlite3_close(db);
	l = open_ok(p, 0);
	if (l == NULL)
		return;
	CHECK(lar_ledger_check(l, &e) == LAR_E_DB && strstr(e.msg, "key_filter says receipt_key") != NULL);
	lar_ledger_close(l);
	db = raw_open(p);
	CHECK(sqlite3_exec(db,
			   "UPDATE key_filter SET keys = keys - 1 WHERE name = 'receipt_key'; "
			   "UPDATE key_filter SET bits = zeroblob(length(bits)) WHERE name = 'receipt_key level 0'",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(path_int(p, "SELECT count(*) FROM receipt_key WHERE level = 0") > 0);
	l = open_ok(p, 0);
	if (l == NULL)
		return;
	CHECK(lar_ledger_check(l, &e) == LAR_E_DB &&
	      strstr(e.msg, "key_filter of receipt_key level 0 misses") != NULL);
	lar_ledger_close(l);
}

/* Two connections taking turns: what one commits, the other finds (its
 * in-memory filter of level 0 must not hide keys the other added). */
static void test_two_writers(void)
{
	const char *p = tmpfile_path("two.db");
	struct lar_ledger *a = open_ok(p, 0), *b = open_ok(p, 0);
	struct lar_err e = { 0 };
	if (a == NULL || b == NULL)
		return;
	char rid[64], key[32];
	struct spec sp = { .rid = rid, .key = key, .project = "p9", .gross = 4, .fee = 1, .net = 3 };
	struct lar_verdict v;
	enum lar_ledger_outcome oc;
	CHECK(lar_ledger_run_begin(b, "b", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(b, "b0.jsonl", &e) == LAR_OK);
	snprintf(rid, sizeof rid, "mcp_receipt_b0");
	snprintf(key, sizeof key, "KB0");
	mkv(&v, &sp);
	CHECK(lar_ledger_add(b, &v, 1, &oc, &e) == LAR_OK && oc == LAR_LEDGER_IMPORTED);
	CHECK(lar_ledger_file_commit(b, &e) == LAR_OK);

	CHECK(lar_ledger_run_begin(a, "a", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(a, "a.jsonl", &e) == LAR_OK);
	for (int i = 0; i < 50; i++) {
		snprintf(rid, sizeof rid, "mcp_receipt_a%d", i);
		snprintf(key, sizeof key, "KA%d", i);
		mkv(&v, &sp);
		CHECK(lar_ledger_add(a, &v, (uint64_t)i + 1, &oc, &e) == LAR_OK && oc == LAR_LEDGER_IMPORTED);
	}
	CHECK(lar_ledger_file_commit(a, &e) == LAR_OK);

	CHECK(lar_ledger_file_begin(b, "b1.jsonl", &e) == LAR_OK);
	int present = 0;
	for (int i = 0; i < 50; i++) {
		snprintf(rid, sizeof rid, "mcp_receipt_a%d", i);
		snprintf(key, sizeof key, "KA%d", i);
		mkv(&v, &sp);
		CHECK(lar_ledger_add(b, &v, (uint64_t)i + 1, &oc, &e) == LAR_OK);
		present += oc == LAR_LEDGER_PRESENT;
	}
	CHECK(present == 50);
	snprintf(rid, sizeof rid, "mcp_receipt_b1");
	snprintf(key, sizeof key, "KA7"); /* a's charge under KA7 again */
	mkv(&v, &sp);
	CHECK(lar_ledger_add(b, &v, 51, &oc, &e) == LAR_OK && oc == LAR_LEDGER_IMPORTED);
	CHECK(lar_ledger_file_commit(b, &e) == LAR_OK);

	/* and the other way round, after a rollback on b */
	CHECK(lar_ledger_file_begin(b, "b2.jsonl", &e) == LAR_OK);
	snprintf(rid, sizeof rid, "mcp_receipt_lost");
	mkv(&v, &sp);
	CHECK(lar_ledger_add(b, &v, 1, &oc, &e) == LAR_OK);
	lar_ledger_file_rollback(b);
	CHECK(lar_ledger_file_begin(a, "a2.jsonl", &e) == LAR_OK);
	snprintf(rid, sizeof rid, "mcp_receipt_b1");
	mkv(&v, &sp);
	CHECK(lar_ledger_add(a, &v, 1, &oc, &e) == LAR_OK && oc == LAR_LEDGER_PRESENT);
	snprintf(rid, sizeof rid, "mcp_receipt_lost");
	mkv(&v, &sp);
	CHECK(lar_ledger_add(a, &v, 2, &oc, &e) == LAR_OK && oc == LAR_LEDGER_IMPORTED);
	CHECK(lar_ledger_file_commit(a, &e) == LAR_OK);
	CHECK(lar_ledger_run_end(a, &e) == LAR_OK && lar_ledger_run_end(b, &e) == LAR_OK);
	lar_ledger_close(a);
	lar_ledger_close(b);
	CHECK(path_int(p, "SELECT count(*) FROM receipt") == 53);
	CHECK(path_int(p, "SELECT count(*) FROM (SELECT 1 FROM receipt GROUP BY receipt_id HAVING count(*) > 1)") ==
	      0);
	CHECK(path_int(p, "SELECT count(*) FROM double_charge") == 3); /* a7, b1 and lost */
	CHECK(double_charge_mismatches(p) == 0);
	CHECK(key_mismatches(p) == 0);
}

/* The schema objects of a ledger as text: type, name, table, SQL. */
static char *schema_dump(const char *path)
{
	return dump(path, "(SELECT type, name, tbl_name, sql FROM sqlite_schema)", "name");
}

/* A ledger written by schema version 1 (tests/data/ledger-v1.sql) is
 * migrated on open: the same receipts, rejects, conflicts and sums, the
 * objects exactly as a new ledger has them, lookups that find what it
 * held. */
static void test_migrate_v1(void)
{
	size_t n;
	char *sql = source_file("tests/data/ledger-v1.sql", &n);
	if (sql == NULL)
		return;
	const char *p = tmpfile_path("v1.db");
	sqlite3 *db = NULL;
	CHECK(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	free(sql);
	CHECK(path_int(p, "PRAGMA user_version") == 1);
	char *receipts = dump(p, "receipt", "id");
	char *conflicts = dump(p, "conflict", "id"), *rejects = dump(p, "reject", "id");
	int64_t nreceipts = path_int(p, "SELECT count(*) FROM receipt");
	int64_t charged = path_int(p, "SELECT sum(gross_sats) FROM receipt WHERE status = 'Charged'");
	CHECK(nreceipts > 20);

	/* read-only handles do not migrate */
	struct lar_ledger *l = NULL;
	struct lar_err e = { 0 };
	struct lar_ledger_opts ro = { .flags = LAR_LEDGER_READONLY };
	CHECK(lar_ledger_open(p, &ro, &l, &e) == LAR_E_INVAL && l == NULL);
	CHECK(path_int(p, "PRAGMA user_version") == 1);

	l = open_ok(p, 0);
	if (l == NULL)
		goto out;
	CHECK(lar_ledger_schema_version(l) == LAR_LEDGER_SCHEMA_VERSION);
	CHECK(path_int(p, "PRAGMA user_version") == LAR_LEDGER_SCHEMA_VERSION);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	/* the v1 columns of every receipt, with the same ids */
	char *after = dump(p,
			   "(SELECT id, receipt_id, revenue_event_id, created_at, created_ticks, created_day, status, "
			   "mcp_tool_id, tool_slug, tool_name, tool_method_name, paying_project_id, agent_id, "
			   "idempotency_key, request_id, mcp_gate_session_id, mcp_gate_token_id, gross_sats, "
			   "platform_fee_sats, net_sats, fee_basis_points, version, attestation_kind, "
			   "attestation_operation, attestation_observed_at, attestation_source, attestation_network, "
			   "attestation_subject_id, attestation_claims, attestation_claims_sha256, verdict, flag_bits, "
			   "flags, payload_b64, signature, key_id, key_fingerprint, source, line, run_id FROM receipt)",
			   "id");
	CHECKM(strcmp(receipts, after) == 0, "receipts changed:\n%.150s\n---\n%.150s", receipts, after);
	free(after);
	after = dump(p, "conflict", "id");
	CHECK(strcmp(conflicts, after) == 0 && strstr(after, "mcp_receipt_") != NULL);
	free(after);
	after = dump(p, "reject", "id");
	CHECK(strcmp(rejects, after) == 0 && strstr(after, "bad_signature") != NULL);
	free(after);
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0);
	CHECK(double_charge_mismatches(p) == 0);
	CHECK(path_int(p, "SELECT count(*) FROM double_charge") == 2); /* the sample's retry storm */
	CHECK(key_mismatches(p) == 0);
	CHECK(path_int(p, "SELECT count(*) FROM receipt_key WHERE level = 1") == nreceipts);
	CHECK(filter_mismatches(p, "receipt_key") == 0 && filter_mismatches(p, "charge_key") == 0);
	sqlite3 *raw = raw_open(p);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		CHECK(strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0);
	sqlite3_finalize(st);
	sqlite3_close(raw);

	/* the objects are those of a new ledger, byte for byte */
	const char *fresh = tmpfile_path("v2-fresh.db");
	struct lar_ledger *f = open_ok(fresh, 0);
	lar_ledger_close(f);
	char *want = schema_dump(fresh), *have = schema_dump(p);
	if (strcmp(want, have) != 0)
		fprintf(stderr, "migrated schema:\n%s\n--- new ledger:\n%s\n", have, want);
	CHECKM(strcmp(want, have) == 0, "the migrated schema differs from a new ledger's");
	free(want);
	free(have);

	/* the report queries see the sample's findings and sums */
	struct lar_sums sums;
	int64_t test, other;
	CHECK(lar_ledger_status_totals(l, NULL, &sums, &test, &other, &e) == LAR_OK);
	CHECK(sums.gross_sats == charged && sums.count + test + other == nreceipts);
	struct collect c = { .n = 0 };
	CHECK(lar_ledger_double_charges(l, collect_fn, &c, &e) == LAR_OK && c.n == 2);

	/* the keys the migration computed are the ones import computes: every
	 * stored receipt read again is present, and a new charge under a stored
	 * (tool, project, key) joins that double charge */
	raw = raw_open(p);
	CHECK(sqlite3_prepare_v2(raw,
				 "SELECT receipt_id, CAST(payload AS TEXT), mcp_tool_id, paying_project_id, idempotency_key "
				 "FROM main.receipt WHERE status = 'Charged' AND idempotency_key IS NOT NULL "
				 "AND id NOT IN (SELECT receipt FROM double_charge) ORDER BY id",
				 -1, &st, NULL) == SQLITE_OK);
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "again.jsonl", &e) == LAR_OK);
	int present = 0, rows = 0;
	char rid[128], pay[4096], tool[64], project[64], key[128];
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(rid, sizeof rid, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(pay, sizeof pay, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(tool, sizeof tool, "%s", (const char *)sqlite3_column_text(st, 2));
		const unsigned char *pr = sqlite3_column_text(st, 3);
		snprintf(project, sizeof project, "%s", pr ? (const char *)pr : "");
		snprintf(key, sizeof key, "%s", (const char *)sqlite3_column_text(st, 4));
		struct spec sp = { .rid = rid, .payload = pay, .tool = tool, .project = pr ? project : NULL,
				   .key = key, .gross = 1, .net = 1 };
		struct lar_verdict v;
		enum lar_ledger_outcome oc;
		mkv(&v, &sp);
		CHECK(lar_ledger_add(l, &v, 1, &oc, &e) == LAR_OK);
		present += oc == LAR_LEDGER_PRESENT;
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(raw);
	CHECK(rows > 5 && present == rows);
	struct spec again = { .rid = "mcp_receipt_after_migration", .tool = tool, .key = key, .gross = 1, .net = 1,
			      .project = project[0] ? project : NULL };
	struct lar_verdict v;
	mkv(&v, &again);
	CHECK(lar_ledger_add(l, &v, 2, NULL, &e) == LAR_OK);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	CHECK(path_int(p, "SELECT count(*) FROM double_charge") == 4);
	CHECK(double_charge_mismatches(p) == 0);
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0);
	lar_ledger_close(l);
out:
	free(receipts);
	free(conflicts);
	free(rejects);
}

/* Keys computed apart (lar_ledger_keys, as import does on its verifying
 * thread) store and find exactly what lar_ledger_add does. */
static void test_keyed(void)
{
	const char *p = tmpfile_path("keyed.db");
	struct lar_ledger *l = open_ok(p, 0);
	struct lar_err e = { 0 };
	if (l == NULL)
		return;
	struct lar_verdict v, w;
	struct lar_ledger_keys k, kw;
	enum lar_ledger_outcome oc;
	struct spec charged = { .rid = "mcp_receipt_keyed", .key = "idem-1", .project = "p1", .gross = 5,
				.fee = 1, .net = 4 };
	struct spec again = charged, test = charged, unkeyed = charged;
	again.rid = "mcp_receipt_keyed_again"; /* the same charge: a double charge */
	test.rid = "mcp_receipt_keyed_test";
	test.status = "Test";
	unkeyed.rid = "mcp_receipt_keyed_unkeyed";
	unkeyed.key = NULL;
	mkv(&v, &charged);
	CHECK(lar_ledger_keys(&v, &k, &e) == LAR_OK && k.charged);
	mkv(&w, &again);
	CHECK(lar_ledger_keys(&w, &kw, &e) == LAR_OK && kw.charged && kw.charge == k.charge &&
	      kw.receipt != k.receipt);
	mkv(&w, &test);
	CHECK(lar_ledger_keys(&w, &kw, &e) == LAR_OK && !kw.charged);
	mkv(&w, &unkeyed);
	CHECK(lar_ledger_keys(&w, &kw, &e) == LAR_OK && !kw.charged);
	w.status = LAR_V_FAIL;
	CHECK(lar_ledger_keys(&w, &kw, &e) == LAR_E_INVAL);

	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "keyed.jsonl", &e) == LAR_OK);
	CHECK(lar_ledger_add_keyed(l, &v, &k, 1, &oc, &e) == LAR_OK && oc == LAR_LEDGER_IMPORTED);
	CHECK(lar_ledger_add(l, &v, 2, &oc, &e) == LAR_OK && oc == LAR_LEDGER_PRESENT);
	mkv(&w, &again);
	CHECK(lar_ledger_keys(&w, &kw, &e) == LAR_OK);
	CHECK(lar_ledger_add_keyed(l, &w, &kw, 3, &oc, &e) == LAR_OK && oc == LAR_LEDGER_IMPORTED);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "keyed2.jsonl", &e) == LAR_OK);
	CHECK(lar_ledger_add_keyed(l, &w, &kw, 1, &oc, &e) == LAR_OK && oc == LAR_LEDGER_PRESENT);
	CHECK(lar_ledger_add_keyed(l, &v, &k, 2, &oc, &e) == LAR_OK && oc == LAR_LEDGER_PRESENT);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	CHECK(path_int(p, "SELECT count(*) FROM double_charge") == 2);
	CHECK(key_mismatches(p) == 0 && double_charge_mismatches(p) == 0);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	lar_ledger_close(l);
}

/* A ledger written by schema version 2 (tests/data/ledger-v2.sql, all of
 * its keys at level 0 and no stored filter) is migrated on open: every row
 * kept, level 0's filters stored, the objects exactly as a new ledger has
 * them, and every receipt read again found present. */
static void test_migrate_v2(void)
{
	static const char *const tables[][2] = {
		{ "receipt", "id" },
		{ "conflict", "id" },
		{ "reject", "id" },
		{ "receipt_key", "level, key, receipt" },
		{ "charge_key", "level, key, receipt" },
		{ DAY_SUMS, DAY_SUMS_ORDER }, /* its rows get ids (schema version 4) */
		{ "day_tool_summary", "created_day, status, mcp_tool_id, tool_slug, tool_method_name, key_id" },
		{ "double_charge", "receipt" },
		{ "import_file", "id" },
	};
	enum { NT = sizeof tables / sizeof tables[0] };
	size_t n;
	char *sql = source_file("tests/data/ledger-v2.sql", &n);
	if (sql == NULL)
		return;
	const char *p = tmpfile_path("v2.db");
	sqlite3 *db = NULL;
	CHECK(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	free(sql);
	CHECK(path_int(p, "PRAGMA user_version") == 2);
	CHECK(path_int(p, "SELECT count(*) FROM key_filter") == 0);
	char *before[NT] = { NULL };
	for (int i = 0; i < NT; i++)
		before[i] = dump(p, tables[i][0], tables[i][1]);
	int64_t nreceipts = path_int(p, "SELECT count(*) FROM receipt");
	CHECK(nreceipts > 20 && path_int(p, "SELECT count(*) FROM receipt_key WHERE level = 0") == nreceipts);

	struct lar_err e = { 0 };
	struct lar_ledger *l = open_ok(p, 0);
	if (l == NULL)
		goto out;
	CHECK(lar_ledger_schema_version(l) == LAR_LEDGER_SCHEMA_VERSION);
	CHECK(path_int(p, "PRAGMA user_version") == LAR_LEDGER_SCHEMA_VERSION);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	for (int i = 0; i < NT; i++) {
		char *after = dump(p, tables[i][0], tables[i][1]);
		CHECKM(strcmp(before[i], after) == 0, "%s changed by the migration", tables[i][0]);
		free(after);
	}
	CHECK(path_int(p, "SELECT keys FROM key_filter WHERE name = 'receipt_key level 0'") == nreceipts);
	CHECK(path_int(p, "SELECT keys FROM key_filter WHERE name = 'charge_key level 0'") ==
	      path_int(p, "SELECT count(*) FROM charge_key"));
	CHECK(level_filter_mismatches(p, "receipt_key", 0) == 0 && level_filter_mismatches(p, "charge_key", 0) == 0);
	CHECK(path_int(p, "SELECT count(*) FROM key_filter WHERE name IN ('receipt_key', 'charge_key')") == 0);
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0);

	/* the objects are those of a new ledger, byte for byte */
	const char *fresh = tmpfile_path("v3-fresh.db");
	struct lar_ledger *f = open_ok(fresh, 0);
	lar_ledger_close(f);
	char *want = schema_dump(fresh), *have = schema_dump(p);
	if (strcmp(want, have) != 0)
		fprintf(stderr, "migrated schema:\n%s\n--- new ledger:\n%s\n", have, want);
	CHECKM(strcmp(want, have) == 0, "the migrated schema differs from a new ledger's");
	free(want);
	free(have);

	/* every stored receipt read again (through the stored filters) is present */
	lar_ledger_close(l);
	l = open_ok(p, 0);
	if (l == NULL)
		goto out;
	sqlite3 *raw = raw_open(p);
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_prepare_v2(raw, "SELECT receipt_id, CAST(payload AS TEXT) FROM main.receipt ORDER BY id",
				 -1, &st, NULL) == SQLITE_OK);
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "again.jsonl", &e) == LAR_OK);
	int present = 0, rows = 0;
	char rid[128], pay[4096];
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(rid, sizeof rid, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(pay, sizeof pay, "%s", (const char *)sqlite3_column_text(st, 1));
		struct spec sp = { .rid = rid, .payload = pay, .gross = 1, .net = 1 };
		struct lar_verdict v;
		enum lar_ledger_outcome oc;
		mkv(&v, &sp);
		CHECK(lar_ledger_add(l, &v, 1, &oc, &e) == LAR_OK);
		present += oc == LAR_LEDGER_PRESENT;
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(raw);
	CHECK(rows == nreceipts && present == rows);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	lar_ledger_close(l);
out:
	for (int i = 0; i < NT; i++)
		free(before[i]);
}

/* A ledger written by schema version 3 (tests/data/ledger-v3.sql) is
 * migrated on open: receipt_order filled from the receipts, every other
 * table unchanged, the objects exactly as a new ledger has them; then every
 * receipt read again is present, new receipts are added to receipt_order,
 * and export walks the receipts in createdAt order. */
static void test_migrate_v3(void)
{
	static const char *const tables[][2] = {
		{ "receipt", "id" },
		{ "conflict", "id" },
		{ "reject", "id" },
		{ "receipt_key", "level, key, receipt" },
		{ "charge_key", "level, key, receipt" },
		{ "key_filter", "name" },
		{ DAY_SUMS, DAY_SUMS_ORDER }, /* its rows get ids */
		{ "day_tool_summary", "created_day, status, mcp_tool_id, tool_slug, tool_method_name, key_id" },
		{ "double_charge", "receipt" },
		{ "import_file", "id" },
		{ "import_run", "id" },
	};
	enum { NT = sizeof tables / sizeof tables[0] };
	size_t n;
	char *sql = source_file("tests/data/ledger-v3.sql", &n);
	if (sql == NULL)
		return;
	const char *p = tmpfile_path("v3.db");
	sqlite3 *db = NULL;
	CHECK(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	free(sql);
	CHECK(path_int(p, "PRAGMA user_version") == 3);
	char *before[NT] = { NULL };
	for (int i = 0; i < NT; i++)
		before[i] = dump(p, tables[i][0], tables[i][1]);
	int64_t nreceipts = path_int(p, "SELECT count(*) FROM receipt");
	int64_t nsums = path_int(p, "SELECT count(*) FROM day_summary");
	CHECK(nreceipts > 20 && nsums > path_int(p, "SELECT count(*) FROM " DAY_SUMS)); /* partial rows */

	struct lar_err e = { 0 };
	struct lar_ledger *l = open_ok(p, 0);
	if (l == NULL)
		goto out;
	CHECK(lar_ledger_schema_version(l) == LAR_LEDGER_SCHEMA_VERSION);
	CHECK(path_int(p, "PRAGMA user_version") == LAR_LEDGER_SCHEMA_VERSION);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	for (int i = 0; i < NT; i++) {
		char *after = dump(p, tables[i][0], tables[i][1]);
		CHECKM(strcmp(before[i], after) == 0, "%s changed by the migration", tables[i][0]);
		free(after);
	}
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0);
	CHECK(path_int(p, "SELECT count(*) FROM receipt_order") == nreceipts);
	CHECK(path_int(p, "SELECT count(*) FROM day_summary") == nsums);

	/* the objects are those of a new ledger, byte for byte */
	const char *fresh = tmpfile_path("v4-fresh.db");
	struct lar_ledger *f = open_ok(fresh, 0);
	lar_ledger_close(f);
	char *want = schema_dump(fresh), *have = schema_dump(p);
	if (strcmp(want, have) != 0)
		fprintf(stderr, "migrated schema:\n%s\n--- new ledger:\n%s\n", have, want);
	CHECKM(strcmp(want, have) == 0, "the migrated schema differs from a new ledger's");
	free(want);
	free(have);

	/* every stored receipt read again is present; new ones, one of them in a
	 * migrated group, are stored after them */
	sqlite3 *raw = raw_open(p);
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_prepare_v2(raw, "SELECT receipt_id, CAST(payload AS TEXT) FROM main.receipt ORDER BY id",
				 -1, &st, NULL) == SQLITE_OK);
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "again.jsonl", &e) == LAR_OK);
	int present = 0, rows = 0;
	char rid[128], pay[4096];
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(rid, sizeof rid, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(pay, sizeof pay, "%s", (const char *)sqlite3_column_text(st, 1));
		struct spec sp = { .rid = rid, .payload = pay, .gross = 1, .net = 1 };
		struct lar_verdict v;
		enum lar_ledger_outcome oc;
		mkv(&v, &sp);
		CHECK(lar_ledger_add(l, &v, 1, &oc, &e) == LAR_OK);
		present += oc == LAR_LEDGER_PRESENT;
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(raw);
	CHECK(rows == nreceipts && present == rows);
	for (size_t i = 0; i < NBATCH; i++) {
		struct lar_verdict v;
		mkv(&v, &batch[i]);
		CHECK(lar_ledger_add(l, &v, i + 1, NULL, &e) == LAR_OK);
	}
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0);
	CHECK(path_int(p, "SELECT count(*) FROM receipt") == nreceipts + (int64_t)NBATCH);

	/* export: every receipt, in createdAt then receiptId order */
	int exported = 0;
	CHECK(lar_ledger_export(l, NULL, count_fn, &exported, &e) == LAR_OK);
	CHECK(exported == nreceipts + (int64_t)NBATCH);
	CHECK(path_int(p, "SELECT count(*) FROM (SELECT r.created_at AS a, r.receipt_id AS i, "
			  "lag(r.created_at) OVER w AS pa, lag(r.receipt_id) OVER w AS pi FROM receipt_order o "
			  "JOIN receipt r ON r.id = o.receipt WINDOW w AS (ORDER BY o.created_day, o.created_ticks, "
			  "o.receipt_id)) WHERE pa > a OR (pa = a AND pi >= i)") == 0);
	lar_ledger_close(l);
out:
	for (int i = 0; i < NT; i++)
		free(before[i]);
}

/* A ledger written by schema version 4 (tests/data/ledger-v4.sql) is
 * migrated on open to version 5: every value of every receipt and conflict
 * is given back by what version 5 keeps (the views of raw_open derive the
 * dropped columns: the base64url text from the decoded payload, the
 * members without a column from it, source and run from import_file); the
 * one receipt whose file had no import_file row (fixture) gets one, with
 * zero counts; every other table unchanged; the objects exactly as a new
 * ledger has them; every receipt read again is present. */
static void test_migrate_v4(void)
{
	static const char *const tables[][2] = {
		{ "receipt", "id" },
		{ "conflict", "id" },
		{ "reject", "id" },
		{ "receipt_key", "level, key, receipt" },
		{ "charge_key", "level, key, receipt" },
		{ "key_filter", "name" },
		{ "day_summary", "id" },
		{ "receipt_order", "created_day, created_ticks, receipt_id" },
		{ "day_tool_summary", "created_day, status, mcp_tool_id, tool_slug, tool_method_name, key_id" },
		{ "double_charge", "receipt" },
		{ "import_run", "id" },
		{ "(SELECT * FROM import_file WHERE source != 'lost.jsonl')", "id" },
	};
	enum { NT = sizeof tables / sizeof tables[0] };
	size_t n;
	char *sql = source_file("tests/data/ledger-v4.sql", &n);
	if (sql == NULL)
		return;
	const char *p = tmpfile_path("v4.db");
	sqlite3 *db = NULL;
	CHECK(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	free(sql);
	CHECK(path_int(p, "PRAGMA user_version") == 4);
	char *before[NT] = { NULL };
	for (int i = 0; i < NT; i++)
		before[i] = dump(p, tables[i][0], tables[i][1]);
	int64_t nreceipts = path_int(p, "SELECT count(*) FROM receipt");
	int64_t nfiles = path_int(p, "SELECT count(*) FROM import_file");
	CHECK(nreceipts > 20 && path_int(p, "SELECT count(*) FROM conflict") >= 1);
	CHECK(path_int(p, "SELECT count(*) FROM receipt WHERE attestation_kind IS NOT NULL") >= 1);
	CHECK(path_int(p, "SELECT count(*) FROM receipt WHERE source = 'lost.jsonl'") == 1);
	CHECK(path_int(p, "SELECT count(*) FROM import_file WHERE source = 'lost.jsonl'") == 0);

	struct lar_err e = { 0 };
	struct lar_ledger *l = open_ok(p, 0);
	if (l == NULL)
		goto out;
	CHECK(lar_ledger_schema_version(l) == LAR_LEDGER_SCHEMA_VERSION);
	CHECK(path_int(p, "PRAGMA user_version") == LAR_LEDGER_SCHEMA_VERSION);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	for (int i = 0; i < NT; i++) {
		char *after = dump(p, tables[i][0], tables[i][1]);
		CHECKM(strcmp(before[i], after) == 0, "%s changed by the migration", tables[i][0]);
		if (strcmp(before[i], after) != 0)
			fprintf(stderr, "before:\n%.2000s\nafter:\n%.2000s\n", before[i], after);
		free(after);
	}
	/* the payload is stored decoded: the views above gave back its text */
	CHECK(path_int(p, "SELECT count(*) FROM main.receipt WHERE typeof(payload) != 'blob'") == 0);
	CHECK(path_int(p, "SELECT count(*) FROM main.conflict WHERE typeof(payload) != 'blob'") == 0);
	CHECK(path_int(p, "SELECT count(*) FROM main.receipt WHERE json_valid(CAST(payload AS TEXT))") ==
	      nreceipts);
	CHECK(path_int(p, "SELECT count(*) FROM import_file") == nfiles + 1);
	CHECK(path_int(p, "SELECT count(*) FROM import_file f JOIN import_run r ON r.id = f.run_id "
			  "WHERE f.source = 'lost.jsonl' AND f.committed_at = r.started_at AND f.records = 0 "
			  "AND f.imported = 0") == 1);
	CHECK(path_int(p, "SELECT count(*) FROM main.receipt WHERE file NOT IN (SELECT id FROM import_file)") ==
	      0);
	CHECK(summary_mismatches(p) == 0 && order_mismatches(p) == 0 && key_mismatches(p) == 0);

	/* the objects are those of a new ledger, byte for byte */
	const char *fresh = tmpfile_path("v5-fresh.db");
	struct lar_ledger *f = open_ok(fresh, 0);
	lar_ledger_close(f);
	char *want = schema_dump(fresh), *have = schema_dump(p);
	if (strcmp(want, have) != 0)
		fprintf(stderr, "migrated schema:\n%s\n--- new ledger:\n%s\n", have, want);
	CHECKM(strcmp(want, have) == 0, "the migrated schema differs from a new ledger's");
	free(want);
	free(have);

	/* every stored receipt read again (the text the ledger decodes) is
	 * present; a changed payload is a conflict */
	sqlite3 *raw = raw_open(p);
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_prepare_v2(raw, "SELECT receipt_id, CAST(payload AS TEXT) FROM main.receipt ORDER BY id",
				 -1, &st, NULL) == SQLITE_OK);
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK);
	CHECK(lar_ledger_file_begin(l, "again.jsonl", &e) == LAR_OK);
	int present = 0, rows = 0;
	char rid[128], pay[4096];
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(rid, sizeof rid, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(pay, sizeof pay, "%s", (const char *)sqlite3_column_text(st, 1));
		struct spec sp = { .rid = rid, .payload = pay, .gross = 1, .net = 1 };
		struct lar_verdict v;
		enum lar_ledger_outcome oc;
		mkv(&v, &sp);
		CHECK(lar_ledger_add(l, &v, 1, &oc, &e) == LAR_OK);
		present += oc == LAR_LEDGER_PRESENT;
		rows++;
		if (rows == 1) {
			pay[strlen(pay) - 1] = ' '; /* the closing brace */
			mkv(&v, &sp);
			CHECK(lar_ledger_add(l, &v, 2, &oc, &e) == LAR_OK && oc == LAR_LEDGER_CONFLICT);
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(raw);
	CHECK(rows == nreceipts && present == rows);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK);
	CHECK(lar_ledger_run_end(l, &e) == LAR_OK);
	CHECK(lar_ledger_check(l, &e) == LAR_OK);
	lar_ledger_close(l);
out:
	for (int i = 0; i < NT; i++)
		free(before[i]);
}

/* What the ledger stores of a payload (its bytes) gives back its text
 * exactly: a strict base64url decoder (SPEC §2.3) accepts exactly the
 * encodings of byte strings, so decode and encode are inverse.  Every text
 * of 2 and 3 characters, every byte string up to 2 bytes, and random ones
 * up to 300. */
static void test_b64url_bijection(void)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char t[512], u[512];
	uint8_t b[400], c[400];
	size_t got;
	int bad = 0, accepted = 0;
	for (int len = 2; len <= 3; len++) {
		for (int i = 0; i < (len == 2 ? 64 * 64 : 64 * 64 * 64); i++) {
			for (int k = 0, x = i; k < len; k++, x /= 64)
				t[k] = abc[x % 64];
			if (lar_b64url_decode(t, (size_t)len, b, &got) != LAR_OK)
				continue;
			accepted++;
			if (lar_b64url_encode(b, got, u) != (size_t)len || memcmp(t, u, (size_t)len) != 0)
				bad++;
		}
	}
	/* 2 characters carry one byte, 3 two: exactly 256 and 65,536 texts */
	CHECK(accepted == 256 + 65536 && bad == 0);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int round = 0; round < 3000; round++) {
		size_t n = round < 300 ? (size_t)round : (size_t)(x % 301);
		for (size_t i = 0; i < n; i++) {
			b[i] = (uint8_t)tap_xorshift(&x);
		}
		size_t m = lar_b64url_encode(b, n, t);
		if (lar_b64url_decode(t, m, c, &got) != LAR_OK || got != n || memcmp(b, c, n) != 0)
			bad++;
		/* a random text of that length: accepted only as an encoding */
		for (size_t i = 0; i < m; i++) {
			t[i] = abc[tap_xorshift(&x) % 64];
		}
		if (lar_b64url_decode(t, m, c, &got) == LAR_OK &&
		    (lar_b64url_encode(c, got, u) != m || memcmp(t, u, m) != 0))
			bad++;
	}
	CHECK(bad == 0);
}

/* A verdict that carries the verifier's decoded payload (payload_json) is
 * stored from it, as the same bytes as a verdict without; one whose bytes
 * are not the text's length is refused. */
static void test_payload_bytes(void)
{
	const char *p = tmpfile_path("payload-json.db");
	struct lar_ledger *l = open_ok(p, 0);
	struct lar_err e = { 0 };
	struct lar_verdict v;
	enum lar_ledger_outcome oc;
	const char *json = "{\"receiptId\":\"mcp_receipt_pj\",\"x\":\"\\u0026\"}";
	struct spec sp = { .rid = "mcp_receipt_pj", .payload = json, .gross = 1, .net = 1 };
	if (l == NULL)
		return;
	CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK && lar_ledger_file_begin(l, "pj.jsonl", &e) == LAR_OK);
	mkv(&v, &sp);
	v.payload_json = (const uint8_t *)json;
	v.payload_json_len = strlen(json) - 1;
	CHECK(lar_ledger_add(l, &v, 1, &oc, &e) == LAR_E_INVAL);
	v.payload_json_len = strlen(json);
	CHECK(lar_ledger_add(l, &v, 1, &oc, &e) == LAR_OK && oc == LAR_LEDGER_IMPORTED);
	mkv(&v, &sp); /* the same text, decoded by the ledger */
	CHECK(lar_ledger_add(l, &v, 2, &oc, &e) == LAR_OK && oc == LAR_LEDGER_PRESENT);
	CHECK(lar_ledger_file_commit(l, &e) == LAR_OK && lar_ledger_run_end(l, &e) == LAR_OK);
	lar_ledger_close(l);
	CHECK(path_int(p, "SELECT count(*) FROM main.receipt WHERE CAST(payload AS TEXT) = "
			  "'{\"receiptId\":\"mcp_receipt_pj\",\"x\":\"\\u0026\"}' AND file = "
			  "(SELECT id FROM import_file WHERE source = 'pj.jsonl')") == 1);
}

/* SQL test_group_key(...): schemas/ledger.sql's summary_group key of the
 * arguments, 64-bit FNV-1a of them joined by LF, NULL as '-' */
static void test_group_key_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 0; i < argc; i++) {
		const unsigned char *t = sqlite3_value_text(argv[i]);
		int n = t ? sqlite3_value_bytes(argv[i]) : 1;
		if (i > 0)
			h = (h ^ '\n') * 0x100000001b3ull;
		for (int k = 0; k < n; k++)
			h = (h ^ (t ? t[k] : '-')) * 0x100000001b3ull;
	}
	sqlite3_result_int64(ctx, (int64_t)h);
}

/* summary_group (schemas/ledger.sql): a group's row is at the key of
 * its fields; when other fields hold that id (planted here, as two groups
 * whose keys collide would), the group takes the next id, and the sums
 * still name the right fields. */
static void test_summary_group(void)
{
	const char *p = tmpfile_path("groups.db");
	struct lar_ledger *l = open_ok(p, 0);
	struct lar_err e = { 0 };
	struct lar_verdict v;
	if (l == NULL)
		return;
	lar_ledger_close(l);
	/* the key of the group of the receipts below (mkv's defaults) */
	sqlite3 *db = raw_open(p);
	sqlite3_create_function(db, "test_group_key", -1, SQLITE_UTF8, NULL, test_group_key_fn, NULL, NULL);
	int64_t key = raw_int(db, "SELECT test_group_key('Charged', 'e3e70682-c209-4cac-a29f-6fbed82c07cd', "
					"'weather-api', 'search', 'p1', NULL, 'liveauth-mcp-receipt-v1')");
	char sql[512];
	snprintf(sql, sizeof sql,
		 "INSERT INTO summary_group VALUES (%lld, 'Charged', 't', 's', 'm', NULL, NULL, 'k')",
		 (long long)key);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);

	l = open_ok(p, 0);
	if (l == NULL)
		return;
	for (int round = 0; round < 2; round++) {
		CHECK(lar_ledger_run_begin(l, "t", &e) == LAR_OK &&
		      lar_ledger_file_begin(l, "g.jsonl", &e) == LAR_OK);
		for (int i = 0; i < 3; i++) {
			char rid[64];
			snprintf(rid, sizeof rid, "mcp_receipt_group_%d_%d", round, i);
			struct spec sp = { .rid = rid, .project = "p1", .gross = 10, .net = 10,
					   .created = i ? "2026-03-05T00:00:00.0000000Z" : NULL };
			mkv(&v, &sp);
			CHECK(lar_ledger_add(l, &v, (uint64_t)i + 1, NULL, &e) == LAR_OK);
		}
		CHECK(lar_ledger_file_commit(l, &e) == LAR_OK && lar_ledger_run_end(l, &e) == LAR_OK);
	}
	lar_ledger_close(l);
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM main.summary_group WHERE id = %lld AND paying_project_id = 'p1' "
		 "AND agent_id IS NULL AND tool_slug = 'weather-api'",
		 (long long)(int64_t)((uint64_t)key + 1));
	CHECK(path_int(p, sql) == 1);
	CHECK(path_int(p, "SELECT count(*) FROM main.summary_group") == 2);
	/* two files, two days each: four rows of the one group */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM main.day_summary WHERE grp = %lld",
		 (long long)(int64_t)((uint64_t)key + 1));
	CHECK(path_int(p, sql) == 4);
	CHECK(summary_mismatches(p) == 0);
}

int main(void)
{
	const char *base = getenv("LAR_TMP");
	snprintf(dir, sizeof dir, "%s/test_ledger.XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_schema_source();
	test_create_mode();
	test_refusals();
	test_odd_names();
	test_idempotent();
	test_rollback();
	test_reject_bounds();
	test_many_groups();
	test_held_keys_cleared();
	test_busy();
	test_export_range();
	test_levels();
	test_two_writers();
	test_migrate_v1();
	test_migrate_v2();
	test_migrate_v3();
	test_migrate_v4();
	test_b64url_bijection();
	test_payload_bytes();
	test_summary_group();
	test_keyed();
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (tap_fail == 0 && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
