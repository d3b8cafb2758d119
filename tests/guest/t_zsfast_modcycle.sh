# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# insmod/rmmod of zsfast, 3 times, while the stock zram (and, on 6.1, the
# stock zsmalloc.ko) is loaded and holds swapped-out data: nothing may
# clash, and the swapped data must come back intact.
#
# Needs: /zsf/zsfast.ko, /zsf/bin/memhog, stock modules zram (+ deps).

. "$(dirname "$0")/lib.sh"

MIB=${MODCYCLE_MIB:-64}
W=/tmp/modcycle

cleanup() {
	touch "$W/go"
	[ -n "$ZSF_HOG" ] && wait "$ZSF_HOG" 2>/dev/null
	swapoff /dev/zram0 2>/dev/null
	[ -e /sys/block/zram0/reset ] && echo 1 > /sys/block/zram0/reset
	rmmod zsfast 2>/dev/null
	rmmod zram 2>/dev/null
}

bail() {
	cleanup
	exit 1
}

ZSF_HOG=
ktap_check "modprobe zram" modprobe zram num_devices=1 || bail
ktap_check "zram0 disksize 256M" \
	sh -c 'echo 256M > /sys/block/zram0/disksize' || bail
ktap_check "mkswap /dev/zram0" mkswap /dev/zram0 || bail
ktap_check "swapon /dev/zram0" swapon /dev/zram0 || bail

if ! zsf_hog_start "$W" "$MIB"; then
	sed 's/^/# /' "$W.log"
	ktap_fail "memhog paged out ${MIB} MiB" "memhog did not get ready"
	bail
fi
sed 's/^/# /' "$W.log"

# The data must really sit in zram (not be same-filled or still resident).
# shellcheck disable=SC2046 # split the fields on purpose
set -- $(cat /sys/block/zram0/mm_stat)
orig=$1
used=$3
ktap_diag "zram0 mm_stat: orig_data_size=$orig mem_used_total=$used"
[ "$orig" -ge $((MIB * 1024 * 1024 / 2)) ] && [ "$used" -gt 0 ]
zsf_point $? "stock zram holds at least half of memhog's data" \
	"orig_data_size $orig, mem_used_total $used"

if grep -qw zsmalloc /proc/modules; then
	ktap_diag "stock zsmalloc is a module here"
else
	ktap_diag "stock zsmalloc is built in here"
fi

for n in 1 2 3; do
	ktap_check "cycle $n: insmod zsfast.ko" insmod /zsf/zsfast.ko || bail
	ktap_check "cycle $n: /sys/module/zsfast exists" test -d /sys/module/zsfast
	ktap_check "cycle $n: stock zram still in use" \
		grep -q '^/dev/zram0 ' /proc/swaps
	ktap_check "cycle $n: rmmod zsfast" rmmod zsfast || bail
	ktap_check "cycle $n: zsfast gone after rmmod" test ! -d /sys/module/zsfast
done

zsf_hog_end "$W"
zsf_point $? "memhog data intact after the module cycles"
ZSF_HOG=

ktap_check "swapoff /dev/zram0" swapoff /dev/zram0
ktap_check "reset zram0" sh -c 'echo 1 > /sys/block/zram0/reset'
ktap_check "rmmod zram" rmmod zram
exit 0
