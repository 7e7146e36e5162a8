#!/bin/bash
# t_cli.sh - end-to-end tests of the la-receipt commands and exit statuses
# (SPEC §2.4, §3, §4): --version, help, usage errors, verify (ok / flag / fail,
# missing and directory inputs, stdin, -q, --format json, --jobs, --min-fee-sats),
# keyring permissions and sources, keyring list|check, inspect, sign, and a
# closed stdout.  No command may ever print a secret: everything they print
# is collected and searched at the end.
# Not for: verdict details (test_receipt.c, golden sample) or hostile input
# (t_hostile.sh).
set -u
export LC_ALL=C TZ=UTC
BIN=${LAR_BIN:?LAR_BIN must name the la-receipt binary}
SRC=${LAR_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=$SRC/tests/data/cli
mkdir -p "${LAR_TMP:-/tmp}"
T=$(mktemp -d "${LAR_TMP:-/tmp}/t_cli.XXXXXX")
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"' EXIT
unset LA_RECEIPT_KEYRING LA_RECEIPT_LEDGER

pass=0
fail=0
ok() { pass=$((pass + 1)); }
no() {
	fail=$((fail + 1))
	echo "FAIL: $*"
	if [ -s "$T/err" ]; then sed 's/^/    stderr: /' "$T/err" | head -5; fi
}
# check DESC CMD...: the command (a test) must succeed
check() {
	local d=$1
	shift
	if "$@"; then ok; else no "$d"; fi
}
# run CMD...: stdout in $T/out, stderr in $T/err, status in $rc; both kept in $T/all
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/out" "$T/err" >>"$T/all"
}
run_in() {
	local in=$1
	shift
	"$@" <"$in" >"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/out" "$T/err" >>"$T/all"
}
expect_rc() {
	local want=$1 d=$2
	if [ "$rc" = "$want" ]; then ok; else no "$d: exit $rc, expected $want"; fi
}
has() { grep -q -e "$2" "$1"; }
hasF() { grep -qF -e "$2" "$1"; }
lines() { wc -l <"$1" | tr -d ' '; }

KID=liveauth-mcp-receipt-v1
SECRET=cli-sentinel-Zq8pW3xK7vR2-secret
SECRET2=cli-sentinel-second-Hn4Lm9
HEXSECRET=5e71ae1c0ffee0ddba11cafe5e71ae1c
RING=$T/ring.txt
printf '# test keyring\n%s  text:%s\nother  hex:%s\n' "$KID" "$SECRET" "$HEXSECRET" >"$RING"
chmod 600 "$RING"

# ---- --version, help, usage errors ----
run "$BIN" --version
expect_rc 0 "--version"
check "--version prints the version" has "$T/out" '^la-receipt [0-9][0-9.]*'
run "$BIN" help
expect_rc 0 "help"
check "help lists the commands" grep -q verify "$T/out"
check "help lists keyring" grep -q keyring "$T/out"
run "$BIN" help verify
expect_rc 0 "help verify"
check "help verify shows the synopsis" hasF "$T/out" "la-receipt verify"
check "help verify shows --min-fee-sats" hasF "$T/out" "--min-fee-sats"
run "$BIN" help nosuchcommand
expect_rc 2 "help of an unknown command"
run "$BIN"
expect_rc 2 "no command"
run "$BIN" frobnicate
expect_rc 2 "unknown command"
check "unknown command is named" hasF "$T/err" "frobnicate"
run "$BIN" verify --bogus -k "$RING"
expect_rc 2 "unknown option"
check "unknown option message" hasF "$T/err" "bogus"
run "$BIN" verify --format yaml -k "$RING" /dev/null
expect_rc 2 "bad --format"
run "$BIN" verify --min-fee-sats abc -k "$RING" /dev/null
expect_rc 2 "bad --min-fee-sats"

