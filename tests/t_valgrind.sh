#!/bin/bash
# t_valgrind.sh - `la-receipt verify` under valgrind memcheck: no invalid
# access, no use of uninitialised memory, no definite or indirect leak, on
# the golden sample (single-threaded and --jobs 2) and on testvectors cases
# that end in findings.  Skips (77) without valgrind or on an ASan build
# (the two do not mix).
# Not for: verdicts (the golden and vector tests check those).
set -u
export LC_ALL=C TZ=UTC
BIN=${LAR_BIN:?LAR_BIN must name the la-receipt binary}
SRC=${LAR_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
if ! command -v valgrind >/dev/null 2>&1; then
	echo "skipped: valgrind is not installed"
	exit 77
fi
if [ -n "${LAR_ASAN:-}" ] || ldd "$BIN" 2>/dev/null | grep -q asan || grep -q AddressSanitizer "$BIN" 2>/dev/null; then
	echo "skipped: ASan build"
	exit 77
fi
mkdir -p "${LAR_TMP:-/tmp}"
T=$(mktemp -d "${LAR_TMP:-/tmp}/t_valgrind.XXXXXX")
trap 'rm -rf "$T"' EXIT
unset LA_RECEIPT_KEYRING LA_RECEIPT_LEDGER

pass=0
fail=0
ran=0
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect)

# vg NAME WANT DIR CMD...: run CMD in DIR under memcheck; the exit status
# must be one of WANT ("1", "0 1"), never 99 (memcheck found errors)
vg() {
	local name=$1 want=$2 dir=$3
	shift 3
	(cd "$dir" && timeout 600 "${VG[@]}" "$@") >"$T/out" 2>"$T/err"
	local rc=$?
	ran=$((ran + 1))
	case " $want " in
	*" $rc "*) pass=$((pass + 1)) ;;
	*)
		fail=$((fail + 1))
		if [ "$rc" = 99 ]; then
			echo "FAIL: $name: valgrind found errors"
		else
			echo "FAIL: $name: exit $rc, expected one of: $want"
		fi
		grep -E '^==[0-9]+==' "$T/err" | head -30
		;;
	esac
}

# the golden sample
G=${LAR_SHARED:-/nonexistent}/golden
if [ -f "$G/receipts.jsonl" ] && [ -f "$G/keyring.txt" ]; then
	mkdir "$T/golden"
	cp "$G"/* "$T/golden/"
	chmod 600 "$T/golden"/*
	if [ -f "$T/golden/env.sh" ]; then
		# shellcheck disable=SC1091
		. "$T/golden/env.sh"
	fi
	vg "golden receipts.jsonl" 1 "$T/golden" "$BIN" verify -k keyring.txt receipts.jsonl
	vg "golden receipts.jsonl --format json --jobs 2" 1 "$T/golden" \
		"$BIN" verify --format json --jobs 2 -k keyring.txt receipts.jsonl
	if [ -f "$T/golden/multi.json" ]; then
		vg "golden multi.json" 1 "$T/golden" "$BIN" verify -k keyring.txt multi.json
	fi
	# inspect verifies nothing; the sample holds text that is not JSON
	vg "inspect golden receipts.jsonl" "0 1" "$T/golden" "$BIN" inspect receipts.jsonl
	vg "keyring list of the golden keyring" 0 "$T/golden" "$BIN" keyring list -k keyring.txt
else
	echo "# golden sample absent: skipped that part"
fi

# testvectors cases that end in findings (exit 1), without env or args, up to 4
n=0
for d in "$SRC"/testvectors/[0-9]*/; do
	[ -f "$d/expected.status" ] && [ -f "$d/keyring.txt" ] || continue
	[ "$(cat "$d/expected.status")" = 1 ] || continue
	[ -e "$d/env" ] || [ -e "$d/args" ] && continue
	in=input.jsonl
	[ -f "$d/$in" ] || in=input.json
	[ -f "$d/$in" ] || continue
	c=$T/vec$n
	mkdir "$c"
	cp "$d"/* "$c/"
	chmod 600 "$c"/*
	vg "testvectors/$(basename "$d")" 1 "$c" "$BIN" verify --format json -k keyring.txt "$in"
	n=$((n + 1))
	[ "$n" -lt 4 ] || break
done
[ "$n" -gt 0 ] || echo "# no testvectors case found: skipped that part"

# sign -> verify of a fixture
if [ -f "$SRC/tests/data/cli/payloads.jsonl" ]; then
	printf 'k  text:valgrind-secret\n' >"$T/ring"
	chmod 600 "$T/ring"
	vg "sign" 0 "$T" "$BIN" sign -k ring --key-id k "$SRC/tests/data/cli/payloads.jsonl"
	cp "$T/out" "$T/signed.jsonl"
	vg "verify of signed fixtures" 0 "$T" "$BIN" verify -k ring signed.jsonl
fi

if [ "$ran" = 0 ]; then
	echo "skipped: nothing to run"
	exit 77
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
