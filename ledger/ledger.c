/*
 * ledger.c - the SQLite store behind ledger.h (SPEC §4.2): opening,
 * creating and migrating a ledger, the per-file import transactions, and
 * the queries that export and the reports read.
 *
 * This is the only file that includes sqlite3.h and the only one holding
 * SQL apart from the schema text (ledger_schema.c, a copy of
 * schemas/ledger.sql).  Statements are prepared once per handle, on first
 * use, and reused.
 *
 * Not for: deciding verdicts, formatting output, printing.
 */
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mac.h"
#include "timestamp.h"

/* ledger_schema.c */
extern const char lar_ledger_schema_text[];

/* 'LARC', the application_id of schemas/ledger.sql */
#define LEDGER_APP_ID 1279349315
#define LEDGER_PAGE_SIZE "16384" /* of a new ledger */
#define LEDGER_CACHE_KIB "65536" /* page cache per connection: 64 MiB at most */

/* The schema hard-codes these bit numbers (flag_bits & 12288). */
_Static_assert(LAR_R_NONCANONICAL_PAYLOAD == 10 && LAR_R_AMOUNT_MISMATCH == 12 && LAR_R_FEE_MISMATCH == 13 &&
		       LAR_R_UNEXPECTED_STATUS == 17,
	       "schemas/ledger.sql documents the reason bit numbers");
#define DISCREPANCY_BITS ((1u << LAR_R_AMOUNT_MISMATCH) | (1u << LAR_R_FEE_MISMATCH))
_Static_assert(DISCREPANCY_BITS == 12288, "schemas/ledger.sql uses flag_bits & 12288");

struct lar_ledger;
static lar_status migrate_1_to_2(struct lar_ledger *l, struct lar_err *e);

/*
 * Forward migrations: migrations[i] takes a ledger from schema version i + 1
 * to i + 2, inside the open transaction, and must leave it exactly as
 * schemas/ledger.sql creates version i + 2 (tests/test_ledger.c compares the
 * two).  A new ledger is made from the schema text directly.
 */
static lar_status (*const migrations[])(struct lar_ledger *, struct lar_err *) = {
	migrate_1_to_2,
};
_Static_assert(sizeof migrations / sizeof migrations[0] == LAR_LEDGER_SCHEMA_VERSION - 1,
	       "one migration per schema version after the first");

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_RUN_BEGIN,
	ST_RUN_END,
	ST_FILE_ROW,
	ST_INSERT_RECEIPT,
	ST_FIND_RECEIPT_KEY,
	ST_RECEIPT_PAYLOAD,
	ST_ADD_RECEIPT_KEY,
	ST_FIND_CHARGE_KEY,
	ST_CHARGE_MATCH,
	ST_ADD_CHARGE_KEY,
	ST_ADD_DOUBLE,
	ST_LEVEL0_SIZE,
	ST_FILTER_GET,
	ST_FILTER_PUT,
	ST_INSERT_CONFLICT,
	ST_INSERT_REJECT,
	ST_SUM_INSERT,
	ST_TOOL_SUM_UPSERT,
	ST_COUNT
};

/* the v1 receipt columns, in parameter order ?1..?39 of ST_INSERT_RECEIPT */
#define RECEIPT_COLUMNS                                                                                 \
	"receipt_id, revenue_event_id, created_at, created_ticks, created_day, status, mcp_tool_id, "   \
	"tool_slug, tool_name, tool_method_name, paying_project_id, agent_id, idempotency_key, "        \
	"request_id, mcp_gate_session_id, mcp_gate_token_id, gross_sats, platform_fee_sats, net_sats, " \
	"fee_basis_points, version, attestation_kind, attestation_operation, attestation_observed_at, " \
	"attestation_source, attestation_network, attestation_subject_id, attestation_claims, "         \
	"attestation_claims_sha256, verdict, flag_bits, flags, payload_b64, signature, key_id, "        \
	"key_fingerprint, source, line, run_id"

#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_RUN_BEGIN] = "INSERT INTO import_run (started_at, program_version) VALUES (" NOW ", ?1)",
	[ST_RUN_END] =
		"UPDATE import_run SET ended_at = " NOW ", files = ?2, records = ?3, imported = ?4, "
		"present = ?5, conflicts = ?6, flagged = ?7, rejected = ?8, skipped = ?9 WHERE id = ?1",
	[ST_FILE_ROW] =
		"INSERT INTO import_file (run_id, source, committed_at, records, imported, present, "
		"conflicts, flagged, rejected, skipped) VALUES (?1, ?2, " NOW ", ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_INSERT_RECEIPT] =
		"INSERT INTO receipt (" RECEIPT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		"?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, "
		"?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39)",
	/* the receipts under a lookup key, at both levels (schemas/ledger.sql):
	 * two plain seeks, ?2 = 1; ?2 = -1 when the filter of level 1 rules the
	 * key out (no such level: that seek finds nothing at once).  The key
	 * narrows the search, the text decides. */
	[ST_FIND_RECEIPT_KEY] = "SELECT receipt FROM receipt_key WHERE level = 0 AND key = ?1 "
				"UNION ALL SELECT receipt FROM receipt_key WHERE level = ?2 AND key = ?1",
	[ST_RECEIPT_PAYLOAD] = "SELECT payload_b64 FROM receipt WHERE id = ?1 AND receipt_id = ?2",
	[ST_ADD_RECEIPT_KEY] = "INSERT INTO receipt_key (level, key, receipt) VALUES (0, ?1, ?2)",
	[ST_FIND_CHARGE_KEY] = "SELECT receipt FROM charge_key WHERE level = 0 AND key = ?1 "
			       "UNION ALL SELECT receipt FROM charge_key WHERE level = ?2 AND key = ?1",
	[ST_CHARGE_MATCH] = "SELECT 1 FROM receipt WHERE id = ?1 AND mcp_tool_id = ?2 "
			    "AND paying_project_id IS ?3 AND idempotency_key = ?4",
	[ST_ADD_CHARGE_KEY] = "INSERT INTO charge_key (level, key, receipt) VALUES (0, ?1, ?2)",
	[ST_FILTER_GET] = "SELECT rowid, keys, length(bits) FROM key_filter WHERE name = ?1",
	[ST_FILTER_PUT] = "INSERT INTO key_filter (name, keys, bits) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT (name) DO UPDATE SET keys = excluded.keys, bits = excluded.bits",
	/* level 0's size, and the receipt count it is weighed against */
	[ST_LEVEL0_SIZE] = "SELECT (SELECT count(*) FROM receipt_key WHERE level = 0), "
			   "(SELECT count(*) FROM charge_key WHERE level = 0), (SELECT max(id) FROM receipt)",
	[ST_ADD_DOUBLE] = "INSERT INTO double_charge (receipt) VALUES (?1) ON CONFLICT DO NOTHING",
	/* the same parameter numbers as ST_INSERT_RECEIPT, so one binder serves both */
	[ST_INSERT_CONFLICT] =
		"INSERT INTO conflict (receipt_id, created_at, status, gross_sats, "
		"platform_fee_sats, net_sats, verdict, flag_bits, flags, payload_b64, signature, "
		"key_id, key_fingerprint, source, line, run_id) VALUES (?1, ?3, ?6, ?17, ?18, ?19, "
		"?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39) "
		"ON CONFLICT (receipt_id, payload_b64) DO NOTHING",
	[ST_INSERT_REJECT] =
		"INSERT INTO reject (reason, source, line, record_len, record_hash, excerpt, run_id) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		"ON CONFLICT (source, line, reason, record_len, record_hash) DO NOTHING",
	/* ?1..?8 the group (sum_fields order), ?9..?13 the sums */
	[ST_SUM_INSERT] =
		"INSERT INTO day_summary VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	/* ?1..?6 the group (tool_sum_fields order), ?7..?11 the sums to add */
	[ST_TOOL_SUM_UPSERT] =
		"INSERT INTO day_tool_summary VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
		"ON CONFLICT DO UPDATE SET receipts = receipts + ?7, gross_sats = gross_sats + ?8, "
		"platform_fee_sats = platform_fee_sats + ?9, net_sats = net_sats + ?10, "
		"discrepancies = discrepancies + ?11",
};

