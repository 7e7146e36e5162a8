#!/bin/bash
# t_jobs.sh - verify --jobs 2 and 4 write byte for byte what --jobs 1 writes
# (SPEC §4.1 output in input order, §2.1 resynchronisation), with the same
# summary and exit status, on input that mixes ok, flagged, failing and
# skipped records with values that are not JSON: some the reader skips
# past, some that make it go back (a bad value holding a line that starts
# with '{' or '[', a bad array element), arrays, pretty-printed envelopes,
# lines that start with '{' and end with '}' but are not one value (which
# every job count takes whole on trust and then reads again with the scan,
# dropping what it read after them: in the mix, at every batch boundary,
# in runs, first and last in the file, past a span, with read errors).
# The mixed file is run shifted by a few records at a time so that batch
# boundaries fall on every kind of record; a file bigger than the bytes a
# parallel verifier holds for going back is run from a file and from
# standard input; input where every value sends the reader back must stay
# linear (a timeout otherwise); bad values that hold a line starting with
# '{' are settled after the reader's buffer moved.
# Not for: verdict details (test_receipt.c) or other hostile input (t_hostile.sh).
set -u
export LC_ALL=C TZ=UTC
BIN=${LAR_BIN:?LAR_BIN must name the la-receipt binary}
SRC=${LAR_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=$SRC/tests/data/cli
mkdir -p "${LAR_TMP:-/tmp}"
T=$(mktemp -d "${LAR_TMP:-/tmp}/t_jobs.XXXXXX")
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"' EXIT
unset LA_RECEIPT_KEYRING LA_RECEIPT_LEDGER

pass=0
fail=0
ok() { pass=$((pass + 1)); }
no() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
check() {
	local d=$1
	shift
	if "$@"; then ok; else no "$d"; fi
}
lines() { wc -l <"$1" | tr -d ' '; }

KID=liveauth-mcp-receipt-v1
RING=$T/ring.txt
printf '%s  text:jobs-test-secret-4f1c9a\n' "$KID" >"$RING"
chmod 600 "$RING"

# ---- the kinds of record ----
cat "$DATA/payloads.jsonl" "$DATA/payload-test.json" >"$T/payloads.jsonl"
"$BIN" sign -k "$RING" --key-id "$KID" "$T/payloads.jsonl" >"$T/signed.jsonl" 2>"$T/err"
check "fixture: three signed envelopes" test "$(lines "$T/signed.jsonl")" = 3
sed -n 1p "$T/signed.jsonl" >"$T/good"
sed -n 3p "$T/signed.jsonl" >"$T/test"
check "fixture: the third payload is a test charge (flag)" grep -q '"status": *"Test"' "$T/payloads.jsonl"
G=$(cat "$T/good")
# unit NAME TEXT: one kind of record (it may span lines); the generator
# picks among the files $T/u.*
unit() { printf '%s\n' "$2" >"$T/u.$1"; }
unit ok1 "$G"
unit ok2 "$(sed -n 2p "$T/signed.jsonl")"
unit flag_test "$(cat "$T/test")"
unit flag_body "$(printf '%s' "$G" | sed 's/"toolSlug":"weather-api"/"toolSlug":"weather-apj"/')"
unit fail_key "$(printf '%s' "$G" | sed "s/\"keyId\":\"$KID\"/\"keyId\":\"no-such-key\"/")"
# a signature whose first character is changed (A, or B if it was A)
SIG='s/"signature":"./"signature":"A/; s/"signature":"AA/"signature":"BA/'
unit fail_sig "$(printf '%s' "$G" | sed "$SIG")"
unit skipped '{"status":"denied","receipt":null}'
unit words 'not json at all'
unit badlit '{"a":tru}'
unit unterminated '{"broken":'
unit rawnl '{"s":"a string with a raw'
unit stray ']}'
unit two_on_a_line "{\"a\":x} $G"
unit two_good_on_a_line "$G $G"
unit open_line_closed_below "$(printf '{"a":{}\n}')"
unit open_envelope_line "$(printf '%s' "$G" | sed 's/}$//'; printf '\n}')"
unit inner_brace "$(printf '{"a":\n{"b":x}}')"
unit inner_bracket "$(printf '{"a":\n[1,\nx]}')"
unit indented_after "$(printf '{"a":x}\n  {"c":1}')"
unit array_ok "[$G,$G]"
unit array_bad "$(printf '[%s,\n{"b":x},\n%s]' "$G" "$G")"
unit array_open '[1,2'
unit pretty "$(printf '%s' "$G" | sed 's/,"signature"/,\n  "signature"/; s/,"body"/,\n\t"body"/')"
printf '{"a":"\377\376"}\n' >"$T/u.utf8"
# lines taken on trust that are not one value: the scan reads them again
unit trust_two_values '{"a":1} {"b":2}'
unit trust_comma '{"a":1},{"b":2}'
unit trust_open_string '{"a":"}'
unit trust_escaped_quote '{"a":"\"}'
unit trust_first_line_closed_below "$(printf '{"a":{"b":1}\n,"c":2}')"
unit trust_inner_line "$(printf '{"a":{}\n{"b":1}}')"
unit trust_inner_line_good "$(printf '{"a":{}\n%s}' "$G")"
unit trust_spaces_between "$(printf '{"a":1}  \t%s' "$G")"
printf '{"a":1,\000}\n' >"$T/u.nul"

