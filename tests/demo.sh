#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `make demo`: the main job, on a fresh Debian 12 machine, without
# loading anything into this machine's kernel.
#
#   1. builds zsfast.ko and zramx.ko (make) against a stock Debian kernel
#      (6.12 backport by default; ZSF_DEMO_KERNEL=6.1 for 6.1), whose
#      image and headers are downloaded into ~/.cache/zsfast, not
#      installed, and installs them (make install) into a scratch root;
#   2. boots that kernel in QEMU (TCG) with them in /lib/modules;
#   3. sets up swap on /dev/zramx0 with zramxctl --find (which modprobes
#      zramx, and so zsfast);
#   4. runs a swap workload (memhog: fill, page out, check every word);
#   5. prints zramxctl's table and mm_stat while the data is out in
#      swap, and the munmap time of swapped-out memory on stock zram vs
#      zramx, measured in the same boot (tests/prog/release.c).
#
# Environment: ZSF_DEMO_KERNEL (6.12), ZSF_DEMO_MEM (guest MiB, 1024),
# ZSF_DEMO_MB (MiB for the workload, 384), ZSF_DEMO_RELEASE_MB (MiB per
# release run, 128), ZSF_DEMO_ROUNDS (release runs per driver, 3),
# ZSF_DEMO_ALGO (lz4), ZSF_NO_DEPS=1 (no apt-get), ZSF_OUT, ZSF_CACHE.
# Exit status 0 only if every step worked.  Each step is also recorded
# as a KTAP point in $ZSF_OUT/steps.ktap (the guest's steps included), so
# that a caller (tests/fresh/lane.sh) can say which one failed.

set -euo pipefail

ZSF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ZSF_ROOT
export ZSF_CACHE=${ZSF_CACHE:-$HOME/.cache/zsfast}
export ZSF_OUT=${ZSF_OUT:-$ZSF_ROOT/build/demo}
FLAVOR=${ZSF_DEMO_KERNEL:-6.12}
D=$ZSF_OUT

# The steps' KTAP document (tests/lib/ktap.sh).
# shellcheck source=tests/lib/ktap.sh
source "$ZSF_ROOT/tests/lib/ktap.sh"
STEPS=$D/steps.ktap
KTAP_PREFIX=demo

say() {
	echo "demo: $*" >&2
}

step_ok() {	# step_ok DESC: a step worked
	ktap_ok "$*" >> "$STEPS"
}

die() {		# die DESC [DETAIL]: the step DESC failed; stop
	ktap_fail "$1" "${2:-}" >> "$STEPS"
	say "FAILED: $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/demo:   /' >&2
	exit 1
}

T0=$(date +%s)
mkdir -p "$D"
ktap_begin
echo "KTAP version 1" > "$STEPS"

# ---- 0. what a fresh Debian 12 needs ------------------------------------
# shellcheck source=tests/lib/deps.sh
source "$ZSF_ROOT/tests/lib/deps.sh"
ZSF_DEPS_LOG=$D/deps.log zsf_deps demo ||
	die "install the packages the demo needs (zsf_deps demo)" \
	    "see the lines above and $D/deps.log"
if [ "${ZSF_NO_DEPS:-0}" = 1 ]; then
	step_ok "packages: not checked (ZSF_NO_DEPS=1)"
else
	step_ok "packages installed ($(zsf_deps_list demo | tr '\n' ' ' | sed 's/ $//'))"
fi

# shellcheck source=tests/lib/kernels.sh
source "$ZSF_ROOT/tests/lib/kernels.sh"
# shellcheck source=tests/lib/build.sh
source "$ZSF_ROOT/tests/lib/build.sh"
# shellcheck source=tests/lib/guest.sh
source "$ZSF_ROOT/tests/lib/guest.sh"
# shellcheck source=tests/lib/tests.sh
source "$ZSF_ROOT/tests/lib/tests.sh"
# A developer's ZSF_GUEST_TESTS must not replace the demo's own test.
unset ZSF_GUEST_TESTS

say "fetching Debian's $FLAVOR kernel (image + headers, into $ZSF_CACHE)"
rc=0
zsf_kernel_fetch "$FLAVOR" || rc=$?
[ $rc = 0 ] || [ $rc = 2 ] ||
	die "download the $FLAVOR kernel (apt-get download, dpkg-deb -x)" \
	    "${ZSF_KERNEL_ERROR:-see the lines above}"
