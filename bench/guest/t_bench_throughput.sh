# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# W3: throughput, stock zram (the kernel's zsmalloc) against zramx
# (zsfast), with the same algorithm and disksize; run by bench/run.sh
# (make bench), not by make check.  tests/prog/thrbench.c times the
# rows, with P processes or jobs (bench.thr_procs, default 1,2):
#   swapout      P processes MADV_PAGEOUT their anonymous memory
#   swapin-seq   they fault it back in, page by page in address order
#   swapin-rand  pushed out again, faulted in in a random order
#   mixed        P processes fault theirs in while P others munmap theirs,
#                1 MiB at a time as the readers advance: the readers'
#                rate, where zsfast's object read taking the class lock
#                that frees take would show (zsmalloc's read takes only
#                its zspage's lock, read side)
#   randread     4 KiB O_DIRECT reads at random offsets of the raw device,
#   randwrite    writes, and 70% reads with 30% writes, P jobs for
#   randrw70     bench.thr_dio_ms each, over the first bench.thr_mb MiB
# The raw-device rows are thrbench's, not fio's: Debian's fio links
# some 60 shared libraries (ceph, gluster, ICU...), and the guest is a
# busybox initramfs of static programs.
#
# bench.thr_inplace=1 adds a third backend to every round, "inplace":
# zramx with gather_batches=0, whose notifier frees every object itself
# as stock zram does, so that zramx/inplace is what gathering costs or
# gives on each row, in the same boot.
#
# The memory (bench.thr_mb MiB per process, default 64) and the raw
# device's blocks hold zt_pattern.h's mixed pages (incompressible,
# text-like, zero, same-filled, half and sparse).  For each algorithm
# (bench.thr_algos, default lz4,zstd) and group of rows (swap at each P,
# mixed at each P, the raw rows), bench.thr_rounds rounds (default 3),
# the backends in turn, each on a fresh device: reset,
# algorithm, disksize, then mkswap and swapon, or the raw device filled.
# Round r starts at the r-th backend (stock zramx inplace, zramx inplace
# stock, ...), so that no backend always runs first, on a colder guest,
# or always right after another one's munmaps and resets.  Every
# timed row prints one line
#   # THR be=stock|zramx|inplace algo=A round=R row=ROW p=P bytes=B ns=T mbps=X
# (X = B / T in MiB/s; mixed adds release_ns), which bench/report.sh
# turns into medians and the per-round zramx/stock ratios.
#
# Points fail only on wrong results: a page read back differs (thrbench
# checks every swapped-in page and the tag of every block it reads; the
# raw device is read back whole after its rows), too little went out to
# swap, a row did not run, or the device is not empty after reset.

. "$(dirname "$0")/bench_lib.sh"

ALGOS=$(zsf_cmdline bench.thr_algos lz4,zstd | tr ',' ' ')
PROCS=$(zsf_cmdline bench.thr_procs 1,2 | tr ',' ' ')
MB=$(zsf_cmdline bench.thr_mb 64)
ROUNDS=$(zsf_cmdline bench.thr_rounds 3)
DIO_MS=$(zsf_cmdline bench.thr_dio_ms 1500)
BACKENDS="stock zramx"
[ "$(zsf_cmdline bench.thr_inplace 0)" = 1 ] && BACKENDS="$BACKENDS inplace"
GATHER=/sys/module/zramx/parameters/gather_batches
SEED=3
NP=$((MB * 256))		# the raw rows' span, in blkio's 4 KiB blocks
# Same disksize for every round: mixed at the largest P (2 x P x MB
# swapped out) plus 25%.
DISK=$((2 * $(bench_max $PROCS) * MB * 5 / 4 + 16))M
OUT=/tmp/w3.out

ktap_diag "THR config kernel=$(uname -r) mb=$MB rounds=$ROUNDS algos=$ALGOS procs=$PROCS dio_ms=$DIO_MS backends=$(echo $BACKENDS | tr ' ' ,) disksize=$DISK page=$ZT_PAGE_SIZE mem_kb=$(sed -n 's/MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) cpus=$(grep -c ^processor /proc/cpuinfo)"

zx_swapoff_all
for m in lz4 lz4_compress zstd; do
	modprobe $m 2>/dev/null
