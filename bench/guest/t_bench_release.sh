# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# W1: the release-path benchmark, run by bench/run.sh (make
# bench), not by make check.  In one boot, four swap backends with the
# same disksize and lz4:
#   stock    stock zram on the kernel's zsmalloc   (/dev/zram0)
#   ours     zramx on zsfast, gathering released objects for their
#            tasks (gather_batches=128, its default, wherever zramx can
#            gather; the config line gives the default)
#   inplace  the same, gather_batches=0: the notifier frees every object
#            itself, under the swap lock, as stock zram does
#   floor    swap on a brd ramdisk                 (/dev/ram0)
# stock/inplace is what the allocator gives alone, inplace/ours what
# freeing in the releasing task's batches adds.
# For every P, rounds are interleaved: stock ours inplace floor stock ...
# ...  Each round is `release -B`: P processes fill MB each
# (mixed content), MADV_PAGEOUT, read a sample back and compare, page out
# again, barrier, munmap at once.  zram devices are reset before every
# round, so every round starts from an empty pool.
#
# Kernel command line knobs (bench/run.sh sets them):
#   bench.mb=256  bench.rounds=5  bench.procs=1,2,4  bench.disk=MiB
#   bench.lat=1   also time a 1 ms SCHED_FIFO timer during each release
#                 (release -L: the wake-up latency's p99 and maximum)
#
# Results go to stdout as "# W1 ..." diagnostic lines that bench/run.sh
# parses.  Test points fail only on wrong results: a data mismatch, a
# round that did not run, a leak (pages not back at idle after the swap
# slot caches are drained; mm_stat not back at the swap header only).

. "$(dirname "$0")/bench_lib.sh"

MB=$(zsf_cmdline bench.mb 256)
ROUNDS=$(zsf_cmdline bench.rounds 5)
PROCS=$(zsf_cmdline bench.procs 1,2,4 | tr ',' ' ')
DISK=$(zsf_cmdline bench.disk "")
LAT=
[ "$(zsf_cmdline bench.lat 0)" = 1 ] && LAT=-L
# Same disksize for every backend: the largest round plus 25%.
DISK=${DISK:-$(($(bench_max $PROCS) * MB * 5 / 4 + 16))}

zx_swapoff_all
modprobe lz4_compress 2>/dev/null
modprobe lz4 2>/dev/null
# Stock zram with two devices: zram0 the backend, zram1 a scratch swap
# whose swapon+swapoff drains the swap core's per-CPU slot caches.
load() {
	modprobe zram num_devices=2 && zx_wait_path /dev/zram0 &&
		zx_wait_path /dev/zram1 && zx_load_drv zramx &&
		modprobe brd rd_nr=1 rd_size=$((DISK * 1024)) &&
		zx_wait_path /dev/ram0
}
ktap_check "W1: load zram, zramx, brd" load || exit 1
ktap_check "W1: scratch swap /dev/zram1" eval \
	'zx_setup lz4 4M /sys/block/zram1 && mkswap /dev/zram1' || exit 1

drain() {
	swapon /dev/zram1 && swapoff /dev/zram1
}

GATHER=/sys/module/zramx/parameters/gather_batches
GATHER_DEFAULT=$(cat $GATHER)
GATHER_ON=0
zx_can_gather && GATHER_ON=128

ktap_diag "W1 config kernel=$(uname -r)${LAT:+ latency=1ms-fifo} mb=$MB rounds=$ROUNDS procs=$PROCS disk_mib=$DISK mem_kb=$(sed -n 's/MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) cpus=$(grep -c ^processor /proc/cpuinfo) gather=$GATHER_ON gather_default=$GATHER_DEFAULT"

# setup BACKEND: a fresh device, swapped on.  Sets DEV, SYS.
setup() {
	bench_dev "$1"
	_g=$GATHER_ON
	[ "$1" = inplace ] && _g=0
	echo "$_g" > $GATHER || return 1
	if [ -n "$SYS" ]; then
		zx_setup lz4 ${DISK}M "$SYS" || return 1
		[ "$(zx_algo_selected "$SYS")" = lz4 ] || return 1
	fi
	mkswap "$DEV" >/dev/null 2>&1 && swapon "$DEV"
}

# The swap space in use on DEV, in KiB (/proc/swaps).
swap_used() {
	awk -v d="$1" '$1 == d { print $4 }' /proc/swaps
}