step_ok "fetch Debian's $FLAVOR kernel ($KVER: image and headers unpacked)"
[ $rc = 0 ] || die "cannot build against the $KVER headers" "$ZSF_KERNEL_ERROR"
step_ok "a module builds against the $KVER headers"
say "kernel $KVER"

# ---- 1. build and install into a scratch root ---------------------------
t=$(date +%s)
SRC=$D/src
mkdir -p "$SRC"
for f in Kbuild Makefile; do cp "$ZSF_ROOT/$f" "$SRC/"; done
rsync -a --delete "$ZSF_ROOT/src" "$ZSF_ROOT/include" "$SRC/"
# A kernel of another Debian (Debian 13's 7.3, say) builds in its build
# root, which stands in for a machine of that Debian; zsf_kernel_run is
# plain "$@" for this machine's own kernels.
kmake() {
	ZSF_KROOT_BINDS=$D zsf_kernel_run make "$@"
}
say "make KDIR=<$KVER headers> (zsfast.ko, zramx.ko)${ZSF_KROOT:+, in the build root $ZSF_KROOT}"
kmake -C "$SRC" KDIR="$KDIR" -j2 > "$D/build.log" 2>&1 ||
	die "make: build zsfast.ko and zramx.ko (see $D/build.log)" \
	    "$(tail -n 30 "$D/build.log")"
step_ok "make: zsfast.ko and zramx.ko built against $KVER"
ROOT=$D/root
zsf_stage_root "$ROOT" || die "stage $ROOT/lib/modules/$KVER with the stock modules"
say "make install INSTALL_MOD_PATH=$ROOT (updates/, depmod)"
kmake -C "$SRC" KDIR="$KDIR" INSTALL_MOD_PATH="$ROOT" install \
	>> "$D/build.log" 2>&1 ||
	die "make install INSTALL_MOD_PATH=<scratch root> (see $D/build.log)" \
	    "$(tail -n 30 "$D/build.log")"
step_ok "make install INSTALL_MOD_PATH=<scratch root>"
PROGS=$D/progs
zsf_build_progs "$PROGS" 2> "$D/progs.err" ||
	die "static guest programs (gcc -static)" "$(tail -n 20 "$D/progs.err")"
step_ok "static guest programs (gcc -static)"
cp "$ZSF_ROOT/tools/zramxctl" "$PROGS/"
chmod +x "$PROGS/zramxctl"
say "built and installed in $(($(date +%s) - t)) s"

# ---- 2.-5. the guest -----------------------------------------------------
# The guest side is tests/guest/t_demo.sh (the "demo" variant of
# tests/tests.list); its arguments go on the kernel command line.
say "booting $KVER in QEMU (TCG, ${ZSF_DEMO_MEM:-1024} MiB); this takes a few minutes"
t=$(date +%s)
rc=0
KMODDIR=$ROOT/lib/modules/$KVER GUEST_KOS='' GUEST_PROGS=$PROGS GUEST_TESTS=$(zsf_tests "$FLAVOR" amd64 demo) \
GUEST_APPEND="zsf.demo=${ZSF_DEMO_MB:-384},${ZSF_DEMO_RELEASE_MB:-128},${ZSF_DEMO_ROUNDS:-3},${ZSF_DEMO_ALGO:-lz4}" \
GUEST_STOCK_MODS="zramx zram lz4 lz4_compress lz4hc_compress zstd" \
GUEST_MEM=${ZSF_DEMO_MEM:-1024} GUEST_OUT=$D/guest \
GUEST_TIMEOUT=${ZSF_GUEST_TIMEOUT:-1800} \
	zsf_guest_run > "$D/result.ktap" 2> "$D/guest.stderr" || rc=$?

cat "$D/result.ktap" >> "$STEPS"
echo
echo "== zramx demo: Debian kernel $KVER in QEMU, modules from make install =="
sed -n 's/^ *# demo| \{0,1\}//p' "$D/result.ktap"
echo
echo "== steps =="
grep -E '^ *(not )?ok [0-9]+ demo: ' "$D/result.ktap" | grep -v ': guest: tests$' |
	sed -E 's/^ *(not ok|ok) [0-9]+ demo: /\1  /'
echo
echo "guest: $(($(date +%s) - t)) s, total: $(($(date +%s) - T0)) s; logs in $D/guest/"
if [ "$rc" -ne 0 ]; then
	grep -E '^ *# ' "$D/result.ktap" | grep -v '# demo|' | tail -n 20 >&2
	say "FAILED: the guest (status $rc; see $D/guest/console.log)"
	exit 1
fi
