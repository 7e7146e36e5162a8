/*
 * ledger_int.h - what the files of the ledger store share: the handle, the
 * prepared statements and the helpers around them, and the calls between
 * the files.  ledger.c opens, creates, migrates and checks a ledger and
 * runs the import transactions; ledger_store.c stores what import hands it
 * (receipts, rejects, summaries, lookup keys and their filters);
 * ledger_read.c holds the queries of export and the reports; ledger_vfs.c
 * the file layer they are opened with.
 *
 * Not for: users of the library (ledger.h is the interface; this header is
 * installed with it only because the build installs every header), or any
 * code outside ledger/.  Only these files include sqlite3.h.
 */
#ifndef LAR_LEDGER_INT_H
#define LAR_LEDGER_INT_H

#include <sqlite3.h>

#include "ledger.h"

/* A discrepancy: flagged amount_mismatch or fee_mismatch (ledger.c checks
 * that this is the 12288 of schemas/ledger.sql). */
#define DISCREPANCY_BITS ((1u << LAR_R_AMOUNT_MISMATCH) | (1u << LAR_R_FEE_MISMATCH))

/* Rows of ST_ADD_RECEIPT_KEYS and ST_ADD_CHARGE_KEYS (ledger.c spells them out). */
#define KEYS_PER_STMT 64

/* The statements prepared once per handle (SQL in ledger.c). */
enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_RUN_BEGIN,
	ST_RUN_END,
	ST_FILE_ROW,
	ST_NEXT_FILE,
	ST_INSERT_RECEIPT,
	ST_FIND_RECEIPT_KEY,
	ST_RECEIPT_PAYLOAD,
	ST_ADD_RECEIPT_KEY,
	ST_FIND_CHARGE_KEY,
	ST_CHARGE_MATCH,
	ST_ADD_CHARGE_KEY,
	ST_ADD_RECEIPT_KEYS, /* KEYS_PER_STMT rows at once */
	ST_ADD_CHARGE_KEYS,
	ST_ADD_ORDER,
	ST_ADD_ORDERS, /* ORDERS_PER_STMT rows at once */
	ST_ADD_DOUBLE,
	ST_MAX_RECEIPT,
	ST_FILTER_GET,
	ST_FILTER_PUT,
	ST_INSERT_CONFLICT,
	ST_INSERT_REJECT,
	ST_SUM_INSERT,
	ST_SUM_INSERT_MANY, /* SUMS_PER_STMT rows at once */
	ST_SUM_LAST_ID,
	ST_GROUP_GET,
	ST_GROUP_PUT,
	ST_TOOL_SUM_UPSERT,
	ST_COUNT
};

/*
 * Summary upkeep.  A trigger per receipt would cost about as much as the
 * insert itself, so lar_ledger_add() sums the file's new receipts here, in
 * open-addressing tables (one per summary table), and sum_flush() writes
 * them inside the file's transaction (at commit, or earlier when
 * SUM_MAX_GROUPS distinct groups or SUM_MAX_BYTES of their fields are held,
 * which bounds the memory whatever the input).  day_summary gets the
 * partial sums as new rows; day_tool_summary adds them to its one row per
 * group.  A group flushed early and met again gets a second row: on
 * realistic input (bench/gen.py) nearly every receipt of a file of 100,000
 * starts a group (72,700 of them), and a bound of 16,384 groups wrote 94,600
 * rows where 131,072 write 72,700 (about 8% of the writing thread's
 * instructions), for about 20 MB more memory.
 */
#define SUM_MAX_FIELDS 8
#define SUM_MAX_GROUPS 131072
#define SUM_MAX_BYTES (16u << 20)
#define SUM_SLOTS (2 * SUM_MAX_GROUPS) /* a power of two; load factor <= 1/2 */

enum sum_field { SF_DAY, SF_STATUS, SF_TOOL, SF_SLUG, SF_METHOD, SF_PROJECT, SF_AGENT, SF_KEY };

/* Rows of ST_SUM_INSERT_MANY (ledger.c spells them out). */
#define SUMS_PER_STMT 16