# free_stats of the zsfast pool of zramx0, on one line.
free_stats() {
	for _f in "$ZSF_DEBUG"/*/free_stats; do
		[ -f "$_f" ] || continue
		tr '\n' ' ' < "$_f" | sed 's/: /=/g'
		return
	done
}

failures=0
bad() {
	ktap_fail "$1" "$2"
	failures=$((failures + 1))
}

# round R P BACKEND
round() {
	_r=$1 _p=$2 _b=$3
	_id="W1 r=$_r P=$_p be=$_b"
	if ! setup "$_b"; then
		bad "$_id: setup" "cannot set up $_b"
		return
	fi
	_zidle=
	if [ -n "$SYS" ]; then
		_idle_orig=$(zx_mm orig_data_size "$SYS")
		_idle_compr=$(zx_mm compr_data_size "$SYS")
		_idle_mem=$(zx_mm mem_used_total "$SYS")
	fi
	if [ "$_b" = ours ] || [ "$_b" = inplace ]; then
		_zidle=$(zsf_pages)
		_batches0=$(zx_dstat gathers "$SYS")
		_gathered0=$(zx_dstat gathered "$SYS")
	fi
	_used0=$(swap_used "$DEV")
	# shellcheck disable=SC2086
	if ! release -B -s "$MB" -P "$_p" $WATCH $LAT > /tmp/w1.out 2>&1; then
		sed 's/^/# /' /tmp/w1.out | tail -n 20
		bad "$_id: release -B (data check, pageout, munmap)"
		swapoff "$DEV"
		return
	fi
	sed -n "s/^relbench: /# $_id /p" /tmp/w1.out
	if [ -n "$_zidle" ]; then
		ktap_diag "$_id free_stats $(free_stats)"
		# The batches started and the objects their tasks freed.
		ktap_diag "$_id gather batches=$(($(zx_dstat gathers "$SYS") - _batches0)) objects=$(($(zx_dstat gathered "$SYS") - _gathered0))"
	fi
	# Everything freed reaches the device once the slot caches drain.
	drain || ktap_diag "$_id: cannot drain the swap slot caches"
	_leak=
	if [ -n "$SYS" ]; then
		_max=$(zx_mm mem_used_max "$SYS")
		[ "$_max" -gt $((_p * MB * 1024 * 1024 / 8)) ] ||
			_leak="$_leak mem_used_max=$_max(backend did not run?)"
		zsf_poll 50 zx_field_is orig_data_size "$_idle_orig" "$SYS" ||
			_leak="$_leak orig_data_size=$(zx_mm orig_data_size "$SYS")"
		zx_field_is compr_data_size "$_idle_compr" "$SYS" ||
			_leak="$_leak compr_data_size=$(zx_mm compr_data_size "$SYS")"
		[ "$(zx_mm mem_used_total "$SYS")" -le "$_idle_mem" ] ||
			_leak="$_leak mem_used_total=$(zx_mm mem_used_total "$SYS")/$_idle_mem"
	fi
	if [ -n "$_zidle" ]; then
		zsf_poll 50 eval '[ "$(zsf_pages)" = "$_zidle" ]' ||
			_leak="$_leak zsfast_pages=$(zsf_pages)/$_zidle"
	fi
	_u=$(swap_used "$DEV")
	[ "$_u" = "$_used0" ] || _leak="$_leak swap_used_kb=$_u/$_used0"
	if [ -n "$_leak" ]; then
		[ -n "$SYS" ] && zx_diag_mm "$SYS"
		bad "$_id: back to idle" "$_leak"
	fi
	swapoff "$DEV" || bad "$_id: swapoff"
}

t0=$(bench_uptime)
for p in $PROCS; do
	for r in $(seq "$ROUNDS"); do
		for b in stock ours inplace floor; do
			round $r "$p" $b
		done
	done
	ktap_diag "W1 P=$p done at uptime $(bench_uptime)"
done
[ $failures = 0 ] && ktap_ok "W1: every round ran, data checked, nothing leaked"
echo "$GATHER_DEFAULT" > $GATHER
for s in /sys/block/zram0 /sys/block/zramx0 /sys/block/zram1; do
	zx_set 1 $s/reset
done
ktap_diag "W1 took $(bench_uptime) - $t0 s of guest uptime"
