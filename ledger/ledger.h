/*
 * ledger.h - the SQLite ledger of SPEC §4.2: where `la-receipt import` keeps
 * every authentic receipt, every rejected record, every conflicting
 * re-signed payload and one row per import run, and what export and the
 * reports read back.
 *
 * The schema is schemas/ledger.sql (every column documented there).  A
 * ledger is versioned with PRAGMA user_version and migrated forward on open;
 * a ledger written by a newer schema is refused.  Files are created with
 * mode 0600, journalled in WAL mode with synchronous=FULL.
 *
 * Import protocol (SPEC §4.2: each input file is one transaction):
 *
 *   lar_ledger_run_begin()                     one import_run row
 *     lar_ledger_file_begin(source)            BEGIN IMMEDIATE: waits for
 *                                              a concurrent import
 *       lar_ledger_add() / _add_reject() / _note_skipped()   per record
 *     lar_ledger_file_commit() or _file_rollback()
 *     ... more files ...
 *   lar_ledger_run_end()                       counts and end time
 *
 * Idempotency: a receipt whose receiptId is stored with the same signed
 * payload text is "present" and not stored again; with a different payload
 * it is a "conflict", kept once per distinct payload in the conflict table.
 * The tables that the reports read instead of the receipts (day_summary,
 * day_tool_summary, double_charge) are kept up to date in the same file
 * transaction, so they always agree with the receipt table.
 * A rejected record read again (same source, line, reason and bytes) is not
 * stored twice.  So importing the same input twice changes nothing but the
 * import_run and import_file rows.
 *
 * Every value stored comes from the verdict's signed payload (SPEC §1.2).
 *
 * Not for: verifying (verify/), formatting reports (report.c, export.c),
 * printing.  This module is the only one that includes sqlite3.h.
 */
#ifndef LAR_LEDGER_H
#define LAR_LEDGER_H

#include "lar.h"
#include "receipt.h"

#define LAR_LEDGER_SCHEMA_VERSION 5
#define LAR_LEDGER_DEFAULT_BUSY_MS 60000 /* SPEC §4.2: wait up to 60 s */
#define LAR_LEDGER_EXCERPT_MAX 256 /* bytes of a rejected record kept */

struct lar_ledger;

enum lar_ledger_flags {
	LAR_LEDGER_NOCREATE = 1u << 0, /* the file must exist and be a ledger (export, reports) */
	LAR_LEDGER_READONLY = 1u << 1, /* no writes at all; implies NOCREATE, no migration */
};

#define LAR_LEDGER_DEFAULT_LEVEL0 (1 << 20) /* lookup keys at level 0 before a merge */

struct lar_ledger_opts {
	unsigned flags; /* enum lar_ledger_flags */
	int busy_ms; /* how long to wait for another writer; 0 = default 60 s, < 0 = not at all */
	/* lookup keys held at level 0 before a commit weighs moving them to
	 * level 1 (schemas/ledger.sql); 0 = LAR_LEDGER_DEFAULT_LEVEL0.  For tests. */
	int64_t level0_max;
};

/*
 * Open (creating when allowed) the ledger at path.  A new file is created
 * with mode 0600 and gets the schema of schemas/ledger.sql; an older schema
 * is migrated forward in one transaction.  opts may be NULL (defaults).
 * The first call in a process turns SQLite's memory statistics off
 * (SQLITE_CONFIG_MEMSTATUS), unless the application initialised SQLite
 * before.
 * Returns LAR_OK with *out set (owned by the caller, close with
 * lar_ledger_close); LAR_E_NOTFOUND when the file is missing and creation
 * is not allowed; LAR_E_IO when it cannot be created; LAR_E_INVAL when the
 * file is not a la-receipt ledger or its schema version is newer than
 * LAR_LEDGER_SCHEMA_VERSION (or older, with READONLY); LAR_E_BUSY when
 * another process held the lock past the timeout; LAR_E_DB otherwise.
 */
lar_status lar_ledger_open(const char *path, const struct lar_ledger_opts *opts, struct lar_ledger **out,
			   struct lar_err *e);

/* Close; an open file transaction is rolled back.  Accepts NULL. */
void lar_ledger_close(struct lar_ledger *l);

