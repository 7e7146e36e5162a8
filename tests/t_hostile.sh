#!/bin/bash
# t_hostile.sh - hostile input never crashes, hangs or takes unbounded memory
# (preamble; SPEC §2.1 record cap, §3 keyring limits): huge lines, deep
# nesting, random bytes, NUL and invalid UTF-8, huge strings, a record over
# the 16 MiB cap, keyrings that are directories, FIFOs, devices, too big or
# symlinks, unreadable inputs, and inputs that make a naive reader or a
# batching verifier redo work per bad line.
# Every run is under `timeout 60`, and under `ulimit -v` 1 GiB unless the
# binary is an ASan build (ASan reserves terabytes of address space).
# Not for: verdict details (test_receipt.c) or the normal CLI (t_cli.sh).
set -u
export LC_ALL=C TZ=UTC
BIN=${LAR_BIN:?LAR_BIN must name the la-receipt binary}
SRC=${LAR_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=$SRC/tests/data/cli
mkdir -p "${LAR_TMP:-/tmp}"
T=$(mktemp -d "${LAR_TMP:-/tmp}/t_hostile.XXXXXX")
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
unset LA_RECEIPT_KEYRING LA_RECEIPT_LEDGER

ASAN=
if [ -n "${LAR_ASAN:-}" ] || ldd "$BIN" 2>/dev/null | grep -q asan ||
	grep -q "AddressSanitizer" "$BIN" 2>/dev/null; then
	ASAN=1
	echo "# ASan build: no ulimit -v, no RSS bound"
fi
TIME=
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then TIME=/usr/bin/time; fi

pass=0
fail=0
ok() { pass=$((pass + 1)); }
no() {
	fail=$((fail + 1))
	echo "FAIL: $*"
	if [ -s "$T/err" ]; then sed 's/^/    stderr: /' "$T/err" | head -5; fi
}

# limited CMD...: run under timeout and, without ASan, ulimit -v 1 GiB;
# peak RSS (kB) goes to $T/rss when GNU time is there
limited() {
	(
		[ -n "$ASAN" ] || ulimit -v 1048576
		if [ -n "$TIME" ]; then
			exec "$TIME" -o "$T/rss" -f %M timeout 60 "$@"
		else
			exec timeout 60 "$@"
		fi
	)
}

# hostile NAME WANT CMD...: WANT is a list of allowed exit statuses ("1", "1 2")
hostile() {
	local name=$1 want=$2
	shift 2
	rm -f "$T/rss"
	limited "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	case " $want " in
	*" $rc "*) ok ;;
	*)
		if [ "$rc" = 124 ]; then
			no "$name: timed out after 60 s (hang)"
		elif [ "$rc" -ge 128 ]; then
			no "$name: killed by signal $((rc - 128))"
		else
			no "$name: exit $rc, expected one of: $want"
		fi
		;;
	esac
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|Segmentation|stack-overflow' "$T/err"; then
		no "$name: sanitizer report"
	else
		ok
	fi
	if [ -z "$ASAN" ] && [ -s "$T/rss" ]; then
		local kb
		kb=$(tail -1 "$T/rss")
		case $kb in
		*[!0-9]*) ;;
		*)
			if [ "$kb" -lt 300000 ]; then ok; else no "$name: peak RSS $kb kB (bound: 300 MB)"; fi
			;;
		esac
	fi
}
# hostile_in NAME WANT FILE CMD...: as hostile, with FILE on stdin
hostile_in() {
	local name=$1 want=$2 in=$3
	shift 3
	rm -f "$T/rss"
	limited "$@" <"$in" >"$T/out" 2>"$T/err"
	rc=$?
	case " $want " in
	*" $rc "*) ok ;;
	*) no "$name: exit $rc, expected one of: $want" ;;
	esac
}
# rss_under NAME KB: the last hostile run peaked under KB kB (when measured)
rss_under() {
	[ -z "$ASAN" ] && [ -s "$T/rss" ] || return 0
	local kb
	kb=$(tail -1 "$T/rss")
	case $kb in *[!0-9]*) return 0 ;; esac
	echo "# $1: peak RSS $kb kB"
	if [ "$kb" -lt "$2" ]; then ok; else no "$1: peak RSS $kb kB (bound: $2 kB)"; fi
}
check() {
	local d=$1
	shift
	if "$@"; then ok; else no "$d"; fi
}
xs() { head -c "$1" /dev/zero | tr '\0' "$2"; }

