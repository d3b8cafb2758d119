# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Helpers for the in-guest test scripts (busybox sh).  Source this file
# as '. "$(dirname "$0")/lib.sh"': it sets ZT_DIR (unless set) to that
# directory and sources the KTAP library (tests/lib/ktap.sh, copied next
# to it), whose ktap_ok, ktap_fail, ktap_skip, ktap_check and ktap_diag
# every check uses.  /init gives each script its own document
# (KTAP_COUNTER_FILE) and KTAP_PREFIX, the script's name, so that a
# failure says where it came from.
#
#   zsf_pages                     the pages all zsfast pools hold (the
#                                 "pages:" line of zsfast's debugfs
#                                 stats); nothing if zsfast is not loaded
#   zsf_nr_zspages                the kernel's count of zsmalloc pages,
#                                 nr_zspages in /proc/vmstat, where
#                                 zsfast counts its pages too; folded
#                                 from every CPU first, so it is exact
#   zsf_splats                    kernel log lines that are reports of
#                                 the kernel's checkers (the rig's
#                                 splat.re); nothing when the log is clean
#   zsf_cmdline NAME DEFAULT      the value of the last NAME= on the kernel
#                                 command line, or DEFAULT
#   ZT_PAGE_SIZE                  the kernel's page size in bytes (4096,
#                                 16384 on arm64-16k), from smaps
#   zsf_poll TENTHS CMD...        retry CMD until it succeeds, for up to
#                                 TENTHS tenths of a second; 0 iff it did
#   zsf_hog_start DIR MB [TENTHS] memhog -w DIR MB in the background (pid
#                                 in ZSF_HOG, output in DIR.log): it
#                                 pages MB MiB out and holds them.  0 once
#                                 DIR/ready exists; 1 if memhog died or
#                                 TENTHS tenths of a second (1200) passed
#   zsf_hog_end DIR               let it read every word back; 0 iff it
#                                 found them intact, else its output as
#                                 diagnostics
#   zsf_point RC DESC [REASON...] a point DESC: ok iff RC (the status of
#                                 the check just run, "$?") is 0, else
#                                 failed with REASON; returns RC
#   zsf_expect DESC GOT OP WANT   a point DESC: ok iff [ GOT OP WANT ]
#                                 (OP: = != -eq -ne -lt -le -gt -ge)

ZT_DIR=${ZT_DIR:-$(dirname "$0")}
. "$ZT_DIR/ktap.sh"

ZT_PAGE_SIZE=$(sed -n 's/^KernelPageSize: *\([0-9]*\) kB/\1/p' /proc/self/smaps |
	head -n 1)
ZT_PAGE_SIZE=$((${ZT_PAGE_SIZE:-4} * 1024))

zsf_pages() {
	sed -n 's/^pages:[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
		/sys/kernel/debug/zsfast/stats 2>/dev/null
}

zsf_nr_zspages() {
	echo 1 > /proc/sys/vm/stat_refresh
	sed -n 's/^nr_zspages //p' /proc/vmstat
}

zsf_cmdline() {
	_v=$2
	for _w in $(cat /proc/cmdline); do
		case "$_w" in
		"$1="*) _v=${_w#"$1"=} ;;
		esac
	done
	echo "$_v"
}

zsf_splats() {
	dmesg | grep -E -f "$ZT_DIR/splat.re" | head -n 10
}

zsf_point() {
	_rc=$1
	shift
	if [ "$_rc" = 0 ]; then
		ktap_ok "$1"
	else
		ktap_fail "$@"
	fi
	return "$_rc"
}

zsf_expect() {
	test "$2" "$3" "$4" 2>/dev/null
	zsf_point $? "$1" "got '$2', want $3 '$4'"
}

zsf_poll() {
	_n=$1
	shift
	while ! "$@"; do
		_n=$((_n - 1))
		[ $_n -le 0 ] && return 1
		sleep 0.1
	done
	return 0
}

# _zsf_hog_waited DIR: memhog is ready, or no longer there to wait for
_zsf_hog_waited() {
	[ -e "$1/ready" ] || ! kill -0 "$ZSF_HOG" 2>/dev/null
}

zsf_hog_start() {
	rm -rf "$1" "$1.log"
	mkdir -p "$1"
	memhog -w "$1" "$2" > "$1.log" 2>&1 &
	ZSF_HOG=$!
	zsf_poll "${3:-1200}" _zsf_hog_waited "$1" && [ -e "$1/ready" ]
}

zsf_hog_end() {
	touch "$1/go"
	wait "$ZSF_HOG" && grep -q '^memhog: OK' "$1.log" && return 0
	sed 's/^/# /' "$1.log"
	return 1
}
