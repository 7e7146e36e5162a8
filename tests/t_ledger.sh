#!/bin/bash
# t_ledger.sh - end-to-end tests of the ledger commands (SPEC §4, §4.2,
# §4.3): import of the golden sample twice (counts, an identical ledger, a
# re-delivered receipt counted as present, rejects kept), mode 0600, exit
# statuses, kill -9 during large imports (integrity ok, every file wholly in
# or out, a rerun completes it), a write that fails part-way, two concurrent
# imports, a second import waiting for the first, export (order, inclusive
# --from/--to, CSV read back by Python's csv module, atomic -o), and report
# reconcile/dupes findings.
# Not for: the SQL details (test_ledger.c) or report sums (test_report.c).
set -u
export LC_ALL=C TZ=UTC
BIN=${LAR_BIN:?LAR_BIN must name the la-receipt binary}
GOLDEN=${LAR_SHARED:-/nonexistent}/golden
mkdir -p "${LAR_TMP:-/tmp}"
T=$(mktemp -d "${LAR_TMP:-/tmp}/t_ledger.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
unset LA_RECEIPT_KEYRING LA_RECEIPT_LEDGER

pass=0
fail=0
ok() { pass=$((pass + 1)); }
no() {
	fail=$((fail + 1))
	echo "FAIL: $*"
	if [ -s "$T/err" ]; then sed 's/^/    stderr: /' "$T/err" | head -5; fi
}
check() {
	local d=$1
	shift
	if "$@"; then ok; else no "$d"; fi
}
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}
expect_rc() {
	local want=$1 d=$2
	if [ "$rc" = "$want" ]; then ok; else no "$d: exit $rc, expected $want"; fi
}
lines() { wc -l <"$1" | tr -d ' '; }
# json FILE MEMBER: an integer member of a one-line JSON object
json() { sed -n "s/.*\"$2\":\\(-\\{0,1\\}[0-9][0-9]*\\).*/\\1/p" "$1"; }
have_sqlite=0
command -v sqlite3 >/dev/null 2>&1 && have_sqlite=1
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1
# integrity LEDGER DESC: PRAGMA integrity_check through our binary, and
# through the sqlite3 shell when there is one
integrity() {
	run "$BIN" report check -d "$1"
	check "$2: report check" test "$rc" = 0 -a "$(cat "$T/out")" = ok
	if [ $have_sqlite = 1 ]; then
		check "$2: sqlite3 integrity_check" test "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok
	fi
}

# ---- a large signed input, made with our own sign command ----
KEYSPEC=ledger-test=text:t-ledger-secret-0123456789
# gen FILE_NO N: N payloads of file FILE_NO, createdAt rising, idempotency keys unique
gen() {
	awk -v f="$1" -v n="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			t = f * 100000 + i
			d = 1 + int(t / 86400) % 28; h = int(t / 3600) % 24; m = int(t / 60) % 60; s = t % 60
			ev = sprintf("%08x-0000-4000-8000-%012x", f, i)
			rid = sprintf("mcp_receipt_%08x000040008000%012x", f, i)
			g = 1 + i % 1000
			fee = int(g * 500 / 10000); if (fee < 1) fee = 1
			printf "{\"agentId\":\"agent_%d\",", i % 7
			printf "\"createdAt\":\"2026-04-%02dT%02d:%02d:%02d.%07dZ\",", d, h, m, s, i
			printf "\"feeBasisPoints\":500,\"grossSats\":%d,", g
			printf "\"idempotencyKey\":\"k-%d-%d\",", f, i
			printf "\"mcpGateSessionId\":null,\"mcpGateTokenId\":null,"
			printf "\"mcpToolId\":\"e3e70682-c209-4cac-a29f-6fbed82c07cd\","
			printf "\"netSats\":%d,", g - fee
			printf "\"payingProjectId\":\"8b56177d-fb51-44f7-bd21-b22d3dfd013f\","
			printf "\"platformFeeSats\":%d,", fee
			printf "\"receiptId\":\"%s\",\"requestId\":null,", rid
			printf "\"revenueEventId\":\"%s\",\"status\":\"Charged\",", ev
			printf "\"toolMethodName\":\"search\",\"toolName\":\"Weather\","
			printf "\"toolSlug\":\"weather-api\",\"version\":\"mcp-call-receipt-v1\"}\n"
		}
	}'
}
NBIG=15000
for f in 1 2 3 4 5 6; do
	gen $f $NBIG >"$T/p$f.jsonl"
	"$BIN" sign --key "$KEYSPEC" --key-id ledger-test "$T/p$f.jsonl" >"$T/big$f.jsonl" 2>"$T/err"
	check "sign made $NBIG envelopes for file $f" test "$(lines "$T/big$f.jsonl")" = $NBIG