/*
 * Summary upkeep.  A trigger per receipt would cost about as much as the
 * insert itself, so lar_ledger_add() sums the file's new receipts here, in
 * small open-addressing tables (one per summary table), and sum_flush()
 * writes them inside the file's transaction (at commit, or earlier when
 * SUM_MAX_GROUPS distinct groups are held, which bounds the memory whatever
 * the input).  day_summary gets the partial sums as new rows;
 * day_tool_summary adds them to its one row per group.
 */
#define SUM_MAX_FIELDS 8
#define SUM_MAX_GROUPS 16384
#define SUM_SLOTS (2 * SUM_MAX_GROUPS) /* a power of two; load factor <= 1/2 */

enum sum_field { SF_DAY, SF_STATUS, SF_TOOL, SF_SLUG, SF_METHOD, SF_PROJECT, SF_AGENT, SF_KEY };

struct sum_kind {
	enum stmt_id flush; /* binds the fields to ?1.., then the five sums */
	size_t nfields;
	enum sum_field fields[SUM_MAX_FIELDS]; /* in the table's column order */
};
static const struct sum_kind sum_fine = {
	ST_SUM_INSERT, 8,
	{ SF_DAY, SF_STATUS, SF_TOOL, SF_SLUG, SF_METHOD, SF_PROJECT, SF_AGENT, SF_KEY },
};
static const struct sum_kind sum_tool = {
	ST_TOOL_SUM_UPSERT, 6, { SF_DAY, SF_STATUS, SF_TOOL, SF_SLUG, SF_METHOD, SF_KEY },
};

struct sgroup {
	uint64_t hash;
	struct lar_str f[SUM_MAX_FIELDS]; /* copies in the arena; p == NULL for NULL */
	struct lar_sums s;
};

struct sumtab {
	const struct sum_kind *kind;
	uint64_t seed; /* of the hash: differs from run to run, so that no input
			  can be made to put its groups in one chain */
	struct sgroup *groups; /* SUM_MAX_GROUPS, allocated on first use */
	uint32_t *slots; /* SUM_SLOTS: index + 1 into groups, 0 = empty */
	size_t ngroups;
	struct lar_arena arena;
};

/* A Bloom filter of level 1 of a key table (key_filter in
 * schemas/ledger.sql), read at the start of each file. */
struct keyfilter {
	uint8_t *bits;
	uint64_t nbits; /* 0: no filter, level 1 is read for every key */
	int64_t keys;   /* level-1 keys it holds; -1: not loaded (or stale) */
};

struct lar_ledger {
	sqlite3 *db;
	unsigned flags;
	int busy_ms;
	int version;
	int64_t run_id; /* 0: no run open */
	int in_file;
	int in_read; /* lar_ledger_read_begin nesting */
	char *source; /* current file */
	uint64_t run_files;
	struct lar_ledger_counts file, run;
	sqlite3_stmt *st[ST_COUNT];
	struct sumtab fine, tool; /* day_summary, day_tool_summary */
	int64_t level0_max; /* lookup keys kept at level 0 before a merge is weighed */
	struct keyfilter kf[2]; /* of receipt_key, charge_key: copies of key_filter */
};

static void sum_init(struct sumtab *t, const struct sum_kind *kind);
static void sum_clear(struct sumtab *t);
static void sum_free(struct sumtab *t);
static void sql_key(sqlite3_context *ctx, int argc, sqlite3_value **argv);
static void filter_drop(struct keyfilter *f);
static lar_status filter_build(struct lar_ledger *l, int t, int64_t keys, struct lar_err *e);
static lar_status filter_read(struct lar_ledger *l, int t, struct keyfilter *f, struct lar_err *e);

/* ---- errors ---- */

static lar_status db_fail(struct lar_ledger *l, struct lar_err *e, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return lar_err_set(e, LAR_E_BUSY, "%s: the ledger is locked by another process (waited %d s)",
				   what, l->busy_ms / 1000);
	case SQLITE_NOTADB:
		return lar_err_set(e, LAR_E_INVAL, "not a la-receipt ledger (not a SQLite database)");
	case SQLITE_NOMEM:
		return lar_err_set(e, LAR_E_NOMEM, "%s: out of memory", what);
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		return lar_err_set(e, LAR_E_IO, "%s: %s", what,
				   l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
	default:
		return lar_err_set(e, LAR_E_DB, "%s: %s", what,
				   l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
	}
}

/* ---- statements ---- */

static lar_status stmt(struct lar_ledger *l, enum stmt_id id, sqlite3_stmt **out, struct lar_err *e)
{
	if (l->st[id] == NULL) {
		int rc = sqlite3_prepare_v3(l->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &l->st[id],
					    NULL);
		if (rc != SQLITE_OK)
			return db_fail(l, e, rc, "prepare");
	}
	*out = l->st[id];
	return LAR_OK;
}

/* Run a prepared statement that returns no rows; it is reset afterwards. */
static lar_status run(struct lar_ledger *l, enum stmt_id id, const char *what, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st = stmt(l, id, &s, e);
	if (st != LAR_OK)
		return st;
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(l, e, rc, what);
	return LAR_OK;
}

static int bind_str(sqlite3_stmt *s, int i, struct lar_str v)
{
	if (v.p == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text64(s, i, v.p, v.n, SQLITE_STATIC, SQLITE_UTF8);
}

static int bind_cstr(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static int64_t clamp_u64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static struct lar_str col_str(sqlite3_stmt *s, int i)
{
	struct lar_str r = { NULL, 0 };
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return r;
	const unsigned char *t = sqlite3_column_text(s, i);
	r.n = (size_t)sqlite3_column_bytes(s, i);
	r.p = t ? (const char *)t : "";
	return r;
}

/* A one-off query returning one integer (PRAGMA user_version ...). */
static lar_status query_int(struct lar_ledger *l, const char *sql, int64_t *out, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(l->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*out = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? LAR_OK : db_fail(l, e, rc, "read");
}

/*
 * As query_int, retrying while SQLite reports the database busy without
 * having waited itself.  It does so where waiting could deadlock: two
 * processes both switching a new ledger to WAL, or one reading the header
 * while the other switches.  Gives up after the busy timeout.  The first
 * column is also copied, as text, into text[0..cap) when text is not NULL.
 */
static lar_status query_patient(struct lar_ledger *l, const char *sql, int64_t *out, char *text, size_t cap,
				struct lar_err *e)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	for (int waited_ms = 0;; waited_ms += 10) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(l->db, sql, -1, &s, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(s);
			*out = 0;
			if (text != NULL && cap > 0)
				text[0] = 0;
			if (rc == SQLITE_ROW) {
				*out = sqlite3_column_int64(s, 0);
				if (text != NULL && cap > 0 && sqlite3_column_text(s, 0) != NULL)
					snprintf(text, cap, "%s", (const char *)sqlite3_column_text(s, 0));
				rc = SQLITE_OK;
			} else if (rc == SQLITE_DONE) {
				rc = SQLITE_OK;
			}
		}
		sqlite3_finalize(s);
		if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= l->busy_ms)
			return rc == SQLITE_OK ? LAR_OK : db_fail(l, e, rc, "read");
		nanosleep(&nap, NULL);
	}
}

static lar_status exec(struct lar_ledger *l, const char *sql, const char *what, struct lar_err *e)
{
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? LAR_OK : db_fail(l, e, rc, what);
}

/* ---- open, create, migrate ---- */

const char *lar_ledger_schema_sql(void)
{
	return lar_ledger_schema_text;
}

int lar_ledger_schema_version(const struct lar_ledger *l)
{
	return l->version;
}

/* SPEC §4.2: "a new ledger file is created with mode 0600".  Creating the
 * file ourselves (rather than letting SQLite do it under the umask) is what
 * guarantees the mode; SQLite gives the -wal and -shm files the same mode. */
static lar_status create_file(const char *path, int may_create, struct lar_err *e)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | (may_create ? O_CREAT : 0), 0600);
	if (fd < 0) {
		int err = errno;
		if (err == ENOENT && !may_create)
			return lar_err_sys(e, LAR_E_NOTFOUND, err, "no such ledger");
		return lar_err_sys(e, LAR_E_IO, err, "cannot open: %s", strerror(err));
	}
	struct stat sb;
	lar_status st = LAR_OK;
	if (fstat(fd, &sb) != 0)
		st = lar_err_sys(e, LAR_E_IO, errno, "cannot stat: %s", strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		st = lar_err_set(e, LAR_E_INVAL, "not a regular file");
	close(fd);
	return st;
}

