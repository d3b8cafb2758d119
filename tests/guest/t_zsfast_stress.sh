# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# zsfast under concurrency: insmod zsfast_test.ko run=stress seconds=N
# runs a kthread bound to every online CPU (alloc, write, read back,
# rewrite, free, with data checks) plus a concurrent zsf_compact() every
# 100 ms, N seconds with a pool per thread and N seconds on one shared
# pool (tests/kmod/stress.c).  N is ZSFT_STRESS_SECONDS (default 15, so
# 30 s in all).
#
# Needs: /zsf/zsfast.ko, /zsf/zsfast_test.ko.  ZSFT_SEED=N repeats a run.

. /zsf/tests/lib.sh

SECONDS_PER_PHASE=${ZSFT_STRESS_SECONDS:-15}
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

loaded_here=
if ! grep -q '^zsfast ' /proc/modules; then
	ktap_check "insmod zsfast.ko" insmod /zsf/zsfast.ko || exit 1
	loaded_here=1
fi
pages0=$(zsf_pages)
ktap_diag "$(grep -c ^processor /proc/cpuinfo) CPUs online; $SECONDS_PER_PHASE s per phase"

t0=$(cut -d' ' -f1 /proc/uptime)
if ! ktap_check "insmod zsfast_test.ko run=stress seconds=$SECONDS_PER_PHASE" \
	insmod /zsf/zsfast_test.ko run=stress seconds="$SECONDS_PER_PHASE" \
	${ZSFT_SEED:+seed=$ZSFT_SEED}; then
	[ -n "$loaded_here" ] && rmmod zsfast
	exit 1
fi
t1=$(cut -d' ' -f1 /proc/uptime)
took=$(echo "$t0 $t1" | awk '{ printf "%d", $2 - $1 }')
ktap_diag "run=stress took $took s"
zsft_report stress
if [ "$took" -ge $((2 * SECONDS_PER_PHASE)) ]; then
	ktap_ok "stress ran for at least $((2 * SECONDS_PER_PHASE)) s"
else
	ktap_fail "stress ran for at least $((2 * SECONDS_PER_PHASE)) s" \
		"only $took s"
fi
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