# ---- sign: fixtures to envelopes ----
run "$BIN" sign -k "$RING" "$DATA/payloads.jsonl"
expect_rc 2 "sign without --key-id"
check "sign without --key-id prints nothing on stdout" test ! -s "$T/out"
run "$BIN" sign -k "$RING" --key-id nosuchkey "$DATA/payloads.jsonl"
expect_rc 2 "sign with an unknown --key-id"
run "$BIN" sign -k "$RING" --key-id "$KID" "$DATA/payloads.jsonl"
expect_rc 0 "sign payloads.jsonl"
cp "$T/out" "$T/ok.jsonl"
check "sign writes one envelope per payload" test "$(lines "$T/ok.jsonl")" = 2
check "sign output has the envelope members" has "$T/ok.jsonl" '"signatureAlgorithm":"HMAC-SHA256"'
run "$BIN" sign -k "$RING" --key-id "$KID" "$DATA/payload-test.json"
expect_rc 0 "sign a pretty-printed payload"
cp "$T/out" "$T/test.jsonl"
check "one envelope for the pretty payload" test "$(lines "$T/test.jsonl")" = 1
run "$BIN" sign -k "$RING" --key-id "$KID" "$DATA/payload-minfee.json"
cp "$T/out" "$T/minfee.jsonl"
run_in "$DATA/payloads.jsonl" "$BIN" sign -k "$RING" --key-id "$KID"
expect_rc 0 "sign from stdin"
check "sign from stdin gives the same envelopes" cmp -s "$T/out" "$T/ok.jsonl"

cat "$T/ok.jsonl" "$T/test.jsonl" >"$T/flag.jsonl"
# a fail: the first envelope with another keyId label
{ cat "$T/ok.jsonl"; sed "s/\"keyId\":\"$KID\"/\"keyId\":\"other\"/" "$T/ok.jsonl" | head -1; } >"$T/fail.jsonl"

# ---- verify: statuses ----
run "$BIN" verify -k "$RING" "$T/ok.jsonl"
expect_rc 0 "sign -> verify round trip (ok only)"
check "one verdict line per record" test "$(lines "$T/out")" = 2
check "verdicts say ok" test "$(grep -c ' ok ' "$T/out")" = 2
check "summary on stderr" test -s "$T/err"
run "$BIN" verify -k "$RING" "$T/flag.jsonl"
expect_rc 1 "verify with a flag"
check "the flag is test_receipt" hasF "$T/out" "test_receipt"
run "$BIN" verify -k "$RING" "$T/fail.jsonl"
expect_rc 1 "verify with a fail"
check "the fail is bad_signature" hasF "$T/out" "bad_signature"
# signed strings that would drive a terminal (U+009B, an 8-bit CSI) or reorder the
# line as displayed (U+202E, U+2066, U+2028): escaped in both formats, never raw
head -1 "$DATA/payloads.jsonl" | sed 's/"toolSlug":"weather-api"/"toolSlug":"weather\\u202Eipa-\\u009B31m\\u2066x\\u2028y"/' >"$T/bidi-payload.jsonl"
run "$BIN" sign -k "$RING" --key-id "$KID" "$T/bidi-payload.jsonl"
cp "$T/out" "$T/bidi.jsonl"
for fmt in text json; do
	run "$BIN" verify --format "$fmt" -k "$RING" "$T/bidi.jsonl"
	expect_rc 0 "verify --format $fmt of a toolSlug with bidi and C1 characters"
	check "$fmt: the toolSlug's hazards are \\u escapes" hasF "$T/out" 'weather\u202eipa-\u009b31m\u2066x\u2028y'
	check "$fmt: no raw U+202E, U+009B, U+2066 or U+2028" \
		sh -c '! LC_ALL=C grep -q "$(printf "\342\200\256\\|\302\233\\|\342\201\246\\|\342\200\250")" "$1"' - "$T/out"
done
run "$BIN" verify -k "$RING" "$T/ok.jsonl" "$T/flag.jsonl"
expect_rc 1 "two files, one with a flag"
check "verdicts of both files" test "$(lines "$T/out")" = 5
run "$BIN" verify -k "$RING" "$T/minfee.jsonl"
expect_rc 1 "5 sats with a 3-sat fee at the default minimum"
check "fee_mismatch without --min-fee-sats" hasF "$T/out" "fee_mismatch"
run "$BIN" verify --min-fee-sats 3 -k "$RING" "$T/minfee.jsonl"
expect_rc 0 "--min-fee-sats 3"
run "$BIN" verify --min-fee-sats=3 -k "$RING" "$T/minfee.jsonl" "$T/ok.jsonl"
expect_rc 1 "--min-fee-sats=3 applies to every record"
# 100 sats at 500 bps: max(3, 5) = 5 still ok; 40 sats: max(3, 2) = 3, not the 2 signed
check "--min-fee-sats=3: 100 sats with a 5-sat fee is ok" grep -q "ok.jsonl:1: ok" "$T/out"
check "--min-fee-sats=3: 40 sats with a 2-sat fee is fee_mismatch" grep -q "ok.jsonl:2: flag fee_mismatch" "$T/out"