KID=liveauth-mcp-receipt-v1
SECRET=hostile-secret-0123456789
RING=$T/ring.txt
printf '%s  text:%s\n' "$KID" "$SECRET" >"$RING"
chmod 600 "$RING"
V=("$BIN" verify -k "$RING")

# a good envelope to follow the hostile lines
"$BIN" sign -k "$RING" --key-id "$KID" "$DATA/payloads.jsonl" >"$T/good.jsonl" 2>"$T/err"
check "fixture: two good envelopes" test "$(wc -l <"$T/good.jsonl")" = 2
head -1 "$T/good.jsonl" >"$T/one.jsonl"

# ---- huge and deep input ----
{ printf '{"s":"'; xs 67108864 x; } >"$T/f"
hostile "64 MB line, unterminated string, no newline" 1 "${V[@]}" "$T/f"
{ xs 67108864 a; } >"$T/f"
hostile "64 MB line of letters, no newline" 1 "${V[@]}" "$T/f"
{ printf '{"s":"'; xs 67108864 x; printf '"}\n'; cat "$T/one.jsonl"; } >"$T/f"
hostile "64 MB record, then a good line" 1 "${V[@]}" --format json "$T/f"
check "the line after a 64 MB record is still verified" grep -q '"line":2,"status":"ok"' "$T/out"
rm -f "$T/f"
xs 1000000 '[' >"$T/f"
hostile "1,000,000 [" 1 "${V[@]}" "$T/f"
hostile "1,000,000 [ with --jobs 2" 1 "${V[@]}" --jobs 2 "$T/f"
awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "{\"a\":"; print "" }' >"$T/f"
cat "$T/one.jsonl" >>"$T/f"
hostile "1,000,000 {\"a\": on one line" 1 "${V[@]}" --format json "$T/f"
check "the good line after 1,000,000 {\"a\": is verified" grep -q '"line":2,"status":"ok"' "$T/out"
awk 'BEGIN { for (i = 0; i < 100000; i++) print "{\"a\":" }' >"$T/f"
hostile "100,000 lines of {\"a\":" 1 "${V[@]}" "$T/f"
check "each of them is one malformed record" test "$(grep -c malformed_input "$T/out")" = 100000
xs 1000000 ']' >"$T/f"
hostile "1,000,000 ]" 1 "${V[@]}" "$T/f"
{ printf '{"version":"mcp-call-receipt-v1","payload":"e30","signature":"x","keyId":"k","body":'
	xs 1000000 '['
	xs 1000000 ']'
	printf '}\n'
} >"$T/f"
hostile "an envelope whose body nests 1,000,000 deep" 1 "${V[@]}" "$T/f"
hostile "inspect of it" "0 1" "$BIN" inspect "$T/f"

# import holds a batch's bytes until it is settled, whitespace between
# records too: a batch ends past 4 MiB read, or 64 records with 1 MiB of
# blanks after each were all held at once (73 MB peak before the fix)
one=$(cat "$T/one.jsonl")
blanks=$(xs 1048576 ' ')
for i in $(seq 64); do printf '%s%s\n' "$one" "$blanks"; done >"$T/f"
unset one blanks
hostile "import: 64 records with 1 MiB of blanks after each" 0 \
	"$BIN" import -d "$T/blanks.db" -k "$RING" --format json "$T/f"
rss_under "import: 64 records with 1 MiB of blanks after each" 45000
check "all 64 are read: 1 imported, 63 already present" \
	grep -q '"imported":1,"alreadyPresent":63,' "$T/out"
rm -f "$T/f"

# one run of 64 MiB of blanks between two records, and 64 MiB of lines
# skipped after a bad one: verify --jobs 2 and import hold what they read
# until a batch is settled, and such a run has no cap; the reader gives up
# past 1 MiB skipped under a hold (LAR_E_AGAIN) and the next batch goes on
# (before: about 70 MB peak for each, 415 MB for a run of 400 MiB)
blanks=$(xs 1048575 ' ')
{ cat "$T/one.jsonl"; for i in $(seq 64); do printf '%s\n' "$blanks"; done; cat "$T/one.jsonl"; } >"$T/f"
garbage=$(xs 65535 x)
{ cat "$T/one.jsonl"; echo '{"a":x}'; for i in $(seq 1024); do printf '%s\n' "$garbage"; done
	cat "$T/one.jsonl"; } >"$T/g"
