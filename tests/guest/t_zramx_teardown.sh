# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Runs last: swapoff everything, reset every ${ZDRV} device, check that
# zsfast holds no pages, rmmod zramx and zsfast (or zram), and that no
# cache of ours is left and the log shows no leak or I/O failure.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load

zx_swapoff_all
zsf_point $? "swapoff of every swap device"
ok=1
for s in /sys/block/${ZDRV}[0-9]*; do
	[ -d "$s" ] || continue
	zx_set 1 $s/reset || ok=0
	[ "$(cat $s/initstate)" = 0 ] || ok=0
	zx_mm_empty $s || ok=0
done
[ $ok = 1 ]
zsf_point $? "every $ZDRV device reset and empty"

if zx_is_zramx; then
	[ "$(zsf_pages)" = 0 ]
	zsf_point $? "zsfast pages: 0 before rmmod" \
		"$(head -n 20 $ZSF_DEBUG/stats 2>/dev/null)"
	mods="zramx zsfast"
else
	ktap_skip "zsfast pages: 0 before rmmod" "not zsfast"
	mods=zram
fi
for m in $mods; do
	rmmod $m && zsf_poll 30 test ! -d /sys/module/$m
	zsf_point $? "rmmod $m"
done
if zx_is_zramx; then
	[ ! -e $ZSF_DEBUG ]
	zsf_point $? "zsfast debugfs directory gone"
	if [ -r /proc/slabinfo ]; then
		zsf_expect "no zsfast/zramx slab cache left" \
			"$(grep -iE '^(zsfast|zramx|zsf)' /proc/slabinfo)" = ""
	else
		ktap_skip "no zsfast/zramx slab cache left" "no /proc/slabinfo"
	fi
	bad=$(dmesg | grep -E 'zsfast.*(still allocated|unaccounted)|zramx: .*(failed|cannot)')
	zsf_expect "kernel log: no zsfast leak report, no zramx failure" \
		"$(echo "$bad" | head -n 10)" = ""
fi
