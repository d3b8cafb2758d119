# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Writeback to a backing device on /dev/${ZDRV}0, a brd ramdisk:
# backing_dev, writeback (every mode, page ranges), writeback_limit and
# bd_stat take what stock zram takes and refuse the rest with its errno;
# written-back pages read back, and their blocks are released by an
# overwrite, a discard and reset; a backing device whose writes fail (a
# loop device over a small tmpfs) leaves the pages in memory, intact;
# swap stays intact with idle writeback running beside the workload, to
# a backing device that fails now and then; compressed_writeback writes
# the objects as stored, and they read back; reset closes the backing
# device and leaves nothing in zsfast.

. "$(dirname "$0")/lib.sh"
. "$ZT_DIR/zramx_lib.sh"

zx_load
zx_swapoff_all
zx_has backing_dev "writeback" || exit 0

BD=$ZSYS/backing_dev
WB=$ZSYS/writeback

# bd_stat fields, in 4 KiB units.
bd_count() { awk '{ print $1 }' $ZSYS/bd_stat; }
bd_reads() { awk '{ print $2 }' $ZSYS/bd_stat; }
bd_writes() { awk '{ print $3 }' $ZSYS/bd_stat; }

# 4 KiB units of one page.
U=$((ZT_PAGE_SIZE / 4096))

# wb_layout BDEV: set the fresh device up on backing device BDEV, lz4,
# 8 MiB, and write zramx_lib.sh's layout of pages to it.
wb_layout() {
	zx_set "$1" $BD && zx_set lz4 $ZSYS/comp_algorithm &&
		zx_set 8M $ZSYS/disksize && zx_fill_layout
}

if ! modprobe brd rd_nr=1 rd_size=262144 || ! zx_wait_path /dev/ram0; then
	ktap_fail "brd ramdisk for a backing device"
	exit 1
fi

# --- backing_dev -----------------------------------------------------
zx_setup lz4 8M || ktap_diag "cannot set the device up"
zx_expect_errno "writeback: no backing device" "$ENODEV" huge $WB
zx_fresh
zsf_expect "backing_dev: none on a fresh device" "$(cat $BD)" = none
zx_expect_errno "backing_dev: no such file" "$ENOENT" /nonexistent $BD
zx_expect_errno "backing_dev: not a block device" "Block device required" \
	/dev/null $BD
zx_expect_errno "backing_dev: the device itself, empty" "$EINVAL" $ZDEV $BD
zsf_expect "backing_dev: still none" "$(cat $BD)" = none
zx_expect_write "backing_dev: /dev/ram0" /dev/ram0 $BD
zsf_expect "backing_dev: reads /dev/ram0" "$(cat $BD)" = /dev/ram0
zx_expect_errno "writeback: not initialized" "$EINVAL" huge $WB
zx_set lz4 $ZSYS/comp_algorithm
zx_set 8M $ZSYS/disksize && zx_fill_layout
zsf_point $? "lz4 device on /dev/ram0, written"
zx_expect_errno "backing_dev: busy once initialized" "$EBUSY" /dev/ram0 $BD
mkswap /dev/ram0 > /dev/null 2>&1
! swapon /dev/ram0 2>/dev/null || { swapoff /dev/ram0; false; }
zsf_point $? "swapon of ram0 refused: zramx holds it exclusively"

# --- writeback: bad input --------------------------------------------
zx_expect_errno "writeback: unknown mode" "$EINVAL" cold $WB
zx_expect_errno "writeback: unknown type" "$EINVAL" type=cold $WB
zx_expect_errno "writeback: page_index past the end" "$ERANGE" \
	page_index=99999 $WB
zx_expect_errno "writeback: page_indexes without a range" "$EINVAL" \
	page_indexes=5 $WB
zx_expect_errno "writeback: page_indexes backwards" "$ERANGE" \
	page_indexes=10-5 $WB
zsf_expect "nothing written back by bad input" "$(bd_count)" = 0
zx_expect_errno "writeback_batch_size: 0" "$EINVAL" 0 $ZSYS/writeback_batch_size
zx_expect_errno "writeback_limit: garbage" "$EINVAL" abc $ZSYS/writeback_limit

# --- writeback: modes, ranges, budget --------------------------------
c0=$(zx_mm compr_data_size)
o0=$(zx_mm orig_data_size)
zx_expect_write "writeback huge" huge $WB
zsf_expect "bd_count: the $ZX_RN incompressible pages" "$(bd_count)" = $((ZX_RN * U))
zsf_expect "bd_writes: as many" "$(bd_writes)" = $((ZX_RN * U))
zsf_expect "huge_pages: none left in memory" "$(zx_mm huge_pages)" = 0
zsf_expect "compr_data_size less their size" "$(zx_mm compr_data_size)" = \
	$((c0 - ZX_RN * ZT_PAGE_SIZE))