unset blanks garbage
for input in f g; do
	what="64 MiB of blanks between two records"
	[ $input = f ] || what="64 MiB of lines skipped after a bad record"
	hostile "$what" "0 1" "${V[@]}" --format json "$T/$input"
	cp "$T/out" "$T/out1"
	hostile "$what, --jobs 2" "0 1" "${V[@]}" --jobs 2 --format json "$T/$input"
	rss_under "$what, --jobs 2" 40000
	check "$what: --jobs 2 writes what --jobs 1 writes" cmp -s "$T/out1" "$T/out"
	rm -f "$T/runs.db"
	hostile "$what, import" "0 1" "$BIN" import -d "$T/runs.db" -k "$RING" --format json "$T/$input"
	rss_under "$what, import" 40000
	check "$what: import reads both records" grep -q '"imported":1,"alreadyPresent":1,' "$T/out"
done
check "the record after the skipped lines is at its line" grep -q '"line":1027,"status":"ok"' "$T/out1"
rm -f "$T/f" "$T/g" "$T/out1"

# ---- random, NUL, invalid UTF-8 ----
head -c 5242880 /dev/urandom >"$T/random.bin"
hostile "5 MB of random bytes" 1 "${V[@]}" "$T/random.bin"
[ "$rc" = 1 ] || cp "$T/random.bin" "${LAR_TMP:-/tmp}/t_hostile-random-failed.bin"
hostile "5 MB of random bytes, --jobs 2 --format json" 1 "${V[@]}" --jobs 2 --format json "$T/random.bin"
hostile "inspect of random bytes" "0 1 2" "$BIN" inspect "$T/random.bin"
hostile "sign of random bytes" "1 2" "$BIN" sign -k "$RING" --key-id "$KID" "$T/random.bin"
head -c 1048576 /dev/zero >"$T/f"
hostile "1 MB of NUL bytes" 1 "${V[@]}" "$T/f"
{ printf '{"a":"x\0y"}\n\0\n'; cat "$T/one.jsonl"; } >"$T/f"
hostile "NUL inside and between records" 1 "${V[@]}" --format json "$T/f"
check "the good line after NULs is verified" grep -q '"line":3,"status":"ok"' "$T/out"
{ sed 's/"body":{/"body":{"x":"\xff\xfe\xc0\xaf",/' "$T/one.jsonl"; printf '\xff\xfe\n'
	printf '{"a":"\xed\xa0\x80"}\n'; cat "$T/one.jsonl"; } >"$T/f"
hostile "invalid UTF-8" 1 "${V[@]}" --format json "$T/f"
check "invalid UTF-8 in an envelope is malformed_input" grep -q '"line":1,"status":"fail","reasons":\["malformed_input"\]' "$T/out"
check "the good line after invalid UTF-8 is verified" grep -q '"line":4,"status":"ok"' "$T/out"
hostile "inspect of invalid UTF-8" "0 1 2" "$BIN" inspect "$T/f"

# ---- huge strings inside a signed payload ----
awk -v n=10485760 'BEGIN { s = "x"; while (length(s) < n) s = s s; s = substr(s, 1, n)
	printf "{\"agentId\":null,\"createdAt\":\"2026-05-07T02:05:01.1234567Z\",\"feeBasisPoints\":500,"
	printf "\"grossSats\":100,\"idempotencyKey\":null,\"mcpGateSessionId\":null,\"mcpGateTokenId\":null,"
	printf "\"mcpToolId\":\"e3e70682-c209-4cac-a29f-6fbed82c07cd\",\"netSats\":95,\"payingProjectId\":null,"
	printf "\"platformFeeSats\":5,\"receiptId\":\"mcp_receipt_7fd6900a8cce4e6b8bfcbb79d2a6d643\",\"requestId\":null,"
	printf "\"revenueEventId\":\"7fd6900a-8cce-4e6b-8bfc-bb79d2a6d643\",\"status\":\"Charged\",\"toolMethodName\":\"search\","
	printf "\"toolName\":\"%s\",\"toolSlug\":\"weather-api\",\"version\":\"mcp-call-receipt-v1\"}\n", s }' >"$T/big-payload.json"