# mix SEED N: N units, mostly good envelopes (so that batches grow between
# the values that are not JSON), in an order fixed by SEED
mix() {
	ls "$T"/u.* | awk -v seed="$1" -v n="$2" -v g="$T/u.ok1" '
		{ u[k++] = $0 }
		END {
			x = seed
			for (i = 0; i < n; i++) {
				x = (x * 1103515245 + 12345) % 2147483648
				r = int(x / 65536) % 100
				f = r < 55 ? g : u[int(x / 256) % k]
				while ((getline l < f) > 0) print l
				close(f)
			}
		}'
}
mix 7 3000 >"$T/mixed.jsonl"

# same NAME FILE [ARGS...]: --jobs 1, 2 and 4 (json) agree on FILE; each
# run of --jobs 2 and 4 has $LIMIT seconds (a hang or a blow-up otherwise)
LIMIT=120
same() {
	local name=$1 f=$2
	shift 2
	"$BIN" verify --format json --jobs 1 -k "$RING" "$@" "$f" >"$T/j1" 2>"$T/j1.err"
	local rc1=$?
	for j in 2 4; do
		timeout $LIMIT "$BIN" verify --format json --jobs $j -k "$RING" "$@" "$f" >"$T/j$j" 2>"$T/j$j.err"
		local rcj=$?
		check "$name: --jobs $j exit status $rcj is --jobs 1's ($rc1)" test "$rcj" = "$rc1"
		check "$name: --jobs $j output identical to --jobs 1" cmp -s "$T/j1" "$T/j$j"
		check "$name: --jobs $j summary identical to --jobs 1" cmp -s "$T/j1.err" "$T/j$j.err"
	done
}

same "mixed file" "$T/mixed.jsonl"
# the mixed file holds every kind of verdict, so the comparison means something
check "mixed: ok verdicts" grep -q '"status":"ok"' "$T/j1"
check "mixed: flag test_receipt" grep -q '"status":"flag","reasons":\["test_receipt"\]' "$T/j1"
check "mixed: flag body_mismatch" grep -q '"status":"flag","reasons":\["body_mismatch"\]' "$T/j1"
check "mixed: fail unknown_key" grep -q '"reasons":\["unknown_key"\]' "$T/j1"
check "mixed: fail bad_signature" grep -q '"reasons":\["bad_signature"\]' "$T/j1"
check "mixed: skipped" grep -q '"status":"skipped"' "$T/j1"
check "mixed: malformed_input" grep -q '"reasons":\["malformed_input"\]' "$T/j1"
check "mixed: more records than a few batches" test "$(lines "$T/j1")" -gt 3000
"$BIN" verify --jobs 1 -k "$RING" "$T/mixed.jsonl" >"$T/t1" 2>/dev/null
"$BIN" verify --jobs 2 -k "$RING" "$T/mixed.jsonl" >"$T/t2" 2>/dev/null
check "mixed: text format identical with --jobs 2" cmp -s "$T/t1" "$T/t2"

