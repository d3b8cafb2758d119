# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# W2: the in-kernel zs_free micro-benchmark (bench/kmod), run by
# bench/run.sh (make bench), not by make check.  The same source built
# against the kernel's zsmalloc (zsfbench_stock.ko) and zsfast
# (zsfbench_zsf.ko); for N = 1 .. online CPUs kthreads, rounds are
# interleaved: stock zsfast zsfast-bulk stock ...  zsfast-bulk frees with
# zsf_free_bulk(), 507 handles per call, as zramx frees a full batch.  Each load frees N * count
# preallocated handles of mixed sizes and prints one line (see
# bench/kmod/freebench.c), copied here as "# W2 ..." diagnostics.
#
# Kernel command line knobs: bench.rounds=5 bench.count=65536
# Fails only if a module does not load or print, or if zsfast's page or
# pool count is not back at idle afterwards.
#
# W2c, free latency against compaction, runs only with bench.compact=R:
# for each of bench.compact_loads=3 loads and each object size in
# bench.compact_sizes=0,40 (0: mixed), the modules' compact=R mode (see
# bench/kmod/freebench.c) on bench.compact_count=65536 objects, printed
# as "# W2c ..." diagnostics with p50/p99/p99.9/max of one free.  If
# /zsf/zsfast-base.ko and /zsf/zsfbench_zsf-base.ko are there (zsfast and
# its benchmark built from another commit, renamed), each load runs them
# too, right before the current ones: variant=base and variant=cur.
# Each load also runs the current zsfast with the compacting kthread
# idle (variant=idle): the noise floor.

. "$(dirname "$0")/bench_lib.sh"

ROUNDS=$(zsf_cmdline bench.rounds 5)
COUNT=$(zsf_cmdline bench.count 65536)
C_ROUNDS=$(zsf_cmdline bench.compact 0)
C_LOADS=$(zsf_cmdline bench.compact_loads 3)
C_SIZES=$(zsf_cmdline bench.compact_sizes 0,40)
C_COUNT=$(zsf_cmdline bench.compact_count 65536)
NCPU=$(grep -c ^processor /proc/cpuinfo)
ktap_diag "W2 config kernel=$(uname -r) rounds=$ROUNDS count=$COUNT cpus=$NCPU"

# zs_* are in zsmalloc.ko on 6.1 and built in on 6.12.
modprobe zsmalloc 2>/dev/null
if [ ! -d /sys/module/zsfast ] && ! insmod /zsf/zsfast.ko; then
	ktap_fail "W2: load zsfast"
	exit 1
fi
pools0=$(sed -n 's/^pools: *//p' $ZSF_DEBUG/stats)
pages0=$(sed -n 's/^pages: *//p' $ZSF_DEBUG/stats)

# fb_load INSMOD_POINT PRINTED_POINT KO PARAM...: /zsf/KO.ko loaded with
# PARAM... and the next tag, and unloaded; its result line in _l.  1,
# the failed point and one more in failures, if it did not load or did
# not print.
tag=0
failures=0
fb_load() {
	_ip=$1 _pp=$2 _ko=$3
	shift 3
	tag=$((tag + 1))
	if ! insmod "/zsf/$_ko.ko" tag=$tag "$@"; then
		_pp=$_ip
	else
		_l=$(dmesg | grep "freebench: .* tag=$tag " | tail -n 1)
		rmmod "$(basename "$_ko" -base)"
		[ -n "$_l" ] && return 0
	fi
	ktap_fail "$_pp"
	failures=$((failures + 1))
	return 1
}

# run KO N R [PARAM]
run() {
	fb_load "W2 r=$3 N=$2: insmod $1" "W2 r=$3 N=$2: $1 printed its result" \
		"$1" threads="$2" count="$COUNT" seed=$(($3 * 7919)) ${4:+"$4"} &&
		ktap_diag "W2 r=$3 ${_l#*freebench: }"
}

for r in $(seq "$ROUNDS"); do
	for n in $(seq "$NCPU"); do
		run zsfbench_stock $n $r
		run zsfbench_zsf $n $r
		run zsfbench_zsf $n $r bulk=507
	done
done
pools1=$(sed -n 's/^pools: *//p' $ZSF_DEBUG/stats)
pages1=$(sed -n 's/^pages: *//p' $ZSF_DEBUG/stats)
if [ "$pools1" = "$pools0" ] && [ "$pages1" = "$pages0" ]; then
	ktap_ok "W2: zsfast pools and pages back to idle ($pools0, $pages0)"
else
	ktap_fail "W2: zsfast pools and pages back to idle" \
		"pools $pools0 -> $pools1, pages $pages0 -> $pages1"
	failures=$((failures + 1))
fi
[ $failures = 0 ] && ktap_ok "W2: every module loaded and reported"

[ "$C_ROUNDS" -gt 0 ] || exit 0

# c_zsfast VARIANT: have zsfast of that variant loaded.
c_loaded=cur
c_zsfast() {
	[ "$c_loaded" = "$1" ] && return 0
	rmmod zsfast || return 1
	_f=/zsf/zsfast.ko
	[ "$1" = base ] && _f=/zsf/zsfast-base.ko
	insmod "$_f" || return 1
	c_loaded=$1
}

# c_run VARIANT KO SIZE LOAD [PARAM]
c_run() {
	fb_load "W2c $1 $2 size=$3: insmod" "W2c $1 $2 size=$3: printed its result" \
		"$2" compact="$C_ROUNDS" count="$C_COUNT" size="$3" \
		seed=$(($4 * 7919)) ${5:+"$5"} &&
		ktap_diag "W2c load=$4 variant=$1 ${_l#*freebench: }"
}

failures=0
variants=cur
[ -f /zsf/zsfast-base.ko ] && [ -f /zsf/zsfbench_zsf-base.ko ] &&
	variants="base cur"
ktap_diag "W2c config kernel=$(uname -r) rounds=$C_ROUNDS loads=$C_LOADS sizes=$C_SIZES count=$C_COUNT variants=$variants load=$(cut -d' ' -f1-3 /proc/loadavg)"
for l in $(seq "$C_LOADS"); do
	for s in $(echo "$C_SIZES" | tr ',' ' '); do
		for v in $variants; do
			if ! c_zsfast $v; then
				ktap_fail "W2c: load zsfast ($v)"
				exit 1
			fi
			ko=zsfbench_zsf
			[ $v = base ] && ko=zsfbench_zsf-base
			c_run $v $ko "$s" $l
		done
		c_run stock zsfbench_stock "$s" $l
		c_run idle zsfbench_zsf "$s" $l compactor=N
	done
done
c_zsfast cur
[ "$(sed -n 's/^pages: *//p' $ZSF_DEBUG/stats)" = 0 ]
zsf_point $? "W2c: zsfast holds no pages afterwards"
[ $failures = 0 ] && ktap_ok "W2c: every module loaded and reported"