/* Run the statement of the schema text that starts with `start` (a CREATE
 * of the current schema), so that a migration creates each object exactly
 * as a new ledger has it. */
static lar_status exec_schema_stmt(struct lar_ledger *l, const char *start, struct lar_err *e)
{
	const char *p = strstr(lar_ledger_schema_text, start);
	if (p == NULL)
		return lar_err_set(e, LAR_E_DB, "migrate: no '%s' in the schema", start);
	/* the statement ends at the first ';' that completes it (sqlite3_complete
	 * skips those inside comments and strings) */
	for (const char *q = strchr(p, ';'); q != NULL; q = strchr(q + 1, ';')) {
		size_t n = (size_t)(q - p) + 1;
		char *sql = malloc(n + 1);
		if (sql == NULL)
			return lar_err_set(e, LAR_E_NOMEM, "out of memory");
		memcpy(sql, p, n);
		sql[n] = 0;
		int complete = sqlite3_complete(sql);
		lar_status st = complete ? exec(l, sql, "migrate", e) : LAR_OK;
		free(sql);
		if (complete)
			return st;
	}
	return lar_err_set(e, LAR_E_DB, "migrate: '%s' does not end", start);
}

/*
 * Schema 1 -> 2: the receipt table loses its UNIQUE text index on
 * receipt_id (SQLite can only drop it by copying the table, which keeps
 * every id), and the covering index of report dupes; receipt_key,
 * charge_key, key_filter, double_charge and day_tool_summary appear, filled
 * from the receipts (all keys at level 1, and their filters) and from
 * day_summary (whose one row per group is a valid set of partial sums).
 */
static lar_status migrate_1_to_2(struct lar_ledger *l, struct lar_err *e)
{
	static const char *const creates[] = {
		"CREATE INDEX receipt_order ",  "CREATE INDEX receipt_discrepancy ", "CREATE TABLE receipt_key ",
		"CREATE TABLE charge_key ",     "CREATE TABLE double_charge ",       "CREATE INDEX day_summary_day ",
		"CREATE TABLE day_tool_summary ", "CREATE TABLE key_filter ",
	};
	lar_status st;
	if ((st = exec(l,
		       "DROP INDEX receipt_order; DROP INDEX receipt_discrepancy; DROP INDEX receipt_charge_key; "
		       "DROP INDEX day_summary_group; ALTER TABLE receipt RENAME TO receipt_v1",
		       "migrate", e)) != LAR_OK ||
	    (st = exec_schema_stmt(l, "CREATE TABLE receipt (", e)) != LAR_OK ||
	    (st = exec(l,
		       "INSERT INTO receipt (id, " RECEIPT_COLUMNS ") SELECT id, " RECEIPT_COLUMNS
		       " FROM receipt_v1 ORDER BY id; DROP TABLE receipt_v1",
		       "migrate", e)) != LAR_OK)
		return st;
	for (size_t i = 0; i < sizeof creates / sizeof creates[0]; i++)
		if ((st = exec_schema_stmt(l, creates[i], e)) != LAR_OK)
			return st;
	if ((st = exec(l,
		    "INSERT INTO receipt_key (level, key, receipt) SELECT 1, lar_receipt_key(receipt_id), id "
		    "FROM receipt ORDER BY 2, 3; "
		    "INSERT INTO charge_key (level, key, receipt) "
		    "SELECT 1, lar_charge_key(mcp_tool_id, paying_project_id, idempotency_key), id FROM receipt "
		    "WHERE status = 'Charged' AND idempotency_key IS NOT NULL ORDER BY 2, 3; "
		    "INSERT INTO double_charge (receipt) SELECT r.id FROM receipt r "
		    "WHERE r.status = 'Charged' AND r.idempotency_key IS NOT NULL AND EXISTS (SELECT 1 "
		    "FROM receipt o WHERE o.id != r.id AND o.status = 'Charged' AND o.mcp_tool_id = r.mcp_tool_id "
		    "AND o.paying_project_id IS r.paying_project_id AND o.idempotency_key = r.idempotency_key); "
		    "INSERT INTO day_tool_summary SELECT created_day, status, mcp_tool_id, tool_slug, "
		    "tool_method_name, key_id, sum(receipts), sum(gross_sats), sum(platform_fee_sats), "
		    "sum(net_sats), sum(discrepancies) FROM day_summary GROUP BY 1, 2, 3, 4, 5, 6",
		    "migrate", e)) != LAR_OK)
		return st;
	int64_t n[2];
	if ((st = query_int(l, "SELECT count(*) FROM receipt_key", &n[0], e)) != LAR_OK ||
	    (st = query_int(l, "SELECT count(*) FROM charge_key", &n[1], e)) != LAR_OK)
		return st;
	for (int t = 0; t < 2; t++)
		if ((st = filter_build(l, t, n[t], e)) != LAR_OK)
			return st;
	return LAR_OK;
}

/* Bring the ledger to LAR_LEDGER_SCHEMA_VERSION, inside BEGIN IMMEDIATE so
 * two processes opening a new ledger together create it once. */