# missing file: message names the file (STYLE: program, command, subject, what)
(cd "$T" && "$BIN" verify -k "$RING" nope.jsonl >"$T/out" 2>"$T/err")
rc=$?
cat "$T/out" "$T/err" >>"$T/all"
expect_rc 2 "missing input file"
check "missing file message" grep -qxF "la-receipt: verify: 'nope.jsonl': cannot open: No such file or directory" "$T/err"
run "$BIN" verify -k "$RING" "$T/ok.jsonl" "$T/nope.jsonl"
expect_rc 2 "a missing file among good ones"
check "the good file is still verified" test "$(grep -c ' ok ' "$T/out")" = 2
mkdir "$T/adir"
run "$BIN" verify -k "$RING" "$T/adir"
expect_rc 2 "a directory as input"
check "directory message names it" hasF "$T/err" "adir"

# stdin
run_in "$T/ok.jsonl" "$BIN" verify -k "$RING" -
expect_rc 0 "stdin via -"
check "stdin via - gives the verdicts" test "$(grep -c ' ok ' "$T/out")" = 2
run_in "$T/flag.jsonl" "$BIN" verify -k "$RING"
expect_rc 1 "stdin via no FILE"
check "stdin via no FILE gives the verdicts" test "$(lines "$T/out")" = 3

# -q
run "$BIN" verify -q -k "$RING" "$T/flag.jsonl"
expect_rc 1 "-q keeps the exit status"
check "-q prints nothing on stdout" test ! -s "$T/out"
run "$BIN" verify --quiet -k "$RING" "$T/ok.jsonl"
expect_rc 0 "--quiet"
check "--quiet prints nothing on stdout" test ! -s "$T/out"

# --format json
json_ok() {
	# every line a JSON object with the members of SPEC §4.1; payload values only for ok/flag
	if command -v python3 >/dev/null 2>&1; then
		python3 - "$1" <<'EOF'
import json, sys
ok = True
for n, l in enumerate(open(sys.argv[1]), 1):
    try:
        o = json.loads(l)
    except ValueError:
        print("line %d is not JSON: %s" % (n, l[:100])); ok = False; continue
    for k in ("source", "line", "status", "reasons"):
        if k not in o:
            print("line %d lacks %s" % (n, k)); ok = False
    if not isinstance(o.get("reasons"), list) or not isinstance(o.get("line"), int):
        print("line %d: reasons not a list or line not an integer" % n); ok = False
    if o.get("status") == "fail":
        for k in ("receiptId", "grossSats", "createdAt", "revenueEventId", "keyFingerprint"):
            if k in o:
                print("line %d: a failed record shows %s" % (n, k)); ok = False
    if o.get("status") in ("ok", "flag"):
        for k in ("receiptId", "grossSats", "platformFeeSats", "netSats", "keyId", "keyFingerprint"):
            if k not in o:
                print("line %d: an authentic record lacks %s" % (n, k)); ok = False
sys.exit(0 if ok else 1)
EOF
	elif command -v jq >/dev/null 2>&1; then
		jq -e 'has("source") and has("line") and has("status") and has("reasons")' "$1" >/dev/null
	else
		echo "  (no python3 or jq: JSON syntax not checked)"
		return 0
	fi
}
cat "$T/ok.jsonl" "$T/test.jsonl" "$T/fail.jsonl" >"$T/mixed.jsonl"
printf '{"status":"denied","receipt":null}\n{"broken":\n' >>"$T/mixed.jsonl"
run "$BIN" verify --format json -k "$RING" "$T/mixed.jsonl"
expect_rc 1 "--format json"
check "--format json: one object per record" test "$(lines "$T/out")" = 8
check "--format json lines are JSON with the SPEC §4.1 members" json_ok "$T/out"
check "--format json shows the skipped record" hasF "$T/out" '"status":"skipped"'
check "--format json: malformed_input for the broken line" hasF "$T/out" '"malformed_input"'
run "$BIN" verify --format=json -q -k "$RING" "$T/mixed.jsonl"
check "--format json -q prints nothing on stdout" test ! -s "$T/out"

