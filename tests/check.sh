#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The test suite: what `make check` runs.
#
# usage: tests/check.sh [--only LANE[,LANE...]] [--flavor KERNEL[,KERNEL...]]
#                       [--no-deps] [--list]
#
# The kernels are those of tests/kernels.list (6.1, 6.12, 6.12-rt,
# 6.12-deb13, 7.3, sid; --flavor picks some); each has a role there.
#
# Lanes (Documentation/testing.rst says what each checks):
#   build               per kernel: the modules (no warning), sparse, the
#                       pool-lock build, probes, imports; checkpatch
#   guest-KERNEL        boot Debian's KERNEL in QEMU, run its tests of
#                       tests/tests.list
#   guest-6.12-poollock, guest-6.12-gki
#                       the same with the ZSF_FORCE_POOL_LOCK=1 and the
#                       ZSF_NO_TASK_WORK=1 builds
#   install, arm64, fresh, debug
#                       tests/LANE/lane.sh
#   debug-rt            the debug lane on the PREEMPT_RT debug kernel
#
# Output: KTAP (tests/lib/ktap.sh).  Each lane is a document of its own,
# nested as a subtest (indented by 4) and closed by one top-level point;
# a lane's guest boots nest their own documents the same way, so no
# point is ever renumbered.  The last line is "N passed, M failed",
# counting leaf points at every depth (skips count as neither), after a
# list of the failed points (the first 30) as diagnostics.  Exit
# status 0 only if nothing failed.  Progress and timings go to stderr
# and as "#" diagnostics.
#
# Environment (Documentation/knobs.rst): ZSF_OUT (default build/check),
# ZSF_CACHE, ZSF_GUEST_TIMEOUT, ZSF_GUEST_STALL, ZSF_GUEST_TESTS,
# ZSF_STREAMS (2: the pool-lock, GKI and debug lanes run beside the
# others, after the build lane; 1: every lane in turn) and ZSF_NO_DEPS=1
# (the same as --no-deps: do not apt-get what the lanes need).
#
# The lane scripts (tests/{install,arm64,debug,fresh}/lane.sh; what they
# share: tests/lib/lane.sh) are run with ZSF_ROOT, ZSF_OUT, ZSF_CACHE and
# KTAP_COUNTER_FILE exported.

set -euo pipefail

ZSF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ZSF_ROOT
export ZSF_CACHE=${ZSF_CACHE:-$HOME/.cache/zsfast}
export ZSF_OUT=${ZSF_OUT:-$ZSF_ROOT/build/check}
GUEST_TIMEOUT_DEFAULT=${ZSF_GUEST_TIMEOUT:-1800}

# shellcheck source=tests/lib/ktap.sh
source "$ZSF_ROOT/tests/lib/ktap.sh"
# shellcheck source=tests/lib/kernels.sh
source "$ZSF_ROOT/tests/lib/kernels.sh"
# shellcheck source=tests/lib/knobs.sh
source "$ZSF_ROOT/tests/lib/knobs.sh"
# The kernels with an amd64 image (the arm64 lane boots the others).
ALL_FLAVORS=$(zsf_kernels '!arm64' | tr '\n' ' ')
ALL_LANES="build"
for f in $ALL_FLAVORS; do
	ALL_LANES="$ALL_LANES guest-$f"
done
# fresh before the debug lanes: the main stream runs it while the second
# stream (below) is still busy with them.
ALL_LANES="$ALL_LANES guest-6.12-poollock guest-6.12-gki install arm64 fresh debug debug-rt"
only=
flavors=$ALL_FLAVORS
deps=1
[ "${ZSF_NO_DEPS:-0}" = 1 ] && deps=0

usage() {
	sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--only=*|--flavor=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
	--only) only=${2:?}; shift 2 ;;
	--flavor) flavors=${2:?}; flavors=${flavors//,/ }; shift 2 ;;
	--no-deps) deps=0; shift ;;
	--list) echo "$ALL_LANES"; exit 0 ;;
	-h|--help) usage ;;
	*) echo "unknown argument: $1" >&2; usage ;;
	esac
