/*
 * ledger.c - the SQLite store behind ledger.h (SPEC §4.2): opening,
 * creating and migrating a ledger, the statements and errors every part of
 * the store uses, the per-file import transactions, and report check.
 *
 * The store is a family (ledger_int.h): ledger_store.c stores what import
 * hands it, ledger_read.c holds the queries of export and the reports.
 * These files are the only ones that include sqlite3.h and the only ones
 * holding SQL apart from the schema text (ledger_schema.c, a copy of
 * schemas/ledger.sql).  Statements are prepared once per handle, on first
 * use, and reused.
 *
 * Not for: deciding verdicts, formatting output, printing.
 */
#include "ledger_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ledger_schema.c */
extern const char lar_ledger_schema_text[];

/* 'LARC', the application_id of schemas/ledger.sql */
#define LEDGER_APP_ID 1279349315
#define LEDGER_PAGE_SIZE "65536" /* of a new ledger */
#define LEDGER_CACHE_KIB "65536" /* page cache per connection: 64 MiB at most */
/* An import file's cache: an eighth of the ledger, between these (KiB). */
#define IMPORT_CACHE_MIN_KIB 8192
#define IMPORT_CACHE_MAX_KIB 65536

/* The schema hard-codes these bit numbers (flag_bits & 12288). */
_Static_assert(LAR_R_NONCANONICAL_PAYLOAD == 10 && LAR_R_AMOUNT_MISMATCH == 12 && LAR_R_FEE_MISMATCH == 13 &&
		       LAR_R_UNEXPECTED_STATUS == 17,
	       "schemas/ledger.sql documents the reason bit numbers");
_Static_assert(DISCREPANCY_BITS == 12288, "schemas/ledger.sql uses flag_bits & 12288");

struct lar_ledger;
static lar_status migrate_1_to_2(struct lar_ledger *l, struct lar_err *e);
static lar_status migrate_2_to_3(struct lar_ledger *l, struct lar_err *e);
static lar_status migrate_3_to_4(struct lar_ledger *l, struct lar_err *e);
static lar_status migrate_4_to_5(struct lar_ledger *l, struct lar_err *e);

/*
 * Forward migrations: migrations[i] takes a ledger from schema version i + 1
 * to i + 2, inside the open transaction, and must leave it exactly as
 * schemas/ledger.sql creates version i + 2 (tests/test_ledger.c compares the
 * two).  A new ledger is made from the schema text directly.
 */
static lar_status (*const migrations[])(struct lar_ledger *, struct lar_err *) = {
	migrate_1_to_2,
	migrate_2_to_3,
	migrate_3_to_4,
	migrate_4_to_5,
};
_Static_assert(sizeof migrations / sizeof migrations[0] == LAR_LEDGER_SCHEMA_VERSION - 1,
	       "one migration per schema version after the first");

/* the receipt columns of schema versions 1 to 4 (the migrations' copies) */
#define RECEIPT_COLUMNS_V4                                                                              \
	"receipt_id, revenue_event_id, created_at, created_ticks, created_day, status, mcp_tool_id, "   \
	"tool_slug, tool_name, tool_method_name, paying_project_id, agent_id, idempotency_key, "        \
	"request_id, mcp_gate_session_id, mcp_gate_token_id, gross_sats, platform_fee_sats, net_sats, " \
	"fee_basis_points, version, attestation_kind, attestation_operation, attestation_observed_at, " \
	"attestation_source, attestation_network, attestation_subject_id, attestation_claims, "         \
	"attestation_claims_sha256, verdict, flag_bits, flags, payload_b64, signature, key_id, "        \
	"key_fingerprint, source, line, run_id"

/* the receipt table of schema versions 2 to 4, which migrate_1_to_2 makes
 * (migrate_4_to_5 then makes the current one from the schema text) */
#define RECEIPT_TABLE_V4                                                                                 \
	"CREATE TABLE receipt (id INTEGER PRIMARY KEY, receipt_id TEXT NOT NULL, "                        \
	"revenue_event_id TEXT NOT NULL, created_at TEXT NOT NULL, created_ticks INTEGER NOT NULL, "       \
	"created_day TEXT NOT NULL CHECK (created_day = substr(created_at, 1, 10)), status TEXT NOT NULL, " \
	"mcp_tool_id TEXT NOT NULL, tool_slug TEXT NOT NULL, tool_name TEXT, tool_method_name TEXT NOT NULL, " \
	"paying_project_id TEXT, agent_id TEXT, idempotency_key TEXT, request_id TEXT, "                   \
	"mcp_gate_session_id TEXT, mcp_gate_token_id TEXT, gross_sats INTEGER NOT NULL, "                  \
	"platform_fee_sats INTEGER NOT NULL, net_sats INTEGER NOT NULL, fee_basis_points INTEGER NOT NULL, " \
	"version TEXT NOT NULL, attestation_kind TEXT, attestation_operation TEXT, "                       \
	"attestation_observed_at TEXT, attestation_source TEXT, attestation_network TEXT, "                \
	"attestation_subject_id TEXT, attestation_claims TEXT, attestation_claims_sha256 TEXT, "           \
	"verdict TEXT NOT NULL CHECK (verdict IN ('ok', 'flag')), flag_bits INTEGER NOT NULL, "            \
	"flags TEXT NOT NULL, payload_b64 TEXT NOT NULL, signature TEXT NOT NULL, key_id TEXT NOT NULL, "  \
	"key_fingerprint TEXT NOT NULL, source TEXT NOT NULL, line INTEGER NOT NULL, "                     \
	"run_id INTEGER NOT NULL REFERENCES import_run (id)) STRICT"