# shifted by a few good lines (and by a line that is not JSON), so that
# batch boundaries fall on other records
for s in 1 2 3 5 8 13 21 34; do
	{ for _ in $(seq $s); do echo "$G"; done; cat "$T/mixed.jsonl"; } >"$T/shifted.jsonl"
	same "mixed file shifted by $s" "$T/shifted.jsonl"
	{ echo 'not json'; for _ in $(seq $s); do echo "$G"; done; cat "$T/mixed.jsonl"; } >"$T/shifted.jsonl"
	same "mixed file after garbage, shifted by $s" "$T/shifted.jsonl"
done
for seed in 1 2 3; do
	mix $seed 600 >"$T/mixed.$seed.jsonl"
	same "mixed file, seed $seed" "$T/mixed.$seed.jsonl"
done
same "several files" "$T/mixed.1.jsonl" "$T/mixed.2.jsonl" "$T/mixed.3.jsonl"

# ---- more bytes than a span (what the reader holds to go back) ----
# about 12 MB of good and flagged lines with a few values that are not JSON
awk -v g="$T/good" -v t="$T/test" 'BEGIN {
	getline a < g; getline b < t
	for (i = 0; i < 9000; i++) {
		print (i % 10 == 3 ? b : a)
		if (i % 997 == 0) print "{\"a\":x}"
		if (i % 1999 == 0) printf "{\"a\":\n{\"b\":x}}\n"
	}
}' >"$T/big.jsonl"
check "fixture: the big file is over 8 MB" test "$(wc -c <"$T/big.jsonl")" -gt 8000000
same "big file" "$T/big.jsonl"
"$BIN" verify --format json --jobs 1 -k "$RING" - <"$T/big.jsonl" >"$T/s1" 2>/dev/null
cat "$T/big.jsonl" | "$BIN" verify --format json --jobs 2 -k "$RING" - >"$T/s2" 2>/dev/null
check "big file on standard input: --jobs 2 identical to --jobs 1" cmp -s "$T/s1" "$T/s2"
sed 's/^{"source":"-",/{/' "$T/s1" >"$T/s1.nosource"
sed 's/^{"source":"[^"]*",/{/' "$T/j1" >"$T/j1.nosource"
check "big file: the same verdicts from standard input as from the file" \
	cmp -s "$T/s1.nosource" "$T/j1.nosource"

# ---- every value sends the reader back: linear, not a batch per value ----
# (one pass takes well under a second; re-reading a full batch after each
# value takes minutes)
LIMIT=30
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"a\":\n{\"b\":x}}\n" }' >"$T/back.jsonl"
awk -v g="$T/good" 'BEGIN {
	getline a < g
	for (i = 0; i < 10000; i++) printf "[%s,\n{\"b\":x},\n%s]\n", a, a
}' >"$T/backarr.jsonl"
same "20,000 values that each send the reader back" "$T/back.jsonl"
check "each of them fails (40,000 verdicts)" test "$(lines "$T/j1")" = 40000
same "10,000 arrays with a bad element" "$T/backarr.jsonl"

# ---- bad values holding a line that starts with '{', 8 KB each ----
# resuming after one needs bytes inside it: the reader must still hold
# them when its batch is settled, though the batch after it was read
# meanwhile and the reader's buffer moved (every ~1 MB)
awk 'BEGIN {
	s = "x"
	while (length(s) < 8000) s = s s
	for (i = 0; i < 1000; i++) printf "{\"a\":\"%s\",\n{\"b\":x}}\n", s
}' >"$T/inner.jsonl"
same "1,000 8 KB values with a '{' line inside" "$T/inner.jsonl"