done

for f in $flavors; do
	case " $ALL_FLAVORS " in *" $f "*) ;; *)
		echo "unknown flavor $f" >&2; exit 2 ;;
	esac
done

# Which lanes run: --only picks, --flavor drops the other kernel's lanes.
lanes=
for l in ${only//,/ }; do
	case " $ALL_LANES " in *" $l "*) ;; *)
		echo "unknown lane $l (lanes: $ALL_LANES)" >&2; exit 2 ;;
	esac
done
for l in $ALL_LANES; do
	if [ -n "$only" ]; then
		case ",$only," in *",$l,"*) ;; *) continue ;; esac
	fi
	case "$l" in
	guest-6.12-poollock|guest-6.12-gki) [[ " $flavors " == *" 6.12 "* ]] || continue ;;
	guest-*) [[ " $flavors " == *" ${l#guest-} "* ]] || continue ;;
	esac
	lanes="$lanes $l"
done

log() {
	echo "check: $*" >&2
}

# ---- dependencies -------------------------------------------------------
# What the selected lanes need (tests/lib/deps.sh has the lists).
# shellcheck source=tests/lib/deps.sh
source "$ZSF_ROOT/tests/lib/deps.sh"

install_deps() {
	local l entries=()

	for l in $lanes; do
		case "$l" in
		guest-*) entries+=(guest) ;;
		debug-*) entries+=(debug) ;;
		*) entries+=("$l") ;;
		esac
	done
	[ ${#entries[@]} -gt 0 ] || return 0
	log "installing what the lanes need (tests/lib/deps.sh: ${entries[*]})"
	ZSF_DEPS_LOG=$ZSF_OUT/deps.log zsf_deps "${entries[@]}"
}

# ---- KTAP ---------------------------------------------------------------
# tests/lib/ktap.sh: each lane is a document of its own (ktap_run), nested
# in this one.

# run_lane NAME CMD...: one lane, with its progress on stderr.
run_lane() {
	log "lane $1: start"
	ktap_run_doc "$1" "$DOC_DIR/$1" "${@:2}"
	nest_lane "$1"
	log "lane $1: $KTAP_RUN_SUMMARY"
}

# nest_lane NAME: nest lane NAME's finished document ($DOC_DIR/NAME), and
# keep its failures for the summary at the end.
nest_lane() {
	ktap_failed "$DOC_DIR/$1" 2> /dev/null | sed "s/^/$1: /" >> "$DOC_DIR/failed"
	ktap_run_nest "$1" "$DOC_DIR/$1"
}

# ---- helpers ----------------------------------------------------------
# shellcheck source=tests/lib/tests.sh
source "$ZSF_ROOT/tests/lib/tests.sh"
# shellcheck source=tests/lib/build.sh
source "$ZSF_ROOT/tests/lib/build.sh"
# shellcheck source=tests/lib/guest.sh
source "$ZSF_ROOT/tests/lib/guest.sh"

# Run "$@" with its stderr in a file; on failure add its tail as
# diagnostics.  Returns the command's status.
run_logged() {
	local errf rc=0

	errf=$(mktemp)
	"$@" 2> "$errf" || rc=$?
	if [ $rc -ne 0 ]; then
		ktap_diag "$(tail -n 25 "$errf")"
	fi
	rm -f "$errf"
	return $rc
}

builddir() {	# builddir VARIANT -> $ZSF_OUT/$KVER/VARIANT
	echo "$ZSF_OUT/$KVER/$1"
}

# ---- lanes ------------------------------------------------------------
lane_build() {
	local f t rc sroot

	for f in $flavors; do
		zsf_fetch_point zsf_kernel_fetch "$f" || continue
		ktap_diag "$f: $KVER ($(zsf_kernel_field "$f" role)${ZSF_KROOT:+, built in $ZSF_KROOT})"
		t=$(date +%s)
		ktap_check "$f: build, no warnings (ZSF_WERROR=1)" \
			zsf_build "$KDIR" "$(builddir default)"
		ktap_check "$f: probes as pinned in src/compat/expected/$f.txt" \
			zsf_probe_check "$(builddir default)" "$f"
		ktap_check "$f: imports only the kernel symbols Documentation/imports.rst lists" \
			zsf_imports_check "$(builddir default)" "$f" amd64
		rc=0
		run_logged zsf_build_sparse "$KDIR" "$(builddir sparse)" || rc=$?
		sroot=
		if [ $rc = 3 ] && sroot=$(sparse_root "$f"); then
			# Too old here: sid's sparse, in sid's root, with the
			# kernel's own compiler (its kbuild tools run on a
			# newer glibc too).
			rc=0
			ZSF_KROOT=$sroot run_logged zsf_build_sparse "$KDIR" \
				"$(builddir sparse)" || rc=$?
		fi
		case $rc in
		0) ktap_point ok "$f: sparse clean (C=2${sroot:+, the sparse of sid})" ;;
		3) ktap_point skip "$f: sparse clean (C=2)" \
			"this suite's sparse is too old for the kernel (kbuild refuses it)" ;;
		*) ktap_point fail "$f: sparse clean (C=2${sroot:+, the sparse of sid})" ;;
		esac
		# The fallback on the primary kernels: it differs from the
		# default build only in zsfast's own code.
		if [ "$(zsf_kernel_field "$f" role)" = primary ]; then
			ktap_check "$f: build ZSF_FORCE_POOL_LOCK=1" \
				zsf_build "$KDIR" "$(builddir poollock)" \
				ZSF_FORCE_POOL_LOCK=1
		fi
		ktap_if "$f: dkms.conf's BUILD_EXCLUSIVE_KERNEL admits $KVER" \
			"$(grep '^BUILD_EXCLUSIVE_KERNEL=' "$ZSF_ROOT/dkms.conf")" \
			zsf_dkms_admits "$KVER"
		ktap_diag "$f: builds took $(($(date +%s) - t)) s"
	done
	ktap_check "checkpatch (no ERROR/WARNING)" zsf_checkpatch "$ZSF_OUT/checkpatch.log"
	ktap_check "static guest programs" zsf_build_progs "$ZSF_OUT/progs"
	ktap_check "Documentation/knobs.rst lists every knob the scripts read, and only those" \
		zsf_knobs_check
	ktap_check "tests/tests.list names every in-guest test, and only those" \
		zsf_tests_verify
}

