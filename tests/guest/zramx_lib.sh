# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Helpers shared by the t_zramx_*.sh guest scripts (busybox sh).  Source
# it after lib.sh.
#
# Every script runs against one driver, $ZDRV: "zramx" (default) or the
# stock "zram", picked with zdrv= on the kernel command line (the rig's
# GUEST_APPEND="zdrv=zram") or ZDRV in the environment.  The scripts
# only use the zram ABI, so that proving them on stock zram proves the
# scripts, and running them on zramx proves zramx is compatible.
#
#   ZDEV  /dev/${ZDRV}0       ZSYS  /sys/block/${ZDRV}0
#   ZCTL  /sys/class/${ZDRV}-control

ZT_BIN=${ZT_BIN:-/zsf/bin}
ZT_KO=${ZT_KO:-/zsf}
PATH=$ZT_BIN:$PATH

ZDRV=${ZDRV:-$(zsf_cmdline zdrv zramx)}
ZDEV=/dev/${ZDRV}0
ZSYS=/sys/block/${ZDRV}0
ZCTL=/sys/class/${ZDRV}-control
ZSF_DEBUG=/sys/kernel/debug/zsfast

# Names of the fields of mm_stat, io_stat and debug_stat's line 2, in
# order (Documentation/zramx.rst).
ZX_MM_FIELDS="orig_data_size compr_data_size mem_used_total mem_limit \
mem_used_max same_pages pages_compacted huge_pages huge_pages_since"
ZX_IO_FIELDS="failed_reads failed_writes invalid_io notify_free"
ZX_DSTAT_FIELDS="writestall miss_free gathers gathered gather_taken nomem_writes"

zx_is_zramx() {
	[ "$ZDRV" = zramx ]
}

# Does zramx gather released objects for their tasks?  Not where the
# kernel offers no task_work_add (a ZSF_NO_TASK_WORK=1 build stands for
# Android's GKI): gather_batches is 0 there and refuses anything else.
zx_can_gather() {
	_p=/sys/module/zramx/parameters/gather_batches
	zx_is_zramx && [ "$(cat $_p)" != 0 ]
}

# Wait up to $2 tenths of a second for path $1 to exist.
zx_wait_path() {
	zsf_poll "${2:-50}" test -e "$1"
}

# Load one driver (default $ZDRV) with one device, unless it is loaded.
zx_load_drv() {
	_d=${1:-$ZDRV}
	if [ ! -d /sys/module/$_d ]; then
		if [ "$_d" = zramx ]; then
			# zramx links against the kernel's library
			# compressors; some are modules (or built in, where
			# modprobe may fail harmlessly).
			for _m in lz4_compress lz4hc_compress zstd_compress; do
				modprobe $_m 2>/dev/null
			done
			if [ ! -d /sys/module/zsfast ]; then
				insmod $ZT_KO/zsfast.ko || return 1
			fi
			insmod $ZT_KO/zramx.ko num_devices=1 || return 1
		else
			modprobe $_d num_devices=1 || return 1
		fi
	fi
	zx_wait_path /sys/block/${_d}0 && zx_wait_path /dev/${_d}0
}

# Load $ZDRV; on failure print a failed point and exit (nothing else can
# run).
zx_load() {
	if zx_load_drv "$ZDRV"; then
		return 0
	fi
	ktap_fail "load $ZDRV" "cannot load $ZDRV"
	exit 1
}

# The algorithms device dir $1 (default $ZSYS) lists, brackets stripped.
zx_algos() {
	tr -d '[]' < "${1:-$ZSYS}/comp_algorithm"
}

# The selected algorithm (the bracketed one).
zx_algo_selected() {
	tr ' ' '\n' < "${1:-$ZSYS}/comp_algorithm" | sed -n 's/^\[\(.*\)\]$/\1/p'
}

# _zx_field NAME FIELDS VALUES...: the value of field NAME, of the names
# FIELDS.
_zx_field() {
	_name=$1
	_fields=$2
	shift 2
	for _f in $_fields; do
		if [ "$_f" = "$_name" ]; then
			echo "$1"
			return 0
		fi
		[ $# -gt 0 ] && shift
	done
	echo "no field $_name in: $_fields" >&2
	return 1
}

# zx_mm, zx_io, zx_dstat NAME [SYSDIR]: field NAME of mm_stat, io_stat,
# debug_stat's line 2 of device dir SYSDIR (default $ZSYS).
# shellcheck disable=SC2046 # the values split into words on purpose
zx_mm() {
	_zx_field "$1" "$ZX_MM_FIELDS" $(cat "${2:-$ZSYS}/mm_stat")
}
# shellcheck disable=SC2046
zx_io() {
	_zx_field "$1" "$ZX_IO_FIELDS" $(cat "${2:-$ZSYS}/io_stat")
}
# (Stock zram has only writestall and miss_free: the others read 0.)
# shellcheck disable=SC2046
zx_dstat() {
	_zx_field "$1" "$ZX_DSTAT_FIELDS" $(sed -n 2p "${2:-$ZSYS}/debug_stat") 0 0 0 0 0 0
}

# zx_lz4 [SYSDIR]: "lz4" if the device offers it, else nothing (which
# zx_setup takes as the device's default).
zx_lz4() {
	case " $(zx_algos "$1") " in
	*" lz4 "*) echo lz4 ;;
	esac
}

