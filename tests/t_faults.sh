#!/usr/bin/env bash
# t_faults.sh - faults a nightly job meets (issue "Hardening"): a file-size
# limit (a full disk) during import leaves the ledger intact and during export
# leaves no partial output; a read error in the middle of a file is reported
# with the file's name; a closed stdout ends quietly.
set -u
BIN=${LAR_BIN:?}
T=$(mktemp -d "${LAR_TMP:-/tmp}/faults.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() { # check DESCRIPTION CMD...
	local d=$1; shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $d"; fi
}
cd "$T" || exit 1

# A keyring and a few thousand signed receipts made with our own sign.
printf 'faults text:fault-test-secret-0123456789\n' >keyring.txt
chmod 600 keyring.txt
python3 - >payloads.jsonl <<'PY'
import uuid
for i in range(3000):
    rev = uuid.UUID(int=i + 1)
    print('{"agentId":null,"createdAt":"2026-10-%02dT10:00:00.0000000Z","feeBasisPoints":500,'
          '"grossSats":100,"idempotencyKey":null,"mcpGateSessionId":null,"mcpGateTokenId":null,'
          '"mcpToolId":"11111111-2222-4333-8444-555555555555","netSats":95,"payingProjectId":null,'
          '"platformFeeSats":5,"receiptId":"mcp_receipt_%s","requestId":null,"revenueEventId":"%s",'
          '"status":"Charged","toolMethodName":"m","toolName":"t","toolSlug":"s","version":"mcp-call-receipt-v1"}'
          % (1 + i % 28, rev.hex, rev))
PY
"$BIN" sign -k keyring.txt --key-id faults payloads.jsonl >all.jsonl || { echo "sign failed"; exit 1; }
head -n 1000 all.jsonl >a.jsonl
tail -n 2000 all.jsonl >b.jsonl

asan=0
if ldd "$BIN" 2>/dev/null | grep -q asan || nm "$BIN" 2>/dev/null | grep -q __asan_init; then asan=1; fi

# ---- a full disk during import ----
"$BIN" import -q -d ledger.db -k keyring.txt a.jsonl
check "first import succeeds" test $? = 0
before=$("$BIN" export -d ledger.db --format jsonl | wc -l)
check "1000 receipts stored" test "$before" = 1000
# the WAL grows past the limit while b.jsonl is imported
( ulimit -f 64; "$BIN" import -q -d ledger.db -k keyring.txt b.jsonl ) >out 2>err
rc=$?
check "import over a file-size limit fails with exit 2 (got $rc)" test "$rc" = 2
check "the failure is explained on stderr" grep -q "la-receipt: import" err
after=$("$BIN" export -d ledger.db --format jsonl | wc -l)
check "the ledger still holds exactly the first file ($after)" test "$after" = 1000
"$BIN" import -q -d ledger.db -k keyring.txt b.jsonl
check "the same import without the limit completes" test $? = 0
check "all 3000 receipts are stored" test "$("$BIN" export -d ledger.db --format jsonl | wc -l)" = 3000

# ---- secret hygiene: the secret is in no ledger file and no export ----
"$BIN" export -d ledger.db --format jsonl >exp.jsonl
"$BIN" export -d ledger.db --format csv >exp.csv
check "the secret is not in the ledger, its WAL or an export" \
	test -z "$(grep -l -a -F 'fault-test-secret' ledger.db* exp.jsonl exp.csv 2>/dev/null)"
rm -f exp.jsonl exp.csv

# ---- a full disk during export ----
( ulimit -f 16; "$BIN" export -d ledger.db --format csv -o out.csv ) >out 2>err
rc=$?
check "export over a file-size limit fails with exit 2 (got $rc)" test "$rc" = 2
check "no partial output file is left" test ! -e out.csv
check "no temporary file is left" test -z "$(ls -A | grep -v -E '^(keyring.txt|payloads.jsonl|all.jsonl|a.jsonl|b.jsonl|ledger.db.*|out|err)$')"
"$BIN" export -d ledger.db --format csv -o out.csv
check "export without the limit writes the file" test -s out.csv

# ---- a read error in the middle of a file ----
if [ $asan = 0 ] && [ -n "${LAR_READFAIL:-}" ] && [ -e "$LAR_READFAIL" ]; then
	LD_PRELOAD=$LAR_READFAIL LAR_FAULT_READ_PATH="$T/all.jsonl" LAR_FAULT_READ_AFTER=100000 \
		"$BIN" verify -q -k keyring.txt all.jsonl >out 2>err
	rc=$?
	check "a read error exits 2 (got $rc)" test "$rc" = 2
	check "the message names the file and the error" grep -q "all.jsonl.*Input/output error" err
	check "the message names the file once ($(cat err))" test "$(grep -o 'all\.jsonl' err | wc -l)" = 1
	check "the message says where: after 100000 bytes, in the record of a line" \
		grep -q "read error after 100000 bytes (in the record from line [1-9][0-9]*)" err
	LD_PRELOAD=$LAR_READFAIL LAR_FAULT_READ_PATH="$T/all.jsonl" LAR_FAULT_READ_AFTER=100000 \
		"$BIN" import -q -d ledger2.db -k keyring.txt all.jsonl >out 2>err
	rc=$?
	check "import of a file with a read error exits 2 (got $rc)" test "$rc" = 2
	n=$("$BIN" export -d ledger2.db --format jsonl 2>/dev/null | wc -l)
	check "nothing of the unreadable file is stored ($n)" test "$n" = 0
else
	echo "skipped: read-error injection (sanitizer build or no shim)"
fi

# ---- a closed stdout ----
"$BIN" verify -k keyring.txt all.jsonl 2>err | head -n 1 >/dev/null
rc=${PIPESTATUS[0]}
check "verify into a closed pipe stops with exit 2 (got $rc)" test "$rc" = 2
check "and prints no error for the closed pipe" test ! -s err
"$BIN" export -d ledger.db --format jsonl 2>err | head -n 1 >/dev/null
check "export into a closed pipe prints no error" test ! -s err

echo "$pass passed, $fail failed"
[ $fail = 0 ]
