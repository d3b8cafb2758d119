# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Throw-away: how long zramx_gather_take() holds gather_lock with
# interrupts off over about 1024 pending batches (7 handles a batch).
ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
. "$ZT_DIR/zramx_lib.sh"
zx_load
zx_swapoff_all
PARAM=/sys/module/zramx/parameters
echo 1 > $PARAM/gather_after
echo 600000 > $PARAM/gather_timeout_ms
echo 2048 > $PARAM/gather_batches
asleep() {
	grep -q 'paged out' "$2" &&
		[ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/"$1"/status)" = S ] &&
		grep -q poll /proc/"$1"/wchan
}
for round in 1 2 3 4 5; do
for what in drop reset; do
	echo 600000 > $PARAM/gather_timeout_ms
	zx_swapon lz4 256M || { ktap_fail "swapon"; exit 1; }
	pids=
	for i in 0 1 2 3; do
		pollhold -s 8 -c $((i % 2)) > /tmp/ph.$i 2>&1 &
		pids="$pids $!"
		zsf_poll 1200 asleep $! /tmp/ph.$i || ktap_diag "holder $i not asleep"
	done
	g=$(zx_dstat gathers)
	n=$(dmesg | grep -c zramx-irqoff)
	case $what in
	drop) echo 2 > /proc/sys/vm/drop_caches ;;
	reset) swapoff $ZDEV; echo 1 > $ZSYS/reset ;;
	reap) echo 1 > $PARAM/gather_timeout_ms; sleep 3 ;;
	esac
	dmesg | grep zramx-irqoff | tail -n +$((n + 1)) | sed "s/^/# $round $what: /"
	ktap_ok "$round $what: started $g batches so far"
	kill $pids; wait $pids 2>/dev/null
	swapoff $ZDEV 2>/dev/null
	echo 1 > $ZSYS/reset
done
done