# ---- such a value as the last record of a full batch, read ahead of ----
# after one, reading restarts at its inner line with batches of 32, 64,
# 128, 128...: 221 good lines after it put the next one last in the third
# batch, and the batch after it is read before it is settled; that batch
# must not be taken for where reading resumes
awk -v g="$T/good" 'BEGIN {
	getline a < g
	for (i = 0; i < 223; i++) print a
	for (c = 0; c < 12; c++) {
		printf "{\"a\":\n{\"b\":x}}\n"
		for (i = 0; i < 221; i++) print a
	}
}' >"$T/cycle.jsonl"
same "bad values last in a batch read ahead of" "$T/cycle.jsonl"

# ---- lines on trust that the parser rejects ----
# each kind after 300 to 599 skipped records (short lines), so that it
# falls at every place of a batch (1, 2, 4... 128, 128... records after
# one), read on trust (the records after one are scanned, a few hundred at
# most when they are few); the batch read ahead past it is dropped and
# read again.  Then after 0 to 299 good lines: most of them are scanned.
for u in trust_two_values trust_open_string trust_first_line_closed_below trust_inner_line \
	 trust_inner_line_good two_good_on_a_line open_envelope_line; do
	awk -v f="$T/u.$u" 'BEGIN {
		while ((getline l < f) > 0) b = b l "\n"
		printf "%s", b
		for (k = 300; k < 600; k++) {
			for (i = 0; i < k; i++) print "{\"status\":\"denied\",\"receipt\":null}"
			printf "%s", b
		}
	}' >"$T/trust.jsonl"
	same "$u after 300 to 599 skipped records" "$T/trust.jsonl"
	check "$u after 300 to 599 skipped records: each of them skipped" \
		test "$(grep -c '"status":"skipped"' "$T/j1")" = 134850
	awk -v g="$T/good" -v f="$T/u.$u" 'BEGIN {
		getline a < g
		while ((getline l < f) > 0) b = b l "\n"
		printf "%s", b
		for (k = 0; k < 300; k++) {
			for (i = 0; i < k; i++) print a
			printf "%s", b
		}
	}' >"$T/trust.jsonl"
	same "$u after 0 to 299 good lines" "$T/trust.jsonl"
	check "$u after 0 to 299 good lines: a verdict for each good line" \
		test "$(grep -c '"status":"ok"' "$T/j1")" -ge 44850
done
# runs of them, the file ending with one (no line feed after it)
awk -v g="$T/good" 'BEGIN {
	getline a < g
	for (k = 1; k < 200; k++) {
		for (i = 0; i < k; i++) print "{\"a\":1} {\"b\":2}"
		for (i = 0; i < 200 - k; i++) print a
	}
	printf "{\"a\":1} {\"b\":2}"
}' >"$T/runs.jsonl"
same "runs of lines with two values" "$T/runs.jsonl"
check "runs of lines with two values: 2 verdicts each" \
	test "$(grep -c '"reasons":\["malformed_input"\]' "$T/j1")" = 39802

# ---- every line taken on trust is rejected: linear, not a batch a line ----
LIMIT=30
awk 'BEGIN { for (i = 0; i < 20000; i++) print "{\"a\":1} {\"b\":2}" }' >"$T/trustback.jsonl"
same "20,000 lines of two values" "$T/trustback.jsonl"
check "each of them is two records (40,000 verdicts)" test "$(lines "$T/j1")" = 40000
awk -v g="$T/good" 'BEGIN { getline a < g; for (i = 0; i < 5000; i++) print a " " a }' >"$T/trustgood.jsonl"
same "5,000 lines of two good envelopes" "$T/trustgood.jsonl"
check "each of them is two ok verdicts" test "$(grep -c '"status":"ok"' "$T/j1")" = 10000
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"a\":{}\n{\"b\":1}}\n" }' >"$T/trustinner.jsonl"
same "20,000 values with a line on trust inside" "$T/trustinner.jsonl"
LIMIT=120