hostile "sign a payload with a 10 MB string" "0 2" "$BIN" sign -k "$RING" --key-id "$KID" "$T/big-payload.json"
if [ "$rc" = 0 ]; then
	# without its body (a 10 MB copy) the envelope is ~14 MB, under the 16 MiB cap
	sed 's/,"body":{.*$/}/' "$T/out" >"$T/f"
	hostile "verify a payload with a 10 MB string" 0 "${V[@]}" "$T/f"
	hostile "inspect a payload with a 10 MB string" 0 "$BIN" inspect "$T/f"
	# with its body the record is over the cap
	cp "$T/out" "$T/f"
	hostile "verify a 24 MB signed record (over the cap)" 1 "${V[@]}" "$T/f"
fi
awk -v n=1747626 'BEGIN { s = "\\u0026"; t = ""; for (k = n; k > 0; k = int(k / 2)) { if (k % 2) t = t s; s = s s }
	printf "{\"agentId\":null,\"createdAt\":\"2026-05-07T02:05:01.1234567Z\",\"feeBasisPoints\":500,"
	printf "\"grossSats\":100,\"idempotencyKey\":null,\"mcpGateSessionId\":null,\"mcpGateTokenId\":null,"
	printf "\"mcpToolId\":\"e3e70682-c209-4cac-a29f-6fbed82c07cd\",\"netSats\":95,\"payingProjectId\":null,"
	printf "\"platformFeeSats\":5,\"receiptId\":\"mcp_receipt_7fd6900a8cce4e6b8bfcbb79d2a6d643\",\"requestId\":null,"
	printf "\"revenueEventId\":\"7fd6900a-8cce-4e6b-8bfc-bb79d2a6d643\",\"status\":\"Charged\",\"toolMethodName\":\"search\","
	printf "\"toolName\":\"%s\",\"toolSlug\":\"weather-api\",\"version\":\"mcp-call-receipt-v1\"}\n", t }' >"$T/big-payload.json"
hostile "sign a payload with a 10 MB string of escapes" "0 2" "$BIN" sign -k "$RING" --key-id "$KID" "$T/big-payload.json"
if [ "$rc" = 0 ]; then
	sed 's/,"body":{.*$/}/' "$T/out" >"$T/f"
	hostile "verify a payload with a 10 MB string of escapes" 0 "${V[@]}" "$T/f"
fi
rm -f "$T/big-payload.json"

# ---- records of millions of values: verify builds only what it reads ----
# A response whose tool result is 6,000,000 numbers (12 MB) around a good
# envelope is verified, and the result costs no memory (a whole parse tree
# of it took 290 MB).  Names cost their duplicate check (man page): 700,000
# names in one object (11 MB) about 50 MB.  Of the body only what is compared
# with the payload is built: arrays there cost nothing either.
ENV=$(tr -d '\n' <"$T/one.jsonl")
{ printf '{"result":['; yes 0 | head -n 6000000 | tr '\n' ','; printf '0],"receipt":%s}\n' "$ENV"; } >"$T/f"
hostile "a response with a 6,000,000-number tool result" 0 "${V[@]}" "$T/f"
rss_under "a response with a 6,000,000-number tool result" 40000
cat "$T/f" "$T/f" >"$T/f2"
hostile "two of them, --jobs 2" 0 "${V[@]}" --jobs 2 "$T/f2"
rss_under "two of them, --jobs 2" 72000
objects() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%s\"k%d\":[%d]", i ? "," : "", (i * 7919) % n, i }'; }
{ printf '{"result":{'; objects 100000; printf '},"receipt":%s}\n' "$ENV"; } >"$T/f"
hostile "a tool result of 100,000 names" 0 "${V[@]}" "$T/f"
rss_under "a tool result of 100,000 names" 40000
{ printf '{"result":{'; objects 700000; printf '},"receipt":%s}\n' "$ENV"; } >"$T/f"
hostile "a tool result of 700,000 names" 0 "${V[@]}" "$T/f"
rss_under "a tool result of 700,000 names" 100000
{ printf '{"body":{'; for i in $(seq 38); do printf '"a%d":[' "$i"; yes 0 | head -n 199999 | tr '\n' ','; printf '0],'; done
  printf '"z":0}}\n'; } >"$T/f"
