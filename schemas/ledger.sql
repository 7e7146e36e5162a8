-- ledger.sql - the la-receipt ledger (SPEC §4.2), schema version 5.
--
-- This text is the one source of the schema: ledger/ledger_schema.c
-- carries it byte for byte (tests/test_ledger.c checks that) and ledger.c
-- runs it, in one transaction, to create a new ledger.  `sqlite3 x.db < schemas/ledger.sql`
-- makes the same thing.  An older ledger is brought to this version by the
-- forward migrations in ledger.c; a newer one is refused.  la-receipt creates
-- a new ledger with 64 KiB pages (PRAGMA page_size = 65536, set before this
-- text runs; the schema does not depend on it).
--
-- Conventions:
--  - Every value of a receipt comes from the signed payload (SPEC §1.2); the
--    envelope's keyId is kept because it selected the secret that matched.
--  - TEXT columns hold UTF-8; a NULL column is a JSON null in the payload
--    (or, for tool_name and the attestation group, an absent member).
--  - Times are UTC.  created_at is the payload's own text
--    'yyyy-MM-ddTHH:mm:ss.fffffffZ'; created_ticks counts 100 ns ticks since
--    1970-01-01T00:00:00Z; created_day is 'YYYY-MM-DD', the first ten
--    characters of created_at, for day ranges (receipt has no such column
--    from schema version 5 on: substr(created_at, 1, 10)).  Run times are
--    'YYYY-MM-DDTHH:MM:SS.SSSZ' from the SQLite clock.
--  - payload (schema version 5; payload_b64 before) is the signed payload
--    decoded: the canonical JSON's bytes whose base64url text (RFC 4648 §5,
--    no padding) the MAC covered.  SPEC §2.3 accepts only strict base64url
--    (no padding, unused trailing bits zero), so the text is exactly the
--    encoding of these bytes and export or a re-verification gets it back
--    byte for byte; the bytes are about three quarters of the text.
--  - flag_bits has bit (1 << n) set for reason n of SPEC §2.3 in table
--    order: noncanonical_payload 10, body_mismatch 11, amount_mismatch 12,
--    fee_mismatch 13, id_mismatch 14, attestation_mismatch 15,
--    test_receipt 16, unexpected_status 17.  A discrepancy is a receipt
--    flagged amount_mismatch or fee_mismatch: (flag_bits & 12288) != 0.
--  - flags is the same set as text: reason codes in that order separated by
--    one space, '' when there are none.
--  - Lookup keys: a receiptId, and the (tool, paying project, idempotency key)
--    of a charge, are found through 64-bit integer keys in the tables
--    receipt_key and charge_key rather than through indexes on the text.
--    A key is the first 8 bytes of a SHA-256, read as a big-endian signed
--    integer:
--      receipt key = SHA-256(receipt_id)
--      charge key  = SHA-256(mcp_tool_id || LF || (paying_project_id or '-')
--                            || LF || idempotency_key)
--    Two different texts may share a key: ledger.c always compares the text
--    as well, so a key only narrows the search.  In sqlite3, which cannot
--    compute the keys, `WHERE receipt_id = '...'` works but reads the
--    whole receipt table.

PRAGMA application_id = 1279349315; -- 'LARC': marks the file as a la-receipt ledger
PRAGMA user_version = 5;            -- schema version

-- One row per `la-receipt import` invocation.
CREATE TABLE import_run (
	id              INTEGER PRIMARY KEY, -- run number, increasing
	started_at      TEXT NOT NULL,       -- when the run began
	ended_at        TEXT,                -- when it ended; NULL while running, or when killed
	program_version TEXT NOT NULL,       -- la-receipt version that ran it
	files           INTEGER NOT NULL DEFAULT 0, -- input files committed by the run
	records         INTEGER NOT NULL DEFAULT 0, -- records read from those files
	imported        INTEGER NOT NULL DEFAULT 0, -- receipts stored for the first time
	present         INTEGER NOT NULL DEFAULT 0, -- receipts already in the ledger, same payload
	conflicts       INTEGER NOT NULL DEFAULT 0, -- receiptId stored with another payload
	flagged         INTEGER NOT NULL DEFAULT 0, -- records whose verdict was flag (any of the above)
	rejected        INTEGER NOT NULL DEFAULT 0, -- records whose verdict was fail
	skipped         INTEGER NOT NULL DEFAULT 0  -- records skipped without a verdict (SPEC §2.1)
) STRICT;

