#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What every lane script (tests/<lane>/lane.sh) shares.  Set ZSF_LANE to
# the lane's name, then source this file (bash).  The lane's document is
# written with tests/lib/ktap.sh (sourced here), its descriptions
# prefixed with "LANE: "; under tests/check.sh it is nested in make
# check's, alone it is a document of its own.
#
#   log MSG...                     progress on stderr, "LANE: MSG"
#   lane_fetch FN NAME             fetch kernel NAME with FN
#                                  (zsf_kernel_fetch, zsf_arm64_fetch),
#                                  its stderr in $W/fetch.err; on failure a
#                                  failed point that says whether the
#                                  download or the module build against
#                                  the headers failed.  Returns FN's status
#   finish                         exit: 0 only if something passed and
#                                  nothing failed ("P passed, F failed,
#                                  S s" on stderr)

# shellcheck source=tests/lib/ktap.sh
source "$(dirname "${BASH_SOURCE[0]}")/ktap.sh"
KTAP_PREFIX=$ZSF_LANE
[ -n "${KTAP_COUNTER_FILE:-}" ] || ktap_begin
T0=$(date +%s)
echo "KTAP version 1"

log() {
	echo "$ZSF_LANE: $*" >&2
}

lane_fetch() {
	local rc=0

	"$1" "$2" 2> "$W/fetch.err" || rc=$?
	case $rc in
	0)	return 0 ;;
	2)	ktap_fail "$2: build a module against the $KVER headers" \
			"$ZSF_KERNEL_ERROR" ;;
	*)	ktap_fail "$2: fetch the kernel" "$(tail -n 10 "$W/fetch.err")" ;;
	esac
	return $rc
}

finish() {
	local n pass fail

	read -r n pass fail <<< "$(ktap_counts)"
	log "$pass passed, $fail failed, $(($(date +%s) - T0)) s"
	[ "$fail" -eq 0 ] && [ "$n" -gt 0 ]
	exit
}