/* The schema text that creates a new ledger (schemas/ledger.sql). */
const char *lar_ledger_schema_sql(void);

/* Schema version of the open ledger (after any migration). */
int lar_ledger_schema_version(const struct lar_ledger *l);

/* ---- import ---- */

/* Counts of SPEC §4.2's import summary.  records = imported + present +
 * conflicts + rejected + skipped; flagged counts the flag verdicts among
 * imported, present and conflicts. */
struct lar_ledger_counts {
	uint64_t records, imported, present, conflicts, flagged, rejected, skipped;
};

enum lar_ledger_outcome {
	LAR_LEDGER_IMPORTED, /* stored now */
	LAR_LEDGER_PRESENT, /* same receiptId and payload already stored */
	LAR_LEDGER_CONFLICT, /* receiptId stored with another payload; this one recorded now */
	LAR_LEDGER_CONFLICT_PRESENT, /* as CONFLICT, this payload was already recorded */
};

/* Start an import run: inserts its import_run row (waiting for a concurrent
 * writer like a file does).  program_version is stored as given.  LAR_OK,
 * LAR_E_STATE (a run is already open, or READONLY), LAR_E_BUSY, LAR_E_DB. */
lar_status lar_ledger_run_begin(struct lar_ledger *l, const char *program_version, struct lar_err *e);

/* Id of the current run (0 before lar_ledger_run_begin). */
int64_t lar_ledger_run_id(const struct lar_ledger *l);

/* Start the transaction of one input file (BEGIN IMMEDIATE, so a concurrent
 * import is waited for here, up to the busy timeout).  source names the
 * file in the rows stored ('-' for stdin); it is copied.  LAR_OK,
 * LAR_E_STATE (no run, or a file already open), LAR_E_BUSY, LAR_E_DB. */
lar_status lar_ledger_file_begin(struct lar_ledger *l, const char *source, struct lar_err *e);

/*
 * Store one authentic receipt: v->status must be LAR_V_OK or LAR_V_FLAG with
 * v->key, v->key_id, v->payload_b64, v->signature and v->p filled (as
 * lar_receipt_verify leaves them).  The payload is stored decoded: from
 * v->payload_json when it is set (it must be payload_b64 decoded, as
 * lar_receipt_verify leaves it), else decoded here.  line is where the
 * record starts.  *outcome (may be NULL) says what happened.  LAR_OK;
 * LAR_E_STATE outside a file; LAR_E_INVAL for a verdict that is not
 * ok/flag, lacks a member or whose payload is not strict base64url;
 * LAR_E_DB.  After an error the file should be rolled back.
 */
lar_status lar_ledger_add(struct lar_ledger *l, const struct lar_verdict *v, uint64_t line,
			  enum lar_ledger_outcome *outcome, struct lar_err *e);

/*
 * The lookup keys of an ok or flag verdict (schemas/ledger.sql), and the
 * hashes of its summary groups, which lar_ledger_add() computes itself: two
 * SHA-256 a receipt and three hashes of seven or eight fields, which an importer
 * that verifies on other threads can have them compute there
 * (lar_ledger_keys needs no ledger and is safe on any thread) and hand to
 * lar_ledger_add_keyed(), which is lar_ledger_add() without computing them.
 * Keys that are not v's are a programmer error: lookups would miss (and
 * wrong group hashes would split a file's sums into more rows).
 */
struct lar_ledger_keys {
	int64_t receipt; /* of its receiptId */
	int64_t charge;  /* of its (tool, paying project, idempotency key), when charged */
	int charged;     /* a Charged receipt with an idempotency key (SPEC §4 report dupes) */
	uint64_t group[2]; /* hashes of its groups in the two summary tables (in memory only) */
	int64_t summary_group; /* key of its summary_group fields (schemas/ledger.sql) */
};
lar_status lar_ledger_keys(const struct lar_verdict *v, struct lar_ledger_keys *out, struct lar_err *e);
lar_status lar_ledger_add_keyed(struct lar_ledger *l, const struct lar_verdict *v, const struct lar_ledger_keys *k,
				uint64_t line, enum lar_ledger_outcome *outcome, struct lar_err *e);