-- One row per input file committed; written in the file's own transaction,
-- so a file is listed here exactly when its records are in the ledger.
CREATE TABLE import_file (
	id           INTEGER PRIMARY KEY, -- commit number, increasing
	run_id       INTEGER NOT NULL REFERENCES import_run (id), -- the run that read the file
	source       TEXT NOT NULL,       -- file name as given ('-' for standard input)
	committed_at TEXT NOT NULL,       -- when the file's transaction committed
	records      INTEGER NOT NULL,    -- records read from the file
	imported     INTEGER NOT NULL,    -- counts as in import_run, for this file only
	present      INTEGER NOT NULL,
	conflicts    INTEGER NOT NULL,
	flagged      INTEGER NOT NULL,
	rejected     INTEGER NOT NULL,
	skipped      INTEGER NOT NULL
) STRICT;

-- Every authentic receipt (verdict ok or flag), once per receiptId (ledger.c
-- looks a receiptId up in receipt_key before it stores one): the first
-- signed payload seen for it.  Later different payloads go to conflict.
-- Columns are kept for what reports, export's CSV and the lookups read;
-- the payload's other members (version, mcpGateSessionId, mcpGateTokenId,
-- the attestation group, members unknown to us) are read from payload
-- (schema version 5; they had columns of their own before, as did
-- created_day, verdict, flags, source and run_id, which are derived: the
-- verdict is 'flag' exactly when flag_bits is not 0, flags is flag_bits as
-- text, and source and run_id are those of the import_file row in file).
-- An import writes fewer bytes and binds fewer values a receipt.
CREATE TABLE receipt (
	id                         INTEGER PRIMARY KEY, -- storage order
	receipt_id                 TEXT NOT NULL,       -- receiptId
	revenue_event_id           TEXT NOT NULL,       -- revenueEventId (guid)
	created_at                 TEXT NOT NULL,       -- createdAt as signed
	created_ticks              INTEGER NOT NULL,    -- createdAt in ticks (see above)
	status                     TEXT NOT NULL,       -- status: 'Charged', 'Test' or another value
	mcp_tool_id                TEXT NOT NULL,       -- mcpToolId (guid)
	tool_slug                  TEXT NOT NULL,       -- toolSlug
	tool_name                  TEXT,                -- toolName; NULL in 18-member payloads
	tool_method_name           TEXT NOT NULL,       -- toolMethodName
	paying_project_id          TEXT,                -- payingProjectId (guid)
	agent_id                   TEXT,                -- agentId
	idempotency_key            TEXT,                -- idempotencyKey
	request_id                 TEXT,                -- requestId
	gross_sats                 INTEGER NOT NULL,    -- grossSats
	platform_fee_sats          INTEGER NOT NULL,    -- platformFeeSats
	net_sats                   INTEGER NOT NULL,    -- netSats
	fee_basis_points           INTEGER NOT NULL,    -- feeBasisPoints
	flag_bits                  INTEGER NOT NULL,    -- flag reasons as bits (see above); 0: verdict ok
	payload                    BLOB NOT NULL,       -- the signed payload, decoded (see above); it
	                                                -- alone keeps the members without a column
	signature                  TEXT NOT NULL,       -- the signature exactly as received
	key_id                     TEXT NOT NULL,       -- envelope keyId whose secret matched
	key_fingerprint            TEXT NOT NULL,       -- that secret's fingerprint (SPEC §3)
	file                       INTEGER NOT NULL,    -- import_file.id of the file it was first
	                                                -- imported from (that row is written when the
	                                                -- file commits, so this is not a declared
	                                                -- foreign key)
	line                       INTEGER NOT NULL     -- line in that file where the record starts
) STRICT;