static lar_status upgrade(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st;
	int64_t ver, app, objects;

	if ((st = exec(l, "BEGIN IMMEDIATE", "open", e)) != LAR_OK)
		return st;
	/* re-read under the lock: another process may have done it meanwhile */
	if ((st = query_int(l, "PRAGMA user_version", &ver, e)) != LAR_OK ||
	    (st = query_int(l, "PRAGMA application_id", &app, e)) != LAR_OK)
		goto out;
	/* every ledger carries its application_id from version 1 on */
	if ((app != 0 || ver != 0) && app != LEDGER_APP_ID) {
		st = lar_err_set(e, LAR_E_INVAL, "not a la-receipt ledger (application_id %lld)",
				 (long long)app);
		goto out;
	}
	if (ver > LAR_LEDGER_SCHEMA_VERSION) {
		st = lar_err_set(e, LAR_E_INVAL,
				 "ledger schema version %lld is newer than this program's (%d)",
				 (long long)ver, LAR_LEDGER_SCHEMA_VERSION);
		goto out;
	}
	if (ver == 0) {
		if (l->flags & LAR_LEDGER_NOCREATE) {
			st = lar_err_set(e, LAR_E_INVAL, "not a la-receipt ledger (empty)");
			goto out;
		}
		if ((st = query_int(l, "SELECT count(*) FROM sqlite_schema", &objects, e)) != LAR_OK)
			goto out;
		if (objects != 0) {
			st = lar_err_set(e, LAR_E_INVAL,
					 "not a la-receipt ledger (a database with other tables)");
			goto out;
		}
		if ((st = exec(l, lar_ledger_schema_text, "create schema", e)) != LAR_OK)
			goto out;
	} else {
		for (int64_t v = ver; v < LAR_LEDGER_SCHEMA_VERSION; v++) {
			char set[64];
			snprintf(set, sizeof set, "PRAGMA user_version = %lld", (long long)v + 1);
			if ((st = migrations[v - 1](l, e)) != LAR_OK || (st = exec(l, set, "migrate", e)) != LAR_OK)
				goto out;
		}
	}
	if ((st = query_int(l, "PRAGMA user_version", &ver, e)) != LAR_OK)
		goto out;
	if (ver != LAR_LEDGER_SCHEMA_VERSION) {
		st = lar_err_set(e, LAR_E_DB, "schema version is %lld after creation, expected %d",
				 (long long)ver, LAR_LEDGER_SCHEMA_VERSION);
		goto out;
	}
	st = exec(l, "COMMIT", "open", e);
out:
	if (st != LAR_OK)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

lar_status lar_ledger_open(const char *path, const struct lar_ledger_opts *opts, struct lar_ledger **out,
			   struct lar_err *e)
{
	lar_status st;
	struct lar_ledger *l = NULL;
	int64_t ver, app;

	*out = NULL;
	l = calloc(1, sizeof *l);
	if (l == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	l->flags = opts ? opts->flags : 0;
	if (l->flags & LAR_LEDGER_READONLY)
		l->flags |= LAR_LEDGER_NOCREATE;
	sum_init(&l->fine, &sum_fine);
	sum_init(&l->tool, &sum_tool);
	l->busy_ms = opts && opts->busy_ms != 0 ? opts->busy_ms : LAR_LEDGER_DEFAULT_BUSY_MS;
	l->level0_max = opts && opts->level0_max > 0 ? opts->level0_max : LAR_LEDGER_DEFAULT_LEVEL0;
	l->kf[0].keys = l->kf[1].keys = -1;
	if (l->busy_ms < 0)
		l->busy_ms = 0;

	if ((st = create_file(path, !(l->flags & LAR_LEDGER_NOCREATE), e)) != LAR_OK)
		goto out;
	int oflags = (l->flags & LAR_LEDGER_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	int rc = sqlite3_open_v2(path, &l->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		st = db_fail(l, e, rc, "open");
		goto out;
	}
	sqlite3_busy_timeout(l->db, l->busy_ms);
	/* SPEC §4.2: a kill at any moment leaves each file wholly in or out;
	 * FULL also makes each commit durable across a power cut.  The cache
	 * holds the index pages an import file touches (LEDGER_CACHE_KIB). */
	if ((st = exec(l,
		       "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
		       "PRAGMA cache_size = -" LEDGER_CACHE_KIB,
		       "open", e)) != LAR_OK)
		goto out;
	for (int i = 0; i < 2; i++) {
		rc = sqlite3_create_function_v2(l->db, i ? "lar_charge_key" : "lar_receipt_key", i ? 3 : 1,
						SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_key, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			st = db_fail(l, e, rc, "open");
			goto out;
		}
	}
	if ((st = query_patient(l, "PRAGMA user_version", &ver, NULL, 0, e)) != LAR_OK ||
	    (st = query_patient(l, "PRAGMA application_id", &app, NULL, 0, e)) != LAR_OK)
		goto out;
	if (app != 0 && app != LEDGER_APP_ID) {
		st = lar_err_set(e, LAR_E_INVAL, "not a la-receipt ledger (application_id %lld)",
				 (long long)app);
		goto out;
	}
	if (ver > LAR_LEDGER_SCHEMA_VERSION) {
		st = lar_err_set(e, LAR_E_INVAL,
				 "ledger schema version %lld is newer than this program's (%d)",
				 (long long)ver, LAR_LEDGER_SCHEMA_VERSION);
		goto out;
	}
	if (ver != 0 && app != LEDGER_APP_ID) {
		st = lar_err_set(e, LAR_E_INVAL, "not a la-receipt ledger (application_id %lld)",
				 (long long)app);
		goto out;
	}
	if (ver < LAR_LEDGER_SCHEMA_VERSION || app != LEDGER_APP_ID) {
		if (ver == 0 && (l->flags & LAR_LEDGER_NOCREATE)) {
			st = lar_err_set(e, LAR_E_INVAL, "not a la-receipt ledger (empty)");
			goto out;
		}
		if (l->flags & LAR_LEDGER_READONLY) {
			st = lar_err_set(e, LAR_E_INVAL,
					 "ledger schema version %lld needs migrating; open it for writing",
					 (long long)ver);
			goto out;
		}
		/* The page size of a new file is set before anything is written:
		 * 16 KiB pages hold ten receipts of about 1.5 KB where 4 KiB pages
		 * held two (a quarter of each page went unused), and an import
		 * writes fewer of them.  WAL cannot be switched on inside a
		 * transaction; it is persistent, so once is enough (a new ledger,
		 * or an old one that somehow lost it). */
		int64_t dummy;
		char mode[16];
		if ((ver == 0 && (st = exec(l, "PRAGMA page_size = " LEDGER_PAGE_SIZE, "open", e)) != LAR_OK) ||
		    (st = query_patient(l, "PRAGMA journal_mode = WAL", &dummy, mode, sizeof mode, e)) != LAR_OK)
			goto out;
		if (strcmp(mode, "wal") != 0) {
			/* SPEC §4.2: readers must not wait for an import */
			st = lar_err_set(e, LAR_E_IO, "cannot use WAL mode on this file system (journal mode %s)",
					 mode);
			goto out;
		}
		if ((st = upgrade(l, e)) != LAR_OK)
			goto out;
	}
	/* SQLite turns a cache size in KiB into pages with the page size it
	 * knows when the pragma runs, which may have been the 4 KiB default
	 * before the file was read or created: say it again now. */
	if ((st = exec(l, "PRAGMA cache_size = -" LEDGER_CACHE_KIB, "open", e)) != LAR_OK)
		goto out;
	l->version = LAR_LEDGER_SCHEMA_VERSION;
	*out = l;
	return LAR_OK;
out:
	lar_ledger_close(l);
	return st;
}

void lar_ledger_close(struct lar_ledger *l)
{
	if (l == NULL)
		return;
	if (l->in_file)
		lar_ledger_file_rollback(l);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(l->st[i]);
	sqlite3_close(l->db);
	free(l->source);
	sum_free(&l->fine);
	sum_free(&l->tool);
	filter_drop(&l->kf[0]);
	filter_drop(&l->kf[1]);
	free(l);
}

/* ---- import ---- */

lar_status lar_ledger_run_begin(struct lar_ledger *l, const char *program_version, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;

	if (l->run_id != 0 || (l->flags & LAR_LEDGER_READONLY))
		return lar_err_set(e, LAR_E_STATE, "run_begin: a run is open or the ledger is read-only");
	if ((st = stmt(l, ST_RUN_BEGIN, &s, e)) != LAR_OK)
		return st;
	bind_cstr(s, 1, program_version);
	if ((st = run(l, ST_RUN_BEGIN, "start import run", e)) != LAR_OK)
		return st;
	l->run_id = sqlite3_last_insert_rowid(l->db);
	l->run_files = 0;
	memset(&l->run, 0, sizeof l->run);
	memset(&l->file, 0, sizeof l->file);
	return LAR_OK;
}

int64_t lar_ledger_run_id(const struct lar_ledger *l)
{
	return l->run_id;
}

lar_status lar_ledger_file_begin(struct lar_ledger *l, const char *source, struct lar_err *e)
{
	lar_status st;

	if (l->run_id == 0 || l->in_file)
		return lar_err_set(e, LAR_E_STATE, "file_begin: no run open, or a file is open");
	free(l->source);
	l->source = strdup(source);
	if (l->source == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	/* BEGIN IMMEDIATE takes the write lock now, so a concurrent import is
	 * waited for here (busy timeout) rather than failing mid-file. */
	if ((st = run(l, ST_BEGIN, "begin file", e)) != LAR_OK)
		return st;
	/* another import may have merged keys since the last file */
	if ((st = filter_read(l, 0, &l->kf[0], e)) != LAR_OK ||
	    (st = filter_read(l, 1, &l->kf[1], e)) != LAR_OK) {
		run(l, ST_ROLLBACK, "rollback", NULL);
		return st;
	}
	l->in_file = 1;
	memset(&l->file, 0, sizeof l->file);
	sum_clear(&l->fine);
	sum_clear(&l->tool);
	return LAR_OK;
}

static void flags_text(uint32_t bits, char *out, size_t cap)
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

/* Bind the ?1..?39 of ST_INSERT_RECEIPT (also used by ST_INSERT_CONFLICT,
 * whose parameter numbers are a subset). */
static void bind_receipt(struct lar_ledger *l, sqlite3_stmt *s, const struct lar_verdict *v, const char *day,
			 const char *flags, uint64_t line)
{
	const struct lar_payload *p = &v->p;
	struct lar_str none = { NULL, 0 };
	int att = p->has_attestation;
	bind_str(s, 1, p->receipt_id);
	bind_str(s, 2, p->revenue_event_id);
	bind_str(s, 3, p->created_at);
	sqlite3_bind_int64(s, 4, p->created);
	sqlite3_bind_text(s, 5, day, 10, SQLITE_STATIC);
	bind_str(s, 6, p->status);
	bind_str(s, 7, p->mcp_tool_id);
	bind_str(s, 8, p->tool_slug);
	bind_str(s, 9, p->tool_name);
	bind_str(s, 10, p->tool_method_name);
	bind_str(s, 11, p->paying_project_id);
	bind_str(s, 12, p->agent_id);
	bind_str(s, 13, p->idempotency_key);
	bind_str(s, 14, p->request_id);
	bind_str(s, 15, p->mcp_gate_session_id);
	bind_str(s, 16, p->mcp_gate_token_id);
	sqlite3_bind_int64(s, 17, p->gross_sats);
	sqlite3_bind_int64(s, 18, p->platform_fee_sats);
	sqlite3_bind_int64(s, 19, p->net_sats);
	sqlite3_bind_int64(s, 20, p->fee_basis_points);
	bind_str(s, 21, p->version);
	bind_str(s, 22, att ? p->attestation_kind : none);
	bind_str(s, 23, att ? p->attestation_operation : none);
	bind_str(s, 24, att ? p->attestation_observed_at : none);
	bind_str(s, 25, att ? p->attestation_source : none);
	bind_str(s, 26, att ? p->attestation_network : none);
	bind_str(s, 27, att ? p->attestation_subject_id : none);
	bind_str(s, 28, att ? p->attestation_claims : none);
	bind_str(s, 29, att ? p->attestation_claims_sha256 : none);
	bind_cstr(s, 30, v->status == LAR_V_FLAG ? "flag" : "ok");
	sqlite3_bind_int64(s, 31, (int64_t)(v->reasons & ~((1u << LAR_R_FIRST_FLAG) - 1)));
	bind_cstr(s, 32, flags);
	bind_str(s, 33, v->payload_b64);
	bind_str(s, 34, v->signature);
	bind_str(s, 35, v->key_id);
	bind_cstr(s, 36, v->key->fingerprint_hex);
	bind_cstr(s, 37, l->source);
	sqlite3_bind_int64(s, 38, clamp_u64(line));
	sqlite3_bind_int64(s, 39, l->run_id);
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

static void sum_init(struct sumtab *t, const struct sum_kind *kind)
{
	struct timespec ts;
	memset(t, 0, sizeof *t);
	t->kind = kind;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->seed = mix(mix((uint64_t)(uintptr_t)t, (uint64_t)ts.tv_nsec), (uint64_t)ts.tv_sec);
	lar_arena_init(&t->arena, 0);
}

static void sum_clear(struct sumtab *t)
{
	if (t->slots != NULL)
		memset(t->slots, 0, SUM_SLOTS * sizeof *t->slots);
	t->ngroups = 0;
	lar_arena_reset(&t->arena);
}

static void sum_free(struct sumtab *t)
{
	free(t->groups);
	free(t->slots);
	lar_arena_free(&t->arena);
}

/* Write every held group to its table (in the open transaction). */
static lar_status sum_flush(struct lar_ledger *l, struct sumtab *t, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;
	size_t nf = t->kind->nfields;
	if (t->ngroups == 0)
		return LAR_OK;
	if ((st = stmt(l, t->kind->flush, &s, e)) != LAR_OK)
		return st;
	for (size_t i = 0; i < t->ngroups; i++) {
		const struct sgroup *g = &t->groups[i];
		for (size_t f = 0; f < nf; f++)
			bind_str(s, (int)f + 1, g->f[f]);
		sqlite3_bind_int64(s, (int)nf + 1, g->s.count);
		sqlite3_bind_int64(s, (int)nf + 2, g->s.gross_sats);
		sqlite3_bind_int64(s, (int)nf + 3, g->s.platform_fee_sats);
		sqlite3_bind_int64(s, (int)nf + 4, g->s.net_sats);
		sqlite3_bind_int64(s, (int)nf + 5, g->s.discrepancies);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		if (rc != SQLITE_DONE)
			return db_fail(l, e, rc, "update summary");
	}
	sum_clear(t);
	return LAR_OK;
}

static int str_same(struct lar_str a, struct lar_str b)
{
	if (a.p == NULL || b.p == NULL)
		return a.p == b.p;
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* Count a newly stored receipt in its group of t.  all[] holds every
 * sum_field's value for the receipt. */
static lar_status sum_add(struct lar_ledger *l, struct sumtab *t, const struct lar_str *all,
			  const struct lar_verdict *v, struct lar_err *e)
{
	const struct lar_payload *p = &v->p;
	size_t nf = t->kind->nfields;
	struct lar_str f[SUM_MAX_FIELDS];
	uint64_t h = t->seed;
	for (size_t i = 0; i < nf; i++) {
		f[i] = all[t->kind->fields[i]];
		/* the length (or a null mark) keeps ("ab","c") apart from ("a","bc") */
		h = mix(h, f[i].p ? (uint64_t)f[i].n : UINT64_MAX);
		if (f[i].p)
			h = hash_step(h, f[i].p, f[i].n);
	}
	if (t->groups == NULL) {
		t->groups = malloc(SUM_MAX_GROUPS * sizeof *t->groups);
		t->slots = calloc(SUM_SLOTS, sizeof *t->slots);
		if (t->groups == NULL || t->slots == NULL)
			return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	}
	size_t mask = SUM_SLOTS - 1, i = (size_t)h & mask;
	struct sgroup *g = NULL;
	for (; t->slots[i] != 0; i = (i + 1) & mask) {
		struct sgroup *c = &t->groups[t->slots[i] - 1];
		int same = c->hash == h;
		for (size_t k = 0; same && k < nf; k++)
			same = str_same(c->f[k], f[k]);
		if (same) {
			g = c;
			break;
		}
	}
	if (g == NULL) {
		if (t->ngroups == SUM_MAX_GROUPS) {
			lar_status st = sum_flush(l, t, e);
			if (st != LAR_OK)
				return st;
			return sum_add(l, t, all, v, e);
		}
		g = &t->groups[t->ngroups];
		memset(g, 0, sizeof *g);
		g->hash = h;
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
		t->slots[i] = (uint32_t)++t->ngroups;
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
static void sql_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct lar_str parts[3];
	int64_t k;
	for (int i = 0; i < argc && i < 3; i++) {
		parts[i].p = (const char *)sqlite3_value_text(argv[i]);
		parts[i].n = parts[i].p ? (size_t)sqlite3_value_bytes(argv[i]) : 0;
	}
	if (lookup_key(parts, (size_t)argc, &k, NULL) != LAR_OK) {
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
		return 1;
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
	f->keys = -1;
}

/* Read table t's filter row into f (LAR_OK with f->nbits == 0 when there is
 * none).  Skipped when f already holds the row's version: `keys` only grows,
 * with every merge. */
static lar_status filter_read(struct lar_ledger *l, int t, struct keyfilter *f, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	sqlite3_blob *blob = NULL;
	lar_status st;
	if ((st = stmt(l, ST_FILTER_GET, &s, e)) != LAR_OK)
		return st;
	bind_cstr(s, 1, key_tables[t]);
	int rc = sqlite3_step(s);
	int64_t rowid = 0, keys = 0, len = 0;
	if (rc == SQLITE_ROW) {
		rowid = sqlite3_column_int64(s, 0);
		keys = sqlite3_column_int64(s, 1);
		len = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(l, e, rc, "read key filter");
	if (rc == SQLITE_DONE || len <= 0) {
		filter_drop(f);
		return LAR_OK;
	}
	if (f->bits != NULL && f->keys == keys && f->nbits == (uint64_t)len * 8)
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
		return db_fail(l, e, rc, "read key filter");
	}
	f->nbits = (uint64_t)len * 8;
	f->keys = keys;
	return LAR_OK;
}

static lar_status filter_write(struct lar_ledger *l, int t, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;
	const struct keyfilter *f = &l->kf[t];
	if ((st = stmt(l, ST_FILTER_PUT, &s, e)) != LAR_OK)
		return st;
	bind_cstr(s, 1, key_tables[t]);
	sqlite3_bind_int64(s, 2, f->keys);
	sqlite3_bind_blob64(s, 3, f->bits, f->nbits / 8, SQLITE_STATIC);
	return run(l, ST_FILTER_PUT, "write key filter", e);
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
		return db_fail(l, e, rc, "read keys");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(f, sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? LAR_OK : db_fail(l, e, rc, "read keys");
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

/*
 * Is receiptId v->p.receipt_id stored?  Its candidates are the receipts
 * under its lookup key; a key shared by another receiptId yields a
 * candidate whose text does not match.  *stored, and *same when the stored
 * signed payload text is v's.
 */
static lar_status find_receipt(struct lar_ledger *l, const struct lar_verdict *v, int64_t key, int *stored,
			       int *same, struct lar_err *e)
{
	sqlite3_stmt *f = NULL, *m = NULL;
	lar_status st;
	int rc;
	*stored = *same = 0;
	if ((st = stmt(l, ST_FIND_RECEIPT_KEY, &f, e)) != LAR_OK ||
	    (st = stmt(l, ST_RECEIPT_PAYLOAD, &m, e)) != LAR_OK)
		return st;
	sqlite3_bind_int64(f, 1, key);
	sqlite3_bind_int64(f, 2, filter_maybe(&l->kf[0], key) ? 1 : -1);
	while (!*stored && (rc = sqlite3_step(f)) == SQLITE_ROW) {
		sqlite3_bind_int64(m, 1, sqlite3_column_int64(f, 0));
		bind_str(m, 2, v->p.receipt_id);
		rc = sqlite3_step(m);
		if (rc == SQLITE_ROW) {
			struct lar_str have = col_str(m, 0);
			*stored = 1;
			*same = have.p != NULL && have.n == v->payload_b64.n &&
				memcmp(have.p, v->payload_b64.p, have.n) == 0;
			rc = SQLITE_DONE;
		}
		sqlite3_reset(m);
		sqlite3_clear_bindings(m);
		if (rc != SQLITE_DONE)
			break;
	}
	sqlite3_reset(f);
	return rc == SQLITE_DONE ? LAR_OK : db_fail(l, e, rc, "read stored receipt");
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
	int rc;
	*n = 0;
	if ((st = stmt(l, ST_FIND_CHARGE_KEY, &f, e)) != LAR_OK ||
	    (st = stmt(l, ST_CHARGE_MATCH, &m, e)) != LAR_OK)
		return st;
	sqlite3_bind_int64(f, 1, key);
	sqlite3_bind_int64(f, 2, filter_maybe(&l->kf[1], key) ? 1 : -1);
	while (*n < 2 && (rc = sqlite3_step(f)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(f, 0);
		sqlite3_bind_int64(m, 1, id);
		bind_str(m, 2, p->mcp_tool_id);
		bind_str(m, 3, p->paying_project_id);
		bind_str(m, 4, p->idempotency_key);
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
	if (*n >= 2)
		rc = SQLITE_DONE;
	sqlite3_reset(f);
	return rc == SQLITE_DONE ? LAR_OK : db_fail(l, e, rc, "find charges");
}

/* Run a prepared statement with two integer parameters and no rows. */
static lar_status run_ints(struct lar_ledger *l, enum stmt_id id, int64_t a, int64_t b, const char *what,
			   struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;
	if ((st = stmt(l, id, &s, e)) != LAR_OK)
		return st;
	sqlite3_bind_int64(s, 1, a);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, b);
	return run(l, id, what, e);
}

/* Store a receipt whose receiptId is not in the ledger yet, with its keys. */
static lar_status store_new(struct lar_ledger *l, const struct lar_verdict *v, const char *day,
			    const char *flags, uint64_t line, int64_t rkey, struct lar_err *e)
{
	const struct lar_payload *p = &v->p;
	sqlite3_stmt *s = NULL;
	lar_status st;
	int64_t ckey = 0, first = 0;
	int nmatch = 0;
	/* SPEC §4 report dupes: a double charge is several Charged receipts
	 * under one (tool, paying project, idempotency key) */
	int keyed = p->idempotency_key.p != NULL && p->status.p != NULL && p->status.n == 7 &&
		    memcmp(p->status.p, "Charged", 7) == 0;
	if (keyed) {
		if ((st = charge_key(p->mcp_tool_id, p->paying_project_id, p->idempotency_key, &ckey, e)) !=
			    LAR_OK ||
		    (st = find_charges(l, p, ckey, &first, &nmatch, e)) != LAR_OK)
			return st;
	}
	if ((st = stmt(l, ST_INSERT_RECEIPT, &s, e)) != LAR_OK)
		return st;
	bind_receipt(l, s, v, day, flags, line);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return db_fail(l, e, rc, "store receipt");
	int64_t id = sqlite3_last_insert_rowid(l->db);
	if ((st = run_ints(l, ST_ADD_RECEIPT_KEY, rkey, id, "store receipt key", e)) != LAR_OK ||
	    (keyed && (st = run_ints(l, ST_ADD_CHARGE_KEY, ckey, id, "store charge key", e)) != LAR_OK))
		return st;
	if (nmatch > 0) {
		/* with one match, that one becomes part of a double charge now;
		 * with two or more, they already are */
		if ((nmatch == 1 && (st = run_ints(l, ST_ADD_DOUBLE, first, 0, "record double charge", e)) !=
					    LAR_OK) ||
		    (st = run_ints(l, ST_ADD_DOUBLE, id, 0, "record double charge", e)) != LAR_OK)
			return st;
	}
	struct lar_str all[SUM_MAX_FIELDS] = {
		[SF_DAY] = { day, 10 },
		[SF_STATUS] = p->status,
		[SF_TOOL] = p->mcp_tool_id,
		[SF_SLUG] = p->tool_slug,
		[SF_METHOD] = p->tool_method_name,
		[SF_PROJECT] = p->paying_project_id,
		[SF_AGENT] = p->agent_id,
		[SF_KEY] = v->key_id,
	};
	if ((st = sum_add(l, &l->fine, all, v, e)) != LAR_OK || (st = sum_add(l, &l->tool, all, v, e)) != LAR_OK)
		return st;
	return LAR_OK;
}

lar_status lar_ledger_add(struct lar_ledger *l, const struct lar_verdict *v, uint64_t line,
			  enum lar_ledger_outcome *outcome, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;
	char flags[512];
	char day[11];
	int rc;
	int64_t rkey;
	enum lar_ledger_outcome oc;

	if (!l->in_file)
		return lar_err_set(e, LAR_E_STATE, "add: no file open");
	if ((v->status != LAR_V_OK && v->status != LAR_V_FLAG) || v->key == NULL || !str_ok(v->key_id) ||
	    !str_ok(v->payload_b64) || !str_ok(v->signature) || !str_ok(v->p.receipt_id) ||
	    !str_ok(v->p.created_at) || v->p.created_at.n != 28)
		return lar_err_set(e, LAR_E_INVAL, "add: not an authentic verdict with a payload");
	/* SPEC §1.3: createdAt is 'yyyy-MM-ddTHH:mm:ss.fffffffZ', UTC, so its
	 * first ten characters are the UTC day. */
	memcpy(day, v->p.created_at.p, 10);
	day[10] = 0;
	flags_text(v->reasons, flags, sizeof flags);

	/* SPEC §4.2: a receiptId already stored with the same signed payload is
	 * present; with another payload, a conflict */
	int stored, same;
	if ((st = receipt_key(v->p.receipt_id, &rkey, e)) != LAR_OK ||
	    (st = find_receipt(l, v, rkey, &stored, &same, e)) != LAR_OK)
		return st;

	if (!stored) {
		if ((st = store_new(l, v, day, flags, line, rkey, e)) != LAR_OK)
			return st;
		oc = LAR_LEDGER_IMPORTED;
	} else if (same) {
		oc = LAR_LEDGER_PRESENT;
	} else {
		if ((st = stmt(l, ST_INSERT_CONFLICT, &s, e)) != LAR_OK)
			return st;
		bind_receipt(l, s, v, day, flags, line);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		if (rc != SQLITE_DONE)
			return db_fail(l, e, rc, "store conflict");
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
	if ((st = stmt(l, ST_INSERT_REJECT, &s, e)) != LAR_OK)
		return st;
	size_t ex = len < LAR_LEDGER_EXCERPT_MAX ? len : LAR_LEDGER_EXCERPT_MAX;
	bind_cstr(s, 1, lar_reason_name(reason));
	bind_cstr(s, 2, l->source);
	sqlite3_bind_int64(s, 3, clamp_u64(line));
	sqlite3_bind_int64(s, 4, clamp_u64(len));
	sqlite3_bind_int64(s, 5, (int64_t)fnv1a(rec, len));
	sqlite3_bind_blob64(s, 6, ex ? (const void *)rec : "", ex, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, l->run_id);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return db_fail(l, e, rc, "store reject");
	l->file.records++;
	l->file.rejected++;
	return LAR_OK;
}

void lar_ledger_note_skipped(struct lar_ledger *l)
{
	l->file.records++;
	l->file.skipped++;
}

static void bind_counts(sqlite3_stmt *s, int first, const struct lar_ledger_counts *c)
{
	sqlite3_bind_int64(s, first, clamp_u64(c->records));
	sqlite3_bind_int64(s, first + 1, clamp_u64(c->imported));
	sqlite3_bind_int64(s, first + 2, clamp_u64(c->present));
	sqlite3_bind_int64(s, first + 3, clamp_u64(c->conflicts));
	sqlite3_bind_int64(s, first + 4, clamp_u64(c->flagged));
	sqlite3_bind_int64(s, first + 5, clamp_u64(c->rejected));
	sqlite3_bind_int64(s, first + 6, clamp_u64(c->skipped));
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
	static const char *const move[2] = {
		"INSERT INTO receipt_key (level, key, receipt) SELECT 1, key, receipt FROM receipt_key "
		"WHERE level = 0 ORDER BY key, receipt; DELETE FROM receipt_key WHERE level = 0",
		"INSERT INTO charge_key (level, key, receipt) SELECT 1, key, receipt FROM charge_key "
		"WHERE level = 0 ORDER BY key, receipt; DELETE FROM charge_key WHERE level = 0",
	};
	sqlite3_stmt *s = NULL;
	lar_status st;
	int64_t n0[2], total;
	if ((st = stmt(l, ST_LEVEL0_SIZE, &s, e)) != LAR_OK)
		return st;
	int rc = sqlite3_step(s);
	n0[0] = sqlite3_column_int64(s, 0);
	n0[1] = sqlite3_column_int64(s, 1);
	total = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return db_fail(l, e, rc, "merge keys");
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
		if ((st = exec(l, move[i], "merge keys", e)) != LAR_OK)
			return st;
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

lar_status lar_ledger_file_commit(struct lar_ledger *l, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;

	if (!l->in_file)
		return lar_err_set(e, LAR_E_STATE, "file_commit: no file open");
	if ((st = sum_flush(l, &l->fine, e)) != LAR_OK || (st = sum_flush(l, &l->tool, e)) != LAR_OK ||
	    (st = merge_keys(l, e)) != LAR_OK || (st = stmt(l, ST_FILE_ROW, &s, e)) != LAR_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, l->run_id);
	bind_cstr(s, 2, l->source);
	bind_counts(s, 3, &l->file);
	st = run(l, ST_FILE_ROW, "record file", e);
	sqlite3_clear_bindings(s);
	if (st != LAR_OK || (st = run(l, ST_COMMIT, "commit file", e)) != LAR_OK)
		goto fail;
	l->in_file = 0;
	l->run_files++;
	l->run.records += l->file.records;
	l->run.imported += l->file.imported;
	l->run.present += l->file.present;
	l->run.conflicts += l->file.conflicts;
	l->run.flagged += l->file.flagged;
	l->run.rejected += l->file.rejected;
	l->run.skipped += l->file.skipped;
	memset(&l->file, 0, sizeof l->file);
	return LAR_OK;
fail:
	lar_ledger_file_rollback(l);
	return st;
}

void lar_ledger_file_rollback(struct lar_ledger *l)
{
	if (l == NULL || !l->in_file)
		return;
	/* after some errors SQLite has already rolled back; then this is a no-op */
	if (sqlite3_get_autocommit(l->db) == 0)
		run(l, ST_ROLLBACK, "rollback", NULL);
	l->in_file = 0;
	memset(&l->file, 0, sizeof l->file);
	sum_clear(&l->fine);
	sum_clear(&l->tool);
	/* a merge in the file may have changed the filters in memory only */
	l->kf[0].keys = l->kf[1].keys = -1;
}

lar_status lar_ledger_run_end(struct lar_ledger *l, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;

	if (l->run_id == 0 || l->in_file)
		return lar_err_set(e, LAR_E_STATE, "run_end: no run open, or a file is open");
	if ((st = stmt(l, ST_RUN_END, &s, e)) != LAR_OK)
		return st;
	sqlite3_bind_int64(s, 1, l->run_id);
	sqlite3_bind_int64(s, 2, clamp_u64(l->run_files));
	bind_counts(s, 3, &l->run);
	st = run(l, ST_RUN_END, "end import run", e);
	sqlite3_clear_bindings(s);
	if (st == LAR_OK)
		l->run_id = 0;
	return st;
}

void lar_ledger_counts(const struct lar_ledger *l, struct lar_ledger_counts *file,
		       struct lar_ledger_counts *run_c)
{
	if (file != NULL)
		*file = l->file;
	if (run_c != NULL)
		*run_c = l->run;
}

/* ---- reading back ---- */

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

#define EXPORT_COLUMNS                                                                                 \
	"receipt_id, revenue_event_id, created_at, status, mcp_tool_id, tool_slug, tool_name, "        \
	"tool_method_name, paying_project_id, agent_id, idempotency_key, request_id, key_id, "         \
	"key_fingerprint, verdict, flags, payload_b64, signature, source, created_ticks, gross_sats, " \
	"platform_fee_sats, net_sats, fee_basis_points, line, flag_bits"

static void read_receipt(sqlite3_stmt *s, struct lar_ledger_receipt *r)
{
	r->receipt_id = col_str(s, 0);
	r->revenue_event_id = col_str(s, 1);
	r->created_at = col_str(s, 2);
	r->status = col_str(s, 3);
	r->mcp_tool_id = col_str(s, 4);
	r->tool_slug = col_str(s, 5);
	r->tool_name = col_str(s, 6);
	r->tool_method_name = col_str(s, 7);
	r->paying_project_id = col_str(s, 8);
	r->agent_id = col_str(s, 9);
	r->idempotency_key = col_str(s, 10);
	r->request_id = col_str(s, 11);
	r->key_id = col_str(s, 12);
	r->key_fingerprint = col_str(s, 13);
	r->verdict = col_str(s, 14);
	r->flags = col_str(s, 15);
	r->payload_b64 = col_str(s, 16);
	r->signature = col_str(s, 17);
	r->source = col_str(s, 18);
	r->created_ticks = sqlite3_column_int64(s, 19);
	r->gross_sats = sqlite3_column_int64(s, 20);
	r->platform_fee_sats = sqlite3_column_int64(s, 21);
	r->net_sats = sqlite3_column_int64(s, 22);
	r->fee_basis_points = sqlite3_column_int64(s, 23);
	r->line = sqlite3_column_int64(s, 24);
	r->flag_bits = (uint32_t)sqlite3_column_int64(s, 25);
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
		return db_fail(l, e, rc, "prepare");
	if (sqlite3_bind_parameter_count(*out) >= 2) {
		bind_cstr(*out, 1, from);
		bind_cstr(*out, 2, to);
	}
	return LAR_OK;
}

static lar_status walk_receipts(struct lar_ledger *l, sqlite3_stmt *s, lar_ledger_receipt_fn fn, void *ctx,
				struct lar_err *e)
{
	struct lar_ledger_receipt r;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_receipt(s, &r);
		lar_status st = fn(ctx, &r);
		if (st != LAR_OK)
			return st;
	}
	return rc == SQLITE_DONE ? LAR_OK : db_fail(l, e, rc, "read");
}

lar_status lar_ledger_export(struct lar_ledger *l, const struct lar_day_range *range,
			     lar_ledger_receipt_fn fn, void *ctx, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	/* (created_day, created_ticks, receipt_id) is createdAt-then-receiptId
	 * order, and matches the receipt_order index. */
	lar_status st = prepare_ranged(l,
				       "SELECT " EXPORT_COLUMNS " FROM receipt "
				       "WHERE created_day >= ?1 AND created_day <= ?2 "
				       "ORDER BY created_day, created_ticks, receipt_id",
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
	/* the WHERE repeats receipt_discrepancy's so that partial index serves it */
	lar_status st = prepare_ranged(l,
				       "SELECT " EXPORT_COLUMNS " FROM receipt "
				       "WHERE status = 'Charged' AND (flag_bits & 12288) != 0 "
				       "AND created_day >= ?1 AND created_day <= ?2 "
				       "ORDER BY created_day, created_ticks, receipt_id",
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
	struct lar_buf cols, sql;
	unsigned seen = 0;
	sqlite3_stmt *s = NULL;
	lar_status st = LAR_OK;
	int rc;

	lar_buf_init(&cols, 0);
	lar_buf_init(&sql, 0);
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
	 * and agent; day_summary has them all */
	const char *table = (seen & (1u << LAR_GROUP_PROJECT | 1u << LAR_GROUP_AGENT)) ? "day_summary"
										     : "day_tool_summary";
	lar_buf_printf(&sql,
		       "SELECT %s, sum(receipts), sum(gross_sats), sum(platform_fee_sats), sum(net_sats), "
		       "sum(discrepancies) FROM %s "
		       "WHERE status = 'Charged' AND created_day >= ?1 AND created_day <= ?2 ",
		       (const char *)cols.p, table);
	lar_buf_printf(&sql, "GROUP BY %s ORDER BY %s", (const char *)cols.p, (const char *)cols.p);
	lar_buf_putc(&sql, 0);
	if (sql.oom)
		goto nomem;
	if ((st = prepare_ranged(l, (const char *)sql.p, range, &s, e)) != LAR_OK)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lar_ledger_group g;
		int c = 0;
		memset(&g, 0, sizeof g);
		for (size_t i = 0; i < nby; i++) {
			switch (by[i]) {
			case LAR_GROUP_DAY:
				g.day = col_str(s, c++);
				break;
			case LAR_GROUP_MONTH:
				g.month = col_str(s, c++);
				break;
			case LAR_GROUP_TOOL:
				g.tool_id = col_str(s, c++);
				g.tool_slug = col_str(s, c++);
				break;
			case LAR_GROUP_METHOD:
				g.method = col_str(s, c++);
				break;
			case LAR_GROUP_PROJECT:
				g.project_id = col_str(s, c++);
				break;
			case LAR_GROUP_AGENT:
				g.agent_id = col_str(s, c++);
				break;
			case LAR_GROUP_KEY:
				g.key_id = col_str(s, c++);
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
		st = db_fail(l, e, rc, "reconcile");
	goto out;
nomem:
	st = lar_err_set(e, LAR_E_NOMEM, "out of memory");
out:
	sqlite3_finalize(s);
	lar_buf_free(&cols);
	lar_buf_free(&sql);
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
		st = db_fail(l, e, rc, "totals");
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
		st = db_fail(l, e, rc, "prepare");
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lar_ledger_receipt r;
		memset(&r, 0, sizeof r);
		r.receipt_id = col_str(s, 0);
		r.created_at = col_str(s, 1);
		r.created_ticks = sqlite3_column_int64(s, 2);
		r.mcp_tool_id = col_str(s, 3);
		r.paying_project_id = col_str(s, 4);
		r.idempotency_key = col_str(s, 5);
		r.gross_sats = sqlite3_column_int64(s, 6);
		r.platform_fee_sats = sqlite3_column_int64(s, 7);
		r.net_sats = sqlite3_column_int64(s, 8);
		if ((st = fn(ctx, &r)) != LAR_OK)
			goto out;
	}
	if (rc != SQLITE_DONE)
		st = db_fail(l, e, rc, "double charges");
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
		"SELECT receipt_id, created_at, status, payload_b64, source, gross_sats, "
		"platform_fee_sats, net_sats, line, stored FROM ("
		"SELECT receipt_id, created_at, status, payload_b64, source, gross_sats, "
		"platform_fee_sats, net_sats, line, 1 AS stored, 0 AS ord FROM receipt "
		"WHERE id IN (SELECT k.receipt FROM conflict c CROSS JOIN receipt_key k "
		"WHERE k.level IN (0, 1) AND k.key = lar_receipt_key(c.receipt_id)) "
		"AND receipt_id IN (SELECT receipt_id FROM conflict) "
		"UNION ALL SELECT receipt_id, created_at, status, payload_b64, source, gross_sats, "
		"platform_fee_sats, net_sats, line, 0, id FROM conflict) "
		"ORDER BY receipt_id, stored DESC, ord",
		-1, &s, NULL);
	if (rc != SQLITE_OK) {
		st = db_fail(l, e, rc, "prepare");
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lar_ledger_conflict c;
		c.receipt_id = col_str(s, 0);
		c.created_at = col_str(s, 1);
		c.status = col_str(s, 2);
		c.payload_b64 = col_str(s, 3);
		c.source = col_str(s, 4);
		c.gross_sats = sqlite3_column_int64(s, 5);
		c.platform_fee_sats = sqlite3_column_int64(s, 6);
		c.net_sats = sqlite3_column_int64(s, 7);
		c.line = sqlite3_column_int64(s, 8);
		c.stored = sqlite3_column_int(s, 9);
		if ((st = fn(ctx, &c)) != LAR_OK)
			goto out;
	}
	if (rc != SQLITE_DONE)
		st = db_fail(l, e, rc, "conflicts");
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
	lar_status st = exec(l, "BEGIN; SELECT 1 FROM sqlite_schema LIMIT 1", "begin read", e);
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

/* The stored filter of table t holds every key of level 1, and says how
 * many there are: otherwise import would take a stored receipt for new. */
static lar_status filter_check(struct lar_ledger *l, int t, struct lar_err *e)
{
	struct keyfilter f = { .keys = -1 }, c = { .keys = 0 };
	lar_status st = filter_read(l, t, &f, e);
	if (st == LAR_OK && f.nbits > 0) {
		int64_t want = f.keys;
		if ((st = each_key(l, t, 1, count_key, &c, e)) == LAR_OK && c.keys != want)
			st = lar_err_set(e, LAR_E_DB, "key_filter says %s has %lld keys at level 1, not %lld",
					 key_tables[t], (long long)want, (long long)c.keys);
		if (st == LAR_OK && (st = each_key(l, t, 1, check_key, &f, e)) == LAR_OK && f.keys != want)
			st = lar_err_set(e, LAR_E_DB, "key_filter of %s misses %lld of its keys", key_tables[t],
					 (long long)(want - f.keys));
	}
	filter_drop(&f);
	return st;
}

lar_status lar_ledger_check(struct lar_ledger *l, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st = LAR_OK;
	int rc = sqlite3_prepare_v2(l->db, "PRAGMA integrity_check", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_fail(l, e, rc, "integrity check");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct lar_str r = col_str(s, 0);
		if (r.p == NULL || r.n != 2 || memcmp(r.p, "ok", 2) != 0)
			st = lar_err_set(e, LAR_E_DB, "integrity check: %.*s", (int)(r.n > 300 ? 300 : r.n),
					 r.p ? r.p : "");
	} else {
		st = db_fail(l, e, rc, "integrity check");
	}
	sqlite3_finalize(s);
	if (st != LAR_OK)
		return st;
	rc = sqlite3_prepare_v2(l->db, "PRAGMA foreign_key_check", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_fail(l, e, rc, "foreign key check");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct lar_str t = col_str(s, 0);
		st = lar_err_set(e, LAR_E_DB, "foreign key check: a row of %.*s points nowhere", (int)t.n,
				 t.p ? t.p : "");
	} else if (rc != SQLITE_DONE) {
		st = db_fail(l, e, rc, "foreign key check");
	}
	sqlite3_finalize(s);
	if (st == LAR_OK && (st = lar_ledger_read_begin(l, e)) == LAR_OK) {
		for (int t = 0; t < 2 && st == LAR_OK; t++)
			st = filter_check(l, t, e);
		lar_ledger_read_end(l);
	}
	return st;
}