/* the receipt columns, in parameter order ?1..?24 of ST_INSERT_RECEIPT
 * (schema version 5) */
#define RECEIPT_COLUMNS                                                                               \
	"receipt_id, revenue_event_id, created_at, created_ticks, status, mcp_tool_id, tool_slug, "   \
	"tool_name, tool_method_name, paying_project_id, agent_id, idempotency_key, request_id, "     \
	"gross_sats, platform_fee_sats, net_sats, fee_basis_points, flag_bits, payload, signature, "  \
	"key_id, key_fingerprint, file, line"

#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* KEYS_PER_STMT rows (0, ?, ?) of a key table: key and receipt of row i
 * are parameters 2i + 1 and 2i + 2 */
#define KEY_ROWS_4 "(0, ?, ?), (0, ?, ?), (0, ?, ?), (0, ?, ?)"
#define KEY_ROWS_16 KEY_ROWS_4 ", " KEY_ROWS_4 ", " KEY_ROWS_4 ", " KEY_ROWS_4
#define KEY_ROWS_64 KEY_ROWS_16 ", " KEY_ROWS_16 ", " KEY_ROWS_16 ", " KEY_ROWS_16
_Static_assert(KEYS_PER_STMT == 64, "KEY_ROWS_64 spells out KEYS_PER_STMT rows");
#define SUM_ROWS_1 "(?, ?, ?, ?, ?, ?, ?)"
#define SUM_ROWS_4 SUM_ROWS_1 ", " SUM_ROWS_1 ", " SUM_ROWS_1 ", " SUM_ROWS_1
#define SUM_ROWS_16 SUM_ROWS_4 ", " SUM_ROWS_4 ", " SUM_ROWS_4 ", " SUM_ROWS_4
_Static_assert(SUMS_PER_STMT == 16, "SUM_ROWS_16 spells out SUMS_PER_STMT rows");
/* ORDERS_PER_STMT rows of receipt_order: row i's are parameters 4i + 1 .. 4i + 4 */
#define ORDER_ROWS_4 "(?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)"
#define ORDER_ROWS_16 ORDER_ROWS_4 ", " ORDER_ROWS_4 ", " ORDER_ROWS_4 ", " ORDER_ROWS_4
_Static_assert(ORDERS_PER_STMT == 32, "ORDER_ROWS_16 twice spells out ORDERS_PER_STMT rows");
#define ORDER_COLUMNS "receipt_order (created_day, created_ticks, receipt_id, receipt)"
/* day_summary's columns of schema version 4, and the table (migrate_3_to_4
 * makes it; migrate_4_to_5 the current one) */
#define SUM_COLUMNS_V4                                                                                   \
	"day_summary (id, created_day, status, mcp_tool_id, tool_slug, tool_method_name, paying_project_id, " \
	"agent_id, key_id, receipts, gross_sats, platform_fee_sats, net_sats, discrepancies)"
#define SUM_TABLE_V4                                                                                     \
	"CREATE TABLE day_summary (id INTEGER PRIMARY KEY, created_day TEXT NOT NULL, status TEXT NOT NULL, " \
	"mcp_tool_id TEXT NOT NULL, tool_slug TEXT NOT NULL, tool_method_name TEXT NOT NULL, "               \
	"paying_project_id TEXT, agent_id TEXT, key_id TEXT NOT NULL, receipts INTEGER NOT NULL, "           \
	"gross_sats INTEGER NOT NULL, platform_fee_sats INTEGER NOT NULL, net_sats INTEGER NOT NULL, "       \
	"discrepancies INTEGER NOT NULL) STRICT"