-- export: every receipt in createdAt order within a day range (schema
-- version 4; an index on receipt before).  ledger.c keeps it the way it keeps
-- the lookup keys below: a file's rows are held in memory and written sorted,
-- many a statement, at commit (or when many are held); the index, updated
-- row by row at scattered places, took about a fifth of the writing thread
-- of an import of 100,000 receipts.
CREATE TABLE receipt_order (
	created_day   TEXT NOT NULL,    -- receipt.created_day
	created_ticks INTEGER NOT NULL, -- receipt.created_ticks
	receipt_id    TEXT NOT NULL,    -- receipt.receipt_id
	receipt       INTEGER NOT NULL, -- receipt.id
	PRIMARY KEY (created_day, created_ticks, receipt_id)
) STRICT, WITHOUT ROWID;

-- report reconcile: the discrepant Charged receipts of a day range (by the
-- day of created_at: schema version 5 has no created_day column).
CREATE INDEX receipt_discrepancy ON receipt (substr(created_at, 1, 10), created_ticks, receipt_id)
	WHERE status = 'Charged' AND (flag_bits & 12288) != 0;

-- The lookup keys of import, in two levels so that an import into a large
-- ledger does not rewrite pages all over a large index: a receipt's key is
-- added at level 0, which stays small enough to sit in memory; when a file
-- is committed and level 0 has passed an eighth of the receipts (and a
-- million keys), all of level 0 is moved to level 1 in one ordered pass.
-- A lookup reads both levels.  The keys are (level, key, receipt) so that
-- each level is one contiguous range of the table.
--
-- receipt_key: every receipt, by the key of its receipt_id.
CREATE TABLE receipt_key (
	level   INTEGER NOT NULL, -- 0: added since the last merge; 1: merged
	key     INTEGER NOT NULL, -- lookup key of receipt.receipt_id (see above)
	receipt INTEGER NOT NULL, -- receipt.id
	PRIMARY KEY (level, key, receipt)
) STRICT, WITHOUT ROWID;

-- charge_key: every Charged receipt that has an idempotency key, by the key
-- of its (tool, paying project, idempotency key).
CREATE TABLE charge_key (
	level   INTEGER NOT NULL, -- as in receipt_key
	key     INTEGER NOT NULL, -- lookup key of the charge (see above)
	receipt INTEGER NOT NULL, -- receipt.id
	PRIMARY KEY (level, key, receipt)
) STRICT, WITHOUT ROWID;

-- key_filter: Bloom filters of both levels of receipt_key and of charge_key,
-- so that an import reads a key table (a random page of a large table) only
-- for the few new keys that the filters cannot rule out.  Two rows a table:
--  - name 'receipt_key' or 'charge_key': level 1, rewritten with every
--    merge.  Without this row, level 1 is read for every key (unless it holds
--    none).  Built with about 12 bits a key; built again when a merge leaves
--    it fewer than 8.
--  - name 'receipt_key level 0' or 'charge_key level 0' (schema version 3):
--    level 0, rewritten by every import that changes level 0, so that an
--    import need not read all of level 0 (up to an eighth of the keys) to
--    build it; keys is exactly the number of keys at level 0.  Without this
--    row, import builds it from level 0.  Built for twice its keys, at least
--    2 * 131072, with 12 bits a key; built again when it has fewer than 8.
-- keys counts the keys set in bits.  Bit n is bit (n % 8) of byte (n / 8); a
-- key sets 6 bits: for i = 1..6, with x = key + i * 0x9e3779b97f4a7c15
-- (unsigned 64-bit), bit (splitmix64(x) * nbits) >> 64, where splitmix64 is
-- its usual finalizer (x ^= x >> 30; x *= 0xbf58476d1ce4e5b9; x ^= x >> 27;
-- x *= 0x94d049bb133111eb; x ^= x >> 31) and nbits = 8 * length(bits).
CREATE TABLE key_filter (
	name TEXT PRIMARY KEY,  -- 'receipt_key', 'charge_key' (level 1), or either + ' level 0'
	keys INTEGER NOT NULL,  -- keys at that level of that table, all of them set in bits
	bits BLOB NOT NULL      -- the filter (see above)
) STRICT;