# Write $1 to attribute file $2; returns the write's status.
zx_set() {
	echo "$1" 2>/dev/null > "$2"
}

# strerror texts for zx_expect_errno.
# shellcheck disable=SC2034 # for the scripts that source this file
EINVAL="Invalid argument"
EBUSY="Device or resource busy"
EOPNOTSUPP="not supported"
ENOENT="No such file"
ENODEV="No such device"
ERANGE="out of range"
EIO="Input/output error"

# zx_has ATTR DESC: the device has attribute ATTR; if not, a skip point
# DESC says so (stock zram, or a kernel whose zram lacks it).
zx_has() {
	[ -e "$ZSYS/$1" ] && return 0
	ktap_skip "$2" "$ZDRV has no $1 on $(uname -r)"
	return 1
}

# zx_expect_errno DESC ERROR VALUE FILE: a point, ok iff writing VALUE to
# FILE fails with ERROR (its strerror text, or part of it, as the shell
# reports it: "Invalid argument", "Device or resource busy"...).
zx_expect_errno() {
	_e=$( (echo "$3" > "$4") 2>&1)
	case $? in
	0) ktap_fail "$1" "echo '$3' > ${4##*/} succeeded" ;;
	*) case $_e in
		*"$2"*) ktap_ok "$1" ;;
		*) ktap_fail "$1" "echo '$3' > ${4##*/}: $_e, want $2" ;;
		esac ;;
	esac
}

# zx_expect_write DESC VALUE FILE: a point, ok iff writing VALUE to FILE
# succeeds.
zx_expect_write() {
	_e=$( (echo "$2" > "$3") 2>&1)
	zsf_point $? "$1" "echo '$2' > ${3##*/}: $_e"
}

# The post-processing tests' layout of an 8 MiB device, in 4 KiB blocks
# (blkio's unit): text-like pages (every compressor shrinks them, zstd
# more than lz4), incompressible ones (stored whole: huge), same-filled
# ones.  zx_fill_layout writes them to $ZDEV; zx_intact_layout checks
# that they read back.
ZX_T0=0 ZX_TN=512 ZX_R0=512 ZX_RN=128 ZX_S0=640 ZX_SN=64
zx_fill_layout() {
	blkio write $ZDEV $ZX_T0 $ZX_TN text 7 > /dev/null &&
		blkio write $ZDEV $ZX_R0 $ZX_RN random 8 > /dev/null &&
		blkio write $ZDEV $ZX_S0 $ZX_SN same 9 > /dev/null
}
zx_intact_layout() {
	blkio verify $ZDEV $ZX_T0 $ZX_TN text 7 && blkio verify $ZDEV $ZX_R0 $ZX_RN random 8 &&
		blkio verify $ZDEV $ZX_S0 $ZX_SN same 9
}

# zx_swapcheck_beside WHAT ATTR VALUE: swapcheck (2 processes, 16 MiB
# each, 2 rounds) through the swapped-on $ZDEV while, every 0.2 s, all
# slots are marked idle and VALUE is written to attribute ATTR (writeback,
# recompress); a point says whether every page came back intact.  Sets
# ZX_RUNS (how many times), ZX_IDLE_ERRS and ZX_ATTR_ERRS (failed writes
# to idle and to ATTR).
zx_swapcheck_beside() {
	_log=/tmp/zx_beside.log
	swapcheck -p 2 -r 2 -m 16 > $_log 2>&1 &
	_pid=$!
	ZX_RUNS=0 ZX_IDLE_ERRS=0 ZX_ATTR_ERRS=0
	while kill -0 $_pid 2>/dev/null; do
		zx_set all "$ZSYS/idle" || ZX_IDLE_ERRS=$((ZX_IDLE_ERRS + 1))
		zx_set "$3" "$ZSYS/$2" || ZX_ATTR_ERRS=$((ZX_ATTR_ERRS + 1))
		ZX_RUNS=$((ZX_RUNS + 1))
		sleep 0.2
	done
	wait $_pid
	zsf_point $? "swapcheck with $1 beside it: every page intact" \
		"$(tail -n 30 $_log)"
	grep -v MISMATCH $_log | sed 's/^/# /' | tail -n 4
}