# sparse_root KERNEL: sid's build root with KERNEL's compiler, for a
# sparse new enough for its headers; fails if KERNEL is sid's.
sparse_root() {
	[ "$(zsf_kernel_field "$1" suite)" != sid ] &&
		zsf_build_root sid "$(zsf_kernel_field "$1" cc) $ZSF_KROOT_PKGS" \
			2> /dev/null
}

# zsf_dkms_admits KVER: does dkms.conf's BUILD_EXCLUSIVE_KERNEL (an
# extended regex, as DKMS matches it) admit KVER?
zsf_dkms_admits() {
	local re

	re=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$ZSF_ROOT/dkms.conf")
	[ -n "$re" ] && grep -Eq -- "$re" <<< "$1"
}

# guest_lane FLAVOR VARIANT TESTS [make args...]
guest_lane() {
	local f=$1 variant=$2 tests=$3 out bad append

	shift 3
	zsf_fetch_point zsf_kernel_fetch "$f" || return
	# Incremental: cheap when the build lane already built it.
	if ! run_logged zsf_build "$KDIR" "$(builddir "$variant")" "$@"; then
		ktap_point fail "$f: build the modules ($variant)"
		return
	fi
	if [ "$variant" = gki ]; then
		bad=$(nm -u "$(builddir "$variant")"/zramx.ko |
			grep -Ew 'task_work_add|synchronize_rcu_tasks' || true)
		ktap_if "$f: ZSF_NO_TASK_WORK=1: zramx.ko imports no task_work_add, no synchronize_rcu_tasks" \
			"$(tr -s ' \n' ' ' <<< "$bad")" [ -z "$bad" ]
	fi
	if ! run_logged zsf_build_progs "$ZSF_OUT/progs"; then
		ktap_point fail "build the static guest programs"
		return
	fi
	out=$ZSF_OUT/guest-$f
	[ "$variant" = default ] || out+=-$variant
	# A secondary kernel's zramx_swap pushes 2 x 200 MiB through swap
	# (a primary's 2 x 400): the same paths, half the time.
	append=
	[ "$(zsf_kernel_field "$f" role)" != secondary ] ||
		append="ZX_SWAP_AVAIL_MB=200"
	ktap_diag "$KVER, tests: $tests${append:+; $append}"
	GUEST_KOS=$(builddir "$variant") GUEST_PROGS=$ZSF_OUT/progs \
	GUEST_APPEND=$append \
	GUEST_TESTS=$tests GUEST_STOCK_MODS=$ZSF_GUEST_STOCK \
	GUEST_OUT=$out GUEST_TIMEOUT=$GUEST_TIMEOUT_DEFAULT \
		zsf_guest_boot "$f" "$out.stderr" zsf_guest_run
}