done
ktap_check "W3: load zram and zramx" bench_load || exit 1
GATHER_DEFAULT=$(cat $GATHER)

# be_dev BE: bench_dev for BE, and zramx's gather_batches for it.
be_dev() {
	case $1 in
	inplace) bench_dev zramx && zx_set 0 $GATHER ;;
	zramx) bench_dev zramx && zx_set "$GATHER_DEFAULT" $GATHER ;;
	*) bench_dev "$1" ;;
	esac
}

# offers BE: BE's device lists $ALGO
offers() {
	bench_dev "$1"
	zx_algos "$SYS" | tr ' ' '\n' | grep -qx "$ALGO"
}

# thr BE R ARGS...: thrbench ARGS; its rows as "# THR" lines
thr() {
	_be=$1 _r=$2
	shift 2
	if thrbench -s "$MB" -S $SEED "$@" > $OUT 2>&1; then
		sed -n "s/^thr: /# THR be=$_be algo=$ALGO round=$_r /p" $OUT
		return 0
	fi
	ktap_fail "$_id: thrbench $*" "$(tail -n 20 $OUT)"
	return 1
}

# group KIND P BE R: one round of a group of rows (KIND swap, mixed or
# dio) on a fresh device of backend BE.
group() {
	_id="W3 $ALGO $1${2:+ P=$2} be=$3 round=$4"
	if ! be_dev "$3" || ! zx_setup "$ALGO" "$DISK" "$SYS" ||
		[ "$(zx_algo_selected "$SYS")" != "$ALGO" ]; then
		ktap_fail "$_id: set up $DEV with $ALGO, disksize $DISK"
		return
	fi
	case $1 in
	dio)
		if blkio write "$DEV" 0 $NP mixed $SEED > $OUT 2>&1; then
			for _rd in 100 0 70; do
				for _p in $PROCS; do
					thr "$3" "$4" -P "$_p" -r $_rd \
						-t "$DIO_MS" dio "$DEV" || break
				done
			done
			blkio verify "$DEV" 0 $NP mixed $SEED > $OUT 2>&1 ||
				ktap_fail "$_id: every block reads back" \
					"$(tail -n 5 $OUT)"
		else
			ktap_fail "$_id: fill $MB MiB" "$(tail -n 5 $OUT)"
		fi
		;;
	*)
		if mkswap "$DEV" > /dev/null 2>&1 && swapon "$DEV"; then
			thr "$3" "$4" -P "$2" "$1"
		else
			ktap_fail "$_id: swapon $DEV"
		fi
		;;
	esac
	zx_fresh "$SYS" "$DEV"
	zx_mm_empty "$SYS" ||
		ktap_fail "$_id: mm_stat empty after reset" "$(cat "$SYS"/mm_stat)"
	[ "$3" = stock ] || [ "$(zsf_pages)" = 0 ] ||
		ktap_fail "$_id: zsfast empty after reset" "pages: $(zsf_pages)"
}

# rotate N WORD...: the words, the first N mod their count moved last.
rotate() {
	_n=$(($1 % ($# - 1)))
	shift
	while [ "$_n" -gt 0 ]; do
		set -- "$@" "$1"
		shift
		_n=$((_n - 1))
	done
	echo "$@"
}

t0=$(bench_uptime)
for ALGO in $ALGOS; do
	if ! offers stock || ! offers zramx; then
		ktap_skip "W3 $ALGO" "${SYS##*/} does not offer $ALGO"
		continue
	fi
	for g in $(for p in $PROCS; do echo "swap:$p"; done) \
		$(for p in $PROCS; do echo "mixed:$p"; done) dio:; do
		for r in $(seq "$ROUNDS"); do
			for be in $(rotate $((r - 1)) $BACKENDS); do
				group "${g%:*}" "${g#*:}" $be $r
			done
		done
	done
	ktap_diag "W3 $ALGO done at uptime $(bench_uptime)"
done
[ "$(ktap_failures)" = 0 ] &&
	ktap_ok "W3: every row ran, data checked, devices empty after reset"
zx_set 1 /sys/block/zram0/reset
zx_set 1 /sys/block/zramx0/reset
zx_set "$GATHER_DEFAULT" $GATHER
ktap_diag "W3 took $(bench_uptime) - $t0 s of guest uptime"