# ---- more bytes than a span, with lines on trust rejected ----
awk -v g="$T/good" -v t="$T/test" 'BEGIN {
	getline a < g; getline b < t
	for (i = 0; i < 9000; i++) {
		print (i % 10 == 3 ? b : a)
		if (i % 997 == 0) print "{\"a\":1} {\"b\":2}"
		if (i % 1499 == 0) printf "{\"a\":{}\n%s}\n", a
		if (i % 1999 == 0) printf "%s %s\n", a, b
	}
}' >"$T/bigtrust.jsonl"
same "big file with lines on trust rejected" "$T/bigtrust.jsonl"
"$BIN" verify --format json --jobs 1 -k "$RING" - <"$T/bigtrust.jsonl" >"$T/s1" 2>/dev/null
cat "$T/bigtrust.jsonl" | "$BIN" verify --format json --jobs 2 -k "$RING" - >"$T/s2" 2>/dev/null
check "big file with lines on trust rejected, standard input: --jobs 2 identical to --jobs 1" \
	cmp -s "$T/s1" "$T/s2"

# ---- memory: bounded whatever the input's size, standard input included ----
# (issue 5: peak RSS <= 32 MB); 200 MB of good lines and of lines on trust
# that are rejected, through a pipe, whose reads are short
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 &&
	[ -z "${LAR_ASAN:-}" ] && ! ldd "$BIN" 2>/dev/null | grep -q asan &&
	! grep -q AddressSanitizer "$BIN" 2>/dev/null; then
	for kind in good trust; do
		case $kind in
		good) line=$G ;;
		trust) line='{"a":1} {"b":2}' ;;
		esac
		yes "$line" | head -c 200000000 |
			/usr/bin/time -o "$T/rss" -f %M "$BIN" verify -q --jobs 2 -k "$RING" - 2>/dev/null
		rss=$(tail -n 1 "$T/rss") # after "Command exited with non-zero status 1"
		check "200 MB of $kind lines on standard input, --jobs 2: peak RSS $rss kB <= 32 MB" \
			test "$rss" -le 32768
	done
else
	echo "skipped: peak RSS (no GNU time, or an ASan build)"
fi

# ---- errors: the same output, messages and exit status whatever N ----
# errs NAME STDIN CMD...: CMD, with each @J@ in it replaced by 1, 2 and 4 and
# standard input from the file STDIN; stdout, then stderr with the exit
# status, then both in one file (each message after the verdicts before it)
# are identical to --jobs 1's.  $T/e1.out and $T/e1.err are --jobs 1's.
LIMIT=60
errs() {
	local name=$1 in=$2 j
	shift 2
	for j in 1 2 4; do
		timeout $LIMIT "${@//@J@/$j}" <"$in" >"$T/e$j.out" 2>"$T/e$j.err"
		echo "exit status $?" >>"$T/e$j.err"
		timeout $LIMIT "${@//@J@/$j}" <"$in" >"$T/e$j.both" 2>&1
	done
	for j in 2 4; do
		check "$name: --jobs $j output identical to --jobs 1" cmp -s "$T/e1.out" "$T/e$j.out"
		check "$name: --jobs $j messages and exit status identical to --jobs 1" \
			cmp -s "$T/e1.err" "$T/e$j.err"
		check "$name: --jobs $j output and messages in one file identical" \
			cmp -s "$T/e1.both" "$T/e$j.both"
	done
}
# verify --jobs @J@, JSON lines
V=("$BIN" verify --format json --jobs @J@ -k "$RING")
# --jobs 1 met a read error (exit status 2) after writing some verdicts
read_error_seen() {
	grep -q "read error" "$T/e1.err" && grep -q '^exit status 2$' "$T/e1.err" && test -s "$T/e1.out"
}