# ---- main -------------------------------------------------------------
T0=$(date +%s)
mkdir -p "$ZSF_OUT"
if [ $deps = 1 ]; then
	install_deps || { echo "check: cannot install dependencies" >&2; exit 1; }
else
	# The lane scripts install what they need too, unless told not to.
	export ZSF_NO_DEPS=1
fi

# lane NAME: run lane NAME, writing its document on stdout.
lane() {
	local l=$1 f inst dv

	case "$l" in
	build)	lane_build ;;
	guest-6.12-poollock)
		guest_lane 6.12 poollock \
			"$(zsf_tests 6.12 amd64 poollock)" ZSF_FORCE_POOL_LOCK=1 ;;
	guest-6.12-gki)
		guest_lane 6.12 gki \
			"$(zsf_tests 6.12 amd64 gki)" ZSF_NO_TASK_WORK=1 ;;
	guest-*)
		guest_lane "${l#guest-}" default \
			"$(zsf_tests "${l#guest-}" amd64 stock)" ;;
	install)
		# The kernels whose DKMS column in tests/kernels.list says
		# yes (another Debian's in its build root).
		inst=
		for f in $flavors; do
			[ "$(zsf_kernel_field "$f" dkms)" = yes ] && inst="$inst $f"
		done
		if [ -z "$inst" ]; then
			ktap_skip "$l" "no selected kernel has DKMS yes in tests/kernels.list"
			return
		fi
		ZSF_INSTALL_FLAVORS="${inst# }" "$ZSF_ROOT/tests/install/lane.sh" ;;
	arm64)	"$ZSF_ROOT/tests/arm64/lane.sh" ;;
	debug|debug-rt)
		# CI has 90 minutes for everything, a cold debug kernel
		# build included: the stress boot gets 3 minutes here;
		# make check-debug runs the full 10.
		dv=${l#debug}
		STRESS_MINUTES="${STRESS_MINUTES:-3}" ZSF_DEBUG_VARIANT="${dv#-}" \
			"$ZSF_ROOT/tests/debug/lane.sh" ;;
	fresh)	"$ZSF_ROOT/tests/fresh/lane.sh" ;;
	esac
}

