# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Sourced by the bench/guest/t_bench_*.sh scripts (busybox sh) as
# '. "$(dirname "$0")/bench_lib.sh"': tests/guest's lib.sh and
# zramx_lib.sh, for zramx, and
#   bench_uptime              the guest's uptime in seconds
#   bench_max N...            the largest N
#   bench_load                load stock zram (one device) and zramx
#   bench_dev BE              DEV and SYS (none: brd) of backend BE:
#                             stock (zram0), zramx or ours or inplace
#                             (zramx0), floor (brd's ram0); and WATCH,
#                             release's option to watch its page count

. "$(dirname "$0")/lib.sh"
export ZDRV=zramx
. "$ZT_DIR/zramx_lib.sh"

bench_uptime() {
	cut -d' ' -f1 /proc/uptime
}

bench_max() {
	echo "$@" | tr ' ' '\n' | sort -n | tail -n 1
}

bench_load() {
	modprobe zram num_devices=1 && zx_wait_path /dev/zram0 &&
		zx_load_drv zramx
}

bench_dev() {
	# shellcheck disable=SC2034 # for the caller
	case $1 in
	stock) DEV=/dev/zram0 SYS=/sys/block/zram0 WATCH="-M $SYS/mm_stat" ;;
	zramx|ours|inplace) DEV=/dev/zramx0 SYS=/sys/block/zramx0 WATCH="-Z $ZSF_DEBUG/stats" ;;
	floor) DEV=/dev/ram0 SYS='' WATCH='' ;;
	esac
}