zsf_expect "orig_data_size unchanged" "$(zx_mm orig_data_size)" = "$o0"
ktap_check "every page reads back" zx_intact_layout
zsf_expect "bd_reads: the written-back pages were read from ram0 ($(bd_reads))" \
	"$(bd_reads)" -ge $((ZX_RN * U))

zx_expect_write "idle all" all $ZSYS/idle
blkio verify $ZDEV $ZX_T0 $((ZX_TN / 2)) text 7 > /dev/null
zx_expect_write "writeback idle" type=idle $WB
zsf_expect "bd_count: plus the idle half of the text pages" "$(bd_count)" = \
	$(((ZX_RN + ZX_TN / 2) * U))
zx_expect_write "writeback page_index=0" page_index=0 $WB
zx_expect_write "writeback page_indexes=1-3" page_indexes=1-3 $WB
zsf_expect "bd_count: plus pages 0 to 3" "$(bd_count)" = $(((ZX_RN + ZX_TN / 2 + 4) * U))
zx_expect_write "writeback page_indexes=640-703 (same-filled: none)" \
	page_indexes=640-703 $WB
zsf_expect "same-filled pages are never written back" "$(bd_count)" = \
	$(((ZX_RN + ZX_TN / 2 + 4) * U))

n0=$(bd_count)
zx_set 1 $ZSYS/writeback_limit_enable
zx_set 0 $ZSYS/writeback_limit
zx_expect_errno "writeback with the budget spent" "$EIO" page_indexes=4-10 $WB
zsf_expect "nothing written without a budget" "$(bd_count)" = "$n0"
zx_set $((2 * U)) $ZSYS/writeback_limit
zx_expect_errno "writeback past a budget of 2 pages" "$EIO" page_indexes=4-10 $WB
zsf_expect "2 pages written on that budget" "$(bd_count)" = $((n0 + 2 * U))
zsf_expect "writeback_limit: spent" "$(cat $ZSYS/writeback_limit)" = 0
zx_set 0 $ZSYS/writeback_limit_enable
ktap_check "every page reads back" zx_intact_layout

# --- release of written-back pages -----------------------------------
n0=$(bd_count)
blkio write $ZDEV 0 4 text 70 > /dev/null
zsf_expect "overwrite of 4 pages releases their blocks" "$(bd_count)" = \
	$((n0 - 4 * U))
blkio discard $ZDEV $ZX_R0 $ZX_RN > /dev/null
zsf_expect "discard releases the incompressible pages' blocks" \
	"$(bd_count)" = $((n0 - (4 + ZX_RN) * U))
ktap_check "the rest reads back" blkio verify $ZDEV 4 $((ZX_TN - 4)) text 7
ktap_check "no failed reads" test "$(zx_io failed_reads)" = 0
ktap_check "reset" zx_fresh
zsf_expect "reset closes the backing device" "$(cat $BD)" = none
ktap_check "ram0 is free again: rmmod brd" rmmod brd

# --- compressed_writeback --------------------------------------------
# On a new ramdisk, whose blocks read as zeros until written: with the
# objects written as stored, the blocks hold no more non-zero bytes than
# the pool held.
CW=$ZSYS/compressed_writeback
if zx_has compressed_writeback "compressed writeback"; then
	modprobe brd rd_nr=1 rd_size=65536 && zx_wait_path /dev/ram0
	zsf_point $? "a new brd ramdisk"
	zsf_expect "compressed_writeback: 0 by default" "$(cat $CW)" = 0
	zx_expect_errno "compressed_writeback: not a boolean" "$EINVAL" maybe $CW
	zx_expect_write "compressed_writeback: yes" yes $CW
	wb_layout /dev/ram0
	zsf_point $? "lz4 device on /dev/ram0, written"
	zx_expect_errno "compressed_writeback: busy once initialized" "$EBUSY" 0 $CW
	c0=$(zx_mm compr_data_size)
	n=$(($(zx_mm orig_data_size) / ZT_PAGE_SIZE - $(zx_mm same_pages)))
	zx_set all $ZSYS/idle
	zx_expect_write "writeback idle, compressed" idle $WB
	zsf_expect "bd_count: every page not same-filled ($n)" "$(bd_count)" = $((n * U))
	zsf_expect "compr_data_size: nothing left in memory" "$(zx_mm compr_data_size)" = 0
	nz=$(dd if=/dev/ram0 bs=$ZT_PAGE_SIZE count=$n 2>/dev/null | tr -d '\000' | wc -c)
	zsf_expect "ram0's blocks hold $nz non-zero bytes, the pool held $c0" "$nz" -le "$c0"
	ktap_check "every page reads back, decompressed" zx_intact_layout
	zsf_expect "bd_reads: they were read from ram0 ($(bd_reads))" "$(bd_reads)" -ge $((n * U))
	ktap_check "no failed reads" test "$(zx_io failed_reads)" = 0
	ktap_check "reset" zx_fresh
	zsf_expect "compressed_writeback: kept at reset" "$(cat $CW)" = 1
	zx_set 0 $CW
	ktap_check "rmmod brd" rmmod brd
