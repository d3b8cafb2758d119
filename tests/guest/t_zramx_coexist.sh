# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Stock zram and zramx loaded and in use at once: /dev/zram0 and
# /dev/zramx0 swapped on with equal priority, swapcheck pushes traffic
# through both, both show it in mm_stat, and all data comes back intact.
# Then the same pages, compressing to every size class in turn, written
# to both: zsfast's classes and zspage lengths are the kernel's
# zsmalloc's, so both store the same pages whole and spend the same
# memory.
#
# With zdrv=zram (proving the script on stock zram alone) the second
# device is a hot-added /dev/zramN instead of /dev/zramx0.

ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_swapoff_all
if zx_load_drv zram && zx_load_drv zramx 2>/dev/null; then
	ktap_ok "zram and zramx loaded together"
	A=zram0
	B=zramx0
elif ! zx_is_zramx && zx_load_drv zram; then
	ktap_diag "zdrv=zram: stock zram alone, second device hot-added"
	n=$(cat /sys/class/zram-control/hot_add)
	A=zram0
	B=zram$n
	zx_wait_path /dev/$B
	ktap_ok "zram0 and $B"
else
	ktap_fail "zram and zramx loaded together"
	exit 1
fi

mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
for d in $A $B; do
	s=/sys/block/$d
	algo=
	for x in $(tr -d '[]' < $s/comp_algorithm); do
		[ "$x" = lz4 ] && algo=lz4
	done
	if zx_setup "$algo" "$((mem_kb * 3))K" $s &&
		mkswap /dev/$d >/dev/null 2>&1 && swapprio /dev/$d 5; then
		ktap_ok "$d swapped on, priority 5"
	else
		ktap_fail "$d swapped on, priority 5"
		exit 1
	fi
	zx_set 0 $s/mem_used_max
done
sed 's/^/# /' /proc/swaps
np=$(grep -c '^/dev/' /proc/swaps)
n5=$(awk 'NR > 1 && $5 == 5' /proc/swaps | wc -l)
if [ "$np" = 2 ] && [ "$n5" = 2 ]; then
	ktap_ok "both in /proc/swaps with equal priority"
else
	ktap_fail "both in /proc/swaps with equal priority"
fi

nfA=$(zx_io notify_free /sys/block/$A)
nfB=$(zx_io notify_free /sys/block/$B)
log=/tmp/zx_coexist.log
if swapcheck -p 3 -f 1.5 -A "${ZX_SWAP_AVAIL_MB:-400}" > $log 2>&1; then
	ktap_ok "swapcheck through both: every page intact"
else
	sed 's/^/# /' $log | tail -n 30
	ktap_fail "swapcheck through both: every page intact"
fi
grep -v MISMATCH $log | sed 's/^/# /' | tail -n 6

for d in $A $B; do
	s=/sys/block/$d
	ktap_diag "$d mm_stat: $(cat $s/mm_stat); io_stat: $(cat $s/io_stat)"
	nf0=$nfB
	[ $d = $A ] && nf0=$nfA
	if [ "$(zx_mm mem_used_max $s)" -gt 1048576 ] &&
		[ "$(zx_io notify_free $s)" -gt "$nf0" ]; then
		ktap_ok "$d carried traffic (mem_used_max, notify_free)"
	else
		ktap_fail "$d carried traffic (mem_used_max, notify_free)"
	fi
	if [ "$(zx_io failed_reads $s)" = 0 ] &&
		[ "$(zx_io failed_writes $s)" = 0 ]; then
		ktap_ok "$d: no failed reads or writes"
	else
		ktap_fail "$d: no failed reads or writes"
	fi
done

for d in $A $B; do
	s=/sys/block/$d
	if swapoff /dev/$d && zx_field_is orig_data_size 4096 $s; then
		ktap_ok "$d: swapoff leaves only the swap header"
	else
		ktap_fail "$d: swapoff leaves only the swap header" \
			"$(cat $s/mm_stat)"
	fi
	ktap_check "$d: reset" zx_fresh $s /dev/$d
done

# The same data on both, lz4 (both offer it on every kernel here):
# four rounds of graded's 513 sizes.
NG=2052
for d in $A $B; do
	if ! zx_setup lz4 64M /sys/block/$d ||
		! blkio write /dev/$d 0 $NG graded 11 > /tmp/zx_graded.log 2>&1; then
		sed 's/^/# /' /tmp/zx_graded.log
		ktap_fail "same data: $d set up and written"
	fi
done
hA=$(zx_mm huge_pages /sys/block/$A)
hB=$(zx_mm huge_pages /sys/block/$B)
mA=$(zx_mm mem_used_total /sys/block/$A)
mB=$(zx_mm mem_used_total /sys/block/$B)
if [ "$hA" -gt 0 ] && [ "$hA" = "$hB" ]; then
	ktap_ok "same data: $A and $B store the same $hA of $NG pages whole"
else
	ktap_fail "same data: $A and $B store the same pages whole" \
		"huge_pages $hA and $hB"
fi
if [ "$mA" -gt 0 ] && [ $((mB * 100)) -ge $((mA * 99)) ] &&
	[ $((mB * 100)) -le $((mA * 101)) ]; then
	ktap_ok "same data: $A and $B use the same memory within 1% ($mA and $mB bytes)"
else
	ktap_fail "same data: $A and $B use the same memory within 1%" \
		"mem_used_total $mA and $mB"
fi
for d in $A $B; do
	ktap_check "$d: every graded page reads back" \
		blkio verify /dev/$d 0 $NG graded 11
	ktap_check "$d: reset after the graded pages" zx_fresh /sys/block/$d /dev/$d
done

if [ "$B" != zramx0 ]; then
	zx_set "${B#zram}" /sys/class/zram-control/hot_remove
fi
