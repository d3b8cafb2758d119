# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# System-wide compaction while zsfast objects are live: zsfast_test.ko
# run=syscompact keeps ZSFT_SC_MB (default 32) MiB of objects in a pool;
# this script drives the phases through /sys/kernel/debug/zsfast_test/ctl
# (fill, verify, free; see tests/kmod/syscompact.c) around
# "echo 1 > /proc/sys/vm/compact_memory", also while a verify runs.  How
# many pages zsfast migrated (free_stats "pages_migrated") and how many
# objects changed page is reported as a diagnostic, not a pass condition:
# compaction need not pick our pages.
#
# Needs: /zsf/zsfast.ko, /zsf/zsfast_test.ko.  ZSFT_SEED=N repeats a run.

. "$(dirname "$0")/lib.sh"

MB=${ZSFT_SC_MB:-32}
CTL=/sys/kernel/debug/zsfast_test/ctl
POOLDIR=/sys/kernel/debug/zsfast/zsf_syscompact
. "$ZT_DIR/zsft_lib.sh"

migrated() {
	sed -n 's/^pages_migrated: //p' "$POOLDIR/free_stats" 2>/dev/null
}

ctl() {
	ktap_check "syscompact: echo $1 > ctl" sh -c "echo $1 > $CTL"
}

compact() {
	ktap_check "syscompact: echo 1 > /proc/sys/vm/compact_memory ($1)" \
		sh -c 'echo 1 > /proc/sys/vm/compact_memory'
}

zsft_begin
t0=$(cut -d' ' -f1 /proc/uptime)

zsft_run run=syscompact mb="$MB"

if ctl fill; then
	ktap_diag "after fill: $(cat "$CTL"); $(grep MemFree /proc/meminfo)"
	m0=$(migrated)
	for i in 1 2 3; do
		compact $i
	done
	ctl verify
	# Compaction again while every object is being read back.
	sh -c "echo verify > $CTL" &
	v=$!
	compact "during a verify"
	wait "$v"
	zsf_point $? "syscompact: verify concurrent with compaction completed"
	compact 5
	ctl verify
	zsft_nr_zspages_follow "syscompact: after compaction, "
	m1=$(migrated)
	if [ -n "$m0" ] && [ -n "$m1" ]; then
		ktap_diag "zsfast migrated $((m1 - m0)) pages of the pool during system compaction"
	else
		ktap_diag "no pages_migrated counter in $POOLDIR/free_stats"
	fi
	ctl free
fi
t1=$(cut -d' ' -f1 /proc/uptime)
ktap_diag "run=syscompact took $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s"
zsft_report syscompact
ktap_check "rmmod zsfast_test" rmmod zsfast_test

zsft_pages_back
zsft_end
exit 0
