#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# KTAP points for the lane scripts (tests/<lane>/lane.sh), whose output
# tests/check.sh takes into its own.  Set ZSF_LANE to the lane's name,
# then source this file (bash).
#
#   log MSG...                     progress on stderr, "LANE: MSG"
#   point ok|fail DESC [REASON...] one point, "ok N LANE: DESC"; each line
#                                  of each REASON becomes a diagnostic
#   take PREFIX FILE               the points of a KTAP stream (a guest
#                                  boot's) as points of this lane, PREFIX
#                                  before each description; diagnostics
#                                  pass through
#   lane_fetch FN NAME             fetch kernel NAME with FN
#                                  (zsf_kernel_fetch, zsf_arm64_fetch),
#                                  its stderr in $W/fetch.err; on failure a
#                                  failed point that says whether the
#                                  download or the module build against
#                                  the headers failed.  Returns FN's status
#   finish                         "# LANE lane: P passed, F failed, S s",
#                                  then exit: 0 only if something passed
#                                  and nothing failed
#
# N, PASS and FAIL count the points so far.

N=0
PASS=0
FAIL=0
T0=$(date +%s)

log() {
	echo "$ZSF_LANE: $*" >&2
}

point() {
	local st=$1 desc=$2 r

	N=$((N + 1))
	if [ "$st" = ok ]; then
		echo "ok $N $ZSF_LANE: $desc"
		PASS=$((PASS + 1))
		return 0
	fi
	shift 2
	for r in "$@"; do
		printf '%s\n' "$r" | sed 's/^/# /'
	done
	echo "not ok $N $ZSF_LANE: $desc"
	FAIL=$((FAIL + 1))
}

take() {
	local prefix=$1 line

	while IFS= read -r line; do
		case "$line" in
		"ok "*) point ok "$prefix${line#ok [0-9]* }" ;;
		"not ok "*) point fail "$prefix${line#not ok [0-9]* }" ;;
		"#"*) echo "$line" ;;
		esac
	done < "$2"
}

lane_fetch() {
	local rc=0

	"$1" "$2" 2> "$W/fetch.err" || rc=$?
	case $rc in
	0)	return 0 ;;
	2)	point fail "$2: build a module against the $KVER headers" \
			"$ZSF_KERNEL_ERROR" ;;
	*)	point fail "$2: fetch the kernel" "$(tail -n 10 "$W/fetch.err")" ;;
	esac
	return $rc
}

finish() {
	echo "# $ZSF_LANE lane: $PASS passed, $FAIL failed, $(($(date +%s) - T0)) s"
	log "$PASS passed, $FAIL failed, $(($(date +%s) - T0)) s"
	[ "$FAIL" -eq 0 ] && [ "$N" -gt 0 ]
	exit
}
