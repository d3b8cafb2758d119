# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# EXPERIMENT (not committed): memory held during swapoff, gathered vs in place.
ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
. "$ZT_DIR/zramx_lib.sh"
zx_load
zx_swapoff_all
PARAM=/sys/module/zramx/parameters
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
used_kb() { awk -v d="$ZDEV" '$1 == d { print $4 }' /proc/swaps; }
for r in 1 2 3; do
for gb in 128 0; do
	echo $gb > $PARAM/gather_batches
	zx_swapon lz4 512M || { ktap_fail "swapon"; exit 1; }
	rm -rf /tmp/mh; mkdir /tmp/mh
	memhog -w /tmp/mh -q 192 > /tmp/mh.log 2>&1 &
	mp=$!
	zsf_poll 600 test -e /tmp/mh/ready
	sleep 1
	p0=$(zsf_pages); u0=$(used_kb); g0=$(zx_dstat gathers); q0=$(zx_dstat gathered)
	rm -f /tmp/so.done
	t=$(now_ms)
	(swapoff $ZDEV; echo $? > /tmp/so.done) &
	mx=0; n=0; mxp=0
	while [ ! -e /tmp/so.done ]; do
		p=$(zsf_pages); u=$(used_kb)
		[ -n "$u" ] || u=0
		ex=$((p - p0 * u / u0))
		[ $ex -gt $mx ] && mx=$ex
		n=$((n + 1))
		sleep 0.02
	done
	ms=$(($(now_ms) - t))
	touch /tmp/mh/go
	wait $mp; rc=$?
	echo "# r=$r gather_batches=$gb swapoff_ms=$ms pages0=$p0 used0_kb=$u0 max_excess_pages=$mx samples=$n gathers=$(($(zx_dstat gathers) - g0)) gathered=$(($(zx_dstat gathered) - q0)) memhog_rc=$rc"
	[ $rc = 0 ] && ktap_ok "r=$r gb=$gb data intact" || ktap_fail "r=$r gb=$gb data intact"
	zx_set 1 $ZSYS/reset
done
done
