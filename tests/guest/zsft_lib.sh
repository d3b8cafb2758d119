# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Shared by the t_zsfast_*.sh scripts that drive zsfast_test.ko
# (tests/kmod): nesting its results document, zsfast's page
# total, and loading zsfast for the run.  Source after lib.sh.

ZSFT_RESULTS=/sys/kernel/debug/zsfast_test/results

# zsft_report NAME: the module's results, a KTAP document of its own
# (tests/kmod/zsft.h), nested as the subtest "zsfast_test run=NAME"; then
# a point for whether the run finished (its closing "done" line).
zsft_report() {
	ktap_nest "zsfast_test run=$1" "$ZSFT_RESULTS"
	_done=$(sed -n "s/^# zsfast_test run=$1 done: //p" "$ZSFT_RESULTS")
	[ -n "$_done" ]
	zsf_point $? "$1 run completed ($_done)" "no done line in $ZSFT_RESULTS"
}

# zsft_run ARGS...: insmod zsfast_test.ko ARGS (and seed=$ZSFT_SEED when
# set), one point; on failure unload zsfast if zsft_begin loaded it, and
# exit 1.
zsft_run() {
	# shellcheck disable=SC2086
	ktap_check "insmod zsfast_test.ko $*" \
		insmod /zsf/zsfast_test.ko "$@" ${ZSFT_SEED:+seed=$ZSFT_SEED} &&
		return 0
	[ -n "$loaded_here" ] && rmmod zsfast
	exit 1
}

# zsft_begin: load zsfast unless it is loaded already (then the script
# leaves it loaded), and record its page total in $pages0 and the
# kernel's nr_zspages in $nrzs0.
zsft_begin() {
	loaded_here=
	if ! grep -q '^zsfast ' /proc/modules; then
		ktap_check "insmod zsfast.ko" insmod /zsf/zsfast.ko || exit 1
		loaded_here=1
	fi
	pages0=$(zsf_pages)
	nrzs0=$(zsf_nr_zspages)
}

# zsft_nr_zspages_follow [PREFIX]: /proc/vmstat's nr_zspages moved by as
# many pages as zsfast's page total since zsft_begin.
zsft_nr_zspages_follow() {
	_want=$(($(zsf_pages) - pages0))
	zsf_expect "${1}nr_zspages follows zsfast's pages ($_want)" \
		$(($(zsf_nr_zspages) - nrzs0)) = "$_want"
}

# zsft_pages_back [PREFIX]: zsfast's page total is back to $pages0, and
# nr_zspages with it.
zsft_pages_back() {
	pages1=$(zsf_pages)
	[ -n "$pages0" ] && [ "$pages0" = "$pages1" ]
	zsf_point $? "${1}zsfast/stats pages back to $pages0" \
		"pages: '$pages0' before, '$pages1' after"
	zsft_nr_zspages_follow "$1"
}

# zsft_end: unload zsfast if zsft_begin loaded it.
zsft_end() {
	if [ -n "$loaded_here" ]; then
		ktap_check "rmmod zsfast" rmmod zsfast
	fi
}
