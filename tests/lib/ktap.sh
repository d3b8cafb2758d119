# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh disable=SC3043,SC2046
# (local is in every sh this runs under: bash, busybox ash, dash; the
# unquoted $(...) of counts split into words on purpose.)
#
# KTAP v1 (Documentation/dev-tools/ktap.rst), the one emitter of the
# tree: sourced by the host's scripts (bash) and, copied to
# /zsf/tests/ktap.sh, by the guest's /init and test scripts (busybox sh).
#
# A document numbers its own points from 1.  A document inside another
# is a subtest: its lines are indented by four spaces, under a
# "# Subtest: NAME" line, and one point of the outer document closes it.
# So nothing is ever renumbered: make check's output is the lanes'
# documents, each holding its guest boots' documents, each holding one
# document per test script.
#
# The document being written is named by $KTAP_COUNTER_FILE, a file that
# holds "N PASS FAIL": the points written at this level so far, and the
# leaf points passed and failed at every depth (a point that closes a
# subtest is not a leaf; a skip counts as neither).  Without one, the
# first point makes one.
#
#   ktap_point ok|fail|skip DESC [REASON...]
#                     one point; for fail, each line of each REASON goes
#                     before it as a diagnostic; for skip, REASON is the
#                     SKIP directive's text.  DESC gets "$KTAP_PREFIX: "
#                     in front when KTAP_PREFIX is set
#   ktap_ok DESC, ktap_fail DESC [REASON...], ktap_skip DESC REASON
#   ktap_diag TEXT... each line of TEXT as "# line"
#   ktap_check DESC CMD...        run CMD; pass iff it exits 0
#   ktap_if DESC REASON CMD...    the same, for a test on values at hand
#                     (CMD's output is not kept): REASON, made before
#                     CMD runs, is the failure's diagnostic
#   ktap_counts       print "N PASS FAIL" of this document
#   ktap_failures     print FAIL of this document
#   ktap_nest NAME FILE
#                     FILE, a finished document, as a subtest of this
#                     one, closed by a point NAME: ok iff FILE has a
#                     point and no failure.  Its leaves are counted
#                     (ktap_count) into this document's totals
#   ktap_run NAME CMD...
#                     run CMD (a function or program that writes a
#                     document of its own on stdout, with this library),
#                     then nest what it wrote as NAME, preceded by the
#                     diagnostic "# NAME: SUMMARY", SUMMARY being "P
#                     passed, F failed, S s", also left in
#                     $KTAP_RUN_SUMMARY.  A non-zero exit with no failed
#                     point is a failed point of its own
#   ktap_run_doc NAME FILE CMD..., ktap_run_nest NAME FILE
#                     ktap_run in two halves, so that CMD can run in the
#                     background: the first writes CMD's document to
#                     FILE, the second nests it here
#   ktap_close NAME PASS FAIL
#                     the point that closes subtest NAME (written by the
#                     caller, indented), whose leaves passed and failed
#                     as given
#   ktap_count FILE   print "PASS FAIL SKIP", the leaves of a document
#                     at every depth; a subtest that failed without a
#                     failed leaf counts as one failure
#   ktap_failed FILE  print each failure ktap_count counts, a line each:
#                     the names of its subtests, then its description;
#                     for a document with no point, a line that says so
#                     (ktap_nest fails it)

ktap_begin() {
	KTAP_COUNTER_FILE=$(mktemp "${TMPDIR:-/tmp}/ktap.XXXXXX")
	echo "0 0 0" > "$KTAP_COUNTER_FILE"
	export KTAP_COUNTER_FILE
}

ktap_counts() {
	[ -s "${KTAP_COUNTER_FILE:-}" ] || ktap_begin
	cat "$KTAP_COUNTER_FILE"
}

ktap_failures() {
	set -- $(ktap_counts)
	echo "$3"
}

ktap_diag() {
	[ -n "$*" ] || return 0
	printf '%s\n' "$*" | sed 's/^/# /'
}

# _ktap_add DN DPASS DFAIL: add to this document's counter; prints the
# new N.
_ktap_add() {
	set -- "$1" "$2" "$3" $(ktap_counts)
	echo "$(($4 + $1)) $(($5 + $2)) $(($6 + $3))" > "$KTAP_COUNTER_FILE"
	echo $(($4 + $1))
}

ktap_point() {
	local st="$1" desc="$2" n r

	shift 2
	[ -n "${KTAP_PREFIX:-}" ] && desc="$KTAP_PREFIX: $desc"
	case "$st" in
	ok)	n=$(_ktap_add 1 1 0)
		echo "ok $n $desc" ;;
	skip)	n=$(_ktap_add 1 0 0)
		echo "ok $n $desc # SKIP $*" ;;
	*)	for r in "$@"; do
			ktap_diag "$r"
		done
		n=$(_ktap_add 1 0 1)
		echo "not ok $n $desc" ;;
	esac
	return 0
}

