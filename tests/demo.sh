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

STEPS=$D/steps.ktap
NSTEP=0

say() {
	echo "demo: $*" >&2
}

step_ok() {	# step_ok DESC: a step worked
	NSTEP=$((NSTEP + 1))
	echo "ok $NSTEP demo: $*" >> "$STEPS"
}

die() {		# die DESC [DETAIL]: the step DESC failed; stop
	NSTEP=$((NSTEP + 1))
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/# /' >> "$STEPS"
	echo "not ok $NSTEP demo: $1" >> "$STEPS"
	say "FAILED: $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/demo:   /' >&2
	exit 1
}

T0=$(date +%s)
mkdir -p "$D"
: > "$STEPS"

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

say "fetching Debian's $FLAVOR kernel (image + headers, into $ZSF_CACHE)"
rc=0
zsf_kernel_fetch "$FLAVOR" || rc=$?
case $rc in
0)	step_ok "fetch Debian's $FLAVOR kernel ($KVER: image and headers unpacked)"
	step_ok "a module builds against the $KVER headers" ;;
2)	step_ok "fetch Debian's $FLAVOR kernel ($KVER: image and headers unpacked)"
	die "cannot build against the $KVER headers" "$ZSF_KERNEL_ERROR" ;;
*)	die "download the $FLAVOR kernel (apt-get download, dpkg-deb -x)" \
	    "${ZSF_KERNEL_ERROR:-see the lines above}" ;;
esac
say "kernel $KVER"

# ---- 1. build and install into a scratch root ---------------------------
t=$(date +%s)
SRC=$D/src
mkdir -p "$SRC"
for f in Kbuild Makefile; do cp "$ZSF_ROOT/$f" "$SRC/"; done
rsync -a --delete "$ZSF_ROOT/src" "$ZSF_ROOT/include" "$SRC/"
say "make KDIR=<$KVER headers> (zsfast.ko, zramx.ko)"
make -C "$SRC" KDIR="$KDIR" -j2 > "$D/build.log" 2>&1 ||
	die "make: build zsfast.ko and zramx.ko (see $D/build.log)" \
	    "$(tail -n 30 "$D/build.log")"
step_ok "make: zsfast.ko and zramx.ko built against $KVER"
ROOT=$D/root
rm -rf "$ROOT"
mkdir -p "$ROOT/lib/modules/$KVER"
cp -al "$KMODDIR/kernel" "$ROOT/lib/modules/$KVER/" 2>/dev/null ||
	cp -a "$KMODDIR/kernel" "$ROOT/lib/modules/$KVER/"
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$KMODDIR/$f" ] && cp "$KMODDIR/$f" "$ROOT/lib/modules/$KVER/"
done
say "make install INSTALL_MOD_PATH=$ROOT (updates/, depmod)"
make -C "$SRC" KDIR="$KDIR" INSTALL_MOD_PATH="$ROOT" install \
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
# The guest side: a test script the rig runs like tests/guest/t_*.sh.
cat > "$D/t_demo.sh" <<'GUEST'
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo, in the guest (written by tests/demo.sh).  "# demo| " lines
# are what the host prints.
. /zsf/tests/lib.sh
MB=${1:-384}
RMB=${2:-128}
ROUNDS=${3:-3}
ALGO=${4:-lz4}
show() { sed 's/^/# demo| /'; }
step() { echo "# demo| "; echo "# demo| \$ $*"; }

step "zramxctl --find --size 1G --algorithm $ALGO"
if dev=$(zramxctl --find --size 1G --algorithm "$ALGO" 2> /tmp/err); then
	echo "$dev" | show
	ktap_ok "zramxctl --find --size 1G --algorithm $ALGO: $dev"
else
	show < /tmp/err
	ktap_fail "zramxctl --find --size 1G --algorithm $ALGO"
	exit 1
fi
lsmod | grep -E '^(zramx|zsfast) ' | sed 's/^/loaded: /' | show
step "mkswap $dev && swapon $dev"
if mkswap "$dev" > /dev/null && swapon "$dev"; then
	ktap_ok "mkswap and swapon $dev"
else
	ktap_fail "mkswap and swapon $dev"
	exit 1
fi

# The workload: memhog fills MB MiB with a 2:1-compressible pattern,
# pages it all out, waits while we look, then checks every word.
rm -rf /tmp/hold
mkdir -p /tmp/hold
step "memhog -w /tmp/hold $MB   # fill $MB MiB, MADV_PAGEOUT, hold, verify"
t0=$(cut -d' ' -f1 /proc/uptime)
memhog -w /tmp/hold -q "$MB" > /tmp/memhog.log 2>&1 &
hog=$!
i=0
while [ ! -e /tmp/hold/ready ] && kill -0 $hog 2>/dev/null && [ $i -lt 6000 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -e /tmp/hold/ready ]; then
	step "zramxctl"
	zramxctl | show
	step "cat /sys/block/zramx0/mm_stat"
	echo "# demo|   (orig_data_size compr_data_size mem_used_total mem_limit mem_used_max same_pages pages_compacted huge_pages huge_pages_since)"
	show < /sys/block/zramx0/mm_stat
	step "cat /proc/swaps"
	show < /proc/swaps
	touch /tmp/hold/go
fi
if wait $hog; then
	t1=$(cut -d' ' -f1 /proc/uptime)
	ktap_ok "memhog: $MB MiB out to $dev and back, every word intact ($(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s)"
else
	show < /tmp/memhog.log
	ktap_fail "memhog: $MB MiB out to $dev and back, every word intact"
fi
swapoff "$dev"
zramxctl --reset "$dev"

