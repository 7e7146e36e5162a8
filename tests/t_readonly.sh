#!/usr/bin/env bash
# t_readonly.sh - a ledger that cannot be written, as an auditor may be
# given one.  report and export open a ledger for writing (SQLite's WAL mode
# writes beside it even to read it, and an older schema is migrated), so
# each such case is refused with exit 2 and a message that says why and
# what to do, where before they said "Permission denied" or SQLite's
# "attempt to write a readonly database":
#  - a read-only file system (tests/fault/rofs.c, an LD_PRELOAD shim);
#  - a ledger file the user may read but not write;
#  - a folder the user may not write, the file writable;
#  - a file the user may not even read (no advice to copy it);
# and a FIFO in the ledger's place is refused, not waited on.  The cases
# of permissions run as user nobody when the tests run as root, whom no
# mode bits stop, with a copy of the binary in a folder nobody can reach.
# (Reading a read-only file system as SQLite's "immutable" is not done: a
# read-only mount of a ledger written elsewhere would be read as it
# changes.)
set -u
BIN=${LAR_BIN:?}
ROFS=${LAR_ROFS:-$(dirname "$BIN")/liblar_rofs.so}
T=$(mktemp -d "${LAR_TMP:-/tmp}/readonly.XXXXXX")
U=$(mktemp -d /tmp/lar-readonly.XXXXXX) # the cases run as another user
trap 'chmod -R u+rwx "$T" "$U" 2>/dev/null; rm -rf "$T" "$U"' EXIT
pass=0 fail=0
check() { # check DESCRIPTION CMD...
	local d=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $d"; fi
}
cd "$T" || exit 1
# the shim under AddressSanitizer, whose runtime then does not come first
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# A keyring and a small ledger.
printf 'ro text:readonly-test-secret-0123456789\n' >keyring.txt
chmod 600 keyring.txt
python3 - >payloads.jsonl <<'PY'
import uuid
for i in range(200):
    rev = uuid.UUID(int=i + 1)
    print('{"agentId":null,"createdAt":"2026-10-%02dT10:00:%02d.0000000Z","feeBasisPoints":500,'
          '"grossSats":100,"idempotencyKey":null,"mcpGateSessionId":null,"mcpGateTokenId":null,'
          '"mcpToolId":"11111111-2222-4333-8444-555555555555","netSats":95,"payingProjectId":null,'
          '"platformFeeSats":5,"receiptId":"mcp_receipt_%s","requestId":null,"revenueEventId":"%s",'
          '"status":"Charged","toolMethodName":"m","toolName":"t","toolSlug":"s","version":"mcp-call-receipt-v1"}'
          % (1 + i // 100, i % 60, rev.hex, rev))
PY
"$BIN" sign -k keyring.txt --key-id ro payloads.jsonl >all.jsonl || { echo "sign failed"; exit 1; }
"$BIN" import -q -d ledger.db -k keyring.txt all.jsonl
check "the ledger is made" test $? = 0
"$BIN" report reconcile -d ledger.db >w.out 2>&1
check "and reads where it is writable" grep -q "Charged receipts: 200" w.out

# ---- a read-only file system ----
if [ -e "$ROFS" ]; then
	mkdir ro
	cp ledger.db ro/
	RO=("LD_PRELOAD=$ROFS" "LAR_FAULT_ROFS_DIR=$T/ro")
	env "${RO[@]}" sh -c ': >"$1/x"' sh "$T/ro" 2>err
	check "the shim makes ro/ a read-only file system ($(cat err))" grep -q "Read-only file system" err
	for c in "report reconcile" "report dupes" "export --format csv"; do
		# shellcheck disable=SC2086
		env "${RO[@]}" "$BIN" $c -d "$T/ro/ledger.db" >out 2>err
		rc=$?
		check "$c on a read-only file system: exit 2 (got $rc)" test $rc = 2
		check "$c: says why and what to do ($(head -c 300 err))" \
			grep -q "cannot open for writing: Read-only file system (reading a ledger writes beside it.*read a copy on a writable file system" err
		check "$c: writes nothing to stdout" test ! -s out
	done
	env "${RO[@]}" "$BIN" import -q -d "$T/ro/ledger.db" -k keyring.txt all.jsonl >out 2>err
	rc=$?
	check "import on a read-only file system: exit 2 (got $rc)" test $rc = 2
	check "import: says why ($(head -c 300 err))" grep -q "cannot open: Read-only file system" err
else
	echo "skipped: read-only file system (no shim $ROFS)"
fi

# ---- a FIFO in the ledger's place ----
mkfifo fifo.db
timeout 20 "$BIN" report reconcile -d "$T/fifo.db" >out 2>err
rc=$?
check "a FIFO as the ledger: exit 2, not a wait (got $rc)" test $rc = 2
check "a FIFO as the ledger: said ($(head -c 300 err))" grep -q "not a regular file" err

# ---- what the user may not write: as nobody when root ----
as_user() { "$@"; }
skip=""
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null; then
		as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
	else
		skip="no setpriv to run as another user"
	fi
fi
cp "$BIN" "$U/la-receipt"
chmod 755 "$U" "$U/la-receipt"
UB=$U/la-receipt
if [ -z "$skip" ] && ! as_user "$UB" --version >/dev/null 2>&1; then
	skip="the binary does not run as user nobody from $U"
fi
if [ -z "$skip" ]; then
	mkdir "$U/p1" "$U/p2" "$U/p3"
	# p1: a file the user may read, not write, in a folder it may write
	cp ledger.db "$U/p1/"
	chmod 444 "$U/p1/ledger.db"
	chmod 777 "$U/p1"
	as_user "$UB" report reconcile -d "$U/p1/ledger.db" >out 2>err
	rc=$?
	check "a ledger file the user may not write: exit 2 (got $rc)" test $rc = 2
	check "and it says why and what to do ($(head -c 300 err))" \
		grep -q "cannot open for writing: Permission denied (reading a ledger writes beside it.*: read a copy, or make it writable" err
	check "and nothing is written beside it ($(ls "$U/p1" | tr '\n' ' '))" test "$(ls "$U/p1")" = ledger.db
	# p2: a file the user may write, in a folder it may not
	cp ledger.db "$U/p2/"
	if [ "$(id -u)" = 0 ]; then chown 65534 "$U/p2/ledger.db"; fi
	chmod 644 "$U/p2/ledger.db"
	chmod 555 "$U/p2"
	as_user "$UB" export -d "$U/p2/ledger.db" >out 2>err
	rc=$?
	check "a folder the user may not write: exit 2 (got $rc)" test $rc = 2
	check "and it says why and what to do, with SQLite's words ($(head -c 300 err))" \
		grep -q "cannot create the ledger's -wal and -shm files beside it (.*readonly.*): its directory is not writable.*read a copy in a writable directory" err
	check "and writes no output" test ! -s out
	# p3: a file the user may not read: no advice to copy what cannot be read
	cp ledger.db "$U/p3/"
	chmod 600 "$U/p3/ledger.db"
	if [ "$(id -u)" != 0 ]; then chmod 000 "$U/p3/ledger.db"; fi
	chmod 777 "$U/p3"
	as_user "$UB" report dupes -d "$U/p3/ledger.db" >out 2>err
	rc=$?
	check "a ledger file the user may not read: exit 2 (got $rc)" test $rc = 2
	check "and it says so, without advice to copy it ($(head -c 300 err))" \
		grep -q "cannot open: Permission denied$" err
else
	echo "skipped: permissions ($skip)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