hostile "a body of 38 arrays of 200,000 numbers" 1 "${V[@]}" "$T/f"
rss_under "a body of 38 arrays of 200,000 numbers" 40000
{ sed 's/,"body":{.*$//' "$T/one.jsonl" | tr -d '\n'; printf ',"body":{"zz":['
  yes 0 | head -n 6000000 | tr '\n' ','; printf '0],"grossSats":[1,2]}}\n'; } >"$T/f"
check "fixture: a good envelope with a 12 MB body" test "$(wc -c <"$T/f")" -gt 12000000
hostile "a good envelope whose body holds 6,000,000 numbers" 1 "${V[@]}" --format json "$T/f"
check "its verdict is body_mismatch (grossSats is an array)" grep -q '"status":"flag","reasons":\["body_mismatch"\]' "$T/out"
rss_under "a good envelope whose body holds 6,000,000 numbers" 40000
rm -f "$T/f2"

# ---- a record over the 16 MiB cap, then a good line ----
{ printf '{"s":"'; xs 20971520 y; printf '"}\n'; cat "$T/one.jsonl"; } >"$T/f"
hostile "20 MB record then a good line" 1 "${V[@]}" --format json "$T/f"
check "20 MB record is malformed_input" grep -q '"line":1,"status":"fail","reasons":\["malformed_input"\]' "$T/out"
check "the next line is still verified" grep -q '"line":2,"status":"ok"' "$T/out"
hostile "20 MB record then a good line, --jobs 2" 1 "${V[@]}" --jobs 2 --format json "$T/f"
check "the next line is still verified with --jobs 2" grep -q '"line":2,"status":"ok"' "$T/out"
hostile_in "20 MB record on stdin" 1 "$T/f" "${V[@]}"
{ printf '[{"s":"'; xs 20971520 y; printf '"},\n'; cat "$T/one.jsonl"; printf ']\n'; } >"$T/f"
hostile "20 MB array element then a good line" 1 "${V[@]}" --format json "$T/f"
check "the good line after a 20 MB element is verified" grep -q '"line":2,"status":"ok"' "$T/out"
rm -f "$T/f"

# 40 records of 17 MiB each (680 MB on stdin): with --jobs the batch holds
# its bytes for a rewind, but never more than a batch and one record
gen_over_cap() {
	for i in $(seq 40); do
		printf '{"s":"'
		head -c 17825792 /dev/zero | tr '\0' y
		printf '"}\n'
	done
}
for j in 1 2; do
	hostile "40 records over the cap on stdin, --jobs $j" 1 bash -c \
		"$(declare -f gen_over_cap); gen_over_cap | \"\$@\" -" _ "${V[@]}" --jobs $j
	check "40 malformed records (--jobs $j)" test "$(grep -c malformed_input "$T/out")" = 40
done

# ---- work per bad line must stay bounded (a hang otherwise) ----
# 50,000 good envelopes each followed by a line that is not JSON (70 MB on
# stdin): one pass verifies them in about a second; a verifier that re-reads
# and re-verifies its read-ahead batch after every such line does ~1000x that
gen_alt() {
	awk 'NR == FNR { l = $0; next } END { for (i = 0; i < 50000; i++) { print l; print "not json" } }' "$1" /dev/null
}
for j in 1 2; do
	hostile "50,000 good lines each followed by garbage, --jobs $j" 1 bash -c \
		"$(declare -f gen_alt); gen_alt \"\$1\" | \"\${@:2}\" -" _ "$T/one.jsonl" "${V[@]}" --jobs $j
	check "50,000 ok verdicts (--jobs $j)" test "$(grep -c ': ok ' "$T/out")" = 50000
done
# 12,000 lines of 16 KB (192 MB, streamed through a pipe), each an object
# that never closes: a reader that rescans from every line to the end, the
# 16 MiB cap or its depth limit does ~1000 times the work of one pass
# (~200 GB of scanning here); one pass takes seconds
gen_unclosed() {
	awk 'BEGIN { s = "{"; for (j = 0; j < 2000; j++) s = s "\"a\":[1],"; for (i = 0; i < 12000; i++) print s }'
}
hostile "12,000 unclosed 16 KB objects (192 MB on stdin)" 1 bash -c \
	"$(declare -f gen_unclosed); gen_unclosed | \"\$@\" -" _ "${V[@]}"