# a read error part-way through a file (an LD_PRELOAD shim whose read()
# fails with EIO after LAR_FAULT_READ_AFTER bytes of that file; under
# AddressSanitizer, whose runtime then does not come first, with its link
# order check off): the verdicts of every record before it, as --jobs 1
# writes them, though --jobs N read further ahead and some of those records
# send the reader back to bytes it holds
SHIM=${LAR_READFAIL:-$(dirname "$BIN")/liblar_readfail.so}
if [ -e "$SHIM" ]; then
	# shim FILE BYTES CMD...: CMD with reads of FILE failing after BYTES
	printf '#!/bin/sh\nf=$1 n=$2\nshift 2\n%s %s exec "$@"\n' \
		'ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"' \
		"LD_PRELOAD='$SHIM' LAR_FAULT_READ_PATH=\"\$f\" LAR_FAULT_READ_AFTER=\"\$n\"" >"$T/shim"
	chmod +x "$T/shim"
	M=$T/mixed.jsonl
	for n in 1 38311 112933 411421 709909 1157641 2000003 3500000; do
		errs "read error after $n bytes of the mixed file" /dev/null \
			"$T/shim" "$M" $n "${V[@]}" "$M"
		[ $n = 1 ] || check "read error after $n bytes: reported after some verdicts" read_error_seen
	done
	check "the last of them writes more than a few batches of verdicts" \
		test "$(lines "$T/e1.out")" -gt 2000
	errs "read error in the text format, -q" /dev/null \
		"$T/shim" "$M" 411421 "$BIN" verify -q --jobs @J@ -k "$RING" "$M"
	errs "read error in the text format" /dev/null \
		"$T/shim" "$M" 411421 "$BIN" verify --jobs @J@ -k "$RING" "$M"
	check "read error in the text format: reported after some verdicts" read_error_seen
	errs "read error on standard input" "$M" \
		"$T/shim" "$M" 709909 "${V[@]}" -
	check "read error on standard input: reported after some verdicts" read_error_seen
	errs "read error in the second of three files" /dev/null \
		"$T/shim" "$M" 709909 "${V[@]}" \
		"$T/mixed.1.jsonl" "$M" "$T/mixed.2.jsonl"
	check "the third file is still verified" grep -q "mixed.2.jsonl" "$T/e1.out"
	for n in 100000 3000000 6000000; do
		errs "read error after $n bytes of 8 KB values with a '{' line inside" /dev/null \
			"$T/shim" "$T/inner.jsonl" $n "${V[@]}" "$T/inner.jsonl"
	done
	for n in 1000000 2300000; do
		errs "read error after $n bytes, bad values last in a batch" /dev/null \
			"$T/shim" "$T/cycle.jsonl" $n "${V[@]}" "$T/cycle.jsonl"
	done
	errs "read error after 9 MB of the big file" /dev/null \
		"$T/shim" "$T/big.jsonl" 9000000 "${V[@]}" "$T/big.jsonl"
	check "read error in the big file: reported after some verdicts" read_error_seen
	# in the middle of a line on trust that is rejected, and just after one
	for n in 2000000 5000000 8000000 $(grep -b -o '^{"a":1} {"b":2}' "$T/bigtrust.jsonl" |
		sed -n '3p;6p' | awk -F: '{ print $1 + 3; print $1 + 16 }'); do
		errs "read error after $n bytes of the big file with lines on trust rejected" /dev/null \
			"$T/shim" "$T/bigtrust.jsonl" $n "${V[@]}" "$T/bigtrust.jsonl"
	done
	check "read error in the big file with lines on trust: reported after some verdicts" read_error_seen
else
	echo "skipped: read-error injection (no shim)"
fi