# zx_expect_pool_empty: a point, ok iff zsfast holds no page (after the
# last device's reset); skipped on stock zram.
zx_expect_pool_empty() {
	if zx_is_zramx; then
		zsf_expect "nothing left in zsfast after reset" "$(zsf_pages)" = 0
	else
		ktap_skip "nothing left in zsfast" "$ZDRV is not zramx"
	fi
}

# Bring device dir $1 (default $ZSYS, dev $2 default $ZDEV) back to the
# uninitialized state: swapoff, reset.
zx_fresh() {
	_s=${1:-$ZSYS}
	_dv=${2:-$ZDEV}
	swapoff "$_dv" 2>/dev/null
	zx_set 1 "$_s/reset"
}

# zx_setup ALGO SIZE [SYSDIR]: fresh device with ALGO and disksize SIZE.
zx_setup() {
	_s=${3:-$ZSYS}
	zx_fresh "$_s" "/dev/${_s##*/}" || return 1
	if [ -n "$1" ]; then
		zx_set "$1" "$_s/comp_algorithm" || return 1
	fi
	zx_set "$2" "$_s/disksize"
}

# zx_swapon ALGO SIZE: zx_setup, mkswap and swapon $ZDEV.
zx_swapon() {
	zx_setup "$1" "$2" && mkswap $ZDEV > /dev/null 2>&1 && swapon $ZDEV
}

# swapoff every active swap device.
zx_swapoff_all() {
	for _d in $(sed -n '2,$s/ .*//p' /proc/swaps); do
		swapoff "$_d" || return 1
	done
}

# zx_field_is NAME VALUE [SYSDIR]: mm_stat field NAME equals VALUE
zx_field_is() {
	[ "$(zx_mm "$1" "$3")" = "$2" ]
}

# Check mm_stat orig_data_size and compr_data_size are 0.
zx_mm_empty() {
	zx_field_is orig_data_size 0 "$1" && zx_field_is compr_data_size 0 "$1"
}

# Print mm_stat as a KTAP diagnostic.
zx_diag_mm() {
	ktap_diag "mm_stat ${1:-$ZSYS}: $(cat "${1:-$ZSYS}/mm_stat")"
}

# Diagnostics for data left on a device: debug_stat (miss_free), swap
# usage, and every process that still has pages in swap.
zx_diag_leftover() {
	ktap_diag "debug_stat: $(tr '\n' ' ' < "${1:-$ZSYS}/debug_stat")"
	ktap_diag "io_stat: $(cat "${1:-$ZSYS}/io_stat")"
	sed 's/^/# swaps: /' /proc/swaps
	for _s in /proc/[0-9]*/status; do
		_k=$(sed -n 's/^VmSwap: *\([0-9]*\) kB/\1/p' "$_s" 2>/dev/null)
		[ -n "$_k" ] && [ "$_k" != 0 ] &&
			ktap_diag "VmSwap ${_k} kB: $(sed -n 's/^Name:\t*//p' "$_s") (${_s%/status})"
	done
}

# The swap core frees swap slots in batches: a freed entry can wait in a
# per-CPU cache (mm/swap_slots.c, up to 64 per CPU) before the device
# gets its swap_slot_free_notify.  swapoff of any swap device drains
# every CPU's cache, so swapon + swapoff of a small scratch device (a brd
# ramdisk, or a hot-added device of $ZDRV) makes the device see every
# free that has happened.
zx_drain_swap_slots() {
	if [ ! -d /sys/module/brd ] &&
		modprobe brd rd_nr=1 rd_size=1024 2>/dev/null &&
		zx_wait_path /dev/ram0 20; then
		mkswap /dev/ram0 >/dev/null 2>&1 && swapon /dev/ram0 &&
			swapoff /dev/ram0
		_rc=$?
		rmmod brd 2>/dev/null
		return $_rc
	fi
	_id=$(cat $ZCTL/hot_add) || return 1
	_s=/sys/block/${ZDRV}$_id
	zx_wait_path /dev/${ZDRV}$_id
	zx_set 1M $_s/disksize && mkswap /dev/${ZDRV}$_id >/dev/null 2>&1 &&
		swapon /dev/${ZDRV}$_id && swapoff /dev/${ZDRV}$_id
	_rc=$?
	zx_set 1 $_s/reset
	zx_set "$_id" $ZCTL/hot_remove
	return $_rc
}
