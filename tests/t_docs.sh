#!/usr/bin/env bash
# t_docs.sh - keeps the man pages true to the program.
#
#  1. SYNOPSIS of la-receipt.1 holds exactly the usage lines that
#     `la-receipt help` and `la-receipt help CMD` print (cli/main.c is the
#     one source): none missing, none stale; rendered by groff they read
#     the same.
#  2. Every reason code of verify/receipt.c's table is under VERDICTS, in
#     table order, with the status SPEC §2.3 gives it (when SPEC.md is there).
#  3. Every option of the usage table, long and short, is in la-receipt.1;
#     every command has its own COMMANDS subsection; .TH of every page names the version.
#  4. groff reports no warnings on any page (skipped without groff).
#  5. The examples run: a block after '.\" example-file NAME' is written to
#     NAME; a block after '.\" example-run exit=N [output] [requires=PROG]' is
#     run, each '$ ' line one command with bash in a scratch folder (one per
#     page, in page order); the last command must exit N and the others 0;
#     with 'output' the block's other lines are the exact combined stdout and
#     stderr.
#
# Not for: checking what the commands do (their own tests do that).
set -u

bin=${LAR_BIN:?LAR_BIN is not set}
src=${LAR_SRC:?LAR_SRC is not set}
tmp=$(mktemp -d "${LAR_TMP:-${TMPDIR:-/tmp}}/t_docs.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C TZ=UTC
unset LA_RECEIPT_KEYRING LA_RECEIPT_LEDGER

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	printf 'not ok: %s\n' "$*"
	fail=$((fail + 1))
}

page1=$src/man/la-receipt.1
page5=$src/man/la-receipt-keyring.5
page5l=$src/man/la-receipt-ledger.5
for p in "$page1" "$page5" "$page5l"; do
	if [ -r "$p" ]; then ok; else bad "missing man page $p"; fi
done
[ -r "$page1" ] || { echo "$pass passed, $fail failed"; exit 1; }

