#!/usr/bin/env bash
# t_readonly.sh - a ledger that cannot be written, as an auditor may be
# given one.  On a read-only file system (tests/fault/rofs.c, an LD_PRELOAD
# shim) reports and export read it exactly as they read the same ledger
# where it is writable, and write nothing beside it; import fails with exit
# 2; a -wal file holding changes the ledger file lacks is never read past
# (an error, or the changes: never the ledger without them).  A ledger file,
# or its folder, that the user may not write gets a message saying why and
# what to do (run as user nobody when the tests run as root).
set -u
BIN=${LAR_BIN:?}
ROFS=${LAR_ROFS:-$(dirname "$BIN")/liblar_rofs.so}
T=$(mktemp -d "${LAR_TMP:-/tmp}/readonly.XXXXXX")
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
pass=0 fail=0
check() { # check DESCRIPTION CMD...
	local d=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $d"; fi
}
cd "$T" || exit 1
if [ ! -e "$ROFS" ]; then
	echo "skipped: no read-only file system shim ($ROFS)"
	exit 77
fi
# the shim under AddressSanitizer, whose runtime then does not come first
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# A keyring, and receipts over four days with a double charge among them.
printf 'ro text:readonly-test-secret-0123456789\n' >keyring.txt
chmod 600 keyring.txt
python3 - >payloads.jsonl <<'PY'
import uuid
for i in range(400):
    rev = uuid.UUID(int=i + 1)
    key = '"idem-%d"' % (i // 2 if i < 10 else i)  # receipts 0-9: five keys charged twice
    print('{"agentId":"agent-%d","createdAt":"2026-10-%02dT10:00:%02d.0000000Z","feeBasisPoints":500,'
          '"grossSats":100,"idempotencyKey":%s,"mcpGateSessionId":null,"mcpGateTokenId":null,'
          '"mcpToolId":"11111111-2222-4333-8444-555555555555","netSats":95,"payingProjectId":null,'
          '"platformFeeSats":5,"receiptId":"mcp_receipt_%s","requestId":null,"revenueEventId":"%s",'
          '"status":"Charged","toolMethodName":"m","toolName":"t","toolSlug":"s","version":"mcp-call-receipt-v1"}'
          % (i % 3, 1 + i // 100, i % 60, key, rev.hex, rev))
PY
"$BIN" sign -k keyring.txt --key-id ro payloads.jsonl >all.jsonl || { echo "sign failed"; exit 1; }
head -n 300 all.jsonl >days1-3.jsonl
tail -n 100 all.jsonl >day4.jsonl
"$BIN" import -q -d ledger.db -k keyring.txt days1-3.jsonl
check "the ledger is made" test $? = 0
check "a closed ledger has no -wal file" test ! -e ledger.db-wal

CMDS=("report reconcile" "report reconcile --by day,agent --format json" "report dupes --format json"
	"export --format csv" "export --format jsonl --from 2026-10-02 --to 2026-10-02")
# reads DIR TAG [ENV...]: each reading command on DIR/ledger.db, its
# stdout, stderr and exit status in TAG.N.{out,err,rc}
reads() {
	local dir=$1 tag=$2 n=0
	shift 2
	for c in "${CMDS[@]}"; do
		# shellcheck disable=SC2086
		env "$@" "$BIN" $c -d "$dir/ledger.db" >"$tag.$n.out" 2>"$tag.$n.err"
		echo $? >"$tag.$n.rc"
		n=$((n + 1))
	done
}
reads "$T" w

# ---- a read-only file system ----
mkdir ro
cp ledger.db ro/
RO=("LD_PRELOAD=$ROFS" "LAR_FAULT_ROFS_DIR=$T/ro")
env "${RO[@]}" sh -c ': >"$1/x"' sh "$T/ro" 2>/dev/null
check "the shim makes ro/ a read-only file system" test ! -e ro/x
reads "$T/ro" r "${RO[@]}"
for n in 0 1 2 3 4; do
	check "${CMDS[$n]}: the same output on a read-only file system" cmp -s "w.$n.out" "r.$n.out"
	check "${CMDS[$n]}: the same exit status ($(cat "w.$n.rc") and $(cat "r.$n.rc"))" cmp -s "w.$n.rc" "r.$n.rc"
	check "${CMDS[$n]}: nothing on stderr ($(head -c 300 "r.$n.err"))" test ! -s "r.$n.err"
done
check "reconcile found the receipts" grep -q "Charged receipts: 300" w.0.out
check "dupes found the double charges" test "$(grep -c double_charge w.2.out)" = 5
check "export wrote a header and 300 rows" test "$(wc -l <w.3.out)" = 301
check "nothing was written beside the ledger ($(ls ro | tr '\n' ' '))" test "$(ls ro)" = ledger.db
check "the ledger file is unchanged" cmp -s ledger.db ro/ledger.db
env "${RO[@]}" "$BIN" import -q -d "$T/ro/ledger.db" -k keyring.txt day4.jsonl >out 2>err
rc=$?
check "import on a read-only file system exits 2 (got $rc)" test $rc = 2
check "and says why ($(head -c 300 err))" grep -q "Read-only file system" err
check "and leaves the ledger unchanged" cmp -s ledger.db ro/ledger.db

# ---- a read-only copy taken with changes still in its -wal file ----
# A connection held open keeps the import that follows from checkpointing
# at its close, so day 4 is in the -wal file only; the copy is taken then.
mkdir w2 ro2
cp ledger.db w2/
python3 - "$BIN" "$T/w2/ledger.db" "$T/ro2" <<'PY'
import shutil, sqlite3, subprocess, sys
binary, led, dest = sys.argv[1:4]
con = sqlite3.connect(led)
con.execute('SELECT count(*) FROM receipt').fetchone()
subprocess.run([binary, 'import', '-q', '-d', led, '-k', 'keyring.txt', 'day4.jsonl'], check=True)
shutil.copy(led, dest)
shutil.copy(led + '-wal', dest)
con.close()
PY
check "the copy's -wal file holds frames" test -s ro2/ledger.db-wal
reads "$T/w2" w2
RO2=("LD_PRELOAD=$ROFS" "LAR_FAULT_ROFS_DIR=$T/ro2")
env "${RO2[@]}" "$BIN" report reconcile -d "$T/ro2/ledger.db" >out 2>err
rc=$?
if [ $rc = 0 ]; then
	echo "the copy with a -wal file was read with it"
	check "read with its -wal file, the copy has day 4" cmp -s w2.0.out out
else
	echo "the copy with a -wal file was refused: $(head -c 300 err)"
	check "the copy with a -wal file is refused with exit 2 (got $rc)" test $rc = 2
	check "and the message names the -wal file ($(head -c 300 err))" grep -q -- "-wal" err
fi
check "never the ledger without its -wal file" test "$rc" != 0 -o "$(cat out)" != "$(cat w.0.out)"

# ---- a ledger file, or its folder, the user may not write ----
# as user nobody when root (whom no mode bits stop), if it can reach them
as_user() { "$@"; }
skip_perm=""
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null && chmod 755 "$T" &&
		setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$BIN" -a -x "$T" 2>/dev/null; then
		as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
	else
		skip_perm="no setpriv, or user nobody cannot reach $BIN or $T"
	fi
fi
if [ -z "$skip_perm" ]; then
	mkdir p1 p2
	cp ledger.db p1/
	chmod 444 p1/ledger.db
	chmod 777 p1
	as_user "$BIN" report reconcile -d "$T/p1/ledger.db" >out 2>err
	rc=$?
	check "a ledger file the user may not write: exit 2 (got $rc)" test $rc = 2
	check "and the message says why and what to do ($(head -c 300 err))" \
		grep -q "cannot open for writing: Permission denied.*read a copy" err
	check "and nothing is written beside it ($(ls p1 | tr '\n' ' '))" test "$(ls p1)" = ledger.db
	cp ledger.db p2/
	if [ "$(id -u)" = 0 ]; then chown 65534 p2/ledger.db; fi
	chmod 644 p2/ledger.db
	chmod 555 p2
	as_user "$BIN" export -d "$T/p2/ledger.db" >out 2>err
	rc=$?
	check "a folder the user may not write: exit 2 (got $rc)" test $rc = 2
	check "and the message says why and what to do ($(head -c 300 err))" \
		grep -q "directory is not writable.*read a copy in a writable directory" err
	check "and writes no output" test ! -s out
	chmod 755 p2
else
	echo "skipped: permission cases ($skip_perm)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