struct sum_kind {
	/* binds the row's id (day_ids), the fields (or their summary_group:
	 * grouped), then the five sums */
	enum stmt_id flush;
	enum stmt_id flush_many; /* the same for SUMS_PER_STMT groups (ST_COUNT: none) */
	size_t nfields;
	enum sum_field fields[SUM_MAX_FIELDS]; /* in the table's column order */
	int day_ids; /* rows have ids in day order (day_summary, schemas/ledger.sql) */
	int grouped; /* fields[1..] are written as a summary_group row's id */
};
struct sgroup {
	uint64_t hash;
	int64_t gkey; /* grouped: the lookup key of fields[1..] (lar_ledger_keys) */
	int64_t gid;  /* ... and their summary_group id, found at flush */
	struct lar_str f[SUM_MAX_FIELDS]; /* copies in the arena; p == NULL for NULL */
	struct lar_sums s;
};

struct sumtab {
	const struct sum_kind *kind;
	struct sgroup *groups; /* SUM_MAX_GROUPS, allocated on first use */
	uint64_t *slots; /* SUM_SLOTS: index + 1 into groups (0 = empty), the hash's
			    top 32 bits above it (a tag) */
	size_t ngroups;
	size_t bytes; /* of the groups' fields in the arena */
	struct lar_arena arena;
};

/* A Bloom filter of level 1 of a key table (key_filter in
 * schemas/ledger.sql), read at the start of each file. */
struct keyfilter {
	uint8_t *bits;
	uint64_t nbits; /* 0: no filter, level 1 is read for every key, unless */
	int empty;      /* ... with nbits == 0: level 1 holds no key at all */
	int64_t keys;   /* level-1 keys it holds; -1: not loaded (or stale) */
};

/*
 * Level-0 keys of the open file not yet written to their table: a statement
 * per key cost more than the receipt's own insert, so lar_ledger_add() holds
 * them here and keys_flush() writes them sorted, many rows a statement, at
 * commit (or when KEYBUF_MAX are held, which bounds the memory).  Lookups
 * read them as a third place besides the two levels; slots is an
 * open-addressing table over them by key (index + 1, 0 = empty).
 */
#define KEYBUF_MAX (1u << 18)
struct keypair {
	int64_t key, receipt;
};
struct keybuf {
	struct keypair *v; /* in the order added, or sorted by key (sorted) */
	size_t n, cap;
	int sorted; /* v is in key order already (ledger_store_flush sorted it) */
	uint32_t *slots;
	size_t nslots; /* a power of two, at least 2 * n; 0 before the first key */
};

/*
 * receipt_order rows of the open file not yet written (schemas/ledger.sql):
 * held like the level-0 keys, and written sorted, ORDERS_PER_STMT rows a
 * statement, at commit or when ORDERBUF_MAX are held.
 */
#define ORDERBUF_MAX (1u << 18)
#define ORDERS_PER_STMT 32 /* ledger.c spells them out */
struct orderrow {
	int64_t ticks, receipt;
	const char *id; /* receipt_id: a copy in the arena */
	size_t id_len;
	char day[10];
};
struct orderbuf {
	struct orderrow *v;
	size_t n, cap;
	const struct orderrow **sorted; /* v in key order, when ledger_store_flush sorted it */
	struct lar_arena arena;
};

struct lar_ledger {
	sqlite3 *db;
	unsigned flags;
	int busy_ms;
	int version;
	int64_t cache_kib; /* page cache size set by the last file_begin (0: the open's) */
	int64_t run_id; /* 0: no run open */
	int in_file;
	int in_read; /* lar_ledger_read_begin nesting */
	char *source; /* current file */
	int64_t file_id; /* the import_file.id it gets at commit (receipt.file, schema 5) */
	struct lar_buf payload; /* a payload decoded by the store (no payload_json given) */
	uint64_t run_files;
	struct lar_ledger_counts file, run;
	sqlite3_stmt *st[ST_COUNT];
	struct sumtab fine, tool; /* day_summary, day_tool_summary */
	int64_t level0_max; /* lookup keys kept at level 0 before a merge is weighed */
	struct keyfilter kf[2]; /* of receipt_key, charge_key: copies of key_filter */
	/* Bloom filters of level 0 of the same tables (key_filter rows
	 * 'receipt_key level 0', 'charge_key level 0'): read when another
	 * connection has committed since (PRAGMA data_version), then kept up
	 * to date by this one and stored at each commit.  A key neither filter
	 * holds needs no lookup at all. */
	struct keyfilter l0[2];
	struct keybuf pend[2]; /* keys of receipt_key, charge_key not yet written */
	struct orderbuf order; /* rows of receipt_order not yet written */
	int l0_dirty[2]; /* l0[t] differs from its key_filter row: written at commit */
	int l0_valid;
	int64_t data_version;
};

