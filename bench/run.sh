#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: the benchmarks, on Debian 12's 6.1 and 6.12 and on 7.3,
# each kernel in one QEMU guest boot (TCG, like make check), running the
# tests of the bench variant in tests/tests.list that its line allows:
#   W1  bench/guest/t_bench_release.sh: stock zram vs zramx vs swap on
#       brd, P processes munmap swapped-out memory at once
#   W2  bench/guest/t_bench_free.sh: bench/kmod's zs_free/zsf_free
#       micro-benchmark, N kthreads
#   MEM bench/guest/t_bench_memory.sh: the same corpus of page contents
#       on stock zram and zramx, RAM per stored byte and allocator waste
#   W3  bench/guest/t_bench_throughput.sh: stock zram vs zramx, lz4 and
#       zstd, MiB/s of swap-out, swap-in (in order, at random), 4 KiB
#       O_DIRECT random I/O on the raw device, and swap-in while other
#       processes munmap their swapped-out memory; P=1,2 (knobs:
#       bench.thr_mb, thr_rounds, thr_algos, thr_procs, thr_dio_ms on
#       the kernel command line, BENCH_APPEND)
#   WB  bench/guest/t_bench_writeback.sh: writeback of idle pages to a
#       backing device, and recompression, on both devices
#   and, with BENCH_PROFILE=1, in a second boot of its own,
#   bench/guest/t_bench_profile.sh: one W1 round per backend under
#   ftrace's function_graph tracer, to see where the release time goes
#   (the benchprof variant; about 3 minutes a kernel, so not by
#   default: the default run stays under 30 minutes)
# then bench/report.sh prints the tables and writes bench/results/
# (report.md, a chart of each benchmark, the raw guest output).
#
# It fails only on wrong results (a guest test point failed: data
# mismatch, leak, a backend or module that did not run), never on slow
# numbers.  CI does not run it.
#
# Environment knobs: Documentation/knobs.rst, "make bench" (BENCH_QUICK=1:
# a first look in under 10 minutes; BENCH_APPEND: the guest scripts'
# bench.* knobs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ZSF_ROOT=$ROOT
QUICK_APPEND=
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_KERNELS:=6.12}" "${BENCH_MB:=64}" "${BENCH_PROCS:=1,2}"
	: "${BENCH_ROUNDS:=3}" "${BENCH_COUNT:=16384}"
	# Before BENCH_APPEND, whose words the guest scripts read later.
	QUICK_APPEND="bench.thr_mb=16 bench.thr_rounds=1 bench.thr_algos=lz4 bench.mem_mb=16 bench.mem_algos=lz4 bench.wb_mb=16 bench.wb_rounds=1"
fi
KERNELS=${BENCH_KERNELS:-6.1 6.12 7.3}
MB=${BENCH_MB:-256}
PROCS=${BENCH_PROCS:-1,2,4}
ROUNDS=${BENCH_ROUNDS:-5}
COUNT=${BENCH_COUNT:-65536}
OUT=${BENCH_OUT:-$ROOT/build/bench}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}
maxp=$(echo "$PROCS" | tr ',' '\n' | sort -n | tail -n 1)
# Resident while filling, plus brd's copy (it keeps written pages), plus
# the zram pool, plus 768 MiB for the kernel and the initramfs.
MEM=${BENCH_MEM:-$((maxp * MB * 5 / 2 + 768))}

log() {
	echo "bench: $*" >&2
}

# shellcheck source=tests/lib/deps.sh
source "$ROOT/tests/lib/deps.sh"
[ "${BENCH_NO_DEPS:-0}" = 1 ] && export ZSF_NO_DEPS=1
mkdir -p "$OUT"
ZSF_DEPS_LOG=$OUT/deps.log zsf_deps bench ||
	{ log "cannot install the packages make bench needs"; exit 1; }

# shellcheck source=tests/lib/kernels.sh
source "$ROOT/tests/lib/kernels.sh"
# shellcheck source=tests/lib/build.sh
source "$ROOT/tests/lib/build.sh"
# shellcheck source=tests/lib/guest.sh
source "$ROOT/tests/lib/guest.sh"
# shellcheck source=tests/lib/tests.sh
source "$ROOT/tests/lib/tests.sh"

mkdir -p "$OUT" "$RESULTS"
zsf_build_progs "$OUT/progs" || { log "cannot build the programs"; exit 1; }

# Under a loaded host, TCG guests can fail the boot's IO-APIC timer
# check and panic; the check proves nothing here.
APPEND="no_timer_check bench.mb=$MB bench.procs=$PROCS bench.rounds=$ROUNDS bench.count=$COUNT bench.prof_p=${BENCH_PROF_P:-2} $QUICK_APPEND ${BENCH_APPEND:-}"
STOCK="zram zsmalloc brd lz4 lz4_compress lz4hc lz4hc_compress zstd"

