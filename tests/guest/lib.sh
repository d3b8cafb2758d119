# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# KTAP helpers for in-guest test scripts (busybox sh).  Source this file.
#
# Every check is one KTAP test point on stdout.  The host collects the
# points of a boot into one KTAP block per lane and renumbers them, so
# the numbers printed here only need to be unique inside one boot.
#
#   ktap_ok   "desc"              a passed point
#   ktap_fail "desc" ["why"]      a failed point, with an optional reason
#   ktap_skip "desc" "why"        a skipped point (counts as neither)
#   ktap_check "desc" cmd args... run cmd; pass iff it exits 0
#   ktap_expect_fail "desc" cmd...run cmd; pass iff it exits non-zero
#   ktap_diag "text"              a diagnostic line ("# text")
#
# Descriptions are prefixed with $KTAP_PREFIX (set it to the script's
# name) so that a failure says where it came from.
#
#   zsf_pages                     the pages all zsfast pools hold (the
#                                 "pages:" line of zsfast's debugfs
#                                 stats); nothing if zsfast is not loaded
#   zsf_splats                    kernel log lines that are reports of
#                                 the kernel's checkers (the rig's
#                                 splat.re); nothing when the log is clean
#   zsf_cmdline NAME DEFAULT      the value of NAME= on the kernel
#                                 command line, or DEFAULT

KTAP_COUNTER_FILE=${KTAP_COUNTER_FILE:-/tmp/.ktap_counter}

_ktap_next() {
	_n=$(cat "$KTAP_COUNTER_FILE" 2>/dev/null || echo 0)
	_n=$((_n + 1))
	echo "$_n" > "$KTAP_COUNTER_FILE"
	echo "$_n"
}

_ktap_desc() {
	if [ -n "$KTAP_PREFIX" ]; then
		echo "$KTAP_PREFIX: $1"
	else
		echo "$1"
	fi
}

ktap_diag() {
	echo "# $*"
}

ktap_ok() {
	echo "ok $(_ktap_next) $(_ktap_desc "$1")"
}

ktap_fail() {
	[ -n "$2" ] && ktap_diag "$2"
	echo "not ok $(_ktap_next) $(_ktap_desc "$1")"
}

ktap_skip() {
	echo "ok $(_ktap_next) $(_ktap_desc "$1") # SKIP $2"
}

ktap_check() {
	_d=$1
	shift
	_out=$("$@" 2>&1)
	_rc=$?
	if [ $_rc -eq 0 ]; then
		ktap_ok "$_d"
	else
		echo "$_out" | tail -n 20 | sed 's/^/# /'
		ktap_fail "$_d" "exit status $_rc: $*"
	fi
	return $_rc
}

ktap_expect_fail() {
	_d=$1
	shift
	_out=$("$@" 2>&1)
	_rc=$?
	if [ $_rc -ne 0 ]; then
		ktap_ok "$_d"
		return 0
	fi
	echo "$_out" | tail -n 20 | sed 's/^/# /'
	ktap_fail "$_d" "expected failure, got success: $*"
	return 1
}

zsf_pages() {
	sed -n 's/^pages:[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
		/sys/kernel/debug/zsfast/stats 2>/dev/null
}

zsf_cmdline() {
	for _w in $(cat /proc/cmdline); do
		case "$_w" in
		"$1="*) echo "${_w#"$1"=}"; return 0 ;;
		esac
	done
	echo "$2"
}

zsf_splats() {
	dmesg | grep -E -f "${ZT_DIR:-/zsf/tests}/splat.re" | head -n 10
}