/* ---- ledger.c: statements and errors ---- */

/* A SQLite result code as a lar_status with a message naming `what`. */
lar_status ledger_fail(struct lar_ledger *l, struct lar_err *e, int rc, const char *what);
/* The prepared statement id (prepared on first use). */
lar_status ledger_stmt(struct lar_ledger *l, enum stmt_id id, sqlite3_stmt **out, struct lar_err *e);
/* Step statement id once (no rows wanted) and reset it. */
lar_status ledger_run(struct lar_ledger *l, enum stmt_id id, const char *what, struct lar_err *e);
/* One-off SQL without results (sqlite3_exec). */
lar_status ledger_exec(struct lar_ledger *l, const char *sql, const char *what, struct lar_err *e);
/* One-off query of one integer (0 when it returns no row). */
lar_status ledger_query_int(struct lar_ledger *l, const char *sql, int64_t *out, struct lar_err *e);
/* Bind a slice (NULL for p == NULL) or a C string, not copied. */
int ledger_bind_str(sqlite3_stmt *s, int i, struct lar_str v);
int ledger_bind_cstr(sqlite3_stmt *s, int i, const char *v);
/* Column i as a slice (p == NULL for NULL), valid until the next step:
 * as text, or (col_blob) a BLOB's bytes. */
struct lar_str ledger_col_str(sqlite3_stmt *s, int i);
struct lar_str ledger_col_blob(sqlite3_stmt *s, int i);
/* The flags text of schemas/ledger.sql (reason codes of the flag bits in
 * table order, separated by one space) of bits, into out[0..cap). */
void ledger_flags_text(uint32_t bits, char *out, size_t cap);
/* A count as an SQL integer. */
int64_t ledger_clamp(uint64_t v);

/* ---- ledger_vfs.c ---- */

/* The name of the VFS a ledger is opened with (registered on first call):
 * the default one with early write-back; NULL: the default itself. */
const char *ledger_vfs_name(void);

/* ---- ledger_store.c: what the import transactions call ---- */

void ledger_store_init(struct lar_ledger *l);  /* at open */
void ledger_store_free(struct lar_ledger *l);  /* at close */
/* At the start of a file, inside its transaction: empty the sums, read the
 * key filters (another import may have merged keys meanwhile). */
lar_status ledger_store_begin(struct lar_ledger *l, struct lar_err *e);
/* At commit, before the file's row: write the sums, merge the keys. */
lar_status ledger_store_flush(struct lar_ledger *l, struct lar_err *e);
/* After a rollback: drop the sums, read the filters again next time. */
void ledger_store_abort(struct lar_ledger *l);
/* SQL functions lar_receipt_key(receipt_id) and lar_charge_key(tool,
 * project, key): the lookup keys, for the migration and the conflict query. */
void ledger_sql_key(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* SQL function lar_b64url_decode(text): the bytes as a BLOB, NULL when the
 * text is not strict base64url (the migration to schema version 5). */
void ledger_sql_b64url_decode(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* SQL function lar_summary_group(status, tool, slug, method, project, agent,
 * key): the id of that summary_group row, added when there is none (the
 * migration to schema version 5); its user data is the handle. */
void ledger_sql_group(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* Migration: build both key filters from level 1. */
lar_status ledger_build_filters(struct lar_ledger *l, struct lar_err *e);
/* Migration: build both level-0 filters from level 0 and store them. */
lar_status ledger_build_level0_filters(struct lar_ledger *l, struct lar_err *e);
/* report check: each stored filter holds all of its level, and says how
 * many keys that level has. */
lar_status ledger_check_filters(struct lar_ledger *l, struct lar_err *e);

#endif