# A kernel of role arm64 in tests/kernels.list (6.12-16k, 7.3-16k) is cross-built
# and booted in qemu-system-aarch64, as the arm64 lane does.
# shellcheck source=tests/arm64/lib.sh
source "$ROOT/tests/arm64/lib.sh"
# shellcheck disable=SC2086 # a list of names
if zsf_kernels arm64 | grep -qxF -f <(printf '%s\n' $KERNELS); then
	if [ "${ZSF_NO_DEPS:-0}" != 1 ]; then
		zsf_arm64_deps > "$OUT/deps-arm64.log" 2>&1 ||
			{ log "cannot install what arm64 needs"; exit 1; }
	fi
	zsf_arm64_progs "$OUT/progs-arm64" ||
		{ log "cannot build the arm64 programs"; exit 1; }
fi

# run_kernel FLAVOR: build and boot; the guest's KTAP ends up in
# $OUT/guest-FLAVOR/results.clean, the profile's in
# $OUT/prof-FLAVOR/results.clean.
run_kernel() {
	local f=$1 g=$OUT/guest-$1 p=$OUT/prof-$1 rc=0 tests='' ptests=''
	local fetch=zsf_kernel_fetch boot=zsf_guest_run progs=$OUT/progs
	local arch=amd64
	local -a make_args=()
	local append=$APPEND

	if [ "$(zsf_kernel_field "$f" role)" = arm64 ]; then
		fetch=zsf_arm64_fetch
		boot=zsf_arm64_guest_run
		progs=$OUT/progs-arm64
		arch=arm64
		make_args=(ARCH=arm64 CROSS_COMPILE="$ZSF_ARM64_CROSS")
	fi
	case "${BENCH_LAT:-rt}:$f" in
	1:*|rt:*-rt) append+=" bench.lat=1" ;;
	esac
	# What each boot runs, decided first: a kernel with nothing to run
	# is neither fetched nor built.
	[ "${BENCH_ONLY_PROFILE:-0}" = 1 ] || tests=$(zsf_tests "$f" $arch bench)
	if [ "${BENCH_PROFILE:-0}" = 1 ] || [ "${BENCH_ONLY_PROFILE:-0}" = 1 ]; then
		ptests=$(zsf_tests "$f" $arch benchprof)
	fi
	if [ -z "$tests$ptests" ]; then
		rm -rf "$g" "$p"
		: > "$g.ktap"
		return 0
	fi
	(
		$fetch "$f" > /dev/null || {
			log "$f: ${ZSF_KERNEL_ERROR:-cannot fetch the kernel}"
			exit 1
		}
		zsf_build "$KDIR" "$OUT/build-$f" "${make_args[@]}" || exit 1
		# guest DIR TESTS TIMEOUT: a boot running TESTS, its output
		# in DIR, its points (a document of their own) in DIR.ktap
		guest() {
			ktap_begin
			GUEST_KOS=$OUT/build-$f GUEST_PROGS=$progs \
			GUEST_STOCK_MODS=$STOCK GUEST_TESTS=$2 GUEST_MEM=$MEM \
			GUEST_TIMEOUT=$3 GUEST_OUT=$1 \
			GUEST_APPEND=$append $boot > "$1.ktap"
		}
		rm -rf "$g"
		if [ -z "$tests" ]; then
			: > "$g.ktap"
		else
			log "$f: guest with ${MEM} MiB: $tests"
			guest "$g" "$tests" "${BENCH_TIMEOUT:-7200}" || exit 1
		fi
		# No stale profile for the report to pick up.
		rm -rf "$p"
		[ -n "$ptests" ] || exit 0
		log "$f: profile boot"
		guest "$p" "$ptests" 1800
	) || rc=$?
	return $rc
}

host_info="$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), load at start $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date -u '+%F %H:%M')
# BENCH_PARALLEL=1: every kernel's run in the background at once.
declare -A status pid
for f in $KERNELS; do
	if [ "${BENCH_PARALLEL:-0}" = 1 ]; then
		run_kernel "$f" & pid[$f]=$!
	else
		run_kernel "$f" && status[$f]=0 || status[$f]=$?
	fi
done
for f in "${!pid[@]}"; do
	wait "${pid[$f]}" && status[$f]=0 || status[$f]=$?
done
host_info+=", load at end $(cut -d' ' -f1-3 /proc/loadavg)"

fail=0
inputs=()
for f in $KERNELS; do
	if [ "${status[$f]}" != 0 ]; then
		log "$f: FAILED (see $OUT/guest-$f.ktap)"
		grep '^ *not ok' "$OUT/guest-$f.ktap" >&2 || true
		fail=1
	fi
	if [ -f "$OUT/guest-$f/results.clean" ]; then
		# The guest's documents, unindented: report.sh reads lines.
		sed 's/^ *//' "$OUT/guest-$f/results.clean" > "$RESULTS/raw-$f.txt"
		if [ -f "$OUT/prof-$f/results.clean" ]; then
			sed 's/^ *//' "$OUT/prof-$f/results.clean" >> "$RESULTS/raw-$f.txt"
		fi
		inputs+=("$RESULTS/raw-$f.txt")
	fi
done
[ ${#inputs[@]} -gt 0 ] || { log "no results"; exit 1; }
BENCH_DATE="$start UTC" BENCH_HOST="$host_info" \
BENCH_PARALLEL=${BENCH_PARALLEL:-0} \
	"$ROOT/bench/report.sh" "$RESULTS" "${inputs[@]}"
exit $fail
