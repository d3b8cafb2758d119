# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Runs last: swapoff everything, reset every ${ZDRV} device, check that
# zsfast holds no pages, rmmod zramx and zsfast (or zram), and that no
# cache of ours is left and the log shows no leak or I/O failure.

ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load

if zx_swapoff_all; then
	ktap_ok "swapoff of every swap device"
else
	ktap_fail "swapoff of every swap device"
fi
ok=1
for s in /sys/block/${ZDRV}[0-9]*; do
	[ -d "$s" ] || continue
	zx_set 1 $s/reset || ok=0
	[ "$(cat $s/initstate)" = 0 ] || ok=0
	zx_mm_empty $s || ok=0
done
if [ $ok = 1 ]; then
	ktap_ok "every $ZDRV device reset and empty"
else
	ktap_fail "every $ZDRV device reset and empty"
fi

if zx_is_zramx; then
	p=$(zsf_pages)
	if [ "$p" = 0 ]; then
		ktap_ok "zsfast pages: 0 before rmmod"
	else
		ktap_fail "zsfast pages: 0 before rmmod" "pages: '$p'"
		sed 's/^/# /' $ZSF_DEBUG/stats 2>/dev/null | head -n 20
	fi
	for m in zramx zsfast; do
		if rmmod $m && zsf_poll 30 test ! -d /sys/module/$m; then
			ktap_ok "rmmod $m"
		else
			ktap_fail "rmmod $m"
		fi
	done
	if [ ! -e $ZSF_DEBUG ]; then
		ktap_ok "zsfast debugfs directory gone"
	else
		ktap_fail "zsfast debugfs directory gone"
	fi
	if [ -r /proc/slabinfo ]; then
		left=$(grep -iE '^(zsfast|zramx|zsf)' /proc/slabinfo)
		if [ -z "$left" ]; then
			ktap_ok "no zsfast/zramx slab cache left"
		else
			ktap_fail "no zsfast/zramx slab cache left" "$left"
		fi
	else
		ktap_skip "no zsfast/zramx slab cache left" "no /proc/slabinfo"
	fi
	bad=$(dmesg | grep -E 'zsfast.*(still allocated|unaccounted)|zramx: .*(failed|cannot)')
	if [ -z "$bad" ]; then
		ktap_ok "kernel log: no zsfast leak report, no zramx failure"
	else
		echo "$bad" | head -n 10 | sed 's/^/# /'
		ktap_fail "kernel log: no zsfast leak report, no zramx failure"
	fi
else
	ktap_skip "zsfast pages: 0 before rmmod" "not zsfast"
	if rmmod zram && zsf_poll 30 test ! -d /sys/module/zram; then
		ktap_ok "rmmod zram"
	else
		ktap_fail "rmmod zram"
	fi
fi