-- report dupes: every Charged receipt that shares its tool, paying project
-- (two NULLs are the same project) and idempotency key with another Charged
-- receipt, i.e. every receipt of a double charge.  ledger.c adds a receipt
-- and the ones it matches when it stores it, in the same transaction, so
-- the report reads only these rows however large the ledger grows.
CREATE TABLE double_charge (
	receipt INTEGER PRIMARY KEY REFERENCES receipt (id) -- a receipt of a double charge
) STRICT;

-- A receiptId seen again with a different signed payload: each distinct
-- payload once.  The receipt table keeps the first one seen.
CREATE TABLE conflict (
	id                INTEGER PRIMARY KEY, -- storage order
	receipt_id        TEXT NOT NULL,       -- receiptId, also in receipt.receipt_id
	created_at        TEXT NOT NULL,       -- createdAt of this payload
	status            TEXT NOT NULL,       -- status of this payload
	gross_sats        INTEGER NOT NULL,    -- grossSats of this payload
	platform_fee_sats INTEGER NOT NULL,    -- platformFeeSats of this payload
	net_sats          INTEGER NOT NULL,    -- netSats of this payload
	verdict           TEXT NOT NULL CHECK (verdict IN ('ok', 'flag')), -- its verdict
	flag_bits         INTEGER NOT NULL,    -- its flag reasons as bits
	flags             TEXT NOT NULL,       -- its flag reasons as text
	payload           BLOB NOT NULL,       -- its signed payload, decoded (as receipt.payload)
	signature         TEXT NOT NULL,       -- its signature as received
	key_id            TEXT NOT NULL,       -- its envelope keyId
	key_fingerprint   TEXT NOT NULL,       -- fingerprint of the secret that matched
	source            TEXT NOT NULL,       -- input file it was first seen in
	line              INTEGER NOT NULL,    -- line in source
	run_id            INTEGER NOT NULL REFERENCES import_run (id), -- run that stored it
	UNIQUE (receipt_id, payload)
) STRICT;

-- Every failed record (verdict fail).  Only input bytes are kept, never
-- anything from the keyring.  A record read again (same source, line,
-- reason, length and hash) is not stored twice.
CREATE TABLE reject (
	id          INTEGER PRIMARY KEY, -- storage order
	reason      TEXT NOT NULL,       -- the fail reason code of SPEC §2.3
	source      TEXT NOT NULL,       -- input file
	line        INTEGER NOT NULL,    -- line in source where the record starts
	record_len  INTEGER NOT NULL,    -- length of the whole record in bytes
	record_hash INTEGER NOT NULL,    -- 64-bit FNV-1a of the record bytes (as a signed integer):
	                                 -- identifies a re-read record, not a security check
	excerpt     BLOB NOT NULL,       -- the record's first bytes (at most 256), exactly as read
	run_id      INTEGER NOT NULL REFERENCES import_run (id), -- run that stored it
	UNIQUE (source, line, reason, record_len, record_hash)
) STRICT;