# The second stream (ZSF_STREAMS=2, the default): once the build lane
# (if it runs) has built what lanes share, the pool-lock, GKI and debug
# lanes run one after the other in the background, beside the rest.  A
# TCG guest keeps about one of the two CPUs busy, and these lanes are
# half of the time.
# Their documents are nested in the order of the lane list when the
# main stream reaches them, so the output is the same as in one stream.
BG_LANES=
if [ "${ZSF_STREAMS:-2}" -ge 2 ]; then
	for l in $lanes; do
		case "$l" in
		guest-6.12-poollock|guest-6.12-gki|debug|debug-rt)
			BG_LANES="$BG_LANES $l" ;;
		esac
	done
fi
# The lanes' documents, until nested, and the list of failures.
DOC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/zsf-check.XXXXXX")
BG_PID=
KB_PID=
trap 'rm -rf "$DOC_DIR"; for p in $BG_PID $KB_PID; do kill -- "-$p" 2>/dev/null; done' EXIT

# With two streams, the debug kernels are built from the start, beside
# the build lane: from a cold cache each takes a quarter of an hour of
# CPU, and the build lane's downloads leave much of a CPU idle.  The
# debug lanes then find them built, or wait for the build in progress
# (tests/debug/build-kernel.sh holds a lock); one that failed here is
# built, and its failure reported, by its lane.  From a warm cache this
# finds both built at once.
start_kernel_builds() {
	local v variants=

	[ -n "$BG_LANES" ] || return 0
	[[ " $BG_LANES " == *" debug "* ]] && variants="default"
	[[ " $BG_LANES " == *" debug-rt "* ]] && variants="$variants rt"
	variants=${variants# }
	[ -n "$variants" ] || return 0
	log "debug kernels ($variants): building from the start, log in $ZSF_OUT/debug-kernels.log"
	set -m
	(
		for v in $variants; do
			[ "$v" = default ] && v=
			ZSF_NO_APT=1 "$ZSF_ROOT/tests/debug/build-kernel.sh" $v \
				> /dev/null || true
		done
	) 2> "$ZSF_OUT/debug-kernels.log" &
	KB_PID=$!
	set +m
}

start_bg() {
	[ -n "$BG_LANES" ] && [ -z "$BG_PID" ] || return 0
	log "lanes$BG_LANES: start, beside the others"
	set -m
	(
		for l in $BG_LANES; do
			log "lane $l: start (second stream)"
			ktap_run_doc "$l" "$DOC_DIR/$l" lane "$l"
			log "lane $l: $(cat "$DOC_DIR/$l.summary")"
		done
	) &
	BG_PID=$!
	set +m
}

n_lanes=$(wc -w <<< "$lanes")
echo "KTAP version 1"
echo "1..$n_lanes"
ktap_begin
start_kernel_builds
[[ " $lanes " == *" build "* ]] || start_bg
for l in $lanes; do
	if [[ " $BG_LANES " == *" $l "* ]]; then
		start_bg
		# Wait for this one's document, not for the whole stream.
		while [ ! -f "$DOC_DIR/$l.summary" ] &&
		      kill -0 "$BG_PID" 2>/dev/null; do
			sleep 5
		done
		nest_lane "$l"
		continue
	fi
	run_lane "$l" lane "$l"
	[ "$l" != build ] || start_bg
done
[ -z "$BG_PID" ] || wait "$BG_PID" || true
BG_PID=
# The builds end long before the lanes that need them, and bash may
# have reaped the job already ("not a child of this shell").
[ -z "$KB_PID" ] || wait "$KB_PID" 2>/dev/null || true
KB_PID=
read -r _ pass fail <<< "$(ktap_counts)"
echo "# total: $(($(date +%s) - T0)) s"
# The failures again, where a log's tail shows them.
if [ -s "$DOC_DIR/failed" ]; then
	echo "# failed ($(wc -l < "$DOC_DIR/failed")):"
	sed 's/^/#   /' "$DOC_DIR/failed" | head -n 30
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
