#!/bin/bash
# t_golden.sh - the golden sample of ../shared/golden (emulated LiveAuth
# receipts, SPEC §1-§2) through `la-receipt verify --format json`, compared
# record by record by the shared golden-check tool.  Skips (77) when the
# shared folder or its tool is absent.
# Not for: anything the golden sample does not cover (test_receipt.c, t_cli.sh).
set -u
export LC_ALL=C TZ=UTC
BIN=${LAR_BIN:?LAR_BIN must name the la-receipt binary}
TOOL=${LAR_SHARED:-/nonexistent}/tools/golden-check
if [ ! -f "$TOOL" ]; then
	echo "skipped: $TOOL is absent"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "skipped: golden-check needs python3"
	exit 77
fi
mkdir -p "${LAR_TMP:-/tmp}"
T=$(mktemp -d "${LAR_TMP:-/tmp}/t_golden.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

python3 "$TOOL" "$BIN" >"$T/out" 2>&1
rc=$?
cat "$T/out"
summary=$(grep -E '^[0-9]+/[0-9]+ records match$' "$T/out" | tail -1)
m=${summary%%/*}
rest=${summary#*/}
n=${rest%% *}
if [ "$rc" = 0 ]; then pass=$((pass + 1)); else
	fail=$((fail + 1))
	echo "FAIL: golden-check exited $rc"
fi
if [ -n "$summary" ] && [ "$m" = "$n" ] && [ "$n" -gt 0 ]; then pass=$((pass + 1)); else
	fail=$((fail + 1))
	echo "FAIL: not every golden record matches (${summary:-no summary line})"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