/* Store one failed record: its fail reason, the line it starts at and the
 * record bytes rec[0..len) (the first LAR_LEDGER_EXCERPT_MAX are kept; all
 * of them identify a re-read record).  LAR_OK, LAR_E_STATE, LAR_E_INVAL
 * (reason is not a fail reason), LAR_E_DB. */
lar_status lar_ledger_add_reject(struct lar_ledger *l, enum lar_reason reason, uint64_t line,
				 const uint8_t *rec, size_t len, struct lar_err *e);

/* Count a record skipped without a verdict (SPEC §2.1).  Stores nothing. */
void lar_ledger_note_skipped(struct lar_ledger *l);

/* Commit the file: records its import_file row and commits.  The file's
 * counts are added to the run's.  LAR_OK, LAR_E_STATE, LAR_E_BUSY, LAR_E_DB
 * (the file is then rolled back: nothing of it is kept). */
lar_status lar_ledger_file_commit(struct lar_ledger *l, struct lar_err *e);

/* Roll the file back: nothing of it is kept and its counts are dropped.
 * Harmless when no file is open. */
void lar_ledger_file_rollback(struct lar_ledger *l);

/* End the run: stores its end time and counts.  LAR_OK, LAR_E_STATE (no
 * run, or a file still open), LAR_E_BUSY, LAR_E_DB. */
lar_status lar_ledger_run_end(struct lar_ledger *l, struct lar_err *e);

/* Counts of the current file (zero outside one) and of the run so far
 * (committed files only).  Either pointer may be NULL. */
void lar_ledger_counts(const struct lar_ledger *l, struct lar_ledger_counts *file,
		       struct lar_ledger_counts *run);

/* ---- reading back ---- */

/* A read snapshot: the reads between lar_ledger_read_begin() and
 * lar_ledger_read_end() see one consistent state of the ledger, whatever
 * imports commit meanwhile (WAL readers never block writers).  Nests;
 * inside a file transaction both are no-ops.  LAR_OK or LAR_E_DB. */
lar_status lar_ledger_read_begin(struct lar_ledger *l, struct lar_err *e);
void lar_ledger_read_end(struct lar_ledger *l);

/* Day bounds shared by export and reconcile: "YYYY-MM-DD" (UTC), both
 * inclusive (SPEC §4), NULL for no bound.  A bound that is not a valid day
 * is LAR_E_INVAL. */
struct lar_day_range {
	const char *from, *to;
};

/*
 * One stored receipt, as export and the discrepancy list see it.  Slices
 * point into SQLite's memory and are valid only during the callback; p ==
 * NULL is a NULL column.  payload is the signed payload decoded (its
 * canonical JSON bytes, not NUL-terminated: the base64url text that was
 * signed is lar_b64url_encode of them), to be parsed by whoever needs the
 * payload's other members.  verdict and flags are derived from flag_bits,
 * source from the import_file row.
 */
struct lar_ledger_receipt {
	struct lar_str receipt_id, revenue_event_id, created_at, status, mcp_tool_id, tool_slug, tool_name,
		tool_method_name, paying_project_id, agent_id, idempotency_key, request_id, key_id,
		key_fingerprint, verdict, flags, payload, signature, source;
	int64_t created_ticks, gross_sats, platform_fee_sats, net_sats, fee_basis_points, line;
	uint32_t flag_bits;
};

/* Called once per row; returning anything but LAR_OK stops the walk and
 * that status is returned by the walking function. */
typedef lar_status (*lar_ledger_receipt_fn)(void *ctx, const struct lar_ledger_receipt *r);

/* Every receipt whose created_day is within range, ordered by createdAt then
 * receiptId (SPEC §4).  Runs in one read transaction (a consistent view
 * while an import commits).  LAR_OK, LAR_E_INVAL (range), LAR_E_DB, or the
 * callback's status. */
lar_status lar_ledger_export(struct lar_ledger *l, const struct lar_day_range *range,
			     lar_ledger_receipt_fn fn, void *ctx, struct lar_err *e);

