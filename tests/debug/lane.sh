#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The debug-kernel reliability lane: `make check-debug`, and the "debug"
# lane of tests/check.sh; with ZSF_DEBUG_VARIANT=rt, the "debug-rt" lane:
# the same on the PREEMPT_RT debug kernel.  tests/debug/README.md says
# what each step builds, boots and checks.
#
#   1. build (or take from the cache) the debug kernel (build-kernel.sh);
#   2. build our modules (and the test modules) against it, with
#      ZSF_WERROR=1, and the static guest programs; on the non-RT
#      kernel, deliberate.sh --build-only, so that a plant whose anchor
#      moved is seen here and not at the next run of the full proof;
#   3. boot it under QEMU, once for the suite (the variant's short and
#      medium tests of tests/tests.list) and once for each long test of
#      the variant (fault, stress).  Separate boots: a KASAN report
#      (which panics) or a lockdep report (which turns lockdep off for
#      the rest of the boot) in one cannot hide a problem in the others.
#      Every boot fails on any splat in the console (tests/lib/guest.sh)
#      and on any failed point.
#
# Output (tests/lib/lane.sh): each boot's guest document nested; the
# timings on stderr.  Environment: Documentation/knobs.rst, "Lane debug".

set -euo pipefail

VARIANT=${ZSF_DEBUG_VARIANT:-}
ZSF_LANE=debug${VARIANT:+-$VARIANT}
# shellcheck source=tests/lib/lane.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lane.sh"
STRESS_MINUTES=${STRESS_MINUTES:-10}
FAULT_SECONDS=${FAULT_SECONDS:-90}
# rcu_cpu_stall_timeout: under TCG on a loaded 2-core host a vCPU can be
# starved for more than the default 21 s, and the stall warning (with a
# Call Trace of whatever task was preempted, e.g. khugepaged) would fail
# the boot for a reason that is not in our code.  60 s keeps real stalls
# (a spinning lock in our code) visible.
# ZX_SWAP_AVAIL_MB: zramx_swap and zramx_coexist pin the guest down to
# that much available memory (default 400) and push 2 and 1.5 times it
# through swap; every page costs far more on these kernels, and the
# stress boot pushes more through swap anyway.  150 MiB makes them
# about a third as long.
# ZSFT_STRESS_SECONDS: zsfast_stress runs 15 s a phase here, where
# lockdep and KASAN watch it, and 8 s on the other kernels.
# Before these, the kernel's DEBUG_ARGS (tests/debug/build-kernel.sh).
BOOT_ARGS="slab_nomerge rcupdate.rcu_cpu_stall_timeout=60 ZX_SWAP_AVAIL_MB=150 ZSFT_STRESS_SECONDS=15"
# Console lines of this kernel that match the rig's splat pattern but
# are banners, not reports.
SPLAT_IGNORE='RCU lockdep checking is enabled'

# shellcheck source=tests/debug/build-kernel.sh
source "$ZSF_ROOT/tests/debug/build-kernel.sh"
mkdir -p "$ZSF_OUT"

# boot NAME TESTS TIMEOUT [extra kernel args]: one QEMU boot; its points
# go into ours, prefixed with "debug: NAME: ".
boot() {
	local name=$1 tests=$2 tmo=$3 extra=${4:-} out

	out=$ZSF_OUT/$ZSF_LANE-$name
	log "boot $name: $tests (timeout ${tmo}s)"
	GUEST_KOS=$MODS GUEST_PROGS=$PROGS GUEST_TESTS=$tests \
	GUEST_STOCK_MODS=$STOCK GUEST_OUT=$out GUEST_TIMEOUT=$tmo \
	GUEST_MEM=${GUEST_MEM:-768} GUEST_SPLAT_IGNORE=$SPLAT_IGNORE \
	GUEST_APPEND="$DEBUG_ARGS $BOOT_ARGS $extra" \
		zsf_guest_boot "$name" "$out.stderr" zsf_guest_run
	grep -E '^# zsf-end ' "$out/results.clean" 2>/dev/null | sed 's/^# zsf-end /# time: /'
}


# ---- 1. the kernel --------------------------------------------------
t=$(date +%s)
if zsf_debug_kernel "$VARIANT"; then
	ktap_point ok "debug kernel $KVER ($(($(date +%s) - t)) s)"
else
	ktap_point fail "debug kernel build"
	finish
fi
echo "# VMLINUZ=$VMLINUZ KDIR=$KDIR"

# ---- 2. our modules and the guest programs ---------------------------
MODS=$ZSF_OUT/$KVER/default
PROGS=$ZSF_OUT/progs
t=$(date +%s)
if zsf_build "$KDIR" "$MODS" 2> "$ZSF_OUT/$ZSF_LANE-build.stderr"; then
	ktap_point ok "modules build against $KVER, no warnings ($(($(date +%s) - t)) s)"
else
	sed 's/^/# /' "$ZSF_OUT/$ZSF_LANE-build.stderr"
	ktap_point fail "modules build against $KVER, no warnings"
	finish
fi
if zsf_build_progs "$PROGS" 2> "$ZSF_OUT/$ZSF_LANE-progs.stderr"; then
	ktap_point ok "static guest programs"
else
	sed 's/^/# /' "$ZSF_OUT/$ZSF_LANE-progs.stderr"
	ktap_point fail "static guest programs"
	finish
fi
if [ -z "$VARIANT" ]; then
	KTAP_COUNTER_FILE=$KTAP_COUNTER_FILE KDIR=$KDIR \
	ZSF_SCRATCH=$ZSF_OUT/$ZSF_LANE-deliberate \
		ktap_run "the deliberate bugs plant and build" \
		"$ZSF_ROOT/tests/debug/deliberate.sh" --build-only
fi

# ---- 3. the boots -----------------------------------------------------
SUITE=$(zsf_tests 6.12 amd64 "$ZSF_LANE" short,medium)
BOOTS=${ZSF_DEBUG_BOOTS:-suite $(ZSF_GUEST_TESTS='' zsf_tests 6.12 amd64 "$ZSF_LANE" long | tr , ' ')}
STOCK=$ZSF_GUEST_STOCK
log "boots: $BOOTS; suite: $SUITE; stock modules: $STOCK"

for b in $BOOTS; do
	case "$b" in
	suite)
		if [ -z "$SUITE" ]; then
			ktap_point fail "suite boot" "no test in tests/tests.list"
			continue
		fi
		# A backstop: a boot that stops printing is stopped after
		# ZSF_GUEST_STALL seconds (tests/lib/guest.sh), so a slow
		# host may take as long as it needs while it progresses.
		boot suite "$SUITE" "${ZSF_GUEST_TIMEOUT:-7200}" ;;
	fault)
		boot fault fault $((FAULT_SECONDS * 8 + 1200)) \
			"zsf.fault_seconds=$FAULT_SECONDS" ;;
	stress)
		# TCG with KASAN: give the teardown and the checks a margin.
		boot stress stress $((STRESS_MINUTES * 60 * 3 + 1200)) \
			"zsf.stress_seconds=$((STRESS_MINUTES * 60))" ;;
	*)
		ktap_point fail "unknown boot '$b' (ZSF_DEBUG_BOOTS, tests.list)" ;;
	esac
done

finish
