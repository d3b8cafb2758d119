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

. /zsf/tests/lib.sh

MB=${ZSFT_SC_MB:-32}
CTL=/sys/kernel/debug/zsfast_test/ctl
POOLDIR=/sys/kernel/debug/zsfast/zsf_syscompact
ZSFT_RESULTS=/sys/kernel/debug/zsfast_test/results
ZSF_STATS=/sys/kernel/debug/zsfast/stats

# Turn the module's result lines into KTAP points; fail if the run did
# not finish (no "done" line).
zsft_report() {
	_done=
	while IFS= read -r _l; do
		case "$_l" in
		"ok "*) ktap_ok "${_l#ok }" ;;
		"not ok "*) ktap_fail "${_l#not ok }" ;;
		"# "*) ktap_diag "${_l#\# }" ;;
		"done "*) _done=${_l#done } ;;
		esac
	done < "$ZSFT_RESULTS"
	if [ -n "$_done" ]; then
		ktap_ok "$1 run completed ($_done)"
	else
		ktap_fail "$1 run completed" "no done line in $ZSFT_RESULTS"
	fi
}

zsf_pages() {
	sed -n 's/^pages: //p' "$ZSF_STATS"
}

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

loaded_here=
if ! grep -q '^zsfast ' /proc/modules; then
	ktap_check "insmod zsfast.ko" insmod /zsf/zsfast.ko || exit 1
	loaded_here=1
fi
pages0=$(zsf_pages)
t0=$(cut -d' ' -f1 /proc/uptime)

if ! ktap_check "insmod zsfast_test.ko run=syscompact mb=$MB" \
	insmod /zsf/zsfast_test.ko run=syscompact mb="$MB" \
	${ZSFT_SEED:+seed=$ZSFT_SEED}; then
	[ -n "$loaded_here" ] && rmmod zsfast
	exit 1
fi

if ctl fill; then
	ktap_diag "after fill: $(cat "$CTL"); $(grep MemFree /proc/meminfo)"
	m0=$(migrated)
	compact 1
	compact 2
	compact 3
	ctl verify
	# Compaction again while every object is being read back.
	sh -c "echo verify > $CTL" &
	v=$!
	compact "during a verify"
	if wait "$v"; then
		ktap_ok "syscompact: verify concurrent with compaction completed"
	else
		ktap_fail "syscompact: verify concurrent with compaction completed"
	fi
	compact 5
	ctl verify
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

pages1=$(zsf_pages)
if [ -n "$pages0" ] && [ "$pages0" = "$pages1" ]; then
	ktap_ok "zsfast/stats pages back to $pages0"
else
	ktap_fail "zsfast/stats pages back to its value before the run" \
		"pages: '$pages0' before, '$pages1' after"
fi
if [ -n "$loaded_here" ]; then
	ktap_check "rmmod zsfast" rmmod zsfast
fi
exit 0