done

# ---- kill -9 during imports: every file wholly in or out, a rerun completes ----
K=$T/kill.db
for round in 1 2 3 4 5; do
	"$BIN" import -q -d "$K" --key "$KEYSPEC" "$T/big1.jsonl" "$T/big2.jsonl" "$T/big3.jsonl" \
		"$T/big4.jsonl" 2>/dev/null &
	pid=$!
	# somewhere between opening the ledger and finishing
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ -e "$K" ] || continue
	integrity "$K" "after kill -9, round $round"
	if [ $have_sqlite = 1 ]; then
		# receipt.file names the import_file row of the file (schema version 5)
		whole=$(sqlite3 "$K" "SELECT count(*) FROM
			(SELECT file, count(*) AS c FROM receipt GROUP BY file) WHERE c != $NBIG")
		check "after kill -9, round $round: every file wholly in or out" test "$whole" = 0
		files=$(sqlite3 "$K" "SELECT count(DISTINCT source) FROM import_file")
		srcs=$(sqlite3 "$K" "SELECT count(DISTINCT f.source) FROM receipt r
			JOIN import_file f ON f.id = r.file")
		orphans=$(sqlite3 "$K" "SELECT count(*) FROM receipt WHERE file NOT IN (SELECT id FROM import_file)")
		check "after kill -9, round $round: import_file lists exactly the files stored" \
			test "$files" = "$srcs" -a "$orphans" = 0
	else
		run "$BIN" export -d "$K" --format jsonl
		check "after kill -9, round $round: a whole number of files" \
			test $(($(lines "$T/out") % NBIG)) = 0
	fi
done
run "$BIN" import -d "$K" --key "$KEYSPEC" --format json "$T/big1.jsonl" "$T/big2.jsonl" "$T/big3.jsonl" \
	"$T/big4.jsonl"
expect_rc 0 "the rerun after the kills"
check "the rerun stores what is missing and finds the rest" \
	test "$(($(json "$T/out" imported) + $(json "$T/out" alreadyPresent)))" = $((4 * NBIG))
run "$BIN" export -d "$K" --format jsonl
check "after the rerun every receipt is stored once" test "$(lines "$T/out")" = $((4 * NBIG))
integrity "$K" "after the rerun"

# ---- a write that fails part-way (here: past a file size limit) ----
# The WAL is written by a thread of its own (ledger/ledger_vfs.c): a write
# of it that fails must still fail the file's commit, and leave the ledger
# as it was.  SIGXFSZ is ignored, so the write past the limit gets EFBIG.
F=$T/fsize.db
run "$BIN" import -q -d "$F" --key "$KEYSPEC" "$T/big5.jsonl"
expect_rc 0 "import before the size-limited one"
run bash -c 'trap "" XFSZ; ulimit -f 8192; exec "$@"' sh "$BIN" import -q -d "$F" --key "$KEYSPEC" \
	"$T/big6.jsonl"
expect_rc 2 "import whose WAL cannot grow past 8 MiB"
check "the failed write is named" grep -q -i "error\|full" "$T/err"
integrity "$F" "after the failed import"
run "$BIN" export -d "$F" --format jsonl
check "after the failed import only the file before it is stored" test "$(lines "$T/out")" = $NBIG
run "$BIN" import -q -d "$F" --key "$KEYSPEC" --format json "$T/big6.jsonl"
expect_rc 0 "the same import without the limit"
run "$BIN" export -d "$F" --format jsonl
check "after it both files are stored" test "$(lines "$T/out")" = $((2 * NBIG))
integrity "$F" "after the import without the limit"

# ---- import stores exactly what verify decides, batch after batch ----
# Around and across import's batches of 1024 records: values that are not
# JSON, one of them balanced across three lines with a whole record on its
# second line (SPEC §2.1: reading resumes there, inside the failed value),
# broken values, and a record split over two lines.  Every ok/flag line must
# be a stored receipt and every fail line a reject.
M=$T/mixed.jsonl
awk 'NR == 1023 || NR == 2049 || NR == 4000 { print "{\"not\": json at all" }
	NR == 1024 || NR == 1025 || NR == 3071 { print "{\"x\": nope, \"y\":"; print; print "}"; next }
	NR == 3000 { print "garbage"; print "[1, 2,]" }
	NR == 3500 { sub(/,/, ",\n  "); print; next }
	{ print }' "$T/big1.jsonl" >"$M"
"$BIN" verify --format json --key "$KEYSPEC" "$M" 2>/dev/null |
	sed -n 's/.*"line":\([0-9]*\),"status":"\([a-z]*\)".*/\1 \2/p' >"$T/verdicts"
run "$BIN" import -d "$T/mixed.db" --key "$KEYSPEC" --format json "$M"
expect_rc 1 "import of a file with records that are not JSON"
n_ok=$(grep -c ' ok$' "$T/verdicts")
n_fail=$(grep -c ' fail$' "$T/verdicts")
check "verify gives the mixed file $NBIG ok records" test "$n_ok" = $NBIG
check "import stores verify's ok records ($(json "$T/out" imported) of $n_ok)" \
	test "$(json "$T/out" imported)" = "$n_ok"
check "import rejects verify's fail records ($(json "$T/out" rejected) of $n_fail)" \
	test "$(json "$T/out" rejected)" = "$n_fail"
if [ $have_sqlite = 1 ]; then
	sqlite3 "$T/mixed.db" "SELECT line || ' ok' FROM receipt UNION ALL SELECT line || ' fail' FROM reject" |
		sort >"$T/stored"
	sort "$T/verdicts" >"$T/verdicts.sorted"
	check "import stores each record at the line verify names, with its verdict" \
		cmp -s "$T/verdicts.sorted" "$T/stored"
fi
integrity "$T/mixed.db" "after the mixed file"

# Bounded work on hostile input (not a benchmark: the limit is 30 times what
# it takes): every good record followed by a value that is not JSON, so that
# each one cuts a batch; reading the rest of every batch again made this
# quadratic once (about 80 s).
awk '{ print; print "{\"x\": nope}" }' "$T/big1.jsonl" >"$T/pairs.jsonl"
timeout 60 "$BIN" import -d "$T/pairs.db" --key "$KEYSPEC" --format json "$T/pairs.jsonl" >"$T/out" 2>"$T/err"
rc=$?
expect_rc 1 "import of $NBIG records each followed by a bad value (within 60 s)"
check "every good record of the pairs stored" test "$(json "$T/out" imported)" = $NBIG
check "every bad value of the pairs rejected" test "$(json "$T/out" rejected)" = $NBIG

# ---- two imports started together both finish ----
C=$T/concurrent.db
"$BIN" import -q -d "$C" --key "$KEYSPEC" "$T/big5.jsonl" 2>"$T/err5" &
p5=$!
"$BIN" import -q -d "$C" --key "$KEYSPEC" "$T/big6.jsonl" 2>"$T/err6" &
p6=$!
wait $p5
rc5=$?
wait $p6
rc6=$?
check "concurrent import 1 exits 0 ($rc5: $(head -c 200 "$T/err5"))" test $rc5 = 0
check "concurrent import 2 exits 0 ($rc6: $(head -c 200 "$T/err6"))" test $rc6 = 0
run "$BIN" export -d "$C" --format jsonl
check "both concurrent imports stored every receipt" test "$(lines "$T/out")" = $((2 * NBIG))
integrity "$C" "after concurrent imports"

# ---- a second import waits for the first (SPEC §4.2) ----
W=$T/wait.db
"$BIN" import -q -d "$W" --key "$KEYSPEC" "$T/big1.jsonl" "$T/big2.jsonl" "$T/big3.jsonl" 2>/dev/null &
pw=$!
sleep 0.2
run "$BIN" import -d "$W" --key "$KEYSPEC" --format json "$T/big4.jsonl"
expect_rc 0 "an import started during another one"
check "the waiting import stored its file" test "$(json "$T/out" imported)" = $NBIG
wait $pw
check "the first import finished too" test $? = 0

if [ ! -d "$GOLDEN" ]; then
	echo "# $GOLDEN not found: golden-sample part skipped"
	echo "$pass passed, $fail failed"
	[ $fail = 0 ]
	exit
fi

# ---- the golden sample, imported twice ----
G=$T/golden
mkdir -p "$G"
cp "$GOLDEN"/* "$G"/
chmod 600 "$G"/*
. "$G/env.sh"
export LAR_TEST_SECRET
want_ok=$(grep -c '"status": "ok"' "$G/expected.jsonl")
want_flag=$(grep -c '"status": "flag"' "$G/expected.jsonl")
want_fail=$(grep -c '"status": "fail"' "$G/expected.jsonl")
want_skip=$(grep -c '"status": "skipped"' "$G/expected.jsonl")
L=$T/ledger.db
(
	umask 022
	cd "$G" && "$BIN" import -d "$L" -k keyring.txt --format json receipts.jsonl >"$T/out" 2>"$T/err"
)
rc=$?
expect_rc 1 "import of the golden sample (fail and flag records in it)"
check "imported = ok + flag records" test "$(json "$T/out" imported)" = $((want_ok + want_flag))
check "flagged = flag records" test "$(json "$T/out" flagged)" = "$want_flag"
check "rejected = fail records" test "$(json "$T/out" rejected)" = "$want_fail"
check "skipped = skipped records" test "$(json "$T/out" skipped)" = "$want_skip"
check "nothing already present in a new ledger" test "$(json "$T/out" alreadyPresent)" = 0
check "failed records are named on stderr" grep -q "receipts.jsonl': line [0-9]*: fail: " "$T/err"
check "a new ledger has mode 0600 whatever the umask" test "$(stat -c %a "$L")" = 600
"$BIN" export -d "$L" --format jsonl >"$T/first.jsonl"
if [ $have_sqlite = 1 ]; then
	dump_sql="SELECT * FROM receipt ORDER BY id; SELECT * FROM reject ORDER BY id;
		SELECT * FROM conflict ORDER BY id; SELECT * FROM day_summary ORDER BY rowid;
		SELECT * FROM receipt_order ORDER BY created_day, created_ticks, receipt_id"
	sqlite3 "$L" "$dump_sql" >"$T/first.dump"
fi
(cd "$G" && "$BIN" import -d "$L" -k keyring.txt --format json receipts.jsonl >"$T/out" 2>"$T/err")
rc=$?
expect_rc 1 "second import of the golden sample"
check "second import: nothing new" test "$(json "$T/out" imported)" = 0
check "second import: every receipt already present" \
	test "$(json "$T/out" alreadyPresent)" = $((want_ok + want_flag))
"$BIN" export -d "$L" --format jsonl >"$T/second.jsonl"
check "second import leaves the receipts identical" cmp -s "$T/first.jsonl" "$T/second.jsonl"
if [ $have_sqlite = 1 ]; then
	sqlite3 "$L" "$dump_sql" >"$T/second.dump"
	check "second import leaves every table but the run rows identical" \
		cmp -s "$T/first.dump" "$T/second.dump"
	check "rejects are kept" test "$(sqlite3 "$L" 'SELECT count(*) FROM reject')" = "$want_fail"
	check "two import runs recorded" \
		test "$(sqlite3 "$L" 'SELECT count(*) FROM import_run WHERE ended_at IS NOT NULL')" = 2
fi
integrity "$L" "golden ledger"

# a re-delivered receipt in another file is already present
grep -m1 '"version":"mcp-call-receipt-v1"' "$G/receipts.jsonl" >"$G/again.jsonl"
printf '{"status":"ok","receipt":null}\n' >>"$G/again.jsonl"
run "$BIN" import -d "$L" -k "$G/keyring.txt" --format json "$G/again.jsonl"
check "a re-delivered receipt is counted as present" test "$(json "$T/out" alreadyPresent)" = 1
check "... and not imported again" test "$(json "$T/out" imported)" = 0

# a receiptId signed again with another payload: a conflict, reported by dupes
python_conflict() {
	python3 - "$1" <<'EOF'
import base64, json, sys
line = open(sys.argv[1]).readline()
env = json.loads(line)
p = json.loads(base64.urlsafe_b64decode(env["payload"] + "=" * (-len(env["payload"]) % 4)))
p["grossSats"] += 1000
p["netSats"] += 1000
print(json.dumps(p))
EOF
}
if [ $have_python = 1 ]; then
	grep -m1 '"keyId":"liveauth-mcp-receipt-v1"' "$G/receipts.jsonl" >"$G/one.jsonl"
	python_conflict "$G/one.jsonl" >"$G/edited.json"
	"$BIN" sign --key "$KEYSPEC" --key-id ledger-test "$G/edited.json" >"$G/conflict.jsonl" 2>"$T/err"
	run "$BIN" import -d "$L" -k "$G/keyring.txt" --key "$KEYSPEC" --format json "$G/conflict.jsonl"
	check "a re-signed receiptId is a conflict" test "$(json "$T/out" conflicts)" = 1
	run "$BIN" report dupes -d "$L" --format json
	expect_rc 1 "report dupes with a conflict"
	check "report dupes lists the conflict with different amounts" \
		grep -q '"kind":"conflict".*"count":2,"amountsDiffer":true' "$T/out"
fi

# ---- reports ----
run "$BIN" report reconcile -d "$L"
check "reconcile exits 1 on the sample's discrepancies" test "$rc" = 1
check "the text table has a total row" grep -q '^total ' "$T/out"
run "$BIN" report reconcile -d "$L" --format json --by month
tot=$(grep '"total":true' "$T/out")
check "reconcile json ends with the total" test "$(tail -n 1 "$T/out")" = "$tot"
gross() { sed 's/.*"grossSats":\(-\{0,1\}[0-9]*\).*/\1/'; }
sum=$(grep -v '"total"' "$T/out" | gross | awk '{ s += $1 } END { print s }')
check "group sums add up to the total" test "$sum" = "$(echo "$tot" | gross)"
run "$BIN" report reconcile -d "$L" --by week
expect_rc 2 "reconcile --by week is a usage error"
run "$BIN" report reconcile -d "$L" --from 2026-02-30
expect_rc 2 "reconcile --from 2026-02-30 is a usage error"
run "$BIN" report reconcile -d "$T/missing.db"
expect_rc 2 "reconcile of a missing ledger"
check "reports never create a ledger" test ! -e "$T/missing.db"
run "$BIN" report dupes -d "$L"
expect_rc 1 "report dupes finds the sample's double charge"
run "$BIN" report reconcile -d "$C"
expect_rc 0 "reconcile of a clean ledger"
run "$BIN" report dupes -d "$C" --format json
expect_rc 0 "dupes of a clean ledger"
check "dupes of a clean ledger prints nothing in json" test ! -s "$T/out"

# ---- export ----
run "$BIN" export -d "$L" --format jsonl
sorted=$(paste -d' ' <(sed 's/.*"createdAt":"\([^"]*\)".*/\1/' "$T/out") \
	<(sed 's/.*"receiptId":"\([^"]*\)".*/\1/' "$T/out"))
check "export is ordered by createdAt, receiptId" test "$sorted" = "$(echo "$sorted" | sort)"
day=$(sed -n '5s/.*"createdAt":"\([0-9-]*\)T.*/\1/p' "$T/out")
want=$(grep -c "\"createdAt\":\"${day}T" "$T/out")
run "$BIN" export -d "$L" --format jsonl --from "$day" --to "$day"
check "--from DAY --to DAY is that whole day, inclusive" test "$(lines "$T/out")" = "$want"
run "$BIN" export -d "$L" --format jsonl --from 2999-01-01
check "a range with nothing in it" test "$(lines "$T/out")" = 0
run "$BIN" export -d "$L" --from 2026-1-1
expect_rc 2 "export --from 2026-1-1 is a usage error"

# -o is atomic: the whole file or nothing
echo "previous content" >"$T/export.csv"
run "$BIN" export -d "$T/missing.db" -o "$T/export.csv"
expect_rc 2 "export of a missing ledger"
check "a failed export leaves -o FILE as it was" test "$(cat "$T/export.csv")" = "previous content"
run "$BIN" export -d "$L" -o "$T/export.csv"
expect_rc 0 "export -o FILE"
check "export -o FILE writes nothing to stdout" test ! -s "$T/out"
check "export -o FILE leaves no temporary file" test -z "$(ls "$T" | grep 'export.csv.tmp')"
"$BIN" export -d "$L" >"$T/stdout.csv"
check "export -o FILE holds what stdout gets" cmp -s "$T/export.csv" "$T/stdout.csv"
check "CSV rows end in CRLF" test "$(head -n 1 "$T/export.csv" | tail -c 2 | od -An -tx1 | tr -d ' ')" = 0d0a
# -o naming a pipe (or a device such as /dev/null) writes into it: renaming
# a file over it would replace the pipe or the device itself
mkfifo "$T/pipe"
cat "$T/pipe" >"$T/from-pipe" &
reader=$!
run "$BIN" export -d "$L" -o "$T/pipe"
expect_rc 0 "export -o PIPE"
wait $reader
check "export -o PIPE leaves the pipe a pipe" test -p "$T/pipe"
check "export -o PIPE writes the export into it" cmp -s "$T/from-pipe" "$T/stdout.csv"
check "export -o PIPE leaves no temporary file" test -z "$(ls "$T" | grep 'pipe.tmp')"
run "$BIN" export -d "$L" -o "$T"
expect_rc 2 "export -o DIRECTORY is an error (SPEC §2.4)"
check "export -o DIRECTORY says so" grep -q "cannot open" "$T/err"

# CSV read back with a real CSV parser: every field as in the JSON Lines
# export, except the documented ' prefix
if [ $have_python = 1 ]; then
	"$BIN" export -d "$L" --format jsonl >"$T/all.jsonl"
	python3 - "$T/export.csv" "$T/all.jsonl" >"$T/csvcheck" 2>&1 <<'EOF'
import csv, json, sys
cols = ["created_at", "receipt_id", "revenue_event_id", "status", "tool_id", "tool_slug", "tool_name",
        "tool_method", "paying_project_id", "agent_id", "gross_sats", "platform_fee_sats", "net_sats",
        "fee_basis_points", "idempotency_key", "request_id", "key_id", "flags"]
member = {"created_at": "createdAt", "receipt_id": "receiptId", "revenue_event_id": "revenueEventId",
          "status": "status", "tool_id": "mcpToolId", "tool_slug": "toolSlug", "tool_name": "toolName",
          "tool_method": "toolMethodName", "paying_project_id": "payingProjectId", "agent_id": "agentId",
          "gross_sats": "grossSats", "platform_fee_sats": "platformFeeSats", "net_sats": "netSats",
          "fee_basis_points": "feeBasisPoints", "idempotency_key": "idempotencyKey",
          "request_id": "requestId", "key_id": "keyId"}
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f, strict=True))
objs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
bad = 0
if rows[0] != cols:
    print("header", rows[0]); bad += 1