# a file name with a quote and a line feed: still one line per record, and
# valid JSON with the name as given
weird=$T/$'we"ird\nname.jsonl'
cp "$T/flag.jsonl" "$weird"
run "$BIN" verify -k "$RING" "$weird"
expect_rc 1 "verify of a file with a line feed in its name"
check "text output: one line per record with a line feed in the file name" test "$(lines "$T/out")" = 3
run "$BIN" verify --format json -k "$RING" "$weird"
check "json output: one line per record with a line feed in the file name" test "$(lines "$T/out")" = 3
check "json output with an odd file name is JSON" json_ok "$T/out"

# ---- --jobs: identical output on a few thousand records ----
awk -v n=3000 'BEGIN {
	for (i = 1; i <= n; i++) {
		g = (i % 50) + 1; f = int(g * 500 / 10000); if (f < 1) f = 1
		st = (i % 7 == 0) ? "Test" : "Charged"
		if (i % 11 == 0) f = f + 1
		printf "{\"agentId\":\"agent_%d\",\"createdAt\":\"2026-05-07T02:05:01.1234567Z\",\"feeBasisPoints\":500,", i
		printf "\"grossSats\":%d,\"idempotencyKey\":null,\"mcpGateSessionId\":null,\"mcpGateTokenId\":null,", g
		printf "\"mcpToolId\":\"e3e70682-c209-4cac-a29f-6fbed82c07cd\",\"netSats\":%d,\"payingProjectId\":null,", g - f
		printf "\"platformFeeSats\":%d,\"receiptId\":\"mcp_receipt_%08x000040008000%012x\",\"requestId\":null,", f, i, i
		printf "\"revenueEventId\":\"%08x-0000-4000-8000-%012x\",\"status\":\"%s\",\"toolMethodName\":\"search\",", i, i, st
		printf "\"toolName\":\"Weather\",\"toolSlug\":\"weather-api\",\"version\":\"mcp-call-receipt-v1\"}\n"
	}
}' >"$T/gen-payloads.jsonl"
run "$BIN" sign -k "$RING" --key-id "$KID" "$T/gen-payloads.jsonl"
expect_rc 0 "sign 3000 generated payloads"
check "3000 envelopes" test "$(lines "$T/out")" = 3000
awk -v kid="$KID" '
	NR % 13 == 0 { sub("\"keyId\":\"" kid "\"", "\"keyId\":\"unknown-label\"") }
	NR % 17 == 0 { print "{\"broken\":" }
	NR % 19 == 0 { print "{\"status\":\"denied\",\"receipt\":null}" }
	NR % 23 == 0 { print "  garbage line" }
	{ print }' "$T/out" >"$T/many.jsonl"
for fmt in text json; do
	"$BIN" verify --jobs 1 --format $fmt -k "$RING" "$T/many.jsonl" >"$T/j1.$fmt" 2>"$T/j1.err"
	rc1=$?
	"$BIN" verify --jobs 2 --format $fmt -k "$RING" "$T/many.jsonl" >"$T/j2.$fmt" 2>"$T/j2.err"
	rc2=$?
	"$BIN" verify -j 4 --format $fmt -k "$RING" "$T/many.jsonl" >"$T/j4.$fmt" 2>"$T/j4.err"
	rc4=$?
	cat "$T/j1.$fmt" "$T/j1.err" "$T/j2.err" "$T/j4.err" >>"$T/all"
	check "--jobs 1 exit 1 on the mixed file ($fmt)" test "$rc1" = 1
	check "--jobs 2 exit status as --jobs 1 ($fmt)" test "$rc2" = "$rc1"
	check "--jobs 4 exit status as --jobs 1 ($fmt)" test "$rc4" = "$rc1"
	check "--jobs 2 output identical to --jobs 1 ($fmt)" cmp -s "$T/j1.$fmt" "$T/j2.$fmt"
	check "--jobs 4 output identical to --jobs 1 ($fmt)" cmp -s "$T/j1.$fmt" "$T/j4.$fmt"
	check "--jobs summaries identical ($fmt)" cmp -s "$T/j1.err" "$T/j2.err"