# roff source to plain text: the escapes the pages use.  \e goes last, through
# a placeholder, so that "\e-" is not read as "\-".
unroff() {
	sed -e 's/\\e/\x01/g' -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\(ga/`/g' \
		-e 's/\\(ti/~/g' -e 's/\\(ha/^/g' -e 's/\\(sc/§/g' -e 's/\\(bu/*/g' -e 's/\\&//g' \
		-e 's/\\f[BIRP]//g' -e 's/\\~/ /g' -e 's/\\c$//' -e 's/\x01/\\/g' "$@"
}
unroff "$page1" >"$tmp/page1.txt"

# Lines of one section (.SH NAME up to the next .SH) of an unroffed page.
section() {
	awk -v want="$2" '
		/^\.SH / { name = substr($0, 5); gsub(/"/, "", name); on = (name == want); next }
		on { print }' "$1"
}

# ---- 1. SYNOPSIS = the usage table ----
"$bin" help >"$tmp/overview" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok; else bad "'la-receipt help' exits $rc"; fi
: >"$tmp/usage"
commands=$(sed -n 's/^  \([a-z][a-z]*\)  *[a-z].*/\1/p' "$tmp/overview")
[ -n "$commands" ] && ok || bad "no commands in 'la-receipt help'"
for c in $commands; do
	if ! "$bin" help "$c" >"$tmp/help.$c" 2>&1; then
		bad "'la-receipt help $c' fails"
		continue
	fi
	# the synopsis: "usage: " line and its continuations, up to the first blank line
	awk 'NR == 1 { sub(/^usage: /, "") } /^$/ { exit } { print }' "$tmp/help.$c" >>"$tmp/usage"
done
grep '^  KEYS := ' "$tmp/overview" | sed 's/^  //' >>"$tmp/usage"
grep '^  la-receipt --version$' "$tmp/overview" | sed 's/^  //' >>"$tmp/usage"
grep -q '^KEYS := ' "$tmp/usage" && ok || bad "'la-receipt help' shows no 'KEYS :=' line"
grep -q '^la-receipt --version$' "$tmp/usage" && ok || bad "'la-receipt help' shows no '--version' line"

section "$tmp/page1.txt" SYNOPSIS | grep -v '^\.' | grep -v '^$' >"$tmp/synopsis"
while IFS= read -r l; do
	if grep -qxF -- "$l" "$tmp/synopsis"; then ok; else bad "usage line missing from la-receipt.1 SYNOPSIS: $l"; fi
done <"$tmp/usage"
while IFS= read -r l; do
	if grep -qxF -- "$l" "$tmp/usage"; then ok; else bad "stale SYNOPSIS line in la-receipt.1 (not in the usage table): $l"; fi
done <"$tmp/synopsis"

have_groff=0
command -v groff >/dev/null 2>&1 && have_groff=1
if [ $have_groff = 1 ]; then
	# Rendered, wide enough for the longest line, no overstrike: the same lines.
	groff -man -Tascii -rLL=250n -P-bou "$page1" 2>/dev/null | sed -e 's/.\x08//g' -e 's/^ *//' >"$tmp/rendered"
	while IFS= read -r l; do
		if grep -qxF -- "$l" "$tmp/rendered"; then ok; else bad "usage line not rendered verbatim by groff: $l"; fi
	done <"$tmp/usage"
else
	echo "# groff not installed: rendering checks skipped"
fi

# ---- 2. reason codes ----
sed -n 's/^[[:space:]]*\[LAR_R_[A-Z0-9_]*\] = "\([a-z_]*\)",.*/\1/p' "$src/verify/receipt.c" >"$tmp/reasons"
n=$(wc -l <"$tmp/reasons")
if [ "$n" -ge 18 ]; then ok; else bad "found only $n reason codes in verify/receipt.c"; fi
while IFS= read -r r; do
	if grep -qw -- "$r" "$tmp/page1.txt"; then ok; else bad "reason code $r is not in la-receipt.1"; fi
done <"$tmp/reasons"
# VERDICTS: ".TP" / ".B code" / "(status) ..." entries, in order
section "$tmp/page1.txt" VERDICTS | awk '
	prev == ".TP" && /^\.B [a-z_]+$/ { code = $2; prev = $0; next }
	code != "" { if (match($0, /^\((fail|flag)\)/)) print code, substr($0, 2, 4); code = "" }
	{ prev = $0 }' >"$tmp/verdicts"
cut -d' ' -f1 "$tmp/verdicts" >"$tmp/verdict-order"
if cmp -s "$tmp/reasons" "$tmp/verdict-order"; then
	ok
else
	bad "VERDICTS does not list the reason codes of verify/receipt.c in table order"
	diff "$tmp/reasons" "$tmp/verdict-order" | sed 's/^/#   /'
fi
spec=${LAR_SHARED:-/nonexistent}/SPEC.md
if [ -r "$spec" ]; then
	sed -n 's/^| \([a-z_]*\) | \(fail\|flag\) |.*/\1 \2/p' "$spec" >"$tmp/spec-reasons"
	if [ -s "$tmp/spec-reasons" ] && cmp -s "$tmp/spec-reasons" "$tmp/verdicts"; then
		ok
	else
		bad "VERDICTS codes and statuses differ from SPEC §2.3"
		diff "$tmp/spec-reasons" "$tmp/verdicts" | sed 's/^/#   /'
	fi
else
	echo "# SPEC.md not found under LAR_SHARED: status check against SPEC §2.3 skipped"
fi

# ---- 3. options, command sections, version ----
cat "$tmp"/help.* | grep -o -- '--[a-z][a-z-]*' | sort -u >"$tmp/longopts"
[ -s "$tmp/longopts" ] && ok || bad "no long options found in the usage table"
while IFS= read -r o; do
	if grep -q -- "$o\\b" "$tmp/page1.txt"; then ok; else bad "option $o of the usage table is not in la-receipt.1"; fi
done <"$tmp/longopts"
cat "$tmp"/help.* | sed -n 's/^  \(-[a-z]\), --.*/\1/p' | sort -u >"$tmp/shortopts"
while IFS= read -r o; do
	if grep -q -- "$o\\b" "$tmp/page1.txt"; then ok; else bad "option $o of the usage table is not in la-receipt.1"; fi
done <"$tmp/shortopts"
for c in $commands; do
	if grep -q "^\\.SS $c\\b" "$tmp/page1.txt"; then ok; else bad "la-receipt.1 has no COMMANDS subsection for $c"; fi
done
version=$("$bin" --version 2>&1)
if grep -q "^\\.TH LA-RECEIPT 1 [^ ]* \"$version\"" "$page1"; then ok; else bad ".TH of la-receipt.1 does not name '$version'"; fi
for p in "$page5" "$page5l"; do
	[ -r "$p" ] || continue
	th=$(basename "$p" .5 | tr a-z A-Z)
	if grep -q "^\\.TH $th 5 [^ ]* \"$version\"" "$p"; then ok; else
		bad ".TH of ${p##*/} does not name '$version'"
	fi
done

# ---- 4. groff warnings ----
if [ $have_groff = 1 ]; then
	for p in "$page1" "$page5" "$page5l"; do
		[ -r "$p" ] || continue
		w=$(groff -man -Tutf8 -ww -z "$p" 2>&1)
		if [ -z "$w" ]; then ok; else bad "groff warns on ${p##*/}: $w"; fi
	done
else
	echo "# groff not installed: warning check skipped"
fi

# ---- 5. examples ----
mkdir -p "$tmp/bin"
ln -s "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" "$tmp/bin/la-receipt"

# run_block DIR SPEC FILE: run the commands of one unroffed example block
run_block() {
	local dir=$1 spec=$2 file=$3 want=0 check_out=0 req="" w
	for w in $spec; do
		case $w in
		exit=*) want=${w#exit=} ;;
		output) check_out=1 ;;
		requires=*) req=${w#requires=} ;;
		*) bad "unknown example-run word '$w'" ;;
		esac
	done
	if [ -n "$req" ] && ! command -v "$req" >/dev/null 2>&1; then
		echo "# $req not installed: example skipped: $(head -n1 "$file")"
		return
	fi
	# split the block: a command per '$ ' line, then its expected output
	local i=0 line
	while IFS= read -r line; do
		case $line in
		'$ '*)
			i=$((i + 1))
			printf '%s\n' "${line#\$ }" >"$file.cmd$i"
			: >"$file.want$i"
			;;
		*)
			if [ $i -eq 0 ]; then
				bad "example block does not start with a '\$ ' command: $line"
				return
			fi
			printf '%s\n' "$line" >>"$file.want$i"
			;;
		esac
	done <"$file"
	if [ $i -eq 0 ]; then
		bad "example-run block without a command"
		return
	fi
	local k cmd rc expect
	for k in $(seq 1 $i); do
		cmd=$(cat "$file.cmd$k")
		(cd "$dir" && PATH="$tmp/bin:$PATH" bash -c "$cmd") >"$file.got$k" 2>&1
		rc=$?
		expect=0
		[ "$k" -eq "$i" ] && expect=$want
		if [ "$rc" -eq "$expect" ]; then ok; else
			bad "example exits $rc, the man page says $expect: $cmd"
			sed 's/^/#   /' "$file.got$k"
		fi
		if [ $check_out = 1 ]; then
			if cmp -s "$file.want$k" "$file.got$k"; then ok; else
				bad "example output differs from the man page: $cmd"
				diff "$file.want$k" "$file.got$k" | sed 's/^/#   /'
			fi
		fi
		printf '%s\n' "$cmd" >>"$tmp/ran"
	done
}

# run_page PAGE: write the example files and run the example blocks, in order
run_page() {
	local page=$1 name dir marker="" inblock=0 nblock=0 expect_ex=0 line
	name=$(basename "$page")
	dir=$tmp/ex.$name
	mkdir -p "$dir"
	unroff "$page" >"$tmp/$name.txt"
	while IFS= read -r line; do
		if [ $expect_ex = 1 ] && [ "$line" != ".EX" ]; then
			bad "$name: '$marker' is not followed by .EX"
			marker=""
		fi
		expect_ex=0
		case $line in
		'.\" example-file '* | '.\" example-run'*)
			marker=${line#.\\\" }
			expect_ex=1
			;;
		.EX)
			inblock=1
			nblock=$((nblock + 1))
			: >"$tmp/block.$name.$nblock"
			;;
		.EE)
			inblock=0
			case $marker in
			example-file\ *)
				cp "$tmp/block.$name.$nblock" "$dir/${marker#example-file }"
				ok
				;;
			example-run*)
				run_block "$dir" "${marker#example-run}" "$tmp/block.$name.$nblock"
				;;
			esac
			marker=""
			;;
		*)
			[ $inblock = 1 ] && printf '%s\n' "$line" >>"$tmp/block.$name.$nblock"
			;;
		esac
	done <"$tmp/$name.txt"
}

: >"$tmp/ran"
run_page "$page1"
[ -r "$page5" ] && run_page "$page5"
[ -r "$page5l" ] && run_page "$page5l"
echo "# ran $(wc -l <"$tmp/ran") example commands"
for c in verify inspect sign keyring import report export; do
	if grep -q "^la-receipt $c\\b\\|| la-receipt $c\\b" "$tmp/ran"; then ok; else
		bad "no runnable example of 'la-receipt $c' in the man pages"
	fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