# munmap of swapped-out memory: stock zram vs zramx, same boot, same
# algorithm and size, alternating so that neither gets a warmer cache.
if ! modprobe zram num_devices=1 || ! echo "$ALGO" > /sys/block/zram0/comp_algorithm ||
   ! echo 1G > /sys/block/zram0/disksize || ! mkswap /dev/zram0 > /dev/null; then
	ktap_fail "stock zram: modprobe, $ALGO, 1G, mkswap"
	exit 1
fi
zramxctl --size 1G --algorithm "$ALGO" "$dev" && mkswap "$dev" > /dev/null
step "release -s $RMB   # $RMB MiB, MADV_PAGEOUT, then time munmap; $ROUNDS runs per driver"
: > /tmp/times
r=1
while [ $r -le "$ROUNDS" ]; do
	for d in /dev/zram0 "$dev"; do
		swapon "$d" || { ktap_fail "swapon $d"; exit 1; }
		if release -q -s "$RMB" > /tmp/rel.log 2>&1; then
			ns=$(sed -n 's/.*munmap_ns=\([0-9]*\).*/\1/p' /tmp/rel.log | head -n 1)
			echo "${d#/dev/} $ns" >> /tmp/times
		else
			show < /tmp/rel.log
			ktap_fail "release on $d (round $r)"
		fi
		swapoff "$d"
	done
	r=$((r + 1))
done
awk '{ n[$1]++; v[$1, n[$1]] = $2 }
END {
	printf "# demo|   %-6s %s\n", "driver", "munmap of '"$RMB"' MiB swapped out (ms), each run, then the median"
	for (d in n) {
		line = ""
		k = n[d]
		for (i = 1; i <= k; i++) { a[i] = v[d, i]; line = line sprintf(" %8.2f", a[i] / 1000000) }
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		printf "# demo|   %-6s%s   median %.2f\n", d, line, a[int((k + 1) / 2)] / 1000000
	}
}' /tmp/times | sort
nz=$(grep -c '^zram0 ' /tmp/times)
nx=$(grep -c '^zramx0 ' /tmp/times)
if [ "$nz" = "$ROUNDS" ] && [ "$nx" = "$ROUNDS" ]; then
	ktap_ok "release timed $ROUNDS times on zram0 and on zramx0"
else
	ktap_fail "release timed $ROUNDS times on zram0 and on zramx0" "$nz and $nx runs"
fi
step "zramxctl --reset $dev; rmmod zramx zsfast"
zramxctl --reset "$dev" && echo 1 > /sys/block/zram0/reset
if rmmod zramx && rmmod zsfast; then
	ktap_ok "reset and rmmod zramx zsfast"
else
	ktap_fail "reset and rmmod zramx zsfast"
fi
GUEST

# The rig copies tests/guest/*.sh; the demo's script is added to the
# initramfs it builds (the rig's builder runs first, unchanged).
eval "$(declare -f _zsf_make_initramfs | sed '1s/_zsf_make_initramfs/_zsf_demo_initramfs_rig/')"
_zsf_make_initramfs() {
	_zsf_demo_initramfs_rig "$@" || return 1
	# t_demo.sh gets its arguments through a wrapper.
	cp "$D/t_demo.sh" "$1/zsf/tests/demo_main.sh"
	printf '%s\n' '# SPDX-License-Identifier: GPL-2.0-or-later' \
		"exec sh /zsf/tests/demo_main.sh ${ZSF_DEMO_MB:-384} ${ZSF_DEMO_RELEASE_MB:-128} ${ZSF_DEMO_ROUNDS:-3} ${ZSF_DEMO_ALGO:-lz4}" \
		> "$1/zsf/tests/t_demo.sh"
	(cd "$1" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$2"
}

say "booting $KVER in QEMU (TCG, ${ZSF_DEMO_MEM:-1024} MiB); this takes a few minutes"
t=$(date +%s)
rc=0
KMODDIR=$ROOT/lib/modules/$KVER GUEST_KOS='' GUEST_PROGS=$PROGS GUEST_TESTS=demo \
GUEST_STOCK_MODS="zramx zram lz4 lz4_compress lz4hc_compress zstd" \
GUEST_MEM=${ZSF_DEMO_MEM:-1024} GUEST_OUT=$D/guest \
GUEST_TIMEOUT=${ZSF_GUEST_TIMEOUT:-1800} \
	zsf_guest_run > "$D/result.ktap" 2> "$D/guest.stderr" || rc=$?

echo
echo "== zramx demo: Debian kernel $KVER in QEMU, modules from make install =="
sed -n 's/^# demo| \{0,1\}//p' "$D/result.ktap"
echo
echo "== steps =="
grep -E '^(not )?ok ' "$D/result.ktap" | sed 's/^\(not ok\|ok\) [0-9]* /\1  /'
fails=$(grep -c '^not ok' "$D/result.ktap" || true)
# The guest's steps, for steps.ktap.
while IFS= read -r line; do
	d=${line#not }
	d=${d#ok [0-9]* }
	d=${d#demo: }
	d=${d#guest: }
	case "$line" in
	"ok "*)	step_ok "guest: $d" ;;
	*)	NSTEP=$((NSTEP + 1))
		echo "not ok $NSTEP demo: guest: $d" >> "$STEPS" ;;
	esac
done < <(grep -E '^(not )?ok ' "$D/result.ktap")
echo
echo "guest: $(($(date +%s) - t)) s, total: $(($(date +%s) - T0)) s; logs in $D/guest/"
if [ "$rc" -ne 0 ] || [ "$fails" -ne 0 ]; then
	grep '^# ' "$D/result.ktap" | grep -v '^# demo|' | tail -n 20 >&2
	die "the guest: $fails step(s) failed, status $rc (see $D/guest/console.log)"
fi