/* report reconcile (SPEC §4): grouping fields. */
enum lar_group_field {
	LAR_GROUP_DAY, /* created day 'YYYY-MM-DD' */
	LAR_GROUP_MONTH, /* 'YYYY-MM' */
	LAR_GROUP_TOOL, /* mcpToolId and toolSlug (a renamed slug is a group of its own) */
	LAR_GROUP_METHOD, /* toolMethodName */
	LAR_GROUP_PROJECT, /* payingProjectId (null is a group) */
	LAR_GROUP_AGENT, /* agentId (null is a group) */
	LAR_GROUP_KEY, /* envelope keyId whose secret matched */
	LAR_GROUP_FIELD_COUNT
};
/* "day" "month" "tool" "method" "project" "agent" "key"; NULL out of range. */
const char *lar_group_field_name(enum lar_group_field f);
/* Reverse of lar_group_field_name; -1 when unknown. */
int lar_group_field_from_name(const char *s, size_t n);

struct lar_sums {
	int64_t count, gross_sats, platform_fee_sats, net_sats, discrepancies;
};

/* One group: the fields grouped on are set, the others have p == NULL (as
 * have null project and agent values: check the field list, not p). */
struct lar_ledger_group {
	struct lar_str day, month, tool_id, tool_slug, method, project_id, agent_id, key_id;
	struct lar_sums sums;
};
typedef lar_status (*lar_ledger_group_fn)(void *ctx, const struct lar_ledger_group *g);

/* Sums of the Charged receipts in range grouped by by[0..nby) (no field
 * twice, nby >= 1), in ascending order of those fields, taken in the given
 * order (nulls first).  LAR_OK, LAR_E_INVAL, LAR_E_DB, or fn's status. */
lar_status lar_ledger_reconcile(struct lar_ledger *l, const struct lar_day_range *range,
				const enum lar_group_field *by, size_t nby, lar_ledger_group_fn fn, void *ctx,
				struct lar_err *e);

/* Receipts in range by status class: Charged sums, and counts of Test and
 * of any other status.  LAR_OK, LAR_E_INVAL, LAR_E_DB. */
lar_status lar_ledger_status_totals(struct lar_ledger *l, const struct lar_day_range *range,
				    struct lar_sums *charged, int64_t *test, int64_t *other,
				    struct lar_err *e);

/* The Charged receipts in range flagged amount_mismatch or fee_mismatch,
 * ordered as export.  Same returns as lar_ledger_export. */
lar_status lar_ledger_discrepancies(struct lar_ledger *l, const struct lar_day_range *range,
				    lar_ledger_receipt_fn fn, void *ctx, struct lar_err *e);

/*
 * Double charges (SPEC §4 report dupes): every Charged receipt that shares
 * its (mcpToolId, idempotencyKey, payingProjectId) with another Charged
 * receipt; the idempotency key is never null, and two null paying projects
 * are the same project.  Ordered by group (tool, key, project), then by
 * createdAt and receiptId within a group, so a group's rows are adjacent
 * and its first row is the first charge.  Only receipt_id, created_at,
 * created_ticks, mcp_tool_id, paying_project_id, idempotency_key,
 * gross_sats, platform_fee_sats and net_sats are filled.
 */
lar_status lar_ledger_double_charges(struct lar_ledger *l, lar_ledger_receipt_fn fn, void *ctx,
				     struct lar_err *e);

/* One signed payload of a receiptId that has several. */
struct lar_ledger_conflict {
	struct lar_str receipt_id, created_at, status, payload, source; /* payload decoded */
	int64_t gross_sats, platform_fee_sats, net_sats, line;
	int stored; /* 1: the payload in the receipt table; 0: a conflict row */
};
typedef lar_status (*lar_ledger_conflict_fn)(void *ctx, const struct lar_ledger_conflict *c);

/* Every payload of every receiptId with more than one: per receiptId, the
 * stored one first, then the conflict rows in storage order; receiptIds in
 * ascending order.  LAR_OK, LAR_E_DB, or fn's status. */
lar_status lar_ledger_conflicts(struct lar_ledger *l, lar_ledger_conflict_fn fn, void *ctx,
				struct lar_err *e);

/* PRAGMA integrity_check and foreign_key_check: LAR_OK when both are clean,
 * LAR_E_DB with the first problem in e otherwise. */
lar_status lar_ledger_check(struct lar_ledger *l, struct lar_err *e);

#endif