if len(rows) - 1 != len(objs):
    print("rows", len(rows) - 1, len(objs)); bad += 1
special = 0
for row, o in zip(rows[1:], objs):
    for c, cell in zip(cols, row):
        if c == "flags":
            want = " ".join(o["flags"])
        else:
            v = o.get(member[c])
            want = "" if v is None else str(v)
        if c not in ("gross_sats", "platform_fee_sats", "net_sats", "fee_basis_points") and want[:1] in \
                ("=", "+", "-", "@", "\t", "\r"):
            want = "'" + want
        if any(ch in want for ch in ",\"\r\n\t") or any(ord(ch) > 127 for ch in want):
            special += 1
        if cell != want:
            print("mismatch", o["receiptId"], c, repr(cell), repr(want)); bad += 1
print("special", special)
sys.exit(1 if bad else 0)
EOF
	csv_rc=$?
	[ $csv_rc = 0 ] || sed 's/^/    /' "$T/csvcheck" | head -5
	check "CSV read back by Python's csv equals the JSON Lines export" test $csv_rc = 0
	check "the sample exercises quoting and non-ASCII cells" \
		test "$(sed -n 's/^special //p' "$T/csvcheck")" -gt 0
fi

# ---- usage ----
run "$BIN" import --key "$KEYSPEC" "$T/big1.jsonl"
expect_rc 2 "import without a ledger"
run "$BIN" import -d "$T/nokeys.db" "$T/big1.jsonl"
expect_rc 2 "import without keys"
run "$BIN" import -d "$T/nofile.db" --key "$KEYSPEC" "$T/no-such-file.jsonl"
expect_rc 2 "import of a missing file"
LA_RECEIPT_LEDGER=$T/env.db run "$BIN" import -q --key "$KEYSPEC" "$T/big1.jsonl"
expect_rc 0 "import into \$LA_RECEIPT_LEDGER"
check "-q prints nothing" test ! -s "$T/out" -a ! -s "$T/err"
check "\$LA_RECEIPT_LEDGER names the ledger" test -s "$T/env.db"
run "$BIN" report frobnicate -d "$L"
expect_rc 2 "an unknown report"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