done
# 3000 records + 176 broken + 157 skipped + 130 garbage lines; the test of
# counts is loose on purpose, the exact values are in test_reader.c
check "--jobs: every record has a verdict" test "$(lines "$T/j1.text")" -ge 3400
check "--jobs: test_receipt flags" test "$(grep -c test_receipt "$T/j1.text")" -ge 350
check "--jobs: unknown_key fails" test "$(grep -c unknown_key "$T/j1.text")" = 230
check "--jobs: fee_mismatch flags" test "$(grep -c fee_mismatch "$T/j1.text")" -ge 250
check "--jobs json lines are JSON" json_ok "$T/j2.json"
run "$BIN" verify --jobs 2 -k "$RING" "$T/ok.jsonl"
expect_rc 0 "--jobs 2 on a small ok file"
run "$BIN" verify --jobs abc -k "$RING" "$T/ok.jsonl"
expect_rc 2 "--jobs abc"

# ---- keyring sources and permissions ----
cp "$RING" "$T/loose.txt"
chmod 644 "$T/loose.txt"
run "$BIN" verify -k "$T/loose.txt" "$T/ok.jsonl"
expect_rc 2 "world-readable keyring refused"
check "refusal names the keyring" hasF "$T/err" "loose.txt"
check "nothing verified with a refused keyring" test ! -s "$T/out"
chmod 640 "$T/loose.txt"
run "$BIN" verify -k "$T/loose.txt" "$T/ok.jsonl"
expect_rc 2 "group-readable keyring refused"
run "$BIN" verify --insecure-keyring -k "$T/loose.txt" "$T/ok.jsonl"
expect_rc 0 "--insecure-keyring accepts it"
run "$BIN" keyring check -k "$T/loose.txt"
expect_rc 2 "keyring check refuses a loose keyring too"
run "$BIN" verify "$T/ok.jsonl"
expect_rc 2 "verify without any keyring"
LA_RECEIPT_KEYRING=$RING run "$BIN" verify "$T/ok.jsonl"
expect_rc 0 "\$LA_RECEIPT_KEYRING is the default keyring"
LA_RECEIPT_KEYRING=$T/nokeyring run "$BIN" verify "$T/ok.jsonl"
expect_rc 2 "\$LA_RECEIPT_KEYRING naming a missing file"
run "$BIN" verify --key "$KID=text:$SECRET" "$T/ok.jsonl"
expect_rc 0 "--key KEYID=text:SECRET"
run "$BIN" verify --key "$KID=hex:$(printf '%s' "$SECRET" | od -An -tx1 | tr -d ' \n')" "$T/ok.jsonl"
expect_rc 0 "--key KEYID=hex:..."
SECRET_ENV=$SECRET run "$BIN" verify --key "$KID=env:SECRET_ENV" "$T/ok.jsonl"
expect_rc 0 "--key KEYID=env:NAME"
run "$BIN" verify --key "$KID=text:$SECRET2" "$T/ok.jsonl"
expect_rc 1 "--key with a wrong secret"
check "wrong secret is bad_signature" hasF "$T/out" "bad_signature"
run "$BIN" verify --key "nokey" "$T/ok.jsonl"
expect_rc 2 "--key without '='"
run "$BIN" verify -k "$T/ring-missing.txt" "$T/ok.jsonl"
expect_rc 2 "missing keyring file"
check "missing keyring: the message names it" hasF "$T/err" "ring-missing.txt"
check "missing keyring: the reason is given once" test "$(grep -o 'No such file or directory' "$T/err" | wc -l)" = 1
# a second secret under the same keyId (rotation): both verify
printf '%s  text:%s\n%s  text:%s\n' "$KID" "$SECRET2" "$KID" "$SECRET" >"$T/rot.txt"
chmod 600 "$T/rot.txt"
run "$BIN" verify -k "$T/rot.txt" "$T/ok.jsonl"
expect_rc 0 "second secret of a keyId matches"