#define SUM_COLUMNS "day_summary (id, grp, receipts, gross_sats, platform_fee_sats, net_sats, discrepancies)"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_RUN_BEGIN] = "INSERT INTO import_run (started_at, program_version) VALUES (" NOW ", ?1)",
	[ST_RUN_END] =
		"UPDATE import_run SET ended_at = " NOW ", files = ?2, records = ?3, imported = ?4, "
		"present = ?5, conflicts = ?6, flagged = ?7, rejected = ?8, skipped = ?9 WHERE id = ?1",
	/* the id was chosen at file_begin (receipt.file of the file's rows) */
	[ST_FILE_ROW] =
		"INSERT INTO import_file (id, run_id, source, committed_at, records, imported, present, "
		"conflicts, flagged, rejected, skipped) VALUES (?10, ?1, ?2, " NOW ", ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_NEXT_FILE] = "SELECT coalesce(max(id), 0) + 1 FROM import_file",
	[ST_INSERT_RECEIPT] =
		"INSERT INTO receipt (" RECEIPT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		"?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
	/* the receipts under a lookup key, at both levels (schemas/ledger.sql):
	 * two plain seeks, ?3 = 0 and ?2 = 1; either is -1 when the filter of
	 * that level rules the key out (no such level: that seek finds nothing
	 * at once).  The key narrows the search, the text decides. */
	[ST_FIND_RECEIPT_KEY] = "SELECT receipt FROM receipt_key WHERE level = ?3 AND key = ?1 "
				"UNION ALL SELECT receipt FROM receipt_key WHERE level = ?2 AND key = ?1",
	[ST_RECEIPT_PAYLOAD] = "SELECT payload FROM receipt WHERE id = ?1 AND receipt_id = ?2",
	[ST_ADD_RECEIPT_KEY] = "INSERT INTO receipt_key (level, key, receipt) VALUES (0, ?1, ?2)",
	[ST_FIND_CHARGE_KEY] = "SELECT receipt FROM charge_key WHERE level = ?3 AND key = ?1 "
			       "UNION ALL SELECT receipt FROM charge_key WHERE level = ?2 AND key = ?1",
	[ST_CHARGE_MATCH] = "SELECT 1 FROM receipt WHERE id = ?1 AND mcp_tool_id = ?2 "
			    "AND paying_project_id IS ?3 AND idempotency_key = ?4",
	[ST_ADD_CHARGE_KEY] = "INSERT INTO charge_key (level, key, receipt) VALUES (0, ?1, ?2)",
	/* OR IGNORE: a statement of many rows that could abort half-way needs a
	 * statement journal, a copy of every page it changes (spilled to a
	 * temporary file past 64 KiB: it once wrote as much as the ledger
	 * itself); no row here can conflict, as each receipt adds one key */
	[ST_ADD_RECEIPT_KEYS] = "INSERT OR IGNORE INTO receipt_key (level, key, receipt) VALUES " KEY_ROWS_64,
	[ST_ADD_CHARGE_KEYS] = "INSERT OR IGNORE INTO charge_key (level, key, receipt) VALUES " KEY_ROWS_64,
	[ST_ADD_ORDER] = "INSERT INTO " ORDER_COLUMNS " VALUES (?, ?, ?, ?)",
	/* OR IGNORE as for the keys: a receipt_id is stored once, so no row
	 * can conflict */
	[ST_ADD_ORDERS] = "INSERT OR IGNORE INTO " ORDER_COLUMNS " VALUES " ORDER_ROWS_16 ", " ORDER_ROWS_16,
	[ST_FILTER_GET] = "SELECT rowid, keys, length(bits) FROM key_filter WHERE name = ?1",
	[ST_FILTER_PUT] = "INSERT INTO key_filter (name, keys, bits) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT (name) DO UPDATE SET keys = excluded.keys, bits = excluded.bits",
	/* the receipt count that level 0's size is weighed against */
	[ST_MAX_RECEIPT] = "SELECT max(id) FROM receipt",
	[ST_ADD_DOUBLE] = "INSERT INTO double_charge (receipt) VALUES (?1) ON CONFLICT DO NOTHING",
	[ST_INSERT_CONFLICT] =
		"INSERT INTO conflict (receipt_id, created_at, status, gross_sats, "
		"platform_fee_sats, net_sats, verdict, flag_bits, flags, payload, signature, "
		"key_id, key_fingerprint, source, line, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		"?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
		"ON CONFLICT (receipt_id, payload) DO NOTHING",
	[ST_INSERT_REJECT] =
		"INSERT INTO reject (reason, source, line, record_len, record_hash, excerpt, run_id) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		"ON CONFLICT (source, line, reason, record_len, record_hash) DO NOTHING",
	/* ?1 the id, ?2 the summary_group, ?3..?7 the sums */
	[ST_SUM_INSERT] = "INSERT INTO " SUM_COLUMNS " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* SUMS_PER_STMT such rows: row i's are parameters 7i + 1 .. 7i + 7.
	 * OR IGNORE spares the statement journal (as for the keys above): each
	 * id is new (past the last of its day), and the NOT NULL columns are
	 * ones the receipt's own insert has already found not NULL */
	[ST_SUM_INSERT_MANY] = "INSERT OR IGNORE INTO " SUM_COLUMNS " VALUES " SUM_ROWS_16,
	/* the last id before ?1: one seek back (a max() over the day's range
	 * would read all of it) */
	[ST_SUM_LAST_ID] = "SELECT id FROM day_summary WHERE id < ?1 ORDER BY id DESC LIMIT 1",
	/* a summary_group row, and a new one: ?1 the id, ?2..?8 the fields */
	[ST_GROUP_GET] = "SELECT status, mcp_tool_id, tool_slug, tool_method_name, paying_project_id, agent_id, "
			 "key_id FROM summary_group WHERE id = ?1",
	[ST_GROUP_PUT] = "INSERT INTO summary_group VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* ?1..?6 the group (tool_sum_fields order), ?7..?11 the sums to add */
	[ST_TOOL_SUM_UPSERT] =
		"INSERT INTO day_tool_summary VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
		"ON CONFLICT DO UPDATE SET receipts = receipts + ?7, gross_sats = gross_sats + ?8, "
		"platform_fee_sats = platform_fee_sats + ?9, net_sats = net_sats + ?10, "
		"discrepancies = discrepancies + ?11",
};

/* ---- errors ---- */

lar_status ledger_fail(struct lar_ledger *l, struct lar_err *e, int rc, const char *what)
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

lar_status ledger_stmt(struct lar_ledger *l, enum stmt_id id, sqlite3_stmt **out, struct lar_err *e)
{
	if (l->st[id] == NULL) {
		int rc = sqlite3_prepare_v3(l->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &l->st[id],
					    NULL);
		if (rc != SQLITE_OK)
			return ledger_fail(l, e, rc, "prepare");
	}
	*out = l->st[id];
	return LAR_OK;
}

/* Run a prepared statement that returns no rows; it is reset afterwards. */
lar_status ledger_run(struct lar_ledger *l, enum stmt_id id, const char *what, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st = ledger_stmt(l, id, &s, e);
	if (st != LAR_OK)
		return st;
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return ledger_fail(l, e, rc, what);
	return LAR_OK;
}