-- Sums of receipts for report reconcile, in two grains.  ledger.c adds each
-- file's new receipts to both inside the file's own transaction (cheaper
-- than a trigger per row); nothing else writes them, and receipts are never
-- updated or deleted, so summing either over a group always gives the same
-- sums as taking them over the receipt table.
--
-- day_summary: per (day, status, tool, method, paying project, agent,
-- keyId), for groupings on project or agent.  Rows are partial sums: each
-- file adds rows for the groups it touched (no lookup of the existing row,
-- which made the table as costly to keep as a second receipt index), so a
-- group may have several rows and a query sums them (GROUP BY).  The rows
-- are in day order by id (schema version 4; an index on created_day
-- before, which cost import 7% of its writing thread), so that a range of
-- days is a range of ids: id = YYYYMMDD * 4294967296 + n, where YYYYMMDD is
-- created_day's digits read as a number and n counts the day's rows from 1
-- (import numbers a file's new rows on from the day's last).  A row names
-- its group's other fields by grp, a row of summary_group (schema version
-- 5; they were columns of their own before, written again with every row:
-- nearly a row per receipt on realistic input), and its day is id's: the
-- columns of version 4 are
--   SELECT d.id, printf('%04d-%02d-%02d', (d.id >> 32) / 10000,
--          (d.id >> 32) / 100 % 100, (d.id >> 32) % 100) AS created_day,
--          g.status, g.mcp_tool_id, g.tool_slug, g.tool_method_name,
--          g.paying_project_id, g.agent_id, g.key_id, d.receipts,
--          d.gross_sats, d.platform_fee_sats, d.net_sats, d.discrepancies
--     FROM day_summary d JOIN summary_group g ON g.id = d.grp
CREATE TABLE day_summary (
	id                INTEGER PRIMARY KEY, -- the day's digits * 2^32 + its row n (see above)
	grp               INTEGER NOT NULL, -- summary_group.id of its other fields
	receipts          INTEGER NOT NULL, -- receipts in the group
	gross_sats        INTEGER NOT NULL, -- sum of gross_sats
	platform_fee_sats INTEGER NOT NULL, -- sum of platform_fee_sats
	net_sats          INTEGER NOT NULL, -- sum of net_sats
	discrepancies     INTEGER NOT NULL  -- receipts flagged amount_mismatch or fee_mismatch
) STRICT;

-- summary_group (schema version 5): the fields of day_summary's groups but
-- the day, each distinct combination once.  Its id is the key of the seven
-- fields - the 64-bit FNV-1a of them in column order joined by LF, a NULL
-- written '-', read as a signed integer - or, when another combination has
-- that id, the first id after it (as an unsigned 64-bit count, wrapping)
-- that is free or holds this one: ledger.c reads the row at the key and
-- compares the fields before it uses an id.  Rows are only added.
CREATE TABLE summary_group (
	id                INTEGER PRIMARY KEY, -- the key of its fields (see above)
	status            TEXT NOT NULL,    -- receipt.status
	mcp_tool_id       TEXT NOT NULL,    -- receipt.mcp_tool_id
	tool_slug         TEXT NOT NULL,    -- receipt.tool_slug
	tool_method_name  TEXT NOT NULL,    -- receipt.tool_method_name
	paying_project_id TEXT,             -- receipt.paying_project_id
	agent_id          TEXT,             -- receipt.agent_id
	key_id            TEXT NOT NULL     -- receipt.key_id
) STRICT;

-- day_tool_summary: the same sums per (day, status, tool, method, keyId),
-- one row per group; a few rows per day, so the default reconciliation
-- (--by day,tool) and the totals read a table that stays small.
CREATE TABLE day_tool_summary (
	created_day       TEXT NOT NULL,    -- receipt.created_day
	status            TEXT NOT NULL,    -- receipt.status
	mcp_tool_id       TEXT NOT NULL,    -- receipt.mcp_tool_id
	tool_slug         TEXT NOT NULL,    -- receipt.tool_slug
	tool_method_name  TEXT NOT NULL,    -- receipt.tool_method_name
	key_id            TEXT NOT NULL,    -- receipt.key_id
	receipts          INTEGER NOT NULL, -- receipts in the group
	gross_sats        INTEGER NOT NULL, -- sum of gross_sats
	platform_fee_sats INTEGER NOT NULL, -- sum of platform_fee_sats
	net_sats          INTEGER NOT NULL, -- sum of net_sats
	discrepancies     INTEGER NOT NULL, -- receipts flagged amount_mismatch or fee_mismatch
	PRIMARY KEY (created_day, status, mcp_tool_id, tool_slug, tool_method_name, key_id)
) STRICT, WITHOUT ROWID;