# ---- import reads the records verify reads (cli/batch.c) ----
# import takes JSON Lines on trust in batches of full size (1,024 records)
# and reads a line the parser rejects again with the scan: its counts must be
# verify's, and every fail verdict of verify a reject of import at the same
# line (two alike at one line are stored once: reject's UNIQUE key).  The lines on trust that are not one value stand first in the file,
# last in the first batch, first in the second, and after runs long enough
# for the batches to grow back to full size after a cut; last in the file.
import_same() {
	local name=$1 f=$2 db=$T/import.db
	"$BIN" verify --format json --jobs 1 -k "$RING" "$f" 2>/dev/null |
		sed -n 's/.*"line":\([0-9]*\),"status":"\([a-z]*\)".*/\1 \2/p' >"$T/iv"
	rm -f "$db" "$db"-*
	timeout $LIMIT "$BIN" import -d "$db" -k "$RING" --format json "$f" >"$T/io" 2>"$T/ie"
	local rc=$? n_ok n_flag n_fail n_skip
	n_ok=$(grep -c ' ok$' "$T/iv")
	n_flag=$(grep -c ' flag$' "$T/iv")
	n_fail=$(grep -c ' fail$' "$T/iv")
	n_skip=$(grep -c ' skipped$' "$T/iv")
	check "$name: import exits 1 (rejects), got $rc: $(head -c 200 "$T/ie")" test "$rc" = 1
	local got
	got=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(c["imported"] + c["alreadyPresent"] + c["conflicts"], c["flagged"], c["rejected"], c["skipped"])' "$T/io")
	check "$name: import counts ($got) are verify's ($((n_ok + n_flag)) $n_flag $n_fail $n_skip)" \
		test "$got" = "$((n_ok + n_flag)) $n_flag $n_fail $n_skip"
	python3 -c '
import sqlite3, sys
for (l, r) in sqlite3.connect(sys.argv[1]).execute("SELECT DISTINCT line, reason FROM reject ORDER BY 1, 2"):
    print(l, r)' "$db" >"$T/ir"
	# a reject row's reason is the verdict's first (fail reasons come
	# before flags in SPEC §2.3's table, and verify lists them in order)
	"$BIN" verify --format json --jobs 1 -k "$RING" "$f" 2>/dev/null | python3 -c '
import json, sys
seen = set()
for t in sys.stdin:
    v = json.loads(t)
    if v.get("status") == "fail":
        seen.add((v["line"], v["reasons"][0]))
for l, r in sorted(seen):
    print(l, r)' >"$T/ivf"
	check "$name: import rejects each record verify fails, at its line, for its first reason" \
		cmp -s "$T/ivf" "$T/ir"
}

if command -v python3 >/dev/null 2>&1; then
	trust_units() { cat "$T"/u.trust_*; }
	goods() { for _ in $(seq "$1"); do echo "$G"; done; }
	{
		trust_units
		goods 1000
		trust_units
		goods 2100
		trust_units
		goods 2100
		trust_units
	} >"$T/import-trust.jsonl"
	{
		goods 1023
		trust_units
		goods 2100
		echo 'not json'
		goods 2100
		trust_units
		goods 3
	} >"$T/import-trust2.jsonl"
	check "fixture: the trust units are there" test "$(ls "$T"/u.trust_* | wc -l)" -ge 8
	import_same "import, lines on trust" "$T/import-trust.jsonl"
	import_same "import, lines on trust at batch ends" "$T/import-trust2.jsonl"
	import_same "import, the mixed file" "$T/mixed.jsonl"
	grep -c ' fail$' "$T/iv" >"$T/ivn"
	check "import, the mixed file: it has fail verdicts to compare" test "$(cat "$T/ivn")" -gt 100
	# records of about 100 KB and runs of blank lines: import's batches end
	# at 4 MiB read (about 42 records) as well as at their count (which
	# starts again from the records kept after a cut, and doubles), and the
	# lines on trust that are not one value fall in and after such batches
	pad=$(head -c 100000 /dev/zero | tr '\0' ' ')
	padded() { for _ in $(seq "$1"); do printf '{%s%s\n' "$pad" "${G#\{}"; done; }
	{
		for k in 1 2 3 4 5 6 7; do
			padded $((60 + 6 * k))
			trust_units
			printf '%s\n\n\n' "$pad"
			echo 'not json'
		done
		padded 3
	} >"$T/import-padded.jsonl"
	unset pad
	import_same "import, 100 KB records and blank runs" "$T/import-padded.jsonl"
else
	echo "skipped: import against verify needs python3"
fi

