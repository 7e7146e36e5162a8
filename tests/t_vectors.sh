#!/usr/bin/env bash
# t_vectors.sh - runs the project's numbered test vectors (testvectors/NNNN-*/), the demo
# sample (testvectors/sample/) and the sign cross-check (testvectors/sign/) against
# la-receipt, comparing stdout byte for byte and the exit status.
#
# Not for: deciding what is right.  The expectations were written by testvectors/gen.py
# from the SPEC; this script only runs the binary and compares.  When python3 is present it
# also checks that gen.py still writes exactly the committed files.
#
# env: LAR_BIN (the binary, required), LAR_SRC (source tree; default: this script's parent),
#      LAR_TMP (scratch; default /tmp).  Exit 0 pass, 77 skip, 1 fail.
set -u

src=${LAR_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
vec=$src/testvectors
if [ -z "${LAR_BIN:-}" ] || [ ! -x "$LAR_BIN" ]; then
	echo "t_vectors: LAR_BIN is not set to an executable; skipping"
	exit 77
fi
case $LAR_BIN in /*) bin=$LAR_BIN ;; *) bin=$(pwd)/$LAR_BIN ;; esac
if [ ! -d "$vec" ]; then
	echo "t_vectors: no $vec; skipping"
	exit 77
fi
mkdir -p "${LAR_TMP:-/tmp}"
tmp=$(mktemp -d "${LAR_TMP:-/tmp}/t_vectors.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C TZ=UTC
unset LA_RECEIPT_KEYRING LA_RECEIPT_LEDGER

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}

# run_case DIR INPUT: verify INPUT inside a private copy of DIR, compare with DIR/expected.*
run_case() {
	local dir=$1 input=$2 name work args status want_status
	name=$(basename "$dir")
	work=$tmp/case/$name
	rm -rf "$work"
	mkdir -p "$work"
	cp -R "$dir"/. "$work"/ || { bad "$name: cannot copy"; return; }
	# SPEC §3: keyrings and file: secrets readable by others are refused
	find "$work" -type f -exec chmod 600 {} +
	args=()
	if [ -f "$work/args" ]; then
		read -r -a args <"$work/args"
	fi
	(
		cd "$work" || exit 2
		if [ -f env ]; then
			while IFS= read -r line || [ -n "$line" ]; do
				[ -n "$line" ] && export "${line%%=*}=${line#*=}"
			done <"./env"
		fi
		"$bin" verify --format json -k keyring.txt ${args[@]+"${args[@]}"} "$input" >actual.stdout 2>actual.stderr
		echo $? >actual.status
	)
	status=$(cat "$work/actual.status" 2>/dev/null)
	want_status=$(cat "$dir/expected.status")
	if cmp -s "$dir/expected.stdout" "$work/actual.stdout" && [ "$status" = "$want_status" ]; then
		ok
	else
		bad "$name: exit $status (expected $want_status)"
		diff -u "$dir/expected.stdout" "$work/actual.stdout" | sed -n '3,40p'
		sed -n '1,5s/^/  stderr: /p' "$work/actual.stderr"
	fi
}

ncases=0
for dir in "$vec"/[0-9][0-9][0-9][0-9]-*/; do
	dir=${dir%/}
	[ -f "$dir/expected.stdout" ] || continue
	if [ -f "$dir/input.jsonl" ]; then
		run_case "$dir" input.jsonl
	else
		run_case "$dir" input.json
	fi
	ncases=$((ncases + 1))
done
if [ "$ncases" -lt 1 ]; then
	bad "no cases found under $vec"
fi

# the demo sample
if [ -f "$vec/sample/expected.stdout" ]; then
	run_case "$vec/sample" receipts.jsonl
fi

# sign cross-check: payload and signature byte for byte on every line; the whole line
# (with the body) on lines not listed in loose-lines.txt.  SPEC §1.5 does not say whether
# DEL is escaped in the body, so \u007f and a raw DEL count as the same.
sig_of() { sed -n 's/.*"payload":"\([^"]*\)","signature":"\([^"]*\)".*/\1 \2/p'; }
if [ -f "$vec/sign/payloads.jsonl" ]; then
	w=$tmp/sign
	mkdir -p "$w"
	cp "$vec/sign/keyring.txt" "$w/keyring.txt" && chmod 600 "$w/keyring.txt"
	"$bin" sign -k "$w/keyring.txt" --key-id vectors-sign "$vec/sign/payloads.jsonl" >"$w/actual" 2>"$w/stderr"
	st=$?
	if [ "$st" -ne 0 ]; then
		bad "sign: exit $st"
		sed -n '1,5s/^/  stderr: /p' "$w/stderr"
	else
		ok
	fi
	del=$(printf '\177')
	n=0
	while IFS= read -r want; do
		n=$((n + 1))
		got=$(sed -n "${n}p" "$w/actual")
		if [ "$(printf '%s\n' "$want" | sig_of)" != "$(printf '%s\n' "$got" | sig_of)" ] ||
			[ -z "$(printf '%s\n' "$got" | sig_of)" ]; then
			bad "sign line $n: payload or signature differs"
			printf '  want: %.160s\n  got:  %.160s\n' "$want" "$got"
			continue
		fi
		if grep -qx "$n" "$vec/sign/loose-lines.txt"; then
			ok
			continue
		fi
		if [ "${want//\\u007f/$del}" = "${got//\\u007f/$del}" ]; then
			ok
		else
			bad "sign line $n: envelope or body differs"
			diff <(printf '%s\n' "$want" | tr ',' '\n') <(printf '%s\n' "$got" | tr ',' '\n') | sed -n '1,12p'
		fi
	done <"$vec/sign/expected.jsonl"
	extra=$(($(wc -l <"$w/actual") - n))
	if [ "$extra" -ne 0 ]; then
		bad "sign: $extra lines more than expected"
	fi
fi

# gen.py writes exactly what is committed (deterministic, and nobody edited its output by hand)
if command -v python3 >/dev/null 2>&1; then
	if python3 "$vec/gen.py" --out "$tmp/regen" >"$tmp/regen.log" 2>&1 &&
		diff -r -q -x gen.py -x __pycache__ "$vec" "$tmp/regen" >"$tmp/regen.diff" 2>&1; then
		ok
	else
		bad "gen.py does not reproduce testvectors/"
		sed -n '1,10p' "$tmp/regen.log" "$tmp/regen.diff"
	fi
else
	echo "t_vectors: no python3; not checking that gen.py reproduces testvectors/"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
