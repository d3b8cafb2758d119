# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Issue 4, W2: the in-kernel zs_free micro-benchmark (bench/kmod), run by
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

ZT_DIR=$(dirname "$0")
. "$ZT_DIR/lib.sh"
export ZDRV=zramx
. "$ZT_DIR/zramx_lib.sh"

ROUNDS=5
COUNT=65536
for _w in $(cat /proc/cmdline); do
	case $_w in
	bench.rounds=*) ROUNDS=${_w#bench.rounds=} ;;
	bench.count=*) COUNT=${_w#bench.count=} ;;
	esac
done
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

failures=0
tag=0
run() {
	_ko=$1 _n=$2 _r=$3
	shift 3
	tag=$((tag + 1))
	if ! insmod /zsf/$_ko.ko threads="$_n" count="$COUNT" tag=$tag \
		seed=$((_r * 7919)) "$@"; then
		ktap_fail "W2 r=$_r N=$_n: insmod $_ko"
		failures=$((failures + 1))
		return
	fi
	_l=$(dmesg | grep "freebench: .* tag=$tag " | tail -n 1)
	rmmod "$_ko"
	if [ -z "$_l" ]; then
		ktap_fail "W2 r=$_r N=$_n: $_ko printed its result"
		failures=$((failures + 1))
		return
	fi
	ktap_diag "W2 r=$_r ${_l#*freebench: }"
}

r=1
while [ $r -le "$ROUNDS" ]; do
	n=1
	while [ $n -le "$NCPU" ]; do
		run zsfbench_stock $n $r
		run zsfbench_zsf $n $r
		run zsfbench_zsf $n $r bulk=507
		n=$((n + 1))
	done
	r=$((r + 1))
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