# a read error that does not recur: a socket reset (Linux reports it once,
# then end of file) after a bad value holding a line that starts with '{'
# (the reader goes back to that line after the error) and part of a record.
# --jobs N must stop where --jobs 1 stopped, not take the cut record for a
# value that ends at end of file.
if command -v python3 >/dev/null 2>&1; then
	cat >"$T/sock.py" <<'EOF'
import socket, subprocess, sys
data = open(sys.argv[1], 'rb').read()
a, b = socket.socketpair()
b.sendall(data)
a.send(b'x')  # left unread by b: closing b then resets a
p = subprocess.Popen(sys.argv[2:], stdin=a)
a.close()
b.close()
sys.exit(p.wait())
EOF
	{
		for _ in $(seq 20); do echo "$G"; done
		printf '{"a":\n{"b":x}}\n'
		for _ in $(seq 5); do echo "$G"; done
		printf '%s' "$G" | head -c 500
	} >"$T/reset.jsonl"
	errs "socket reset on standard input" /dev/null \
		python3 "$T/sock.py" "$T/reset.jsonl" "${V[@]}" -
	if grep -q "read error" "$T/e1.err"; then
		check "socket reset: the cut record gets no verdict" test "$(lines "$T/e1.out")" = 27
	else
		echo "skipped: no read error from a reset socket here"
	fi
fi

# files that cannot be read between good ones: a directory, a missing file,
# standard input that is a directory (read() fails at once)
errs "unreadable files between good ones" "$T" \
	"${V[@]}" "$T/mixed.1.jsonl" "$T" "$T/no-such-file" \
	"$T/mixed.2.jsonl" - "$T/mixed.3.jsonl"
check "unreadable files: three messages" \
	test "$(grep -c '^la-receipt: verify: .*: cannot\|read error' "$T/e1.err")" = 3
check "unreadable files: the files after them verified" grep -q "mixed.3.jsonl" "$T/e1.out"

# a value over the reader's cap (16 MiB) is a verdict, not a read error
{
	echo "$G"
	printf '{"a":"'
	head -c 17000000 /dev/zero | tr '\0' x
	printf '"}\n'
	echo "$G"
} >"$T/huge.jsonl"
errs "a value over the size cap" /dev/null "${V[@]}" "$T/huge.jsonl"
check "the value over the cap fails malformed_input" \
	test "$(grep -c '"fail","reasons":\["malformed_input"\]' "$T/e1.out")" = 1

# a full disk on stdout: the same message, summary and exit status
for j in 1 2 4; do
	"$BIN" verify --jobs $j -k "$RING" "$T/mixed.jsonl" "$T/mixed.jsonl" >/dev/full 2>"$T/full$j"
	echo "exit status $?" >>"$T/full$j"
done
check "stdout on a full disk: write error reported" grep -q "write error: No space left on device" "$T/full1"
check "stdout on a full disk: exit status 2" grep -q '^exit status 2$' "$T/full1"
for j in 2 4; do
	check "stdout on a full disk: --jobs $j messages identical to --jobs 1" cmp -s "$T/full1" "$T/full$j"
done

# a closed pipe ends verify promptly and quietly, even on endless input
for j in 1 2 4; do
	timeout 20 "$BIN" verify --jobs $j -k "$RING" "$T/big.jsonl" 2>"$T/pipe$j" | head -n 1 >/dev/null
	rc=${PIPESTATUS[0]}
	check "closed pipe, --jobs $j: exit status 2 (got $rc)" test "$rc" = 2
	check "closed pipe, --jobs $j: nothing on stderr" test ! -s "$T/pipe$j"
	yes "$G" | timeout 20 "$BIN" verify --jobs $j -k "$RING" - 2>"$T/pipe$j" | head -n 1 >/dev/null
	rc=${PIPESTATUS[1]}
	check "closed pipe on endless input, --jobs $j: exit status 2 (got $rc)" test "$rc" = 2
	check "closed pipe on endless input, --jobs $j: nothing on stderr" test ! -s "$T/pipe$j"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
