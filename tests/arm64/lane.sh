#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The arm64 lane: cross-build zsfast.ko and zramx.ko (and
# the test modules) for Debian's arm64 kernels (4 KiB pages, and 16 KiB
# pages: 6.12-16k and 7.3-16k, built in trixie's root), and run the in-guest tests on
# each in qemu-system-aarch64 -M virt -cpu max -smp 2 under TCG.
# Helpers: tests/arm64/lib.sh; output and exit status: tests/lib/lane.sh.
# The in-guest tests are those of tests/tests.list for arm64.
# Environment: Documentation/knobs.rst, "Lane arm64".

set -euo pipefail

ZSF_LANE=arm64
# shellcheck source=tests/lib/lane.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/lane.sh"
W=$ZSF_OUT/arm64
# 6.12 (4 KiB pages) and the kernels only this lane boots (16 KiB).
FLAVORS=${ZSF_ARM64_FLAVORS:-6.12 $(zsf_kernels arm64 | tr '\n' ' ')}
# shellcheck source=tests/arm64/lib.sh
source "$ZSF_ROOT/tests/arm64/lib.sh"
mkdir -p "$W"

if [ "${ZSF_NO_DEPS:-0}" != 1 ]; then
	if ! zsf_arm64_deps > "$W/deps.log" 2>&1; then
		ktap_point fail "dependencies (dpkg arm64, cross gcc, qemu-system-arm)" \
			"$(tail -n 15 "$W/deps.log")"
		finish
	fi
fi
if ! bb=$(zsf_arm64_busybox 2> "$W/busybox.err"); then
	ktap_point fail "busybox-static:arm64" "$(tail -n 10 "$W/busybox.err")"
	finish
fi
echo "# busybox: $bb"

t=$(date +%s)
if zsf_arm64_progs "$W/progs" 2> "$W/progs.err"; then
	ktap_point ok "static aarch64 test programs ($(($(date +%s) - t)) s)"
else
	ktap_point fail "static aarch64 test programs" "$(tail -n 20 "$W/progs.err")"
	finish
fi

for f in $FLAVORS; do
	zsf_fetch_point zsf_arm64_fetch "$f" || continue
	echo "# $f: $KVER, $VMLINUZ"
	t=$(date +%s)
	out=$W/$KVER/default
	if zsf_arm64_build "$out" 2> "$W/build.err"; then
		ktap_point ok "$KVER: cross-build (ARCH=arm64 CROSS_COMPILE=$ZSF_ARM64_CROSS), no warnings ($(($(date +%s) - t)) s)"
	else
		ktap_point fail "$KVER: cross-build" "$(tail -n 25 "$W/build.err")"
		continue
	fi
	ft=$(file "$out/zramx.ko")
	ktap_if "$KVER: zramx.ko is an aarch64 module" "$ft" \
		grep -q 'ARM aarch64' <<< "$ft"
	ZSF_NM=${ZSF_ARM64_CROSS}nm ktap_check \
		"$KVER: imports only the kernel symbols Documentation/imports.rst lists" \
		zsf_imports_check "$out" "arm64-$f" arm64 || true
	ktap_check "$KVER: probes as pinned in src/compat/expected/$f.txt" \
		zsf_probe_check "$out" "$f" || true
	# ZX_SWAP_AVAIL_MB: zramx_swap pushes twice that through swap
	# (default 400); an aarch64 TCG guest compresses about three times
	# slower than an x86 one, and 200 MiB still swap out and in.
	GUEST_KOS=$out GUEST_PROGS=$W/progs \
	GUEST_APPEND="ZX_SWAP_AVAIL_MB=200" \
	GUEST_TESTS=$(zsf_tests "$f" arm64 stock) \
	GUEST_STOCK_MODS="zram zsmalloc lz4 lz4_compress lz4hc_compress zstd virtio_pci virtio_console" \
	GUEST_MEM=${ZSF_ARM64_MEM:-512} GUEST_OUT=$W/guest-$KVER \
	GUEST_TIMEOUT=${ZSF_GUEST_TIMEOUT:-1800} \
		zsf_guest_boot "$KVER" "$W/guest-$KVER.stderr" zsf_arm64_guest_run
	# The page size the kernel's name promises is the one the guest ran.
	want=4096
	case "$KVER" in *-16k) want=16384 ;; esac
	got=$(tr -d '\r' < "$W/guest-$KVER/console.log" 2>/dev/null |
		sed -n 's/.*zsf-init: kernel .*, page size \([0-9]*\).*/\1/p' |
		head -n 1 || true)
	ktap_if "$KVER: the guest ran with $((want / 1024)) KiB pages" \
		"/init saw a page size of '${got:-nothing}'" [ "$got" = "$want" ]
done
finish
