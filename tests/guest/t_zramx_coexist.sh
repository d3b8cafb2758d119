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

. "$(dirname "$0")/lib.sh"
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
	zx_setup "$(zx_lz4 $s)" "$((mem_kb * 3))K" $s &&
		mkswap /dev/$d >/dev/null 2>&1 && swapprio /dev/$d 5
	zsf_point $? "$d swapped on, priority 5" || exit 1
	zx_set 0 $s/mem_used_max
done
sed 's/^/# /' /proc/swaps
np=$(grep -c '^/dev/' /proc/swaps)
n5=$(awk 'NR > 1 && $5 == 5' /proc/swaps | wc -l)
[ "$np" = 2 ] && [ "$n5" = 2 ]
zsf_point $? "both in /proc/swaps with equal priority"

nfA=$(zx_io notify_free /sys/block/$A)
nfB=$(zx_io notify_free /sys/block/$B)
log=/tmp/zx_coexist.log
swapcheck -p 3 -f 1.5 -A "${ZX_SWAP_AVAIL_MB:-400}" > $log 2>&1
zsf_point $? "swapcheck through both: every page intact" "$(tail -n 30 $log)"
grep -v MISMATCH $log | sed 's/^/# /' | tail -n 6

for d in $A $B; do
	s=/sys/block/$d
	ktap_diag "$d mm_stat: $(cat $s/mm_stat); io_stat: $(cat $s/io_stat)"
	nf0=$nfB
	[ $d = $A ] && nf0=$nfA
	[ "$(zx_mm mem_used_max $s)" -gt 1048576 ] &&
		[ "$(zx_io notify_free $s)" -gt "$nf0" ]
	zsf_point $? "$d carried traffic (mem_used_max, notify_free)"
	zsf_expect "$d: no failed reads or writes" \
		"$(zx_io failed_reads $s)/$(zx_io failed_writes $s)" = 0/0
done

for d in $A $B; do
	s=/sys/block/$d
	swapoff /dev/$d && zx_field_is orig_data_size 4096 $s
	zsf_point $? "$d: swapoff leaves only the swap header" "$(cat $s/mm_stat)"
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
[ "$hA" -gt 0 ] && [ "$hA" = "$hB" ]
zsf_point $? "same data: $A and $B store the same $hA of $NG pages whole" \
	"huge_pages $hA and $hB"
[ "$mA" -gt 0 ] && [ $((mB * 100)) -ge $((mA * 99)) ] &&
	[ $((mB * 100)) -le $((mA * 101)) ]
zsf_point $? "same data: $A and $B use the same memory within 1% ($mA and $mB bytes)"
for d in $A $B; do
	ktap_check "$d: every graded page reads back" \
		blkio verify /dev/$d 0 $NG graded 11
	ktap_check "$d: reset after the graded pages" zx_fresh /sys/block/$d /dev/$d
done

if [ "$B" != zramx0 ]; then
	zx_set "${B#zram}" /sys/class/zram-control/hot_remove
fi