# ---- keyring list / check ----
run "$BIN" keyring list -k "$RING"
expect_rc 0 "keyring list"
check "keyring list shows both keys" test "$(grep -c . "$T/out")" -ge 2
if command -v openssl >/dev/null 2>&1; then
	fp=$(printf '%s' "la-receipt fingerprint v1" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/.*= *//' | cut -c1-16)
	check "keyring list shows the fingerprint of SPEC §3 ($fp)" hasF "$T/out" "$fp"
	fp2=$(printf '%s' "la-receipt fingerprint v1" |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$HEXSECRET" | sed 's/.*= *//' | cut -c1-16)
	check "keyring list shows the hex key's fingerprint ($fp2)" hasF "$T/out" "$fp2"
fi
check "keyring list names the keyIds" hasF "$T/out" "$KID"
run "$BIN" keyring list --key "$KID=text:$SECRET"
expect_rc 0 "keyring list with --key"
run "$BIN" keyring check -k "$RING"
expect_rc 0 "keyring check"
check "keyring check of a sound keyring warns of nothing" test "$(grep -c . "$T/err")" = 1
# a secret revoked under one keyId and live under another: named, not shown
printf 'staging text:%s revoked\nprod text:%s\nother text:%s revoked\n' "$SECRET2" "$SECRET2" "$SECRET" >"$T/revoked-elsewhere.txt"
chmod 600 "$T/revoked-elsewhere.txt"
run "$BIN" keyring check -k "$T/revoked-elsewhere.txt"
expect_rc 0 "keyring check with a secret revoked under one keyId only"
check "it names the revoked line and the keyId where it is live" \
	grep -qE "line 1: the secret revoked under 'staging' is not revoked under 'prod' \(.*:2\)" "$T/err"
check "a secret revoked wherever it is listed is not reported" test "$(grep -c "not revoked under" "$T/err")" = 1
check "the summary says so" hasF "$T/err" "a revoked secret still valid elsewhere"
check "keyring check does not show the secret" sh -c '! grep -qF "$1" "$2"' - "$SECRET2" "$T/err"
cp "$DATA/keyring-bad.txt" "$T/bad.txt"
chmod 600 "$T/bad.txt"
run "$BIN" keyring check -k "$T/bad.txt"
expect_rc 2 "keyring check of a bad line"
check "the message names line 4" grep -qE '(:4[^0-9]|line 4)' "$T/err"
run "$BIN" keyring frob -k "$RING"
expect_rc 2 "keyring with an unknown action"
run "$BIN" verify -k "$T/bad.txt" "$T/ok.jsonl"
expect_rc 2 "verify with a bad keyring"

# ---- inspect ----
run "$BIN" inspect "$T/ok.jsonl"
expect_rc 0 "inspect"
check "inspect says NOT VERIFIED" hasF "$T/out" "NOT VERIFIED"
run "$BIN" inspect "$T/fail.jsonl"
expect_rc 0 "inspect of a record with a bad signature"
check "inspect shows the payload" hasF "$T/out" "mcp_receipt_7fd6900a8cce4e6b8bfcbb79d2a6d643"
run_in "$T/ok.jsonl" "$BIN" inspect --format json
expect_rc 0 "inspect --format json from stdin"
check "inspect json says it is not verified" hasF "$T/out" '"verified":false'

# ---- a closed stdout ----
yes "$(head -1 "$T/ok.jsonl")" | head -n 20000 >"$T/big.jsonl"
for j in 1 2; do
	timeout 60 "$BIN" verify --jobs $j -k "$RING" "$T/big.jsonl" 2>"$T/err" | head -1 >"$T/out"
	st=("${PIPESTATUS[@]}")
	cat "$T/out" "$T/err" >>"$T/all"
	check "verify --jobs $j | head -1 does not hang" test "${st[0]}" != 124
	check "verify --jobs $j | head -1 is not a crash (${st[0]})" test "${st[0]}" -lt 128 -o "${st[0]}" = 141
	check "verify --jobs $j | head -1 prints no message" test ! -s "$T/err"
	check "verify --jobs $j | head -1 got its line" test "$(lines "$T/out")" = 1
done
if [ -w /dev/full ]; then
	"$BIN" verify -k "$RING" "$T/big.jsonl" >/dev/full 2>"$T/err"
	rc=$?
	cat "$T/err" >>"$T/all"
	expect_rc 2 "a full disk on stdout is an error"
	check "a full disk is reported" test -s "$T/err"
fi

# ---- no secret anywhere in what the commands printed ----
for s in "$SECRET" "$SECRET2" "$HEXSECRET" fixture-secret-one fixture-secret-two; do
	check "no command printed the secret '$s'" test "$(grep -cF -e "$s" "$T/all")" = 0
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
