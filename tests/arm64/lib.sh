#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# arm64 helpers.  Source after tests/lib/{kernels,build,
# guest}.sh; bash.
#
#   zsf_arm64_deps
#	dpkg --add-architecture arm64 + apt-get update (once), and the
#	cross compiler, arm64 libc for static programs, qemu-system-arm
#	(tests/lib/deps.sh, entry "arm64").
#	Nothing arm64 is installed as a package: installing
#	linux-headers-*-arm64:arm64 or busybox-static:arm64 would remove
#	the host's gcc or busybox.
#   zsf_arm64_busybox
#	busybox-static:arm64, apt-get download + dpkg-deb -x into
#	$ZSF_CACHE/arm64/busybox; prints the binary's path.
#   zsf_arm64_fetch FLAVOR
#	zsf_kernel_fetch FLAVOR arm64 (the rig's: image, headers,
#	headers-common, the host's kbuild; KVER KDIR VMLINUZ KMODDIR).
#   zsf_arm64_build OUTDIR [make args]
#	zsf_build with ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- (6.1
#	needs CROSS_COMPILE explicitly: its headers do not default it).
#   zsf_arm64_progs OUTDIR
#	tests/prog/*.c as static aarch64 binaries.
#   zsf_arm64_guest_run
#	zsf_guest_run on qemu-system-aarch64 -M virt -cpu max (every page
#	size: 4, 16 and 64 KiB granules; pauth-impdef=on, for QARMA's
#	pointer authentication is slow under TCG): the
#	same env as zsf_guest_run.  What guest.sh and tests/guest/init
#	hard-code for x86 is adapted here, without editing them:
#	  - the initramfs gets the arm64 busybox instead of the host's;
#	  - the console is the PL011 (console=ttyAMA0, the first -serial);
#	  - virt has one UART, so the results port (init writes /dev/ttyS1)
#	    is a virtio console, /dev/hvc0, written to results.ktap; the
#	    initramfs's /init is patched to use it (and to load
#	    virtio_pci and virtio_console first, modules on 6.1: put them in
#	    GUEST_STOCK_MODS).

ZSF_ARM64_CROSS=aarch64-linux-gnu-

_zsf_alog() {
	echo "arm64: $*" >&2
}

zsf_arm64_deps() {
	local sudo=''

	[ "$(id -u)" = 0 ] || sudo=sudo
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		_zsf_alog "dpkg --add-architecture arm64; apt-get update"
		$sudo dpkg --add-architecture arm64 || return 1
		$sudo apt-get update -q >&2 || return 1
	elif ! apt-cache show linux-image-arm64:arm64 > /dev/null 2>&1; then
		$sudo apt-get update -q >&2 || return 1
	fi
	# shellcheck source=tests/lib/deps.sh
	source "$ZSF_ROOT/tests/lib/deps.sh" || return 1
	zsf_deps arm64
}

zsf_arm64_busybox() {
	local dir=$ZSF_CACHE/arm64/busybox dl=$ZSF_CACHE/debs deb

	if [ -x "$dir/bin/busybox" ]; then
		echo "$dir/bin/busybox"
		return 0
	fi
	mkdir -p "$dl" || return 1
	(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root \
		busybox-static:arm64 >&2) || return 1
	# shellcheck disable=SC2012 # .deb names have no odd characters
	deb=$(ls -t "$dl"/busybox-static_*_arm64.deb | head -n 1)
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp" || return 1
	dpkg-deb -x "$deb" "$dir.tmp" || return 1
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	if ! file "$dir/bin/busybox" | grep -q 'ARM aarch64.*statically linked'; then
		_zsf_alog "$dir/bin/busybox is not a static aarch64 binary"
		return 1
	fi
	echo "$dir/bin/busybox"
}

zsf_arm64_fetch() {
	# The rig's fetch builds a test module against the headers; for 6.1
	# that needs the cross compiler named (the 6.12 headers default it).
	ARCH=arm64 CROSS_COMPILE=$ZSF_ARM64_CROSS zsf_kernel_fetch "$1" arm64
}

zsf_arm64_build() {
	local out=$1

	shift
	zsf_build "$KDIR" "$out" ARCH=arm64 CROSS_COMPILE=$ZSF_ARM64_CROSS "$@"
}

zsf_arm64_progs() {
	zsf_build_progs "$1" "${ZSF_ARM64_CROSS}gcc"
}

# The rig's initramfs builder, kept under another name; ours swaps in
# the arm64 busybox and the results port, then packs again.
if ! declare -F _zsf_make_initramfs_x86 > /dev/null; then
	eval "$(declare -f _zsf_make_initramfs |
		sed '1s/_zsf_make_initramfs/_zsf_make_initramfs_x86/')"
fi

_zsf_make_initramfs_arm64() {
	local stage=$1 img=$2

	_zsf_make_initramfs_x86 "$stage" "$img" || return 1
	cp "$ZSF_ARM64_BUSYBOX" "$stage/bin/busybox" || return 1
	# 6.1's virtio_pci and virtio_console are modules (built in on
	# 6.12): load them before /init opens the port, and wait for it.
	sed -i 's|^res=/dev/ttyS1$|for m in virtio_pci virtio_console; do modprobe $m 2>/dev/null; done\
i=0\
while [ ! -c /dev/hvc0 ] \&\& [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done\
res=/dev/hvc0|' "$stage/init"
	if ! grep -q '^res=/dev/hvc0$' "$stage/init"; then
		_zsf_glog "arm64: cannot point tests/guest/init at /dev/hvc0"
		return 1
	fi
	(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 > "$img"
}

zsf_arm64_guest_run() {
	local out rc=0

	ZSF_ARM64_BUSYBOX=$(zsf_arm64_busybox) || return 1
	out=${GUEST_OUT:-$(mktemp -d /tmp/zsf-guest-arm64.XXXXXX)}
	mkdir -p "$out"
	# Swap the builder in for this run only.
	eval "$(declare -f _zsf_make_initramfs_arm64 |
		sed '1s/_zsf_make_initramfs_arm64/_zsf_make_initramfs/')"
	GUEST_OUT=$out GUEST_QEMU=qemu-system-aarch64 \
	GUEST_APPEND="console=ttyAMA0 ${GUEST_APPEND:-}" \
	GUEST_ARGS="-M virt -cpu max,pauth-impdef=on -device virtio-serial-pci
		-chardev file,id=zsfres,path=$out/results.ktap
		-device virtconsole,chardev=zsfres ${GUEST_ARGS:-}" \
		zsf_guest_run || rc=$?
	eval "$(declare -f _zsf_make_initramfs_x86 |
		sed '1s/_zsf_make_initramfs_x86/_zsf_make_initramfs/')"
	return $rc
}