ktap_ok() {
	ktap_point ok "$1"
}

ktap_fail() {
	ktap_point fail "$@"
}

ktap_skip() {
	ktap_point skip "$1" "$2"
}

ktap_check() {
	local d="$1" out rc=0

	shift
	out=$("$@" 2>&1) || rc=$?
	if [ $rc -eq 0 ]; then
		ktap_ok "$d"
	else
		ktap_fail "$d" "$(printf '%s\n' "$out" | tail -n 20)" \
			"exit status $rc: $*"
	fi
	return $rc
}

ktap_if() {
	local d="$1" r="$2"

	shift 2
	if "$@"; then
		ktap_ok "$d"
	else
		ktap_fail "$d" "$r"
	fi
}

ktap_count() {
	_ktap_leaves count "$1"
}

ktap_failed() {
	_ktap_leaves failed "$1"
}

# _ktap_leaves count|failed FILE: the walk of ktap_count and ktap_failed.
_ktap_leaves() {
	awk -v mode="$1" '
	function failed(why,    i, p) {
		f++
		for (i = 4; i <= ind; i += 4)
			p = p name[i] ": "
		sub(/^not ok [0-9]+ /, "", line)
		if (mode == "failed")
			print p line why
	}
	{
		sub(/\r$/, "")
		match($0, /^ */)
		ind = RLENGTH
		line = substr($0, ind + 1)
		if (line !~ /^(not )?ok / && line !~ /^# Subtest:/)
			next
		# Lines of a subtest mark every outer level as having one
		# open; the next point of that level closes it.
		for (i = 0; i < ind; i++)
			if (!open[i]) {
				open[i] = 1
				f0[i] = f
			}
		if (line ~ /^# Subtest:/) {
			name[ind] = substr(line, 12)
			next
		}
		if (open[ind]) {
			open[ind] = 0
			# A subtest that failed with no failed leaf (it ran
			# nothing, or its runner failed) is one failure.
			if (line ~ /^not ok / && f == f0[ind])
				failed(" (no failed point inside)")
			next
		}
		if (line ~ /^not ok /)
			failed("")
		else if (line ~ /#[ \t]*[Ss][Kk][Ii][Pp]/)
			s++
		else
			p++
	}
	END {
		if (mode == "count")
			print p + 0, f + 0, s + 0
		else if (p + f + s == 0)
			print "no point (it ended before its first)"
	}' "$2"
}

# ktap_close NAME PASS FAIL: the point that closes subtest NAME, whose
# leaves passed and failed as given; ok iff FAIL is 0.
ktap_close() {
	local name="$1" n

	n=$(_ktap_add 1 "$2" "$3")
	[ -n "${KTAP_PREFIX:-}" ] && name="$KTAP_PREFIX: $name"
	if [ "$3" -eq 0 ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
	fi
}

ktap_nest() {
	local pass fail skip

	echo "    # Subtest: $1"
	sed -e 's/\r$//' -e '/^$/d' -e 's/^/    /' "$2"
	set -- "$1" $(ktap_count "$2")
	pass=$2 fail=$3 skip=$4
	[ $((pass + fail + skip)) -gt 0 ] || fail=1
	ktap_close "$1" "$pass" "$fail"
}

# ktap_run_doc NAME FILE CMD...: ktap_run's first half: run CMD, its
# document into FILE, "P passed, F failed, S s" into FILE.summary.  It
# leaves this document alone, so it can run in the background while
# this document goes on; ktap_run_nest NAME FILE nests it later.
ktap_run_doc() {
	local name="$1" out="$2" outer t0 rc=0

	shift 2
	outer=${KTAP_COUNTER_FILE:-}
	t0=$(date +%s)
	ktap_begin
	"$@" > "$out" || rc=$?
	if [ $rc -ne 0 ] && [ "$(ktap_failures)" -eq 0 ]; then
		ktap_fail "$name: exit status 0" \
			"$name exited with status $rc" >> "$out"
	fi
	set -- $(ktap_counts)
	rm -f "$KTAP_COUNTER_FILE"
	KTAP_COUNTER_FILE=$outer
	echo "$2 passed, $3 failed, $(($(date +%s) - t0)) s" > "$out.summary"
}

# ktap_run_nest NAME FILE: ktap_run's second half (and removes FILE).
ktap_run_nest() {
	[ -n "${KTAP_COUNTER_FILE:-}" ] || ktap_begin
	KTAP_RUN_SUMMARY=$(cat "$2.summary" 2>/dev/null) ||
		KTAP_RUN_SUMMARY="no summary: it did not finish"
	echo "# $1: $KTAP_RUN_SUMMARY"
	ktap_nest "$1" "$2"
	rm -f "$2" "$2.summary"
}

ktap_run() {
	local name="$1" out

	shift
	out=$(mktemp "${TMPDIR:-/tmp}/ktap-run.XXXXXX")
	ktap_run_doc "$name" "$out" "$@"
	ktap_run_nest "$name" "$out"
}