fi

mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)

# --- a backing device whose writes fail ------------------------------
# A loop device over a file on a 1 MiB tmpfs: writes past 1 MiB fail.
mkdir -p /tmp/wbfail
if modprobe loop && mount -t tmpfs -o size=1M tmpfs /tmp/wbfail &&
	dd if=/dev/zero of=/tmp/wbfail/disk bs=1 count=0 seek=8388608 2>/dev/null &&
	zx_wait_path /dev/loop0 && losetup /dev/loop0 /tmp/wbfail/disk &&
	wb_layout /dev/loop0; then
	ktap_ok "device on a loop device over a 1 MiB tmpfs, written"
	zx_expect_errno "writeback of 2.5 MiB to 1 MiB fails" "" page_indexes=0-639 $WB
	n=$(bd_count)
	[ "$n" -gt 0 ] && [ "$n" -lt $((640 * U)) ] && [ "$(bd_writes)" = "$n" ]
	zsf_point $? "some pages written back, the rest kept ($n of $((640 * U)))" \
		"bd_stat $(cat $ZSYS/bd_stat)"
	ktap_check "every page reads back after the failed writes" zx_intact_layout
	ktap_check "reset" zx_fresh
else
	ktap_fail "device on a loop device over a 1 MiB tmpfs, written"
fi
losetup -d /dev/loop0 2>/dev/null
umount /tmp/wbfail 2>/dev/null

# --- swap with idle writeback beside it ------------------------------
# The backing device: a loop device of 64 MiB over a 4 MiB tmpfs.  A
# write to a block the tmpfs already holds succeeds, a write past what it
# can hold fails: writeback fails now and then, as the swap workload
# frees slots and zramx reuses their blocks.  Then again with
# compressed_writeback, where the device has it.
# swap_beside CW: the test with compressed_writeback CW (0 or 1).
swap_beside() {
	_c=
	[ "$1" = 1 ] && _c=" (compressed)"
	[ -e "$CW" ] && zx_set "$1" "$CW"
	mount -t tmpfs -o size=4M tmpfs /tmp/wbfail &&
		dd if=/dev/zero of=/tmp/wbfail/disk bs=1 count=0 seek=67108864 2>/dev/null &&
		losetup /dev/loop0 /tmp/wbfail/disk && zx_set /dev/loop0 $BD &&
		zx_set lz4 $ZSYS/comp_algorithm &&
		zx_set "$((mem_kb * 3))K" $ZSYS/disksize &&
		mkswap $ZDEV >/dev/null 2>&1 && swapon $ZDEV
	zsf_point $? "swap on a device that writes back$_c to a 4 MiB loop device"
	# Pages resting in swap, written back, then read back by their owner.
	zsf_hog_start /tmp/zx-wbhog 16
	zx_set all $ZSYS/idle
	zx_set idle $WB
	n=$(bd_count)
	r0=$(bd_reads)
	zsf_expect "pages resting in swap written back$_c ($n units; the rest did not fit)" "$n" -gt 0
	zsf_hog_end /tmp/zx-wbhog
	zsf_point $? "their owner read them back intact$_c"
	zsf_expect "swap read them from the loop device$_c ($(($(bd_reads) - r0)) units)" \
		"$(bd_reads)" -gt "$r0"

	# And swap traffic with idle writeback running beside it.
	zx_swapcheck_beside "writeback$_c" writeback idle
	ktap_diag "bd_stat: $(cat $ZSYS/bd_stat); writebacks: $ZX_RUNS, of which failed: $ZX_ATTR_ERRS"
	[ $ZX_RUNS -ge 1 ] && [ $ZX_IDLE_ERRS = 0 ]
	zsf_point $? "idle writeback$_c ran $ZX_RUNS times beside it, idle marking never failed" \
		"$ZX_IDLE_ERRS idle errors"
	ktap_check "no failed reads or writes$_c" \
		test "$(zx_io failed_reads)/$(zx_io failed_writes)" = 0/0
	ktap_check "swapoff$_c" swapoff $ZDEV
	ktap_check "reset$_c" zx_fresh
	ktap_check "the loop device released$_c: losetup -d" losetup -d /dev/loop0
	umount /tmp/wbfail 2>/dev/null
}

swap_beside 0
[ -e "$CW" ] && swap_beside 1
zx_expect_pool_empty