check "12,000 malformed records" test "$(grep -c malformed_input "$T/out")" = 12000

# ---- keyrings that are not regular files, too big, or symlinks ----
mkdir "$T/ringdir"
chmod 700 "$T/ringdir"
hostile "keyring is a directory" 2 "${V[@]:0:2}" -k "$T/ringdir" "$T/one.jsonl"
hostile "keyring is a directory (--insecure-keyring)" 2 "$BIN" verify --insecure-keyring -k "$T/ringdir" "$T/one.jsonl"
mkfifo "$T/ringfifo"
chmod 600 "$T/ringfifo"
hostile "keyring is a FIFO with no writer" 2 "$BIN" verify -k "$T/ringfifo" "$T/one.jsonl"
hostile "keyring is a FIFO (--insecure-keyring)" 2 "$BIN" verify --insecure-keyring -k "$T/ringfifo" "$T/one.jsonl"
hostile "keyring is /dev/zero" 2 "$BIN" verify -k /dev/zero "$T/one.jsonl"
hostile "keyring is /dev/zero (--insecure-keyring)" 2 "$BIN" verify --insecure-keyring -k /dev/zero "$T/one.jsonl"
hostile "keyring check of /dev/zero" 2 "$BIN" keyring check --insecure-keyring -k /dev/zero
{ cat "$RING"; awk 'BEGIN { for (i = 0; i < 30000; i++) printf "# padding comment line %060d\n", i }'; } >"$T/bigring"
chmod 600 "$T/bigring"
check "fixture: the big keyring is over 1 MiB" test "$(wc -c <"$T/bigring")" -gt 2000000
hostile "a 2 MB keyring" 2 "$BIN" verify -k "$T/bigring" "$T/one.jsonl"
awk -v kid="$KID" 'BEGIN { for (i = 0; i < 5000; i++) printf "k%d  text:s%d\n", i, i }' >"$T/manyring"
chmod 600 "$T/manyring"
hostile "a keyring of 5,000 entries (over 4096)" 2 "$BIN" verify -k "$T/manyring" "$T/one.jsonl"
ln -s "$RING" "$T/ringlink"
hostile "keyring is a symlink to a 0600 keyring" 0 "$BIN" verify -k "$T/ringlink" "$T/one.jsonl"
printf '%s  file:%s\n' "$KID" /dev/zero >"$T/devsecret"
chmod 600 "$T/devsecret"
hostile "a file: secret naming /dev/zero" 2 "$BIN" verify --insecure-keyring -k "$T/devsecret" "$T/one.jsonl"
printf '%s  file:%s\n' "$KID" "$T/ringfifo" >"$T/fifosecret"
chmod 600 "$T/fifosecret"
hostile "a file: secret naming a FIFO" 2 "$BIN" verify -k "$T/fifosecret" "$T/one.jsonl"
head -c 200000 /dev/urandom >"$T/randring"
chmod 600 "$T/randring"
hostile "a keyring of random bytes" 2 "$BIN" keyring check -k "$T/randring"

# ---- input paths that cannot be read ----
hostile "input is a directory" 2 "${V[@]}" "$T/ringdir"
hostile "input is a directory among good files" 2 "${V[@]}" "$T/one.jsonl" "$T/ringdir" "$T/one.jsonl"
check "the good files around it are verified" test "$(grep -c ': ok ' "$T/out")" = 2
if [ "$(id -u)" != 0 ]; then
	cp "$T/one.jsonl" "$T/noread.jsonl"
	chmod 000 "$T/noread.jsonl"
	hostile "input is unreadable (chmod 000)" 2 "${V[@]}" "$T/noread.jsonl"
	chmod 600 "$T/noread.jsonl"
else
	echo "# running as root: the chmod 000 input case is skipped"
fi
hostile "input is a FIFO being written" 0 bash -c 'cat "$1" >"$2" & exec "${@:3}" "$2"' _ "$T/one.jsonl" \
	"$T/ringfifo" "${V[@]}"
hostile "input is /dev/null" 0 "${V[@]}" /dev/null
hostile "--jobs 64 on random bytes" 1 "${V[@]}" --jobs 64 "$T/random.bin"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