int ledger_bind_str(sqlite3_stmt *s, int i, struct lar_str v)
{
	if (v.p == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text64(s, i, v.p, v.n, SQLITE_STATIC, SQLITE_UTF8);
}

int ledger_bind_cstr(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

int64_t ledger_clamp(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

struct lar_str ledger_col_str(sqlite3_stmt *s, int i)
{
	struct lar_str r = { NULL, 0 };
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return r;
	const unsigned char *t = sqlite3_column_text(s, i);
	r.n = (size_t)sqlite3_column_bytes(s, i);
	r.p = t ? (const char *)t : "";
	return r;
}

struct lar_str ledger_col_blob(sqlite3_stmt *s, int i)
{
	struct lar_str r = { NULL, 0 };
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return r;
	const void *b = sqlite3_column_blob(s, i);
	r.n = (size_t)sqlite3_column_bytes(s, i);
	r.p = b ? (const char *)b : "";
	return r;
}

/* A one-off query returning one integer (PRAGMA user_version ...). */
lar_status ledger_query_int(struct lar_ledger *l, const char *sql, int64_t *out, struct lar_err *e)
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
	return rc == SQLITE_OK ? LAR_OK : ledger_fail(l, e, rc, "read");
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
			return rc == SQLITE_OK ? LAR_OK : ledger_fail(l, e, rc, "read");
		nanosleep(&nap, NULL);
	}
}

lar_status ledger_exec(struct lar_ledger *l, const char *sql, const char *what, struct lar_err *e)
{
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? LAR_OK : ledger_fail(l, e, rc, what);
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
 * guarantees the mode; SQLite gives the -wal and -shm files the same mode.
 * O_NONBLOCK: a FIFO in the ledger's place is refused below, not waited on. */
static lar_status create_file(const char *path, int may_create, int readonly, struct lar_err *e)
{
	int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (may_create ? O_CREAT : 0),
		      0600);
	if (fd < 0) {
		int err = errno;
		if (err == ENOENT && !may_create)
			return lar_err_sys(e, LAR_E_NOTFOUND, err, "no such ledger");
		/* a ledger is opened for writing even to be read (SQLite's WAL
		 * mode writes its -shm file beside it, and an older schema is
		 * migrated): a reader that may read the file is told so */
		if ((err == EACCES || err == EROFS) && !may_create && !readonly && access(path, R_OK) == 0)
			return lar_err_sys(e, LAR_E_IO, err,
					   "cannot open for writing: %s (reading a ledger writes beside it, as SQLite's "
					   "WAL mode needs%s): read a copy%s",
					   strerror(err), err == EROFS ? "" : ", and migrates an older one",
					   err == EROFS ? " on a writable file system" : ", or make it writable");
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

/* Whether the directory of path is one we may create files in. */
static int dir_writable(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return access(".", W_OK) == 0;
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	char *d = malloc(n + 1);
	if (d == NULL)
		return 1;
	memcpy(d, path, n);
	d[n] = 0;
	int ok = access(d, W_OK) == 0;
	free(d);
	return ok;
}

/* Whether SQLite failed (db's last error) to open or create the -wal or
 * -shm file beside the ledger at path because its directory is not
 * writable. */
static int dir_cannot_hold_wal(sqlite3 *db, const char *path)
{
	int x = sqlite3_extended_errcode(db) & 0xff;
	return (x == SQLITE_READONLY || x == SQLITE_CANTOPEN) && !dir_writable(path);
}

/* path as the SQLite URI "file:PATH", every byte a URI path cannot hold as
 * it is percent-encoded, so that no file
 * name is read as a URI of its own, nor as a name SQLite gives a meaning
 * ("file:x?mode=memory" and ":memory:" name files here).  NULL when out
 * of memory. */
static char *file_uri(const char *path)
{
	size_t n = strlen(path);
	char *u = malloc(5 + 2 + 3 * n + 1), *o = u;
	if (u == NULL)
		return NULL;
	memcpy(o, "file:", 5);
	o += 5;
	if (path[0] != '/') {
		/* "./": a relative name is never one of SQLite's own (":memory:") */
		memcpy(o, "./", 2);
		o += 2;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			    c == '_' || c == '-' || c == '~' || c == '/';
		if (c == '/' && i == 1 && path[0] == '/')
			plain = 0; /* "file://" would begin an authority */
		if (plain) {
			*o++ = (char)c;
		} else {
			static const char hex[] = "0123456789ABCDEF";
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = 0;
	return u;
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
		lar_status st = complete ? ledger_exec(l, sql, "migrate", e) : LAR_OK;
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
		"CREATE TABLE receipt_key ",      "CREATE TABLE charge_key ", "CREATE TABLE double_charge ",
		"CREATE TABLE day_tool_summary ", "CREATE TABLE key_filter ",
	};
	lar_status st;
	/* the two indexes that schema version 4 dropped (migrate_3_to_4) are
	 * made as version 2 had them */
	if ((st = ledger_exec(l,
		       "DROP INDEX receipt_order; DROP INDEX receipt_discrepancy; DROP INDEX receipt_charge_key; "
		       "DROP INDEX day_summary_group; ALTER TABLE receipt RENAME TO receipt_v1",
		       "migrate", e)) != LAR_OK ||
	    (st = ledger_exec(l, RECEIPT_TABLE_V4, "migrate", e)) != LAR_OK ||
	    (st = ledger_exec(l,
		       "INSERT INTO receipt (id, " RECEIPT_COLUMNS_V4 ") SELECT id, " RECEIPT_COLUMNS_V4
		       " FROM receipt_v1 ORDER BY id; DROP TABLE receipt_v1; "
		       "CREATE INDEX receipt_order ON receipt (created_day, created_ticks, receipt_id); "
		       "CREATE INDEX day_summary_day ON day_summary (created_day)",
		       "migrate", e)) != LAR_OK)
		return st;
	/* the index of version 2 to 4 (migrate_4_to_5 makes the current one) */
	if ((st = ledger_exec(l,
			      "CREATE INDEX receipt_discrepancy ON receipt (created_day, created_ticks, receipt_id) "
			      "WHERE status = 'Charged' AND (flag_bits & 12288) != 0",
			      "migrate", e)) != LAR_OK)
		return st;
	for (size_t i = 0; i < sizeof creates / sizeof creates[0]; i++)
		if ((st = exec_schema_stmt(l, creates[i], e)) != LAR_OK)
			return st;
	if ((st = ledger_exec(l,
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
	return ledger_build_filters(l, e);
}

/*
 * Schema 2 -> 3: key_filter gains the rows of level 0 (built from level 0
 * here, kept by every import afterwards) and the column comments that say
 * so, which SQLite keeps in the table's text: the table is made again from
 * the schema text, its level-1 rows copied.
 */
static lar_status migrate_2_to_3(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st;
	if ((st = ledger_exec(l, "ALTER TABLE key_filter RENAME TO key_filter_v2", "migrate", e)) != LAR_OK ||
	    (st = exec_schema_stmt(l, "CREATE TABLE key_filter (", e)) != LAR_OK ||
	    (st = ledger_exec(l,
			      "INSERT INTO key_filter (name, keys, bits) SELECT name, keys, bits FROM key_filter_v2 "
			      "ORDER BY name; DROP TABLE key_filter_v2",
			      "migrate", e)) != LAR_OK)
		return st;
	return ledger_build_level0_filters(l, e);
}

/*
 * Schema 3 -> 4: the index receipt_order becomes a table of the same key,
 * which import writes in bulk, filled from the receipts; day_summary's rows
 * get ids in day order (numbered within each day in their old order) and
 * lose the index on created_day.
 */
static lar_status migrate_3_to_4(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st;
	if ((st = ledger_exec(l,
			      "DROP INDEX receipt_order; DROP INDEX day_summary_day; "
			      "ALTER TABLE day_summary RENAME TO day_summary_v3",
			      "migrate", e)) != LAR_OK ||
	    (st = exec_schema_stmt(l, "CREATE TABLE receipt_order (", e)) != LAR_OK ||
	    (st = ledger_exec(l, SUM_TABLE_V4, "migrate", e)) != LAR_OK)
		return st;
	return ledger_exec(l,
			   "INSERT INTO " ORDER_COLUMNS " SELECT created_day, created_ticks, receipt_id, id "
			   "FROM receipt ORDER BY 1, 2, 3; "
			   "INSERT INTO " SUM_COLUMNS_V4 " SELECT (CAST(substr(created_day, 1, 4) || "
			   "substr(created_day, 6, 2) || substr(created_day, 9, 2) AS INTEGER) << 32) + "
			   "row_number() OVER (PARTITION BY created_day ORDER BY rowid), created_day, status, "
			   "mcp_tool_id, tool_slug, tool_method_name, paying_project_id, agent_id, key_id, receipts, "
			   "gross_sats, platform_fee_sats, net_sats, discrepancies FROM day_summary_v3 ORDER BY 1; "
			   "DROP TABLE day_summary_v3",
			   "migrate", e);
}

/*
 * Schema 4 -> 5: receipt and conflict keep the payload decoded (a BLOB, not
 * its base64url text); receipt loses the columns derived from others
 * (created_day, verdict, flags), those only the payload's readers need
 * (version, mcpGateSessionId, mcpGateTokenId, the attestation group), and
 * source and run_id for the import_file row they name.  A receipt whose
 * (run, source) has no import_file row (none is missing in a ledger that
 * imports wrote) gets one, with zero counts and the run's start as its
 * time.  The discrepancy index is made on the day of created_at.
 * day_summary's rows keep their ids and sums and name their group's fields
 * by a summary_group row (lar_summary_group(), which adds the rows).  With
 * foreign keys on, renaming receipt rewrites double_charge's reference to
 * it, so double_charge is made again too (its rows copied); a payload that
 * does not decode (a damaged ledger) fails the NOT NULL of payload, and
 * the migration.
 */
static lar_status migrate_4_to_5(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st;
	if ((st = ledger_exec(l,
			      "DROP INDEX receipt_discrepancy; ALTER TABLE double_charge RENAME TO double_charge_v4; "
			      "ALTER TABLE receipt RENAME TO receipt_v4; ALTER TABLE conflict RENAME TO conflict_v4; "
			      "ALTER TABLE day_summary RENAME TO day_summary_v4",
			      "migrate", e)) != LAR_OK ||
	    (st = exec_schema_stmt(l, "CREATE TABLE day_summary (", e)) != LAR_OK ||
	    (st = exec_schema_stmt(l, "CREATE TABLE summary_group (", e)) != LAR_OK ||
	    (st = exec_schema_stmt(l, "CREATE TABLE receipt (", e)) != LAR_OK ||
	    (st = exec_schema_stmt(l, "CREATE INDEX receipt_discrepancy ", e)) != LAR_OK ||
	    (st = exec_schema_stmt(l, "CREATE TABLE double_charge (", e)) != LAR_OK ||
	    (st = exec_schema_stmt(l, "CREATE TABLE conflict (", e)) != LAR_OK)
		return st;
	return ledger_exec(
		l,
		"CREATE INDEX import_file_v4 ON import_file (run_id, source); "
		"INSERT INTO import_file (run_id, source, committed_at, records, imported, present, conflicts, "
		"flagged, rejected, skipped) SELECT run_id, source, (SELECT started_at FROM import_run "
		"WHERE id = run_id), 0, 0, 0, 0, 0, 0, 0 FROM (SELECT DISTINCT run_id, source FROM receipt_v4 r "
		"WHERE NOT EXISTS (SELECT 1 FROM import_file f WHERE f.run_id = r.run_id AND f.source = r.source)) "
		"ORDER BY run_id, source; "
		"INSERT INTO receipt (id, " RECEIPT_COLUMNS ") SELECT id, receipt_id, revenue_event_id, created_at, "
		"created_ticks, status, mcp_tool_id, tool_slug, tool_name, tool_method_name, paying_project_id, "
		"agent_id, idempotency_key, request_id, gross_sats, platform_fee_sats, net_sats, fee_basis_points, "
		"flag_bits, lar_b64url_decode(payload_b64), signature, key_id, key_fingerprint, (SELECT min(f.id) "
		"FROM import_file f WHERE f.run_id = r.run_id AND f.source = r.source), line FROM receipt_v4 r "
		"ORDER BY id; "
		"INSERT INTO conflict (id, receipt_id, created_at, status, gross_sats, platform_fee_sats, net_sats, "
		"verdict, flag_bits, flags, payload, signature, key_id, key_fingerprint, source, line, run_id) "
		"SELECT id, receipt_id, created_at, status, gross_sats, platform_fee_sats, net_sats, verdict, "
		"flag_bits, flags, lar_b64url_decode(payload_b64), signature, key_id, key_fingerprint, source, "
		"line, run_id FROM conflict_v4 ORDER BY id; "
		"INSERT INTO double_charge (receipt) SELECT receipt FROM double_charge_v4 ORDER BY receipt; "
		"INSERT INTO " SUM_COLUMNS " SELECT id, lar_summary_group(status, mcp_tool_id, tool_slug, "
		"tool_method_name, paying_project_id, agent_id, key_id), receipts, gross_sats, platform_fee_sats, "
		"net_sats, discrepancies FROM day_summary_v4 ORDER BY id; "
		"DROP TABLE double_charge_v4; DROP TABLE receipt_v4; DROP TABLE conflict_v4; "
		"DROP TABLE day_summary_v4; DROP INDEX import_file_v4",
		"migrate", e);
}

/* Bring the ledger to LAR_LEDGER_SCHEMA_VERSION, inside BEGIN IMMEDIATE so
 * two processes opening a new ledger together create it once. */
static lar_status upgrade(struct lar_ledger *l, struct lar_err *e)
{
	lar_status st;
	int64_t ver, app, objects;

	if ((st = ledger_exec(l, "BEGIN IMMEDIATE", "open", e)) != LAR_OK)
		return st;
	/* re-read under the lock: another process may have done it meanwhile */
	if ((st = ledger_query_int(l, "PRAGMA user_version", &ver, e)) != LAR_OK ||
	    (st = ledger_query_int(l, "PRAGMA application_id", &app, e)) != LAR_OK)
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
		if ((st = ledger_query_int(l, "SELECT count(*) FROM sqlite_schema", &objects, e)) != LAR_OK)
			goto out;
		if (objects != 0) {
			st = lar_err_set(e, LAR_E_INVAL,
					 "not a la-receipt ledger (a database with other tables)");
			goto out;
		}
		if ((st = ledger_exec(l, lar_ledger_schema_text, "create schema", e)) != LAR_OK)
			goto out;
	} else {
		for (int64_t v = ver; v < LAR_LEDGER_SCHEMA_VERSION; v++) {
			char set[64];
			snprintf(set, sizeof set, "PRAGMA user_version = %lld", (long long)v + 1);
			if ((st = migrations[v - 1](l, e)) != LAR_OK || (st = ledger_exec(l, set, "migrate", e)) != LAR_OK)
				goto out;
		}
	}
	if ((st = ledger_query_int(l, "PRAGMA user_version", &ver, e)) != LAR_OK)
		goto out;
	if (ver != LAR_LEDGER_SCHEMA_VERSION) {
		st = lar_err_set(e, LAR_E_DB, "schema version is %lld after creation, expected %d",
				 (long long)ver, LAR_LEDGER_SCHEMA_VERSION);
		goto out;
	}
	st = ledger_exec(l, "COMMIT", "open", e);
out:
	if (st != LAR_OK)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

/* Once per process, before SQLite is initialised: no memory statistics.
 * With them (SQLite's default) every allocation and free in SQLite takes a
 * global mutex and updates counters, about 3% of the instructions of the
 * thread that writes an import (callgrind).  The ledger never reads them.
 * When the application has initialised SQLite already, sqlite3_config
 * refuses and nothing changes. */
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

static void setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
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
	ledger_store_init(l);
	l->busy_ms = opts && opts->busy_ms != 0 ? opts->busy_ms : LAR_LEDGER_DEFAULT_BUSY_MS;
	l->level0_max = opts && opts->level0_max > 0 ? opts->level0_max : LAR_LEDGER_DEFAULT_LEVEL0;
	if (l->busy_ms < 0)
		l->busy_ms = 0;

	int ro = (l->flags & LAR_LEDGER_READONLY) != 0, first_reads = 0;
	if ((st = create_file(path, !(l->flags & LAR_LEDGER_NOCREATE), ro, e)) != LAR_OK)
		goto out;
	char *uri = file_uri(path);
	if (uri == NULL) {
		st = lar_err_set(e, LAR_E_NOMEM, "out of memory");
		goto out;
	}
	int oflags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	pthread_once(&setup_once, setup);
	int rc = sqlite3_open_v2(uri, &l->db, oflags | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, ledger_vfs_name());
	free(uri);
	if (rc != SQLITE_OK) {
		st = ledger_fail(l, e, rc, "open");
		goto out;
	}
	first_reads = 1;
	sqlite3_busy_timeout(l->db, l->busy_ms);
	/* SPEC §4.2: a kill at any moment leaves each file wholly in or out;
	 * FULL also makes each commit durable across a power cut.  The cache
	 * holds the index pages an import file touches (LEDGER_CACHE_KIB).
	 * secure_delete (on in some builds of SQLite) would zero every row a
	 * merge of lookup keys deletes, a million at a time; a ledger deletes
	 * nothing but keys, filters and sums it can compute again from what it
	 * keeps, and holds no secret. */
	if ((st = ledger_exec(l,
		       "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA secure_delete = OFF; "
		       "PRAGMA cache_size = -" LEDGER_CACHE_KIB,
		       "open", e)) != LAR_OK)
		goto out;
	for (int i = 0; i < 2; i++) {
		rc = sqlite3_create_function_v2(l->db, i ? "lar_charge_key" : "lar_receipt_key", i ? 3 : 1,
						SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, ledger_sql_key, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			st = ledger_fail(l, e, rc, "open");
			goto out;
		}
	}
	rc = sqlite3_create_function_v2(l->db, "lar_b64url_decode", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
					ledger_sql_b64url_decode, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(l->db, "lar_summary_group", 7, SQLITE_UTF8, l, ledger_sql_group,
						NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		st = ledger_fail(l, e, rc, "open");
		goto out;
	}
	if ((st = query_patient(l, "PRAGMA user_version", &ver, NULL, 0, e)) != LAR_OK ||
	    (st = query_patient(l, "PRAGMA application_id", &app, NULL, 0, e)) != LAR_OK)
		goto out;
	first_reads = 0;
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
		/* a database of another program is refused before anything is
		 * written to it: the switch to WAL below would stay in its file */
		int64_t objects = 0;
		if (ver == 0 && app == 0 &&
		    (st = query_patient(l, "SELECT count(*) FROM sqlite_schema", &objects, NULL, 0, e)) != LAR_OK)
			goto out;
		if (objects != 0) {
			/* unless another la-receipt made it a ledger meanwhile:
			 * upgrade() then finds it done, under the lock */
			if ((st = query_patient(l, "PRAGMA user_version", &ver, NULL, 0, e)) != LAR_OK ||
			    (st = query_patient(l, "PRAGMA application_id", &app, NULL, 0, e)) != LAR_OK)
				goto out;
			if (ver == 0 && app == 0) {
				st = lar_err_set(e, LAR_E_INVAL, "not a la-receipt ledger (a database with other tables)");
				goto out;
			}
			if (ver == LAR_LEDGER_SCHEMA_VERSION && app == LEDGER_APP_ID)
				goto current;
		}
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
		 * 64 KiB pages hold forty receipts of about 1.6 KB where 4 KiB
		 * pages held two (a quarter of each page went unused), and an
		 * import writes a quarter as many WAL frames, each a header and a
		 * page (two system calls), as with 16 KiB pages, then copies a
		 * quarter as many at the checkpoint.  WAL cannot be switched on inside a
		 * transaction; it is persistent, so once is enough (a new ledger,
		 * or an old one that somehow lost it). */
		int64_t dummy;
		char mode[16];
		if ((ver == 0 && (st = ledger_exec(l, "PRAGMA page_size = " LEDGER_PAGE_SIZE, "open", e)) != LAR_OK) ||
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
current:
	/* SQLite turns a cache size in KiB into pages with the page size it
	 * knows when the pragma runs, which may have been the 4 KiB default
	 * before the file was read or created: say it again now. */
	if ((st = ledger_exec(l, "PRAGMA cache_size = -" LEDGER_CACHE_KIB, "open", e)) != LAR_OK)
		goto out;
	l->version = LAR_LEDGER_SCHEMA_VERSION;
	*out = l;
	return LAR_OK;
out:
	/* the first reads open the -wal and -shm files beside the ledger, and
	 * SQLite's "attempt to write a readonly database" does not say so */
	if (first_reads && st == LAR_E_IO && dir_cannot_hold_wal(l->db, path)) {
		char why[256];
		snprintf(why, sizeof why, "%s", sqlite3_errmsg(l->db));
		st = lar_err_set(e, LAR_E_IO,
				 "cannot create the ledger's -wal and -shm files beside it (%s): its directory is not "
				 "writable, and SQLite's WAL mode needs them even to read; read a copy in a writable "
				 "directory",
				 why);
	}
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
	ledger_store_free(l);
	free(l);
}

/* ---- import ---- */

lar_status lar_ledger_run_begin(struct lar_ledger *l, const char *program_version, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;

	if (l->run_id != 0 || (l->flags & LAR_LEDGER_READONLY))
		return lar_err_set(e, LAR_E_STATE, "run_begin: a run is open or the ledger is read-only");
	if ((st = ledger_stmt(l, ST_RUN_BEGIN, &s, e)) != LAR_OK)
		return st;
	ledger_bind_cstr(s, 1, program_version);
	if ((st = ledger_run(l, ST_RUN_BEGIN, "start import run", e)) != LAR_OK)
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

/*
 * The page cache for the file about to be imported: an eighth of the
 * ledger, at least IMPORT_CACHE_MIN_KIB and at most IMPORT_CACHE_MAX_KIB.
 * What an import reads again is the index pages where its rows go, at
 * scattered places (receipt_order and the lookup keys, about a sixteenth of
 * a ledger); the receipts, and a new ledger's indexes, are written once in
 * order and spill to the WAL whatever the cache.  A cache larger than
 * that only costs its first touch: 64 MiB of a new ledger's import were
 * 14,000 page faults of its writing thread (of 35,000) and 56 MB of its
 * peak RSS, for nothing.
 */
static lar_status size_cache(struct lar_ledger *l, struct lar_err *e)
{
	int64_t pages, page_size;
	lar_status st;
	if ((st = ledger_query_int(l, "PRAGMA page_count", &pages, e)) != LAR_OK ||
	    (st = ledger_query_int(l, "PRAGMA page_size", &page_size, e)) != LAR_OK)
		return st;
	int64_t kib = pages * page_size / 8 / 1024;
	if (kib < IMPORT_CACHE_MIN_KIB)
		kib = IMPORT_CACHE_MIN_KIB;
	if (kib > IMPORT_CACHE_MAX_KIB)
		kib = IMPORT_CACHE_MAX_KIB;
	if (kib == l->cache_kib)
		return LAR_OK;
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA cache_size = -%lld", (long long)kib);
	if ((st = ledger_exec(l, sql, "begin file", e)) != LAR_OK)
		return st;
	l->cache_kib = kib;
	return LAR_OK;
}

/* The id the open file's import_file row will get at commit, which its
 * receipts name (receipt.file): the next one, as the write lock is held. */
static lar_status next_file_id(struct lar_ledger *l, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st = ledger_stmt(l, ST_NEXT_FILE, &s, e);
	if (st != LAR_OK)
		return st;
	int rc = sqlite3_step(s);
	l->file_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return ledger_fail(l, e, rc, "begin file");
	return LAR_OK;
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
	if ((st = ledger_run(l, ST_BEGIN, "begin file", e)) != LAR_OK)
		return st;
	if ((st = size_cache(l, e)) != LAR_OK || (st = next_file_id(l, e)) != LAR_OK ||
	    (st = ledger_store_begin(l, e)) != LAR_OK) {
		ledger_run(l, ST_ROLLBACK, "rollback", NULL);
		return st;
	}
	l->in_file = 1;
	memset(&l->file, 0, sizeof l->file);
	return LAR_OK;
}

static void bind_counts(sqlite3_stmt *s, int first, const struct lar_ledger_counts *c)
{
	sqlite3_bind_int64(s, first, ledger_clamp(c->records));
	sqlite3_bind_int64(s, first + 1, ledger_clamp(c->imported));
	sqlite3_bind_int64(s, first + 2, ledger_clamp(c->present));
	sqlite3_bind_int64(s, first + 3, ledger_clamp(c->conflicts));
	sqlite3_bind_int64(s, first + 4, ledger_clamp(c->flagged));
	sqlite3_bind_int64(s, first + 5, ledger_clamp(c->rejected));
	sqlite3_bind_int64(s, first + 6, ledger_clamp(c->skipped));
}

lar_status lar_ledger_file_commit(struct lar_ledger *l, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;

	if (!l->in_file)
		return lar_err_set(e, LAR_E_STATE, "file_commit: no file open");
	if ((st = ledger_store_flush(l, e)) != LAR_OK || (st = ledger_stmt(l, ST_FILE_ROW, &s, e)) != LAR_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, l->run_id);
	ledger_bind_cstr(s, 2, l->source);
	bind_counts(s, 3, &l->file);
	sqlite3_bind_int64(s, 10, l->file_id);
	st = ledger_run(l, ST_FILE_ROW, "record file", e);
	sqlite3_clear_bindings(s);
	if (st != LAR_OK || (st = ledger_run(l, ST_COMMIT, "commit file", e)) != LAR_OK)
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
		ledger_run(l, ST_ROLLBACK, "rollback", NULL);
	l->in_file = 0;
	memset(&l->file, 0, sizeof l->file);
	ledger_store_abort(l);
}

lar_status lar_ledger_run_end(struct lar_ledger *l, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st;

	if (l->run_id == 0 || l->in_file)
		return lar_err_set(e, LAR_E_STATE, "run_end: no run open, or a file is open");
	if ((st = ledger_stmt(l, ST_RUN_END, &s, e)) != LAR_OK)
		return st;
	sqlite3_bind_int64(s, 1, l->run_id);
	sqlite3_bind_int64(s, 2, ledger_clamp(l->run_files));
	bind_counts(s, 3, &l->run);
	st = ledger_run(l, ST_RUN_END, "end import run", e);
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

lar_status lar_ledger_check(struct lar_ledger *l, struct lar_err *e)
{
	sqlite3_stmt *s = NULL;
	lar_status st = LAR_OK;
	int rc = sqlite3_prepare_v2(l->db, "PRAGMA integrity_check", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return ledger_fail(l, e, rc, "integrity check");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct lar_str r = ledger_col_str(s, 0);
		if (r.p == NULL || r.n != 2 || memcmp(r.p, "ok", 2) != 0)
			st = lar_err_set(e, LAR_E_DB, "integrity check: %.*s", (int)(r.n > 300 ? 300 : r.n),
					 r.p ? r.p : "");
	} else {
		st = ledger_fail(l, e, rc, "integrity check");
	}
	sqlite3_finalize(s);
	if (st != LAR_OK)
		return st;
	rc = sqlite3_prepare_v2(l->db, "PRAGMA foreign_key_check", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return ledger_fail(l, e, rc, "foreign key check");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct lar_str t = ledger_col_str(s, 0);
		st = lar_err_set(e, LAR_E_DB, "foreign key check: a row of %.*s points nowhere", (int)t.n,
				 t.p ? t.p : "");
	} else if (rc != SQLITE_DONE) {
		st = ledger_fail(l, e, rc, "foreign key check");
	}
	sqlite3_finalize(s);
	if (st == LAR_OK && (st = lar_ledger_read_begin(l, e)) == LAR_OK) {
		st = ledger_check_filters(l, e);
		lar_ledger_read_end(l);
	}
	return st;
}

