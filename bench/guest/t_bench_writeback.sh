# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Writeback and recompression, stock zram against zramx; run by
# bench/run.sh (make bench), not by make check.
#
# WB: rounds (bench.wb_rounds, default 3), each stock zram then zramx: a
# fresh lz4 device with a brd ramdisk (/dev/ram0) as its backing device,
# bench.wb_mb MiB (default 64) of mixed pages written with O_DIRECT
# (zt_pattern.h: text-like, incompressible, zero, same-filled, half and
# sparse pages), all marked idle, then timed (the guest's uptime, 10 ms):
#   wb  echo idle > writeback: every page but the same-filled ones goes
#       to ram0
#   rd  every page read back and compared (O_DIRECT): from ram0
# and one line
#   # WB be=stock|zramx round=R bytes=B wb_ms=T rd_ms=T
# (B: bd_stat's bd_writes in bytes), which bench/report.sh turns into
# MiB/s.
#
# RECOMP: the same pages on an lz4 device with zstd for recompression,
# all marked idle, then `recompress type=idle` timed:
#   # RECOMP be=B round=R before=B after=B ms=T
# (mm_stat's compr_data_size before and after).  Stock zram only where
# its kernel has recompression (Debian builds zram without it).
#
# Points fail only on wrong results: a page read back differs, or
# mm_stat is not empty after reset.

. "$(dirname "$0")/bench_lib.sh"

MB=$(zsf_cmdline bench.wb_mb 64)
ROUNDS=$(zsf_cmdline bench.wb_rounds 3)
NP=$((MB * 256))		# 4 KiB blocks, as blkio counts them
DISK=$((MB + 16))M

zx_swapoff_all
modprobe lz4_compress 2>/dev/null
modprobe zstd 2>/dev/null
ktap_check "WB: load zram, zramx and brd" eval 'bench_load &&
	modprobe brd rd_nr=1 rd_size=$(((MB + 16) * 1024)) &&
	zx_wait_path /dev/ram0' || exit 1
ktap_diag "WB config kernel=$(uname -r) mb=$MB rounds=$ROUNDS page=$ZT_PAGE_SIZE"

# ms since boot
now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# fresh ID SEED [RECOMP]: the device set up (with a backing device, or
# for recompression), written and all marked idle; else ID's point fails
fresh() {
	_v=/dev/ram0 _f=backing_dev
	[ -n "$3" ] && _v=algo=zstd _f=recomp_algorithm
	if zx_fresh "$SYS" "$DEV" && zx_set lz4 "$SYS"/comp_algorithm &&
		zx_set "$_v" "$SYS/$_f" && zx_set "$DISK" "$SYS"/disksize &&
		blkio write "$DEV" 0 $NP mixed "$2" > /dev/null; then
		zx_set all "$SYS"/idle
		return 0
	fi
	ktap_fail "$1: set up and write $MB MiB"
	return 1
}

# check ID SEED: every page reads back; the device is then reset
check() {
	ktap_check "$1: every page reads back" \
		blkio verify "$DEV" 0 $NP mixed "$2"
	zx_fresh "$SYS" "$DEV"
	zx_mm_empty "$SYS" || ktap_fail "$1: mm_stat empty after reset" \
		"$(cat "$SYS"/mm_stat)"
}

wb() {
	_id="WB $1 round $2"
	_seed=$((1000 + $2))
	bench_dev "$1"
	fresh "$_id" $_seed || return
	_t0=$(now_ms)
	zx_set idle "$SYS"/writeback || ktap_fail "$_id: writeback"
	_t1=$(now_ms)
	blkio verify "$DEV" 0 $NP mixed $_seed > /dev/null
	_t2=$(now_ms)
	_w=$(awk '{ print $3 * 4096 }' "$SYS"/bd_stat)
	ktap_diag "WB be=$1 round=$2 bytes=$_w wb_ms=$((_t1 - _t0)) rd_ms=$((_t2 - _t1))"
	check "$_id" $_seed
}

recomp() {
	_id="RECOMP $1 round $2"
	_seed=$((2000 + $2))
	bench_dev "$1"
	if [ ! -e "$SYS"/recomp_algorithm ]; then
		[ "$2" = 1 ] && ktap_skip "$_id" "$1 has no recompression on $(uname -r)"
		return
	fi
	fresh "$_id" $_seed recomp || return
	_b=$(zx_mm compr_data_size "$SYS")
	_t0=$(now_ms)
	zx_set type=idle "$SYS"/recompress || ktap_fail "$_id: recompress"
	_t1=$(now_ms)
	ktap_diag "RECOMP be=$1 round=$2 before=$_b after=$(zx_mm compr_data_size "$SYS") ms=$((_t1 - _t0))"
	check "$_id" $_seed
}

for r in $(seq "$ROUNDS"); do
	for be in stock zramx; do
		wb $be $r
		recomp $be $r
	done
done
zx_set 1 /sys/block/zram0/reset
zx_set 1 /sys/block/zramx0/reset
rmmod brd
